//! The Go buildpack: detects `go.mod`, builds the module's main packages into static binaries (in
//! the stack's build environment, with Debian's Go, or with the host's Go as ko does), and makes
//! each binary a process type.
//!
//! Builds are reproducible: `CGO_ENABLED=0`, `-trimpath`, `-buildvcs=false`, and `-ldflags=-s -w`
//! (no symbol table or DWARF: smaller images, and nothing path-dependent). Go's own build ID is
//! kept: it is derived from the inputs only, and it lets `go build` skip relinking an unchanged
//! binary, which the output directory (kept in the cache, per app) makes possible.

mod targets;
mod toolchain;

use std::path::Path;

use sha2::{Digest as _, Sha256};
use slipway_lifecycle::{
    BuildContext, BuildOutput, Buildpack, BuildpackError, ContributedLayer, ProcessType,
};
use slipway_oci::LayerBuilder;
use slipway_sbom::BUILDPACK_PACKAGES_LABEL;

pub use targets::{MainPackage, binary_name, default_process};
use toolchain::GoToolchain;

/// The Go buildpack.
pub struct GoBuildpack;

/// Buildpack id.
pub const ID: &str = "slipway/go";
/// Where the binaries go in the image.
pub const BIN_DIR: &str = "/layers/slipway_go/app/bin";
/// The port Go web apps are told to listen on through `PORT`.
pub const DEFAULT_PORT: u16 = 8080;

impl Buildpack for GoBuildpack {
    fn id(&self) -> &'static str {
        ID
    }

    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    fn looks_for(&self) -> &'static str {
        "go.mod"
    }

    fn detect(&self, app_dir: &Path) -> bool {
        app_dir.join("go.mod").is_file()
    }

    fn build(&self, ctx: &BuildContext<'_>) -> Result<BuildOutput, BuildpackError> {
        let go = GoToolchain::find(ctx)?;
        (ctx.log)(&format!("Using {}", go.version));
        let targets = targets_from_env(ctx.env);
        let packages = go.main_packages(ctx, &targets)?;
        let out_dir = ctx.tools.cache_dir().join("out").join(app_key(ctx.app_dir));
        go.build(ctx, &packages, &out_dir)?;
        let label = go.modules_label(ctx, &packages, &out_dir)?;
        let mut output = output(&packages, &ctx.tools.host_path(&out_dir), &go.version);
        output
            .labels
            .push((BUILDPACK_PACKAGES_LABEL.to_string(), label));
        Ok(output)
    }
}

/// `BP_GO_TARGETS` (colon-separated package patterns, as Paketo's Go buildpack takes), else `./...`.
fn targets_from_env(env: &[(String, String)]) -> Vec<String> {
    env.iter()
        .rev()
        .find(|(k, _)| k == "BP_GO_TARGETS")
        .map(|(_, v)| {
            v.split(':')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect()
        })
        .filter(|t: &Vec<String>| !t.is_empty())
        .unwrap_or_else(|| vec!["./...".to_string()])
}

/// A key for the app's own directory of binaries in the cache, kept between builds so that an
/// unchanged app is not relinked.
fn app_key(app_dir: &Path) -> String {
    let app = app_dir
        .canonicalize()
        .unwrap_or_else(|_| app_dir.to_path_buf());
    hex::encode(&Sha256::digest(app.as_os_str().as_encoded_bytes())[..8])
}

fn output(packages: &[MainPackage], out_dir: &Path, go_version: &str) -> BuildOutput {
    let mut content = LayerBuilder::new();
    let mut processes = Vec::new();
    for package in packages {
        let name = package.binary_name();
        let image_path = format!("{BIN_DIR}/{name}");
        content.host_file(&image_path, &out_dir.join(&name), 0o755);
        processes.push(ProcessType {
            name: name.clone(),
            command: vec![image_path],
            ..ProcessType::default()
        });
    }
    if let Some(web) = default_process(packages) {
        let command = vec![format!("{BIN_DIR}/{}", web.binary_name())];
        processes.insert(
            0,
            ProcessType {
                name: "web".into(),
                command,
                ..ProcessType::default()
            },
        );
    }
    let names: Vec<String> = packages.iter().map(MainPackage::binary_name).collect();
    BuildOutput {
        layers: vec![ContributedLayer {
            name: "app".into(),
            description: format!("{} (Go binaries, {go_version})", names.join(", ")),
            content,
        }],
        processes,
        launch_env: vec![],
        port: Some(DEFAULT_PORT),
        labels: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_default_to_every_package() {
        assert_eq!(targets_from_env(&[]), vec!["./..."]);
        let env = vec![(
            "BP_GO_TARGETS".to_string(),
            "./cmd/api:./cmd/worker".to_string(),
        )];
        assert_eq!(targets_from_env(&env), vec!["./cmd/api", "./cmd/worker"]);
    }

    #[test]
    fn detects_go_mod_only() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!GoBuildpack.detect(dir.path()));
        std::fs::write(dir.path().join("go.mod"), "module x\n").unwrap();
        assert!(GoBuildpack.detect(dir.path()));
    }
}
