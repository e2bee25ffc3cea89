//! Garbage collection of a layout's blobs: what `slipway rm` and `slipway cache prune` use to
//! delete the manifests, configs and layers no image in the index uses any more.
//!
//! A [`Collection`] takes the index lock before it reads the index and lists the blobs, and holds
//! it until it is committed or dropped, so that no [`OciLayout::put_image`] names an image while
//! it decides. Names are removed in memory ([`Collection::remove`]); [`Collection::garbage`] says
//! which blobs no remaining image uses; [`Collection::commit`] writes the index, then deletes
//! them. Dropping a collection instead changes nothing: that is a dry run.
//!
//! # Why recent blobs stay
//!
//! A build writes its layers first and names its image last, minutes later when a compiler runs
//! in between, so while it runs its blobs are used by no image. A blob no image uses is therefore
//! deleted only when it was last written or reused more than [`ORPHAN_GRACE`] ago:
//! [`OciLayout::write_blob`] and `has_blob` (how a writer decides to reuse a blob rather than
//! write it) set its mtime to now, and the mtime is checked again just before deletion. A build
//! that reuses a blob and names its image later than that is still safe from a broken image:
//! `put_image` checks under the lock that the image's blobs are all there, and fails otherwise.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File};
use std::io;
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::{IndexEntry, LayoutError, OciLayout, io_err};
use crate::digest::Digest;
use crate::image::ImageError;

/// How long a blob no image uses is kept after it was last written or reused: longer than a
/// build takes from writing its first layer to naming its image (see the module comment).
pub const ORPHAN_GRACE: Duration = Duration::from_secs(10 * 60);

/// A garbage collection could not decide or delete.
#[derive(Debug, thiserror::Error)]
pub enum GcError {
    /// Reading the index or listing, reading or deleting a blob failed.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// An image that stays cannot be read, so which blobs it uses is unknown, and deleting any
    /// blob could break it.
    #[error("image {name} cannot be read, so nothing is deleted (remove it first)")]
    UnreadableImage {
        /// Its name (or manifest digest when it has none).
        name: String,
        /// Why it cannot be read.
        #[source]
        source: Box<LayoutError>,
    },
}

/// A blob file, as a collection found it.
#[derive(Debug, Clone)]
pub struct BlobFile {
    /// Its digest (its file name).
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// When it was last written or reused.
    pub modified: SystemTime,
}

/// The blobs no remaining image uses.
#[derive(Debug, Clone, Default)]
pub struct Garbage {
    /// Those to delete.
    pub unused: Vec<BlobFile>,
    /// Those kept because they were written or reused within [`ORPHAN_GRACE`]: a build running
    /// now may be about to name an image that uses them.
    pub recent: Vec<BlobFile>,
}

impl Garbage {
    /// The bytes deleting [`Self::unused`] frees.
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.unused.iter().map(|b| b.size).sum()
    }

    /// The bytes of [`Self::recent`].
    #[must_use]
    pub fn recent_bytes(&self) -> u64 {
        self.recent.iter().map(|b| b.size).sum()
    }
}

/// A named image in a collection.
#[derive(Debug, Clone)]
pub struct NamedImage {
    /// The `org.opencontainers.image.ref.name` annotation.
    pub name: String,
    /// Its manifest's digest.
    pub digest: Digest,
    /// When it was last built or tagged: its manifest blob's mtime, which `put_image` sets (the
    /// epoch when the manifest is missing).
    pub last_tagged: SystemTime,
}

/// A garbage collection in progress, holding the index lock (see the module comment).
#[derive(Debug)]
pub struct Collection<'a> {
    layout: &'a OciLayout,
    _lock: File,
    kept: Vec<IndexEntry>,
    removed: bool,
    blobs: BTreeMap<String, BlobFile>,
    uses: HashMap<Digest, BTreeSet<String>>,
    now: SystemTime,
}

impl OciLayout {
    /// Starts a garbage collection: locks the index, reads it and lists the blobs.
    pub fn collect(&self) -> Result<Collection<'_>, GcError> {
        let lock = self.lock_index()?;
        Ok(Collection {
            layout: self,
            _lock: lock,
            kept: self.entries()?,
            removed: false,
            blobs: self.list_blobs()?,
            uses: HashMap::new(),
            now: SystemTime::now(),
        })
    }

    /// Every blob file, by its hex digest. Temporary files (`.tmp-…`) are not blobs.
    fn list_blobs(&self) -> Result<BTreeMap<String, BlobFile>, LayoutError> {
        let dir = self.blob_dir();
        let mut blobs = BTreeMap::new();
        for entry in fs::read_dir(&dir).map_err(io_err("listing", &dir))? {
            let entry = entry.map_err(io_err("listing", &dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(digest) = format!("sha256:{name}").parse::<Digest>() else {
                continue;
            };
            let metadata = entry.metadata().map_err(io_err("reading", &entry.path()))?;
            if !metadata.is_file() {
                continue;
            }
            let modified = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            let size = metadata.len();
            blobs.insert(
                name,
                BlobFile {
                    digest,
                    size,
                    modified,
                },
            );
        }
        Ok(blobs)
    }

    /// Deletes the records of compressed layers whose blob is gone (see
    /// [`Self::compressed_layer`], which would ignore them anyway).
    fn forget_missing_compressed_layers(&self) -> Result<(), LayoutError> {
        let root = self.root.join("slipway-diff-ids");
        let Ok(compressions) = fs::read_dir(&root) else {
            return Ok(());
        };
        for dir in compressions.flatten() {
            let Ok(records) = fs::read_dir(dir.path()) else {
                continue;
            };
            for record in records.flatten() {
                let blob = fs::read_to_string(record.path())
                    .ok()
                    .and_then(|text| text.split_whitespace().next()?.parse::<Digest>().ok());
                if blob.is_some_and(|digest| !self.blob_path(&digest).is_file()) {
                    remove_if_present(&record.path())?;
                }
            }
        }
        Ok(())
    }
}

impl Collection<'_> {
    /// The named images that stay, in index order.
    #[must_use]
    pub fn images(&self) -> Vec<NamedImage> {
        self.kept
            .iter()
            .filter_map(|entry| {
                let digest = entry.descriptor.digest().clone();
                let last_tagged = self
                    .blobs
                    .get(digest.digest())
                    .map_or(SystemTime::UNIX_EPOCH, |b| b.modified);
                Some(NamedImage {
                    name: entry.name.clone()?,
                    digest,
                    last_tagged,
                })
            })
            .collect()
    }

    /// Removes the name from the index (in memory until [`Self::commit`]); the manifest digest
    /// it named, or `None` when no image has that name.
    pub fn remove(&mut self, name: &str) -> Option<Digest> {
        let at = self
            .kept
            .iter()
            .position(|e| e.name.as_deref() == Some(name))?;
        self.removed = true;
        Some(self.kept.remove(at).descriptor.digest().clone())
    }

    /// The blobs that no image left in the index uses.
    pub fn garbage(&mut self) -> Result<Garbage, GcError> {
        let mut used = BTreeSet::new();
        for entry in self.kept.clone() {
            used.extend(self.uses_of(&entry)?.iter().cloned());
        }
        let mut garbage = Garbage::default();
        for (hex, blob) in &self.blobs {
            if used.contains(hex) {
                continue;
            }
            if self.is_recent(blob.modified) {
                garbage.recent.push(blob.clone());
            } else {
                garbage.unused.push(blob.clone());
            }
        }
        Ok(garbage)
    }

    /// Writes the index (when a name was removed), then deletes the unused blobs, each only if
    /// its mtime is still older than [`ORPHAN_GRACE`]; returns what was deleted or kept.
    pub fn commit(mut self) -> Result<Garbage, GcError> {
        let mut garbage = self.garbage()?;
        if self.removed {
            self.layout.write_index(&self.kept)?;
        }
        let mut deleted = Vec::with_capacity(garbage.unused.len());
        for blob in garbage.unused {
            let path = self.layout.blob_path(&blob.digest);
            let modified = fs::metadata(&path).and_then(|m| m.modified());
            if modified.is_ok_and(|m| self.is_recent(m)) {
                // Reused by a build since the collection started.
                garbage.recent.push(blob);
                continue;
            }
            remove_if_present(&path)?;
            deleted.push(blob);
        }
        garbage.unused = deleted;
        self.layout.forget_missing_compressed_layers()?;
        Ok(garbage)
    }

    fn is_recent(&self, modified: SystemTime) -> bool {
        self.now
            .duration_since(modified)
            .map_or(true, |age| age < ORPHAN_GRACE)
    }

    /// The hex digests of the blobs the entry's image uses: its manifest, config and layers
    /// (and, for an image index, those of each manifest it lists that the layout has).
    fn uses_of(&mut self, entry: &IndexEntry) -> Result<&BTreeSet<String>, GcError> {
        let top = entry.descriptor.digest().clone();
        if !self.uses.contains_key(&top) {
            let uses = self
                .read_uses(&top)
                .map_err(|source| GcError::UnreadableImage {
                    name: entry.name.clone().unwrap_or_else(|| top.to_string()),
                    source: Box::new(source),
                })?;
            self.uses.insert(top.clone(), uses);
        }
        Ok(&self.uses[&top])
    }

    fn read_uses(&self, top: &Digest) -> Result<BTreeSet<String>, LayoutError> {
        let mut uses = BTreeSet::new();
        let mut pending = vec![(top.clone(), true)];
        while let Some((digest, required)) = pending.pop() {
            if !uses.insert(digest.digest().to_string()) {
                continue;
            }
            let path = self.layout.blob_path(&digest);
            let bytes = match fs::read(&path) {
                Err(e) if e.kind() == io::ErrorKind::NotFound && !required => continue,
                read => read.map_err(io_err("reading", &path))?,
            };
            let manifest: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
                LayoutError::Image(
                    digest.clone(),
                    ImageError::Parse {
                        what: "manifest",
                        source: e,
                    },
                )
            })?;
            let config = manifest.get("config").into_iter();
            let layers = descriptors(&manifest, "layers");
            uses.extend(config.chain(layers).filter_map(digest_of).map(|d| hex(&d)));
            pending.extend(
                descriptors(&manifest, "manifests")
                    .filter_map(digest_of)
                    .map(|d| (d, false)),
            );
        }
        Ok(uses)
    }
}

/// The descriptors in the array `key` of a manifest or index.
fn descriptors<'a>(
    manifest: &'a serde_json::Value,
    key: &str,
) -> impl Iterator<Item = &'a serde_json::Value> {
    manifest
        .get(key)
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
}

fn digest_of(descriptor: &serde_json::Value) -> Option<Digest> {
    descriptor.get("digest")?.as_str()?.parse().ok()
}

fn hex(digest: &Digest) -> String {
    digest.digest().to_string()
}

/// Deletes a file; one already gone is fine.
fn remove_if_present(path: &Path) -> Result<(), LayoutError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_err("deleting", path)(e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[path = "gc_tests.rs"]
mod tests;
