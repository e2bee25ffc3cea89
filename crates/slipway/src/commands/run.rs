//! `slipway run`: run an image (building an app directory first) in Podman or Docker, as
//! `cf local run` did: the app's port published on a free host port, its logs streamed with the
//! app's name and a timestamp, Ctrl-C stopping and removing the container, the app's exit
//! status becoming slipway's. With `--watch`, a change to the app's files rebuilds it and
//! replaces the container; a failed rebuild leaves the old one serving.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use oci_client::Reference;
use serde_json::json;
use slipway_engine::{
    CliEngine, CliKind, ContainerEngine, ContainerId, ContainerSpec, LogLine, PortBinding,
};
use slipway_lifecycle::metadata::{BUILD_METADATA_LABEL, BuildMetadata};
use slipway_oci::Image;

use super::build::{self, Built};
use crate::app_source::{MEMORY_LABEL, parse_env};
use crate::cli::{BuildArgs, CompressionArg, GlobalArgs, MediaTypesArg, OutputArgs, RunArgs};
use crate::printer::Printer;
use crate::settings::Settings;
use crate::store::{Store, display_name};
use crate::watch::Watcher;

/// How long a container gets to stop before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The app exited with this status (or was stopped with Ctrl-C: 130); slipway exits with it too.
#[derive(Debug, thiserror::Error)]
#[error("the app exited with status {0}")]
pub struct AppExited(pub i32);

/// Runs `slipway run`.
pub async fn run(
    args: &RunArgs,
    global: &GlobalArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<()> {
    let app_path = Path::new(&args.target);
    let is_app = app_path.exists();
    if args.watch && !is_app {
        bail!(
            "--watch needs an app directory to watch, not the image {}",
            args.target
        );
    }
    let env = parse_env(&args.env)?;
    let engine = engine().await?;
    printer.detail(&format!("using {}", engine.describe()));
    let target = if is_app {
        Target::App(Box::new(build_args(args, app_path)))
    } else {
        Target::Image(args.target.clone())
    };
    let session = Session {
        target,
        args,
        env,
        engine,
        global,
        settings,
        printer,
    };
    let engine = &session.engine;
    let mut running = session.start().await?;
    let mut watcher = if args.watch {
        Some(Watcher::new(app_path).context("watching the app's files")?)
    } else {
        None
    };
    loop {
        let ended = tokio::select! {
            status = running.until_exit(engine, printer) => Ended::Exited(status),
            () = stop_signal() => Ended::Interrupted,
            () = changed(watcher.as_mut()) => Ended::Changed,
        };
        match ended {
            Ended::Interrupted => {
                printer.detail(&format!("stopping {}", running.name));
                running.remove(engine).await;
                return Err(AppExited(130).into());
            }
            Ended::Exited(Err(err)) => {
                running.remove(engine).await;
                return Err(err);
            }
            Ended::Exited(Ok(status)) if watcher.is_none() => {
                running.remove(engine).await;
                return if status == 0 {
                    Ok(())
                } else {
                    Err(AppExited(status).into())
                };
            }
            Ended::Exited(Ok(status)) => {
                printer.detail(&format!(
                    "{} exited with status {status}; waiting for a change to the app",
                    running.name
                ));
                running.remove(engine).await;
                changed(watcher.as_mut()).await;
                running = session.restart(running).await?;
            }
            Ended::Changed => {
                running = session.restart(running).await?;
            }
        }
    }
}

/// Resolves on Ctrl-C (SIGINT), SIGTERM or SIGHUP: each means stop the app and clean up, so a
/// `timeout`, a supervisor or a closed terminal leaves no container behind.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hangup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        _ = hangup.recv() => {}
    }
}

/// Why the wait for the app ended.
enum Ended {
    Exited(anyhow::Result<i32>),
    Interrupted,
    Changed,
}

/// The container engine: the one `SLIPWAY_CONTAINER_ENGINE` names (`podman` or `docker`, the
/// command; or a Docker API address such as `unix:///run/podman/podman.sock`), else the first
/// found (`DOCKER_HOST`, Docker's and Podman's sockets, the `podman` and `docker` commands).
async fn engine() -> anyhow::Result<ContainerEngine> {
    let Some(chosen) = std::env::var("SLIPWAY_CONTAINER_ENGINE")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        return Ok(slipway_engine::find_engine().await?);
    };
    let engine = match chosen.as_str() {
        "podman" => ContainerEngine::Cli(CliEngine::open(CliKind::Podman, "podman").await?),
        "docker" => ContainerEngine::Cli(CliEngine::open(CliKind::Docker, "docker").await?),
        host if host.contains("://") => {
            ContainerEngine::Api(slipway_engine::Engine::connect_to(host).await?)
        }
        other => bail!(UnknownEngine(other.to_string())),
    };
    Ok(engine)
}

/// `SLIPWAY_CONTAINER_ENGINE` named something slipway cannot use.
#[derive(Debug, thiserror::Error)]
#[error("SLIPWAY_CONTAINER_ENGINE={0} is not a container engine slipway knows")]
pub struct UnknownEngine(pub String);

/// The fix for [`UnknownEngine`].
pub const UNKNOWN_ENGINE_HINT: &str = "set it to podman or docker (the command), or to a Docker API \
     address such as unix:///run/podman/podman.sock; or unset it to let slipway look";

/// Waits for the watcher's next change (forever without one).
async fn changed(watcher: Option<&mut Watcher>) {
    match watcher {
        Some(watcher) => watcher.changed().await,
        None => std::future::pending().await,
    }
}

/// What to run: an image by name, or an app to build first.
enum Target {
    Image(String),
    App(Box<BuildArgs>),
}

/// An image ready for the engine.
struct Prepared {
    /// How the engine knows it (the config digest, Docker's image id).
    image_id: String,
    /// Its name, for messages and the log prefix.
    name: String,
    /// The port it listens on.
    container_port: u16,
    /// The memory its manifest asks for.
    memory: Option<u64>,
    /// Its process types.
    processes: Vec<String>,
    /// A docker-archive to load when the engine lacks the image.
    archive: Option<(Store, Image, Reference)>,
}

/// One `slipway run`: what it runs, with which settings, on which engine.
struct Session<'a> {
    target: Target,
    args: &'a RunArgs,
    env: Vec<(String, String)>,
    engine: ContainerEngine,
    global: &'a GlobalArgs,
    settings: &'a Settings,
    printer: &'a Printer,
}

impl Session<'_> {
    /// Builds or finds the image and starts it.
    async fn start(&self) -> anyhow::Result<Running> {
        let image = self.prepare().await?;
        Running::launch(image, self, None).await
    }

    /// After a change: rebuild, and replace the container when that worked and made a new
    /// image; a failed build is reported and the old container goes on serving.
    async fn restart(&self, running: Running) -> anyhow::Result<Running> {
        self.printer.detail("the app changed: rebuilding");
        let image = match self.prepare().await {
            Ok(image) => image,
            Err(err) => {
                crate::errors::report(&err, self.printer);
                self.printer.detail(&format!(
                    "the rebuild failed: {} keeps running the previous build",
                    running.name
                ));
                return Ok(running);
            }
        };
        if running.alive && image.image_id == running.image_id {
            self.printer
                .detail("the image is unchanged: keeping the running container");
            return Ok(running);
        }
        let port = running.host_port;
        running.remove(&self.engine).await;
        Running::launch(image, self, Some(port)).await
    }

    /// Builds (for an app) or finds (in the store) the image.
    async fn prepare(&self) -> anyhow::Result<Prepared> {
        prepare(&self.target, self.global, self.settings, self.printer).await
    }
}

/// Builds (for an app) or finds (in the store) the image.
async fn prepare(
    target: &Target,
    global: &GlobalArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<Prepared> {
    match target {
        Target::App(build_args) => {
            let Built {
                reference,
                image,
                store,
                manifest_memory,
            } = build::build(build_args, global, settings, printer).await?;
            Ok(prepared(image, reference, store, manifest_memory))
        }
        Target::Image(name) => {
            let store = Store::open(settings)?;
            match store.resolve(name) {
                Ok((reference, image)) => Ok(prepared(image, reference, store, None)),
                // Not in the store: the engine may have it or pull it.
                Err(_) => Ok(Prepared {
                    image_id: name.clone(),
                    name: short_name(name),
                    container_port: 8080,
                    memory: None,
                    processes: Vec::new(),
                    archive: None,
                }),
            }
        }
    }
}

fn prepared(
    image: Image,
    reference: Reference,
    store: Store,
    manifest_memory: Option<u64>,
) -> Prepared {
    let labels = image.labels();
    let memory = manifest_memory.or_else(|| labels.get(MEMORY_LABEL).and_then(|m| m.parse().ok()));
    let processes = labels
        .get(BUILD_METADATA_LABEL)
        .and_then(|l| serde_json::from_str::<BuildMetadata>(l).ok())
        .map(|m| m.processes.into_iter().map(|p| p.process_type).collect())
        .unwrap_or_default();
    Prepared {
        image_id: image.config_descriptor().digest().to_string(),
        name: short_name(&display_name(&reference)),
        container_port: exposed_port(&image).unwrap_or(8080),
        memory,
        processes,
        archive: Some((store, image, reference)),
    }
}

/// `go-hello` for `127.0.0.1:5000/apps/go-hello:latest`.
fn short_name(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    let last = last.split('@').next().unwrap_or(last);
    last.split(':').next().unwrap_or(last).to_string()
}

/// The first port the image exposes.
fn exposed_port(image: &Image) -> Option<u16> {
    image
        .config
        .config()
        .as_ref()?
        .exposed_ports()
        .as_ref()?
        .iter()
        .find_map(|p| p.split('/').next()?.parse().ok())
}

/// A container started from an image, and what is needed to stop it.
struct Running {
    id: ContainerId,
    name: String,
    image_id: String,
    host_port: u16,
    alive: bool,
}

impl Running {
    /// Loads the image when the engine lacks it, then starts it.
    async fn launch(
        image: Prepared,
        session: &Session<'_>,
        port: Option<u16>,
    ) -> anyhow::Result<Running> {
        let Session {
            args,
            env,
            engine,
            printer,
            ..
        } = session;
        load_if_missing(&image, engine, printer).await?;
        let (host_ip, host_port) = match (port, &args.port) {
            (Some(port), _) => ("0.0.0.0".to_string(), port),
            (None, Some(spec)) => parse_port(spec)?,
            (None, None) => ("0.0.0.0".to_string(), free_port()?),
        };
        let memory = match &args.memory {
            Some(text) => Some(parse_memory(text)?),
            None => image.memory,
        };
        let entrypoint = match &args.process {
            Some(process) if !image.processes.is_empty() && !image.processes.contains(process) => {
                bail!(
                    "{} has no process type {process:?} (it has {})",
                    image.name,
                    image.processes.join(", ")
                )
            }
            Some(process) => Some(vec![format!("/cnb/process/{process}")]),
            None => None,
        };
        let spec = ContainerSpec {
            image: image.image_id.clone(),
            name: format!("slipway-{}-{}", image.name, host_port),
            env: env.clone(),
            memory,
            publish: Some(PortBinding {
                host_ip,
                host_port,
                container_port: image.container_port,
            }),
            entrypoint,
            labels: vec![("io.slipway.run".into(), image.name.clone())],
        };
        let id = engine.start(&spec).await?;
        let memory_note = memory.map_or_else(String::new, |m| {
            format!(" with {} of memory", slipway_launch::jvm_memory::Size(m))
        });
        printer.event(
            &format!(
                "Running {} on port {host_port}{memory_note}: http://localhost:{host_port}/",
                image.name
            ),
            &json!({"event": "running", "app": image.name, "port": host_port,
                    "url": format!("http://localhost:{host_port}/"), "memory": memory}),
        );
        Ok(Running {
            id,
            name: image.name,
            image_id: image.image_id,
            host_port,
            alive: true,
        })
    }

    /// Streams the logs until the container exits; returns its exit status.
    async fn until_exit(
        &mut self,
        engine: &ContainerEngine,
        printer: &Printer,
    ) -> anyhow::Result<i32> {
        if !self.alive {
            std::future::pending::<()>().await;
        }
        let name = self.name.clone();
        engine
            .follow_logs(&self.id, |line: LogLine| print_line(&name, &line, printer))
            .await?;
        let status = engine.wait(&self.id).await?;
        self.alive = false;
        Ok(i32::try_from(status).unwrap_or(1))
    }

    /// Stops and removes the container; what fails here is only reported.
    async fn remove(&self, engine: &ContainerEngine) {
        let _ = engine.stop(&self.id, STOP_TIMEOUT).await;
        let _ = engine.remove(&self.id).await;
    }
}

/// `[NAME] TIMESTAMP text`, as `cf local run` printed its apps' lines.
fn print_line(name: &str, line: &LogLine, printer: &Printer) {
    let timestamp = line.timestamp.as_deref().unwrap_or("");
    printer.app_line(
        &format!("[{name}] {timestamp} {}", line.text),
        &json!({"event": "app_log", "app": name, "timestamp": line.timestamp,
                "stream": format!("{:?}", line.stream).to_lowercase(), "text": line.text}),
    );
}

async fn load_if_missing(
    image: &Prepared,
    engine: &ContainerEngine,
    printer: &Printer,
) -> anyhow::Result<()> {
    let Some((store, stored, reference)) = &image.archive else {
        return Ok(());
    };
    if engine.has_image(&image.image_id).await? {
        return Ok(());
    }
    let step = printer.step(format!("Loading {} into {}", image.name, engine.describe()));
    let dir = tempfile::tempdir().context("making a temporary directory for the image")?;
    let archive = dir.path().join("image.tar");
    let file = std::fs::File::create(&archive)
        .with_context(|| format!("creating {}", archive.display()))?;
    slipway_oci::docker_archive::write_docker_archive(
        stored,
        &store.layout,
        &[reference.whole()],
        std::io::BufWriter::new(file),
    )
    .context("writing the image for the engine")?;
    engine.load_archive(&archive).await?;
    step.done();
    Ok(())
}

/// The `slipway build` arguments for `slipway run PATH`: the local store only.
fn build_args(args: &RunArgs, path: &Path) -> BuildArgs {
    BuildArgs {
        path: Some(PathBuf::from(path)),
        path_flag: None,
        tag: None,
        output: OutputArgs {
            outputs: Vec::new(),
            publish: false,
        },
        buildpacks: Vec::new(),
        env: args.build_env.clone(),
        stack: args.stack.clone(),
        platform: "linux/amd64".into(),
        no_cache: false,
        compression: CompressionArg::Gzip,
        media_types: MediaTypesArg::Oci,
        ca_certs: None,
    }
}

/// `-p PORT` or `-p HOST:PORT`.
fn parse_port(spec: &str) -> anyhow::Result<(String, u16)> {
    let (host, port) = spec.rsplit_once(':').unwrap_or(("0.0.0.0", spec));
    let port: u16 = port
        .parse()
        .ok()
        .filter(|p| *p > 0)
        .with_context(|| format!("-p {spec:?} is not a port (1-65535) or HOST:PORT"))?;
    Ok((host.to_string(), port))
}

/// `-m 256m`, `-m 1g`, `-m 300M`.
fn parse_memory(text: &str) -> anyhow::Result<u64> {
    slipway_launch::jvm_memory::parse_size(text.trim())
        .filter(|bytes| *bytes >= 6 * 1024 * 1024)
        .with_context(|| {
            format!("-m {text:?} is not a memory size such as 256m or 1g (at least 6m)")
        })
}

/// A port nothing listens on now.
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("0.0.0.0:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_memory() {
        assert_eq!(parse_port("8081").unwrap(), ("0.0.0.0".into(), 8081));
        assert_eq!(
            parse_port("127.0.0.1:8081").unwrap(),
            ("127.0.0.1".into(), 8081)
        );
        assert!(parse_port("http").is_err());
        assert!(parse_port("0").is_err());
        assert_eq!(parse_memory("256m").unwrap(), 256 * 1024 * 1024);
        assert_eq!(parse_memory("1G").unwrap(), 1024 * 1024 * 1024);
        assert!(parse_memory("lots").is_err());
        assert!(parse_memory("1k").is_err());
    }

    #[test]
    fn short_names() {
        assert_eq!(
            short_name("127.0.0.1:5000/apps/go-hello:latest"),
            "go-hello"
        );
        assert_eq!(short_name("java-war"), "java-war");
        assert_eq!(short_name("x/app@sha256:abc"), "app");
    }
}
