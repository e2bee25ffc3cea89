//! End to end: `slipway run` against real Podman, through its command line and through its
//! Docker-compatible API (`podman system service`), as a user runs it: the port printed, the
//! app answering there, its log lines prefixed, Ctrl-C leaving no container behind, the app's
//! exit status passed on, and `--watch` replacing the container after an edit.
//!
//! Go apps build on the scratch stack with the host's Go (as in `e2e_go`) to keep these fast.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use std::io::{BufRead as _, BufReader};
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{example, fails, slipway};
use slipway_testkit::{Podman, PodmanService, copy_dir, http_get, require_tools};

const GREETING: &str = "Hello from slipway!\n";

/// How the test reaches Podman.
enum Via<'a> {
    Cli,
    Api(&'a PodmanService),
}

/// `slipway run ...` in its own process group, its output collected as it comes.
struct SlipwayRun {
    child: Child,
    output: Arc<Mutex<String>>,
}

impl SlipwayRun {
    fn start(cache: &Path, via: &Via<'_>, args: &[&std::ffi::OsStr]) -> SlipwayRun {
        let mut cmd = slipway(cache);
        cmd.env("SLIPWAY_STACK", "scratch")
            .env_remove("DOCKER_HOST");
        match via {
            Via::Cli => cmd.env("SLIPWAY_CONTAINER_ENGINE", "podman"),
            Via::Api(service) => cmd.env("DOCKER_HOST", service.docker_host()),
        };
        cmd.arg("run")
            .args(args)
            .process_group(0)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Self::from_command(cmd)
    }

    /// Spawns `cmd` (piped, in its own process group) and collects its output.
    fn from_command(mut cmd: Command) -> SlipwayRun {
        let mut child = cmd.spawn().unwrap();
        let output = Arc::new(Mutex::new(String::new()));
        let readers: [Box<dyn std::io::Read + Send>; 2] = [
            Box::new(child.stdout.take().unwrap()),
            Box::new(child.stderr.take().unwrap()),
        ];
        for stream in readers {
            let output = Arc::clone(&output);
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let mut text = output.lock().unwrap();
                    text.push_str(&line);
                    text.push('\n');
                }
            });
        }
        SlipwayRun { child, output }
    }

    fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Waits until the output has a line containing `needle`, and returns that line.
    fn wait_for_line(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.output().lines().find(|l| l.contains(needle)) {
                return line.to_string();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "slipway exited ({status}) before {needle:?}:\n{}",
                    self.output()
                );
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} within {timeout:?}:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The port of the `Running NAME on port N` line.
    fn port(&mut self) -> u16 {
        let line = self.wait_for_line(" on port ", Duration::from_secs(180));
        line.split(" on port ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"))
    }

    /// Ctrl-C, as a terminal sends it (to the whole group), then the exit code.
    fn interrupt(&mut self) -> Option<i32> {
        let group = nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).unwrap());
        nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGINT).unwrap();
        self.wait()
    }

    fn wait(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "slipway did not exit:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SlipwayRun {
    /// A test that failed midway still lets slipway clean up its container (SIGTERM), then
    /// makes sure it is gone.
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until GET / on `port` answers 200 with `body`.
fn wait_for_body(port: u16, body: &str, run: &SlipwayRun, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let url = format!("http://127.0.0.1:{port}/");
    loop {
        let last = http_get(&url);
        if matches!(&last, Ok((200, text)) if text == body) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{url} did not answer {body:?} within {timeout:?}: {last:?}\n{}",
            run.output()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Containers `slipway run` started for the app `name` on host `port` (it labels them with the
/// app and names them after the app and port), so tests running side by side do not see each
/// other's.
fn containers_of(name: &str, port: u16) -> String {
    Podman::cli([
        "ps",
        "--all",
        "--quiet",
        "--filter",
        &format!("label=io.slipway.run={name}"),
        "--filter",
        &format!("name=slipway-{name}-{port}"),
    ])
}

fn runs_go_hello_and_stops_on_ctrl_c(via: &Via<'_>) {
    require_tools();
    let cache = tempfile::tempdir().unwrap();
    let mut run = SlipwayRun::start(cache.path(), via, &[example("go-hello").as_os_str()]);
    let port = run.port();
    wait_for_body(port, GREETING, &run, Duration::from_secs(30));
    let line = run.wait_for_line("[go-hello] ", Duration::from_secs(10));
    assert!(
        line.starts_with("[go-hello] 20"),
        "a timestamp follows the name: {line}"
    );
    assert!(!containers_of("go-hello", port).trim().is_empty());
    assert_eq!(run.interrupt(), Some(130), "{}", run.output());
    assert_eq!(
        containers_of("go-hello", port).trim(),
        "",
        "{}",
        run.output()
    );
}

#[test]
#[ignore = "end-to-end: needs podman and Go"]
fn run_with_the_podman_command_prints_the_port_streams_logs_and_cleans_up() {
    runs_go_hello_and_stops_on_ctrl_c(&Via::Cli);
}

#[test]
#[ignore = "end-to-end: needs podman and Go"]
fn run_through_the_docker_api_prints_the_port_streams_logs_and_cleans_up() {
    let service = PodmanService::start();
    runs_go_hello_and_stops_on_ctrl_c(&Via::Api(&service));
}

/// A Go app that prints a line and exits with status 3.
fn exiting_app(dir: &Path) -> std::path::PathBuf {
    let app = dir.join("exit-three");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("go.mod"),
        "module example.com/exitthree\n\ngo 1.22\n",
    )
    .unwrap();
    std::fs::write(
        app.join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tfmt.Println(\"giving up\")\n\tos.Exit(3)\n}\n",
    )
    .unwrap();
    app
}

#[test]
#[ignore = "end-to-end: needs podman and Go"]
fn the_apps_exit_status_becomes_slipways() {
    require_tools();
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = exiting_app(dir.path());
    let service = PodmanService::start();
    for via in [Via::Cli, Via::Api(&service)] {
        let mut run = SlipwayRun::start(cache.path(), &via, &[app.as_os_str()]);
        let port = run.port();
        assert_eq!(run.wait(), Some(3), "{}", run.output());
        assert!(run.output().contains("[exit-three] "), "{}", run.output());
        assert!(run.output().contains(" giving up"), "{}", run.output());
        assert_eq!(containers_of("exit-three", port).trim(), "");
    }
}

#[test]
#[ignore = "end-to-end: needs podman and Go"]
fn watch_serves_an_edit_and_keeps_the_old_build_when_a_rebuild_fails() {
    require_tools();
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("go-hello");
    copy_dir(&example("go-hello"), &app);
    let mut run = SlipwayRun::start(
        cache.path(),
        &Via::Cli,
        &[app.as_os_str(), "--watch".as_ref()],
    );
    let port = run.port();
    wait_for_body(port, GREETING, &run, Duration::from_secs(30));

    let main = app.join("main.go");
    let source = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, source.replace("Hello from slipway!", "Hello again!")).unwrap();
    wait_for_body(port, "Hello again!\n", &run, Duration::from_secs(60));

    std::fs::write(
        &main,
        source.replace("func main() {", "func main() { undefined()"),
    )
    .unwrap();
    run.wait_for_line("the rebuild failed", Duration::from_secs(60));
    assert!(
        run.output().contains("undefined"),
        "the compiler's error is shown:\n{}",
        run.output()
    );
    wait_for_body(port, "Hello again!\n", &run, Duration::from_secs(5));
    assert_eq!(run.interrupt(), Some(130));
    assert_eq!(containers_of("go-hello", port).trim(), "");
}

#[test]
#[ignore = "end-to-end: needs podman"]
fn a_port_already_taken_is_a_clear_error() {
    require_tools();
    let cache = tempfile::tempdir().unwrap();
    // Held by this test from the start (a port found free and then bound could be taken by a
    // test running beside this one in between).
    let taken = std::net::TcpListener::bind(("0.0.0.0", 0)).unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = fails(
        slipway(cache.path())
            .env("SLIPWAY_STACK", "scratch")
            .env("SLIPWAY_CONTAINER_ENGINE", "podman")
            .arg("run")
            .arg(example("go-hello"))
            .args(["-p", &port.to_string()]),
    );
    assert!(
        err.contains(&format!("port {port} on the host is already in use")),
        "{err}"
    );
    assert!(err.contains("hint: "), "{err}");
}

#[test]
#[ignore = "end-to-end: needs podman"]
fn an_image_neither_in_the_store_nor_pullable_is_a_clear_error() {
    require_tools();
    let cache = tempfile::tempdir().unwrap();
    let err = fails(
        slipway(cache.path())
            .env("SLIPWAY_CONTAINER_ENGINE", "podman")
            .args(["run", "localhost/slipway-e2e/nowhere:1"]),
    );
    assert!(err.contains("localhost/slipway-e2e/nowhere:1"), "{err}");
    assert!(err.contains("hint: "), "{err}");
}

#[test]
fn no_container_engine_is_a_clear_error() {
    let cache = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let err = fails(
        slipway(cache.path())
            .env_remove("DOCKER_HOST")
            .env("SLIPWAY_CONTAINER_ENGINE", "none-such-engine")
            .env("PATH", empty.path())
            .args(["run", "anything"]),
    );
    assert!(err.contains("none-such-engine"), "{err}");
    assert!(err.contains("hint: "), "{err}");
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror, Maven Central and podman"]
fn memory_given_with_m_sizes_the_jvm() {
    require_tools();
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-java-cache");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slipway"));
    cmd.env("SLIPWAY_CACHE_DIR", &cache)
        .env(
            "SLIPWAY_DEBIAN_CACHE",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("debian-cache"),
        )
        .env("SLIPWAY_CONTAINER_ENGINE", "podman")
        .args(["run", "-m", "300m"])
        .arg(example("java-jar"))
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut run = SlipwayRun::from_command(cmd);
    let line = run.wait_for_line("JVM Memory Configuration: -Xmx", Duration::from_secs(300));
    assert!(line.starts_with("[java-jar] 20"), "{line}");
    let port = run.port();
    assert!(
        run.output().contains("with 300M of memory"),
        "{}",
        run.output()
    );
    wait_for_body(
        port,
        "{\"greeting\":\"Hello from slipway!\"}",
        &run,
        Duration::from_secs(30),
    );
    assert_eq!(run.interrupt(), Some(130));
}
