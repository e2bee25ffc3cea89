//! Rebase: an app image moved onto another run image, its app layers kept as they are.
//!
//! The run image's layers are found by the CNB lifecycle label's `runImage.topLayer` (the same
//! field `pack rebase` reads) and replaced by the new run image's; everything above them (the
//! launcher, the buildpacks' layers, the launch config) is kept byte for byte. Unlike
//! go-containerregistry's rebase, the config is brought up to date as well: the run image's
//! environment (`PATH`, `JAVA_HOME`) comes from the new run image, and the labels and
//! annotations that name the run image name the new one. The result depends only on the two
//! images, so the same rebase gives the same digest.
//!
//! A rebase is refused when the new run image could break the app: another stack (and so
//! release), architecture or OS, another flavor, or another runtime major version. Such an app
//! needs a rebuild. `force` only lets through what a rebuild would not change either: a run
//! image the app's labels do not name (a mirror, or a run image of the same stack and flavor
//! from elsewhere), and an image built by another CNB platform whose stack matches.

use std::collections::{BTreeMap, HashMap};

use oci_spec::image::ImageConfiguration;
use slipway_oci::canonical_json::to_canonical_json;
use slipway_oci::{Compression, Image, LayerRecord};

use slipway_stack::debian::{CA_CERTS_LABEL, FLAVOR_LABEL, LOCKFILE_DIGEST_LABEL};

use crate::metadata::{
    LIFECYCLE_METADATA_LABEL, LifecycleMetadata, RUN_IMAGE_LABEL, RunImageRecord, STACK_ID_LABEL,
};

/// Annotations naming the base image.
const BASE_NAME: &str = "org.opencontainers.image.base.name";
const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";

/// Why an image cannot be rebased onto a run image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RebaseError {
    /// The image does not say where its run image ends.
    #[error(
        "{image} was not built by slipway or a Cloud Native Buildpacks platform: it has no \
         io.buildpacks.lifecycle.metadata label naming its run image's top layer, so its app \
         layers cannot be told from its base"
    )]
    NotBuildpackBuilt {
        /// The app image, as the user named it.
        image: String,
    },
    /// The label names a top layer the image does not have.
    #[error("{image}'s run image top layer {top_layer} is not one of its layers")]
    TopLayerMissing {
        /// The app image, as the user named it.
        image: String,
        /// The `diff_id` the label names.
        top_layer: String,
    },
    /// The new run image is of another stack (and so another release).
    #[error("{image} is built on stack {image_stack}, and the run image is of stack {run_stack}")]
    OtherStack {
        /// The app image, as the user named it.
        image: String,
        /// The app image's stack id.
        image_stack: String,
        /// The run image's stack id.
        run_stack: String,
    },
    /// The new run image is for another platform.
    #[error("{image} is for {image_platform}, and the run image is for {run_platform}")]
    OtherPlatform {
        /// The app image, as the user named it.
        image: String,
        /// The app image's OS/architecture.
        image_platform: String,
        /// The run image's OS/architecture.
        run_platform: String,
    },
    /// The new run image has another runtime major version.
    #[error(
        "{image} runs on {image_runtime}, and the run image has {run_runtime}: a new runtime \
         major version needs a rebuild"
    )]
    OtherRuntime {
        /// The app image, as the user named it.
        image: String,
        /// The runtime the app runs on.
        image_runtime: String,
        /// The run image's runtime.
        run_runtime: String,
    },
    /// The new run image is another flavor of the stack.
    #[error("{image} runs on the {image_flavor} flavor, and the run image is {run_flavor}")]
    OtherFlavor {
        /// The app image, as the user named it.
        image: String,
        /// The app's run image flavor.
        image_flavor: String,
        /// The run image's flavor.
        run_flavor: String,
    },
    /// The rebased image could not be put together.
    #[error("assembling the rebased {image}: {reason}")]
    Assemble {
        /// The app image, as the user named it.
        image: String,
        /// Why.
        reason: String,
    },
    /// Refused unless forced.
    #[error("{reason} (--force rebases anyway)")]
    NeedsForce {
        /// Why.
        reason: String,
    },
}

impl RebaseError {
    /// The fix, for the CLI's error report.
    #[must_use]
    pub fn hint(&self) -> &'static str {
        match self {
            Self::NotBuildpackBuilt { .. } | Self::TopLayerMissing { .. } => {
                "rebuild the image with `slipway build`; only buildpack-built images can be rebased"
            }
            Self::OtherStack { .. } | Self::OtherPlatform { .. } => {
                "rebuild the app on that stack (`slipway build --stack NAME`): a rebase keeps the \
                 app's binaries, which were made for the old one"
            }
            Self::OtherRuntime { .. } | Self::OtherFlavor { .. } => {
                "rebuild the app (`slipway build`), which picks the flavor and runtime it needs"
            }
            Self::NeedsForce { .. } => "check the run image, then add --force",
            Self::Assemble { .. } => "report this as a bug in slipway",
        }
    }
}

/// An image after a rebase, and what changed.
#[derive(Debug, Clone)]
pub struct Rebased {
    /// The new image (its blobs: the run image's layers and the old image's app layers).
    pub image: Image,
    /// How many of the old image's layers were the run image's.
    pub replaced_layers: usize,
    /// The app layers kept.
    pub kept_layers: Vec<LayerRecord>,
    /// The old run image's record, when slipway built the image.
    pub old_run_image: Option<RunImageRecord>,
    /// The new run image's record, as the new image carries it.
    pub new_run_image: RunImageRecord,
}

/// Rebases `image` (named `name` in messages) onto `run_image`, a run image as `slipway stack
/// build` writes it (its stack, flavor and lockfile in its labels).
pub fn rebase(
    image: &Image,
    name: &str,
    run_image: &Image,
    run_image_name: &str,
    force: bool,
) -> Result<Rebased, RebaseError> {
    let labels = image.labels();
    let lifecycle: LifecycleMetadata = labels
        .get(LIFECYCLE_METADATA_LABEL)
        .and_then(|l| serde_json::from_str(l).ok())
        .filter(|m: &LifecycleMetadata| !m.run_image.top_layer.is_empty())
        .ok_or_else(|| RebaseError::NotBuildpackBuilt { image: name.into() })?;
    let layers = image.layers();
    let top = layers
        .iter()
        .position(|l| l.diff_id.to_string() == lifecycle.run_image.top_layer)
        .ok_or_else(|| RebaseError::TopLayerMissing {
            image: name.into(),
            top_layer: lifecycle.run_image.top_layer.clone(),
        })?;
    let old_record: Option<RunImageRecord> = labels
        .get(RUN_IMAGE_LABEL)
        .and_then(|l| serde_json::from_str(l).ok());
    check(
        image,
        name,
        old_record.as_ref(),
        &lifecycle,
        run_image,
        run_image_name,
        force,
    )?;
    let kept_layers: Vec<LayerRecord> = layers[top + 1..].to_vec();
    let base_layers: Vec<LayerRecord> = run_image
        .layers()
        .into_iter()
        .map(|mut l| {
            l.created_by = crate::export::base_layer_summary(&l.created_by);
            l
        })
        .collect();
    let new_record = run_image_record(run_image);
    let top_layer = base_layers
        .last()
        .map(|l| l.diff_id.to_string())
        .unwrap_or_default();
    let config = rebased_config(
        image,
        old_record.as_ref(),
        run_image,
        run_image_name,
        &new_record,
        &top_layer,
    );
    let mut annotations: BTreeMap<String, String> = image
        .manifest
        .annotations()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    annotations.insert(BASE_NAME.into(), run_image_name.into());
    annotations.insert(BASE_DIGEST.into(), run_image.digest.to_string());
    let image = assemble(
        image,
        name,
        config,
        &base_layers,
        &kept_layers,
        &annotations,
    )?;

    Ok(Rebased {
        image,
        replaced_layers: top + 1,
        kept_layers,
        old_run_image: old_record,
        new_run_image: new_record,
    })
}

/// The rebased image from its config and layers, in one media type family: the layers as OCI's,
/// and all of it as Docker's again when `old` came so.
fn assemble(
    old: &Image,
    name: &str,
    config: ImageConfiguration,
    base_layers: &[LayerRecord],
    kept_layers: &[LayerRecord],
    annotations: &BTreeMap<String, String>,
) -> Result<Image, RebaseError> {
    let records: Vec<LayerRecord> = base_layers
        .iter()
        .chain(kept_layers)
        .cloned()
        .map(|mut record| {
            if let Some(compression) = Compression::from_media_type(&record.media_type) {
                record.media_type = compression.media_type();
            }
            record
        })
        .collect();
    Image::assemble(config, &records, annotations)
        .and_then(|image| {
            if old.has_docker_media_types() {
                image.with_docker_media_types()
            } else {
                Ok(image)
            }
        })
        .map_err(|e| RebaseError::Assemble {
            image: name.into(),
            reason: e.to_string(),
        })
}

/// The refusals of the module's doc, in order of how badly the app would break.
fn check(
    image: &Image,
    name: &str,
    old: Option<&RunImageRecord>,
    lifecycle: &LifecycleMetadata,
    run_image: &Image,
    run_image_name: &str,
    force: bool,
) -> Result<(), RebaseError> {
    let (image_stack, run_stack) = (stack_of(image), stack_of(run_image));
    if image_stack != run_stack {
        return Err(RebaseError::OtherStack {
            image: name.into(),
            image_stack,
            run_stack,
        });
    }
    let platform = |i: &Image| format!("{}/{}", i.config.os(), i.config.architecture());
    if platform(image) != platform(run_image) {
        return Err(RebaseError::OtherPlatform {
            image: name.into(),
            image_platform: platform(image),
            run_platform: platform(run_image),
        });
    }
    let run_flavor = run_image
        .labels()
        .get(FLAVOR_LABEL)
        .cloned()
        .unwrap_or_else(|| "base".into());
    let Some(old) = old else {
        return if force {
            Ok(())
        } else {
            Err(RebaseError::NeedsForce {
                reason: format!(
                    "{name} was built by another Cloud Native Buildpacks platform, so slipway \
                     cannot check that the run image's flavor and runtime suit it"
                ),
            })
        };
    };
    if runtime(&old.flavor) != runtime(&run_flavor) {
        return Err(RebaseError::OtherRuntime {
            image: name.into(),
            image_runtime: runtime(&old.flavor),
            run_runtime: runtime(&run_flavor),
        });
    }
    if old.flavor != run_flavor {
        return Err(RebaseError::OtherFlavor {
            image: name.into(),
            image_flavor: old.flavor.clone(),
            run_flavor,
        });
    }
    let recorded = lifecycle.run_image.image.as_str();
    if !force
        && !recorded.is_empty()
        && recorded != run_image_name
        && !run_image_name.starts_with("slipway/")
    {
        return Err(RebaseError::NeedsForce {
            reason: format!("{name} was built on run image {recorded}, not {run_image_name}"),
        });
    }
    Ok(())
}

/// What an app image records of `run_image` (a run image as `slipway stack build` writes it:
/// its stack, flavor, lockfile and extra CAs in its labels): the one place both export and
/// rebase make [`RunImageRecord`] from.
pub(crate) fn run_image_record(run_image: &Image) -> RunImageRecord {
    let labels = run_image.labels();
    let label = |name: &str| labels.get(name).cloned().unwrap_or_default();
    RunImageRecord {
        stack: stack_of(run_image)
            .trim_start_matches("io.slipway.stacks.")
            .to_string(),
        flavor: labels
            .get(FLAVOR_LABEL)
            .cloned()
            .unwrap_or_else(|| "base".into()),
        digest: run_image.digest.to_string(),
        layers: run_image.manifest.layers().len(),
        lockfile: label(LOCKFILE_DIGEST_LABEL),
        ca_certs: label(CA_CERTS_LABEL)
            .split(',')
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect(),
        env_keys: env_of(&run_image.config)
            .iter()
            .map(|e| e.split('=').next().unwrap_or_default().to_string())
            .collect(),
    }
}

/// The stack an image names (`io.buildpacks.stack.id`), or "none".
fn stack_of(image: &Image) -> String {
    image
        .labels()
        .get(STACK_ID_LABEL)
        .cloned()
        .unwrap_or_else(|| "none".into())
}

/// The runtime a flavor carries, major version included: `java-21` for `java-21-tomcat`, the
/// flavor itself for others (`nodejs`, `python`, `base`).
fn runtime(flavor: &str) -> String {
    flavor.strip_suffix("-tomcat").unwrap_or(flavor).to_string()
}

fn env_of(config: &ImageConfiguration) -> Vec<String> {
    config
        .config()
        .as_ref()
        .and_then(|c| c.env().clone())
        .unwrap_or_default()
}

/// The old config with the run image's parts replaced: its environment entries (the old run
/// image's out, the new one's in, the app's own kept after them) and the labels naming it.
fn rebased_config(
    image: &Image,
    old: Option<&RunImageRecord>,
    run_image: &Image,
    run_image_name: &str,
    new_record: &RunImageRecord,
    top_layer: &str,
) -> ImageConfiguration {
    let mut config = image.config.clone();
    let mut inner = config.config().clone().unwrap_or_default();
    let old_keys = old.map(|o| o.env_keys.clone()).unwrap_or_default();
    let new_base_env = env_of(&run_image.config);
    let key = |entry: &String| entry.split('=').next().unwrap_or_default().to_string();
    let new_keys: Vec<String> = new_base_env.iter().map(key).collect();
    let app_env = env_of(&config)
        .into_iter()
        .filter(|e| !old_keys.contains(&key(e)) && !new_keys.contains(&key(e)));
    inner.set_env(Some(new_base_env.iter().cloned().chain(app_env).collect()));
    let mut labels: HashMap<String, String> = inner.labels().clone().unwrap_or_default();
    if let Some(stack) = run_image.labels().get(STACK_ID_LABEL) {
        labels.insert(STACK_ID_LABEL.into(), stack.clone());
    }
    let mut lifecycle: LifecycleMetadata = labels
        .get(LIFECYCLE_METADATA_LABEL)
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_default();
    lifecycle.run_image.top_layer = top_layer.to_string();
    lifecycle.run_image.reference = format!("{run_image_name}@{}", run_image.digest);
    lifecycle.run_image.image = run_image_name.into();
    labels.insert(LIFECYCLE_METADATA_LABEL.into(), canonical(&lifecycle));
    labels.insert(RUN_IMAGE_LABEL.into(), canonical(new_record));
    inner.set_labels(Some(labels));
    config.set_config(Some(inner));
    config
}

fn canonical<T: serde::Serialize>(value: &T) -> String {
    String::from_utf8(to_canonical_json(value).unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
#[path = "rebase_tests.rs"]
mod tests;
