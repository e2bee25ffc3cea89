//! The archive client: verified `InRelease` files and `Packages` indexes from a Debian mirror.
//!
//! For each suite it fetches `dists/SUITE/InRelease`, verifies its signature against the
//! archive keyring, finds `main/binary-ARCH/Packages.xz` (or `.gz`) in its SHA-256 list, fetches
//! that, checks its size and digest, decompresses it (checking the decompressed digest too) and
//! parses it. Results are cached: a verified index is never fetched twice, and an `InRelease` is
//! fetched again when a day old or when the caller asks for a refresh. A file that fails a check
//! is never written to the cache.
//!
//! ```text
//! CACHE/dists/<mirror key>/<suite>/InRelease   re-fetched when a day old; re-verified on read
//! CACHE/indexes/sha256/<hex>[.xz|.gz]          named by the digest InRelease lists; re-hashed on read
//! ```

mod cache;
mod error;
mod http;

pub use error::ArchiveError;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use futures_util::future::try_join_all;

use crate::index::{SuiteIndex, parse_packages};
use crate::keyring::Keyring;
use crate::mirror::Mirrors;
use crate::release::{Compression, PackagesIndex, Release, verify_inrelease};
use cache::{Cache, sha256_hex};
use http::Fetched;

/// How old a cached `InRelease` may be before it is fetched again.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// The largest `InRelease` accepted (Debian's are about 150 KB).
const INRELEASE_LIMIT: u64 = 16 << 20;

/// The component slipway reads: Debian's free software (`main`).
const COMPONENT: &str = "main";

/// Which suites of a release to read: the release itself always, and optionally its
/// `-updates` and `-security` suites (tests leave those out to get a stable package set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuiteSet {
    /// Read `RELEASE-updates` (stable updates: tzdata, ca-certificates, ...).
    pub updates: bool,
    /// Read `RELEASE-security` from the security mirror.
    pub security: bool,
}

impl SuiteSet {
    /// The release and its -updates and -security suites: what images should use.
    pub const ALL: Self = Self {
        updates: true,
        security: true,
    };
    /// The release alone: what it shipped with its last point release.
    pub const RELEASE_ONLY: Self = Self {
        updates: false,
        security: false,
    };

    /// The suite names for `release`, in the order candidates of equal version prefer them.
    #[must_use]
    pub fn names(self, release: &str) -> Vec<String> {
        let mut names = vec![release.to_owned()];
        if self.updates {
            names.push(format!("{release}-updates"));
        }
        if self.security {
            names.push(format!("{release}-security"));
        }
        names
    }
}

/// A Debian archive (a mirror pair), its trust anchor and a cache.
#[derive(Debug, Clone)]
pub struct Archive {
    mirrors: Mirrors,
    keyring: Keyring,
    cache: Cache,
    client: reqwest::Client,
    max_age: Duration,
}

impl Archive {
    /// An archive client that caches under `cache_dir`.
    pub fn new(
        mirrors: Mirrors,
        keyring: Keyring,
        cache_dir: impl Into<PathBuf>,
    ) -> Result<Self, ArchiveError> {
        Ok(Self {
            mirrors,
            keyring,
            cache: Cache::new(cache_dir.into()),
            client: http::client()?,
            max_age: DEFAULT_MAX_AGE,
        })
    }

    /// Changes how old a cached `InRelease` may be ([`DEFAULT_MAX_AGE`] by default).
    #[must_use]
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The mirrors this client reads.
    #[must_use]
    pub fn mirrors(&self) -> &Mirrors {
        &self.mirrors
    }

    /// The `main` packages of `suites` of `release` (such as `trixie`) for `arch`, one
    /// [`SuiteIndex`] per suite in [`SuiteSet::names`] order, fetched concurrently.
    /// `refresh` fetches every `InRelease` again, however young the cached one.
    pub async fn suite_indexes(
        &self,
        release: &str,
        suites: SuiteSet,
        arch: &str,
        refresh: bool,
    ) -> Result<Vec<SuiteIndex>, ArchiveError> {
        let names = suites.names(release);
        try_join_all(
            names
                .iter()
                .map(|suite| self.suite_index(suite, arch, refresh)),
        )
        .await
    }

    /// The `main` packages of one suite (`trixie-security` comes from the security mirror).
    pub async fn suite_index(
        &self,
        suite: &str,
        arch: &str,
        refresh: bool,
    ) -> Result<SuiteIndex, ArchiveError> {
        let (release, from_cache) = self.load_release(suite, refresh).await?;
        let packages = match self.packages(suite, &release, arch).await {
            // A cached InRelease may predate a mirror update that replaced the index: fetch
            // the InRelease again, once, before calling the index bad.
            Err(ArchiveError::Checksum { .. }) if from_cache => {
                let (release, _) = self.load_release(suite, true).await?;
                self.packages(suite, &release, arch).await?
            }
            result => result?,
        };
        Ok(SuiteIndex {
            suite_name: suite.to_owned(),
            packages,
        })
    }

    /// The verified `InRelease` of `suite`, from the cache when young enough.
    pub async fn release(&self, suite: &str, refresh: bool) -> Result<Release, ArchiveError> {
        Ok(self.load_release(suite, refresh).await?.0)
    }

    /// The verified `InRelease`, and whether it came from the cache.
    async fn load_release(
        &self,
        suite: &str,
        refresh: bool,
    ) -> Result<(Release, bool), ArchiveError> {
        let base = self.mirrors.base_for_suite(suite);
        let url = format!("{base}/dists/{suite}/InRelease");
        let path = self.cache.inrelease_path(base, suite);
        let mut stale = None;
        if !refresh && let Some(cached) = Cache::read(&path).await {
            // A cached file is verified again: the keyring may have changed since.
            match self.check_release(&cached.bytes, suite, &url) {
                Ok(release) if cached.age < self.max_age => return Ok((release, true)),
                Ok(release) => stale = Some(release),
                Err(error) => tracing::warn!("ignoring the cached InRelease of {suite}: {error}"),
            }
        }
        let bytes = match http::get(&self.client, &url, INRELEASE_LIMIT).await {
            Ok(Fetched::Body(bytes)) => bytes,
            Ok(Fetched::NotFound) => {
                return Err(ArchiveError::NoSuite {
                    suite: suite.to_owned(),
                    url,
                });
            }
            Err(error @ ArchiveError::Unreachable { .. }) => match stale {
                // Offline: a verified, unexpired InRelease from before is better than nothing.
                Some(release) => {
                    tracing::warn!("using the cached InRelease of {suite}: {error}");
                    return Ok((release, true));
                }
                None => return Err(error),
            },
            Err(error) => return Err(error),
        };
        let release = self.check_release(&bytes, suite, &url)?;
        Cache::write(&path, &bytes).await?;
        Ok((release, false))
    }

    /// Verifies `InRelease` bytes and checks that they are for `suite` and still valid.
    fn check_release(&self, bytes: &[u8], suite: &str, url: &str) -> Result<Release, ArchiveError> {
        let rejected = |source| ArchiveError::Release {
            suite: suite.to_owned(),
            url: url.to_owned(),
            source: Box::new(source),
        };
        let release = verify_inrelease(bytes, &self.keyring).map_err(rejected)?;
        release.check_suite(suite).map_err(rejected)?;
        release
            .check_valid_until(SystemTime::now())
            .map_err(rejected)?;
        Ok(release)
    }

    /// The parsed `main/binary-ARCH` index that `release` lists.
    async fn packages(
        &self,
        suite: &str,
        release: &Release,
        arch: &str,
    ) -> Result<Vec<crate::index::PackageEntry>, ArchiveError> {
        let index =
            release
                .packages_index(COMPONENT, arch)
                .map_err(|source| ArchiveError::NoIndex {
                    suite: suite.to_owned(),
                    source: Box::new(source),
                })?;
        let base = self.mirrors.base_for_suite(suite);
        let origin = format!("{base}/dists/{suite}/{}", index.file.path);
        let text = self
            .index_text(suite, base, release, &index, &origin)
            .await?;
        tokio::task::spawn_blocking(move || parse_packages(text, &origin))
            .await
            .map_err(ArchiveError::Interrupted)?
            .map_err(ArchiveError::from)
    }

    /// The decompressed text of an index: from the cache, else fetched and checked.
    async fn index_text(
        &self,
        suite: &str,
        base: &str,
        release: &Release,
        index: &PackagesIndex,
        url: &str,
    ) -> Result<Vec<u8>, ArchiveError> {
        // Cache the decompressed text when its digest is listed (it is read on every
        // resolution, and decompressing 60 MB of xz costs more than hashing it), else the file.
        let (cached_sha, cached_compression) = match &index.uncompressed {
            Some(plain) => (plain.sha256.as_str(), Compression::None),
            None => (index.file.sha256.as_str(), index.compression),
        };
        let path = self.cache.index_path(cached_sha, cached_compression);
        if let Some(bytes) = Cache::read_verified(&path, cached_sha).await {
            return decompress(bytes, cached_compression, url).await;
        }
        let compressed = self.fetch_index(suite, base, release, index, url).await?;
        let Some(plain) = &index.uncompressed else {
            Cache::write(&path, &compressed).await?;
            return decompress(compressed, index.compression, url).await;
        };
        let text = decompress(compressed, index.compression, url).await?;
        let (text, actual) = hashed(text).await?;
        check(suite, url, &plain.sha256, plain.size, &actual, text.len())?;
        Cache::write(&path, &text).await?;
        Ok(text)
    }

    /// Fetches the compressed index (by hash when the suite offers it) and checks it.
    async fn fetch_index(
        &self,
        suite: &str,
        base: &str,
        release: &Release,
        index: &PackagesIndex,
        url: &str,
    ) -> Result<Vec<u8>, ArchiveError> {
        let file = &index.file;
        // One byte over the listed size is enough to tell a longer file.
        let limit = file.size + 1;
        let mut fetched = Fetched::NotFound;
        if release.acquire_by_hash {
            // `by-hash` names stay valid while a mirror updates, so the index always matches.
            let dir = file.path.rsplit_once('/').map_or("", |(dir, _)| dir);
            let by_hash = format!("{base}/dists/{suite}/{dir}/by-hash/SHA256/{}", file.sha256);
            fetched = http::get(&self.client, &by_hash, limit).await?;
        }
        if matches!(fetched, Fetched::NotFound) {
            fetched = http::get(&self.client, url, limit).await?;
        }
        let Fetched::Body(bytes) = fetched else {
            return Err(ArchiveError::IndexGone {
                url: url.to_owned(),
            });
        };
        let (bytes, actual) = hashed(bytes).await?;
        check(suite, url, &file.sha256, file.size, &actual, bytes.len())?;
        Ok(bytes)
    }
}

/// Fails with [`ArchiveError::Checksum`] unless digest and size are as listed.
fn check(
    suite: &str,
    url: &str,
    expected: &str,
    expected_size: u64,
    actual: &str,
    actual_size: usize,
) -> Result<(), ArchiveError> {
    let actual_size = actual_size as u64;
    if actual == expected && actual_size == expected_size {
        return Ok(());
    }
    Err(ArchiveError::Checksum {
        suite: suite.to_owned(),
        url: url.to_owned(),
        expected: expected.to_owned(),
        expected_size,
        actual: actual.to_owned(),
        actual_size,
    })
}

/// Hashes bytes off the async threads.
async fn hashed(bytes: Vec<u8>) -> Result<(Vec<u8>, String), ArchiveError> {
    tokio::task::spawn_blocking(move || {
        let digest = sha256_hex(&bytes);
        (bytes, digest)
    })
    .await
    .map_err(ArchiveError::Interrupted)
}

/// Decompresses an index off the async threads.
async fn decompress(
    bytes: Vec<u8>,
    compression: Compression,
    url: &str,
) -> Result<Vec<u8>, ArchiveError> {
    use std::io::Read as _;
    if compression == Compression::None {
        return Ok(bytes);
    }
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut text = Vec::with_capacity(bytes.len() * 6);
        let result = match compression {
            Compression::Xz => {
                xz2::read::XzDecoder::new_multi_decoder(bytes.as_slice()).read_to_end(&mut text)
            }
            Compression::Gz => {
                flate2::read::GzDecoder::new(bytes.as_slice()).read_to_end(&mut text)
            }
            Compression::None => Ok(0),
        };
        result
            .map(|_| text)
            .map_err(|source| ArchiveError::Decompress { url, source })
    })
    .await
    .map_err(ArchiveError::Interrupted)?
}

#[cfg(test)]
mod tests;
