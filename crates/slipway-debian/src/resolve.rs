//! The resolver: which packages (and which versions, from which suites) an image needs.
//!
//! It takes the closure of the root packages over `Pre-Depends` and `Depends` (not
//! `Recommends`: an image holds what programs need to run, as distroless images do). Choices
//! follow apt's: for each dependency the highest version across the suites that satisfies it
//! (so a `-security` or `-updates` version wins over the release's), an alternative already
//! chosen before a new one, else the first satisfiable alternative, and virtual packages through
//! `Provides`. There is no backtracking search: when a later constraint rules out a version chosen
//! earlier (`libfoo (= 1.0)` after `libfoo 1.1` was picked), the resolution restarts with that
//! package restricted to the constraint, which settles the cases Debian's archive produces.
//! `Conflicts` and `Breaks` are not checked: a stable release's packages are co-installable.

mod run;
mod universe;

use std::collections::HashMap;
use std::fmt;

use debian_control::lossy::{Relation, Relations};

use crate::index::{PackageEntry, SuiteIndex};
use run::Run;
use universe::Universe;

/// How many times a resolution may restart to honour a constraint found late.
const MAX_RESTARTS: usize = 64;

/// Why a set of packages could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// Some dependency has no candidate; `chain` leads from a root to it.
    #[error("{}", unsatisfiable_message(chain))]
    Unsatisfiable {
        /// The root, the dependencies followed (as written), and last the one that failed.
        chain: Vec<String>,
    },
    /// A root is not a package name or relation (`name`, `name (>= 1.0)`, `a | b`).
    #[error("{root:?} is not a package name or a relation like `name (>= 1.0)`: {reason}")]
    BadRoot {
        /// The root as given.
        root: String,
        /// What the relation parser said.
        reason: String,
    },
    /// A package's relationship field does not parse.
    #[error("the {field} field of {package} does not parse ({reason}): {value:?}")]
    BadRelation {
        /// The package.
        package: String,
        /// `Depends`, `Pre-Depends` or `Provides`.
        field: &'static str,
        /// The field's value.
        value: String,
        /// What the relation parser said.
        reason: String,
    },
    /// A package's version does not parse.
    #[error("package {package} has an invalid version {version:?}")]
    BadVersion {
        /// The package.
        package: String,
        /// Its version as written.
        version: String,
        /// What the version parser said.
        #[source]
        source: debversion::ParseError,
    },
}

/// The message of [`ResolveError::Unsatisfiable`]:
/// `cannot resolve python3: python3 -> python3.13 -> no candidate satisfies libfoo (>= 9)`.
fn unsatisfiable_message(chain: &[String]) -> String {
    match chain {
        [] => "cannot resolve: no roots".to_owned(),
        [root] => format!("cannot resolve {root}: no candidate satisfies {root}"),
        [root, path @ .., failed] => {
            let mut message = format!("cannot resolve {root}: {root}");
            for step in path {
                message.push_str(" -> ");
                message.push_str(step);
            }
            message.push_str(" -> no candidate satisfies ");
            message.push_str(failed);
            message
        }
    }
}

/// A chosen package and the suite that serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The package's index entry.
    pub entry: PackageEntry,
    /// The suite it comes from: `trixie`, `trixie-updates` or `trixie-security`.
    pub suite: String,
}

/// Resolves `roots` (package names, or relations such as `python3 (>= 3.13)`) against the
/// `indexes` for `arch`. The result is sorted by package name, and the same inputs always give
/// the same result.
pub fn resolve(
    indexes: &[SuiteIndex],
    roots: &[String],
    arch: &str,
) -> Result<Vec<Resolved>, ResolveError> {
    let universe = Universe::new(indexes, arch);
    let roots = roots
        .iter()
        .map(|root| {
            root.parse::<Relations>()
                .ok()
                .filter(|relations| relations.len() == 1)
                .map(|relations| {
                    (
                        root.clone(),
                        relations.0.into_iter().flatten().collect::<Vec<_>>(),
                    )
                })
                .ok_or_else(|| ResolveError::BadRoot {
                    root: root.clone(),
                    reason: "expected one package or one group of alternatives".to_owned(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut restrictions: HashMap<String, Vec<Relation>> = HashMap::new();
    for _ in 0..=MAX_RESTARTS {
        let mut run = Run::new(&universe, &restrictions);
        match run.run(&roots)? {
            None => return Ok(run.into_resolved()),
            Some((name, relation)) => restrictions.entry(name).or_default().push(relation),
        }
    }
    // Each restart adds a distinct restriction; this many means constraints chase each other.
    Err(ResolveError::Unsatisfiable {
        chain: vec![
            roots
                .first()
                .map(|(text, _)| text.clone())
                .unwrap_or_default(),
        ],
    })
}

impl fmt::Display for Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} ({})",
            self.entry.name, self.entry.version, self.entry.architecture, self.suite
        )
    }
}

#[cfg(test)]
mod tests;
