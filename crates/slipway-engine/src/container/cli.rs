//! Running containers with the `podman` (or `docker`) command, for machines where no API socket
//! is running: Podman's default, whose API service runs only when someone starts it.
//!
//! Every step is one command whose arguments both programs accept the same way; failures are told
//! apart by their stderr (see [`super::diagnose`]).

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use futures_util::{StreamExt, stream};
use tokio::process::Command;

use super::cli_args::{create_args, os_args};
use super::diagnose::{Diagnosis, diagnose};
use super::logs::{log_line, read_lines, split_timestamp};
use super::{ContainerId, ContainerSpec, LogLine, LogStream, bound_port};
use crate::error::{CommandError, EngineError};

/// How long the version check of [`CliEngine::open`] may take: `docker version` asks the daemon,
/// which may be remote and silent.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Which engine's command this is: both take the same arguments for what slipway does, but are
/// asked for their version differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CliKind {
    /// `podman`, which needs no daemon.
    Podman,
    /// `docker`, a client of the Docker daemon.
    Docker,
}

impl fmt::Display for CliKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CliKind::Podman => "podman",
            CliKind::Docker => "docker",
        })
    }
}

/// An engine reached by running its command: `podman create`, `podman start`, `podman logs`….
#[derive(Debug, Clone)]
pub struct CliEngine {
    kind: CliKind,
    program: PathBuf,
    version: String,
}

impl CliEngine {
    /// The engine behind `program` (a path, or a name looked up on `PATH`), once it has said its
    /// version: `podman --version`, or for docker `docker version --format
    /// '{{.Server.Version}}'`, which fails unless a daemon answers (the docker command is only a
    /// client).
    pub async fn open(
        kind: CliKind,
        program: impl Into<PathBuf>,
    ) -> Result<CliEngine, EngineError> {
        let probing = CliEngine {
            kind,
            program: program.into(),
            version: String::new(),
        };
        let args: &[&str] = match kind {
            CliKind::Podman => &["--version"],
            CliKind::Docker => &["version", "--format", "{{.Server.Version}}"],
        };
        let args = os_args(args);
        let answer = match tokio::time::timeout(PROBE_TIMEOUT, probing.run(&args)).await {
            Ok(answer) => answer,
            Err(_) => Err(CommandError::TimedOut {
                program: probing.shown(&args),
                seconds: PROBE_TIMEOUT.as_secs(),
            }),
        }
        .map_err(|source| EngineError::Command {
            action: format!("asking {} for its version", probing.program.display()),
            source,
        })?;
        // `podman version 4.3.1`; docker prints the bare server version.
        let version = answer.split_whitespace().last().unwrap_or_default();
        let engine = CliEngine {
            version: version.to_owned(),
            ..probing
        };
        Ok(engine)
    }

    /// An engine whose version is already known, for tests of what uses one.
    #[cfg(test)]
    pub(crate) fn with_version(kind: CliKind, program: &Path, version: &str) -> CliEngine {
        CliEngine {
            kind,
            program: program.to_owned(),
            version: version.to_owned(),
        }
    }

    /// Which engine's command this is.
    #[must_use]
    pub fn kind(&self) -> CliKind {
        self.kind
    }

    /// The program run, as given to [`CliEngine::open`].
    #[must_use]
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The version the engine gave (the server's, for docker).
    #[must_use]
    pub fn version(&self) -> &str {
        &self.version
    }

    /// "podman 4.3.1 (command)", for messages.
    pub(crate) fn describe(&self) -> String {
        format!("{} {} (command)", self.kind, self.version)
    }

    /// `image inspect`: whether the engine has `name`.
    pub(crate) async fn has_image(&self, name: &str) -> Result<bool, EngineError> {
        match self
            .run(&os_args(&["image", "inspect", "--format", "{{.Id}}", name]))
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if diagnosis(&e) == Some(Diagnosis::ImageNotFound) => Ok(false),
            Err(source) => Err(self.failed(&format!("looking up the image {name}"), source)),
        }
    }

    /// `load --input ARCHIVE`.
    pub(crate) async fn load_archive(&self, archive: &Path) -> Result<(), EngineError> {
        std::fs::metadata(archive).map_err(|source| EngineError::ReadArchive {
            path: archive.to_owned(),
            source,
        })?;
        let mut args = os_args(&["load", "--quiet", "--input"]);
        args.push(archive.into());
        self.run(&args).await.map_err(|source| {
            self.failed(
                &format!("loading {} into the engine", archive.display()),
                source,
            )
        })?;
        Ok(())
    }

    /// `create`, then `start`; a container that was created but did not start is removed.
    pub(crate) async fn start(&self, spec: &ContainerSpec) -> Result<ContainerId, EngineError> {
        let created = self
            .run(&create_args(spec))
            .await
            .map_err(|e| self.run_error(spec, "creating a container", e))?;
        let Some(id) = created.lines().map(str::trim).rfind(|l| !l.is_empty()) else {
            return Err(self.failed(
                &format!("creating a container from {}", spec.image),
                self.unexpected("create", "it printed no container id".into()),
            ));
        };
        let id = ContainerId::new(id);
        if let Err(e) = self.run(&os_args(&["start", id.as_str()])).await {
            // `start` leaves the container behind in the "created" state.
            let _ = self.remove(&id).await;
            return Err(self.run_error(spec, "starting a container", e));
        }
        Ok(id)
    }

    /// The error for a failed create or start of `spec`: the failures a user can fix as their own
    /// variants, the rest as command errors.
    fn run_error(&self, spec: &ContainerSpec, action: &str, e: CommandError) -> EngineError {
        match diagnosis(&e) {
            Some(Diagnosis::PortTaken) => EngineError::PortTaken {
                port: spec.publish.as_ref().map_or(0, |p| p.host_port),
            },
            Some(Diagnosis::ImageNotFound) => EngineError::ImageNotFound {
                image: spec.image.clone(),
                source: Some(Box::new(e)),
            },
            _ => self.failed(&format!("{action} from {}", spec.image), e),
        }
    }

    /// `logs --follow --timestamps`: the container's lines until it exits. Its stdout and stderr
    /// arrive on the command's own; lines on stderr without a timestamp are the command's own
    /// messages, reported if it fails.
    pub(crate) async fn follow_logs(
        &self,
        id: &ContainerId,
        mut on_line: impl FnMut(LogLine) + Send,
    ) -> Result<(), EngineError> {
        let action = || format!("reading the logs of {id}");
        let args = os_args(&["logs", "--follow", "--timestamps", id.as_str()]);
        let mut child = self
            .command(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| self.failed(&action(), self.spawn_error(&args, source)))?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            let what = "its output could not be read".into();
            return Err(self.failed(&action(), self.unexpected("logs", what)));
        };
        let mut lines = std::pin::pin!(stream::select(
            read_lines(stdout, LogStream::Stdout),
            read_lines(stderr, LogStream::Stderr)
        ));
        let mut own_messages = Vec::new();
        while let Some((stream, line)) = lines.next().await {
            let text = String::from_utf8_lossy(&line);
            match (stream, split_timestamp(&text)) {
                (LogStream::Stderr, (None, _)) => own_messages.push(text.into_owned()),
                _ => on_line(log_line(stream, &text)),
            }
        }
        let status = child
            .wait()
            .await
            .map_err(|source| self.failed(&action(), self.spawn_error(&args, source)))?;
        if status.success() {
            Ok(())
        } else {
            let source = CommandError::Failed {
                program: format!("{} logs", self.kind),
                status,
                stderr: own_messages.join("\n"),
            };
            Err(self.failed(&action(), source))
        }
    }

    /// `wait`: the exit code it prints.
    pub(crate) async fn wait(&self, id: &ContainerId) -> Result<i64, EngineError> {
        let action = || format!("waiting for {id} to exit");
        let printed = self
            .run(&os_args(&["wait", id.as_str()]))
            .await
            .map_err(|source| self.failed(&action(), source))?;
        printed.trim().parse().map_err(|_| {
            let what = format!("it printed {:?}, not an exit code", printed.trim());
            self.failed(&action(), self.unexpected("wait", what))
        })
    }

    /// `stop --time SECONDS`; a container that is gone counts as stopped.
    pub(crate) async fn stop(
        &self,
        id: &ContainerId,
        timeout: Duration,
    ) -> Result<(), EngineError> {
        let seconds = timeout.as_secs().to_string();
        match self
            .run(&os_args(&["stop", "--time", &seconds, id.as_str()]))
            .await
        {
            Err(e) if diagnosis(&e) != Some(Diagnosis::NoSuchContainer) => {
                Err(self.failed(&format!("stopping {id}"), e))
            }
            _ => Ok(()),
        }
    }

    /// `rm --force --volumes`, and for podman `--time 0`, since its forced removal otherwise
    /// waits out the container's stop grace period (docker's kills at once); a container that is
    /// gone counts as removed.
    pub(crate) async fn remove(&self, id: &ContainerId) -> Result<(), EngineError> {
        let mut args = vec!["rm", "--force", "--volumes"];
        if self.kind == CliKind::Podman {
            args.extend(["--time", "0"]);
        }
        args.push(id.as_str());
        match self.run(&os_args(&args)).await {
            Err(e) if diagnosis(&e) != Some(Diagnosis::NoSuchContainer) => {
                Err(self.failed(&format!("removing {id}"), e))
            }
            _ => Ok(()),
        }
    }

    /// The host port bound for `container_port`, from `container inspect`'s port map (the same map
    /// the API gives).
    pub(crate) async fn host_port(
        &self,
        id: &ContainerId,
        container_port: u16,
    ) -> Result<Option<u16>, EngineError> {
        let action = || format!("looking up the ports of {id}");
        let args = [
            "container",
            "inspect",
            "--format",
            "{{json .NetworkSettings.Ports}}",
            id.as_str(),
        ];
        let printed = self
            .run(&os_args(&args))
            .await
            .map_err(|source| self.failed(&action(), source))?;
        let ports: Option<bollard::models::PortMap> = serde_json::from_str(printed.trim())
            .map_err(|e| {
                let what = format!("its port map could not be read ({e})");
                self.failed(&action(), self.unexpected("container inspect", what))
            })?;
        Ok(bound_port(ports.as_ref(), container_port))
    }

    /// Runs the command with `args` to the end; its stdout, or how it failed.
    async fn run(&self, args: &[OsString]) -> Result<String, CommandError> {
        let output = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .await
            .map_err(|source| self.spawn_error(args, source))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(CommandError::Failed {
                program: self.shown(args),
                status: output.status,
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            })
        }
    }

    /// The command with `args`, no stdin, killed if slipway stops waiting for it, and in a
    /// process group of its own: a terminal's Ctrl-C reaches slipway, which stops the container
    /// and removes it, rather than also cutting `podman logs` off halfway through.
    fn command(&self, args: &[OsString]) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(args)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .process_group(0);
        command
    }

    fn spawn_error(&self, args: &[OsString], source: std::io::Error) -> CommandError {
        CommandError::Spawn {
            program: self.shown(args),
            source,
        }
    }

    /// `podman start`: the program and its subcommand, for messages.
    fn shown(&self, args: &[OsString]) -> String {
        let subcommand = args
            .first()
            .map(|a| a.to_string_lossy())
            .unwrap_or_default();
        format!("{} {subcommand}", self.kind).trim_end().to_owned()
    }

    fn unexpected(&self, subcommand: &str, what: String) -> CommandError {
        CommandError::Unexpected {
            program: format!("{} {subcommand}", self.kind),
            what,
        }
    }

    /// The error for `source`, which happened while doing `action`, naming the command.
    fn failed(&self, action: &str, source: CommandError) -> EngineError {
        EngineError::Command {
            action: format!("{action} with {}", self.kind),
            source,
        }
    }
}

/// What a failed command's stderr says went wrong.
fn diagnosis(e: &CommandError) -> Option<Diagnosis> {
    match e {
        CommandError::Failed { stderr, .. } => diagnose(stderr),
        CommandError::Spawn { .. }
        | CommandError::Unexpected { .. }
        | CommandError::TimedOut { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::PortBinding;
    use super::*;

    fn binding(host_ip: &str, host_port: u16) -> PortBinding {
        PortBinding {
            host_ip: host_ip.into(),
            host_port,
            container_port: 8080,
        }
    }

    fn failure(stderr: &str) -> CommandError {
        CommandError::Failed {
            program: "podman start".into(),
            status: std::process::ExitStatus::default(),
            stderr: stderr.into(),
        }
    }

    #[test]
    fn start_failures_become_the_errors_with_fixes() {
        let engine = CliEngine::with_version(CliKind::Podman, Path::new("podman"), "4.3.1");
        let mut spec = ContainerSpec::new("localhost/slipway-e2e/nope:1", "app");
        spec.publish = Some(binding("127.0.0.1", 18181));
        let taken = engine.run_error(
            &spec,
            "starting a container",
            failure(
                "Error: unable to start container \"51ad\": cannot listen on the TCP port: listen \
                 tcp4 127.0.0.1:18181: bind: address already in use",
            ),
        );
        assert!(
            matches!(taken, EngineError::PortTaken { port: 18181 }),
            "{taken:?}"
        );
        let missing = engine.run_error(
            &spec,
            "creating a container",
            failure("Error: localhost/slipway-e2e/nope:1: image not known"),
        );
        assert!(
            matches!(&missing, EngineError::ImageNotFound { image, .. } if image == &spec.image),
            "{missing:?}"
        );
        let other = engine.run_error(
            &spec,
            "creating a container",
            failure("Error: the container name \"app\" is already in use"),
        );
        assert_eq!(
            other.to_string(),
            "creating a container from localhost/slipway-e2e/nope:1 with podman"
        );
    }

    #[tokio::test]
    async fn a_program_that_is_not_there_cannot_be_opened() {
        let err = CliEngine::open(CliKind::Podman, "/nonexistent/podman")
            .await
            .expect_err("no such program");
        assert!(
            matches!(
                &err,
                EngineError::Command {
                    source: CommandError::Spawn { .. },
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
