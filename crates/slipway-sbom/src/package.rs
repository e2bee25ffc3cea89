//! One package an image contains, whatever ecosystem it comes from.

use slipway_oci::Digest;

/// A package found in an image: a Debian package from a dpkg status entry, or one a buildpack
/// declared (a Go module). Both SBOM writers take a list of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The package's name in its ecosystem: `libc6`, `github.com/google/uuid`.
    pub name: String,
    /// Its version exactly as the ecosystem spells it: `2.41-12`, `1:2.3-4`, `v1.6.0`.
    pub version: String,
    /// The ecosystem, with what only that ecosystem knows.
    pub kind: PackageKind,
    /// Declared licences, each an SPDX licence expression: usually a single SPDX id, a
    /// `LicenseRef-…` when the licence has no SPDX id, or a compound such as
    /// `Artistic-1.0-Perl OR GPL-1.0-or-later`. Sorted; empty when none is known.
    pub licenses: Vec<String>,
    /// The package URL that scanners match vulnerabilities on: `pkg:deb/debian/libc6@2.41-12?…`.
    pub purl: String,
    /// Who supplies the package: a Debian package's `Maintainer` (`Name <email>`).
    pub supplier: Option<String>,
    /// The `diff_id` of the layer the package's record was found in (the digest a config's rootfs
    /// and syft name a layer by; unlike the blob digest it survives recompression). `None` for
    /// packages declared in an image label, which belong to no one layer.
    pub found_in_layer: Option<Digest>,
}

/// The ecosystem a [`Package`] comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageKind {
    /// A Debian binary package, from a dpkg status entry.
    Debian {
        /// The `Architecture` field: `amd64`, `arm64`, `all`.
        arch: String,
        /// The source package's name and version, when the `Source` field names one; its version
        /// is the binary's own when the field gives none.
        source: Option<(String, String)>,
    },
    /// A Go module compiled into a binary (or the Go standard library, named `stdlib`).
    GoModule,
    /// Any other ecosystem a buildpack declares, known by its purl type (`maven`, `npm`, `pypi`).
    Other {
        /// The purl type.
        purl_type: String,
    },
}

impl PackageKind {
    /// The purl type of this ecosystem: `deb`, `golang`, or the declared one.
    #[must_use]
    pub fn purl_type(&self) -> &str {
        match self {
            PackageKind::Debian { .. } => "deb",
            PackageKind::GoModule => "golang",
            PackageKind::Other { purl_type } => purl_type,
        }
    }

    /// The kind a purl names: `pkg:golang/…` is a Go module; every other type is [`Self::Other`]
    /// (a Debian package needs its status entry, which a purl does not carry in full).
    #[must_use]
    pub fn from_purl(purl: &str) -> Self {
        match crate::purl::purl_type(purl) {
            "golang" => PackageKind::GoModule,
            other => PackageKind::Other {
                purl_type: other.to_string(),
            },
        }
    }
}

/// Sorts packages by name, version and purl and drops repeated purls, so that the same image
/// gives the same list, and so the same SBOM bytes.
pub(crate) fn sort_and_dedup(packages: &mut Vec<Package>) {
    packages.sort_by(|a, b| (&a.name, &a.version, &a.purl).cmp(&(&b.name, &b.version, &b.purl)));
    packages.dedup_by(|a, b| a.purl == b.purl);
}
