//! Every package the resolver may choose from: real packages by name, highest version first
//! across the suites, and virtual packages by the real packages that provide them.

use std::cell::OnceCell;
use std::collections::HashMap;

use debian_control::lossy::{Relation, Relations};
use debian_control::relations::VersionConstraint;
use debversion::Version;

use super::ResolveError;
use crate::index::{PackageEntry, SuiteIndex};

/// A package that could be chosen: an index entry, the suite that serves it, its version.
#[derive(Debug, Clone)]
pub(super) struct Candidate<'a> {
    pub(super) entry: &'a PackageEntry,
    pub(super) suite: &'a str,
    pub(super) version: Version,
}

/// A package that provides a virtual name, with the version it provides (`Provides: x (= 1)`).
#[derive(Debug)]
pub(super) struct Provider<'a> {
    pub(super) candidate: Candidate<'a>,
    pub(super) version: Option<Version>,
}

/// The entries of one name, sorted on first use (versions are parsed only for names the
/// resolution touches: a handful of the 64 000 in an index).
#[derive(Default)]
struct NameSlot<'a> {
    entries: Vec<(&'a PackageEntry, &'a str)>,
    sorted: OnceCell<Vec<Candidate<'a>>>,
}

/// The packages of some suites for one architecture.
pub(super) struct Universe<'a> {
    pub(super) arch: &'a str,
    by_name: HashMap<&'a str, NameSlot<'a>>,
    /// Entries by the names their `Provides` lists. Only the names are read here (an index has
    /// some 70 000 provided names, mostly Rust crate features); a provider's field is parsed
    /// in full when its name is looked up.
    provided_by: HashMap<&'a str, Vec<(&'a PackageEntry, &'a str)>>,
}

impl<'a> Universe<'a> {
    /// Indexes `indexes` for `arch` (its own packages and `Architecture: all` ones).
    pub(super) fn new(indexes: &'a [SuiteIndex], arch: &'a str) -> Self {
        let mut by_name: HashMap<&str, NameSlot> = HashMap::with_capacity(80_000);
        let mut provided_by: HashMap<&str, Vec<_>> = HashMap::with_capacity(80_000);
        for index in indexes {
            let suite = index.suite_name.as_str();
            for entry in &index.packages {
                if entry.architecture != arch && entry.architecture != "all" {
                    continue;
                }
                by_name
                    .entry(entry.name.as_str())
                    .or_default()
                    .entries
                    .push((entry, suite));
                for name in provided_names(&entry.provides) {
                    provided_by.entry(name).or_default().push((entry, suite));
                }
            }
        }
        Self {
            arch,
            by_name,
            provided_by,
        }
    }

    /// The real packages called `name`, highest version first; for equal versions the suite
    /// listed first wins (the release over its -updates copy of the same file).
    pub(super) fn candidates(&self, name: &str) -> Result<&[Candidate<'a>], ResolveError> {
        let Some(slot) = self.by_name.get(name) else {
            return Ok(&[]);
        };
        if let Some(sorted) = slot.sorted.get() {
            return Ok(sorted);
        }
        let mut sorted = slot
            .entries
            .iter()
            .map(|&(entry, suite)| candidate(entry, suite))
            .collect::<Result<Vec<_>, _>>()?;
        sorted.sort_by(|a, b| b.version.cmp(&a.version));
        Ok(slot.sorted.get_or_init(|| sorted))
    }

    /// The packages that provide `name`, as candidates with the version they provide.
    pub(super) fn providers(&self, name: &str) -> Result<Vec<Provider<'a>>, ResolveError> {
        let Some(list) = self.provided_by.get(name) else {
            return Ok(Vec::new());
        };
        let mut providers = Vec::new();
        for &(entry, suite) in list {
            for relation in parse_relations(entry, "Provides", &entry.provides)?
                .0
                .into_iter()
                .flatten()
            {
                if relation.name != name {
                    continue;
                }
                let version = match relation.version {
                    Some((VersionConstraint::Equal, version)) => Some(version),
                    _ => None,
                };
                providers.push(Provider {
                    candidate: candidate(entry, suite)?,
                    version,
                });
            }
        }
        Ok(providers)
    }
}

/// The package names a `Provides` field lists, read just far enough to index them: each
/// comma-separated item up to its version or architecture. [`Universe::providers`] parses the
/// field properly once a name matches.
fn provided_names(provides: &str) -> impl Iterator<Item = &str> {
    provides.split(',').filter_map(|item| {
        item.split([' ', '\t', '(', ':'])
            .find(|word| !word.is_empty())
    })
}

/// A candidate with its parsed version.
fn candidate<'a>(entry: &'a PackageEntry, suite: &'a str) -> Result<Candidate<'a>, ResolveError> {
    let version = entry
        .version
        .parse()
        .map_err(|source| ResolveError::BadVersion {
            package: entry.name.clone(),
            version: entry.version.clone(),
            source,
        })?;
    Ok(Candidate {
        entry,
        suite,
        version,
    })
}

/// Parses a relationship field of `entry` with debian-control.
pub(super) fn parse_relations(
    entry: &PackageEntry,
    field: &'static str,
    value: &str,
) -> Result<Relations, ResolveError> {
    value.parse().map_err(|reason| ResolveError::BadRelation {
        package: entry.name.clone(),
        field,
        value: value.to_owned(),
        reason,
    })
}

/// Whether `version` meets a relation's version constraint (no constraint: any version).
pub(super) fn version_matches(relation: &Relation, version: &Version) -> bool {
    let Some((constraint, wanted)) = &relation.version else {
        return true;
    };
    match constraint {
        VersionConstraint::LessThan => version < wanted,
        VersionConstraint::LessThanEqual => version <= wanted,
        VersionConstraint::Equal => version == wanted,
        VersionConstraint::GreaterThanEqual => version >= wanted,
        VersionConstraint::GreaterThan => version > wanted,
    }
}

/// Whether a real package meets a relation's architecture qualifier, for a single-architecture
/// system of `arch`:
/// - none or `:native`: the package is of `arch` or `all` (every candidate is);
/// - `:any`: the package declares `Multi-Arch: allowed` (or `foreign`, which serves every
///   architecture), as dpkg requires;
/// - `:ARCH`: the package is of that architecture (`all` counts as the native one).
pub(super) fn arch_matches(relation: &Relation, entry: &PackageEntry, arch: &str) -> bool {
    match relation.archqual.as_deref() {
        None | Some("native") => true,
        Some("any") => matches!(entry.multi_arch.as_deref(), Some("allowed" | "foreign")),
        Some(qualifier) => {
            entry.architecture == qualifier || (entry.architecture == "all" && qualifier == arch)
        }
    }
}

/// Whether a relation applies on `arch` (`[amd64 !i386]` restrictions; binary packages rarely
/// carry them, but the syntax allows them).
pub(super) fn applies_on(relation: &Relation, arch: &str) -> bool {
    let Some(architectures) = &relation.architectures else {
        return true;
    };
    let negated = architectures.iter().any(|a| a.starts_with('!'));
    if negated {
        !architectures
            .iter()
            .any(|a| a.strip_prefix('!') == Some(arch))
    } else {
        architectures.iter().any(|a| a == arch || a == "any")
    }
}
