//! Running containers for `slipway run`, in whichever engine [`crate::find_engine`] found: through
//! the Docker Engine API (Docker, or Podman's `podman system service`) or by running the `podman`
//! or `docker` command, with the same behaviour either way.
//!
//! A run is: [`ContainerEngine::start`] (create and start, detached), then
//! [`ContainerEngine::follow_logs`] and [`ContainerEngine::wait`] until it exits, or
//! [`ContainerEngine::stop`] on Ctrl-C, then [`ContainerEngine::remove`]. The failures a user can fix
//! come back as their own errors: [`EngineError::PortTaken`] and [`EngineError::ImageNotFound`].

mod api;
mod cli;
mod cli_args;
mod diagnose;
mod logs;
mod port_check;

#[cfg(test)]
mod engine_port_e2e;

use std::fmt;
use std::path::Path;
use std::time::Duration;

pub use cli::{CliEngine, CliKind};

use crate::engine::Engine;
use crate::error::EngineError;

/// A container engine to run images in: the Docker Engine API, or an engine's command. Both behave
/// the same; the command is the fallback for a machine with Podman installed but no API socket
/// running, which is Podman's default.
#[derive(Debug, Clone)]
pub enum ContainerEngine {
    /// Docker, or Podman's Docker-compatible service, through its API.
    Api(Engine),
    /// The `podman` (or `docker`) command.
    Cli(CliEngine),
}

/// What to run: the parts of `docker run` that `slipway run` uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerSpec {
    /// The image, as the engine names it (`localhost/app:latest`, `127.0.0.1:5000/app:v1`). Names
    /// under `localhost/` are never pulled: they can only be local.
    pub image: String,
    /// The container's name, so a user can find it in `podman ps`; empty lets the engine choose.
    pub name: String,
    /// Environment variables, in order (a later one wins).
    pub env: Vec<(String, String)>,
    /// A memory limit in bytes, as a platform would impose (`cf push -m`).
    pub memory: Option<u64>,
    /// A container port to publish on the host.
    pub publish: Option<PortBinding>,
    /// The command to run instead of the image's entrypoint, and instead of its command too (as
    /// `docker run --entrypoint` does): e.g. `["/cnb/process/worker"]` to run another process
    /// type of a buildpack-built image. `None`, or an empty list, keeps the image's (the API
    /// cannot tell an empty entrypoint from none).
    pub entrypoint: Option<Vec<String>>,
    /// Labels, so that slipway can find the containers it started.
    pub labels: Vec<(String, String)>,
}

impl ContainerSpec {
    /// A spec to run `image` as the container `name`, with nothing else set.
    #[must_use]
    pub fn new(image: impl Into<String>, name: impl Into<String>) -> ContainerSpec {
        ContainerSpec {
            image: image.into(),
            name: name.into(),
            ..ContainerSpec::default()
        }
    }
}

/// A container port published on the host, like `-p 127.0.0.1:8080:8080`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortBinding {
    /// The host address to listen on (`127.0.0.1` keeps the app off the network; empty means
    /// every address).
    pub host_ip: String,
    /// The host port; 0 lets the engine choose one (read it back with
    /// [`ContainerEngine::host_port`]).
    pub host_port: u16,
    /// The TCP port the app listens on in the container.
    pub container_port: u16,
}

/// The engine's id for a container, as [`ContainerEngine::start`] returned it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerId(String);

impl ContainerId {
    /// An id (or name) the engine knows a container by.
    #[must_use]
    pub fn new(id: impl Into<String>) -> ContainerId {
        ContainerId(id.into())
    }

    /// The id as text, for commands and messages.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which of a container's output streams a line came from, so that it can be shown apart (or
/// sent to slipway's own stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStream {
    /// The container's standard output.
    Stdout,
    /// The container's standard error.
    Stderr,
}

/// One line a container printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Where it was printed.
    pub stream: LogStream,
    /// The line, without its newline.
    pub text: String,
    /// When the engine received it (RFC 3339, as the engine wrote it: Docker and the `podman`
    /// command give nanoseconds, Podman's API whole seconds); `None` when it gave none.
    pub timestamp: Option<String>,
}

impl ContainerEngine {
    /// Which engine this is and where, for messages: `Podman 4.3.1 at
    /// unix:///run/podman/podman.sock` or `podman 4.3.1 (command)`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            ContainerEngine::Api(engine) => {
                let identity = engine.identity();
                format!(
                    "{} {} at {}",
                    identity.name,
                    identity.version,
                    engine.host()
                )
            }
            ContainerEngine::Cli(cli) => cli.describe(),
        }
    }

    /// Whether the engine has the image `name` locally (short names are looked up as Podman
    /// stores them too, under `localhost/`).
    pub async fn has_image(&self, name: &str) -> Result<bool, EngineError> {
        match self {
            ContainerEngine::Api(engine) => engine.image_exists(name).await,
            ContainerEngine::Cli(cli) => cli.has_image(name).await,
        }
    }

    /// Loads a docker-archive (as slipway's `-o docker-archive:` or `docker save` writes it) into
    /// the engine under the names in its `manifest.json`.
    pub async fn load_archive(&self, docker_archive: &Path) -> Result<(), EngineError> {
        match self {
            ContainerEngine::Api(engine) => engine.load_archive(docker_archive).await,
            ContainerEngine::Cli(cli) => cli.load_archive(docker_archive).await,
        }
    }

    /// Creates and starts a container from `spec`, detached, and returns its id. A container that
    /// was created but could not start is removed again, so a failed run leaves nothing behind.
    ///
    /// A taken host port is [`EngineError::PortTaken`]: found before the engine is asked, when
    /// the engine runs on this machine, because Podman's own failed start on a taken port cuts
    /// off the container holding it; else from the engine's answer. An image that is neither
    /// local nor pullable is [`EngineError::ImageNotFound`].
    pub async fn start(&self, spec: &ContainerSpec) -> Result<ContainerId, EngineError> {
        if let Some(publish) = &spec.publish
            && self.publishes_here()
        {
            port_check::ensure_port_free(publish)?;
        }
        self.start_unchecked(spec).await
    }

    /// [`ContainerEngine::start`] without checking the host port first, so tests can reach the
    /// engine's own port check.
    pub(crate) async fn start_unchecked(
        &self,
        spec: &ContainerSpec,
    ) -> Result<ContainerId, EngineError> {
        match self {
            ContainerEngine::Api(engine) => engine.start_container(spec).await,
            ContainerEngine::Cli(cli) => cli.start(spec).await,
        }
    }

    /// Calls `on_line` with each line the container prints, on stdout and stderr, from its start
    /// until it exits: what `slipway run` shows.
    pub async fn follow_logs(
        &self,
        id: &ContainerId,
        on_line: impl FnMut(LogLine) + Send,
    ) -> Result<(), EngineError> {
        match self {
            ContainerEngine::Api(engine) => engine.follow_container_logs(id, on_line).await,
            ContainerEngine::Cli(cli) => cli.follow_logs(id, on_line).await,
        }
    }

    /// Waits for the container to exit and returns its exit code, which `slipway run` exits with.
    pub async fn wait(&self, id: &ContainerId) -> Result<i64, EngineError> {
        match self {
            ContainerEngine::Api(engine) => engine.wait_container(id).await,
            ContainerEngine::Cli(cli) => cli.wait(id).await,
        }
    }

    /// Stops the container: SIGTERM, then SIGKILL after `timeout`, as on Ctrl-C. A container that
    /// no longer exists counts as stopped.
    pub async fn stop(&self, id: &ContainerId, timeout: Duration) -> Result<(), EngineError> {
        match self {
            ContainerEngine::Api(engine) => engine.stop_container(id, timeout).await,
            ContainerEngine::Cli(cli) => cli.stop(id, timeout).await,
        }
    }

    /// Removes the container, running or not (`rm --force`). A container that no longer exists
    /// counts as removed, so cleanup can always call this.
    pub async fn remove(&self, id: &ContainerId) -> Result<(), EngineError> {
        match self {
            ContainerEngine::Api(engine) => engine.remove_container(id).await,
            ContainerEngine::Cli(cli) => cli.remove(id).await,
        }
    }

    /// The host port the engine bound for `container_port`, for a binding that asked for port 0;
    /// `None` when that port is not published. (A caller that picks a free port itself and asks
    /// for it knows the port without this, and can show it before the container starts.)
    pub async fn host_port(
        &self,
        id: &ContainerId,
        container_port: u16,
    ) -> Result<Option<u16>, EngineError> {
        match self {
            ContainerEngine::Api(engine) => engine.container_host_port(id, container_port).await,
            ContainerEngine::Cli(cli) => cli.host_port(id, container_port).await,
        }
    }
}

impl ContainerEngine {
    /// Whether the engine publishes ports on this machine: Podman's command always does (it runs
    /// here); docker's command and the API do when their daemon is local.
    fn publishes_here(&self) -> bool {
        match self {
            ContainerEngine::Api(engine) => port_check::is_local_host(engine.host()),
            ContainerEngine::Cli(cli) => match cli.kind() {
                CliKind::Podman => true,
                CliKind::Docker => std::env::var("DOCKER_HOST")
                    .ok()
                    .filter(|host| !host.is_empty())
                    .is_none_or(|host| port_check::is_local_host(&host)),
            },
        }
    }
}

/// Whether `image` names an image that can only be local (`localhost/…`, Podman's name for images
/// loaded without a registry), so that a missing one is reported rather than pulled.
fn local_only(image: &str) -> bool {
    image.starts_with("localhost/")
}

/// The engines' key for a published TCP port, `8080/tcp`.
fn port_key(container_port: u16) -> String {
    format!("{container_port}/tcp")
}

/// The host port in a port map (`{"8080/tcp": [{"HostIp": "…", "HostPort": "41234"}]}`) as
/// `docker inspect` and the API report it.
fn bound_port(ports: Option<&bollard::models::PortMap>, container_port: u16) -> Option<u16> {
    ports?
        .get(&port_key(container_port))?
        .as_ref()?
        .iter()
        .filter_map(|binding| binding.host_port.as_deref()?.parse::<u16>().ok())
        .find(|port| *port != 0)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn only_localhost_names_are_never_pulled() {
        assert!(local_only("localhost/app:latest"));
        assert!(!local_only("localhost:5000/app:latest"));
        assert!(!local_only("app:latest"));
        assert!(!local_only("127.0.0.1:5000/app:v1"));
    }

    #[test]
    fn the_bound_host_port_is_read_from_the_port_map() {
        let ports: bollard::models::PortMap = serde_json::from_str(
            r#"{"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "41234"}], "9090/tcp": null}"#,
        )
        .expect("a port map");
        assert_eq!(bound_port(Some(&ports), 8080), Some(41234));
        assert_eq!(bound_port(Some(&ports), 9090), None);
        assert_eq!(bound_port(Some(&ports), 7070), None);
        assert_eq!(bound_port(None, 8080), None);
        assert_eq!(bound_port(Some(&HashMap::new()), 8080), None);
    }
}
