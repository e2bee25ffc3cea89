//! Where an image goes besides the local store: `oci:DIR`, `docker-archive:FILE`, `daemon`,
//! `registry`. Each is one [`Destination`]; several `-o` write one image to each in turn, every
//! one reading blobs from the local store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use oci_client::Reference;
use serde_json::json;
use slipway_oci::docker_archive::write_docker_archive;
use slipway_oci::layout::{REF_NAME, atomic_write};
use slipway_oci::{Image, OciLayout};

use crate::printer::{Printer, size};
use crate::store::{Store, display_name};

/// Where an image is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// An OCI image layout directory.
    OciLayout(PathBuf),
    /// A `docker save`-style tar file.
    DockerArchive(PathBuf),
    /// The Docker Engine API at `DOCKER_HOST` (Docker or Podman).
    Daemon,
    /// The registry the image name points at.
    Registry,
}

/// `-o` named something slipway cannot write to.
#[derive(Debug, thiserror::Error)]
#[error("unknown output {0:?}")]
pub struct UnknownDestination(pub String);

/// The fix for [`UnknownDestination`].
pub const DESTINATION_HINT: &str =
    "use -o oci:DIR, -o docker-archive:FILE, -o daemon or -o registry";

impl std::str::FromStr for Destination {
    type Err = UnknownDestination;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownDestination(spec.to_string());
        match spec.split_once(':') {
            Some(("oci", dir)) if !dir.is_empty() => Ok(Destination::OciLayout(dir.into())),
            Some(("docker-archive", file)) if !file.is_empty() => {
                Ok(Destination::DockerArchive(file.into()))
            }
            None if spec == "daemon" => Ok(Destination::Daemon),
            None if spec == "registry" => Ok(Destination::Registry),
            _ => Err(unknown()),
        }
    }
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Destination::OciLayout(dir) => write!(f, "oci:{}", dir.display()),
            Destination::DockerArchive(file) => write!(f, "docker-archive:{}", file.display()),
            Destination::Daemon => f.write_str("daemon"),
            Destination::Registry => f.write_str("registry"),
        }
    }
}

/// Parses every `-o`, plus `--publish` as `registry`, before any work starts.
pub fn parse_all(outputs: &[String], publish: bool) -> anyhow::Result<Vec<Destination>> {
    let mut destinations = outputs
        .iter()
        .map(|o| o.parse())
        .collect::<Result<Vec<Destination>, _>>()?;
    if publish && !destinations.contains(&Destination::Registry) {
        destinations.push(Destination::Registry);
    }
    Ok(destinations)
}

/// Writes `image` (named `reference`, blobs in `store`) to each destination in turn.
pub async fn write_all(
    destinations: &[Destination],
    image: &Image,
    reference: &Reference,
    store: &Store,
    printer: &Printer,
) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut results = Vec::new();
    for destination in destinations {
        let step = printer.step(format!("Writing to {destination}"));
        let result = write_one(destination, image, reference, store, printer)
            .await
            .with_context(|| format!("writing the image to {destination}"))?;
        step.done();
        results.push(result);
    }
    Ok(results)
}

async fn write_one(
    destination: &Destination,
    image: &Image,
    reference: &Reference,
    store: &Store,
    printer: &Printer,
) -> anyhow::Result<serde_json::Value> {
    match destination {
        Destination::OciLayout(dir) => write_oci_layout(dir, image, reference, store),
        Destination::DockerArchive(file) => write_archive(file, image, reference, store, printer),
        Destination::Daemon => load_into_daemon(image, reference, store, printer).await,
        Destination::Registry => push(image, reference, store, printer).await,
    }
}

fn write_oci_layout(
    dir: &Path,
    image: &Image,
    reference: &Reference,
    store: &Store,
) -> anyhow::Result<serde_json::Value> {
    let layout = OciLayout::create(dir)?;
    let (blobs, bytes) = layout.copy_blobs_from(image, &store.layout)?;
    let tag = reference.tag().unwrap_or("latest").to_string();
    let annotations = BTreeMap::from([
        (REF_NAME.to_string(), tag),
        ("io.containerd.image.name".to_string(), reference.whole()),
    ]);
    layout.put_image(image, &annotations)?;
    Ok(json!({"destination": "oci", "path": dir, "blobs_copied": blobs, "bytes_copied": bytes}))
}

fn write_archive(
    file: &Path,
    image: &Image,
    reference: &Reference,
    store: &Store,
    printer: &Printer,
) -> anyhow::Result<serde_json::Value> {
    let mut tar = Vec::new();
    write_docker_archive(image, &store.layout, &[display_name(reference)], &mut tar)?;
    atomic_write(file, &tar)?;
    printer.detail(&format!(
        "wrote {} ({})",
        file.display(),
        size(tar.len() as u64)
    ));
    Ok(json!({"destination": "docker-archive", "path": file, "bytes": tar.len()}))
}

async fn load_into_daemon(
    image: &Image,
    reference: &Reference,
    store: &Store,
    printer: &Printer,
) -> anyhow::Result<serde_json::Value> {
    let engine = slipway_engine::Engine::connect().await?;
    let report = engine
        .load_image(image, &store.layout, &[display_name(reference)])
        .await?;
    printer.detail(&format!(
        "loaded as {} (image id {})",
        display_name(reference),
        report.image_id
    ));
    Ok(json!({"destination": "daemon", "image_id": report.image_id}))
}

async fn push(
    image: &Image,
    reference: &Reference,
    store: &Store,
    printer: &Printer,
) -> anyhow::Result<serde_json::Value> {
    let keychain = slipway_registry::Keychain::from_env();
    let progress = |event: slipway_registry::PushEvent| {
        let (text, value) = describe_push_event(&event);
        printer.event(&text, &value);
    };
    let report =
        slipway_registry::push_image(image, &store.layout, reference, &keychain, &progress).await?;
    printer.detail(&format!(
        "pushed {}: {} blob(s) uploaded ({}), {} already there",
        display_name(reference),
        report.uploaded_blobs,
        size(report.uploaded_bytes),
        report.skipped_blobs
    ));
    Ok(json!({
        "destination": "registry",
        "reference": reference.whole(),
        "digest": report.digest.to_string(),
        "uploaded_blobs": report.uploaded_blobs,
        "uploaded_bytes": report.uploaded_bytes,
        "skipped_blobs": report.skipped_blobs,
    }))
}

fn describe_push_event(event: &slipway_registry::PushEvent) -> (String, serde_json::Value) {
    use slipway_registry::PushEvent;
    match event {
        PushEvent::BlobExists {
            digest,
            size: bytes,
        } => (
            format!("{} already exists ({})", short(digest), size(*bytes)),
            json!({"event": "blob_exists", "digest": digest.to_string(), "size": bytes}),
        ),
        PushEvent::BlobUploaded {
            digest,
            size: bytes,
        } => (
            format!("{} uploaded ({})", short(digest), size(*bytes)),
            json!({"event": "blob_uploaded", "digest": digest.to_string(), "size": bytes}),
        ),
        PushEvent::BlobMounted {
            digest,
            size: bytes,
            from,
        } => (
            format!("{} mounted from {from} ({})", short(digest), size(*bytes)),
            json!({"event": "blob_mounted", "digest": digest.to_string(), "size": bytes, "from": from}),
        ),
        PushEvent::Retrying { action, attempt } => (
            format!("retrying {action} (attempt {attempt})"),
            json!({"event": "retrying", "action": action, "attempt": attempt}),
        ),
        PushEvent::ManifestPushed { digest } => (
            format!("manifest {digest}"),
            json!({"event": "manifest_pushed", "digest": digest.to_string()}),
        ),
    }
}

/// The first 12 hex digits of a digest, as `docker images` shows ids.
pub fn short(digest: &slipway_oci::Digest) -> String {
    digest.digest().chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_and_rejects_the_rest() {
        assert_eq!(
            "oci:out".parse::<Destination>().unwrap(),
            Destination::OciLayout("out".into())
        );
        assert_eq!(
            "docker-archive:/tmp/a.tar".parse::<Destination>().unwrap(),
            Destination::DockerArchive("/tmp/a.tar".into())
        );
        assert_eq!(
            "daemon".parse::<Destination>().unwrap(),
            Destination::Daemon
        );
        assert_eq!(
            "registry".parse::<Destination>().unwrap(),
            Destination::Registry
        );
        for bad in ["ftp:x", "oci:", "tarball", "daemon:x"] {
            assert!(bad.parse::<Destination>().is_err(), "{bad}");
        }
    }

    #[test]
    fn publish_adds_the_registry_once() {
        let parsed = parse_all(&["registry".into(), "oci:x".into()], true).unwrap();
        assert_eq!(
            parsed,
            vec![Destination::Registry, Destination::OciLayout("x".into())]
        );
    }
}
