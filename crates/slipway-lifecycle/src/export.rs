//! Export: the run image's layers, the launcher, the buildpack's layers and the launch
//! configuration, assembled into an image whose blobs are written to the local store.
//!
//! Layers go from least to most often changed (stack, launcher, app, launch config), so a rebuild
//! after a source change reuses every layer below the app. A layer whose `diff_id` the store has
//! already compressed is reused without compressing it again; the others are compressed in parallel.

use std::collections::{BTreeMap, HashMap};

use oci_spec::image::{Arch, ConfigBuilder, ImageConfiguration, ImageConfigurationBuilder, Os};
use slipway_launch::{
    CONFIG_PATH, DEFAULT_PROCESS, LAUNCHER_PATH, LaunchConfig, PROCESS_DIR, Process,
};
use slipway_oci::canonical_json::to_canonical_json;
use slipway_oci::{
    Compression, Image, ImageError, LayerBuilder, LayerError, LayerRecord, OciLayout,
    UncompressedLayer,
};
use slipway_stack::{RunImage, WORKSPACE};

use crate::buildpack::{BuildOutput, Buildpack};
use crate::launcher_binary::LAUNCHER;
use crate::metadata::{
    BUILD_METADATA_LABEL, BuildMetadata, BuildpackRef, LIFECYCLE_METADATA_LABEL, LifecycleMetadata,
    ProcessMetadata, RUN_IMAGE_LABEL, RunImageMetadata, STACK_ID_LABEL, StackMetadata,
};
use crate::run_image::{assemble_run_image, store_run_layers};

/// The launcher's version (slipway's), shown by `slipway version`.
pub const LAUNCHER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Errors while exporting an image.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A layer could not be built or compressed.
    #[error("building layer {0}")]
    Layer(String, #[source] LayerError),
    /// The store could not be written.
    #[error("writing to the local store")]
    Store(#[source] slipway_oci::StoreLayersError),
    /// The image could not be assembled.
    #[error("assembling the image")]
    Image(#[source] ImageError),
    /// The build produced no process to run.
    #[error("{0} produced no process to run")]
    NoProcess(String),
}

/// How to export.
#[derive(Debug, Clone, Copy)]
pub struct ExportOptions<'a> {
    /// Layer compression.
    pub compression: Compression,
    /// Target OS, e.g. `linux`.
    pub os: &'a str,
    /// Target architecture, e.g. `amd64`.
    pub arch: &'a str,
    /// Seconds since the epoch for the config's `created` (a fixed value, for reproducibility).
    pub created: u64,
    /// Reuse blobs the store already compressed from the same tar (off with `--no-cache`).
    pub reuse_layers: bool,
}

/// One layer of an exported image, with whether the store already had it.
pub type ExportedLayer = slipway_oci::StoredLayer;

/// An exported image: its blobs are in the store, but no name points at it yet.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The image.
    pub image: Image,
    /// Its layers, bottom first.
    pub layers: Vec<ExportedLayer>,
}

/// Assembles the image of `output`, built by `buildpack`, on `run_image`, writing blobs to `store`.
pub fn export(
    store: &OciLayout,
    run_image: &RunImage,
    buildpack: &dyn Buildpack,
    output: &BuildOutput,
    options: &ExportOptions<'_>,
) -> Result<Exported, ExportError> {
    let launch = launch_config(buildpack, output)?;
    let mut layers = store_run_layers(store, run_image, options)?;
    let mut pending: Vec<(UncompressedLayer, String)> = Vec::new();
    pending.push((
        build_layer("launcher", &launcher_layer())?,
        "launcher: /cnb/lifecycle/launcher".into(),
    ));
    for layer in &output.layers {
        let description = layer.description.clone();
        pending.push((build_layer(&layer.name, &layer.content)?, description));
    }
    let types: Vec<String> = launch
        .processes
        .iter()
        .map(|p| p.process_type.clone())
        .collect();
    pending.push((
        build_layer("launch config", &config_layer(&launch))?,
        format!("launch config: processes {}", types.join(", ")),
    ));
    layers.extend(store_layers(store, &pending, options)?);
    let mut records: Vec<LayerRecord> = layers.iter().map(|l| l.record.clone()).collect();
    let base = assemble_run_image(run_image, &records[..run_image.layers.len()], options)?;
    for record in &mut records[..run_image.layers.len()] {
        record.created_by = base_layer_summary(&record.created_by);
    }
    let base_records = &records[..run_image.layers.len()];
    let mut config = image_config(run_image, buildpack, output, &launch, options);
    add_base_labels(&mut config, run_image, &base, base_records);
    let annotations = BTreeMap::from([
        (
            "org.opencontainers.image.base.name".to_string(),
            run_image.name.clone(),
        ),
        (
            "org.opencontainers.image.base.digest".to_string(),
            base.digest.to_string(),
        ),
    ]);
    let image = Image::assemble(config, &records, &annotations).map_err(ExportError::Image)?;
    Ok(Exported { image, layers })
}

/// The history line of a run image layer in an app image: the run image's own history lists
/// every package (`slipway stack build`, `slipway sbom` show them); in every app image, and in
/// every push of it, a summary does (`java-21-tomcat: 16 Debian packages`).
#[must_use]
pub fn base_layer_summary(created_by: &str) -> String {
    if created_by.starts_with("generated:") {
        return "generated files".into();
    }
    created_by
        .split(" (")
        .next()
        .unwrap_or(created_by)
        .to_string()
}

/// Records the run image the app stands on: CNB's `io.buildpacks.lifecycle.metadata` (its top
/// layer and reference, for `pack rebase` and `pack inspect-image`) and slipway's
/// `io.slipway.run-image` (flavor, lockfile, environment, for `slipway rebase`).
fn add_base_labels(
    config: &mut ImageConfiguration,
    run_image: &RunImage,
    base: &Image,
    base_records: &[LayerRecord],
) {
    let top_layer = base_records
        .last()
        .map(|r| r.diff_id.to_string())
        .unwrap_or_default();
    let lifecycle = LifecycleMetadata {
        run_image: RunImageMetadata {
            top_layer,
            reference: format!("{}@{}", run_image.name, base.digest),
            image: run_image.name.clone(),
        },
        stack: StackMetadata::default(),
    };
    let record = crate::rebase::run_image_record(base);
    let mut inner = config.config().clone().unwrap_or_default();
    let mut labels = inner.labels().clone().unwrap_or_default();
    labels.insert(LIFECYCLE_METADATA_LABEL.into(), canonical(&lifecycle));
    labels.insert(RUN_IMAGE_LABEL.into(), canonical(&record));
    inner.set_labels(Some(labels));
    config.set_config(Some(inner));
}

/// A label value as canonical JSON (labels are compared and hashed as bytes).
fn canonical<T: serde::Serialize>(value: &T) -> String {
    String::from_utf8(to_canonical_json(value).unwrap_or_default()).unwrap_or_default()
}

fn build_layer(name: &str, content: &LayerBuilder) -> Result<UncompressedLayer, ExportError> {
    content
        .build()
        .map_err(|e| ExportError::Layer(name.to_string(), e))
}

fn launcher_layer() -> LayerBuilder {
    let mut layer = LayerBuilder::new();
    layer.file(LAUNCHER_PATH, 0o755, LAUNCHER);
    layer
}

fn config_layer(launch: &LaunchConfig) -> LayerBuilder {
    let mut layer = LayerBuilder::new();
    for process in &launch.processes {
        layer.symlink(
            &format!("{PROCESS_DIR}/{}", process.process_type),
            LAUNCHER_PATH,
        );
    }
    layer.file(CONFIG_PATH, 0o644, launch.to_text());
    layer
}

fn launch_config(
    buildpack: &dyn Buildpack,
    output: &BuildOutput,
) -> Result<LaunchConfig, ExportError> {
    if output.processes.is_empty() {
        return Err(ExportError::NoProcess(buildpack.id().to_string()));
    }
    let processes = output
        .processes
        .iter()
        .map(|p| Process {
            process_type: p.name.clone(),
            command: p.command.clone(),
            working_dir: p.working_dir.clone(),
            jvm_memory: p.jvm_memory,
        })
        .collect::<Vec<_>>();
    let default = processes
        .iter()
        .find(|p| p.process_type == DEFAULT_PROCESS)
        .unwrap_or(&processes[0])
        .process_type
        .clone();
    Ok(LaunchConfig {
        env: output.launch_env.clone(),
        processes,
        default_process: Some(default),
    })
}

/// Reuses the blobs the store has, compresses the rest in parallel, and writes them.
pub(crate) fn store_layers(
    store: &OciLayout,
    pending: &[(UncompressedLayer, String)],
    options: &ExportOptions<'_>,
) -> Result<Vec<ExportedLayer>, ExportError> {
    store
        .store_layers(pending, options.compression, options.reuse_layers)
        .map_err(ExportError::Store)
}

fn image_config(
    run_image: &RunImage,
    buildpack: &dyn Buildpack,
    output: &BuildOutput,
    launch: &LaunchConfig,
    options: &ExportOptions<'_>,
) -> ImageConfiguration {
    let mut env: Vec<String> = run_image
        .env
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let mut labels = HashMap::from([
        (
            BUILD_METADATA_LABEL.to_string(),
            build_metadata_label(buildpack, launch),
        ),
        (
            STACK_ID_LABEL.to_string(),
            format!("io.slipway.stacks.{}", run_image.stack),
        ),
    ]);
    // The run image's own labels (its flavor and lockfile) are in `io.slipway.run-image`.
    labels.extend(
        run_image
            .labels
            .iter()
            .filter(|(k, _)| !k.starts_with("io.slipway.stack."))
            .cloned(),
    );
    labels.extend(output.labels.iter().cloned());
    let mut config = ConfigBuilder::default()
        .user(run_image.user.clone())
        .working_dir(WORKSPACE)
        .entrypoint(vec![format!(
            "{PROCESS_DIR}/{}",
            launch.default_process.as_deref().unwrap_or(DEFAULT_PROCESS)
        )])
        .labels(labels);
    if let Some(port) = output.port {
        env.push(format!("PORT={port}"));
        config = config.exposed_ports(vec![format!("{port}/tcp")]);
    }
    let config = config
        .env(env)
        .build()
        .unwrap_or_else(|_| unreachable!("every config field has a value"));
    ImageConfigurationBuilder::default()
        .created(rfc3339(options.created))
        .architecture(Arch::from(options.arch))
        .os(Os::from(options.os))
        .config(config)
        .build()
        .unwrap_or_else(|_| unreachable!("architecture, os and config are set"))
}

fn build_metadata_label(buildpack: &dyn Buildpack, launch: &LaunchConfig) -> String {
    let metadata = BuildMetadata {
        processes: launch
            .processes
            .iter()
            .map(|p| ProcessMetadata {
                process_type: p.process_type.clone(),
                command: p.command.first().cloned().into_iter().collect(),
                args: p.command.iter().skip(1).cloned().collect(),
                direct: true,
                buildpack_id: buildpack.id().to_string(),
            })
            .collect(),
        buildpacks: vec![BuildpackRef {
            id: buildpack.id().into(),
            version: buildpack.version().into(),
        }],
        // Not CNB's launcher, so no version of it: `pack inspect-image` hides the run image
        // reference for launchers older than its 0.5.
        launcher: None,
        bom: vec![],
    };
    canonical(&metadata)
}

/// `seconds` since the Unix epoch as an RFC 3339 UTC timestamp (days-to-civil conversion from
/// Howard Hinnant's algorithm; a date crate for this one line is not worth its weight).
#[must_use]
pub fn rfc3339(seconds: u64) -> String {
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let rem = seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
#[path = "export_tests.rs"]
pub(crate) mod tests;
