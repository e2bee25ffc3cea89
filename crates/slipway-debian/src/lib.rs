//! The Debian archive, as slipway uses it to make base images from packages.
//!
//! Nothing is trusted unverified: `InRelease` is checked against the Debian archive keyring with
//! `OpenPGP`, every `Packages` index against the SHA-256 that `InRelease` lists, and every `.deb`
//! against the SHA-256 its index (and the lockfile) gives. Data and parsing (control files, the
//! resolver, the lockfile) stay apart from I/O (the archive client, the download cache).

pub mod archive;
pub mod deb;
pub mod fetch;
pub mod index;
pub mod keyring;
pub mod lockfile;
pub mod mirror;
pub mod release;
pub mod resolve;
pub mod rootfs;

/// An error and its causes on one line (`outer: cause: root cause`), as log lines and retry
/// notices show them and as tests compare them.
#[must_use]
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
