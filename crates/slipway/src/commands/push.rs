//! `slipway push`: push an image from the local store to the registry its name points at.

use serde_json::json;

use crate::cli::PushArgs;
use crate::destinations::{self, Destination};
use crate::printer::Printer;
use crate::settings::Settings;
use crate::store::{Store, display_name};

/// Runs `slipway push`.
pub async fn run(args: &PushArgs, settings: &Settings, printer: &Printer) -> anyhow::Result<()> {
    let store = Store::open(settings)?;
    let (reference, image) = store.resolve(&args.image)?;
    let written = destinations::write_all(
        &[Destination::Registry],
        &image,
        &reference,
        &store,
        printer,
    )
    .await?;
    printer.result(
        &format!("Pushed {}\n  digest: {}", display_name(&reference), image.digest),
        image.digest.as_ref(),
        &json!({"image": display_name(&reference), "digest": image.digest.to_string(), "outputs": written}),
    );
    Ok(())
}
