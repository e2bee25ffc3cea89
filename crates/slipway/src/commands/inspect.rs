//! `slipway inspect`: buildpacks, processes, stack, layers with their sizes and what each holds.

use std::fmt::Write as _;

use serde_json::json;
use slipway_lifecycle::metadata::{BUILD_METADATA_LABEL, BuildMetadata, STACK_ID_LABEL};
use slipway_oci::Image;

use crate::cli::InspectArgs;
use crate::destinations::short;
use crate::printer::{Printer, size};
use crate::settings::Settings;
use crate::store::{Store, display_name};

/// Runs `slipway inspect`.
pub fn run(args: &InspectArgs, settings: &Settings, printer: &Printer) -> anyhow::Result<()> {
    let store = Store::open(settings)?;
    let (reference, image) = store.resolve(&args.image)?;
    let name = display_name(&reference);
    let metadata = build_metadata(&image);
    printer.result(
        &human(&name, &image, &metadata),
        image.digest.as_ref(),
        &as_json(&name, &image, &metadata),
    );
    Ok(())
}

fn build_metadata(image: &Image) -> BuildMetadata {
    image
        .labels()
        .get(BUILD_METADATA_LABEL)
        .and_then(|label| serde_json::from_str(label).ok())
        .unwrap_or_default()
}

fn config_field(image: &Image, get: impl Fn(&oci_spec::image::Config) -> Option<String>) -> String {
    image
        .config
        .config()
        .as_ref()
        .and_then(get)
        .unwrap_or_else(|| "-".into())
}

fn human(name: &str, image: &Image, metadata: &BuildMetadata) -> String {
    let labels = image.labels();
    let mut out = format!("Image:       {name}\nDigest:      {}\n", image.digest);
    let _ = writeln!(
        out,
        "Stack:       {}",
        labels.get(STACK_ID_LABEL).map_or("-", String::as_str)
    );
    let _ = writeln!(
        out,
        "Platform:    {}/{}",
        image.config.os(),
        image.config.architecture()
    );
    let _ = writeln!(
        out,
        "User:        {}",
        config_field(image, |c| c.user().clone())
    );
    let _ = writeln!(
        out,
        "Working dir: {}",
        config_field(image, |c| c.working_dir().clone())
    );
    let _ = writeln!(
        out,
        "Ports:       {}",
        config_field(image, |c| c.exposed_ports().as_ref().map(|p| p.join(", ")))
    );
    out += "\nBuildpacks:\n";
    for buildpack in &metadata.buildpacks {
        let _ = writeln!(out, "  {} {}", buildpack.id, buildpack.version);
    }
    let default = config_field(image, |c| {
        c.entrypoint().as_ref().and_then(|e| e.first().cloned())
    });
    out += "\nProcesses:\n";
    for process in &metadata.processes {
        let marker = if default.ends_with(&format!("/{}", process.process_type)) {
            " (default)"
        } else {
            ""
        };
        let command = process
            .command
            .iter()
            .chain(&process.args)
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        let _ = writeln!(
            out,
            "  {:<18} {command}",
            format!("{}{marker}", process.process_type)
        );
    }
    out += "\nLayers:\n";
    for (i, layer) in image.layers().iter().enumerate() {
        let _ = writeln!(
            out,
            "  {:>2}  {:>10}  {}  {}",
            i + 1,
            size(layer.size),
            short(&layer.digest),
            layer.created_by
        );
    }
    let _ = write!(out, "\nTotal size:  {}", size(image.total_size()));
    out
}

fn as_json(name: &str, image: &Image, metadata: &BuildMetadata) -> serde_json::Value {
    let layers: Vec<_> = image
        .layers()
        .iter()
        .map(|l| {
            json!({"digest": l.digest.to_string(), "diff_id": l.diff_id.to_string(), "size": l.size,
                   "media_type": l.media_type.to_string(), "holds": l.created_by})
        })
        .collect();
    json!({
        "image": name,
        "digest": image.digest.to_string(),
        "stack": image.labels().get(STACK_ID_LABEL),
        "buildpacks": metadata.buildpacks,
        "processes": metadata.processes,
        "config": image.config.config(),
        "layers": layers,
        "size": image.total_size(),
    })
}
