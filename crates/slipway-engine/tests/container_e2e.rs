//! End-to-end: running containers for `slipway run` in real Podman, through both engines slipway
//! can find: the `podman` command, and Podman's Docker API (`podman system service`, started on a
//! socket in a temp dir by slipway-testkit). Every test runs the same steps through both and
//! expects the same results.
//!
//! The image is busybox (Debian's busybox-static, copied from the host) in one layer, written as
//! a docker-archive by slipway-oci and loaded with `load_archive`, so nothing is pulled.

use std::collections::BTreeMap;
use std::error::Error as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use slipway_engine::{
    CliEngine, CliKind, ContainerEngine, ContainerId, ContainerSpec, Engine, EngineError, LogLine,
    LogStream, PortBinding,
};
use slipway_oci::docker_archive::write_docker_archive;
use slipway_oci::oci_spec::image::{Arch, ConfigBuilder, ImageConfigurationBuilder, Os};
use slipway_oci::{Compression, Image, LayerBuilder, LayerRecord, OciLayout};
use slipway_testkit::{Podman, PodmanService, free_port, http_get, wait_for_http};
use tempfile::TempDir;

/// What busybox httpd serves at `/`.
const INDEX: &str = "hello from busybox\n";
/// A name under `localhost/` that no test loads: it can only be local, so it is never pulled.
const MISSING_IMAGE: &str = "localhost/slipway-e2e/nope:1";
/// How long a step that waits for a container may take before the test gives up (a hang guard,
/// not a speed target).
const HANG_GUARD: Duration = Duration::from_secs(60);

/// Names no other run (or test) uses, so that runs sharing Podman's storage do not meet.
fn unique(what: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("slipway-e2e-{what}-{}-{nanos}-{n}", std::process::id())
}

/// Removes every container and image a test made when it ends, passed or failed, with the podman
/// command (both engines share its storage).
#[derive(Default)]
struct Cleanup {
    containers: Vec<String>,
    images: Vec<String>,
}

impl Cleanup {
    /// A container name to use, removed at the end.
    fn container(&mut self, what: &str) -> String {
        let name = unique(what);
        self.containers.push(name.clone());
        name
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for name in &self.containers {
            let _ = std::process::Command::new("podman")
                .args(["rm", "--force", "--time", "0", name])
                .output();
        }
        for image in &self.images {
            Podman::rmi(image);
        }
    }
}

/// The two engines over the same Podman: its command, and its API (kept running while this lives).
struct Engines {
    all: Vec<ContainerEngine>,
    _service: PodmanService,
}

async fn engines() -> Engines {
    let service = PodmanService::start();
    let cli = CliEngine::open(CliKind::Podman, "podman")
        .await
        .expect("the podman command");
    let api = Engine::connect_to(&service.docker_host())
        .await
        .expect("podman's API");
    Engines {
        all: vec![ContainerEngine::Cli(cli), ContainerEngine::Api(api)],
        _service: service,
    }
}

/// A docker-archive in `dir` of a one-layer image with the host's static busybox at
/// `/bin/busybox` and `/www/index.html`, tagged `tag`. Its command is an `echo` that no test
/// should see: every test gives an entrypoint, which replaces it.
fn busybox_archive(dir: &Path, tag: &str) -> PathBuf {
    let layout = OciLayout::create(&dir.join("layout")).expect("layout");
    let mut builder = LayerBuilder::with_epoch(1);
    builder
        .host_file("bin/busybox", Path::new("/bin/busybox"), 0o755)
        .file("www/index.html", 0o644, INDEX);
    let layer = builder
        .build()
        .expect("layer (is busybox-static installed?)")
        .compress(Compression::Gzip)
        .expect("gzip");
    layout.write_blob(&layer.blob).expect("storing the layer");
    // A label naming the tag makes each test's image its own (its own image id): tests run side
    // by side, and one removing its image must not take another's with it.
    let config = ConfigBuilder::default()
        .labels(std::collections::HashMap::from([(
            "io.slipway.test".to_owned(),
            tag.to_owned(),
        )]))
        .cmd(vec![
            "/bin/busybox".to_owned(),
            "echo".to_owned(),
            "the image's own command".to_owned(),
        ])
        .build()
        .expect("config");
    let config = ImageConfigurationBuilder::default()
        .architecture(Arch::Amd64)
        .os(Os::Linux)
        .config(config)
        .build()
        .expect("image config");
    let image = Image::assemble(
        config,
        &[LayerRecord::of(&layer, "busybox")],
        &BTreeMap::new(),
    )
    .expect("assembling");
    let path = dir.join("busybox.tar");
    let mut out = BufWriter::new(File::create(&path).expect("creating the archive"));
    write_docker_archive(&image, &layout, &[tag.to_owned()], &mut out).expect("writing");
    out.flush().expect("flushing");
    path
}

/// Loads the busybox image through `engine` and checks that it is there.
async fn load_busybox(engine: &ContainerEngine, archive: &Path, tag: &str) {
    engine.load_archive(archive).await.expect("load_archive");
    assert!(engine.has_image(tag).await.expect("has_image"), "{tag}");
}

/// A spec running busybox with `args`.
fn busybox(image: &str, name: &str, args: &[&str]) -> ContainerSpec {
    let mut spec = ContainerSpec::new(image, name);
    let command = std::iter::once("/bin/busybox").chain(args.iter().copied());
    spec.entrypoint = Some(command.map(str::to_owned).collect());
    spec
}

/// busybox httpd serving `/www` on port 8080, published on 127.0.0.1's `host_port`.
fn httpd(image: &str, name: &str, host_port: u16) -> ContainerSpec {
    let mut spec = busybox(image, name, &["httpd", "-f", "-p", "8080", "-h", "/www"]);
    spec.publish = Some(PortBinding {
        host_ip: "127.0.0.1".into(),
        host_port,
        container_port: 8080,
    });
    spec
}

/// The ids of containers called `name` or with id `id`, as `podman ps -a` lists them.
fn listed(filter: &str) -> String {
    Podman::cli(["ps", "--all", "--quiet", "--filter", filter])
        .trim()
        .to_owned()
}

fn inspect(id: &ContainerId, format: &str) -> String {
    Podman::cli(["container", "inspect", "--format", format, id.as_str()])
        .trim()
        .to_owned()
}

/// The whole chain of `err`'s causes, for asserting on what the engine said.
fn chain(err: &EngineError) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

#[tokio::test]
#[ignore = "end-to-end: needs podman"]
async fn a_container_s_output_and_exit_code_come_back_through_both_engines() {
    let engines = engines().await;
    let mut cleanup = Cleanup::default();
    let dir = TempDir::new().expect("tempdir");
    let tag = format!("localhost/slipway-e2e/busybox:{}", unique("logs"));
    cleanup.images.push(tag.clone());
    let archive = busybox_archive(dir.path(), &tag);
    for engine in &engines.all {
        let shown = engine.describe();
        load_busybox(engine, &archive, &tag).await;
        let name = cleanup.container("logs");
        let mut spec = busybox(
            &tag,
            &name,
            &["sh", "-c", "echo out $GREETING; echo err >&2; exit 3"],
        );
        spec.env = vec![("GREETING".into(), "hello".into())];
        spec.labels = vec![("io.slipway.e2e".into(), "logs".into())];
        let id = engine.start(&spec).await.expect("start");
        let mut lines: Vec<LogLine> = Vec::new();
        tokio::time::timeout(HANG_GUARD, engine.follow_logs(&id, |line| lines.push(line)))
            .await
            .expect("the logs end when the container exits")
            .expect("follow_logs");
        let texts: Vec<(LogStream, &str)> =
            lines.iter().map(|l| (l.stream, l.text.as_str())).collect();
        assert!(
            texts.contains(&(LogStream::Stdout, "out hello")),
            "{shown}: {lines:?}"
        );
        assert!(
            texts.contains(&(LogStream::Stderr, "err")),
            "{shown}: {lines:?}"
        );
        assert_eq!(
            lines.len(),
            2,
            "{shown}: the image's command ran too: {lines:?}"
        );
        assert!(
            lines
                .iter()
                .all(|l| l.timestamp.as_deref().is_some_and(|t| t.contains('T'))),
            "{shown}: {lines:?}"
        );
        assert_eq!(engine.wait(&id).await.expect("wait"), 3, "{shown}");
        assert_eq!(
            inspect(&id, "{{index .Config.Labels \"io.slipway.e2e\"}}"),
            "logs",
            "{shown}"
        );
        engine.remove(&id).await.expect("remove");
        assert_eq!(listed(&format!("id={id}")), "", "{shown}");
        engine
            .remove(&id)
            .await
            .expect("removing a container that is gone is not an error");
        engine
            .stop(&id, Duration::from_secs(1))
            .await
            .expect("stopping a container that is gone is not an error");
    }
}

#[tokio::test]
#[ignore = "end-to-end: needs podman"]
async fn a_published_server_answers_and_stop_and_remove_leave_nothing() {
    let engines = engines().await;
    let mut cleanup = Cleanup::default();
    let dir = TempDir::new().expect("tempdir");
    let tag = format!("localhost/slipway-e2e/busybox:{}", unique("httpd"));
    cleanup.images.push(tag.clone());
    let archive = busybox_archive(dir.path(), &tag);
    for engine in &engines.all {
        let shown = engine.describe();
        load_busybox(engine, &archive, &tag).await;
        let port = free_port();
        let mut spec = httpd(&tag, &cleanup.container("httpd"), port);
        spec.memory = Some(64 << 20);
        let id = engine.start(&spec).await.expect("start");
        assert_eq!(
            engine.host_port(&id, 8080).await.expect("host_port"),
            Some(port),
            "{shown}"
        );
        assert_eq!(engine.host_port(&id, 9090).await.expect("host_port"), None);
        let url = format!("http://127.0.0.1:{port}/");
        let (_, body) = wait_for_http(&url, Duration::from_secs(20));
        assert_eq!(body, INDEX, "{shown}");
        assert_eq!(
            http_get(&format!("{url}missing")).map(|(status, _)| status),
            Ok(404),
            "{shown}"
        );
        assert_eq!(
            inspect(&id, "{{.HostConfig.Memory}}"),
            "67108864",
            "{shown}"
        );

        // Following the logs of a running server ends when it is stopped.
        let follow = engine.follow_logs(&id, |_| {});
        let stop = engine.stop(&id, Duration::from_secs(1));
        let (followed, stopped) =
            tokio::time::timeout(HANG_GUARD, async { tokio::join!(follow, stop) })
                .await
                .expect("follow_logs ends once the container stops");
        followed.expect("follow_logs");
        stopped.expect("stop");
        assert!(http_get(&url).is_err(), "{shown}: still served after stop");
        engine.remove(&id).await.expect("remove");
        assert_eq!(listed(&format!("id={id}")), "", "{shown}");
    }
}

#[tokio::test]
#[ignore = "end-to-end: needs podman"]
async fn port_zero_gets_a_free_port_that_host_port_reports() {
    let engines = engines().await;
    let mut cleanup = Cleanup::default();
    let dir = TempDir::new().expect("tempdir");
    let tag = format!("localhost/slipway-e2e/busybox:{}", unique("port0"));
    cleanup.images.push(tag.clone());
    let archive = busybox_archive(dir.path(), &tag);
    for engine in &engines.all {
        let shown = engine.describe();
        load_busybox(engine, &archive, &tag).await;
        let spec = httpd(&tag, &cleanup.container("port0"), 0);
        let id = engine.start(&spec).await.expect("start");
        let port = engine
            .host_port(&id, 8080)
            .await
            .expect("host_port")
            .expect("a bound port");
        assert_ne!(port, 0, "{shown}");
        let (_, body) = wait_for_http(
            &format!("http://127.0.0.1:{port}/"),
            Duration::from_secs(20),
        );
        assert_eq!(body, INDEX, "{shown}");
        engine.remove(&id).await.expect("remove");
    }
}

/// Podman 4.3 (netavark), when a second container fails to start on a host port, tears down the
/// localhost forwarding of the container already holding it ("No route to host" from then on).
/// slipway finds the port taken before asking the engine, so the first container keeps answering.
#[tokio::test]
#[ignore = "end-to-end: needs podman"]
async fn a_taken_port_is_port_taken_and_the_container_holding_it_keeps_answering() {
    let engines = engines().await;
    let mut cleanup = Cleanup::default();
    let dir = TempDir::new().expect("tempdir");
    let tag = format!("localhost/slipway-e2e/busybox:{}", unique("taken"));
    cleanup.images.push(tag.clone());
    let archive = busybox_archive(dir.path(), &tag);
    for engine in &engines.all {
        let shown = engine.describe();
        load_busybox(engine, &archive, &tag).await;
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}/");
        let first = engine
            .start(&httpd(&tag, &cleanup.container("first"), port))
            .await
            .expect("start");
        let (_, body) = wait_for_http(&url, Duration::from_secs(20));
        assert_eq!(body, INDEX, "{shown}");
        let second = cleanup.container("second");
        let err = engine
            .start(&httpd(&tag, &second, port))
            .await
            .expect_err("the port is taken");
        assert!(
            matches!(err, EngineError::PortTaken { port: p } if p == port),
            "{shown}: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!("port {port} on the host is already in use")
        );
        assert_eq!(
            err.hint(),
            Some("choose another with -p PORT, or leave -p out for a free port")
        );
        assert_eq!(
            listed(&format!("name=^{second}$")),
            "",
            "{shown}: the container that could not start was left behind"
        );
        assert_eq!(
            http_get(&url).map(|(_, body)| body),
            Ok(INDEX.to_owned()),
            "{shown}: the first server was cut off"
        );
        engine.remove(&first).await.expect("remove");
    }
}

#[tokio::test]
#[ignore = "end-to-end: needs podman"]
async fn a_port_another_program_listens_on_is_port_taken() {
    let engines = engines().await;
    let mut cleanup = Cleanup::default();
    let dir = TempDir::new().expect("tempdir");
    let tag = format!("localhost/slipway-e2e/busybox:{}", unique("held"));
    cleanup.images.push(tag.clone());
    let archive = busybox_archive(dir.path(), &tag);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    for engine in &engines.all {
        let shown = engine.describe();
        load_busybox(engine, &archive, &tag).await;
        let name = cleanup.container("held");
        let err = engine
            .start(&httpd(&tag, &name, port))
            .await
            .expect_err("the port is taken");
        assert!(
            matches!(err, EngineError::PortTaken { port: p } if p == port),
            "{shown}: {err:?}"
        );
        assert_eq!(listed(&format!("name=^{name}$")), "", "{shown}");
    }
}

#[tokio::test]
#[ignore = "end-to-end: needs podman"]
async fn an_image_that_is_not_there_is_image_not_found_without_a_pull() {
    let engines = engines().await;
    let mut cleanup = Cleanup::default();
    for engine in &engines.all {
        let shown = engine.describe();
        assert!(!engine.has_image(MISSING_IMAGE).await.expect("has_image"));
        let name = cleanup.container("nope");
        let err = engine
            .start(&busybox(MISSING_IMAGE, &name, &["true"]))
            .await
            .expect_err("no such image");
        assert!(
            matches!(&err, EngineError::ImageNotFound { image, .. } if image == MISSING_IMAGE),
            "{shown}: {err:?}"
        );
        // The engine's own lookup failed: no registry called `localhost` was asked.
        assert!(
            chain(&err).contains("image not known"),
            "{shown}: {}",
            chain(&err)
        );
        assert_eq!(
            err.hint(),
            Some("build it with `slipway build`, or check the name")
        );
        assert_eq!(listed(&format!("name=^{name}$")), "", "{shown}");
    }
}
