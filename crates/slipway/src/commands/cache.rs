//! `slipway cache prune`: keep the local store and caches within a size.
//!
//! Everything under the cache directory is measured (and the Debian cache, when
//! `SLIPWAY_DEBIAN_CACHE` puts it elsewhere). What is never needed again always goes: store blobs
//! no image uses, build environments that are not the newest for their stack and set of packages,
//! temporary files crashes left (over an hour old) and package resolutions over a day old, which
//! are never read again. Then, while still over the size, in this order:
//!
//! 1. store images, least recently built or tagged first (their manifest blob's mtime, which
//!    `Store::tag` sets), with the blobs no other image uses;
//! 2. the newest build environments, oldest first: unpacking one again from cached `.deb`s takes
//!    seconds and no network, so they go before what must be downloaded again;
//! 3. Debian `.deb`s, least recently downloaded first (their mtime: atime is unreliable), with
//!    `Packages` indexes and `InRelease` files over a day old (those of the last day stay);
//! 4. whole buildpack caches (Go build and module caches, Maven repositories), least recently
//!    modified first.
//!
//! Images, build environments and buildpack caches used in the last
//! [`ORPHAN_GRACE`] stay, as a build running now may be using them; so do blobs written then (see
//! [`slipway_oci::layout::gc`]). The run image layer cache (`stack-layers/`) is left alone: it
//! checks that its blobs are still in the store before using them.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use serde_json::{Value, json};
use slipway_oci::layout::{Collection, ORPHAN_GRACE};

use crate::cli::CachePruneArgs;
use crate::printer::{Printer, size};
use crate::settings::Settings;
use crate::store::{Store, display_name, parse_name};

mod scan;

use scan::{Scan, remove_path, roots, walk};

/// How old a temporary file must be before it counts as left by a crash.
const TEMP_MAX_AGE: Duration = Duration::from_secs(60 * 60);

/// Something prune removes (or would, with `--dry-run`): one line for a person, one object in
/// `--json`.
struct Removal {
    kind: &'static str,
    what: String,
    bytes: u64,
    /// Files and directories to delete; the store's removals are its collection's.
    paths: Vec<PathBuf>,
    json: Value,
}

/// A file or directory that may go when over the size.
struct Candidate {
    path: PathBuf,
    what: String,
    bytes: u64,
    modified: SystemTime,
}

/// Runs `slipway cache prune`.
pub fn prune(args: &CachePruneArgs, settings: &Settings, printer: &Printer) -> anyhow::Result<()> {
    let budget = parse_max_size(&args.max_size).with_context(|| {
        format!(
            "--max-size {:?} is not a size: give a whole number with K, M, G or T (binary \
             units), like 5G or 500M",
            args.max_size
        )
    })?;
    let roots = roots(settings);
    let before = roots.iter().map(|r| walk(r).0).sum();
    let now = SystemTime::now();
    let scan = Scan::of(settings, now);
    let mut plan = Plan {
        budget,
        left: before,
        now,
        removals: Vec::new(),
    };
    let store = Store::open(settings)?;
    let mut collection = store.layout.collect().context("reading the local store")?;
    plan.never_needed(&mut collection, scan.temp, scan.old_environments)?;
    plan.least_recent_images(&mut collection)?;
    if args.dry_run {
        drop(collection);
    } else {
        collection
            .commit()
            .context("removing images and blobs from the local store")?;
    }
    for environment in plan.least_recent(scan.environments) {
        plan.push(single("build-environment", environment));
    }
    let debian = plan.least_recent(scan.debian);
    let what = "files of the Debian cache: .debs, old indexes";
    if let Some(debian) = grouped("debian", what, debian) {
        plan.push(debian);
    }
    for cache in plan.least_recent(scan.buildpacks) {
        plan.push(single("buildpack-cache", cache));
    }
    let after = if args.dry_run {
        plan.left
    } else {
        for path in plan.removals.iter().flat_map(|r| &r.paths) {
            remove_path(path).with_context(|| format!("removing {}", path.display()))?;
        }
        roots.iter().map(|r| walk(r).0).sum()
    };
    report(printer, settings, &plan, (before, after), args.dry_run);
    Ok(())
}

/// What prune removes, and how many bytes would be left after it.
struct Plan {
    budget: u64,
    left: u64,
    now: SystemTime,
    removals: Vec<Removal>,
}

impl Plan {
    fn push(&mut self, removal: Removal) {
        self.left = self.left.saturating_sub(removal.bytes);
        self.removals.push(removal);
    }

    /// What always goes: unused store blobs, temporary files, old build environments.
    fn never_needed(
        &mut self,
        collection: &mut Collection<'_>,
        temp: Vec<Candidate>,
        old_environments: Vec<Candidate>,
    ) -> anyhow::Result<()> {
        let garbage = collection.garbage().context("reading the local store")?;
        if !garbage.unused.is_empty() {
            self.push(Removal {
                kind: "unused-blobs",
                what: format!("store blobs no image uses ({})", garbage.unused.len()),
                bytes: garbage.bytes(),
                paths: vec![],
                json: json!({"count": garbage.unused.len()}),
            });
        }
        if let Some(temp) = grouped("temporary", "temporary or expired files", temp) {
            self.push(temp);
        }
        for environment in old_environments {
            self.push(single("old-build-environment", environment));
        }
        Ok(())
    }

    /// Removes images from `collection`, least recently built or tagged first, while over the
    /// budget; those tagged within [`ORPHAN_GRACE`] stay.
    fn least_recent_images(&mut self, collection: &mut Collection<'_>) -> anyhow::Result<()> {
        let mut images = collection.images();
        images.sort_by_key(|i| i.last_tagged);
        let mut freed = collection.garbage()?.bytes();
        for image in images {
            let age = self.now.duration_since(image.last_tagged);
            let age = age.unwrap_or_default();
            if self.left <= self.budget || age < ORPHAN_GRACE {
                break;
            }
            collection.remove(&image.name);
            let total = collection.garbage()?.bytes();
            let shown = parse_name(&image.name).map_or(image.name.clone(), |r| display_name(&r));
            self.push(Removal {
                kind: "image",
                what: format!("image {shown}, last built {} ago", ago(age)),
                bytes: total.saturating_sub(freed),
                paths: vec![],
                json: json!({"image": shown, "digest": image.digest.to_string()}),
            });
            freed = total;
        }
        Ok(())
    }

    /// The candidates, least recently used first, whose removal brings what is left down to the
    /// budget (not yet pushed).
    fn least_recent(&self, mut tier: Vec<Candidate>) -> Vec<Candidate> {
        tier.sort_by_key(|c| c.modified);
        let mut left = self.left;
        let mut taken = Vec::new();
        for candidate in tier {
            if left <= self.budget {
                break;
            }
            left = left.saturating_sub(candidate.bytes);
            taken.push(candidate);
        }
        taken
    }
}

fn single(kind: &'static str, candidate: Candidate) -> Removal {
    Removal {
        kind,
        json: json!({"path": candidate.path}),
        what: candidate.what,
        bytes: candidate.bytes,
        paths: vec![candidate.path],
    }
}

/// One removal for many small files (their count follows `what`).
fn grouped(kind: &'static str, what: &str, files: Vec<Candidate>) -> Option<Removal> {
    (!files.is_empty()).then(|| Removal {
        kind,
        what: format!("{what} ({})", files.len()),
        bytes: files.iter().map(|c| c.bytes).sum(),
        json: json!({"count": files.len()}),
        paths: files.into_iter().map(|c| c.path).collect(),
    })
}

/// The plan, and the sizes before and after.
fn report(
    printer: &Printer,
    settings: &Settings,
    plan: &Plan,
    (before, after): (u64, u64),
    dry_run: bool,
) {
    let verb = if dry_run {
        "Would remove from"
    } else {
        "Removed from"
    };
    let mut text = format!(
        "{verb} {} ({}, max size {}):",
        settings.cache_dir.display(),
        size(before),
        size(plan.budget)
    );
    for removal in &plan.removals {
        let _ = write!(text, "\n{:>12}  {}", size(removal.bytes), removal.what);
    }
    if plan.removals.is_empty() {
        text.push_str("\n  nothing");
    }
    let outcome = if dry_run {
        "dry run: nothing removed".to_string()
    } else {
        format!("freed {}", size(before.saturating_sub(after)))
    };
    let _ = write!(text, "\n{} -> {} ({outcome})", size(before), size(after));
    if after > plan.budget {
        let _ = write!(
            text,
            "\nstill over the max size: the rest is in use (images built in the last {} \
             minutes, the last day's Debian indexes, the store's index)",
            ORPHAN_GRACE.as_secs() / 60
        );
    }
    let quiet: Vec<&str> = plan.removals.iter().map(|r| r.what.as_str()).collect();
    let removed: Vec<Value> = plan
        .removals
        .iter()
        .map(|r| {
            let mut item = r.json.clone();
            item["kind"] = json!(r.kind);
            item["what"] = json!(r.what);
            item["bytes"] = json!(r.bytes);
            item
        })
        .collect();
    let json = json!({
        "dry_run": dry_run, "max_size": plan.budget, "before": before, "after": after,
        "freed": before.saturating_sub(after), "removed": removed,
    });
    printer.result(&text, &quiet.join("\n"), &json);
}

/// `5G`, `500M`, `500MiB`, `2GB`, `1024` (bytes): binary units, as the JVM's sizes.
fn parse_max_size(text: &str) -> Option<u64> {
    let lower = text.trim().to_ascii_lowercase();
    let unit_b = lower
        .strip_suffix('b')
        .filter(|rest| rest.ends_with(|c: char| c.is_ascii_alphabetic()));
    let core = lower.strip_suffix("ib").or(unit_b).unwrap_or(&lower);
    slipway_launch::jvm_memory::parse_size(core)
}

/// A duration as "3 days", "5 hours", "12 minutes".
fn ago(age: Duration) -> String {
    let minutes = age.as_secs() / 60;
    let (n, unit) = match minutes {
        m if m >= 2 * 24 * 60 => (m / (24 * 60), "day"),
        m if m >= 2 * 60 => (m / 60, "hour"),
        m => (m, "minute"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_binary_with_or_without_b() {
        assert_eq!(parse_max_size("5G"), Some(5 << 30));
        assert_eq!(parse_max_size("500m"), Some(500 << 20));
        assert_eq!(parse_max_size("500MiB"), Some(500 << 20));
        assert_eq!(parse_max_size("2GB"), Some(2 << 30));
        assert_eq!(parse_max_size("1024"), Some(1024));
        assert_eq!(parse_max_size("1.5G"), None);
        assert_eq!(parse_max_size("lots"), None);
    }

    #[test]
    fn ages_read_as_people_say_them() {
        assert_eq!(ago(Duration::from_secs(90)), "1 minute");
        assert_eq!(ago(Duration::from_secs(3 * 3600)), "3 hours");
        assert_eq!(ago(Duration::from_secs(5 * 86400)), "5 days");
    }
}
