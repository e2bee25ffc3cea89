//! An image: its manifest and config, kept with the exact bytes their digests were taken of.
//!
//! Bytes are the truth for an image: re-serialising a parsed manifest could change its digest, so
//! [`Image`] always carries `manifest_bytes` and `config_bytes` and writers copy those verbatim.

use std::collections::{BTreeMap, HashMap};

use oci_spec::image::{
    Descriptor, HistoryBuilder, ImageConfiguration, ImageManifest, ImageManifestBuilder, MediaType,
    RootFsBuilder,
};

use crate::canonical_json::to_canonical_json;
use crate::digest::{Digest, sha256_digest};
use crate::layer::Layer;

/// Docker's Image Manifest V2, Schema 2 media type.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker's image config media type.
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// Docker's gzip layer media type.
const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// Errors while assembling or parsing an image.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// A manifest or config did not parse as JSON of the expected shape.
    #[error("parsing the image {what}")]
    Parse {
        /// "manifest" or "config".
        what: &'static str,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// oci-spec refused to build a manifest or descriptor.
    #[error("building the image {what}")]
    Build {
        /// What was being built.
        what: &'static str,
        /// The builder's error.
        #[source]
        source: oci_spec::OciSpecError,
    },
    /// The config blob's digest is not the one the manifest names.
    #[error("the image config does not match its digest {expected}")]
    ConfigDigest {
        /// The digest the manifest names.
        expected: Digest,
    },
    /// A layer whose compression Docker's image format has no media type for (zstd).
    #[error(
        "layer {digest} is {media_type}, which Docker's image format cannot name: build with gzip"
    )]
    NoDockerMediaType {
        /// The layer's digest.
        digest: String,
        /// Its OCI media type.
        media_type: String,
    },
    /// The manifest and config disagree on the number of layers.
    #[error("the manifest lists {manifest} layers but the config lists {config} diff_ids")]
    LayerCount {
        /// Layers in the manifest.
        manifest: usize,
        /// `diff_ids` in the config.
        config: usize,
    },
}

/// What a manifest and config need to know of one layer, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerRecord {
    /// gzip or zstd layer media type.
    pub media_type: MediaType,
    /// Digest of the compressed blob.
    pub digest: Digest,
    /// Size of the compressed blob.
    pub size: u64,
    /// Digest of the uncompressed tar.
    pub diff_id: Digest,
    /// What the layer holds, in words; recorded as the config's history entry for it.
    pub created_by: String,
}

impl LayerRecord {
    /// The record of a freshly compressed layer.
    #[must_use]
    pub fn of(layer: &Layer, created_by: impl Into<String>) -> Self {
        Self {
            media_type: layer.media_type.clone(),
            digest: layer.digest.clone(),
            size: layer.size,
            diff_id: layer.diff_id.clone(),
            created_by: created_by.into(),
        }
    }

    /// The manifest descriptor of this layer.
    #[must_use]
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(self.media_type.clone(), self.size, self.digest.clone())
    }
}

/// An image manifest and its config, parsed, with their exact bytes and digests.
#[derive(Debug, Clone)]
pub struct Image {
    /// The parsed manifest.
    pub manifest: ImageManifest,
    /// The manifest exactly as stored and hashed.
    pub manifest_bytes: Vec<u8>,
    /// Digest of [`Self::manifest_bytes`]: the image's identity.
    pub digest: Digest,
    /// The parsed config.
    pub config: ImageConfiguration,
    /// The config exactly as stored and hashed.
    pub config_bytes: Vec<u8>,
}

impl Image {
    /// Assembles an image: fills the config's rootfs and history from `layers`, serialises config
    /// and manifest as canonical JSON, and digests them. The same inputs give the same bytes.
    pub fn assemble(
        mut config: ImageConfiguration,
        layers: &[LayerRecord],
        annotations: &BTreeMap<String, String>,
    ) -> Result<Image, ImageError> {
        let created = config.created().clone();
        let rootfs = RootFsBuilder::default()
            .typ("layers")
            .diff_ids(
                layers
                    .iter()
                    .map(|l| l.diff_id.to_string())
                    .collect::<Vec<_>>(),
            )
            .build()
            .map_err(|source| ImageError::Build {
                what: "rootfs",
                source,
            })?;
        config.set_rootfs(rootfs);
        let history = layers
            .iter()
            .map(|l| {
                let mut entry = HistoryBuilder::default().created_by(l.created_by.clone());
                if let Some(created) = &created {
                    entry = entry.created(created.clone());
                }
                entry.build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| ImageError::Build {
                what: "history",
                source,
            })?;
        config.set_history(Some(history));
        let config_bytes = to_canonical_json(&config).map_err(|source| ImageError::Parse {
            what: "config",
            source,
        })?;
        let config_descriptor = Descriptor::new(
            MediaType::ImageConfig,
            config_bytes.len() as u64,
            sha256_digest(&config_bytes),
        );
        let mut builder = ImageManifestBuilder::default()
            .schema_version(2u32)
            .media_type(MediaType::ImageManifest)
            .config(config_descriptor)
            .layers(
                layers
                    .iter()
                    .map(LayerRecord::descriptor)
                    .collect::<Vec<_>>(),
            );
        if !annotations.is_empty() {
            builder = builder.annotations(
                annotations
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<HashMap<_, _>>(),
            );
        }
        Self::with_manifest(builder, config, config_bytes)
    }

    /// The image the manifest `builder` describes, serialised as canonical JSON and digested.
    fn with_manifest(
        builder: ImageManifestBuilder,
        config: ImageConfiguration,
        config_bytes: Vec<u8>,
    ) -> Result<Image, ImageError> {
        let manifest = builder.build().map_err(|source| ImageError::Build {
            what: "manifest",
            source,
        })?;
        let manifest_bytes = to_canonical_json(&manifest).map_err(|source| ImageError::Parse {
            what: "manifest",
            source,
        })?;
        Ok(Image {
            digest: sha256_digest(&manifest_bytes),
            manifest,
            manifest_bytes,
            config,
            config_bytes,
        })
    }

    /// The same image with Docker's Image Manifest V2, Schema 2 media types (manifest, config,
    /// gzip layers) instead of OCI's: the same config and layer bytes, another manifest. For
    /// tools that write Docker manifests around whatever layers they are given (`pack rebase`,
    /// through go-containerregistry): given OCI layers they make an image no engine pulls. The
    /// schema has no annotations, so they are left out.
    pub fn with_docker_media_types(&self) -> Result<Image, ImageError> {
        let layers = self
            .manifest
            .layers()
            .iter()
            .map(|layer| match layer.media_type().to_string().as_str() {
                "application/vnd.oci.image.layer.v1.tar+gzip" | DOCKER_LAYER_GZIP => {
                    Ok(Descriptor::new(
                        MediaType::Other(DOCKER_LAYER_GZIP.into()),
                        layer.size(),
                        layer.digest().clone(),
                    ))
                }
                other => Err(ImageError::NoDockerMediaType {
                    digest: layer.digest().to_string(),
                    media_type: other.to_string(),
                }),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let config = self.config_descriptor();
        let builder = ImageManifestBuilder::default()
            .schema_version(2u32)
            .media_type(MediaType::Other(DOCKER_MANIFEST.into()))
            .config(Descriptor::new(
                MediaType::Other(DOCKER_CONFIG.into()),
                config.size(),
                config.digest().clone(),
            ))
            .layers(layers);
        Self::with_manifest(builder, self.config.clone(), self.config_bytes.clone())
    }

    /// Whether the manifest is Docker's (V2, Schema 2) rather than OCI's.
    #[must_use]
    pub fn has_docker_media_types(&self) -> bool {
        self.manifest
            .media_type()
            .as_ref()
            .is_some_and(|m| m.to_string() == DOCKER_MANIFEST)
    }

    /// Parses an image from its stored bytes, checking that the config is the one the manifest
    /// names and that both agree on the layers.
    pub fn from_bytes(manifest_bytes: Vec<u8>, config_bytes: Vec<u8>) -> Result<Image, ImageError> {
        let manifest: ImageManifest =
            serde_json::from_slice(&manifest_bytes).map_err(|source| ImageError::Parse {
                what: "manifest",
                source,
            })?;
        let expected = manifest.config().digest().clone();
        if sha256_digest(&config_bytes) != expected {
            return Err(ImageError::ConfigDigest { expected });
        }
        let config: ImageConfiguration =
            serde_json::from_slice(&config_bytes).map_err(|source| ImageError::Parse {
                what: "config",
                source,
            })?;
        let (manifest_layers, config_layers) =
            (manifest.layers().len(), config.rootfs().diff_ids().len());
        if manifest_layers != config_layers {
            return Err(ImageError::LayerCount {
                manifest: manifest_layers,
                config: config_layers,
            });
        }
        Ok(Image {
            digest: sha256_digest(&manifest_bytes),
            manifest,
            manifest_bytes,
            config,
            config_bytes,
        })
    }

    /// The config blob's descriptor.
    #[must_use]
    pub fn config_descriptor(&self) -> &Descriptor {
        self.manifest.config()
    }

    /// The manifest's own descriptor, as an index or a registry lists it.
    #[must_use]
    pub fn manifest_descriptor(&self) -> Descriptor {
        Descriptor::new(
            MediaType::ImageManifest,
            self.manifest_bytes.len() as u64,
            self.digest.clone(),
        )
    }

    /// Each layer's record, with what it holds taken from the config's history.
    #[must_use]
    pub fn layers(&self) -> Vec<LayerRecord> {
        let diff_ids = self.config.rootfs().diff_ids();
        let mut history = self
            .config
            .history()
            .iter()
            .flatten()
            .filter(|h| !h.empty_layer().unwrap_or(false))
            .map(|h| h.created_by().clone().unwrap_or_default());
        self.manifest
            .layers()
            .iter()
            .zip(diff_ids)
            .map(|(descriptor, diff_id)| LayerRecord {
                media_type: descriptor.media_type().clone(),
                digest: descriptor.digest().clone(),
                size: descriptor.size(),
                diff_id: diff_id
                    .parse()
                    .unwrap_or_else(|_| descriptor.digest().clone()),
                created_by: history.next().unwrap_or_default(),
            })
            .collect()
    }

    /// The labels of the image config.
    #[must_use]
    pub fn labels(&self) -> BTreeMap<String, String> {
        self.config
            .config()
            .as_ref()
            .and_then(|c| c.labels().clone())
            .map(|labels| labels.into_iter().collect())
            .unwrap_or_default()
    }

    /// Total compressed size: config, manifest and every layer blob.
    #[must_use]
    pub fn total_size(&self) -> u64 {
        self.manifest
            .layers()
            .iter()
            .map(Descriptor::size)
            .sum::<u64>()
            + self.config_bytes.len() as u64
            + self.manifest_bytes.len() as u64
    }
}

#[cfg(test)]
#[path = "image_tests.rs"]
mod tests;
