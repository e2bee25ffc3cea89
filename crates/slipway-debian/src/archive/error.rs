//! The archive client's one error type.

use std::path::PathBuf;

use crate::index::IndexError;
use crate::release::ReleaseError;

/// Why the archive could not give an index.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The HTTP client could not be set up.
    #[error("cannot set up the HTTP client")]
    Client(#[source] reqwest::Error),
    /// The mirror did not answer.
    #[error("cannot reach the Debian mirror at {url}: check the network, or pass --debian-mirror")]
    Unreachable {
        /// The URL asked for.
        url: String,
        /// What the HTTP client said.
        #[source]
        source: reqwest::Error,
    },
    /// The mirror answered with an unexpected status.
    #[error("the Debian mirror answered HTTP {status} for {url}: check --debian-mirror")]
    Http {
        /// The URL asked for.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The mirror sent more than a file of that kind can hold.
    #[error(
        "the Debian mirror sent more than {limit} bytes for {url}: the file is not what was asked for"
    )]
    TooLarge {
        /// The URL asked for.
        url: String,
        /// The most bytes accepted.
        limit: u64,
    },
    /// The mirror does not have the suite.
    #[error(
        "the Debian mirror has no suite {suite} ({url} is not found): check the release name, \
         and that the mirror (--debian-mirror) serves it"
    )]
    NoSuite {
        /// The suite asked for.
        suite: String,
        /// The `InRelease` URL.
        url: String,
    },
    /// The `InRelease` failed verification (signature, suite or date).
    #[error("rejected the InRelease of {suite} from {url}; nothing was cached")]
    Release {
        /// The suite.
        suite: String,
        /// The `InRelease` URL.
        url: String,
        /// Why it was rejected.
        #[source]
        source: Box<ReleaseError>,
    },
    /// The suite has no index for the architecture.
    #[error("cannot read the packages of {suite}")]
    NoIndex {
        /// The suite.
        suite: String,
        /// Which index is missing.
        #[source]
        source: Box<ReleaseError>,
    },
    /// The `InRelease` lists an index that the mirror does not serve.
    #[error(
        "the Debian mirror lists {url} in its signed InRelease but does not serve it (a mirror \
         in the middle of a sync?): retry later, or use another mirror (--debian-mirror)"
    )]
    IndexGone {
        /// The index URL.
        url: String,
    },
    /// An index does not match the digest or size its verified `InRelease` lists.
    #[error(
        "the Packages index {url} does not match the SHA-256 that the verified InRelease of \
         {suite} lists (expected {expected} ({expected_size} bytes), got {actual} ({actual_size} \
         bytes)): it was modified or damaged on the way; nothing was cached"
    )]
    Checksum {
        /// The suite.
        suite: String,
        /// The index URL (for a decompressed index, the URL it was decompressed from).
        url: String,
        /// The digest the `InRelease` lists.
        expected: String,
        /// Its size there.
        expected_size: u64,
        /// The digest of what arrived.
        actual: String,
        /// Its size.
        actual_size: u64,
    },
    /// An index that matched its digest does not decompress.
    #[error("cannot decompress the Packages index {url}")]
    Decompress {
        /// The index URL.
        url: String,
        /// What the decompressor said.
        #[source]
        source: std::io::Error,
    },
    /// An index does not parse.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The cache could not be written.
    #[error("cannot write the cache file {}: check the permissions and free space of the cache directory (--cache-dir)", path.display())]
    Cache {
        /// The file.
        path: PathBuf,
        /// What the file system said.
        #[source]
        source: std::io::Error,
    },
    /// A background task was cancelled (the runtime is shutting down).
    #[error("reading the Debian archive was interrupted")]
    Interrupted(#[source] tokio::task::JoinError),
}
