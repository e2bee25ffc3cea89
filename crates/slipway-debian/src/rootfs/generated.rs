//! The files maintainer scripts and the system's administrator would have made, made here: the
//! users, the CA bundle and Java keystore, the time zone, `/etc/os-release`.

use std::path::Path;

use slipway_oci::LayerBuilder;

use super::certs::{CaFile, ca_bundle, java_keystore, pem_block};
use super::tree::{Node, Tree};
use super::{AppUser, JavaTrustStore, RootfsError, RootfsOptions};

/// What the generated layer holds, for the caller's report.
pub(crate) struct Generated {
    pub(crate) layer: LayerBuilder,
    pub(crate) holds: Vec<String>,
    pub(crate) notes: Vec<String>,
}

/// The image's files, later groups over earlier ones, for looking things up.
pub(crate) struct View<'a> {
    pub(crate) trees: &'a [Tree],
}

impl View<'_> {
    fn get(&self, path: &str) -> Option<&Node> {
        self.trees
            .iter()
            .rev()
            .find_map(|t| t.entries.get(path))
            .map(|p| &p.node)
    }

    fn file(&self, path: &str) -> Option<&[u8]> {
        match self.get(path) {
            Some(Node::File { contents, .. }) => Some(contents),
            _ => None,
        }
    }

    /// Every `.crt` under `usr/share/ca-certificates`, sorted by path as the ca-certificates
    /// postinst sorts them into `/etc/ca-certificates.conf`.
    fn packaged_cas(&self) -> Vec<CaFile> {
        let prefix = "usr/share/ca-certificates/";
        let mut found = std::collections::BTreeMap::new();
        for tree in self.trees {
            for (path, placed) in tree.entries.range(prefix.to_string()..) {
                if !path.starts_with(prefix) {
                    break;
                }
                if let (true, Node::File { contents, .. }) = (
                    Path::new(path).extension().is_some_and(|e| e == "crt"),
                    &placed.node,
                ) {
                    found.insert(path.clone(), contents.clone());
                }
            }
        }
        found
            .into_iter()
            .map(|(path, pem)| {
                let name = path.rsplit('/').next().unwrap_or(&path).to_string();
                CaFile::debian(&name, pem)
            })
            .collect()
    }

    /// Whether a package links a JRE's `lib/security/cacerts` to Debian's keystore path.
    fn has_java(&self) -> bool {
        self.trees.iter().any(|t| {
            t.entries.iter().any(|(path, placed)| {
                path.ends_with("/lib/security/cacerts")
                    && matches!(&placed.node, Node::Symlink { target } if target == JAVA_CACERTS_TARGET)
            })
        })
    }
}

/// Where Debian's JREs expect the keystore (their `lib/security/cacerts` links here).
pub const JAVA_CACERTS_TARGET: &str = "/etc/ssl/certs/java/cacerts";

pub(crate) fn generate(
    view: &View<'_>,
    options: &RootfsOptions,
    epoch: u64,
) -> Result<Generated, RootfsError> {
    let mut out = Generated {
        layer: LayerBuilder::with_epoch(epoch),
        holds: Vec::new(),
        notes: Vec::new(),
    };
    users(&mut out, &options.user);
    certificates(&mut out, view, options, epoch)?;
    system_files(&mut out, view, options);
    if view.has_java() {
        // The JRE's postinst: where java.util.prefs keeps system preferences.
        out.layer
            .dir("etc/.java", 0o755)
            .dir("etc/.java/.systemPrefs", 0o755);
    }
    for (path, target) in &options.symlinks {
        out.layer.symlink(path, target);
        out.holds.push(format!("{} -> {target}", absolute(path)));
    }
    Ok(out)
}

fn users(out: &mut Generated, user: &AppUser) {
    let AppUser {
        name,
        uid,
        gid,
        home,
    } = user;
    let passwd = format!(
        "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n{name}:x:{uid}:{gid}:{name}:{}:/sbin/nologin\n",
        absolute(home)
    );
    let group = format!("root:x:0:\nnogroup:x:65534:\n{name}:x:{gid}:\n");
    out.layer
        .file("etc/passwd", 0o644, passwd)
        .file("etc/group", 0o644, group)
        .dir("root", 0o700)
        .dir_owned(home, 0o755, (u64::from(*uid), u64::from(*gid)))
        .dir("tmp", 0o1777)
        .dir_owned("workspace", 0o755, (u64::from(*uid), u64::from(*gid)));
    out.holds.push(format!(
        "/etc/passwd and /etc/group (root, nobody, {name} {uid}:{gid})"
    ));
}

fn certificates(
    out: &mut Generated,
    view: &View<'_>,
    options: &RootfsOptions,
    epoch: u64,
) -> Result<(), RootfsError> {
    let mut files = view.packaged_cas();
    let packaged = files.len();
    for extra in &options.extra_cas {
        // Only the certificates go into the image: a key pasted into the same file must not.
        let certs = extra.certificates().map_err(RootfsError::ExtraCa)?;
        let pem: String = certs.iter().map(|der| pem_block(der)).collect();
        files.push(CaFile {
            alias: extra.alias.clone(),
            pem: pem.into_bytes(),
        });
    }
    let java = match options.java_truststore {
        JavaTrustStore::Auto => view.has_java(),
        JavaTrustStore::Always => true,
        JavaTrustStore::Never => false,
    };
    if files.is_empty() {
        if java {
            out.notes
                .push("no CA certificates (no ca-certificates package): no Java keystore".into());
        }
        return Ok(());
    }
    out.layer.file(
        "etc/ssl/certs/ca-certificates.crt",
        0o644,
        ca_bundle(&files),
    );
    out.holds.push(format!(
        "/etc/ssl/certs/ca-certificates.crt ({packaged} packaged + {} extra CA files)",
        options.extra_cas.len()
    ));
    if view.get("usr/lib/ssl/cert.pem").is_none() {
        // OpenSSL's default CA file (Python's ssl module reads it), which the openssl package
        // would have linked here.
        out.layer
            .symlink("usr/lib/ssl/cert.pem", "/etc/ssl/certs/ca-certificates.crt");
    }
    if java {
        let created_ms = epoch.saturating_mul(1000);
        let keystore = java_keystore(&files, created_ms).map_err(RootfsError::PackagedCa)?;
        out.layer
            .file(JAVA_CACERTS_TARGET.trim_start_matches('/'), 0o644, keystore);
        out.holds.push(format!("{JAVA_CACERTS_TARGET} (JKS)"));
    }
    Ok(())
}

fn system_files(out: &mut Generated, view: &View<'_>, options: &RootfsOptions) {
    if let Some(text) = &options.os_release {
        out.layer.file("etc/os-release", 0o644, text.clone());
        out.holds.push("/etc/os-release (given)".into());
    } else if view.get("etc/os-release").is_none() && view.get("usr/lib/os-release").is_some() {
        out.layer.symlink("etc/os-release", "../usr/lib/os-release");
        out.holds
            .push("/etc/os-release -> ../usr/lib/os-release".into());
    }
    if view.get("usr/share/zoneinfo/Etc/UTC").is_some() {
        out.layer
            .symlink("etc/localtime", "/usr/share/zoneinfo/Etc/UTC")
            .file("etc/timezone", 0o644, "Etc/UTC\n");
        out.holds
            .push("/etc/localtime and /etc/timezone (UTC)".into());
    }
    if view.get("etc/nsswitch.conf").is_none() {
        // libc-bin's postinst copies its default; without any, glibc asks DNS before /etc/hosts.
        let text = view
            .file("usr/share/libc-bin/nsswitch.conf")
            .map_or_else(|| DEFAULT_NSSWITCH.as_bytes().to_vec(), <[u8]>::to_vec);
        out.layer.file("etc/nsswitch.conf", 0o644, text);
        out.holds.push("/etc/nsswitch.conf".into());
    }
    if view.get("etc/dpkg/origins/debian").is_some()
        && view.get("etc/dpkg/origins/default").is_none()
    {
        // base-files' postinst: tools read the vendor from origins/default.
        out.layer.symlink("etc/dpkg/origins/default", "debian");
    }
}

/// What distroless ships: files first, so `/etc/hosts` answers `localhost` without DNS.
const DEFAULT_NSSWITCH: &str = "passwd:         files\ngroup:          files\nshadow:         files\nhosts:          files dns\nnetworks:       files\nprotocols:      files\nservices:       files\nethers:         files\nrpc:            files\n";

fn absolute(path: &str) -> String {
    format!("/{}", path.trim_start_matches('/'))
}
