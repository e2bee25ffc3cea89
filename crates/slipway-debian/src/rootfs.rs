//! Debian packages turned into an image's root filesystem: deterministic layers, made the way
//! distroless makes its images, without running any maintainer script.
//!
//! What [`RootfsBuilder`] does by hand, because no `postinst` runs:
//!
//! - **Merged `/usr`.** Paths under `/bin`, `/sbin`, `/lib`, `/lib32`, `/lib64` and `/libx32` move
//!   to `/usr/...`, and the image gets the links `/bin -> usr/bin`, `/sbin -> usr/sbin`,
//!   `/lib -> usr/lib` and `/lib64 -> usr/lib64` (and `/lib32`, `/libx32` when a package uses
//!   them), as on any Debian system since 12. Likewise `/var/run -> /run` and
//!   `/var/lock -> /run/lock` (base-files' postinst). Absolute link targets (`/bin/sh`) keep
//!   working through those links; relative ones that the move broke are recomputed, and a
//!   compatibility link that the merge lands on its own target is dropped.
//! - **Hard links** become copies of the file they link to: layers stay plain, and nothing reads
//!   link counts in a runtime image.
//! - **Left out**, as distroless leaves them out: `/usr/share/doc` except each package's
//!   `copyright` (the licences an SBOM reports), `/usr/share/man`, `/usr/share/info`,
//!   `/usr/share/lintian`, `/usr/share/doc-base`, and `/usr/share/locale` unless
//!   [`RootfsOptions::keep_locales`] (translated messages only). Device nodes are skipped.
//! - **Owners.** Directories keep their owners; files are root-owned, and a file a package gives
//!   another owner loses its setuid and setgid bits (reported in [`Rootfs::notes`]).
//! - **dpkg status**: `/var/lib/dpkg/status.d/<name>` per package, its control paragraph with
//!   `Status: install ok installed` in dpkg's field order, in the layer of the package's group.
//!   File lists and md5sums are not written.
//! - **Generated files** in a last, small layer: `/etc/passwd` and `/etc/group` (root, nobody and
//!   the app user, by default `cnb` 1000:1000 with home `/home/cnb`), `/home/cnb` and `/workspace`
//!   owned by the app user, `/tmp` (1777), `/etc/ssl/certs/ca-certificates.crt` (every `.crt` of
//!   the ca-certificates package in sorted order, then the caller's extra CAs, as
//!   `update-ca-certificates` makes it) with OpenSSL's `/usr/lib/ssl/cert.pem` link to it, the
//!   Java keystore `/etc/ssl/certs/java/cacerts` from the same CAs, `/etc/localtime` and
//!   `/etc/timezone` (UTC) when tzdata is there, `/etc/os-release` (a link to
//!   `../usr/lib/os-release` unless base-files ships it), `/etc/nsswitch.conf` (libc-bin's
//!   default, else distroless's), `/etc/dpkg/origins/default`, and a JRE's `/etc/.java`.
//!   Not made: `update-alternatives` links (pass them in [`RootfsOptions::symlinks`]), the
//!   `/etc/ssl/certs/*.pem` and hash links of `c_rehash` (OpenSSL, Go, Python and Java read the
//!   bundle or the keystore), `ld.so.cache` (glibc searches the multiarch directories anyway).
//!
//! Layers follow the groups packages are added in: one layer per group (the base set, then e.g.
//! a flavor's runtime), each holding only what its own packages ship, so that the base layer's
//! digest does not change when a runtime does; then the generated layer. A path that two
//! packages ship goes to the later one (by group, then by the order packages were added) and is
//! listed in [`Rootfs::overwrites`]. The same packages and options give the same bytes.

use slipway_oci::{LayerBuilder, LayerError, UncompressedLayer};

use crate::deb::{Deb, DebError};

pub mod certs;
mod generated;
mod paths;
pub mod status;
mod tree;

pub use certs::{CaFile, CertError};
pub use generated::JAVA_CACERTS_TARGET;

use generated::{View, generate};
use paths::{ALIASES, ALWAYS_LINKED};
use tree::{Findings, Node, Tree};

/// Errors while turning packages into layers.
#[derive(Debug, thiserror::Error)]
pub enum RootfsError {
    /// A package could not be read.
    #[error(transparent)]
    Deb(#[from] DebError),
    /// The same package was added twice.
    #[error("package {name} was added twice (groups {first} and {second})")]
    DuplicatePackage {
        /// Package name.
        name: String,
        /// The group it was first added to.
        first: String,
        /// The group it was added to again.
        second: String,
    },
    /// A CA file the caller gave (`--ca-certs`) is not PEM certificates.
    #[error("reading the extra CA certificates")]
    ExtraCa(#[source] CertError),
    /// A certificate of the ca-certificates package could not be read.
    #[error("reading the ca-certificates package's certificates")]
    PackagedCa(#[source] CertError),
    /// Writing a layer failed.
    #[error("writing a root filesystem layer")]
    Layer(#[from] LayerError),
}

/// Whether the Java keystore `/etc/ssl/certs/java/cacerts` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JavaTrustStore {
    /// When a package (a Debian JRE) links its `lib/security/cacerts` to that path.
    #[default]
    Auto,
    /// Always (when there are CA certificates).
    Always,
    /// Never.
    Never,
}

/// The non-root user apps run as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppUser {
    /// User and group name.
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Home directory, created owned by the user.
    pub home: String,
}

impl Default for AppUser {
    /// `cnb`, 1000:1000, home `/home/cnb`: the Cloud Native Buildpacks convention.
    fn default() -> Self {
        Self {
            name: "cnb".into(),
            uid: 1000,
            gid: 1000,
            home: "/home/cnb".into(),
        }
    }
}

/// The version of how packages become a root filesystem: part of every cache key made from a
/// rootfs, so that a change here (a file newly left out, say) is never hidden by a cached layer
/// made the old way.
pub const ROOTFS_FORMAT: u32 = 2;

/// What the root filesystem gets beyond the packages' own files.
#[derive(Debug, Clone, Default)]
pub struct RootfsOptions {
    /// Extra CA certificates (enterprise CAs, `--ca-certs FILE`): added to the PEM bundle and to
    /// the Java keystore after the packaged ones. Only their certificates are copied.
    pub extra_cas: Vec<CaFile>,
    /// `/etc/os-release` text replacing base-files' (e.g. to name a derived distribution).
    pub os_release: Option<String>,
    /// When to write the Java keystore.
    pub java_truststore: JavaTrustStore,
    /// Keep `/usr/share/locale` (message translations).
    pub keep_locales: bool,
    /// The app user.
    pub user: AppUser,
    /// Extra symbolic links in the generated layer, (path, target): what `update-alternatives`
    /// would have made, e.g. `/usr/bin/java`.
    pub symlinks: Vec<(String, String)>,
    /// Timestamp of every entry; `None` for `slipway_oci`'s reproducible default.
    pub epoch: Option<u64>,
}

/// Collects packages by layer group, then builds the layers.
#[derive(Debug, Clone, Default)]
pub struct RootfsBuilder {
    options: RootfsOptions,
    groups: Vec<(String, Vec<Deb>)>,
}

/// A package in the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledPackage {
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Architecture (`amd64`, `all`, ...).
    pub architecture: String,
    /// The layer group it is in.
    pub group: String,
}

/// A path two packages ship; the image has the winner's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overwrite {
    /// The path in the image.
    pub path: String,
    /// The package whose file the image has.
    pub winner: String,
    /// The package whose file was replaced.
    pub loser: String,
}

/// One layer and what it holds.
#[derive(Debug, Clone)]
pub struct RootfsLayer {
    /// The layer's tar and `diff_id`.
    pub layer: UncompressedLayer,
    /// The group it was built from; `None` for the generated layer.
    pub group: Option<String>,
    /// A one-line description for reports and the image history.
    pub holds: String,
}

/// The layers of a root filesystem and what went into them.
#[derive(Debug, Clone)]
pub struct Rootfs {
    /// Group layers in the order groups were first used, then the generated layer.
    pub layers: Vec<RootfsLayer>,
    /// Every package, by group and then in the order added.
    pub packages: Vec<InstalledPackage>,
    /// Paths shipped by two packages, and which won.
    pub overwrites: Vec<Overwrite>,
    /// Things done differently from dpkg that a careful reader wants to know (ownership dropped,
    /// hard links to left-out files, device nodes).
    pub notes: Vec<String>,
}

impl RootfsBuilder {
    /// A builder with these options and no packages.
    #[must_use]
    pub fn new(options: RootfsOptions) -> Self {
        Self {
            options,
            groups: Vec::new(),
        }
    }

    /// Adds a package to a layer group (e.g. `base`, `java-21`). Groups become layers in the
    /// order they are first used; within a group, a later package wins a path both ship.
    pub fn add_deb(&mut self, deb: Deb, group: &str) -> &mut Self {
        match self.groups.iter_mut().find(|(name, _)| name == group) {
            Some((_, debs)) => debs.push(deb),
            None => self.groups.push((group.to_string(), vec![deb])),
        }
        self
    }

    /// Unpacks every package and writes the layers.
    pub fn build(&self) -> Result<Rootfs, RootfsError> {
        let packages = self.packages()?;
        let names: Vec<String> = packages.iter().map(|p| p.name.clone()).collect();
        let mut findings = Findings::default();
        let mut trees = Vec::with_capacity(self.groups.len());
        for group in self.unpack_groups(&names) {
            let (tree, found) = group?;
            findings.overwrites.extend(found.overwrites);
            findings.notes.extend(found.notes);
            findings.aliases_used.extend(found.aliases_used);
            trees.push(tree);
        }
        add_alias_links(&mut trees, &findings);
        cross_group_overwrites(&trees, &names, &mut findings);

        let epoch = self
            .options
            .epoch
            .unwrap_or_else(slipway_oci::tar_writer::reproducible_epoch);
        let generated = generate(&View { trees: &trees }, &self.options, epoch)?;
        findings.notes.extend(generated.notes);

        let mut layers = Vec::with_capacity(trees.len() + 1);
        for ((group, debs), tree) in self.groups.iter().zip(trees) {
            let mut builder = LayerBuilder::with_epoch(epoch);
            tree.into_layer(&mut builder);
            let listed: Vec<&str> = debs.iter().map(Deb::name).collect();
            layers.push(RootfsLayer {
                layer: builder.build()?,
                group: Some(group.clone()),
                holds: format!(
                    "{group}: {} Debian packages ({})",
                    debs.len(),
                    listed.join(", ")
                ),
            });
        }
        layers.push(RootfsLayer {
            layer: generated.layer.build()?,
            group: None,
            holds: format!("generated: {}", generated.holds.join(", ")),
        });
        Ok(Rootfs {
            layers,
            packages,
            overwrites: findings.overwrites,
            notes: findings.notes,
        })
    }

    /// Each group's tree, unpacked on a thread per group (decompressing xz dominates a cold
    /// build, and a JRE group is as big as the rest); results in group order.
    fn unpack_groups(&self, names: &[String]) -> Vec<Result<(Tree, Findings), DebError>> {
        let keep_locales = self.options.keep_locales;
        std::thread::scope(|scope| {
            let mut first = 0;
            let handles: Vec<_> = self
                .groups
                .iter()
                .map(|(_, debs)| {
                    let start = first;
                    first += debs.len();
                    scope.spawn(move || unpack_group(debs, start, names, keep_locales))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    }

    fn packages(&self) -> Result<Vec<InstalledPackage>, RootfsError> {
        let mut packages: Vec<InstalledPackage> = Vec::new();
        for (group, debs) in &self.groups {
            for deb in debs {
                if let Some(first) = packages.iter().find(|p| p.name == deb.name()) {
                    return Err(RootfsError::DuplicatePackage {
                        name: deb.name().to_string(),
                        first: first.group.clone(),
                        second: group.clone(),
                    });
                }
                packages.push(InstalledPackage {
                    name: deb.name().to_string(),
                    version: deb.version().to_string(),
                    architecture: deb.architecture().to_string(),
                    group: group.clone(),
                });
            }
        }
        Ok(packages)
    }
}

/// One group's packages, numbered from `first`, with their status entries.
fn unpack_group(
    debs: &[Deb],
    first: usize,
    names: &[String],
    keep_locales: bool,
) -> Result<(Tree, Findings), DebError> {
    let mut tree = Tree::default();
    let mut findings = Findings::default();
    for (index, deb) in (first..).zip(debs) {
        tree.add_package(deb, index, names, keep_locales, &mut findings)?;
        tree.insert_own(
            &status::status_path(deb.name()),
            Node::File {
                mode: 0o644,
                contents: status::status_entry(deb.control()).into_bytes(),
            },
        );
    }
    Ok((tree, findings))
}

/// The merged-`/usr` and `/run` links: the ones every image has go into the first group's layer;
/// one that only some package needs (`/lib32`) goes into the layer of the first group using it,
/// so that no group's layer depends on a later group.
fn add_alias_links(trees: &mut [Tree], findings: &Findings) {
    let Some(first) = trees.first_mut() else {
        return;
    };
    for (alias, _, link) in ALIASES {
        if ALWAYS_LINKED.contains(&alias) {
            first.insert_own(
                alias,
                Node::Symlink {
                    target: link.into(),
                },
            );
        }
    }
    first.insert_own(
        "run",
        Node::Dir {
            mode: 0o755,
            owner: (0, 0),
        },
    );
    first.insert_own(
        "run/lock",
        Node::Dir {
            mode: 0o1777,
            owner: (0, 0),
        },
    );
    for alias in &findings.aliases_used {
        if ALWAYS_LINKED.contains(alias) {
            continue;
        }
        let (_, real, link) = ALIASES
            .iter()
            .find(|(a, _, _)| a == alias)
            .copied()
            .unwrap_or((alias, alias, alias));
        if let Some(tree) = trees
            .iter_mut()
            .find(|t| t.entries.keys().any(|p| p.starts_with(&format!("{real}/"))))
        {
            tree.insert_own(
                alias,
                Node::Symlink {
                    target: link.into(),
                },
            );
        }
    }
}

/// A later group's layer hides what an earlier group's layer has at the same path: reported like
/// an overwrite within a group.
fn cross_group_overwrites(trees: &[Tree], names: &[String], findings: &mut Findings) {
    for (later_index, later) in trees.iter().enumerate().skip(1) {
        for (path, placed) in &later.entries {
            let earlier = trees[..later_index]
                .iter()
                .rev()
                .find_map(|t| t.entries.get(path));
            let Some(earlier) = earlier else { continue };
            if (earlier.node.is_dir() && placed.node.is_dir()) || earlier.node == placed.node {
                continue;
            }
            let name = |p: Option<usize>| p.map_or("slipway", |i| names[i].as_str()).to_string();
            findings.overwrites.push(Overwrite {
                path: format!("/{path}"),
                winner: name(placed.package),
                loser: name(earlier.package),
            });
        }
    }
}

#[cfg(test)]
#[path = "rootfs/tests.rs"]
mod tests;
