//! The stack lockfile (`slipway.lock`): every Debian package of a stack, pinned by version and
//! sha256, so that the same lockfile gives the same image on any machine and any day.
//!
//! Users commit it, as they commit `Cargo.lock`; `slipway stack update` re-resolves it and
//! prints what changed. The bytes are canonical (fixed key order, packages sorted by name), so
//! a lockfile that did not change does not show up in a diff and [`Lockfile::digest`] can name it.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use slipway_oci::digest::{Digest, sha256_digest};

use crate::index::SuiteIndex;
use crate::resolve::Resolved;

/// The lockfile format this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The comment at the top of every lockfile.
const HEADER_COMMENT: &str = "# This file is written by slipway (`slipway stack resolve` and `slipway stack update`).\n\
# It pins every Debian package of the stack; commit it, and do not edit it by hand.\n";

/// Why a lockfile could not be read, or no longer matches the mirror.
#[derive(Debug, thiserror::Error)]
pub enum LockfileError {
    /// The text is not a lockfile.
    #[error(
        "the lockfile is not valid TOML for slipway: fix it or delete it and run `slipway stack resolve`"
    )]
    Parse(#[source] toml::de::Error),
    /// The lockfile was written by a newer slipway.
    #[error(
        "the lockfile has format version {found}, but this slipway reads version {FORMAT_VERSION}: \
         upgrade slipway, or run `slipway stack resolve` to write it again"
    )]
    Version {
        /// The version in the file.
        found: u32,
    },
    /// The lockfile could not be written as TOML (a bug: every field is a plain value).
    #[error("cannot write the lockfile as TOML")]
    Serialize(#[source] toml::ser::Error),
    /// Packages of the lockfile are no longer served by the mirror.
    #[error(
        "the mirror no longer serves {} locked package(s): {}; run `slipway stack update` to \
         re-resolve the lockfile against the current indexes",
        packages.len(),
        packages.join(", ")
    )]
    NotServed {
        /// `name version (suite)` of each package that is gone.
        packages: Vec<String>,
    },
}

/// One pinned package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockedPackage {
    /// The package name.
    pub name: String,
    /// The exact version.
    pub version: String,
    /// `amd64`, `arm64` or `all`.
    pub architecture: String,
    /// The suite that served it: `trixie`, `trixie-updates` or `trixie-security`.
    pub suite: String,
    /// The `.deb`'s path below the suite's mirror (see `Mirrors::base_for_suite`).
    pub filename: String,
    /// The `.deb`'s size in bytes.
    pub size: u64,
    /// The `.deb`'s SHA-256, lower-case hex: checked before the package is used.
    pub sha256: String,
    /// The source package, for the SBOM's licences and provenance.
    pub source: String,
    /// The source package's version (differs from `version` for binNMUs).
    pub source_version: String,
}

/// A stack lockfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lockfile {
    /// The format version ([`FORMAT_VERSION`]).
    pub version: u32,
    /// The stack's name, such as `debian-13`.
    pub stack: String,
    /// The Debian release's codename, such as `trixie`.
    pub release: String,
    /// The architecture, such as `amd64`.
    pub architecture: String,
    /// The suites the packages were resolved from.
    pub suites: Vec<String>,
    /// Named subsets of the packages (set name -> package names), for lockfiles that pin
    /// several images at once: a stack's run image, each flavor, and its build image.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub sets: std::collections::BTreeMap<String, Vec<String>>,
    /// The packages, sorted by name.
    #[serde(rename = "package", default)]
    pub packages: Vec<LockedPackage>,
}

/// How one package differs between two lockfiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The package name.
    pub name: String,
    /// Its version in the old lockfile (`None`: added).
    pub old: Option<String>,
    /// Its version in the new lockfile (`None`: removed).
    pub new: Option<String>,
}

impl fmt::Display for Change {
    /// `libssl3t64 3.5.1-1 -> 3.5.1-1+deb13u1`, `+ foo 1.0`, `- bar 2.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.old, &self.new) {
            (Some(old), Some(new)) => write!(f, "{} {old} -> {new}", self.name),
            (None, Some(new)) => write!(f, "+ {} {new}", self.name),
            (Some(old), None) => write!(f, "- {} {old}", self.name),
            (None, None) => write!(f, "{}", self.name),
        }
    }
}

impl Lockfile {
    /// A lockfile for a resolution.
    #[must_use]
    pub fn from_resolved(
        stack: &str,
        release: &str,
        architecture: &str,
        suites: &[String],
        resolved: &[Resolved],
    ) -> Self {
        let packages = resolved
            .iter()
            .map(|r| LockedPackage {
                name: r.entry.name.clone(),
                version: r.entry.version.clone(),
                architecture: r.entry.architecture.clone(),
                suite: r.suite.clone(),
                filename: r.entry.filename.clone(),
                size: r.entry.size,
                sha256: r.entry.sha256.clone(),
                source: r.entry.source_name().to_owned(),
                source_version: r.entry.source_version().to_owned(),
            })
            .collect();
        let mut lockfile = Self {
            version: FORMAT_VERSION,
            stack: stack.to_owned(),
            release: release.to_owned(),
            architecture: architecture.to_owned(),
            suites: suites.to_vec(),
            sets: std::collections::BTreeMap::new(),
            packages,
        };
        lockfile.canonicalize();
        lockfile
    }

    /// Reads a lockfile.
    pub fn parse(text: &str) -> Result<Self, LockfileError> {
        let mut lockfile: Self = toml::from_str(text).map_err(LockfileError::Parse)?;
        if lockfile.version > FORMAT_VERSION {
            return Err(LockfileError::Version {
                found: lockfile.version,
            });
        }
        lockfile.canonicalize();
        Ok(lockfile)
    }

    /// The canonical text: the same lockfile always gives the same bytes.
    pub fn to_toml(&self) -> Result<String, LockfileError> {
        let mut canonical = self.clone();
        canonical.canonicalize();
        let body = toml::to_string(&canonical).map_err(LockfileError::Serialize)?;
        Ok(format!("{HEADER_COMMENT}\n{body}"))
    }

    /// The SHA-256 of the canonical text: recorded in images, so that an image says exactly
    /// which package set it was built from.
    pub fn digest(&self) -> Result<Digest, LockfileError> {
        Ok(sha256_digest(self.to_toml()?.as_bytes()))
    }

    /// The package called `name`.
    #[must_use]
    pub fn package(&self, name: &str) -> Option<&LockedPackage> {
        self.packages.iter().find(|package| package.name == name)
    }

    /// What changed from `old` to `new`, by package name (what `slipway stack update` prints).
    #[must_use]
    pub fn diff(old: &Lockfile, new: &Lockfile) -> Vec<Change> {
        let mut versions: BTreeMap<&str, (Option<&str>, Option<&str>)> = BTreeMap::new();
        for package in &old.packages {
            versions.entry(&package.name).or_default().0 = Some(&package.version);
        }
        for package in &new.packages {
            versions.entry(&package.name).or_default().1 = Some(&package.version);
        }
        versions
            .into_iter()
            .filter(|(_, (old, new))| old != new)
            .map(|(name, (old, new))| Change {
                name: name.to_owned(),
                old: old.map(str::to_owned),
                new: new.map(str::to_owned),
            })
            .collect()
    }

    /// Checks that the mirror still serves every locked `.deb`: each entry's filename and
    /// sha256 must appear in one of `indexes`. Debian drops superseded versions from its
    /// indexes (security fixes replace the previous fix), so an old lockfile eventually names
    /// files that are gone; the error says to re-resolve.
    pub fn check_served(&self, indexes: &[SuiteIndex]) -> Result<(), LockfileError> {
        let served: HashSet<(&str, &str)> = indexes
            .iter()
            .flat_map(|index| &index.packages)
            .map(|entry| (entry.filename.as_str(), entry.sha256.as_str()))
            .collect();
        let missing: Vec<String> = self
            .packages
            .iter()
            .filter(|package| {
                !served.contains(&(package.filename.as_str(), package.sha256.as_str()))
            })
            .map(|package| format!("{} {} ({})", package.name, package.version, package.suite))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(LockfileError::NotServed { packages: missing })
        }
    }

    /// Sorts what has an order that does not matter, so equal lockfiles are equal bytes.
    fn canonicalize(&mut self) {
        self.packages
            .sort_by(|a, b| (&a.name, &a.architecture).cmp(&(&b.name, &b.architecture)));
    }
}

#[cfg(test)]
mod tests;
