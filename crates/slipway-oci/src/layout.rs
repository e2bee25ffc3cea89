//! An OCI image layout on disk: `oci-layout`, `index.json`, `blobs/sha256/…`.
//!
//! This is both slipway's local store and the `-o oci:DIR` destination. Two slipway processes may
//! use one layout at once: blobs are written to a temporary file and renamed into place (a reader
//! never sees half a blob), and `index.json` is rewritten under an exclusive file lock, then renamed.
//!
//! Why not the `ocidir` crate: it switches flate2 to the C zlib backend, which would make slipway's
//! layer bytes depend on the build machine's zlib, and its index updates are not locked against a
//! second process.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use oci_spec::image::{Descriptor, ImageIndex, ImageIndexBuilder, MediaType};

use crate::blobs::BlobSource;
use crate::canonical_json::to_canonical_json;
use crate::digest::{Digest, sha256_digest};
use crate::image::{Image, ImageError};
use crate::layer::Compression;

/// The annotation that names an image in an index.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Errors reading or writing a layout.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// A file in the layout could not be read or written.
    #[error("{action} {path}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// A directory that should hold a layout does not.
    #[error("{0} is not an OCI image layout (it has no oci-layout file)")]
    NotALayout(PathBuf),
    /// `index.json` did not parse.
    #[error("reading the index of {0}")]
    Index(PathBuf, #[source] serde_json::Error),
    /// A blob's bytes do not match its name: the store is corrupt.
    #[error("blob {digest} in {layout} is corrupt (its content has digest {actual})")]
    Corrupt {
        /// The layout.
        layout: PathBuf,
        /// The digest the blob is stored under.
        digest: Digest,
        /// The digest of what is there.
        actual: Digest,
    },
    /// The image's manifest or config is invalid.
    #[error("reading image {0}")]
    Image(Digest, #[source] ImageError),
    /// An image was to be named while a blob it uses is not in the layout: a `cache prune` or
    /// `rm` running meanwhile deleted a blob the build had found there (see [`gc`]).
    #[error("blob {digest} of the image is no longer in {layout} (removed meanwhile?)")]
    MissingBlob {
        /// The layout.
        layout: PathBuf,
        /// The blob the image uses.
        digest: Digest,
    },
}

/// One image in a layout's index.
#[derive(Debug, Clone)]
pub struct IndexEntry {
    /// The manifest descriptor, with its annotations.
    pub descriptor: Descriptor,
    /// The `org.opencontainers.image.ref.name` annotation, if any.
    pub name: Option<String>,
}

/// An OCI image layout directory.
#[derive(Debug, Clone)]
pub struct OciLayout {
    root: PathBuf,
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> LayoutError + 'a {
    move |source| LayoutError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

impl OciLayout {
    /// Opens the layout at `root`, creating the directory, `oci-layout` and an empty index as needed.
    pub fn create(root: &Path) -> Result<Self, LayoutError> {
        let layout = Self {
            root: root.to_path_buf(),
        };
        fs::create_dir_all(layout.blob_dir()).map_err(io_err("creating", root))?;
        let marker = root.join("oci-layout");
        if !marker.exists() {
            atomic_write(&marker, br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        }
        if !layout.index_path().exists() {
            let _lock = layout.lock_index()?;
            if !layout.index_path().exists() {
                layout.write_index(&[])?;
            }
        }
        Ok(layout)
    }

    /// Opens an existing layout; an error if `root` holds none.
    pub fn open(root: &Path) -> Result<Self, LayoutError> {
        if !root.join("oci-layout").is_file() {
            return Err(LayoutError::NotALayout(root.to_path_buf()));
        }
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// The layout's directory.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blob_dir(&self) -> PathBuf {
        self.root.join("blobs").join("sha256")
    }

    fn index_path(&self) -> PathBuf {
        self.root.join("index.json")
    }

    /// Where the blob named `digest` lives (whether or not it is there).
    #[must_use]
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.blob_dir().join(digest.digest())
    }

    /// Stores `bytes` as a blob (atomically) and returns its digest. A blob already there is not
    /// written again, but its mtime is set to now: it is about to be used, and a garbage
    /// collection keeps recent blobs (see [`gc`]).
    pub fn write_blob(&self, bytes: &[u8]) -> Result<Digest, LayoutError> {
        let digest = sha256_digest(bytes);
        let path = self.blob_path(&digest);
        if !touch(&path) {
            atomic_write(&path, bytes)?;
        }
        Ok(digest)
    }

    /// Writes an image's config and manifest blobs (its layers must already be there) and names it
    /// in the index with `annotations`; an entry with the same ref name is replaced.
    ///
    /// All under the index lock, which a garbage collection holds too: either the collection ran
    /// first, and a layer it deleted is reported as [`LayoutError::MissingBlob`], or the entry is
    /// written first and the collection sees the image. Rewriting the manifest blob sets its mtime,
    /// which is when the image was last built or tagged: what `cache prune` calls its last use.
    pub fn put_image(
        &self,
        image: &Image,
        annotations: &BTreeMap<String, String>,
    ) -> Result<(), LayoutError> {
        self.put_image_replacing(image, annotations, None)
    }

    /// [`Self::put_image`], also dropping the entry of the image `replaced` when it has no ref
    /// name (which would otherwise stay beside the new one): a rebase's write-back into a
    /// layout whose images are not named.
    pub fn put_image_replacing(
        &self,
        image: &Image,
        annotations: &BTreeMap<String, String>,
        replaced: Option<&Digest>,
    ) -> Result<(), LayoutError> {
        let _lock = self.lock_index()?;
        self.write_blob(&image.config_bytes)?;
        self.write_blob(&image.manifest_bytes)?;
        if let Some(missing) = image
            .manifest
            .layers()
            .iter()
            .find(|layer| !self.blob_path(layer.digest()).is_file())
        {
            return Err(LayoutError::MissingBlob {
                layout: self.root.clone(),
                digest: missing.digest().clone(),
            });
        }
        let mut descriptor = image.manifest_descriptor();
        if !annotations.is_empty() {
            descriptor.set_annotations(Some(annotations.clone().into_iter().collect()));
        }
        let name = annotations.get(REF_NAME).cloned();
        let mut entries = self.entries()?;
        entries.retain(|e| name.is_none() || e.name != name);
        entries.retain(|e| {
            let digest = e.descriptor.digest();
            !(e.name.is_none() && (digest == descriptor.digest() || Some(digest) == replaced))
        });
        entries.push(IndexEntry { descriptor, name });
        self.write_index(&entries)
    }

    /// Removes the entry named `name`; whether there was one. Blobs stay until a prune.
    pub fn remove_name(&self, name: &str) -> Result<bool, LayoutError> {
        let mut removed = false;
        self.update_index(|entries| {
            let before = entries.len();
            entries.retain(|e| e.name.as_deref() != Some(name));
            removed = entries.len() != before;
        })?;
        Ok(removed)
    }

    /// Every image in the index, in index order.
    pub fn entries(&self) -> Result<Vec<IndexEntry>, LayoutError> {
        let path = self.index_path();
        let bytes = fs::read(&path).map_err(io_err("reading", &path))?;
        let index: ImageIndex =
            serde_json::from_slice(&bytes).map_err(|e| LayoutError::Index(path.clone(), e))?;
        Ok(index
            .manifests()
            .iter()
            .map(|d| IndexEntry {
                name: d
                    .annotations()
                    .as_ref()
                    .and_then(|a| a.get(REF_NAME).cloned()),
                descriptor: d.clone(),
            })
            .collect())
    }

    /// The manifest descriptor named `name`, if the index has it.
    pub fn find(&self, name: &str) -> Result<Option<Descriptor>, LayoutError> {
        Ok(self
            .entries()?
            .into_iter()
            .find(|e| e.name.as_deref() == Some(name))
            .map(|e| e.descriptor))
    }

    /// Reads and verifies the image whose manifest is `digest`.
    pub fn load_image(&self, digest: &Digest) -> Result<Image, LayoutError> {
        let manifest_bytes = self.read_verified(digest)?;
        let manifest: oci_spec::image::ImageManifest = serde_json::from_slice(&manifest_bytes)
            .map_err(|e| {
                LayoutError::Image(
                    digest.clone(),
                    ImageError::Parse {
                        what: "manifest",
                        source: e,
                    },
                )
            })?;
        let config_bytes = self.read_verified(manifest.config().digest())?;
        Image::from_bytes(manifest_bytes, config_bytes)
            .map_err(|e| LayoutError::Image(digest.clone(), e))
    }

    /// Copies every blob of `image` that this layout lacks from `source`; returns how many were
    /// copied and their total size.
    pub fn copy_blobs_from(
        &self,
        image: &Image,
        source: &dyn BlobSource,
    ) -> Result<(usize, u64), LayoutError> {
        let mut copied = (0, 0);
        for descriptor in image.manifest.layers() {
            if self.has_blob(descriptor.digest()) {
                continue;
            }
            let bytes = source
                .read_blob(descriptor.digest())
                .map_err(io_err("reading blob for", self.root()))?;
            self.write_blob(&bytes)?;
            copied = (copied.0 + 1, copied.1 + bytes.len() as u64);
        }
        Ok(copied)
    }

    fn read_verified(&self, digest: &Digest) -> Result<Vec<u8>, LayoutError> {
        let path = self.blob_path(digest);
        let bytes = fs::read(&path).map_err(io_err("reading", &path))?;
        let actual = sha256_digest(&bytes);
        if &actual != digest {
            return Err(LayoutError::Corrupt {
                layout: self.root.clone(),
                digest: digest.clone(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// The blob already made from the uncompressed layer `diff_id` with `compression`, if this
    /// layout has one: an unchanged layer is never compressed twice.
    #[must_use]
    pub fn compressed_layer(
        &self,
        diff_id: &Digest,
        compression: Compression,
    ) -> Option<(Digest, u64)> {
        let text = fs::read_to_string(self.diff_id_path(diff_id, compression)).ok()?;
        let (digest, size) = text.trim().split_once(' ')?;
        let digest: Digest = digest.parse().ok()?;
        let size = size.parse().ok()?;
        self.has_blob(&digest).then_some((digest, size))
    }

    /// Records that `digest` is `diff_id` compressed with `compression` (see [`Self::compressed_layer`]).
    pub fn remember_compressed_layer(
        &self,
        diff_id: &Digest,
        compression: Compression,
        digest: &Digest,
        size: u64,
    ) -> Result<(), LayoutError> {
        let path = self.diff_id_path(diff_id, compression);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io_err("creating", dir))?;
        }
        atomic_write(&path, format!("{digest} {size}\n").as_bytes())
    }

    fn diff_id_path(&self, diff_id: &Digest, compression: Compression) -> PathBuf {
        self.root
            .join("slipway-diff-ids")
            .join(compression.name())
            .join(diff_id.digest())
    }

    fn lock_index(&self) -> Result<File, LayoutError> {
        let path = self.root.join("index.json.lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err("opening", &path))?;
        file.lock().map_err(io_err("locking", &path))?;
        Ok(file)
    }

    fn update_index(&self, change: impl FnOnce(&mut Vec<IndexEntry>)) -> Result<(), LayoutError> {
        let _lock = self.lock_index()?;
        let mut entries = self.entries()?;
        change(&mut entries);
        self.write_index(&entries)
    }

    fn write_index(&self, entries: &[IndexEntry]) -> Result<(), LayoutError> {
        let index: ImageIndex = ImageIndexBuilder::default()
            .schema_version(2u32)
            .media_type(MediaType::ImageIndex)
            .manifests(
                entries
                    .iter()
                    .map(|e| e.descriptor.clone())
                    .collect::<Vec<_>>(),
            )
            .build()
            .map_err(|e| LayoutError::Io {
                action: "building the index of",
                path: self.root.clone(),
                source: io::Error::other(e),
            })?;
        let bytes =
            to_canonical_json(&index).map_err(|e| LayoutError::Index(self.index_path(), e))?;
        atomic_write(&self.index_path(), &bytes)
    }
}

impl BlobSource for OciLayout {
    fn read_blob(&self, digest: &Digest) -> io::Result<Vec<u8>> {
        self.read_verified(digest).map_err(io::Error::other)
    }

    /// Whether the blob is here; if so its mtime is set to now. Asking is how a writer decides to
    /// reuse a blob instead of writing it (a cached run image layer, an already compressed
    /// layer), so asking counts as writing for a garbage collection's grace period (see [`gc`]).
    fn has_blob(&self, digest: &Digest) -> bool {
        touch(&self.blob_path(digest))
    }
}

/// Sets the mtime of the file at `path` to now; whether it is a file. A layout that cannot be
/// written (another user's) still answers: the time is only a hint to garbage collection.
fn touch(path: &Path) -> bool {
    match File::open(path) {
        Ok(file) if file.metadata().is_ok_and(|m| m.is_file()) => {
            let _ = file.set_modified(SystemTime::now());
            true
        }
        _ => false,
    }
}

/// Writes `bytes` to `path` through a synced temporary file in the same directory and a rename,
/// so that `path` holds either its old content or all of the new one, even after a crash.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), LayoutError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(io_err("creating a file in", dir))?;
    temp.write_all(bytes).map_err(io_err("writing", path))?;
    temp.as_file().sync_all().map_err(io_err("writing", path))?;
    temp.persist(path).map_err(|e| LayoutError::Io {
        action: "renaming into",
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

#[path = "gc.rs"]
pub mod gc;
pub use gc::{BlobFile, Collection, Garbage, GcError, NamedImage, ORPHAN_GRACE};

#[cfg(test)]
#[path = "layout_tests.rs"]
mod tests;
