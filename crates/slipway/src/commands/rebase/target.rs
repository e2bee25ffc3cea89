//! Where an image to rebase is, and where the rebased image goes back to: the local store, an
//! OCI layout (`oci:DIR[:TAG]`), or a registry. From a registry only the manifest and config are
//! fetched, and the push sends only the blobs it lacks: the app layers never cross the network.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use oci_client::Reference;
use slipway_oci::{Image, OciLayout};
use slipway_registry::{Keychain, PushEvent, RegistryClient};

use crate::destinations::short;
use crate::printer::{Printer, size};
use crate::store::{NotInStore, Store, display_name, parse_name};

/// Where an image to rebase lives.
pub(super) enum Target {
    /// The local store, under this name.
    Store(Reference),
    /// An OCI layout directory, under the ref name its index gives it (if any).
    Layout {
        /// The layout.
        layout: OciLayout,
        /// The image's index annotations, kept when the rebased image replaces it.
        annotations: BTreeMap<String, String>,
    },
    /// A registry.
    Registry(Box<RegistryClient>),
}

/// An image to rebase, as found.
pub(super) struct Located {
    /// Where it is.
    pub target: Target,
    /// How it is named in messages.
    pub name: String,
    /// The image (for a registry: its manifest and config; the layers stay there).
    pub image: Image,
}

/// What writing the rebased image back sent: blobs and bytes.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Written {
    /// Blobs copied or uploaded.
    pub blobs: usize,
    /// Their bytes.
    pub bytes: u64,
}

/// Finds the image `spec` names: `oci:DIR[:TAG]`, a name in the local store, or else (when the
/// name has a registry host) the image in that registry.
pub(super) async fn locate(spec: &str, store: &Store) -> anyhow::Result<Located> {
    if let Some(rest) = spec.strip_prefix("oci:") {
        return locate_in_layout(spec, rest);
    }
    match store.resolve(spec) {
        Ok((reference, image)) => Ok(Located {
            name: display_name(&reference),
            target: Target::Store(reference),
            image,
        }),
        Err(err) if err.is::<NotInStore>() && names_a_registry(spec) => {
            let reference = parse_name(spec)?;
            let client = RegistryClient::new(&reference, &Keychain::from_env())?;
            let image = client
                .pull_metadata()
                .await
                .with_context(|| format!("reading the manifest and config of {spec}"))?;
            Ok(Located {
                name: display_name(&reference),
                target: Target::Registry(Box::new(client)),
                image,
            })
        }
        Err(err) => Err(err),
    }
}

/// Whether `name` starts with a registry host (`HOST.DOMAIN/`, `HOST:PORT/`, `localhost/`), as
/// Docker tells a registry from a Docker Hub user.
pub(super) fn names_a_registry(name: &str) -> bool {
    name.split_once('/').is_some_and(|(first, _)| {
        first.contains('.') || first.contains(':') || first == "localhost"
    })
}

/// `oci:DIR` (the layout's only image) or `oci:DIR:TAG`.
fn locate_in_layout(spec: &str, rest: &str) -> anyhow::Result<Located> {
    let (dir, tag) = split_layout_spec(rest);
    let layout = OciLayout::open(&dir).with_context(|| format!("opening {spec}"))?;
    let entries = layout
        .entries()
        .with_context(|| format!("reading the index of {spec}"))?;
    let entry = match &tag {
        Some(tag) => entries.iter().find(|e| e.name.as_deref() == Some(tag)),
        None if entries.len() == 1 => entries.first(),
        None if entries.is_empty() => None,
        None => bail!(
            "{} holds {} images: name one with oci:DIR:TAG",
            dir.display(),
            entries.len()
        ),
    }
    .ok_or_else(|| NotInStore(spec.to_string()))?;
    let image = layout
        .load_image(entry.descriptor.digest())
        .with_context(|| format!("reading the image {spec}"))?;
    let annotations = entry
        .descriptor
        .annotations()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    Ok(Located {
        target: Target::Layout {
            layout,
            annotations,
        },
        name: spec.to_string(),
        image,
    })
}

/// The directory and tag of `DIR[:TAG]`: a path that is a layout is the directory whole, colons
/// and all; else the part after the last colon (when it has no `/`) is the tag.
fn split_layout_spec(rest: &str) -> (PathBuf, Option<String>) {
    if Path::new(rest).join("oci-layout").is_file() {
        return (rest.into(), None);
    }
    match rest.rsplit_once(':') {
        Some((dir, tag)) if !dir.is_empty() && !tag.is_empty() && !tag.contains('/') => {
            (dir.into(), Some(tag.to_string()))
        }
        _ => (rest.into(), None),
    }
}

impl Located {
    /// Writes `rebased` back where this image was: the new run image's layers come from the
    /// local store, the app layers are already there.
    pub(super) async fn write_back(
        &self,
        rebased: &Image,
        store: &Store,
        printer: &Printer,
    ) -> anyhow::Result<Written> {
        match &self.target {
            Target::Store(reference) => {
                store.tag(rebased, reference)?;
                Ok(Written::default())
            }
            Target::Layout {
                layout,
                annotations,
            } => {
                let (blobs, bytes) = layout
                    .copy_blobs_from(rebased, &store.layout)
                    .with_context(|| format!("copying the new base layers into {}", self.name))?;
                // The same annotations: the same ref name, so the rebased image replaces it (an
                // unnamed one replaces the entry it came from).
                layout
                    .put_image_replacing(rebased, annotations, Some(&self.image.digest))
                    .with_context(|| format!("writing the rebased image to {}", self.name))?;
                Ok(Written { blobs, bytes })
            }
            Target::Registry(client) => {
                let progress = |event: PushEvent| match event {
                    PushEvent::BlobUploaded { digest, size: n } => {
                        printer.detail(&format!("{} uploaded ({})", short(&digest), size(n)));
                    }
                    PushEvent::Retrying { action, attempt } => {
                        printer.detail(&format!("retrying {action} (attempt {attempt})"));
                    }
                    _ => {}
                };
                let report = client
                    .push(rebased, &store.layout, None, &progress)
                    .await
                    .with_context(|| format!("pushing the rebased {}", self.name))?;
                Ok(Written {
                    blobs: report.uploaded_blobs,
                    bytes: report.uploaded_bytes,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_hosts_are_told_from_docker_hub_users() {
        assert!(names_a_registry("127.0.0.1:5000/app:tag"));
        assert!(names_a_registry("registry.test/team/app"));
        assert!(names_a_registry("localhost/app"));
        assert!(!names_a_registry("app"));
        assert!(!names_a_registry("slipway/debian-13-base"));
    }

    #[test]
    fn layout_specs_split_at_the_last_colon_unless_the_path_is_a_layout() {
        assert_eq!(split_layout_spec("out"), (PathBuf::from("out"), None));
        assert_eq!(
            split_layout_spec("out:v1"),
            (PathBuf::from("out"), Some("v1".into()))
        );
        assert_eq!(
            split_layout_spec("/a:b/out"),
            (PathBuf::from("/a:b/out"), None)
        );
        let dir = tempfile::tempdir().unwrap();
        let odd = dir.path().join("x:y");
        OciLayout::create(&odd).unwrap();
        assert_eq!(split_layout_spec(odd.to_str().unwrap()), (odd, None));
    }
}
