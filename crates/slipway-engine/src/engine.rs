//! Finding and connecting to a Docker-API engine: Docker itself, or Podman's
//! `podman system service`.

use std::env;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::models::SystemVersion;
use bollard::{API_DEFAULT_VERSION, Docker};

use crate::error::{EngineError, is_connection_error};

/// How long the first request (the version handshake) may take: a live engine answers at once.
const CONNECT_TIMEOUT_SECS: u64 = 15;
/// How long any later request may take before it fails.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// A connection to a container engine through the Docker Engine API.
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) docker: Docker,
    pub(crate) host: String,
    pub(crate) identity: EngineVersion,
}

/// Which engine answered, for messages such as "loaded into Podman 4.3.1".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineVersion {
    /// "Docker", "Podman", or the name the engine gives itself.
    pub name: String,
    /// The engine's own version.
    pub version: String,
    /// The Docker Engine API version it serves (e.g. "1.41").
    pub api_version: String,
}

impl Engine {
    /// Connects to the engine `DOCKER_HOST` names or, when it is unset, to the first of
    /// `/var/run/docker.sock`, `$XDG_RUNTIME_DIR/podman/podman.sock` and
    /// `/run/podman/podman.sock` that exists and answers.
    pub async fn connect() -> Result<Engine, EngineError> {
        if let Some(host) = env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()) {
            return Engine::connect_to(&host).await;
        }
        let mut tried = Vec::new();
        for socket in default_sockets(env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from)) {
            if !socket.exists() {
                tried.push(format!("{} (no such socket)", socket.display()));
                continue;
            }
            match Engine::connect_to(&format!("unix://{}", socket.display())).await {
                Ok(engine) => return Ok(engine),
                Err(e) => tried.push(format!("{} ({e})", socket.display())),
            }
        }
        Err(EngineError::NotFound { tried })
    }

    /// Connects to the engine at `docker_host` (`unix:///PATH` or `tcp://HOST:PORT`, as
    /// `DOCKER_HOST` spells it) and agrees on an API version with it, so that an engine serving an
    /// older API (Podman serves 1.41) is spoken to in that version.
    pub async fn connect_to(docker_host: &str) -> Result<Engine, EngineError> {
        let host = docker_host.to_owned();
        let docker = match parse_host(docker_host) {
            Some(HostKind::Unix(path)) => {
                if !Path::new(path).exists() {
                    return Err(EngineError::NotFound {
                        tried: vec![format!("{path} (no such socket)")],
                    });
                }
                Docker::connect_with_unix(path, CONNECT_TIMEOUT_SECS, API_DEFAULT_VERSION)
            }
            Some(HostKind::Tcp(address)) => Docker::connect_with_http(
                &format!("http://{address}"),
                CONNECT_TIMEOUT_SECS,
                API_DEFAULT_VERSION,
            ),
            None => return Err(EngineError::UnsupportedHost { docker_host: host }),
        }
        .map_err(|source| EngineError::Unreachable {
            host: host.clone(),
            source,
        })?;
        let docker = docker.negotiate_version().await.map_err(|source| {
            if is_connection_error(&source) {
                EngineError::Unreachable {
                    host: host.clone(),
                    source,
                }
            } else {
                EngineError::Api {
                    action: format!("asking the engine at {host} for its API version"),
                    source,
                }
            }
        })?;
        let docker = docker.with_timeout(REQUEST_TIMEOUT);
        let answer = docker.version().await.map_err(|source| EngineError::Api {
            action: format!("asking the engine at {host} for its version"),
            source,
        })?;
        Ok(Engine {
            docker,
            identity: describe(&answer),
            host,
        })
    }

    /// The engine's address, as `DOCKER_HOST` spells it, for messages.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// An engine called `host` that claims to be Podman 4.3.1, for tests of what uses one: its
    /// client points at a closed port and connects only when used.
    #[cfg(test)]
    pub(crate) fn unconnected(host: &str) -> Engine {
        let docker = Docker::connect_with_http(
            "http://127.0.0.1:9",
            CONNECT_TIMEOUT_SECS,
            API_DEFAULT_VERSION,
        )
        .expect("a client; it connects only when used");
        Engine {
            docker,
            host: host.to_owned(),
            identity: EngineVersion {
                name: "Podman".into(),
                version: "4.3.1".into(),
                api_version: "1.41".into(),
            },
        }
    }

    /// Which engine answered when this connection was made, so that messages such as "running in
    /// Podman 4.3.1" need no further request.
    #[must_use]
    pub fn identity(&self) -> &EngineVersion {
        &self.identity
    }

    /// The bollard client, for the API calls this crate does not wrap (creating and starting
    /// containers for `slipway run`).
    #[must_use]
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// Checks that the engine answers.
    pub async fn ping(&self) -> Result<(), EngineError> {
        self.docker
            .ping()
            .await
            .map_err(|e| self.error("pinging the engine", e))?;
        Ok(())
    }

    /// Which engine this is and which API version it serves.
    pub async fn version(&self) -> Result<EngineVersion, EngineError> {
        let version = self
            .docker
            .version()
            .await
            .map_err(|e| self.error("asking the engine for its version", e))?;
        Ok(describe(&version))
    }

    /// The error for `source`, which happened while doing `action`: unreachable when the engine
    /// did not answer, else an API error naming the engine.
    pub(crate) fn error(&self, action: &str, source: bollard::errors::Error) -> EngineError {
        if is_connection_error(&source) {
            EngineError::Unreachable {
                host: self.host.clone(),
                source,
            }
        } else {
            EngineError::Api {
                action: format!("{action} at {}", self.host),
                source,
            }
        }
    }
}

/// The sockets tried when `DOCKER_HOST` is unset, in order: Docker's, rootless Podman's, then
/// rootful Podman's.
fn default_sockets(xdg_runtime_dir: Option<PathBuf>) -> Vec<PathBuf> {
    let mut sockets = vec![PathBuf::from("/var/run/docker.sock")];
    sockets.extend(xdg_runtime_dir.map(|dir| dir.join("podman").join("podman.sock")));
    sockets.push(PathBuf::from("/run/podman/podman.sock"));
    sockets
}

#[derive(Debug, PartialEq, Eq)]
enum HostKind<'a> {
    Unix(&'a str),
    Tcp(&'a str),
}

/// What a `DOCKER_HOST` value names; `None` for a scheme slipway does not speak (ssh://, npipe://,
/// or TLS, which needs certificates slipway does not read).
fn parse_host(docker_host: &str) -> Option<HostKind<'_>> {
    if let Some(path) = docker_host.strip_prefix("unix://") {
        return Some(HostKind::Unix(path));
    }
    docker_host
        .strip_prefix("tcp://")
        .or_else(|| docker_host.strip_prefix("http://"))
        .filter(|address| !address.is_empty())
        .map(|address| HostKind::Tcp(address.trim_end_matches('/')))
}

/// Names the engine from its version answer: Podman lists a "Podman Engine" component; Docker
/// calls its platform "Docker Engine - Community" (or similar).
fn describe(version: &SystemVersion) -> EngineVersion {
    let components = version.components.as_deref().unwrap_or_default();
    let platform = version
        .platform
        .as_ref()
        .map(|p| p.name.as_str())
        .unwrap_or_default();
    let name = if components.iter().any(|c| c.name.contains("Podman")) {
        "Podman".to_owned()
    } else if platform.contains("Docker") {
        platform.to_owned()
    } else {
        "Docker".to_owned()
    };
    EngineVersion {
        name,
        version: version.version.clone().unwrap_or_default(),
        api_version: version.api_version.clone().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use bollard::models::{SystemVersionComponents, SystemVersionPlatform};

    use super::*;

    #[test]
    fn sockets_are_tried_docker_first_then_rootless_then_rootful_podman() {
        assert_eq!(
            default_sockets(Some(PathBuf::from("/run/user/1000"))),
            [
                PathBuf::from("/var/run/docker.sock"),
                PathBuf::from("/run/user/1000/podman/podman.sock"),
                PathBuf::from("/run/podman/podman.sock"),
            ]
        );
        assert_eq!(default_sockets(None).len(), 2);
    }

    #[test]
    fn docker_host_values_are_parsed() {
        assert_eq!(
            parse_host("unix:///run/podman/podman.sock"),
            Some(HostKind::Unix("/run/podman/podman.sock"))
        );
        assert_eq!(
            parse_host("tcp://127.0.0.1:2375"),
            Some(HostKind::Tcp("127.0.0.1:2375"))
        );
        assert_eq!(
            parse_host("http://127.0.0.1:2375/"),
            Some(HostKind::Tcp("127.0.0.1:2375"))
        );
        assert_eq!(parse_host("ssh://user@host"), None);
        assert_eq!(parse_host("tcp://"), None);
        assert_eq!(parse_host("/var/run/docker.sock"), None);
    }

    #[tokio::test]
    async fn unsupported_and_missing_hosts_are_reported_with_the_fix() {
        let err = Engine::connect_to("ssh://user@host")
            .await
            .expect_err("ssh is not spoken");
        assert!(
            matches!(err, EngineError::UnsupportedHost { .. }),
            "{err:?}"
        );
        assert!(err.hint().is_some());
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("none.sock");
        let err = Engine::connect_to(&format!("unix://{}", socket.display()))
            .await
            .expect_err("no socket");
        assert!(
            matches!(&err, EngineError::NotFound { tried } if tried[0].contains("none.sock")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_socket_nobody_listens_on_is_unreachable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dead.sock");
        drop(std::os::unix::net::UnixListener::bind(&path).expect("bind"));
        let err = Engine::connect_to(&format!("unix://{}", path.display()))
            .await
            .expect_err("nobody listens");
        assert!(matches!(err, EngineError::Unreachable { .. }), "{err:?}");
    }

    #[test]
    fn podman_and_docker_are_named_from_their_version_answers() {
        let podman = SystemVersion {
            components: Some(vec![SystemVersionComponents {
                name: "Podman Engine".into(),
                version: "4.3.1".into(),
                details: None,
            }]),
            platform: Some(SystemVersionPlatform {
                name: "linux/amd64/debian-12".into(),
            }),
            version: Some("4.3.1".into()),
            api_version: Some("1.41".into()),
            ..SystemVersion::default()
        };
        assert_eq!(
            describe(&podman),
            EngineVersion {
                name: "Podman".into(),
                version: "4.3.1".into(),
                api_version: "1.41".into()
            }
        );
        let docker = SystemVersion {
            platform: Some(SystemVersionPlatform {
                name: "Docker Engine - Community".into(),
            }),
            ..SystemVersion::default()
        };
        assert_eq!(describe(&docker).name, "Docker Engine - Community");
        assert_eq!(describe(&SystemVersion::default()).name, "Docker");
    }
}
