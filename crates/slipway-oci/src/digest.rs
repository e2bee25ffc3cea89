//! SHA-256 content digests, the identity of every blob slipway writes or reads.

use std::io::{self, Write};

pub use oci_spec::image::Digest;
use sha2::{Digest as _, Sha256};

/// The `sha256:<hex>` digest of `bytes`, as OCI descriptors and `diff_ids` spell it.
#[must_use]
pub fn sha256_digest(bytes: &[u8]) -> Digest {
    digest_from_hasher(Sha256::new_with_prefix(bytes))
}

/// Finishes a hasher into an OCI digest.
fn digest_from_hasher(hasher: Sha256) -> Digest {
    let text = format!("sha256:{}", hex::encode(hasher.finalize()));
    // A sha256 hex string is always a valid digest; the parse cannot fail.
    text.parse()
        .unwrap_or_else(|_| unreachable!("sha256 hex is a valid digest"))
}

/// A writer that hashes and counts what passes through it, so that a layer's `diff_id` or a blob's
/// digest is computed in the same pass that writes it.
pub struct DigestWriter<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> DigestWriter<W> {
    /// Wraps `inner`; nothing is hashed yet.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            written: 0,
        }
    }

    /// The digest and byte count of everything written, and the inner writer.
    pub fn finish(self) -> (Digest, u64, W) {
        (digest_from_hasher(self.hasher), self.written, self.inner)
    }
}

impl<W: Write> Write for DigestWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The hex part of a digest, for file names in a blob directory.
#[must_use]
pub fn hex_part(digest: &Digest) -> &str {
    digest.digest()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_of_empty_input_is_the_well_known_one() {
        assert_eq!(
            sha256_digest(b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn digest_writer_matches_one_shot_digest() {
        let mut w = DigestWriter::new(Vec::new());
        w.write_all(b"hello ").unwrap();
        w.write_all(b"world").unwrap();
        let (digest, n, inner) = w.finish();
        assert_eq!(n, 11);
        assert_eq!(inner, b"hello world");
        assert_eq!(digest, sha256_digest(b"hello world"));
    }
}
