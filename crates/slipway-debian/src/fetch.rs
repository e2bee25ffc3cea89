//! Downloading `.deb` files into a content-addressed cache, each verified before it lands.
//!
//! The cache holds `debs/sha256/<hex>.deb`, named by the SHA-256 the index (or lockfile) gives.
//! A download goes to a temporary file in `debs/tmp/`, is hashed and counted as it streams, and
//! is renamed into place only when both its size and its SHA-256 match: a tampered or truncated
//! download never enters the cache, and a file in the cache is always the package it is named
//! after. Several slipway processes may fill the same cache at once: each writes its own
//! temporary file and the rename is atomic.

use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures_util::{StreamExt, TryStreamExt};

mod download;

use download::Failure;

/// How many downloads run at once unless the caller says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// How often a transient failure (connection reset, timeout, 5xx) is retried per package.
pub const RETRIES: u32 = 2;

/// One package to fetch, as the index or lockfile describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebRef {
    /// Package name, for messages.
    pub name: String,
    /// Package version, for messages.
    pub version: String,
    /// The index's `Filename`: the path under the mirror's base URL, e.g.
    /// `pool/main/b/base-files/base-files_13.8_amd64.deb`.
    pub filename: String,
    /// The index's `Size` in bytes.
    pub size: u64,
    /// The index's `SHA256`, lowercase hex.
    pub sha256: String,
    /// Whether the package comes from the `-security` suite, which lives under its own base URL.
    pub from_security: bool,
}

/// The base URLs packages are fetched from: the archive (`.../debian`) and the security
/// archive (`.../debian-security`), each without a trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorBases {
    /// Base URL of the main archive.
    pub archive: String,
    /// Base URL of the security archive.
    pub security: String,
}

impl MirrorBases {
    /// The URL a package is fetched from.
    #[must_use]
    pub fn url_for(&self, item: &DebRef) -> String {
        let base = if item.from_security {
            &self.security
        } else {
            &self.archive
        };
        format!(
            "{}/{}",
            base.trim_end_matches('/'),
            item.filename.trim_start_matches('/')
        )
    }
}

/// What the fetcher reports while it works, for a progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchEvent {
    /// The package was already in the cache; nothing is downloaded.
    Cached {
        /// Package name.
        name: String,
    },
    /// A download started.
    Downloading {
        /// Package name.
        name: String,
        /// Its size in bytes, from the index.
        size: u64,
    },
    /// A transient failure; the download starts again.
    Retrying {
        /// Package name.
        name: String,
        /// 1 for the first retry.
        attempt: u32,
        /// What went wrong, for a log line.
        reason: String,
    },
    /// The package was downloaded, verified and moved into the cache.
    Done {
        /// Package name.
        name: String,
        /// Bytes downloaded.
        bytes: u64,
        /// How long the download took.
        elapsed: Duration,
    },
}

/// Errors while fetching packages.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The bytes served are not the package the index names (tampering, a broken proxy, or a
    /// truncated transfer).
    #[error(
        "the mirror served a different file for {name}: expected {expected}, got {actual}; nothing was cached"
    )]
    Mismatch {
        /// Package name and version.
        name: String,
        /// What the index promised (`sha256 ...` or `N bytes`).
        expected: String,
        /// What arrived.
        actual: String,
    },
    /// The mirror answers 404: the version was superseded and removed from the pool.
    #[error(
        "the mirror no longer serves {name} {version} ({filename}); run `slipway stack update`"
    )]
    NotFound {
        /// Package name.
        name: String,
        /// The version asked for.
        version: String,
        /// The pool path asked for.
        filename: String,
    },
    /// The mirror could not be reached, or the connection broke, after every retry.
    #[error("could not download {name} from {url}; check the network or --debian-mirror")]
    Unreachable {
        /// Package name.
        name: String,
        /// The URL tried.
        url: String,
        /// What the HTTP client said.
        #[source]
        source: reqwest::Error,
    },
    /// The mirror answered with an unexpected HTTP status.
    #[error("the mirror answered {status} for {name} at {url}")]
    Status {
        /// Package name.
        name: String,
        /// The URL tried.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The SHA-256 given for a package is not 64 hex digits (a damaged lockfile).
    #[error("the checksum given for {name} is not a SHA-256: {sha256:?}")]
    BadChecksum {
        /// Package name.
        name: String,
        /// The value given.
        sha256: String,
    },
    /// The cache directory could not be written.
    #[error("writing {path} in the package cache")]
    Cache {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// The HTTP client could not be set up.
    #[error("setting up the HTTP client")]
    Client(#[source] reqwest::Error),
}

/// A content-addressed cache of `.deb` files under a cache directory.
#[derive(Debug, Clone)]
pub struct DebCache {
    root: PathBuf,
}

impl DebCache {
    /// A cache rooted at `cache_dir` (slipway's cache directory); `.deb` files go to
    /// `cache_dir/debs/sha256/`. Nothing is created until something is fetched.
    #[must_use]
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            root: cache_dir.into().join("debs"),
        }
    }

    /// Where the package with this SHA-256 lives in the cache (whether or not it is there).
    #[must_use]
    pub fn path_for(&self, sha256: &str) -> PathBuf {
        self.root.join("sha256").join(format!("{sha256}.deb"))
    }

    /// The cached file for `item`, if present with the right size. The file's SHA-256 was
    /// checked before it was moved in, so its name is its digest.
    #[must_use]
    pub fn cached(&self, item: &DebRef) -> Option<PathBuf> {
        if !is_sha256(&item.sha256) {
            return None;
        }
        let path = self.path_for(&item.sha256);
        let meta = std::fs::metadata(&path).ok()?;
        (meta.is_file() && meta.len() == item.size).then_some(path)
    }

    /// Fetches every package not yet cached, `concurrency` at a time (at least one), and returns
    /// the cached paths in the order of `items`. The first error stops the rest; whatever was
    /// verified before it stays cached.
    pub async fn fetch_all(
        &self,
        mirrors: &MirrorBases,
        items: &[DebRef],
        concurrency: usize,
        progress: &(dyn Fn(FetchEvent) + Sync),
    ) -> Result<Vec<PathBuf>, FetchError> {
        for item in items {
            if !is_sha256(&item.sha256) {
                return Err(FetchError::BadChecksum {
                    name: item.name.clone(),
                    sha256: item.sha256.clone(),
                });
            }
        }
        let client = http_client()?;
        futures_util::stream::iter(items)
            .map(|item| self.fetch_one(&client, mirrors, item, progress))
            .buffered(concurrency.max(1))
            .try_collect()
            .await
    }

    async fn fetch_one(
        &self,
        client: &reqwest::Client,
        mirrors: &MirrorBases,
        item: &DebRef,
        progress: &(dyn Fn(FetchEvent) + Sync),
    ) -> Result<PathBuf, FetchError> {
        if let Some(path) = self.cached(item) {
            progress(FetchEvent::Cached {
                name: item.name.clone(),
            });
            return Ok(path);
        }
        let url = mirrors.url_for(item);
        progress(FetchEvent::Downloading {
            name: item.name.clone(),
            size: item.size,
        });
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            match self.download(client, &url, item).await {
                Ok(path) => {
                    progress(FetchEvent::Done {
                        name: item.name.clone(),
                        bytes: item.size,
                        elapsed: started.elapsed(),
                    });
                    return Ok(path);
                }
                Err(Failure::Transient(error)) if attempt < RETRIES => {
                    attempt += 1;
                    progress(FetchEvent::Retrying {
                        name: item.name.clone(),
                        attempt,
                        reason: crate::error_chain(&error),
                    });
                    tokio::time::sleep(Duration::from_millis(500) * attempt).await;
                }
                Err(Failure::Transient(error) | Failure::Fatal(error)) => return Err(error),
            }
        }
    }
}

fn is_sha256(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn http_client() -> Result<reqwest::Client, FetchError> {
    // Another part of slipway may have installed the provider already; either way one is set.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .read_timeout(Duration::from_secs(60))
        .user_agent(concat!("slipway/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(FetchError::Client)
}
