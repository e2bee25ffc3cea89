//! One pass of the resolution: choosing packages breadth-first from the roots.

use std::collections::{HashMap, VecDeque};

use debian_control::lossy::Relation;
use debversion::Version;

use super::universe::{
    Candidate, Universe, applies_on, arch_matches, parse_relations, version_matches,
};
use super::{ResolveError, Resolved};
use crate::index::PackageEntry;

/// A package chosen in a run, and why.
struct Chosen<'a> {
    candidate: Candidate<'a>,
    /// The package whose dependency chose this one (`None` for a root).
    parent: Option<usize>,
    /// That dependency as written (for a root, the root as given).
    via: String,
}

/// One pass of the resolution under some restrictions.
pub(super) struct Run<'u, 'a> {
    universe: &'u Universe<'a>,
    restrictions: &'u HashMap<String, Vec<Relation>>,
    chosen: Vec<Chosen<'a>>,
    by_name: HashMap<&'a str, usize>,
    /// Virtual names provided by chosen packages: (chosen index, provided version).
    provided: HashMap<String, Vec<(usize, Option<Version>)>>,
    queue: VecDeque<usize>,
}

/// What satisfying one dependency did.
enum Step {
    /// Satisfied (or did not apply on this architecture).
    Done,
    /// A package chosen earlier must be re-chosen under this constraint.
    Restart(String, Relation),
}

impl<'u, 'a> Run<'u, 'a> {
    pub(super) fn new(
        universe: &'u Universe<'a>,
        restrictions: &'u HashMap<String, Vec<Relation>>,
    ) -> Self {
        Self {
            universe,
            restrictions,
            chosen: Vec::new(),
            by_name: HashMap::new(),
            provided: HashMap::new(),
            queue: VecDeque::new(),
        }
    }

    /// Resolves the roots; `Some` asks for a restart with one more restriction.
    pub(super) fn run(
        &mut self,
        roots: &[(String, Vec<Relation>)],
    ) -> Result<Option<(String, Relation)>, ResolveError> {
        for (text, group) in roots {
            if let Step::Restart(name, relation) = self.satisfy(group, None, text)? {
                return Ok(Some((name, relation)));
            }
        }
        while let Some(index) = self.queue.pop_front() {
            let entry = self.chosen[index].candidate.entry;
            for (field, value) in [
                ("Pre-Depends", &entry.pre_depends),
                ("Depends", &entry.depends),
            ] {
                if value.is_empty() {
                    continue;
                }
                for group in parse_relations(entry, field, value)?.0 {
                    let text = group_text(&group);
                    if let Step::Restart(name, relation) =
                        self.satisfy(&group, Some(index), &text)?
                    {
                        return Ok(Some((name, relation)));
                    }
                }
            }
        }
        Ok(None)
    }

    /// Satisfies one dependency (a group of alternatives) of `parent`.
    fn satisfy(
        &mut self,
        group: &[Relation],
        parent: Option<usize>,
        text: &str,
    ) -> Result<Step, ResolveError> {
        let arch = self.universe.arch;
        let alternatives: Vec<&Relation> = group.iter().filter(|r| applies_on(r, arch)).collect();
        if alternatives.is_empty() || alternatives.iter().any(|r| self.satisfied_by_chosen(r)) {
            return Ok(Step::Done);
        }
        let mut conflict = None;
        for relation in &alternatives {
            if let Some(candidate) = self.best_new(relation)? {
                self.choose(candidate, parent, text_of(relation, parent, text))?;
                return Ok(Step::Done);
            }
            if conflict.is_none()
                && self.by_name.contains_key(relation.name.as_str())
                && self.could_restrict(relation)?
            {
                conflict = Some((relation.name.clone(), (*relation).clone()));
            }
        }
        if let Some((name, relation)) = conflict {
            return Ok(Step::Restart(name, relation));
        }
        Err(ResolveError::Unsatisfiable {
            chain: self.chain(parent, text),
        })
    }

    /// Whether a package chosen already satisfies `relation`, itself or through `Provides`.
    fn satisfied_by_chosen(&self, relation: &Relation) -> bool {
        if let Some(&index) = self.by_name.get(relation.name.as_str()) {
            let candidate = &self.chosen[index].candidate;
            if version_matches(relation, &candidate.version)
                && arch_matches(relation, candidate.entry, self.universe.arch)
            {
                return true;
            }
        }
        self.provided.get(&relation.name).is_some_and(|providers| {
            providers
                .iter()
                .any(|(_, version)| match (&relation.version, version) {
                    (None, _) => true,
                    (Some(_), Some(version)) => version_matches(relation, version),
                    (Some(_), None) => false,
                })
        })
    }

    /// The best package not chosen yet that satisfies `relation`: the real package's highest
    /// fitting version, else a provider (by priority, then name, then highest version).
    fn best_new(&self, relation: &Relation) -> Result<Option<Candidate<'a>>, ResolveError> {
        let arch = self.universe.arch;
        if !self.by_name.contains_key(relation.name.as_str()) {
            let real = self
                .universe
                .candidates(&relation.name)?
                .iter()
                .find(|candidate| {
                    version_matches(relation, &candidate.version)
                        && arch_matches(relation, candidate.entry, arch)
                        && self.allowed(candidate)
                });
            if let Some(candidate) = real {
                return Ok(Some(candidate.clone()));
            }
        }
        let mut providers: Vec<_> = self
            .universe
            .providers(&relation.name)?
            .into_iter()
            .filter(|provider| {
                let candidate = &provider.candidate;
                let version_ok = match (&relation.version, &provider.version) {
                    (None, _) => true,
                    (Some(_), Some(version)) => version_matches(relation, version),
                    (Some(_), None) => false,
                };
                version_ok
                    && !self.by_name.contains_key(candidate.entry.name.as_str())
                    && self.allowed(candidate)
                    && explicit_arch_ok(relation, candidate.entry)
            })
            .collect();
        providers.sort_by(|a, b| {
            let (a, b) = (&a.candidate, &b.candidate);
            priority_rank(&a.entry.priority)
                .cmp(&priority_rank(&b.entry.priority))
                .then_with(|| a.entry.name.cmp(&b.entry.name))
                .then_with(|| b.version.cmp(&a.version))
        });
        Ok(providers
            .into_iter()
            .next()
            .map(|provider| provider.candidate))
    }

    /// Whether restarting with `relation` as a restriction on its package could succeed: some
    /// version of it meets the relation and the restrictions already made.
    fn could_restrict(&self, relation: &Relation) -> Result<bool, ResolveError> {
        let already = self
            .restrictions
            .get(&relation.name)
            .is_some_and(|list| list.contains(relation));
        Ok(!already
            && self
                .universe
                .candidates(&relation.name)?
                .iter()
                .any(|candidate| {
                    version_matches(relation, &candidate.version) && self.allowed(candidate)
                }))
    }

    /// Whether the restrictions from earlier restarts allow this candidate.
    fn allowed(&self, candidate: &Candidate<'a>) -> bool {
        self.restrictions
            .get(&candidate.entry.name)
            .is_none_or(|list| {
                list.iter()
                    .all(|relation| version_matches(relation, &candidate.version))
            })
    }

    /// Records a choice, the names it provides, and queues its dependencies.
    fn choose(
        &mut self,
        candidate: Candidate<'a>,
        parent: Option<usize>,
        via: String,
    ) -> Result<(), ResolveError> {
        let index = self.chosen.len();
        let entry = candidate.entry;
        if !entry.provides.is_empty() {
            for group in parse_relations(entry, "Provides", &entry.provides)?.0 {
                for relation in group {
                    let version = relation.version.map(|(_, version)| version);
                    self.provided
                        .entry(relation.name)
                        .or_default()
                        .push((index, version));
                }
            }
        }
        self.by_name.insert(entry.name.as_str(), index);
        self.chosen.push(Chosen {
            candidate,
            parent,
            via,
        });
        self.queue.push_back(index);
        Ok(())
    }

    /// The chain from a root through `parent` to the dependency `failed`.
    fn chain(&self, parent: Option<usize>, failed: &str) -> Vec<String> {
        let mut chain = vec![failed.to_owned()];
        let mut at = parent;
        while let Some(index) = at {
            chain.push(self.chosen[index].via.clone());
            at = self.chosen[index].parent;
        }
        chain.reverse();
        chain
    }

    pub(super) fn into_resolved(self) -> Vec<Resolved> {
        let mut resolved: Vec<Resolved> = self
            .chosen
            .into_iter()
            .map(|chosen| Resolved {
                entry: chosen.candidate.entry.clone(),
                suite: chosen.candidate.suite.to_owned(),
            })
            .collect();
        resolved.sort_by(|a, b| a.entry.name.cmp(&b.entry.name));
        resolved
    }
}

/// What a chain shows for a chosen package: a root as given, else the alternative that chose it.
fn text_of(relation: &Relation, parent: Option<usize>, group_text: &str) -> String {
    match parent {
        None => group_text.to_owned(),
        Some(_) => relation.to_string(),
    }
}

/// A group of alternatives as Debian writes it: `a (>= 1) | b`.
fn group_text(group: &[Relation]) -> String {
    let mut text = String::new();
    for (at, relation) in group.iter().enumerate() {
        if at > 0 {
            text.push_str(" | ");
        }
        text.push_str(&relation.to_string());
    }
    text
}

/// Only an explicit architecture qualifier constrains a provider (`:any` through `Provides`
/// is accepted, as a single-architecture image has nothing else to offer).
fn explicit_arch_ok(relation: &Relation, entry: &PackageEntry) -> bool {
    match relation.archqual.as_deref() {
        None | Some("any" | "native") => true,
        Some(arch) => entry.architecture == arch || entry.architecture == "all",
    }
}

/// Debian's priorities, most important first: how apt ranks providers of a virtual package.
fn priority_rank(priority: &str) -> u8 {
    match priority {
        "required" => 0,
        "important" => 1,
        "standard" => 2,
        "optional" => 3,
        "extra" => 4,
        _ => 5,
    }
}
