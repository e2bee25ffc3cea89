//! What can go wrong making a Debian stack's images.

use std::path::PathBuf;

/// Errors of the Debian stacks; each lower error keeps its own message and fix.
#[derive(Debug, thiserror::Error)]
pub enum DebianStackError {
    /// No mirror could be found.
    #[error(transparent)]
    Mirror(#[from] slipway_debian::mirror::MirrorError),
    /// The keyring could not be loaded.
    #[error(transparent)]
    Keyring(#[from] slipway_debian::keyring::KeyringError),
    /// The archive refused, or was unreachable.
    #[error(transparent)]
    Archive(#[from] slipway_debian::archive::ArchiveError),
    /// A package set could not be resolved.
    #[error(transparent)]
    Resolve(#[from] slipway_debian::resolve::ResolveError),
    /// A `.deb` could not be fetched or verified.
    #[error(transparent)]
    Fetch(#[from] slipway_debian::fetch::FetchError),
    /// A `.deb` could not be read.
    #[error(transparent)]
    Deb(#[from] slipway_debian::deb::DebError),
    /// The packages could not be turned into layers.
    #[error(transparent)]
    Rootfs(#[from] slipway_debian::rootfs::RootfsError),
    /// The layers could not be stored.
    #[error(transparent)]
    Store(#[from] slipway_oci::StoreLayersError),
    /// The lockfile could not be written or read.
    #[error(transparent)]
    Lockfile(#[from] slipway_debian::lockfile::LockfileError),
    /// The lockfile has no such set.
    #[error(
        "the lockfile has no package set {set:?} (it has: {sets}); resolve it again with `slipway stack resolve`"
    )]
    NoSet {
        /// The set asked for.
        set: String,
        /// The sets it has.
        sets: String,
    },
    /// A set names a package the lockfile does not pin.
    #[error(
        "the lockfile's sets name {0}, which it does not pin; resolve it again with `slipway stack resolve`"
    )]
    Inconsistent(String),
    /// An extra CA file could not be read.
    #[error("reading the CA certificates in {0}")]
    CaCerts(PathBuf, #[source] std::io::Error),
    /// The layer cache could not be written.
    #[error("writing the stack layer cache {0}")]
    Cache(PathBuf, #[source] std::io::Error),
}
