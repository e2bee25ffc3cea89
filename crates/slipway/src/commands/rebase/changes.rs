//! Which packages a rebase changes: the flavor set of the old run image's lockfile against the
//! new one's, both found by the digest the run images record (kept whenever a run image is made).

use std::collections::BTreeMap;

use serde_json::json;
use slipway_debian::lockfile::{Change, LockedPackage};
use slipway_lifecycle::metadata::RunImageRecord;
use slipway_stack::debian::{DebianSource, flavor_set, set_packages};

/// The package changes of one rebase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PackageChanges {
    /// Both lockfiles were found: these packages changed (added and removed ones included).
    Known(Vec<Change>),
    /// A lockfile is not in this machine's cache, so the changes cannot be told.
    Unknown(&'static str),
}

/// Why the old lockfile cannot be found.
const OLD_UNKNOWN: &str = "package changes unknown: the old lockfile is not in this cache";
/// Why the new lockfile cannot be found.
const NEW_UNKNOWN: &str = "package changes unknown: the new lockfile is not in this cache";

impl PackageChanges {
    /// The changes between the run images `old` and `new` record. Run images without a lockfile
    /// (the scratch stack) have no packages: nothing changed.
    pub(super) fn between(
        source: Option<&DebianSource>,
        old: Option<&RunImageRecord>,
        new: &RunImageRecord,
    ) -> Self {
        let Some(old) = old.filter(|o| !o.lockfile.is_empty()) else {
            return if new.lockfile.is_empty() {
                Self::Known(Vec::new())
            } else {
                Self::Unknown(OLD_UNKNOWN)
            };
        };
        let packages = |digest: &str, flavor: &str| {
            let lockfile = source?.lockfile_by_digest(digest)?;
            set_packages(&lockfile, &flavor_set(flavor)).ok()
        };
        let Some(before) = packages(&old.lockfile, &old.flavor) else {
            return Self::Unknown(OLD_UNKNOWN);
        };
        let Some(after) = packages(&new.lockfile, &new.flavor) else {
            return Self::Unknown(NEW_UNKNOWN);
        };
        Self::Known(diff(&before, &after))
    }

    /// One line per change (`  openssl 3.5.1-1 -> 3.5.4-1~deb13u1`), or why they are unknown.
    pub(super) fn lines(&self) -> Vec<String> {
        match self {
            Self::Known(changes) => changes.iter().map(|c| format!("  {c}")).collect(),
            Self::Unknown(why) => vec![format!("  {why}")],
        }
    }

    /// `[{package, from, to}]` (`null` for an added package's `from` or a removed one's `to`),
    /// or `null` when unknown.
    pub(super) fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Known(changes) => changes
                .iter()
                .map(|c| json!({"package": c.name, "from": c.old, "to": c.new}))
                .collect(),
            Self::Unknown(_) => serde_json::Value::Null,
        }
    }
}

/// What changed from `old` to `new`, by package name, in name order.
fn diff(old: &[LockedPackage], new: &[LockedPackage]) -> Vec<Change> {
    let mut versions: BTreeMap<&str, (Option<&str>, Option<&str>)> = BTreeMap::new();
    for package in old {
        versions.entry(&package.name).or_default().0 = Some(&package.version);
    }
    for package in new {
        versions.entry(&package.name).or_default().1 = Some(&package.version);
    }
    versions
        .into_iter()
        .filter(|(_, (before, after))| before != after)
        .map(|(name, (before, after))| Change {
            name: name.to_owned(),
            old: before.map(str::to_owned),
            new: after.map(str::to_owned),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(name: &str, version: &str) -> LockedPackage {
        LockedPackage {
            name: name.into(),
            version: version.into(),
            architecture: "amd64".into(),
            suite: "trixie".into(),
            filename: format!("pool/main/{name}.deb"),
            size: 1,
            sha256: "00".into(),
            source: name.into(),
            source_version: version.into(),
        }
    }

    fn record(lockfile: &str) -> RunImageRecord {
        RunImageRecord {
            stack: "debian-13".into(),
            flavor: "java-21-tomcat".into(),
            lockfile: lockfile.into(),
            ..RunImageRecord::default()
        }
    }

    #[test]
    fn updated_added_and_removed_packages_are_listed_by_name() {
        let old = [
            package("openssl", "3.5.1-1"),
            package("tzdata", "2025b-4"),
            package("zlib1g", "1:1.3"),
        ];
        let new = [
            package("libnew", "1.0"),
            package("openssl", "3.5.4-1~deb13u1"),
            package("zlib1g", "1:1.3"),
        ];
        let changes = PackageChanges::Known(diff(&old, &new));
        assert_eq!(
            changes.lines(),
            [
                "  + libnew 1.0",
                "  openssl 3.5.1-1 -> 3.5.4-1~deb13u1",
                "  - tzdata 2025b-4"
            ]
        );
        assert_eq!(
            changes.to_json()[1],
            json!({"package": "openssl", "from": "3.5.1-1", "to": "3.5.4-1~deb13u1"})
        );
        assert_eq!(changes.to_json()[0]["from"], serde_json::Value::Null);
    }

    #[test]
    fn the_same_packages_are_no_change() {
        let same = [package("openssl", "3.5.1-1")];
        assert!(diff(&same, &same).is_empty());
    }

    #[test]
    fn run_images_without_lockfiles_change_no_packages() {
        assert_eq!(
            PackageChanges::between(None, Some(&record("")), &record("")),
            PackageChanges::Known(Vec::new())
        );
    }

    #[test]
    fn a_lockfile_not_in_the_cache_makes_the_changes_unknown() {
        let unknown = PackageChanges::between(None, Some(&record("sha256:1")), &record("sha256:2"));
        assert_eq!(unknown, PackageChanges::Unknown(OLD_UNKNOWN));
        assert_eq!(
            unknown.lines(),
            ["  package changes unknown: the old lockfile is not in this cache"]
        );
        assert_eq!(unknown.to_json(), serde_json::Value::Null);
        assert_eq!(
            PackageChanges::between(None, None, &record("sha256:2")),
            PackageChanges::Unknown(OLD_UNKNOWN)
        );
    }
}
