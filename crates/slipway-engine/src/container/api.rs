//! Running containers through the Docker Engine API (Docker, or `podman system service`).

use std::collections::HashMap;
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::errors::Error as ApiError;
use bollard::models::{self, ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, StopContainerOptionsBuilder, WaitContainerOptions,
};
use futures_util::StreamExt;

use super::diagnose::{Diagnosis, diagnose};
use super::logs::LineAssembler;
use super::{ContainerId, ContainerSpec, LogLine, LogStream, bound_port, local_only, port_key};
use crate::engine::Engine;
use crate::error::{Cause, EngineError, is_connection_error, status_of};

/// How long requests that last as long as the container may take (following its logs, waiting
/// for it): an app runs until it is stopped.
const UNTIL_EXIT: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);
/// How long a pull may take.
const PULL_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Time given to the engine beyond a stop's own grace period.
const STOP_MARGIN: Duration = Duration::from_secs(30);

impl Engine {
    /// Creates and starts a container from `spec` (see [`super::ContainerEngine::start`]),
    /// pulling the image first when the engine does not have it and its name is not local-only.
    pub(crate) async fn start_container(
        &self,
        spec: &ContainerSpec,
    ) -> Result<ContainerId, EngineError> {
        let id = match self.create_container(spec).await {
            Err(e) if is_missing_image(&e) && !local_only(&spec.image) => {
                self.pull(&spec.image).await?;
                self.create_container(spec).await
            }
            created => created,
        }
        .map_err(|e| self.run_error(spec, "creating a container", e))?;
        if let Err(e) = self.docker.start_container(id.as_str(), None).await {
            // A container that cannot start would be left behind in the "created" state.
            let _ = self.remove_container(&id).await;
            return Err(self.run_error(spec, "starting a container", e));
        }
        Ok(id)
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<ContainerId, ApiError> {
        let mut options = CreateContainerOptionsBuilder::default();
        if !spec.name.is_empty() {
            options = options.name(&spec.name);
        }
        let created = self
            .docker
            .create_container(Some(options.build()), create_body(spec))
            .await?;
        Ok(ContainerId::new(created.id))
    }

    /// Pulls `image` as `docker run` would before creating a container from it; any failure means
    /// the image cannot be had.
    async fn pull(&self, image: &str) -> Result<(), EngineError> {
        let docker = self.docker.clone().with_timeout(PULL_TIMEOUT);
        let options = CreateImageOptionsBuilder::default()
            .from_image(image)
            .build();
        let mut progress = docker.create_image(Some(options), None, None);
        while let Some(answer) = progress.next().await {
            let failure: Cause = match answer {
                Ok(info) => match info.error_detail.and_then(|d| d.message) {
                    Some(message) => message.into(),
                    None => continue,
                },
                Err(e) if is_connection_error(&e) => {
                    return Err(self.error(&format!("pulling {image}"), e));
                }
                Err(e) => Box::new(e),
            };
            return Err(EngineError::ImageNotFound {
                image: image.to_owned(),
                source: Some(failure),
            });
        }
        Ok(())
    }

    /// The error for a failed create or start of `spec`: the failures a user can fix as their own
    /// variants, the rest as API errors.
    fn run_error(&self, spec: &ContainerSpec, action: &str, e: ApiError) -> EngineError {
        match engine_message(&e).and_then(diagnose) {
            Some(Diagnosis::PortTaken) => EngineError::PortTaken {
                port: spec.publish.as_ref().map_or(0, |p| p.host_port),
            },
            _ if is_missing_image(&e) => EngineError::ImageNotFound {
                image: spec.image.clone(),
                source: Some(Box::new(e)),
            },
            _ => self.error(&format!("{action} from {}", spec.image), e),
        }
    }

    /// Follows the container's stdout and stderr until it exits (see
    /// [`super::ContainerEngine::follow_logs`]).
    pub(crate) async fn follow_container_logs(
        &self,
        id: &ContainerId,
        mut on_line: impl FnMut(LogLine) + Send,
    ) -> Result<(), EngineError> {
        let docker = self.docker.clone().with_timeout(UNTIL_EXIT);
        let options = LogsOptionsBuilder::default()
            .follow(true)
            .stdout(true)
            .stderr(true)
            .timestamps(true)
            .build();
        let mut output = docker.logs(id.as_str(), Some(options));
        let mut stdout = LineAssembler::new(LogStream::Stdout);
        let mut stderr = LineAssembler::new(LogStream::Stderr);
        while let Some(frame) = output.next().await {
            match frame.map_err(|e| self.error(&format!("reading the logs of {id}"), e))? {
                LogOutput::StdOut { message } | LogOutput::Console { message } => {
                    stdout.push(&message, &mut on_line);
                }
                LogOutput::StdErr { message } => stderr.push(&message, &mut on_line),
                LogOutput::StdIn { .. } => {}
            }
        }
        stdout.finish(&mut on_line);
        stderr.finish(&mut on_line);
        Ok(())
    }

    /// Waits for the container to exit; its exit code.
    pub(crate) async fn wait_container(&self, id: &ContainerId) -> Result<i64, EngineError> {
        let docker = self.docker.clone().with_timeout(UNTIL_EXIT);
        let mut answers = docker.wait_container(id.as_str(), None::<WaitContainerOptions>);
        let action = format!("waiting for {id} to exit");
        match answers.next().await {
            Some(Ok(answer)) => Ok(answer.status_code),
            // bollard turns a non-zero exit into an error; it is an answer here.
            Some(Err(ApiError::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(e)) => Err(self.error(&action, e)),
            None => Err(self.error(
                &action,
                ApiError::DockerStreamError {
                    error: "the engine closed the connection without an exit code".into(),
                },
            )),
        }
    }

    /// Stops the container, SIGKILL after `timeout`; a container that is gone counts as stopped.
    pub(crate) async fn stop_container(
        &self,
        id: &ContainerId,
        timeout: Duration,
    ) -> Result<(), EngineError> {
        let seconds = i32::try_from(timeout.as_secs()).unwrap_or(i32::MAX);
        let options = StopContainerOptionsBuilder::default().t(seconds).build();
        let docker = self.docker.clone().with_timeout(timeout + STOP_MARGIN);
        match docker.stop_container(id.as_str(), Some(options)).await {
            Err(e) if !is_gone(&e) => Err(self.error(&format!("stopping {id}"), e)),
            _ => Ok(()),
        }
    }

    /// Removes the container and its anonymous volumes, killing it first if it runs; a container
    /// that is gone counts as removed.
    pub(crate) async fn remove_container(&self, id: &ContainerId) -> Result<(), EngineError> {
        // Docker's forced removal kills at once, Podman's stops with the container's grace period
        // (10 s unless set) first: kill it, so both are quick. A container that is not running
        // refuses, which is fine; anything worse is reported by the removal.
        let _ = self.docker.kill_container(id.as_str(), None).await;
        let options = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        match self
            .docker
            .remove_container(id.as_str(), Some(options))
            .await
        {
            Err(e) if !is_gone(&e) => Err(self.error(&format!("removing {id}"), e)),
            _ => Ok(()),
        }
    }

    /// The host port bound for `container_port`, from the container's record.
    pub(crate) async fn container_host_port(
        &self,
        id: &ContainerId,
        container_port: u16,
    ) -> Result<Option<u16>, EngineError> {
        let record = self
            .docker
            .inspect_container(id.as_str(), None)
            .await
            .map_err(|e| self.error(&format!("looking up the ports of {id}"), e))?;
        let ports = record.network_settings.and_then(|n| n.ports);
        Ok(bound_port(ports.as_ref(), container_port))
    }
}

/// The create request for `spec`.
fn create_body(spec: &ContainerSpec) -> ContainerCreateBody {
    let mut host_config = HostConfig {
        memory: spec.memory.map(|m| i64::try_from(m).unwrap_or(i64::MAX)),
        ..HostConfig::default()
    };
    let mut exposed_ports = None;
    if let Some(publish) = &spec.publish {
        let key = port_key(publish.container_port);
        // Every interface is "no address" in the Docker API: Podman 4.3's compatibility layer
        // takes a literal 0.0.0.0 and forwards nothing from the host's own addresses.
        let binding = models::PortBinding {
            host_ip: Some(publish.host_ip.clone()).filter(|ip| !ip.is_empty() && ip != "0.0.0.0"),
            host_port: Some(publish.host_port.to_string()),
        };
        host_config.port_bindings = Some(HashMap::from([(key.clone(), Some(vec![binding]))]));
        exposed_ports = Some(vec![key]);
    }
    ContainerCreateBody {
        image: Some(spec.image.clone()),
        env: Some(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        labels: Some(spec.labels.iter().cloned().collect()),
        entrypoint: spec.entrypoint.clone().filter(|e| !e.is_empty()),
        exposed_ports,
        host_config: Some(host_config),
        ..ContainerCreateBody::default()
    }
}

/// The engine's own message in an error answer.
fn engine_message(e: &ApiError) -> Option<&str> {
    match e {
        ApiError::DockerResponseServerError { message, .. } => Some(message),
        _ => None,
    }
}

/// Whether a create failed because the engine does not have the image: a 404 (Docker and Podman
/// answer "No such image" with one), or the message says so.
fn is_missing_image(e: &ApiError) -> bool {
    match engine_message(e).and_then(diagnose) {
        Some(diagnosis) => diagnosis == Diagnosis::ImageNotFound,
        None => status_of(e) == Some(404),
    }
}

/// Whether the container an operation named does not exist (any more).
fn is_gone(e: &ApiError) -> bool {
    status_of(e) == Some(404)
        || engine_message(e).and_then(diagnose) == Some(Diagnosis::NoSuchContainer)
}

#[cfg(test)]
mod tests {
    use super::super::PortBinding;
    use super::*;

    fn answer(status_code: u16, message: &str) -> ApiError {
        ApiError::DockerResponseServerError {
            status_code,
            message: message.into(),
        }
    }

    #[test]
    fn engine_answers_are_told_apart() {
        let missing = answer(
            404,
            "no such image: localhost/slipway-e2e/nope:1: image not known",
        );
        assert!(is_missing_image(&missing));
        let port = answer(
            500,
            "cannot listen on the TCP port: listen tcp4 127.0.0.1:18182: bind: address already in \
             use",
        );
        assert!(!is_missing_image(&port));
        assert!(is_gone(&answer(
            404,
            "no container with name or ID \"x\" found: no such container"
        )));
        assert!(!is_gone(&answer(500, "device or resource busy")));
    }

    #[test]
    fn start_failures_become_the_errors_with_fixes() {
        let engine = Engine::unconnected("unix:///nonexistent.sock");
        let mut spec = ContainerSpec::new("localhost/app:1", "app");
        spec.publish = Some(PortBinding {
            host_ip: "127.0.0.1".into(),
            host_port: 18182,
            container_port: 8080,
        });
        let taken = engine.run_error(
            &spec,
            "starting a container",
            answer(
                500,
                "listen tcp4 127.0.0.1:18182: bind: address already in use",
            ),
        );
        assert!(
            matches!(taken, EngineError::PortTaken { port: 18182 }),
            "{taken:?}"
        );
        let missing = engine.run_error(
            &spec,
            "creating a container",
            answer(404, "no such image: localhost/app:1: image not known"),
        );
        assert!(
            matches!(&missing, EngineError::ImageNotFound { image, source: Some(_) } if image == "localhost/app:1"),
            "{missing:?}"
        );
        let other = engine.run_error(
            &spec,
            "creating a container",
            answer(500, "the container name \"app\" is already in use"),
        );
        assert_eq!(
            other.to_string(),
            "creating a container from localhost/app:1 at unix:///nonexistent.sock"
        );
    }

    #[test]
    fn the_create_request_carries_the_whole_spec() {
        let spec = ContainerSpec {
            image: "localhost/app:1".into(),
            name: "app".into(),
            env: vec![("PORT".into(), "8080".into())],
            memory: Some(64 << 20),
            publish: Some(PortBinding {
                host_ip: "127.0.0.1".into(),
                host_port: 0,
                container_port: 8080,
            }),
            entrypoint: Some(vec!["/cnb/process/worker".into()]),
            labels: vec![("io.slipway.run".into(), "app".into())],
        };
        let body = serde_json::to_value(create_body(&spec)).expect("json");
        assert_eq!(
            body,
            serde_json::json!({
                "Image": "localhost/app:1",
                "Env": ["PORT=8080"],
                "Labels": {"io.slipway.run": "app"},
                "Entrypoint": ["/cnb/process/worker"],
                "ExposedPorts": {"8080/tcp": {}},
                "HostConfig": {
                    "Memory": 67_108_864,
                    "PortBindings": {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "0"}]}
                }
            })
        );
    }
}
