//! One download attempt: stream into a temporary file, verify size and SHA-256, rename into the
//! cache.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::{DebCache, DebRef, FetchError};

/// Distinguishes temporary files of concurrent downloads within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl DebCache {
    /// One attempt: stream into a temporary file, verify, rename into place.
    pub(super) async fn download(
        &self,
        client: &reqwest::Client,
        url: &str,
        item: &DebRef,
    ) -> Result<PathBuf, Failure> {
        let unreachable = |source| {
            Failure::Transient(FetchError::Unreachable {
                name: item.name.clone(),
                url: url.to_string(),
                source,
            })
        };
        let mut response = client.get(url).send().await.map_err(unreachable)?;
        check_status(response.status(), url, item)?;

        let tmp_dir = self.root.join("tmp");
        create_dir(&tmp_dir).await?;
        let temp = TempFile(tmp_dir.join(format!(
            "{}.{}.{}.part",
            item.sha256,
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        )));
        let cache_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Failure::Fatal(FetchError::Cache { path, source })
        };
        let mut file = tokio::fs::File::create(&temp.0)
            .await
            .map_err(cache_err(&temp.0))?;
        let mut hasher = Sha256::new();
        let mut received: u64 = 0;
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            received += chunk.len() as u64;
            if received > item.size {
                return Err(size_mismatch(item, received, "more than"));
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(cache_err(&temp.0))?;
        }
        if received != item.size {
            return Err(size_mismatch(item, received, ""));
        }
        let actual = hex::encode(hasher.finalize());
        if actual != item.sha256 {
            return Err(Failure::Fatal(FetchError::Mismatch {
                name: format!("{} {}", item.name, item.version),
                expected: format!("sha256 {}", item.sha256),
                actual: format!("sha256 {actual}"),
            }));
        }
        file.sync_all().await.map_err(cache_err(&temp.0))?;
        drop(file);
        let path = self.path_for(&item.sha256);
        if let Some(parent) = path.parent() {
            create_dir(parent).await?;
        }
        tokio::fs::rename(&temp.0, &path)
            .await
            .map_err(cache_err(&path))?;
        temp.keep();
        Ok(path)
    }
}

/// Why one attempt failed: worth another try, or not.
pub(super) enum Failure {
    Transient(FetchError),
    Fatal(FetchError),
}

fn check_status(status: reqwest::StatusCode, url: &str, item: &DebRef) -> Result<(), Failure> {
    if status.is_success() {
        return Ok(());
    }
    if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
        return Err(Failure::Fatal(FetchError::NotFound {
            name: item.name.clone(),
            version: item.version.clone(),
            filename: item.filename.clone(),
        }));
    }
    let error = FetchError::Status {
        name: item.name.clone(),
        url: url.to_string(),
        status: status.as_u16(),
    };
    let transient = status.is_server_error()
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        || status == reqwest::StatusCode::REQUEST_TIMEOUT;
    Err(if transient {
        Failure::Transient(error)
    } else {
        Failure::Fatal(error)
    })
}

fn size_mismatch(item: &DebRef, received: u64, qualifier: &str) -> Failure {
    let actual = if qualifier.is_empty() {
        format!("{received} bytes")
    } else {
        format!("{qualifier} {} bytes", item.size)
    };
    Failure::Fatal(FetchError::Mismatch {
        name: format!("{} {}", item.name, item.version),
        expected: format!("{} bytes", item.size),
        actual,
    })
}

async fn create_dir(dir: &Path) -> Result<(), Failure> {
    tokio::fs::create_dir_all(dir).await.map_err(|source| {
        Failure::Fatal(FetchError::Cache {
            path: dir.to_path_buf(),
            source,
        })
    })
}

/// A temporary download, removed when dropped unless it was renamed into the cache: an error,
/// a cancelled future or a panic leaves nothing behind.
struct TempFile(PathBuf);

impl TempFile {
    /// The file was renamed into the cache: nothing to remove.
    fn keep(mut self) {
        self.0 = PathBuf::new();
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.0.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}
