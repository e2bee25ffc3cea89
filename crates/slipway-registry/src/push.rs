//! Pushing an image: each blob the registry lacks, then the manifest's exact bytes.
//!
//! A blob the registry already has (a `HEAD` answers 200) is skipped, so a second push of a
//! rebuilt image uploads only the layers that changed. Blobs go up a few at a time, each retried
//! on passing failures; the manifest goes last, so that a failed push never leaves a tag naming
//! missing blobs.

use std::collections::BTreeSet;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream};
use oci_client::errors::OciDistributionError;
use oci_client::{Reference, RegistryOperation};
use slipway_oci::oci_spec::image::MediaType;
use slipway_oci::{BlobSource, Digest, Image};

use crate::client::RegistryClient;
use crate::error::RegistryError;

/// How many blobs are checked and uploaded at once.
const CONCURRENT_BLOBS: usize = 4;

/// What a push is doing, for progress output. Events for different blobs may interleave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushEvent {
    /// The registry already had the blob; nothing was sent.
    BlobExists {
        /// The blob.
        digest: Digest,
        /// Its size in bytes.
        size: u64,
    },
    /// The blob was mounted from another repository of the same registry; nothing was sent.
    BlobMounted {
        /// The blob.
        digest: Digest,
        /// Its size in bytes.
        size: u64,
        /// The repository it was mounted from.
        from: String,
    },
    /// The blob was uploaded.
    BlobUploaded {
        /// The blob.
        digest: Digest,
        /// Its size in bytes.
        size: u64,
    },
    /// A request failed in a way that may pass, and is being tried again.
    Retrying {
        /// What was being done.
        action: String,
        /// Which retry this is, from 1.
        attempt: u32,
    },
    /// The manifest was stored and the tag (if any) now names the image.
    ManifestPushed {
        /// The manifest's digest, as the registry reports it.
        digest: Digest,
    },
}

/// What a finished push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushReport {
    /// Blobs whose bytes were sent.
    pub uploaded_blobs: usize,
    /// Bytes sent for those blobs.
    pub uploaded_bytes: u64,
    /// Blobs the registry already had, or that were mounted from another repository.
    pub skipped_blobs: usize,
    /// The manifest digest: the image's identity in the registry.
    pub digest: Digest,
    /// The pushed image by digest, `REGISTRY/REPOSITORY@sha256:…`, for deployments to pin.
    pub reference: String,
}

/// What happened to one blob.
enum BlobOutcome {
    Skipped,
    Uploaded(u64),
}

/// One blob to push: its digest, size, and where its bytes come from.
struct BlobToPush<'a> {
    digest: Digest,
    size: u64,
    /// The config is pushed from the image's own bytes; layers are read from the blob source.
    bytes: Option<&'a [u8]>,
}

impl RegistryClient {
    /// Pushes `image` to this client's reference, reading layers from `blobs`. With `mount_from`
    /// (another repository of the same registry that has the layers, such as the base image's),
    /// missing blobs are first offered to the registry as cross-repository mounts, which send no
    /// bytes; a registry that refuses (or a token that only covers this repository, as on Docker
    /// Hub) simply gets an upload instead.
    pub async fn push(
        &self,
        image: &Image,
        blobs: &dyn BlobSource,
        mount_from: Option<&Reference>,
        progress: &dyn Fn(PushEvent),
    ) -> Result<PushReport, RegistryError> {
        self.authenticate(RegistryOperation::Push).await?;
        // oci-client sends blob HEADs with the pull token: without one, a registry that wants a
        // login (basic auth, or a token per scope) answers 401 to the existence checks.
        self.authenticate(RegistryOperation::Pull).await?;
        let mount_from = mount_from.filter(|from| {
            from.resolve_registry() == self.registry()
                && from.repository() != self.reference.repository()
        });
        let outcomes: Vec<BlobOutcome> = stream::iter(blobs_of(image))
            .map(|blob| self.push_blob(blob, blobs, mount_from, progress))
            .buffer_unordered(CONCURRENT_BLOBS)
            .try_collect()
            .await?;
        let digest = self.push_manifest(image, progress).await?;
        let mut report = PushReport {
            uploaded_blobs: 0,
            uploaded_bytes: 0,
            skipped_blobs: 0,
            reference: format!(
                "{}/{}@{digest}",
                self.reference.registry(),
                self.reference.repository()
            ),
            digest,
        };
        for outcome in outcomes {
            match outcome {
                BlobOutcome::Skipped => report.skipped_blobs += 1,
                BlobOutcome::Uploaded(size) => {
                    report.uploaded_blobs += 1;
                    report.uploaded_bytes += size;
                }
            }
        }
        Ok(report)
    }

    /// Pushes one blob unless the registry has it or can mount it.
    async fn push_blob(
        &self,
        blob: BlobToPush<'_>,
        source: &dyn BlobSource,
        mount_from: Option<&Reference>,
        progress: &dyn Fn(PushEvent),
    ) -> Result<BlobOutcome, RegistryError> {
        let BlobToPush {
            digest,
            size,
            bytes,
        } = blob;
        if self.has_blob(&digest, progress).await? {
            progress(PushEvent::BlobExists { digest, size });
            return Ok(BlobOutcome::Skipped);
        }
        if let Some(from) = mount_from
            && self.mount(&digest, from).await
        {
            let from = from.repository().to_owned();
            progress(PushEvent::BlobMounted { digest, size, from });
            return Ok(BlobOutcome::Skipped);
        }
        let data =
            match bytes {
                Some(bytes) => Bytes::copy_from_slice(bytes),
                None => Bytes::from(source.read_blob(&digest).map_err(|source| {
                    RegistryError::Blob {
                        digest: digest.clone(),
                        source,
                    }
                })?),
            };
        let size = data.len() as u64;
        self.upload(&digest, data, progress).await?;
        progress(PushEvent::BlobUploaded { digest, size });
        Ok(BlobOutcome::Uploaded(size))
    }

    /// Whether the repository already has the blob (a `HEAD` answering 200).
    async fn has_blob(
        &self,
        digest: &Digest,
        progress: &dyn Fn(PushEvent),
    ) -> Result<bool, RegistryError> {
        let action = format!("checking for blob {digest} in {}", self.reference.whole());
        self.retry
            .run(
                || self.client.blob_exists(&self.reference, digest.as_ref()),
                retrying(progress, &action),
            )
            .await
            .map_err(|e| self.target(None).error(action.clone(), e))
    }

    /// Asks the registry to mount the blob from `from`; whether it did. A refusal is not an error:
    /// the blob is uploaded instead.
    async fn mount(&self, digest: &Digest, from: &Reference) -> bool {
        match self
            .client
            .mount_blob(&self.reference, from, digest.as_ref())
            .await
        {
            Ok(()) => true,
            Err(e) => {
                tracing::debug!(%digest, error = %e, "mount refused; uploading instead");
                false
            }
        }
    }

    /// Uploads the blob's bytes in one request, retried on passing failures.
    async fn upload(
        &self,
        digest: &Digest,
        data: Bytes,
        progress: &dyn Fn(PushEvent),
    ) -> Result<(), RegistryError> {
        let action = format!("uploading blob {digest} to {}", self.reference.whole());
        self.retry
            .run(
                || {
                    self.client
                        .push_blob(&self.reference, data.clone(), digest.as_ref())
                },
                retrying(progress, &action),
            )
            .await
            .map_err(|e| self.target(None).error(action.clone(), e))?;
        Ok(())
    }

    /// Puts the manifest's exact bytes, then checks that the registry names them by the digest
    /// slipway computed (a registry that re-serialised them would change the image's identity).
    async fn push_manifest(
        &self,
        image: &Image,
        progress: &dyn Fn(PushEvent),
    ) -> Result<Digest, RegistryError> {
        let target = self.reference.whole();
        let action = format!("storing the manifest of {target}");
        let media_type = image
            .manifest
            .media_type()
            .clone()
            .unwrap_or(MediaType::ImageManifest)
            .to_string();
        let content_type = media_type.parse().map_err(|_| RegistryError::Protocol {
            action: action.clone(),
            source: OciDistributionError::UnsupportedMediaTypeError(media_type.clone()),
        })?;
        let body = Bytes::copy_from_slice(&image.manifest_bytes);
        self.retry
            .run(
                || {
                    self.client.push_manifest_raw(
                        &self.reference,
                        body.clone(),
                        Clone::clone(&content_type),
                    )
                },
                retrying(progress, &action),
            )
            .await
            .map_err(|e| self.target(None).error(action.clone(), e))?;
        let digest = self.manifest_digest().await?;
        if digest != image.digest {
            return Err(RegistryError::DigestMismatch {
                what: format!("the manifest of {target}"),
                expected: image.digest.clone(),
                actual: digest.to_string(),
            });
        }
        progress(PushEvent::ManifestPushed {
            digest: digest.clone(),
        });
        Ok(digest)
    }
}

/// The blobs an image needs, each once: its layers in order, then its config.
fn blobs_of(image: &Image) -> Vec<BlobToPush<'_>> {
    let mut seen = BTreeSet::new();
    let layers = image.layers().into_iter().map(|l| BlobToPush {
        digest: l.digest,
        size: l.size,
        bytes: None,
    });
    let config = BlobToPush {
        digest: image.config_descriptor().digest().clone(),
        size: image.config_bytes.len() as u64,
        bytes: Some(&image.config_bytes),
    };
    layers
        .chain([config])
        .filter(|b| seen.insert(b.digest.to_string()))
        .collect()
}

/// The retry callback that reports each retry of `action` as a [`PushEvent::Retrying`].
fn retrying<'a>(
    progress: &'a dyn Fn(PushEvent),
    action: &'a str,
) -> impl Fn(u32, &OciDistributionError) + 'a {
    move |attempt, _| {
        progress(PushEvent::Retrying {
            action: action.to_owned(),
            attempt,
        });
    }
}

/// Pushes `image` to `target`: authenticates with the credentials `keychain` has for the
/// registry, uploads the blobs the registry lacks (layers read from `blobs`), and puts the manifest
/// with its exact bytes. Every step is reported to `progress`.
pub async fn push_image(
    image: &Image,
    blobs: &dyn BlobSource,
    target: &Reference,
    keychain: &crate::Keychain,
    progress: &dyn Fn(PushEvent),
) -> Result<PushReport, RegistryError> {
    RegistryClient::new(target, keychain)?
        .push(image, blobs, None, progress)
        .await
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use slipway_oci::oci_spec::image::{Arch, ImageConfigurationBuilder, Os};
    use slipway_oci::{Compression, LayerBuilder, LayerRecord};

    use super::*;

    #[test]
    fn each_blob_is_pushed_once_and_the_config_last() {
        let mut builder = LayerBuilder::with_epoch(1);
        builder.file("a", 0o644, "a");
        let layer = builder
            .build()
            .expect("layer")
            .compress(Compression::Gzip)
            .expect("gzip");
        let record = LayerRecord::of(&layer, "a");
        let config = ImageConfigurationBuilder::default()
            .architecture(Arch::Amd64)
            .os(Os::Linux)
            .build()
            .expect("config");
        let image =
            Image::assemble(config, &[record.clone(), record], &BTreeMap::new()).expect("image");
        let digests: Vec<String> = blobs_of(&image)
            .iter()
            .map(|b| b.digest.to_string())
            .collect();
        assert_eq!(
            digests,
            [
                layer.digest.to_string(),
                image.config_descriptor().digest().to_string()
            ]
        );
    }
}
