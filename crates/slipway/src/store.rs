//! The local store: an OCI layout under the cache directory, with images named by their full
//! reference (`registry/repository:tag`).

use std::collections::BTreeMap;

use anyhow::Context;
use oci_client::Reference;
use slipway_oci::layout::REF_NAME;
use slipway_oci::{Image, OciLayout};

use crate::settings::Settings;

/// The local store.
pub struct Store {
    /// The layout; also the blob source every destination copies from.
    pub layout: OciLayout,
}

/// An image name that did not parse.
#[derive(Debug, thiserror::Error)]
#[error("{name:?} is not a valid image name")]
pub struct InvalidName {
    /// The name given.
    pub name: String,
    /// Why.
    #[source]
    pub source: oci_client::ParseError,
}

/// An image the store does not have.
#[derive(Debug, thiserror::Error)]
#[error("image {0} is not in the local store")]
pub struct NotInStore(pub String);

/// Parses an image name the way Docker does (`app` is `docker.io/library/app:latest`).
pub fn parse_name(name: &str) -> Result<Reference, InvalidName> {
    name.parse::<Reference>().map_err(|source| InvalidName {
        name: name.to_string(),
        source,
    })
}

/// How an image name is shown: `docker.io/library/` is left out, as Docker does.
pub fn display_name(reference: &Reference) -> String {
    let whole = reference.whole();
    whole
        .strip_prefix("docker.io/library/")
        .map(str::to_string)
        .unwrap_or(whole)
}

impl Store {
    /// Opens (creating when needed) the store under the settings' cache directory.
    pub fn open(settings: &Settings) -> anyhow::Result<Store> {
        let dir = settings.store_dir();
        let layout = OciLayout::create(&dir)
            .with_context(|| format!("opening the local store at {}", dir.display()))?;
        Ok(Store { layout })
    }

    /// Names `image` in the store as `reference`.
    pub fn tag(&self, image: &Image, reference: &Reference) -> anyhow::Result<()> {
        let annotations = BTreeMap::from([(REF_NAME.to_string(), reference.whole())]);
        self.layout
            .put_image(image, &annotations)
            .context("naming the image in the local store")
    }

    /// The image named `name` (any form Docker accepts), or whose digest starts with `name`.
    pub fn resolve(&self, name: &str) -> anyhow::Result<(Reference, Image)> {
        let entries = self.layout.entries().context("reading the local store")?;
        let by_digest = entries.iter().find(|e| {
            let digest = e.descriptor.digest().to_string();
            name.len() >= 12
                && (digest == name || digest.trim_start_matches("sha256:").starts_with(name))
        });
        let reference = match by_digest.and_then(|e| e.name.clone()) {
            Some(stored) => parse_name(&stored)?,
            None => parse_name(name)?,
        };
        let entry = entries
            .iter()
            .find(|e| e.name.as_deref() == Some(reference.whole().as_str()))
            .or(by_digest)
            .ok_or_else(|| NotInStore(display_name(&reference)))?;
        let image = self
            .layout
            .load_image(entry.descriptor.digest())
            .context("reading the image from the local store")?;
        Ok((reference, image))
    }
}
