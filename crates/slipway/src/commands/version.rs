//! `slipway version`.

use serde_json::json;
use slipway_lifecycle::launcher_binary::LAUNCHER;

use crate::printer::{Printer, size};

/// Runs `slipway version`: slipway's version and the size of the launcher every image carries.
pub fn run(printer: &Printer) {
    let version = env!("CARGO_PKG_VERSION");
    printer.result(
        &format!(
            "slipway {version}\nlauncher: {} ({} bytes, static)\nbuildpacks: {}",
            size(LAUNCHER.len() as u64),
            LAUNCHER.len(),
            slipway_buildpacks::all()
                .iter()
                .map(|b| format!("{} {}", b.id(), b.version()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        version,
        &json!({"version": version, "launcher_bytes": LAUNCHER.len()}),
    );
}
