//! End to end: examples/go-hello built by slipway with its real dependency from the Go module
//! proxy, written to a real registry (Debian's docker-registry), a docker-archive, and Podman's
//! Docker-compatible API, then run by real Podman and asked for its greeting over HTTP.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use common::{example, fails, ok, store_names};
use slipway_testkit::{
    LOGIN_PASSWORD, LOGIN_USER, Podman, PodmanService, Registry, copy_dir, free_port,
    require_tools, touch_all, wait_for_http,
};

const GREETING: &str = "Hello from slipway!\n";

/// slipway building on the scratch stack with the host's Go, as ko does: these tests are about
/// images, destinations and errors; Debian stack builds (Go in the build environment) are tested
/// in `e2e_stacks`.
fn host_go(cache: &Path) -> std::process::Command {
    let mut cmd = common::slipway(cache);
    cmd.env("SLIPWAY_STACK", "scratch");
    cmd
}

fn build_quiet(cache: &Path, app: &Path, args: &[&str]) -> String {
    ok(host_go(cache)
        .arg("build")
        .arg(app)
        .args(args)
        .arg("--quiet"))
    .trim()
    .to_string()
}

/// Runs `image` in podman with its port published and returns what GET / answers.
fn greeting_of(image: &str) -> String {
    let container = Podman::run_detached(image, free_port(), 8080, &[]);
    let (status, body) = wait_for_http(&container.url(), Duration::from_secs(30));
    assert_eq!(status, 200, "logs:\n{}", container.logs());
    body
}

#[test]
#[ignore = "end-to-end: needs podman, docker-registry and Go"]
fn published_image_runs_in_podman_and_answers() {
    require_tools();
    let registry = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    let image = format!("{}/go-hello:e2e", registry.host());
    let digest = build_quiet(
        cache.path(),
        &example("go-hello"),
        &["-t", &image, "--publish"],
    );
    assert_eq!(
        registry.manifest_digest("go-hello", "e2e").as_deref(),
        Some(digest.as_str())
    );

    Podman::pull(&image);
    let user = Podman::cli(["image", "inspect", "--format", "{{.User}}", &image]);
    assert_eq!(user.trim(), "1000:1000");
    assert_eq!(greeting_of(&image), GREETING);
    Podman::rmi(&image);
}

#[test]
#[ignore = "end-to-end: needs podman, docker-registry and Go"]
fn a_second_publish_uploads_no_layer() {
    require_tools();
    let registry = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    let image = format!("{}/go-hello:twice", registry.host());
    build_quiet(
        cache.path(),
        &example("go-hello"),
        &["-t", &image, "--publish"],
    );
    let uploads = registry.uploaded_blob_count();
    assert!(
        uploads >= 4,
        "the first push uploads the layers and config: {uploads}"
    );

    let out = ok(host_go(cache.path())
        .arg("build")
        .arg(example("go-hello"))
        .args(["-t", &image, "--publish", "--json"]));
    assert_eq!(
        registry.uploaded_blob_count(),
        uploads,
        "registry log:\n{}",
        registry.log()
    );
    let result: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    let push = &result["result"]["outputs"][0];
    assert_eq!(push["uploaded_blobs"], 0);
    assert!(push["skipped_blobs"].as_u64().unwrap() >= 4, "{push}");
    // `slipway push` from the store does the same.
    ok(host_go(cache.path()).args(["push", &image]));
    assert_eq!(registry.uploaded_blob_count(), uploads);
}

#[test]
#[ignore = "end-to-end: needs podman, docker-registry and Go"]
fn docker_archive_loads_into_podman() {
    require_tools();
    let cache = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let archive = out.path().join("go-hello.tar");
    let image = "localhost/slipway-e2e/go-hello-archive:latest";
    build_quiet(
        cache.path(),
        &example("go-hello"),
        &[
            "-t",
            image,
            "-o",
            &format!("docker-archive:{}", archive.display()),
        ],
    );
    let loaded = Podman::load(&archive);
    assert!(loaded.contains("go-hello-archive"), "{loaded}");
    assert_eq!(greeting_of(image), GREETING);
    Podman::rmi(image);
}

#[test]
#[ignore = "end-to-end: needs podman, docker-registry and Go"]
fn daemon_output_loads_through_the_docker_api_of_podman() {
    require_tools();
    let service = PodmanService::start();
    let cache = tempfile::tempdir().unwrap();
    let image = "localhost/slipway-e2e/go-hello-daemon:latest";
    ok(host_go(cache.path())
        .env("DOCKER_HOST", service.docker_host())
        .arg("build")
        .arg(example("go-hello"))
        .args([
            "-t",
            image,
            "-o",
            "daemon",
            "-o",
            &format!("oci:{}", cache.path().join("layout").display()),
        ]));
    assert!(Podman::image_exists(image));
    assert_eq!(greeting_of(image), GREETING);
    Podman::rmi(image);
    // The OCI layout written beside it names the image by tag.
    let index = std::fs::read_to_string(cache.path().join("layout/index.json")).unwrap();
    assert!(
        index.contains(r#""org.opencontainers.image.ref.name":"latest""#),
        "{index}"
    );
}

#[test]
#[ignore = "end-to-end: needs podman, docker-registry and Go"]
fn same_source_elsewhere_with_new_mtimes_gives_the_same_digest() {
    let first_cache = tempfile::tempdir().unwrap();
    let second_cache = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("deeper/checkout/go-hello");
    copy_dir(&example("go-hello"), &copy);
    touch_all(&copy, SystemTime::now() + Duration::from_secs(86_400));
    let a = build_quiet(
        first_cache.path(),
        &example("go-hello"),
        &["-t", "go-hello"],
    );
    let b = build_quiet(second_cache.path(), &copy, &["-t", "go-hello"]);
    assert_eq!(a, b);
    // zstd layers are reproducible too, and differ from gzip ones.
    let z1 = build_quiet(
        first_cache.path(),
        &example("go-hello"),
        &["-t", "go-hello", "--compression", "zstd"],
    );
    let z2 = build_quiet(
        second_cache.path(),
        &copy,
        &["-t", "go-hello", "--compression", "zstd"],
    );
    assert_eq!(z1, z2);
    assert_ne!(a, z1);
}

#[test]
#[ignore = "end-to-end: needs podman, docker-registry and Go"]
fn a_go_app_that_does_not_compile_shows_the_compiler_output() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("broken");
    copy_dir(&example("go-hello"), &app);
    let main = app.join("main.go");
    let source = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        source.replace("func main() {", "func main() {\n\tundefinedThing()"),
    )
    .unwrap();
    let err = fails(host_go(cache.path()).arg("build").arg(&app));
    assert!(err.contains("error: building "), "{err}");
    assert!(err.contains("go build failed for slipway/go"), "{err}");
    assert!(
        err.contains("  | ") && err.contains("undefined: undefinedThing"),
        "{err}"
    );
    assert!(err.contains("hint: fix the errors shown above"), "{err}");
    assert_eq!(
        store_names(cache.path()),
        "",
        "nothing is named in the store"
    );
}

#[test]
#[ignore = "end-to-end: needs podman, docker-registry and Go"]
fn a_registry_that_is_down() {
    let cache = tempfile::tempdir().unwrap();
    let image = format!("127.0.0.1:{}/go-hello:down", free_port());
    let err = fails(
        host_go(cache.path())
            .arg("build")
            .arg(example("go-hello"))
            .args(["-t", &image, "--publish"]),
    );
    assert!(err.contains("writing the image to registry"), "{err}");
    assert!(err.contains("hint: "), "{err}");
    // The image was built and named in the store before the push failed: push can be retried.
    assert!(store_names(cache.path()).contains("go-hello:down"));
}

/// A Docker config.json that logs in to `registry` as `user` with `password`.
fn docker_config(dir: &Path, registry: &str, user: &str, password: &str) {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let config = serde_json::json!({"auths": {registry: {"auth": auth}}});
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
}

#[test]
#[ignore = "end-to-end: needs podman, docker-registry and Go"]
fn a_registry_that_refuses_the_credentials_and_one_that_takes_them() {
    require_tools();
    let registry = Registry::start_with_login();
    let cache = tempfile::tempdir().unwrap();
    let docker = tempfile::tempdir().unwrap();
    let image = format!("{}/go-hello:login", registry.host());
    docker_config(
        docker.path(),
        &registry.host(),
        LOGIN_USER,
        "wrong-password",
    );
    let err = fails(
        host_go(cache.path())
            .env("DOCKER_CONFIG", docker.path())
            .arg("build")
            .arg(example("go-hello"))
            .args(["-t", &image, "--publish"]),
    );
    assert!(err.contains("writing the image to registry"), "{err}");
    assert!(err.contains("hint: log in with `docker login"), "{err}");
    assert_eq!(
        registry.uploaded_blob_count(),
        0,
        "nothing reaches a registry that refused us"
    );

    docker_config(docker.path(), &registry.host(), LOGIN_USER, LOGIN_PASSWORD);
    let digest = ok(host_go(cache.path())
        .env("DOCKER_CONFIG", docker.path())
        .args(["push", &image, "--quiet"]));
    assert!(
        registry.uploaded_blob_count() >= 4,
        "registry log:\n{}",
        registry.log()
    );
    let log = registry.log();
    assert!(log.contains("PUT /v2/go-hello/manifests/login"), "{log}");
    assert_eq!(
        digest.trim(),
        ok(host_go(cache.path()).args(["inspect", &image, "--quiet"])).trim()
    );
}

#[test]
#[ignore = "end-to-end: needs podman, docker-registry and Go"]
fn ctrl_c_during_a_build_leaves_a_usable_store() {
    let cache = tempfile::tempdir().unwrap();
    let gocache = tempfile::tempdir().unwrap();
    build_quiet(cache.path(), &example("go-hello"), &["-t", "before"]);
    // A fresh copy and a cold Go cache make the build long enough to interrupt. Like a
    // terminal's Ctrl-C, the signal goes to the whole process group: slipway and `go build`.
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("go-hello");
    copy_dir(&example("go-hello"), &app);
    let mut child = host_go(cache.path())
        .process_group(0)
        .env("GOCACHE", gocache.path())
        .arg("build")
        .arg(&app)
        .args(["-t", "interrupted"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("Running go build") {
            break;
        }
    }
    assert!(seen.contains("Running go build"), "{seen}");
    std::thread::sleep(Duration::from_millis(500));
    // killpg, not the kill(1) command: procps' `kill -INT -PID` is easy to get wrong, and a wrong
    // target (-1) interrupts every process on the machine.
    let group = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGINT).unwrap();
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the build finished before the interrupt:\n{seen}"
    );
    let names = store_names(cache.path());
    assert!(
        names.contains("before") && !names.contains("interrupted"),
        "{names}"
    );
    build_quiet(cache.path(), &example("go-hello"), &["-t", "after"]);
    ok(host_go(cache.path()).args(["inspect", "after"]));
}

#[test]
#[ignore = "end-to-end: needs podman, docker-registry and Go"]
fn inspect_shows_buildpacks_processes_and_layers() {
    let cache = tempfile::tempdir().unwrap();
    build_quiet(cache.path(), &example("go-hello"), &["-t", "go-hello"]);
    let text = ok(host_go(cache.path()).args(["inspect", "go-hello"]));
    insta::with_settings!({filters => vec![
        (r"sha256:[0-9a-f]{64}", "sha256:[digest]"),
        (r"\b[0-9a-f]{12}\b", "[short]"),
        (r" +\d+(\.\d+)? (B|KiB|MiB)", " [size]"),
        (r"go1\.\d+(\.\d+)?", "[go]"),
    ]}, {
        insta::assert_snapshot!(text, @"
        Image:       go-hello:latest
        Digest:      sha256:[digest]
        Stack:       io.slipway.stacks.scratch
        Platform:    linux/amd64
        User:        1000:1000
        Working dir: /workspace
        Ports:       8080/tcp
        Run image:   scratch flavor base (sha256:[short], its 1 layers at the bottom)

        Buildpacks:
          slipway/go 0.1.0

        Processes:
          web (default)      /layers/slipway_go/app/bin/go-hello
          go-hello           /layers/slipway_go/app/bin/go-hello

        Layers:
           1 [size]  [short]  stack scratch: user cnb
           2 [size]  [short]  launcher: /cnb/lifecycle/launcher
           3 [size]  [short]  go-hello (Go binaries, [go])
           4 [size]  [short]  launch config: processes web, go-hello

        Total size: [size]
        ");
    });
    let json: serde_json::Value = serde_json::from_str(&ok(
        host_go(cache.path()).args(["inspect", "go-hello", "--json"])
    ))
    .unwrap();
    let result = &json["result"];
    assert_eq!(result["processes"][0]["type"], "web");
    assert_eq!(result["layers"].as_array().unwrap().len(), 4);
    assert_eq!(result["config"]["User"], "1000:1000");
}

#[test]
#[ignore = "end-to-end: needs podman, docker-registry and Go"]
fn sbom_lists_the_go_modules_in_both_formats() {
    let cache = tempfile::tempdir().unwrap();
    build_quiet(cache.path(), &example("go-hello"), &["-t", "go-hello"]);
    let spdx: serde_json::Value =
        serde_json::from_str(&ok(host_go(cache.path()).args(["sbom", "go-hello"]))).unwrap();
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    let names: Vec<&str> = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(names.contains(&"github.com/go-chi/chi/v5"), "{names:?}");
    let cyclonedx =
        ok(host_go(cache.path()).args(["sbom", "go-hello", "--format", "cyclonedx-json"]));
    assert!(
        cyclonedx.contains("pkg:golang/github.com/go-chi/chi/v5@v5.2.3"),
        "{cyclonedx}"
    );
}

#[test]
#[ignore = "end-to-end: needs podman, docker-registry, Go and pack (scripts/test builds it)"]
fn pack_inspect_image_reads_a_slipway_image_as_buildpack_built() {
    require_tools();
    let pack = std::env::var("PACK").unwrap_or_else(|_| "pack".into());
    let registry = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    let image = format!("{}/go-hello:pack", registry.host());
    build_quiet(
        cache.path(),
        &example("go-hello"),
        &["-t", &image, "--publish"],
    );
    let inspect = ok(host_go(cache.path()).args(["inspect", &image, "--json"]));
    let json: serde_json::Value = serde_json::from_str(inspect.lines().last().unwrap()).unwrap();
    // The run image's top layer: the last of the layers the run image record counts.
    let base_layers = json["result"]["run_image"]["layers"].as_u64().unwrap();
    let top_layer = json["result"]["layers"][usize::try_from(base_layers).unwrap() - 1]["diff_id"]
        .as_str()
        .unwrap()
        .to_string();
    // pack asks a Docker daemon too; Podman's API stands in for it.
    let service = slipway_testkit::PodmanService::start();
    let out = std::process::Command::new(&pack)
        .args(["inspect-image", &image])
        .env("DOCKER_HOST", service.docker_host())
        .output()
        .unwrap_or_else(|e| panic!("running {pack} (scripts/test builds it; set PACK): {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Stack: io.slipway.stacks.scratch"), "{text}");
    assert!(text.contains(&format!("Top Layer: {top_layer}")), "{text}");
    assert!(
        text.contains("slipway/stack-scratch"),
        "the run image is named:\n{text}"
    );
    assert!(text.contains("slipway/go"), "{text}");
    assert!(
        text.contains("web (default)") && text.contains("/layers/slipway_go/app/bin/go-hello"),
        "{text}"
    );
}

/// The layer digests of `repo:tag`'s manifest in `registry`, either media type family.
fn manifest_layers(registry: &Registry, repo: &str, tag: &str) -> Vec<String> {
    let out = std::process::Command::new("curl")
        .args([
            "-fsS",
            "-H",
            "Accept: application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
        ])
        .arg(format!("{}/v2/{repo}/manifests/{tag}", registry.url()))
        .output()
        .unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect()
}

#[test]
#[ignore = "end-to-end: needs podman, docker-registry, Go and pack (scripts/test builds it)"]
fn pack_rebase_moves_a_slipway_image_onto_a_slipway_run_image() {
    require_tools();
    let pack = std::env::var("PACK").unwrap_or_else(|_| "pack".into());
    let registry = Registry::start();
    let cache = tempfile::tempdir().unwrap();
    let host = registry.host();
    // Two run images of the scratch stack that differ in their CA bundle; pack (through
    // go-containerregistry) writes Docker manifests, so the images use Docker's media types.
    let one_ca = cache.path().join("one-ca.pem");
    let bundle = std::fs::read_to_string(slipway_stack::find_host_ca_bundle().unwrap()).unwrap();
    let first = bundle
        .split_inclusive("-----END CERTIFICATE-----")
        .next()
        .unwrap();
    std::fs::write(&one_ca, first.trim_start()).unwrap();
    for (tag, extra) in [("old", None), ("new", Some(&one_ca))] {
        let mut cmd = host_go(cache.path());
        cmd.args([
            "stack",
            "build",
            "scratch",
            "-t",
            &format!("{host}/run:{tag}"),
        ])
        .args(["--media-types", "docker", "--publish", "-q"]);
        if let Some(file) = extra {
            cmd.arg("--ca-certs").arg(file);
        }
        ok(&mut cmd);
    }
    let image = format!("{host}/go-hello:pack");
    build_quiet(
        cache.path(),
        &example("go-hello"),
        &["-t", &image, "--media-types", "docker", "--publish"],
    );
    let before = manifest_layers(&registry, "go-hello", "pack");
    let service = slipway_testkit::PodmanService::start();
    // --force: pack only lets a run image through unasked when it is the one the image names,
    // and slipway names its run images by stack, not by where they were published.
    let out = std::process::Command::new(&pack)
        .args([
            "rebase",
            &image,
            "--run-image",
            &format!("{host}/run:new"),
            "--force",
            "--publish",
        ])
        .env("DOCKER_HOST", service.docker_host())
        .output()
        .unwrap_or_else(|e| panic!("running {pack} (scripts/test builds it; set PACK): {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    let after = manifest_layers(&registry, "go-hello", "pack");
    let new_base = manifest_layers(&registry, "run", "new");
    assert_eq!(after[..new_base.len()], new_base[..], "{text}");
    assert_ne!(after[0], before[0]);
    assert_eq!(
        after[new_base.len()..],
        before[1..],
        "the app layers are kept"
    );
    Podman::pull(&image);
    assert_eq!(greeting_of(&image), GREETING);
    Podman::rmi(&image);
}
