//! Podman, the container engine the end-to-end tests run slipway's images in: thin helpers over
//! the `podman` CLI, and `podman system service` for testing slipway's Docker-API (daemon) output.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::http::unix_request;
use crate::process::terminate;

/// How long `podman system service` may take to answer `GET /_ping`.
const SERVICE_START_TIMEOUT: Duration = Duration::from_secs(30);

/// Helpers that run the `podman` CLI and panic, with its stderr, when it fails: what a test wants
/// from a step that is not itself under test.
///
/// Registries are always contacted with `--tls-verify=false`: the suite's registries are plain
/// HTTP on 127.0.0.1.
#[derive(Debug, Clone, Copy)]
pub struct Podman;

impl Podman {
    /// Run `podman ARGS` and return its stdout.
    ///
    /// # Panics
    ///
    /// When podman cannot be run or exits non-zero; the message holds the command and its stderr.
    pub fn cli<I, S>(args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = Command::new("podman");
        command.args(args).stdin(Stdio::null());
        let output = run(&mut command);
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// `podman pull --tls-verify=false IMAGE`: fetch an image slipway published.
    ///
    /// # Panics
    ///
    /// When the pull fails.
    pub fn pull(image: &str) {
        Self::cli(["pull", "--quiet", "--tls-verify=false", image]);
    }

    /// `podman load -i ARCHIVE`: load a docker-archive or OCI archive slipway wrote; returns
    /// podman's output (`Loaded image: NAME`).
    ///
    /// # Panics
    ///
    /// When the load fails.
    #[must_use]
    pub fn load(archive: &Path) -> String {
        Self::cli([OsStr::new("load"), OsStr::new("-i"), archive.as_os_str()])
    }

    /// Whether podman's local storage has `image`.
    ///
    /// # Panics
    ///
    /// When podman cannot be run.
    #[must_use]
    pub fn image_exists(image: &str) -> bool {
        let status = Command::new("podman")
            .args(["image", "exists", image])
            .stdin(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("running podman image exists {image}: {e}"));
        status.success()
    }

    /// `podman rmi -f IMAGE`, ignoring an image that is not there, so tests can clean up first.
    ///
    /// # Panics
    ///
    /// When podman cannot be run.
    pub fn rmi(image: &str) {
        Command::new("podman")
            .args(["rmi", "--force", "--ignore", image])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("running podman rmi {image}: {e}"));
    }

    /// `podman run -d -p 127.0.0.1:HOST:CONTAINER EXTRA_ARGS IMAGE`: start `image` with its
    /// `container_port` published on 127.0.0.1's `host_port`. `extra_args` go before the image
    /// (e.g. `["-e", "PORT=9000"]`). The container is removed when the result is dropped.
    ///
    /// # Panics
    ///
    /// When the container cannot be started.
    #[must_use]
    pub fn run_detached(
        image: &str,
        host_port: u16,
        container_port: u16,
        extra_args: &[&str],
    ) -> Container {
        let publish = format!("127.0.0.1:{host_port}:{container_port}");
        let mut args = vec!["run", "--detach", "--publish", &publish];
        args.extend_from_slice(extra_args);
        args.push(image);
        let id = Self::cli(&args).trim().to_owned();
        Container { id, host_port }
    }
}

/// A container started by [`Podman::run_detached`]; `podman rm -f` on drop.
#[derive(Debug)]
pub struct Container {
    id: String,
    host_port: u16,
}

impl Container {
    /// The container's id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `http://127.0.0.1:HOST_PORT/`, where the app answers.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.host_port)
    }

    /// What the container printed so far, stdout and stderr together: for asserting on an app's
    /// start-up line and for failure messages.
    ///
    /// # Panics
    ///
    /// When podman cannot be run.
    #[must_use]
    pub fn logs(&self) -> String {
        let output = Command::new("podman")
            .args(["logs", &self.id])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("running podman logs {}: {e}", self.id));
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        text
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        // `--time 0`: no grace period, the test is over. Failure here cannot be reported usefully.
        let _ = Command::new("podman")
            .args(["rm", "--force", "--time", "0", &self.id])
            .stdin(Stdio::null())
            .output();
    }
}

/// `podman system service` on a Unix socket in a temp dir: a Docker Engine API (v1.41) for the
/// tests of slipway's daemon output and `slipway run`. Stopped by its pid on drop.
#[derive(Debug)]
pub struct PodmanService {
    child: Child,
    socket: PathBuf,
    _dir: TempDir,
}

impl PodmanService {
    /// Start the service and wait until `GET /_ping` answers 200 on its socket.
    ///
    /// # Panics
    ///
    /// When podman is missing (run `scripts/test`) or the service does not come up.
    #[must_use]
    pub fn start() -> PodmanService {
        let dir = tempfile::Builder::new()
            .prefix("slipway-podman-")
            .tempdir()
            .unwrap_or_else(|e| panic!("creating a temp dir: {e}"));
        let socket = dir.path().join("podman.sock");
        let log = dir.path().join("service.log");
        let child = Command::new("podman")
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap_or_else(|e| panic!("creating log: {e}")))
            .spawn()
            .unwrap_or_else(|e| panic!("starting podman system service (run scripts/test): {e}"));
        let mut service = PodmanService {
            child,
            socket,
            _dir: dir,
        };
        if let Err(why) = service.wait_until_ready() {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("podman system service did not start: {why}; its log:\n{log}");
        }
        service
    }

    fn wait_until_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + SERVICE_START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("it exited with {status}"));
            }
            let last = match unix_request(&self.socket, "GET", "/_ping") {
                Ok(r) if r.status == 200 => return Ok(()),
                Ok(r) => format!("/_ping answered {}", r.status),
                Err(e) => e,
            };
            if Instant::now() > deadline {
                return Err(format!(
                    "no 200 from /_ping within {SERVICE_START_TIMEOUT:?} ({last})"
                ));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// `unix:///TMP/podman.sock`, the value for `DOCKER_HOST`.
    #[must_use]
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// The API socket's path.
    #[must_use]
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The service process's id.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for PodmanService {
    fn drop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(10));
    }
}

/// Run `command`, panicking with its stderr when it fails.
fn run(command: &mut Command) -> Output {
    let shown = format!("{command:?}");
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("running {shown}: {e} (is podman installed? run scripts/test)"));
    assert!(
        output.status.success(),
        "{shown} failed with {}:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}
