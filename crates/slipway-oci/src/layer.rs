//! Deterministic layers: a layer built from the same files is byte-identical whatever the files'
//! mtimes, the umask, the directory order, the host's user ids or the checkout path.
//!
//! A [`LayerBuilder`] collects entries by image path (sorted), normalises owners and modes, adds
//! missing parent directories, and writes one tar. [`UncompressedLayer::compress`] turns that tar into
//! a [`Layer`] blob with gzip (fixed header: mtime 0, OS byte 255) or zstd, at fixed levels: the
//! compressor's exact output is part of slipway's byte format, which the golden-digest tests pin.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use oci_spec::image::MediaType;

use crate::digest::{Digest, DigestWriter, sha256_digest};
use crate::tar_writer::{DeterministicTar, EntryMeta, reproducible_epoch};

/// gzip level used for every layer: zlib's default. With the zlib-rs backend it compresses the
/// 6 MB go-hello binary in about 100 ms (`miniz_oxide` took 330 ms). Changing it changes every digest.
pub const GZIP_LEVEL: u32 = 6;
/// zstd level used for every layer. Changing it changes every layer digest.
pub const ZSTD_LEVEL: i32 = 3;

/// Errors while collecting files into a layer or compressing it.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    /// A file or directory that was to go into the layer could not be read.
    #[error("reading {path} for a layer")]
    Read {
        /// The host path.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// Writing the tar or compressing it failed (out of memory is the only realistic cause).
    #[error("writing the layer archive")]
    Write(#[source] io::Error),
}

/// How layer blobs are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    /// gzip: what every registry and runtime reads; the default.
    #[default]
    Gzip,
    /// zstd: smaller and faster to decompress; needs a recent runtime.
    Zstd,
}

impl Compression {
    /// The OCI media type of a layer compressed this way.
    #[must_use]
    pub fn media_type(self) -> MediaType {
        match self {
            Compression::Gzip => MediaType::ImageLayerGzip,
            Compression::Zstd => MediaType::ImageLayerZstd,
        }
    }

    /// The short name used on the command line and in cache keys.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    /// The compression a layer media type uses, if slipway knows it.
    #[must_use]
    pub fn from_media_type(media_type: &MediaType) -> Option<Self> {
        match media_type.to_string().as_str() {
            "application/vnd.oci.image.layer.v1.tar+gzip"
            | "application/vnd.docker.image.rootfs.diff.tar.gzip" => Some(Compression::Gzip),
            "application/vnd.oci.image.layer.v1.tar+zstd" => Some(Compression::Zstd),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
enum Contents {
    Bytes(Vec<u8>),
    HostFile(PathBuf),
}

#[derive(Debug, Clone)]
enum Entry {
    Dir {
        mode: u32,
        owner: (u64, u64),
    },
    File {
        mode: u32,
        owner: (u64, u64),
        contents: Contents,
    },
    Symlink {
        target: String,
    },
}

/// Collects the entries of one layer, keyed by their path in the image.
#[derive(Debug, Clone)]
pub struct LayerBuilder {
    entries: BTreeMap<String, Entry>,
    epoch: u64,
}

impl Default for LayerBuilder {
    fn default() -> Self {
        Self::new()
    }
}

/// Root owns everything unless a caller says otherwise: the app cannot change its own code.
const ROOT: (u64, u64) = (0, 0);

impl LayerBuilder {
    /// An empty layer whose entries carry [`reproducible_epoch`] as their mtime.
    #[must_use]
    pub fn new() -> Self {
        Self::with_epoch(reproducible_epoch())
    }

    /// An empty layer with an explicit mtime for every entry (tests pin it).
    #[must_use]
    pub fn with_epoch(epoch: u64) -> Self {
        Self {
            entries: BTreeMap::new(),
            epoch,
        }
    }

    /// Whether no entry has been added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A directory owned by root.
    pub fn dir(&mut self, path: &str, mode: u32) -> &mut Self {
        self.dir_owned(path, mode, ROOT)
    }

    /// A directory with an explicit owner, e.g. the app user's home.
    pub fn dir_owned(&mut self, path: &str, mode: u32, owner: (u64, u64)) -> &mut Self {
        self.entries
            .insert(normalise(path), Entry::Dir { mode, owner });
        self
    }

    /// A root-owned file with in-memory contents.
    pub fn file(&mut self, path: &str, mode: u32, contents: impl Into<Vec<u8>>) -> &mut Self {
        let contents = Contents::Bytes(contents.into());
        self.entries.insert(
            normalise(path),
            Entry::File {
                mode,
                owner: ROOT,
                contents,
            },
        );
        self
    }

    /// A root-owned file read from the host when the layer is built; its mode is normalised.
    pub fn host_file(&mut self, path: &str, host_path: &Path, mode: u32) -> &mut Self {
        let contents = Contents::HostFile(host_path.to_path_buf());
        self.entries.insert(
            normalise(path),
            Entry::File {
                mode,
                owner: ROOT,
                contents,
            },
        );
        self
    }

    /// A symbolic link.
    pub fn symlink(&mut self, path: &str, target: &str) -> &mut Self {
        self.entries.insert(
            normalise(path),
            Entry::Symlink {
                target: target.to_string(),
            },
        );
        self
    }

    /// Every file, directory and symlink under `host_dir`, placed under `image_dir`. Modes become
    /// 0755 (directories, and files any execute bit is set on) or 0644; owners become root;
    /// sockets, fifos and devices are skipped.
    pub fn host_tree(&mut self, host_dir: &Path, image_dir: &str) -> Result<&mut Self, LayerError> {
        self.dir(image_dir, 0o755);
        let read_err = |source| LayerError::Read {
            path: host_dir.to_path_buf(),
            source,
        };
        let mut children: Vec<_> = fs::read_dir(host_dir)
            .map_err(read_err)?
            .collect::<Result<_, _>>()
            .map_err(read_err)?;
        children.sort_by_key(fs::DirEntry::file_name);
        for child in children {
            let host_path = child.path();
            let name = child.file_name().to_string_lossy().into_owned();
            let image_path = format!("{}/{name}", image_dir.trim_end_matches('/'));
            let meta = fs::symlink_metadata(&host_path).map_err(|source| LayerError::Read {
                path: host_path.clone(),
                source,
            })?;
            if meta.is_dir() {
                self.host_tree(&host_path, &image_path)?;
            } else if meta.is_symlink() {
                let target = fs::read_link(&host_path).map_err(|source| LayerError::Read {
                    path: host_path.clone(),
                    source,
                })?;
                self.symlink(&image_path, &target.to_string_lossy());
            } else if meta.is_file() {
                self.host_file(
                    &image_path,
                    &host_path,
                    normal_file_mode(meta.permissions().mode()),
                );
            }
        }
        Ok(self)
    }

    /// Writes the tar: parents first, entries sorted by path, normalised headers.
    pub fn build(&self) -> Result<UncompressedLayer, LayerError> {
        let entries = self.with_parents();
        let mut tar = DeterministicTar::new(DigestWriter::new(Vec::new()));
        for (path, entry) in &entries {
            self.write_entry(&mut tar, path, entry)?;
        }
        let writer = tar.finish().map_err(LayerError::Write)?;
        let (diff_id, _, bytes) = writer.finish();
        Ok(UncompressedLayer {
            tar: bytes,
            diff_id,
        })
    }

    fn write_entry(
        &self,
        tar: &mut DeterministicTar<DigestWriter<Vec<u8>>>,
        path: &str,
        entry: &Entry,
    ) -> Result<(), LayerError> {
        let meta = |mode: u32, (uid, gid): (u64, u64)| EntryMeta {
            mode,
            uid,
            gid,
            mtime: self.epoch,
        };
        match entry {
            Entry::Dir { mode, owner } => tar
                .dir(path, meta(*mode, *owner))
                .map_err(LayerError::Write),
            Entry::Symlink { target } => tar
                .symlink(path, meta(0o777, ROOT), target)
                .map_err(LayerError::Write),
            Entry::File {
                mode,
                owner,
                contents,
            } => {
                let data = match contents {
                    Contents::Bytes(bytes) => std::borrow::Cow::Borrowed(bytes.as_slice()),
                    Contents::HostFile(host) => {
                        std::borrow::Cow::Owned(fs::read(host).map_err(|source| {
                            LayerError::Read {
                                path: host.clone(),
                                source,
                            }
                        })?)
                    }
                };
                tar.file(path, meta(*mode, *owner), &data)
                    .map_err(LayerError::Write)
            }
        }
    }

    /// The entries plus every missing ancestor directory (0755, root), so that extraction never
    /// invents a directory with the runtime's own defaults.
    fn with_parents(&self) -> BTreeMap<String, Entry> {
        let mut all = self.entries.clone();
        for path in self.entries.keys() {
            let mut parent = Path::new(path).parent();
            while let Some(dir) = parent.filter(|p| !p.as_os_str().is_empty()) {
                all.entry(dir.to_string_lossy().into_owned())
                    .or_insert(Entry::Dir {
                        mode: 0o755,
                        owner: ROOT,
                    });
                parent = dir.parent();
            }
        }
        all
    }
}

/// 0755 if any execute bit is set, else 0644: the umask and the checkout tool's choices vanish.
#[must_use]
pub fn normal_file_mode(mode: u32) -> u32 {
    if mode & 0o111 == 0 { 0o644 } else { 0o755 }
}

fn normalise(path: &str) -> String {
    path.trim_start_matches("./").trim_matches('/').to_string()
}

/// A layer's tar before compression, with its `diff_id` (the digest of the tar itself).
#[derive(Debug, Clone)]
pub struct UncompressedLayer {
    /// The tar bytes.
    pub tar: Vec<u8>,
    /// `sha256` of [`Self::tar`]: what the image config's rootfs lists.
    pub diff_id: Digest,
}

impl UncompressedLayer {
    /// Compresses the tar into a layer blob.
    pub fn compress(&self, compression: Compression) -> Result<Layer, LayerError> {
        let blob = match compression {
            Compression::Gzip => gzip(&self.tar),
            Compression::Zstd => zstd::bulk::compress(&self.tar, ZSTD_LEVEL),
        }
        .map_err(LayerError::Write)?;
        Ok(Layer {
            media_type: compression.media_type(),
            digest: sha256_digest(&blob),
            size: blob.len() as u64,
            diff_id: self.diff_id.clone(),
            blob,
        })
    }
}

fn gzip(data: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(
            Vec::with_capacity(data.len() / 2),
            flate2::Compression::new(GZIP_LEVEL),
        );
    encoder.write_all(data)?;
    encoder.finish()
}

/// Compresses several layers at once, one thread each: compression dominates a build's CPU time
/// and layers are independent. Results keep the input order.
pub fn compress_all(
    layers: &[&UncompressedLayer],
    compression: Compression,
) -> Result<Vec<Layer>, LayerError> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = layers
            .iter()
            .map(|layer| scope.spawn(move || layer.compress(compression)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// A compressed layer blob with everything a manifest and a config need to reference it.
#[derive(Debug, Clone)]
pub struct Layer {
    /// gzip or zstd OCI layer media type.
    pub media_type: MediaType,
    /// Digest of [`Self::blob`].
    pub digest: Digest,
    /// Size of [`Self::blob`] in bytes.
    pub size: u64,
    /// Digest of the uncompressed tar.
    pub diff_id: Digest,
    /// The compressed bytes.
    pub blob: Vec<u8>,
}

#[cfg(test)]
#[path = "layer_tests.rs"]
mod tests;
