//! Reading an image's packages: its layers overlaid in order, then every dpkg status entry in the
//! result, and the packages buildpacks declared in the image's label.

use std::collections::BTreeMap;
use std::io::{self, Read};

use slipway_oci::docker_archive::decompress;
use slipway_oci::{BlobSource, Digest, Image, LayerRecord};

use crate::copyright::licenses_from_copyright;
use crate::dpkg::{StatusError, parse_status};
use crate::label::{BUILDPACK_PACKAGES_LABEL, decode_buildpack_packages};
use crate::package::{Package, PackageKind, sort_and_dedup};
use crate::purl::{Distro, deb_purl};

/// Errors while reading an image's packages. Each names the layer or label it was reading.
#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    /// A layer blob could not be read or decompressed.
    #[error("reading layer {layer}")]
    Layer {
        /// The layer's blob digest.
        layer: Digest,
        /// What the blob store or decompressor said.
        #[source]
        source: io::Error,
    },
    /// A layer is not a readable tar archive.
    #[error("reading the tar archive of layer {layer}")]
    Tar {
        /// The layer's blob digest.
        layer: Digest,
        /// What the tar reader said.
        #[source]
        source: io::Error,
    },
    /// A dpkg status entry is malformed: the image's package list cannot be trusted.
    #[error("reading the dpkg status entry /{path} in layer {layer}")]
    StatusEntry {
        /// The entry's path in the image.
        path: String,
        /// The `diff_id` of the layer holding it.
        layer: Digest,
        /// What is wrong with it.
        #[source]
        source: StatusError,
    },
    /// The buildpack packages label is not the JSON its schema describes.
    #[error("reading the image label {BUILDPACK_PACKAGES_LABEL}")]
    Label(#[source] serde_json::Error),
}

/// Where dpkg keeps one status file per package (distroless), and the classic single file.
const STATUS_DIR: &str = "var/lib/dpkg/status.d/";
const STATUS_FILE: &str = "var/lib/dpkg/status";
const DOC_DIR: &str = "usr/share/doc/";
const OS_RELEASE: [&str; 2] = ["etc/os-release", "usr/lib/os-release"];

/// Every package in `image`: one per installed package in its dpkg status entries (with the
/// licences its DEP-5 copyright file declares and purls qualified by the image's os-release),
/// and one per package in the [`BUILDPACK_PACKAGES_LABEL`] label. Layers are overlaid as a
/// container runtime would (later layers win; whiteouts delete), so a package removed by a later
/// layer is not listed. Sorted by name, version and purl.
pub fn scan_image(image: &Image, blobs: &dyn BlobSource) -> Result<Vec<Package>, SbomError> {
    let mut tree = Overlay::default();
    for layer in image.layers() {
        let tar = read_layer(&layer, blobs)?;
        tree.apply(&tar, &layer.diff_id)
            .map_err(|source| SbomError::Tar {
                layer: layer.digest.clone(),
                source,
            })?;
    }
    let mut packages = tree.debian_packages()?;
    if let Some(label) = image.labels().get(BUILDPACK_PACKAGES_LABEL) {
        packages.extend(decode_buildpack_packages(label).map_err(SbomError::Label)?);
    }
    sort_and_dedup(&mut packages);
    Ok(packages)
}

fn read_layer(layer: &LayerRecord, blobs: &dyn BlobSource) -> Result<Vec<u8>, SbomError> {
    let error = |source| SbomError::Layer {
        layer: layer.digest.clone(),
        source,
    };
    let blob = blobs.read_blob(&layer.digest).map_err(error)?;
    decompress(&blob, layer.media_type.as_ref(), &layer.digest).map_err(error)
}

/// A file the scan needs, as the topmost layer holding it left it.
#[derive(Debug, Clone)]
enum Node {
    File { bytes: Vec<u8>, layer: Digest },
    Symlink { target: String },
}

/// The part of the image's file tree a scan reads: status entries, copyright files, os-release,
/// and the symlinks that lead to them. Paths have no leading `/`.
#[derive(Debug, Default)]
struct Overlay {
    nodes: BTreeMap<String, Node>,
}

impl Overlay {
    /// Overlays one layer: its whiteouts delete from the layers below, then its entries replace.
    fn apply(&mut self, tar: &[u8], diff_id: &Digest) -> io::Result<()> {
        let mut added = BTreeMap::new();
        for entry in tar::Archive::new(tar).entries()? {
            let mut entry = entry?;
            let path = normalise(&entry.path()?.to_string_lossy());
            let (dir, name) = path.rsplit_once('/').unwrap_or(("", &path));
            if name == ".wh..wh..opq" {
                self.remove_under(&format!("{dir}/"));
                continue;
            }
            if let Some(hidden) = name.strip_prefix(".wh.") {
                let hidden = if dir.is_empty() {
                    hidden.to_string()
                } else {
                    format!("{dir}/{hidden}")
                };
                self.nodes.remove(&hidden);
                self.remove_under(&format!("{hidden}/"));
                continue;
            }
            if !is_wanted(&path) {
                continue;
            }
            let kind = entry.header().entry_type();
            if kind.is_file() {
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes)?;
                let layer = diff_id.clone();
                added.insert(path, Node::File { bytes, layer });
            } else if kind.is_symlink() {
                if let Some(target) = entry.link_name()? {
                    let target = target.to_string_lossy().into_owned();
                    added.insert(path, Node::Symlink { target });
                }
            } else if kind == tar::EntryType::Link {
                // A hard link shares an earlier entry's content (of this layer or one below).
                let target = entry.link_name()?.map(|t| normalise(&t.to_string_lossy()));
                if let Some(node) = target.and_then(|t| added.get(&t).or(self.nodes.get(&t))) {
                    let node = node.clone();
                    added.insert(path, node);
                }
            } else {
                // A directory (or anything else) replaces a file or link of the same name.
                self.nodes.remove(&path);
            }
        }
        self.nodes.extend(added);
        Ok(())
    }

    fn remove_under(&mut self, prefix: &str) {
        self.nodes.retain(|path, _| !path.starts_with(prefix));
    }

    /// The file at `path`, following the symlinks recorded on the way (at most 16 of them).
    fn file(&self, path: &str) -> Option<(&[u8], &Digest)> {
        let mut path = normalise(path);
        'resolve: for _ in 0..16 {
            let mut end = 0;
            while end < path.len() {
                end = path[end..].find('/').map_or(path.len(), |i| end + i);
                match self.nodes.get(&path[..end]) {
                    Some(Node::Symlink { target }) => {
                        let parent = path[..end].rsplit_once('/').map_or("", |(dir, _)| dir);
                        let joined = if target.starts_with('/') {
                            target.clone()
                        } else {
                            format!("{parent}/{target}")
                        };
                        path = normalise(&format!("{joined}{}", &path[end..]));
                        continue 'resolve;
                    }
                    Some(Node::File { bytes, layer }) if end == path.len() => {
                        return Some((bytes, layer));
                    }
                    _ => end += 1,
                }
            }
            return None;
        }
        None
    }

    /// A Debian package for every installed package in every status file.
    fn debian_packages(&self) -> Result<Vec<Package>, SbomError> {
        let distro = OS_RELEASE
            .iter()
            .find_map(|path| self.file(path))
            .map(|(bytes, _)| Distro::from_os_release(&String::from_utf8_lossy(bytes)))
            .unwrap_or_default();
        let status_files = self.nodes.iter().filter_map(|(path, node)| match node {
            Node::File { bytes, layer } if is_status_file(path) => Some((path, bytes, layer)),
            _ => None,
        });
        let mut packages = Vec::new();
        for (path, bytes, layer) in status_files {
            let entries = parse_status(&String::from_utf8_lossy(bytes)).map_err(|source| {
                SbomError::StatusEntry {
                    path: path.clone(),
                    layer: layer.clone(),
                    source,
                }
            })?;
            for entry in entries {
                let licenses = self
                    .file(&format!("{DOC_DIR}{}/copyright", entry.name))
                    .map(|(text, _)| licenses_from_copyright(&String::from_utf8_lossy(text)))
                    .unwrap_or_default();
                let upstream = entry
                    .source
                    .as_ref()
                    .map(|(name, version)| (name.as_str(), version.as_deref()));
                let purl = deb_purl(&distro, &entry.name, &entry.version, &entry.arch, upstream);
                let source = entry.source.map(|(name, version)| {
                    (name, version.unwrap_or_else(|| entry.version.clone()))
                });
                packages.push(Package {
                    purl,
                    name: entry.name,
                    version: entry.version,
                    kind: PackageKind::Debian {
                        arch: entry.arch,
                        source,
                    },
                    licenses,
                    supplier: entry.maintainer,
                    found_in_layer: Some(layer.clone()),
                });
            }
        }
        Ok(packages)
    }
}

/// `./a/b/../c/` → `a/c`.
fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

/// Whether the scan reads this path: status files, files and links under the doc directory,
/// and os-release (a file, or the link Debian makes of /etc/os-release).
fn is_wanted(path: &str) -> bool {
    is_status_file(path)
        || path.starts_with(DOC_DIR)
        || OS_RELEASE.contains(&path)
        || ["etc", "usr", "usr/lib", "usr/share", "usr/share/doc"].contains(&path)
}

/// A dpkg status file: `var/lib/dpkg/status`, or a package's file in `status.d` (not its
/// `.md5sums` list).
fn is_status_file(path: &str) -> bool {
    path == STATUS_FILE
        || path.strip_prefix(STATUS_DIR).is_some_and(|name| {
            !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums")
        })
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
