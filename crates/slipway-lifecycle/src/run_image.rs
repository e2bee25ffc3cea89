//! A stack's run image as an image of its own.

use std::collections::{BTreeMap, HashMap};

use oci_spec::image::{Arch, ConfigBuilder, ImageConfigurationBuilder, Os};
use slipway_oci::{Image, LayerRecord, OciLayout};
use slipway_stack::{RunImage, RunLayer, WORKSPACE};

use crate::export::{ExportError, ExportOptions, Exported, ExportedLayer, rfc3339, store_layers};
use crate::metadata::STACK_ID_LABEL;

/// Writes a stack's run image on its own (user, environment, working dir; no app, no launcher),
/// for `slipway stack build`: the base other tools (ko, `pack rebase`) can build or rebase onto.
pub fn export_run_image(
    store: &OciLayout,
    run_image: &RunImage,
    options: &ExportOptions<'_>,
) -> Result<Exported, ExportError> {
    let layers = store_run_layers(store, run_image, options)?;
    let records: Vec<LayerRecord> = layers.iter().map(|l| l.record.clone()).collect();
    let image = assemble_run_image(run_image, &records, options)?;
    Ok(Exported { image, layers })
}

/// The run image's layers in the store: those the stack already stored as they are, the others
/// compressed and written (or found) now.
pub(crate) fn store_run_layers(
    store: &OciLayout,
    run_image: &RunImage,
    options: &ExportOptions<'_>,
) -> Result<Vec<ExportedLayer>, ExportError> {
    let mut stored = Vec::new();
    for layer in &run_image.layers {
        match layer {
            RunLayer::Stored(record) => stored.push(ExportedLayer {
                record: record.clone(),
                reused: true,
                uncompressed_size: 0,
            }),
            RunLayer::Built(tar, holds) => {
                stored.extend(store_layers(
                    store,
                    &[(tar.clone(), holds.clone())],
                    options,
                )?);
            }
        }
    }
    Ok(stored)
}

/// The run image as an image of its own, from its layers' records: what `stack build` writes,
/// and whose digest an app image records as its base.
pub(crate) fn assemble_run_image(
    run_image: &RunImage,
    records: &[LayerRecord],
    options: &ExportOptions<'_>,
) -> Result<Image, ExportError> {
    let env: Vec<String> = run_image
        .env
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let mut labels: HashMap<String, String> = run_image.labels.iter().cloned().collect();
    labels.extend([(
        STACK_ID_LABEL.to_string(),
        format!("io.slipway.stacks.{}", run_image.stack),
    )]);
    let config = ConfigBuilder::default()
        .user(run_image.user.clone())
        .working_dir(WORKSPACE)
        .env(env)
        .labels(labels)
        .build()
        .unwrap_or_else(|_| unreachable!("every config field has a value"));
    let config = ImageConfigurationBuilder::default()
        .created(rfc3339(options.created))
        .architecture(Arch::from(options.arch))
        .os(Os::from(options.os))
        .config(config)
        .build()
        .unwrap_or_else(|_| unreachable!("architecture, os and config are set"));
    let annotations = BTreeMap::from([(
        "org.opencontainers.image.created".to_string(),
        rfc3339(options.created),
    )]);
    Image::assemble(config, records, &annotations).map_err(ExportError::Image)
}
