//! What can go wrong talking to a registry, sorted by what the user can do about it.
//!
//! oci-client reports failures as one wide enum; [`classify`] sorts them into the few cases a user
//! acts on differently (start the registry, log in, fix the name, retry later), and the retry loop
//! uses the same sorting to decide what is worth trying again.

use std::io;

use oci_client::errors::{OciDistributionError, OciErrorCode};
use slipway_oci::{Digest, ImageError, LayoutError};

use crate::keychain::KeychainError;

/// Errors pushing to or pulling from a registry. Each variant names what was being done and keeps
/// the underlying error as its source; [`RegistryError::hint`] gives the fix when there is one.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The registry did not answer: connection refused, DNS failure, TLS failure or timeout.
    #[error("{action}: cannot reach the registry {registry}")]
    Unreachable {
        /// The registry host, with its port.
        registry: String,
        /// What was being done.
        action: String,
        /// The transport error.
        #[source]
        source: OciDistributionError,
    },
    /// The registry wants credentials, or refused the ones it was given (HTTP 401 or 403).
    #[error("{action}: the registry {registry} refused access")]
    Unauthorized {
        /// The registry host, with its port.
        registry: String,
        /// What was being done.
        action: String,
        /// The registry's answer.
        #[source]
        source: OciDistributionError,
    },
    /// The image (its manifest) is not in the registry.
    #[error("{reference} was not found in its registry")]
    NotFound {
        /// The reference that was asked for.
        reference: String,
        /// The registry's answer.
        #[source]
        source: OciDistributionError,
    },
    /// Something has a different digest than it should: the registry (or a proxy) changed it.
    #[error("{what} has digest {actual}, not the expected {expected}")]
    DigestMismatch {
        /// What was checked, e.g. "the manifest of 127.0.0.1:5000/app:latest".
        what: String,
        /// The digest slipway expected.
        expected: Digest,
        /// The digest that was found.
        actual: String,
    },
    /// Any other failure of the registry API.
    #[error("{action}")]
    Protocol {
        /// What was being done.
        action: String,
        /// The registry client's error.
        #[source]
        source: OciDistributionError,
    },
    /// A blob to push could not be read from the local store.
    #[error("reading blob {digest} from the local store")]
    Blob {
        /// The blob.
        digest: Digest,
        /// What the store said.
        #[source]
        source: io::Error,
    },
    /// A pulled blob could not be stored in the layout.
    #[error("storing {what} in the local store")]
    Layout {
        /// What was being stored.
        what: String,
        /// What the layout said (boxed: it is much larger than the other causes).
        #[source]
        source: Box<LayoutError>,
    },
    /// The credentials for the registry could not be read (a broken config file or helper).
    #[error("reading the credentials for {registry}")]
    Credentials {
        /// The registry host.
        registry: String,
        /// What went wrong.
        #[source]
        source: KeychainError,
    },
    /// A pulled manifest or config is not a valid image.
    #[error("reading the image {reference}")]
    InvalidImage {
        /// The reference pulled.
        reference: String,
        /// What is wrong with it.
        #[source]
        source: ImageError,
    },
    /// The reference names something that is not an image manifest or index.
    #[error("{reference} is not an image (its manifest has media type {media_type})")]
    NotAnImage {
        /// The reference pulled.
        reference: String,
        /// The manifest's media type, or "unknown".
        media_type: String,
    },
    /// The reference names a multi-platform index without an image for the wanted platform.
    #[error("{reference} has no image for {platform}")]
    NoMatchingPlatform {
        /// The reference pulled.
        reference: String,
        /// The platform looked for, as `os/arch`.
        platform: String,
    },
}

impl RegistryError {
    /// The fix for this error, in words a user can follow; `None` when there is no simple one.
    #[must_use]
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            RegistryError::Unreachable { .. } => {
                Some("check that the registry is running and the address is right")
            }
            RegistryError::Unauthorized { .. } => Some(
                "log in with `docker login HOST` or `podman login HOST`, or configure a credential \
                 helper for the registry",
            ),
            RegistryError::NotFound { .. } => Some("check the image name and tag"),
            RegistryError::Credentials { .. } => Some(
                "check the credential helper named in ~/.docker/config.json (credsStore or \
                 credHelpers) is installed and works, or log in again",
            ),
            RegistryError::NoMatchingPlatform { .. } => {
                Some("use an image that is published for linux/amd64")
            }
            RegistryError::DigestMismatch { .. } => {
                Some("try again; if it persists, a proxy or the registry is altering content")
            }
            RegistryError::Blob { .. } | RegistryError::Layout { .. } => {
                Some("the local store may be damaged; rebuild the image")
            }
            RegistryError::Protocol { .. }
            | RegistryError::InvalidImage { .. }
            | RegistryError::NotAnImage { .. } => None,
        }
    }
}

/// The few kinds of registry failure that call for different handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// No answer from the registry (connect, DNS, TLS, timeout).
    Unreachable,
    /// 401 or 403.
    Unauthorized,
    /// 404, or an error code saying the thing is unknown.
    NotFound,
    /// Worth trying again: 5xx, 429, 408, a connection dropped mid-request.
    Transient,
    /// Anything else.
    Other,
}

impl Failure {
    /// Whether a retry may succeed.
    pub(crate) fn is_retryable(self) -> bool {
        matches!(self, Failure::Unreachable | Failure::Transient)
    }
}

/// Sorts an oci-client error into a [`Failure`].
pub(crate) fn classify(err: &OciDistributionError) -> Failure {
    match err {
        OciDistributionError::RequestError(e) => {
            if e.is_connect() || e.is_timeout() {
                Failure::Unreachable
            } else if let Some(status) = e.status() {
                classify_status(status.as_u16())
            } else if e.is_request() || e.is_body() {
                Failure::Transient
            } else {
                Failure::Other
            }
        }
        OciDistributionError::ServerError { code, .. } => classify_status(*code),
        OciDistributionError::RegistryError { envelope, .. } => envelope
            .errors
            .iter()
            .map(|e| classify_code(&e.code))
            .find(|f| *f != Failure::Other)
            .unwrap_or(Failure::Other),
        OciDistributionError::UnauthorizedError { .. }
        | OciDistributionError::AuthenticationFailure(_) => Failure::Unauthorized,
        OciDistributionError::ImageManifestNotFoundError(_) => Failure::NotFound,
        _ => Failure::Other,
    }
}

fn classify_status(code: u16) -> Failure {
    match code {
        401 | 403 => Failure::Unauthorized,
        404 => Failure::NotFound,
        408 | 429 | 500..=599 => Failure::Transient,
        _ => Failure::Other,
    }
}

fn classify_code(code: &OciErrorCode) -> Failure {
    match code {
        OciErrorCode::Unauthorized | OciErrorCode::Denied => Failure::Unauthorized,
        OciErrorCode::ManifestUnknown | OciErrorCode::NameUnknown | OciErrorCode::NotFound => {
            Failure::NotFound
        }
        OciErrorCode::Toomanyrequests => Failure::Transient,
        _ => Failure::Other,
    }
}

/// Where a failed request was going, to turn an oci-client error into a [`RegistryError`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    /// The registry host, with its port.
    pub(crate) registry: &'a str,
    /// The reference, when "not found" means the user named something that is not there (a
    /// pull); `None` when a 404 is a protocol failure (a push).
    pub(crate) reference: Option<&'a str>,
}

impl Target<'_> {
    /// The [`RegistryError`] for `source`, which happened while doing `action`.
    pub(crate) fn error(self, action: String, source: OciDistributionError) -> RegistryError {
        let registry = self.registry.to_owned();
        match (classify(&source), self.reference) {
            (Failure::Unreachable, _) => RegistryError::Unreachable {
                registry,
                action,
                source,
            },
            (Failure::Unauthorized, _) => RegistryError::Unauthorized {
                registry,
                action,
                source,
            },
            (Failure::NotFound, Some(reference)) => RegistryError::NotFound {
                reference: reference.to_owned(),
                source,
            },
            (Failure::NotFound | Failure::Transient | Failure::Other, _) => {
                RegistryError::Protocol { action, source }
            }
        }
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
