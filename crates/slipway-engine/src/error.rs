//! What can go wrong talking to a container engine, with the fix for each case.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;

/// A failure's cause when it may come from the Docker API or from an engine's command alike.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

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
    /// No Docker API, Podman socket or engine command answered (see [`crate::find_engine`]).
    #[error("no container engine found (tried {})", tried.join("; "))]
    NoEngine {
        /// Each place tried, in order, with why it was passed over.
        tried: Vec<String>,
    },
    /// A container could not start because the host port it publishes is taken.
    #[error("port {port} on the host is already in use")]
    PortTaken {
        /// The host port asked for.
        port: u16,
    },
    /// The image to run is neither in the engine's store nor pullable.
    #[error("the image {image} is not in the container engine and could not be pulled")]
    ImageNotFound {
        /// The image name, as given.
        image: String,
        /// What the engine said (the failed lookup or pull), when it said something.
        #[source]
        source: Option<Cause>,
    },
    /// An engine command (`podman` or `docker`) failed.
    #[error("{action}")]
    Command {
        /// What was being done.
        action: String,
        /// How the command failed.
        #[source]
        source: CommandError,
    },
    /// A docker-archive file to load could not be read.
    #[error("reading the docker-archive {}", path.display())]
    ReadArchive {
        /// The archive's path.
        path: PathBuf,
        /// The read error.
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
            EngineError::NoEngine { .. } => Some(
                "install Podman (`sudo apt install podman`) or start Docker, or point DOCKER_HOST \
                 at one",
            ),
            EngineError::PortTaken { .. } => {
                Some("choose another with -p PORT, or leave -p out for a free port")
            }
            EngineError::ImageNotFound { .. } => {
                Some("build it with `slipway build`, or check the name")
            }
            EngineError::Api { .. }
            | EngineError::NotLoaded { .. }
            | EngineError::Command { .. }
            | EngineError::ReadArchive { .. } => None,
        }
    }
}

/// How running an engine command (`podman …`, `docker …`) failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The program could not be started at all.
    #[error("could not run {program}")]
    Spawn {
        /// The program.
        program: String,
        /// The error from starting it.
        #[source]
        source: io::Error,
    },
    /// The program ran and failed; its stderr says why.
    #[error("{program} failed ({status}): {stderr}")]
    Failed {
        /// The program.
        program: String,
        /// How it exited.
        status: ExitStatus,
        /// What it wrote to stderr, trimmed.
        stderr: String,
    },
    /// The program succeeded but printed something slipway cannot read.
    #[error("{program} answered unexpectedly: {what}")]
    Unexpected {
        /// The program.
        program: String,
        /// What was wrong with its answer.
        what: String,
    },
    /// The program did not finish in time (a remote daemon that does not answer, say).
    #[error("{program} did not finish within {seconds} s")]
    TimedOut {
        /// The program.
        program: String,
        /// How long it was given.
        seconds: u64,
    },
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
    fn no_engine_lists_what_was_tried_and_says_how_to_get_one() {
        let err = EngineError::NoEngine {
            tried: vec![
                "/var/run/docker.sock (no such socket)".into(),
                "the podman command (not on PATH)".into(),
            ],
        };
        assert_eq!(
            err.to_string(),
            "no container engine found (tried /var/run/docker.sock (no such socket); the podman \
             command (not on PATH))"
        );
        assert_eq!(
            err.hint(),
            Some(
                "install Podman (`sudo apt install podman`) or start Docker, or point DOCKER_HOST \
                 at one"
            )
        );
    }

    #[test]
    fn a_taken_port_and_a_missing_image_say_what_to_do() {
        let err = EngineError::PortTaken { port: 8080 };
        assert_eq!(err.to_string(), "port 8080 on the host is already in use");
        assert_eq!(
            err.hint(),
            Some("choose another with -p PORT, or leave -p out for a free port")
        );
        let err = EngineError::ImageNotFound {
            image: "localhost/app:1".into(),
            source: Some("image not known".into()),
        };
        assert_eq!(
            err.to_string(),
            "the image localhost/app:1 is not in the container engine and could not be pulled"
        );
        assert!(
            err.source()
                .is_some_and(|s| s.to_string() == "image not known")
        );
        assert_eq!(
            err.hint(),
            Some("build it with `slipway build`, or check the name")
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
