//! `slipway stack`: the stacks there are, and writing a stack's run image on its own.

use serde_json::json;
use slipway_lifecycle::{ExportOptions, export_run_image};
use slipway_oci::Compression;
use slipway_oci::tar_writer::reproducible_epoch;
use slipway_stack::{STACKS, StackOptions};

use crate::cli::StackBuildArgs;
use crate::destinations;
use crate::printer::Printer;
use crate::settings::Settings;
use crate::store::{Store, display_name, parse_name};

/// Runs `slipway stack list`.
pub fn list(printer: &Printer) {
    let text = STACKS
        .iter()
        .map(|s| format!("{:<12} {}", s.name, s.description))
        .collect::<Vec<_>>()
        .join("\n");
    let names = STACKS.iter().map(|s| s.name).collect::<Vec<_>>().join("\n");
    let json: Vec<_> = STACKS
        .iter()
        .map(|s| json!({"name": s.name, "description": s.description}))
        .collect();
    printer.result(&text, &names, &json!(json));
}

/// Runs `slipway stack build`.
pub async fn build(
    args: &StackBuildArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<()> {
    let destinations = destinations::parse_all(&args.output.outputs, args.output.publish)?;
    let store = Store::open(settings)?;
    let step = printer.step(format!("Building the run image of stack {}", args.stack));
    let run_image = slipway_stack::run_image(
        &args.stack,
        &StackOptions {
            ca_bundle: args.ca_certs.clone(),
        },
    )?;
    let reference = parse_name(&args.tag.clone().unwrap_or_else(|| run_image.name.clone()))?;
    let options = ExportOptions {
        compression: Compression::Gzip,
        os: "linux",
        arch: "amd64",
        created: reproducible_epoch(),
        reuse_layers: true,
    };
    let exported = export_run_image(&store.layout, &run_image, &options)?;
    store.tag(&exported.image, &reference)?;
    step.done();
    let written =
        destinations::write_all(&destinations, &exported.image, &reference, &store, printer)
            .await?;
    let digest = exported.image.digest.to_string();
    printer.result(
        &format!(
            "Built run image {}\n  digest: {digest}",
            display_name(&reference)
        ),
        &digest,
        &json!({"image": display_name(&reference), "digest": digest, "outputs": written}),
    );
    Ok(())
}
