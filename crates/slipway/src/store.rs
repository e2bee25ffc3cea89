//! The local store: an OCI layout under the cache directory, with images named by their full
//! reference (`registry/repository:tag`).

use std::collections::BTreeMap;

use anyhow::Context;
use oci_client::Reference;
use slipway_oci::layout::{IndexEntry, REF_NAME};
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

    /// Names `image` in the store as `reference`. This also sets its manifest blob's mtime to
    /// now, so that an unchanged app built again counts as used for `slipway cache prune`, which
    /// removes the images least recently built or tagged first.
    pub fn tag(&self, image: &Image, reference: &Reference) -> anyhow::Result<()> {
        let annotations = BTreeMap::from([(REF_NAME.to_string(), reference.whole())]);
        self.layout
            .put_image(image, &annotations)
            .context("naming the image in the local store")
    }

    /// The name the store keeps the image `name` (any form Docker accepts, or a digest prefix)
    /// under, and how it is shown; [`NotInStore`] when it has none.
    pub fn stored_name(&self, name: &str) -> anyhow::Result<(String, String)> {
        let entries = self.layout.entries().context("reading the local store")?;
        let (reference, entry) = find(&entries, name)?;
        let stored = entry.name.clone().unwrap_or_else(|| reference.whole());
        let shown = parse_name(&stored).map_or_else(|_| stored.clone(), |r| display_name(&r));
        Ok((stored, shown))
    }

    /// The image named `name` (any form Docker accepts), or whose digest starts with `name`.
    pub fn resolve(&self, name: &str) -> anyhow::Result<(Reference, Image)> {
        let entries = self.layout.entries().context("reading the local store")?;
        let (reference, entry) = find(&entries, name)?;
        let image = self
            .layout
            .load_image(entry.descriptor.digest())
            .context("reading the image from the local store")?;
        Ok((reference, image))
    }
}

/// The entry named `name` (any form Docker accepts), or whose digest starts with `name` (12 hex
/// digits at least), and its reference.
fn find<'a>(entries: &'a [IndexEntry], name: &str) -> anyhow::Result<(Reference, &'a IndexEntry)> {
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
    Ok((reference, entry))
}
