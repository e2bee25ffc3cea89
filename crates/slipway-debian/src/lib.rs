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
