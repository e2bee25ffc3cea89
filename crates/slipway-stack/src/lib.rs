//! Stacks: the base images that apps are built onto.
//!
//! A stack provides the run image an app's layers sit on: its files (users, CA certificates), its
//! environment and the non-root user that apps run as. For now there is one stack, `scratch`: an
//! empty base holding only what a static binary needs, with the CA bundle taken from the build
//! host, as ko's default base does. Stacks made from Debian packages come next; they provide the
//! same [`RunImage`].

use std::path::PathBuf;

use slipway_oci::{LayerBuilder, LayerError, UncompressedLayer};

mod ca_bundle;
pub mod debian;
pub mod debian_stacks;

pub use ca_bundle::{CaBundleError, find_host_ca_bundle};

/// The user id and group id every image runs as: not root, the same number CNB stacks use.
pub const APP_UID: u64 = 1000;
/// The group id of [`APP_UID`].
pub const APP_GID: u64 = 1000;
/// The app user's name.
pub const APP_USER: &str = "cnb";
/// The app's working directory in every image, as in CNB images.
pub const WORKSPACE: &str = "/workspace";

/// Errors while making a stack's run image.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// No stack has that name.
    #[error("there is no stack named {name:?} (stacks: {known})")]
    Unknown {
        /// The name asked for.
        name: String,
        /// The stacks there are, comma-separated.
        known: String,
    },
    /// The CA bundle could not be found or read.
    #[error(transparent)]
    CaBundle(#[from] CaBundleError),
    /// A CA file could not be read.
    #[error("reading the CA certificates in {0}")]
    CaFile(PathBuf, #[source] std::io::Error),
    /// A layer could not be built.
    #[error("building the {stack} run image layer")]
    Layer {
        /// The stack.
        stack: String,
        /// Why.
        #[source]
        source: LayerError,
    },
}

/// A run image, ready to be written: its layers (uncompressed: compression and caching are the
/// exporter's job) and the config it contributes.
#[derive(Debug, Clone)]
pub struct RunImage {
    /// `stack` name, e.g. `scratch`.
    pub stack: String,
    /// A reference-like name for the run image, recorded in the app image's base annotations.
    pub name: String,
    /// Its layers, bottom first.
    pub layers: Vec<RunLayer>,
    /// Environment every process in the image gets.
    pub env: Vec<(String, String)>,
    /// `uid:gid` the image runs as.
    pub user: String,
    /// Labels the run image carries, and with it every app image built on it.
    pub labels: Vec<(String, String)>,
}

/// One run image layer: built now (the exporter compresses and stores it, or finds it stored), or
/// already in the store (a Debian stack caches its layers: rebuilding them means unpacking every
/// package again).
#[derive(Debug, Clone)]
pub enum RunLayer {
    /// A layer's tar and what it holds.
    Built(UncompressedLayer, String),
    /// A layer the store has.
    Stored(slipway_oci::LayerRecord),
}

/// What a stack is, for `slipway stack list`.
#[derive(Debug, Clone, Copy)]
pub struct StackInfo {
    /// Its name on the command line.
    pub name: &'static str,
    /// One line about it.
    pub description: &'static str,
}

/// The stacks slipway knows, default first.
pub const STACKS: &[StackInfo] = &[StackInfo {
    name: "scratch",
    description: "empty base: a non-root user, /tmp, and the build host's CA certificates (for static binaries)",
}];

/// The default stack's name.
pub const DEFAULT_STACK: &str = "debian-13";

/// Options that change what goes into a run image.
#[derive(Debug, Clone, Default)]
pub struct StackOptions {
    /// A PEM bundle to use instead of the host's (`SSL_CERT_FILE` or the distribution's file).
    pub ca_bundle: Option<PathBuf>,
    /// PEM files of extra CAs (`--ca-certs`, enterprise CAs) appended to the bundle.
    pub extra_ca_certs: Vec<PathBuf>,
}

/// The run image of the stack named `name`.
pub fn run_image(name: &str, options: &StackOptions) -> Result<RunImage, StackError> {
    match name {
        "scratch" => scratch(options),
        other => Err(StackError::Unknown {
            name: other.to_string(),
            known: STACKS.iter().map(|s| s.name).collect::<Vec<_>>().join(", "),
        }),
    }
}

fn scratch(options: &StackOptions) -> Result<RunImage, StackError> {
    let bundle = match &options.ca_bundle {
        Some(path) => path.clone(),
        None => find_host_ca_bundle()?,
    };
    let mut pem = std::fs::read(&bundle).map_err(|e| StackError::CaFile(bundle.clone(), e))?;
    for extra in &options.extra_ca_certs {
        if !pem.ends_with(b"\n") && !pem.is_empty() {
            pem.push(b'\n');
        }
        pem.extend(std::fs::read(extra).map_err(|e| StackError::CaFile(extra.clone(), e))?);
    }
    let layer = scratch_layer(pem).map_err(|source| StackError::Layer {
        stack: "scratch".into(),
        source,
    })?;
    Ok(RunImage {
        stack: "scratch".into(),
        name: "slipway/stack-scratch".into(),
        layers: vec![RunLayer::Built(
            layer,
            "stack scratch: user cnb (1000:1000), /tmp, CA certificates".into(),
        )],
        env: vec![(
            "PATH".into(),
            "/cnb/process:/cnb/lifecycle:/usr/local/bin:/usr/bin:/bin".into(),
        )],
        user: format!("{APP_UID}:{APP_GID}"),
        labels: vec![],
    })
}

fn scratch_layer(bundle: Vec<u8>) -> Result<UncompressedLayer, LayerError> {
    let mut layer = LayerBuilder::new();
    layer
        .file("etc/passwd", 0o644, passwd())
        .file(
            "etc/group",
            0o644,
            format!("root:x:0:\n{APP_USER}:x:{APP_GID}:\n"),
        )
        .file("etc/nsswitch.conf", 0o644, "hosts: files dns\n")
        .file("etc/ssl/certs/ca-certificates.crt", 0o644, bundle)
        .dir("root", 0o700)
        .dir_owned(&format!("home/{APP_USER}"), 0o755, (APP_UID, APP_GID))
        .dir_owned(WORKSPACE, 0o755, (APP_UID, APP_GID))
        .dir("tmp", 0o1777);
    layer.build()
}

fn passwd() -> String {
    format!(
        "root:x:0:0:root:/root:/sbin/nologin\n{APP_USER}:x:{APP_UID}:{APP_GID}:{APP_USER}:/home/{APP_USER}:/sbin/nologin\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn files_of(layer: &UncompressedLayer) -> Vec<(String, u64, String)> {
        let mut archive = tar::Archive::new(layer.tar.as_slice());
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let mut body = String::new();
                let _ = e.read_to_string(&mut body);
                (
                    e.path().unwrap().to_string_lossy().into_owned(),
                    e.header().uid().unwrap(),
                    body,
                )
            })
            .collect()
    }

    #[test]
    fn scratch_has_a_non_root_user_and_the_given_ca_bundle() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("ca.pem");
        std::fs::write(
            &bundle,
            "-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let image = run_image(
            "scratch",
            &StackOptions {
                ca_bundle: Some(bundle),
                extra_ca_certs: vec![],
            },
        )
        .unwrap();
        assert_eq!(image.user, "1000:1000");
        let RunLayer::Built(layer, _) = &image.layers[0] else {
            panic!("scratch builds its layer")
        };
        let files = files_of(layer);
        let passwd = files.iter().find(|f| f.0 == "etc/passwd").unwrap();
        assert!(passwd.2.contains("cnb:x:1000:1000:"));
        let certs = files
            .iter()
            .find(|f| f.0 == "etc/ssl/certs/ca-certificates.crt")
            .unwrap();
        assert!(certs.2.contains("TEST"));
        let workspace = files.iter().find(|f| f.0 == "workspace/").unwrap();
        assert_eq!(workspace.1, 1000);
    }

    #[test]
    fn an_unknown_stack_names_the_known_ones() {
        let err = run_image("debian-99", &StackOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "there is no stack named \"debian-99\" (stacks: scratch)"
        );
    }
}
