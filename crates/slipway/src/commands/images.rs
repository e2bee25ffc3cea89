//! `slipway images`: what the local store holds.

use std::fmt::Write as _;

use serde_json::json;

use crate::destinations::short;
use crate::printer::{Printer, size};
use crate::settings::Settings;
use crate::store::{Store, display_name, parse_name};

/// Runs `slipway images`.
pub fn run(settings: &Settings, printer: &Printer) -> anyhow::Result<()> {
    let store = Store::open(settings)?;
    let mut rows = Vec::new();
    for entry in store.layout.entries()? {
        let Some(name) = entry.name else { continue };
        let image = store.layout.load_image(entry.descriptor.digest())?;
        let shown = parse_name(&name).map_or(name.clone(), |r| display_name(&r));
        rows.push((shown, image.digest.clone(), image.total_size()));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text = format!("{:<50} {:<14} {:>10}", "IMAGE", "DIGEST", "SIZE");
    for (name, digest, bytes) in &rows {
        let _ = write!(
            text,
            "\n{name:<50} {:<14} {:>10}",
            short(digest),
            size(*bytes)
        );
    }
    let quiet = rows
        .iter()
        .map(|r| r.0.clone())
        .collect::<Vec<_>>()
        .join("\n");
    let json = rows
        .iter()
        .map(|(name, digest, bytes)| json!({"image": name, "digest": digest.to_string(), "size": bytes}))
        .collect::<Vec<_>>();
    printer.result(&text, &quiet, &json!(json));
    Ok(())
}
