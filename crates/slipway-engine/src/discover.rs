//! Finding a container engine to run images in, for `slipway run`, without setup on the usual
//! machines: one with Docker running, one with Podman's API socket, and one with only Podman
//! installed (its default: the socket is off until someone starts it).
//!
//! The places tried are listed by [`candidates`] from the environment alone, so the order is
//! tested without engines; trying them goes through a [`Probe`], which tests replace.

use std::env;
use std::ffi::OsStr;
use std::future::Future;
use std::path::{Path, PathBuf};

use crate::container::{CliEngine, CliKind, ContainerEngine};
use crate::engine::Engine;
use crate::error::{CommandError, EngineError};

/// Docker's socket.
const DOCKER_SOCKET: &str = "/var/run/docker.sock";
/// Rootful Podman's API socket (`systemctl start podman.socket`).
const PODMAN_SOCKET: &str = "/run/podman/podman.sock";

/// Finds a container engine, trying in order: `DOCKER_HOST` (the Docker API there), Docker's
/// socket, Podman's sockets (`/run/podman/podman.sock`, then
/// `$XDG_RUNTIME_DIR/podman/podman.sock`), the `podman` command on `PATH`, and the `docker`
/// command on `PATH` if a daemon answers it. The first that answers is used, so a `DOCKER_HOST`
/// that does not answer falls through to the others (and [`ContainerEngine::describe`] says which
/// one was found); when none answers, [`EngineError::NoEngine`] lists each with why it was passed
/// over.
pub async fn find_engine() -> Result<ContainerEngine, EngineError> {
    let docker_host = env::var("DOCKER_HOST").ok();
    let xdg_runtime_dir = env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from);
    let path = env::var_os("PATH");
    let list = candidates(docker_host.as_deref(), xdg_runtime_dir.as_deref(), |name| {
        find_program(name, path.as_deref())
    });
    first_answering(&list, &RealProbe).await
}

/// A place an engine may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Candidate {
    /// The Docker API at this address (`unix:///…` or `tcp://…`).
    Api(String),
    /// An engine's command, at its path on `PATH`, or `None` when it is not there.
    Command(CliKind, Option<PathBuf>),
}

/// The places to look for an engine, in order, given `DOCKER_HOST`, `XDG_RUNTIME_DIR` and a
/// lookup of programs on `PATH`.
pub(crate) fn candidates(
    docker_host: Option<&str>,
    xdg_runtime_dir: Option<&Path>,
    which: impl Fn(&str) -> Option<PathBuf>,
) -> Vec<Candidate> {
    let mut list: Vec<Candidate> = docker_host
        .filter(|host| !host.is_empty())
        .map(|host| Candidate::Api(host.to_owned()))
        .into_iter()
        .collect();
    let rootless = xdg_runtime_dir.map(|dir| dir.join("podman").join("podman.sock"));
    let sockets = [
        Some(PathBuf::from(DOCKER_SOCKET)),
        Some(PathBuf::from(PODMAN_SOCKET)),
        rootless,
    ];
    list.extend(
        sockets
            .into_iter()
            .flatten()
            .map(|socket| Candidate::Api(format!("unix://{}", socket.display()))),
    );
    for kind in [CliKind::Podman, CliKind::Docker] {
        list.push(Candidate::Command(kind, which(&kind.to_string())));
    }
    list
}

/// How a candidate is tried: connecting to an API, or asking a command for its version.
pub(crate) trait Probe {
    /// Connects to the Docker API at `host`.
    fn api(&self, host: &str) -> impl Future<Output = Result<Engine, EngineError>> + Send;
    /// Checks that the command `program` works as an engine of `kind`.
    fn command(
        &self,
        kind: CliKind,
        program: &Path,
    ) -> impl Future<Output = Result<CliEngine, EngineError>> + Send;
}

/// The probe that really connects and runs commands.
struct RealProbe;

impl Probe for RealProbe {
    async fn api(&self, host: &str) -> Result<Engine, EngineError> {
        Engine::connect_to(host).await
    }

    async fn command(&self, kind: CliKind, program: &Path) -> Result<CliEngine, EngineError> {
        CliEngine::open(kind, program).await
    }
}

/// The engine at the first of `candidates` that answers `probe`, or [`EngineError::NoEngine`]
/// listing what each said.
pub(crate) async fn first_answering(
    candidates: &[Candidate],
    probe: &impl Probe,
) -> Result<ContainerEngine, EngineError> {
    let mut tried = Vec::new();
    for candidate in candidates {
        match candidate {
            Candidate::Api(host) => match probe.api(host).await {
                Ok(engine) => return Ok(ContainerEngine::Api(engine)),
                Err(e) => tried.push(format!("{} ({})", shown_host(host), why(&e))),
            },
            Candidate::Command(kind, None) => {
                tried.push(format!("the {kind} command (not on PATH)"));
            }
            Candidate::Command(kind, Some(program)) => match probe.command(*kind, program).await {
                Ok(engine) => return Ok(ContainerEngine::Cli(engine)),
                Err(e) => tried.push(format!("{} ({})", program.display(), why(&e))),
            },
        }
    }
    Err(EngineError::NoEngine { tried })
}

/// A socket's path, or any other address as it was given.
fn shown_host(host: &str) -> &str {
    host.strip_prefix("unix://").unwrap_or(host)
}

/// Why a candidate was passed over, in a few words.
fn why(e: &EngineError) -> String {
    match e {
        EngineError::NotFound { .. } => "no such socket".to_owned(),
        EngineError::UnsupportedHost { .. } => "not a unix:// or tcp:// address".to_owned(),
        EngineError::Unreachable { source, .. } => format!("no answer: {source}"),
        EngineError::Command {
            source: CommandError::Failed { stderr, .. },
            ..
        } => first_line(stderr).to_owned(),
        EngineError::Command { source, .. } => source.to_string(),
        EngineError::Api { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text).trim()
}

/// The path of executable `name` in the directories of `path` (as `PATH` lists them).
fn find_program(name: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    env::split_paths(path?)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(name))
        .find(|file| {
            file.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

#[cfg(test)]
#[path = "discover_tests.rs"]
mod tests;
