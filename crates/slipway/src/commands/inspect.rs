//! `slipway inspect`: buildpacks, processes, stack, layers with their sizes and what each holds.

use std::fmt::Write as _;

use serde_json::json;
use slipway_lifecycle::metadata::{
    BUILD_METADATA_LABEL, BuildMetadata, RUN_IMAGE_LABEL, RunImageRecord, STACK_ID_LABEL,
};
use slipway_oci::Image;

use slipway_buildpacks::java::JVM_MEMORY_LABEL;
use slipway_launch::jvm_memory::{self, Size};

use crate::app_source::MEMORY_LABEL;
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
    if let Some(run_image) = run_image_record(&labels) {
        let _ = writeln!(
            out,
            "Run image:   {} flavor {} ({}, its {} layers at the bottom)",
            run_image.stack,
            run_image.flavor,
            short_text(&run_image.digest),
            run_image.layers,
        );
        if !run_image.lockfile.is_empty() {
            let _ = writeln!(out, "Lockfile:    {}", short_text(&run_image.lockfile));
        }
    }
    if let Some(memory) = memory_line(&labels) {
        let _ = writeln!(out, "Memory:      {memory}");
    }
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
        "run_image": run_image_record(&image.labels()),
        "memory": manifest_memory(&image.labels()),
        "jvm_min_memory": jvm_min_memory(&image.labels()),
    })
}

/// What the image records of its run image (slipway's label).
fn run_image_record(labels: &std::collections::BTreeMap<String, String>) -> Option<RunImageRecord> {
    serde_json::from_str(labels.get(RUN_IMAGE_LABEL)?).ok()
}

/// `sha256:0123456789ab` for a long digest.
fn short_text(digest: &str) -> &str {
    digest.get(..19).unwrap_or(digest)
}

/// The memory the app's manifest asks for, in bytes.
fn manifest_memory(labels: &std::collections::BTreeMap<String, String>) -> Option<u64> {
    labels.get(MEMORY_LABEL)?.parse().ok()
}

/// The smallest memory limit the image's JVM starts in, computed as its launcher will compute
/// it from the classes the buildpack counted and the image's defaults (the container's
/// `BPL_JVM_*` and `JAVA_TOOL_OPTIONS` may change it at run time).
fn jvm_min_memory(labels: &std::collections::BTreeMap<String, String>) -> Option<u64> {
    let label = labels.get(JVM_MEMORY_LABEL)?;
    let field = |name: &str| {
        label
            .split_whitespace()
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
    };
    let inputs = jvm_memory::JvmMemoryInputs {
        total_memory: 0,
        loaded_classes: jvm_memory::loaded_classes(field("classes")?.parse().ok()?),
        threads: field("threads")?.parse().ok()?,
        code_cache: jvm_memory::parse_size(field("code-cache")?)?,
        head_room_percent: 0,
        user_options: String::new(),
    };
    Some(jvm_memory::smallest_limit(&inputs))
}

/// `256M (manifest.yml); the JVM needs at least 209M`, or whichever half the image has.
fn memory_line(labels: &std::collections::BTreeMap<String, String>) -> Option<String> {
    let manifest = manifest_memory(labels).map(|m| format!("{} (manifest.yml)", Size(m)));
    let jvm = jvm_min_memory(labels).map(|m| {
        format!(
            "the JVM needs at least {}",
            Size(m.div_ceil(1024 * 1024) * 1024 * 1024)
        )
    });
    match (manifest, jvm) {
        (Some(m), Some(j)) => Some(format!("{m}; {j}")),
        (Some(only), None) | (None, Some(only)) => Some(only),
        (None, None) => None,
    }
}
