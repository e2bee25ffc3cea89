//! `slipway rm`: remove images from the local store, and the blobs no other image uses.
//!
//! Every name is looked up before anything is removed, so a typo in one removes none. The
//! removal and the deletion of blobs happen under the store's index lock (see
//! [`slipway_oci::layout::gc`]), so a `slipway build` running meanwhile never ends up with an
//! image whose layers are gone; blobs written or reused in the last
//! [`ORPHAN_GRACE`](slipway_oci::layout::ORPHAN_GRACE) stay, as a build may be about to use them.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use anyhow::Context;
use serde_json::json;

use crate::cli::RmArgs;
use crate::destinations::short;
use crate::printer::{Printer, size};
use crate::settings::Settings;
use crate::store::{NotInStore, Store};

/// Runs `slipway rm`.
pub fn run(args: &RmArgs, settings: &Settings, printer: &Printer) -> anyhow::Result<()> {
    let store = Store::open(settings)?;
    let mut names = Vec::new();
    let mut seen = BTreeSet::new();
    for name in &args.images {
        let (stored, shown) = store.stored_name(name)?;
        if seen.insert(stored.clone()) {
            names.push((stored, shown));
        }
    }
    let mut collection = store.layout.collect().context("reading the local store")?;
    let mut removed = Vec::new();
    for (stored, shown) in names {
        // Gone since it was looked up: another `slipway rm` removed it. Nothing is written yet.
        let digest = collection
            .remove(&stored)
            .ok_or(NotInStore(shown.clone()))?;
        removed.push((shown, digest));
    }
    let garbage = collection
        .commit()
        .context("removing unused blobs from the local store")?;

    let mut text = String::new();
    for (name, digest) in &removed {
        let _ = writeln!(text, "Removed {name} (sha256:{})", short(digest));
    }
    let _ = write!(text, "freed {}", size(garbage.bytes()));
    if !garbage.recent.is_empty() {
        let _ = write!(
            text,
            "\nkept {} of unused blobs written in the last {} minutes (a build may be using \
             them); a later `slipway rm` or `slipway cache prune` removes them",
            size(garbage.recent_bytes()),
            slipway_oci::layout::ORPHAN_GRACE.as_secs() / 60
        );
    }
    let quiet = removed
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let json = json!({
        "removed": removed
            .iter()
            .map(|(name, digest)| json!({"image": name, "digest": digest.to_string()}))
            .collect::<Vec<_>>(),
        "freed": garbage.bytes(),
        "kept_recent": garbage.recent_bytes(),
    });
    printer.result(&text, &quiet, &json);
    Ok(())
}
