//! What can go wrong talking to a container engine, with the fix for each case.

use std::io;

/// Errors finding, reaching or using a Docker or Podman engine. Each variant names what was being
/// done and keeps the cause as its source; [`EngineError::hint`] gives the fix when there is one.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// `DOCKER_HOST` is unset and none of the usual sockets exists or answers.
    #[error("no container engine found (tried {})", tried.join("; "))]
    NotFound {
        /// Each place tried, with why it was passed over.
        tried: Vec<String>,
    },
    /// `DOCKER_HOST` names a transport slipway cannot use.
    #[error("DOCKER_HOST={docker_host} is neither a unix:// nor a tcp:// address")]
    UnsupportedHost {
        /// The value given.
        docker_host: String,
    },
    /// The engine's socket or port exists but nothing answers there (or it may not be used).
    #[error("cannot reach the container engine at {host}")]
    Unreachable {
        /// The engine address, as `DOCKER_HOST` spells it.
        host: String,
        /// The connection error.
        #[source]
        source: bollard::errors::Error,
    },
    /// The engine answered a request with an error.
    #[error("{action}")]
    Api {
        /// What was being done.
        action: String,
        /// The engine's answer.
        #[source]
        source: bollard::errors::Error,
    },
    /// The image could not be written as a docker-archive (a blob is missing or unreadable).
    #[error("writing {image} as a docker-archive for the engine")]
    Archive {
        /// The image's digest.
        image: String,
        /// The read or write error.
        #[source]
        source: io::Error,
    },
    /// The engine accepted the archive, but does not know the image by the name it was given.
    #[error("the engine at {host} loaded the image but does not know it as {name}")]
    NotLoaded {
        /// The engine address.
        host: String,
        /// The name that was looked up.
        name: String,
    },
}

impl EngineError {
    /// The fix for this error, in words a user can follow; `None` when there is no simple one.
    #[must_use]
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            EngineError::NotFound { .. } => Some(
                "start Docker, or run `podman system service --time=0 \
                 unix:///run/podman/podman.sock` and set \
                 DOCKER_HOST=unix:///run/podman/podman.sock",
            ),
            EngineError::UnsupportedHost { .. } => {
                Some("set DOCKER_HOST to unix:///PATH/TO/SOCKET or tcp://HOST:PORT")
            }
            EngineError::Unreachable { .. } => Some(
                "check that the engine is running and that you may use its socket (for Docker, \
                 membership of the docker group), or point DOCKER_HOST at one that is",
            ),
            EngineError::Archive { .. } => {
                Some("the local store may be damaged; rebuild the image")
            }
            EngineError::Api { .. } | EngineError::NotLoaded { .. } => None,
        }
    }
}

/// Whether `err` means the engine could not be reached at all, rather than that it refused the
/// request.
pub(crate) fn is_connection_error(err: &bollard::errors::Error) -> bool {
    use bollard::errors::Error;
    match err {
        Error::SocketNotFoundError(_) | Error::RequestTimeoutError => true,
        Error::HyperLegacyError { err } => err.is_connect(),
        Error::IOError { err } => matches!(
            err.kind(),
            io::ErrorKind::ConnectionRefused
                | io::ErrorKind::NotFound
                | io::ErrorKind::PermissionDenied
                | io::ErrorKind::ConnectionReset
        ),
        _ => false,
    }
}

/// The HTTP status of an engine's error answer, if it was one.
pub(crate) fn status_of(err: &bollard::errors::Error) -> Option<u16> {
    match err {
        bollard::errors::Error::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn not_found_lists_what_was_tried_and_says_how_to_start_an_engine() {
        let err = EngineError::NotFound {
            tried: vec![
                "/var/run/docker.sock (no such socket)".into(),
                "/run/podman/podman.sock (no such socket)".into(),
            ],
        };
        assert_eq!(
            err.to_string(),
            "no container engine found (tried /var/run/docker.sock (no such socket); \
             /run/podman/podman.sock (no such socket))"
        );
        assert!(
            err.hint()
                .is_some_and(|h| h.contains("podman system service") && h.contains("DOCKER_HOST"))
        );
    }

    #[test]
    fn connection_failures_are_told_from_refusals() {
        let missing = bollard::errors::Error::SocketNotFoundError("/tmp/none.sock".into());
        assert!(is_connection_error(&missing));
        let refused = bollard::errors::Error::IOError {
            err: io::Error::from(io::ErrorKind::ConnectionRefused),
        };
        assert!(is_connection_error(&refused));
        let answer = bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            message: "no such image".into(),
        };
        assert!(!is_connection_error(&answer));
        assert_eq!(status_of(&answer), Some(404));
        assert_eq!(status_of(&missing), None);
    }

    #[test]
    fn messages_leave_the_cause_to_the_source() {
        let source = bollard::errors::Error::DockerResponseServerError {
            status_code: 500,
            message: "disk full".into(),
        };
        let err = EngineError::Api {
            action: "loading app:latest into the engine".into(),
            source,
        };
        assert_eq!(err.to_string(), "loading app:latest into the engine");
        assert!(
            err.source()
                .is_some_and(|s| s.to_string().contains("disk full"))
        );
    }
}
