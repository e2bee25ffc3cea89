//! Finding the build host's CA certificate bundle.

use std::path::PathBuf;

/// The CA bundle could not be found.
#[derive(Debug, thiserror::Error)]
pub enum CaBundleError {
    /// None of the usual places has a bundle.
    #[error("no CA certificate bundle found on this machine (looked at SSL_CERT_FILE, {tried})")]
    NotFound {
        /// The paths looked at.
        tried: String,
    },
}

/// Where distributions keep the bundle: Debian and Ubuntu, Fedora and RHEL, openSUSE, Alpine.
const BUNDLE_PATHS: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The host's PEM CA bundle: `SSL_CERT_FILE` when set, else the first distribution path that exists.
pub fn find_host_ca_bundle() -> Result<PathBuf, CaBundleError> {
    let from_env = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
    from_env
        .into_iter()
        .chain(BUNDLE_PATHS.iter().map(PathBuf::from))
        .find(|p| p.is_file())
        .ok_or_else(|| CaBundleError::NotFound {
            tried: BUNDLE_PATHS.join(", "),
        })
}
