//! `slipway sbom`: every package an image holds (Debian packages from their dpkg status entries,
//! with licences; what buildpacks added), as SPDX or `CycloneDX` JSON.

use crate::cli::{SbomArgs, SbomFormat};
use crate::printer::Printer;
use crate::settings::Settings;
use crate::store::{Store, display_name};

/// Runs `slipway sbom`.
pub fn run(args: &SbomArgs, settings: &Settings, printer: &Printer) -> anyhow::Result<()> {
    let store = Store::open(settings)?;
    let (reference, image) = store.resolve(&args.image)?;
    let packages = slipway_sbom::scan_image(&image, &store.layout)?;
    let name = display_name(&reference);
    let created = image.config.created().clone().unwrap_or_default();
    let document = match args.format {
        SbomFormat::SpdxJson => {
            slipway_sbom::to_spdx_json(&name, &image.digest, &packages, &created)
        }
        SbomFormat::CyclonedxJson => {
            slipway_sbom::to_cyclonedx_json(&name, &image.digest, &packages, &created)
        }
    };
    let value: serde_json::Value = serde_json::from_str(&document)?;
    printer.result(&document, &document, &value);
    Ok(())
}
