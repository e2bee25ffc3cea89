//! `slipway export`: copy an image from the local store to other places.

use serde_json::json;

use crate::cli::ExportArgs;
use crate::destinations;
use crate::printer::Printer;
use crate::settings::Settings;
use crate::store::{Store, display_name};

/// Runs `slipway export`.
pub async fn run(args: &ExportArgs, settings: &Settings, printer: &Printer) -> anyhow::Result<()> {
    let destinations = destinations::parse_all(&args.outputs, false)?;
    let store = Store::open(settings)?;
    let (reference, image) = store.resolve(&args.image)?;
    let written =
        destinations::write_all(&destinations, &image, &reference, &store, printer).await?;
    let targets: Vec<String> = destinations.iter().map(ToString::to_string).collect();
    printer.result(
        &format!("Exported {} to {}", display_name(&reference), targets.join(", ")),
        image.digest.as_ref(),
        &json!({"image": display_name(&reference), "digest": image.digest.to_string(), "outputs": written}),
    );
    Ok(())
}
