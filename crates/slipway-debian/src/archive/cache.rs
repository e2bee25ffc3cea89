//! The archive cache (layout in the `archive` module's comment): verified `InRelease` files per
//! mirror and suite, and `Packages` indexes by their SHA-256.
//!
//! Only verified bytes are written, through a temporary file and a rename, so that a reader
//! (another slipway process, or this one after Ctrl-C) never sees a partial file.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest as _, Sha256};

use super::ArchiveError;
use crate::release::Compression;

/// The cache directory's layout.
#[derive(Debug, Clone)]
pub(super) struct Cache {
    root: PathBuf,
}

/// A cached file and its age.
pub(super) struct CachedFile {
    pub(super) bytes: Vec<u8>,
    pub(super) age: Duration,
}

impl Cache {
    pub(super) fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// Where the `InRelease` of `suite` from the mirror at `base` is kept. Mirrors are kept
    /// apart so that switching mirrors never mixes one's `InRelease` with another's indexes.
    pub(super) fn inrelease_path(&self, base: &str, suite: &str) -> PathBuf {
        let key = hex::encode(&Sha256::digest(base.as_bytes())[..8]);
        self.root
            .join("dists")
            .join(key)
            .join(suite)
            .join("InRelease")
    }

    /// Where the index with this digest is kept (decompressed when `compression` is `None`).
    pub(super) fn index_path(&self, sha256: &str, compression: Compression) -> PathBuf {
        self.root
            .join("indexes")
            .join("sha256")
            .join(format!("{sha256}{}", compression.suffix()))
    }

    /// Reads a cached file, `None` when it is absent or unreadable (it is then fetched again).
    pub(super) async fn read(path: &Path) -> Option<CachedFile> {
        let metadata = tokio::fs::metadata(path).await.ok()?;
        let age = metadata
            .modified()
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok())
            .unwrap_or_default();
        let bytes = tokio::fs::read(path).await.ok()?;
        Some(CachedFile { bytes, age })
    }

    /// Reads a content-addressed file and checks that it still has its digest; a damaged file
    /// counts as absent.
    pub(super) async fn read_verified(path: &Path, sha256: &str) -> Option<Vec<u8>> {
        let bytes = tokio::fs::read(path).await.ok()?;
        let (bytes, actual) = tokio::task::spawn_blocking(move || {
            let actual = sha256_hex(&bytes);
            (bytes, actual)
        })
        .await
        .ok()?;
        if actual == sha256 {
            Some(bytes)
        } else {
            tracing::warn!(path = %path.display(), "cached index does not match its digest; fetching it again");
            None
        }
    }

    /// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
    pub(super) async fn write(path: &Path, bytes: &[u8]) -> Result<(), ArchiveError> {
        let failed = |source| ArchiveError::Cache {
            path: path.to_path_buf(),
            source,
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        tokio::fs::create_dir_all(dir).await.map_err(failed)?;
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
        let temp = dir.join(format!(".{name}.{}.{nanos}.tmp", std::process::id()));
        if let Err(source) = tokio::fs::write(&temp, bytes).await {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(failed(source));
        }
        if let Err(source) = tokio::fs::rename(&temp, path).await {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(failed(source));
        }
        Ok(())
    }
}

/// Lower-case hex SHA-256.
pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
