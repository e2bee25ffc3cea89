//! The docker-archive format (`docker save` / `docker load`): a tar of `manifest.json`, the config
//! as `<hex>.json`, and each layer as an uncompressed `<diff_id hex>/layer.tar`.
//!
//! Layers are written uncompressed because that is what every reader of the format accepts (older
//! Docker and Podman releases reject compressed layer tars); the file's entries are deterministic.

use std::io::{self, Read, Write};

use serde::Serialize;

use crate::blobs::BlobSource;
use crate::layer::Compression;
use crate::tar_writer::{DeterministicTar, EntryMeta, reproducible_epoch};
use crate::{Digest, Image};

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ManifestEntry<'a> {
    config: String,
    repo_tags: &'a [String],
    layers: Vec<String>,
}

/// Writes `image`, read from `blobs`, as a docker-archive tagged with `repo_tags` (Docker-style
/// references such as `127.0.0.1:5000/app:latest`).
pub fn write_docker_archive(
    image: &Image,
    blobs: &dyn BlobSource,
    repo_tags: &[String],
    out: impl Write,
) -> io::Result<()> {
    let meta = EntryMeta {
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: reproducible_epoch(),
    };
    let mut tar = DeterministicTar::new(out);
    let config_name = format!("{}.json", image.config_descriptor().digest().digest());
    tar.file(&config_name, meta, &image.config_bytes)?;
    let mut layer_names = Vec::new();
    for layer in image.layers() {
        let name = format!("{}/layer.tar", layer.diff_id.digest());
        let compressed = blobs.read_blob(&layer.digest)?;
        let tar_bytes = decompress(&compressed, layer.media_type.as_ref(), &layer.digest)?;
        tar.dir(
            layer.diff_id.digest(),
            EntryMeta {
                mode: 0o755,
                ..meta
            },
        )?;
        tar.file(&name, meta, &tar_bytes)?;
        layer_names.push(name);
    }
    let manifest = [ManifestEntry {
        config: config_name,
        repo_tags,
        layers: layer_names,
    }];
    let manifest_json = serde_json::to_vec(&manifest).map_err(io::Error::other)?;
    tar.file("manifest.json", meta, &manifest_json)?;
    tar.finish()?.flush()
}

/// Media types of uncompressed layers.
const UNCOMPRESSED: [&str; 2] = [
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.docker.image.rootfs.diff.tar",
];

/// The uncompressed tar of a layer blob.
pub fn decompress(blob: &[u8], media_type: &str, digest: &Digest) -> io::Result<Vec<u8>> {
    let compression = Compression::from_media_type(&media_type.into());
    let mut out = Vec::with_capacity(blob.len() * 2);
    match compression {
        Some(Compression::Gzip) => {
            flate2::read::GzDecoder::new(blob).read_to_end(&mut out)?;
        }
        Some(Compression::Zstd) => {
            zstd::stream::copy_decode(blob, &mut out)?;
        }
        None if UNCOMPRESSED.contains(&media_type) => out.extend_from_slice(blob),
        None => {
            return Err(io::Error::other(format!(
                "layer {digest} has an unknown media type {media_type}"
            )));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::OciLayout;
    use crate::{LayerBuilder, LayerRecord, sha256_digest};
    use oci_spec::image::{Arch, ImageConfigurationBuilder, Os};
    use std::collections::BTreeMap;

    #[test]
    fn archive_holds_config_manifest_and_uncompressed_layers() {
        let dir = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(dir.path()).unwrap();
        let mut builder = LayerBuilder::with_epoch(1);
        builder.file("hello", 0o644, "hi");
        let uncompressed = builder.build().unwrap();
        let layer = uncompressed.compress(Compression::Zstd).unwrap();
        layout.write_blob(&layer.blob).unwrap();
        let config = ImageConfigurationBuilder::default()
            .architecture(Arch::Amd64)
            .os(Os::Linux)
            .build()
            .unwrap();
        let image = Image::assemble(
            config,
            &[LayerRecord::of(&layer, "hello")],
            &BTreeMap::new(),
        )
        .unwrap();

        let mut out = Vec::new();
        write_docker_archive(&image, &layout, &["localhost/app:latest".into()], &mut out).unwrap();
        let mut archive = tar::Archive::new(out.as_slice());
        let mut files = BTreeMap::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let mut body = Vec::new();
            entry.read_to_end(&mut body).unwrap();
            files.insert(entry.path().unwrap().to_string_lossy().into_owned(), body);
        }
        let layer_path = format!("{}/layer.tar", uncompressed.diff_id.digest());
        assert_eq!(sha256_digest(&files[&layer_path]), uncompressed.diff_id);
        let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
        assert_eq!(manifest[0]["RepoTags"][0], "localhost/app:latest");
        assert_eq!(manifest[0]["Layers"][0], layer_path.as_str());
    }
}
