//! The testkit's Podman helpers against the real tools: an image made here from
//! `examples/go-hello` (a static Go binary imported with `podman import`) is pushed to a real
//! registry, pulled, run with a published port, and its greeting read over HTTP; and
//! `podman system service` answers the Docker API on its socket.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use slipway_testkit::{Podman, PodmanService, Registry, free_port, require_tools, unix_request};
use slipway_testkit::{process_exists, wait_for_http};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(command: &mut Command) {
    let output = command.output().expect("spawn");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Build go-hello statically and import it as `name`: an image without any registry outside.
fn import_go_hello(name: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let rootfs = dir.path().join("rootfs");
    std::fs::create_dir(&rootfs).expect("mkdir");
    run(Command::new("go")
        .args(["build", "-trimpath", "-buildvcs=false", "-o"])
        .arg(rootfs.join("hello"))
        .arg(".")
        .current_dir(repo_root().join("examples/go-hello"))
        .env("CGO_ENABLED", "0"));
    let tar = dir.path().join("rootfs.tar");
    run(Command::new("tar")
        .arg("-C")
        .arg(&rootfs)
        .arg("-cf")
        .arg(&tar)
        .arg("."));
    Podman::cli([
        "import".as_ref(),
        "--change".as_ref(),
        r#"CMD ["/hello"]"#.as_ref(),
        tar.as_os_str(),
        name.as_ref(),
    ]);
}

#[test]
#[ignore = "end-to-end: needs podman, docker-registry and go"]
fn an_image_pushed_to_the_registry_runs_and_answers() {
    require_tools();
    // Unique per run, so that two runs on one machine do not remove each other's image.
    let local = &format!("localhost/slipway-testkit-hello:e2e-{}", std::process::id());
    import_go_hello(local);
    assert!(Podman::image_exists(local));

    let registry = Registry::start();
    let remote = format!("{}/testkit/hello:v1", registry.host());
    Podman::cli(["push", "--quiet", "--tls-verify=false", local, &remote]);
    assert!(
        registry
            .manifest_digest("testkit/hello", "v1")
            .is_some_and(|d| d.starts_with("sha256:"))
    );
    let uploads = registry.blob_uploads();
    assert_eq!(uploads.len(), 2, "one layer and the config: {uploads:?}");
    assert!(
        uploads.iter().all(|u| u.repo == "testkit/hello"),
        "{uploads:?}"
    );

    Podman::rmi(local);
    Podman::rmi(&remote);
    assert!(!Podman::image_exists(&remote));
    Podman::pull(&remote);
    let port = free_port();
    let container = Podman::run_detached(&remote, port, 9000, &["-e", "PORT=9000"]);
    let (_, body) = wait_for_http(&container.url(), Duration::from_secs(30));
    assert_eq!(body, "Hello from slipway!\n");
    assert!(
        container.logs().contains("listening on :9000"),
        "{}",
        container.logs()
    );
    drop(container);
    Podman::rmi(&remote);
}

#[test]
#[ignore = "end-to-end: needs podman"]
fn podman_service_answers_ping_and_stops_on_drop() {
    require_tools();
    let service = PodmanService::start();
    assert!(service.docker_host().starts_with("unix:///"));
    let response = unix_request(service.socket(), "GET", "/v1.41/version").expect("version");
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(
        response.body.contains("\"ApiVersion\""),
        "{}",
        response.body
    );
    let pid = service.pid();
    drop(service);
    assert!(
        !process_exists(pid),
        "podman service {pid} still exists after drop"
    );
}
