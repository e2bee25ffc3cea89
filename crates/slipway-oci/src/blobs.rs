//! Where blobs are read from when an image is written somewhere else.

use std::io;

use crate::Digest;

/// A content-addressed blob store that images are copied out of: the local store, an OCI layout.
/// Destinations (another layout, a docker-archive, a daemon, a registry) read every blob through
/// this one trait, so that each of them works from every source.
pub trait BlobSource: Sync {
    /// The whole blob named by `digest`. Implementations verify the bytes against the digest, so
    /// a corrupt store is reported rather than copied.
    fn read_blob(&self, digest: &Digest) -> io::Result<Vec<u8>>;

    /// Whether the blob is present, without reading it.
    fn has_blob(&self, digest: &Digest) -> bool;
}
