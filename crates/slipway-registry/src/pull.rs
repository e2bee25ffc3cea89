//! Pulling an image into an OCI layout: the manifest (the linux/amd64 one when the reference names
//! a multi-platform index), its config, and the layers the layout lacks, each verified against its
//! digest before it is stored; or its manifest and config alone ([`RegistryClient::pull_metadata`]),
//! for a rebase, which never needs the app's layers.

use futures_util::{StreamExt, TryStreamExt, stream};
use oci_client::manifest::{
    IMAGE_MANIFEST_LIST_MEDIA_TYPE, IMAGE_MANIFEST_MEDIA_TYPE, OCI_IMAGE_INDEX_MEDIA_TYPE,
    OCI_IMAGE_MEDIA_TYPE,
};
use oci_client::{Reference, RegistryOperation};
use slipway_oci::oci_spec::image::{Arch, Descriptor, ImageIndex, ImageManifest, Os};
use slipway_oci::{BlobSource, Digest, Image, ImageError, OciLayout, sha256_digest};

use crate::client::RegistryClient;
use crate::error::RegistryError;

/// The manifest types slipway accepts: OCI and Docker v2 images and indexes.
const ACCEPTED_MANIFESTS: [&str; 4] = [
    OCI_IMAGE_MEDIA_TYPE,
    OCI_IMAGE_INDEX_MEDIA_TYPE,
    IMAGE_MANIFEST_MEDIA_TYPE,
    IMAGE_MANIFEST_LIST_MEDIA_TYPE,
];

/// How many layers are downloaded at once.
const CONCURRENT_LAYERS: usize = 4;

/// What a fetched manifest is.
#[derive(Debug, PartialEq, Eq)]
enum ManifestKind {
    /// A single image's manifest.
    Image,
    /// An index or manifest list, with its media type.
    Index(String),
    /// Anything else, with its media type.
    Other(String),
}

impl RegistryClient {
    /// Pulls this client's reference into `into`: stores the manifest, config and every layer the
    /// layout lacks as blobs, and returns the image. The layout's index is not changed: naming the
    /// image there is the caller's choice.
    pub async fn pull(&self, into: &OciLayout) -> Result<Image, RegistryError> {
        let (manifest_bytes, manifest, reference) = self.authenticated_manifest().await?;
        let config_bytes = self
            .fetch_blob(&reference, manifest.config().digest(), into)
            .await?;
        let image = Image::from_bytes(manifest_bytes, config_bytes)
            .map_err(|source| invalid_image(&reference, source))?;
        stream::iter(image.manifest.layers())
            .filter(|layer| std::future::ready(!into.has_blob(layer.digest())))
            .map(|layer| async {
                let bytes = self.fetch_blob(&reference, layer.digest(), into).await?;
                store(into, &bytes, layer.digest())
            })
            .buffer_unordered(CONCURRENT_LAYERS)
            .try_collect::<Vec<()>>()
            .await?;
        store(
            into,
            &image.config_bytes,
            image.config_descriptor().digest(),
        )?;
        store(into, &image.manifest_bytes, &image.digest)?;
        Ok(image)
    }

    /// Signs in for pulling and fetches this client's image manifest (the linux/amd64 one of an
    /// index), parsed, with its exact bytes and the reference it was found under.
    async fn authenticated_manifest(
        &self,
    ) -> Result<(Vec<u8>, ImageManifest, Reference), RegistryError> {
        self.authenticate(RegistryOperation::Pull).await?;
        let (manifest_bytes, reference) = self.fetch_image_manifest().await?;
        let manifest: ImageManifest =
            serde_json::from_slice(&manifest_bytes).map_err(|source| {
                invalid_image(
                    &reference,
                    ImageError::Parse {
                        what: "manifest",
                        source,
                    },
                )
            })?;
        Ok((manifest_bytes, manifest, reference))
    }

    /// This client's image (the linux/amd64 one of an index) as its manifest and config only,
    /// both verified and stored nowhere: what a rebase needs to put new base layers under an
    /// image's app layers without downloading those layers, which stay in the registry.
    pub async fn pull_metadata(&self) -> Result<Image, RegistryError> {
        let (manifest_bytes, manifest, reference) = self.authenticated_manifest().await?;
        let config_digest = manifest.config().digest();
        let config_bytes = self.download_blob(&reference, config_digest).await?;
        verify(&config_bytes, config_digest)?;
        Image::from_bytes(manifest_bytes, config_bytes)
            .map_err(|source| invalid_image(&reference, source))
    }

    /// The image manifest's bytes, and the reference by digest its blobs are fetched through. For
    /// an index, that is the linux/amd64 image's manifest.
    async fn fetch_image_manifest(&self) -> Result<(Vec<u8>, Reference), RegistryError> {
        let (bytes, digest) = self.fetch_manifest(&self.reference).await?;
        let chosen = match manifest_kind(&bytes) {
            ManifestKind::Image => return Ok((bytes, self.reference.clone_with_digest(digest))),
            ManifestKind::Index(_) => self.choose_platform(&bytes)?,
            ManifestKind::Other(media_type) => {
                return Err(not_an_image(&self.reference, media_type));
            }
        };
        let (bytes, _) = self.fetch_manifest(&chosen).await?;
        match manifest_kind(&bytes) {
            ManifestKind::Image => Ok((bytes, chosen)),
            ManifestKind::Index(media_type) | ManifestKind::Other(media_type) => {
                Err(not_an_image(&chosen, media_type))
            }
        }
    }

    /// The reference, by digest, of the linux/amd64 image the index `bytes` lists.
    fn choose_platform(&self, bytes: &[u8]) -> Result<Reference, RegistryError> {
        let reference = self.reference.whole();
        let index: ImageIndex =
            serde_json::from_slice(bytes).map_err(|source| RegistryError::InvalidImage {
                reference: reference.clone(),
                source: ImageError::Parse {
                    what: "index",
                    source,
                },
            })?;
        let chosen = select_platform(&index, &Os::Linux, &Arch::Amd64).ok_or(
            RegistryError::NoMatchingPlatform {
                reference,
                platform: "linux/amd64".into(),
            },
        )?;
        Ok(self
            .reference
            .clone_with_digest(chosen.digest().to_string()))
    }

    /// A manifest's bytes and digest (oci-client checks them against the registry's
    /// `Docker-Content-Digest` and against a digest in the reference).
    async fn fetch_manifest(
        &self,
        reference: &Reference,
    ) -> Result<(Vec<u8>, String), RegistryError> {
        let shown = reference.whole();
        let (bytes, digest) = self
            .retry
            .run(
                || {
                    self.client
                        .pull_manifest_raw(reference, &self.auth, &ACCEPTED_MANIFESTS)
                },
                |_, _| {},
            )
            .await
            .map_err(|e| {
                self.target(Some(&shown))
                    .error(format!("fetching the manifest of {shown}"), e)
            })?;
        Ok((bytes.to_vec(), digest))
    }

    /// A blob's bytes: from the layout when it has them, else from the registry.
    async fn fetch_blob(
        &self,
        reference: &Reference,
        digest: &Digest,
        into: &OciLayout,
    ) -> Result<Vec<u8>, RegistryError> {
        if into.has_blob(digest) {
            return into
                .read_blob(digest)
                .map_err(|source| RegistryError::Blob {
                    digest: digest.clone(),
                    source,
                });
        }
        self.download_blob(reference, digest).await
    }

    /// A blob's bytes from the registry (not yet verified against `digest`).
    async fn download_blob(
        &self,
        reference: &Reference,
        digest: &Digest,
    ) -> Result<Vec<u8>, RegistryError> {
        let digest_text = digest.to_string();
        self.retry
            .run(
                || async {
                    let mut bytes = Vec::new();
                    self.client
                        .pull_blob(reference, digest_text.as_str(), &mut bytes)
                        .await?;
                    Ok(bytes)
                },
                |_, _| {},
            )
            .await
            .map_err(|e| {
                self.target(None).error(
                    format!("downloading blob {digest} of {}", reference.whole()),
                    e,
                )
            })
    }
}

/// Stores `bytes` in the layout after checking they are the blob `expected`.
fn store(into: &OciLayout, bytes: &[u8], expected: &Digest) -> Result<(), RegistryError> {
    verify(bytes, expected)?;
    into.write_blob(bytes)
        .map_err(|source| RegistryError::Layout {
            what: format!("blob {expected}"),
            source: Box::new(source),
        })?;
    Ok(())
}

/// Checks that downloaded `bytes` are the blob `expected`.
fn verify(bytes: &[u8], expected: &Digest) -> Result<(), RegistryError> {
    let actual = sha256_digest(bytes);
    if &actual != expected {
        return Err(RegistryError::DigestMismatch {
            what: format!("the downloaded blob {expected}"),
            expected: expected.clone(),
            actual: actual.to_string(),
        });
    }
    Ok(())
}

/// Whether `bytes` are an image manifest or an index, from their `mediaType` (or, for an OCI
/// index or manifest without one, from the fields they have).
fn manifest_kind(bytes: &[u8]) -> ManifestKind {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return ManifestKind::Other("unknown (not JSON)".into());
    };
    match value.get("mediaType").and_then(serde_json::Value::as_str) {
        Some(OCI_IMAGE_MEDIA_TYPE | IMAGE_MANIFEST_MEDIA_TYPE) => ManifestKind::Image,
        Some(index @ (OCI_IMAGE_INDEX_MEDIA_TYPE | IMAGE_MANIFEST_LIST_MEDIA_TYPE)) => {
            ManifestKind::Index(index.to_owned())
        }
        Some(other) => ManifestKind::Other(other.to_owned()),
        None if value.get("manifests").is_some() => {
            ManifestKind::Index(OCI_IMAGE_INDEX_MEDIA_TYPE.to_owned())
        }
        None if value.get("config").is_some() && value.get("layers").is_some() => {
            ManifestKind::Image
        }
        None => ManifestKind::Other("unknown".into()),
    }
}

fn not_an_image(reference: &Reference, media_type: String) -> RegistryError {
    RegistryError::NotAnImage {
        reference: reference.whole(),
        media_type,
    }
}

/// The first manifest in `index` for `os`/`arch`.
fn select_platform<'a>(index: &'a ImageIndex, os: &Os, arch: &Arch) -> Option<&'a Descriptor> {
    index.manifests().iter().find(|d| {
        d.platform()
            .as_ref()
            .is_some_and(|p| p.os() == os && p.architecture() == arch)
    })
}

/// Pulls `source` into the layout `into` with the credentials `keychain` has for its registry,
/// fetching only the blobs the layout lacks; returns the image (linux/amd64's, for an index).
pub async fn pull_image(
    source: &Reference,
    keychain: &crate::Keychain,
    into: &OciLayout,
) -> Result<Image, RegistryError> {
    RegistryClient::new(source, keychain)?.pull(into).await
}

/// An image at `reference` that does not parse as one.
fn invalid_image(reference: &Reference, source: ImageError) -> RegistryError {
    RegistryError::InvalidImage {
        reference: reference.whole(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = r#"{
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 7,
             "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111",
             "platform": {"os": "linux", "architecture": "arm64"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 7,
             "digest": "sha256:2222222222222222222222222222222222222222222222222222222222222222",
             "platform": {"os": "linux", "architecture": "amd64"}}
        ]
    }"#;

    #[test]
    fn linux_amd64_is_chosen_from_an_index() {
        let index: ImageIndex = serde_json::from_str(INDEX).expect("index");
        let chosen = select_platform(&index, &Os::Linux, &Arch::Amd64).expect("amd64 is there");
        assert!(chosen.digest().to_string().ends_with("2222"));
        assert!(select_platform(&index, &Os::Windows, &Arch::Amd64).is_none());
    }

    #[test]
    fn manifests_and_indexes_are_told_apart() {
        let oci_index = ManifestKind::Index(OCI_IMAGE_INDEX_MEDIA_TYPE.into());
        assert_eq!(manifest_kind(INDEX.as_bytes()), oci_index);
        assert_eq!(
            manifest_kind(br#"{"schemaVersion":2,"manifests":[]}"#),
            oci_index
        );
        assert_eq!(
            manifest_kind(
                br#"{"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}"#
            ),
            ManifestKind::Image
        );
        assert_eq!(
            manifest_kind(br#"{"schemaVersion":2,"config":{},"layers":[]}"#),
            ManifestKind::Image
        );
        assert_eq!(
            manifest_kind(br#"{"mediaType":"application/vnd.oci.artifact.manifest.v1+json"}"#),
            ManifestKind::Other("application/vnd.oci.artifact.manifest.v1+json".into())
        );
        assert_eq!(
            manifest_kind(b"not json"),
            ManifestKind::Other("unknown (not JSON)".into())
        );
    }
}
