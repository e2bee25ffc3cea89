//! End to end: the Java examples built from source by Maven in the debian-13 build environment
//! (dependencies from Maven Central), or from a WAR Maven built on the host, run in real Podman
//! under a memory limit, and pushed to a real registry.
//!
//! The tests share one slipway cache (kept in the target directory, so Maven's repository and
//! the Debian packages are downloaded once per machine) and take turns building, since two
//! Mavens must not fill one local repository at once. Each test tags its own images.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use common::{example, ok, run, slipway, store_names};
use slipway_testkit::{Podman, Registry, copy_dir, free_port, require_tools, wait_for_http};

const WAR_GREETING: &str = "Hello From Slipway On Tomcat!\n";
const JAR_GREETING: &str = "{\"greeting\":\"Hello from slipway!\"}";
const MIB: u64 = 1024 * 1024;

/// The cache all these tests build with.
fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-java-cache")
}

/// A slipway command on the shared cache, with the Debian cache the stack tests use.
fn java_slipway() -> Command {
    let mut cmd = slipway(&cache());
    cmd.env(
        "SLIPWAY_DEBIAN_CACHE",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("debian-cache"),
    );
    cmd
}

/// One build at a time (see the module's doc).
fn build_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Builds `app` (a path, or `-p PATH`) as `name` into podman (through a docker-archive) and
/// returns the build's log.
fn build_into_podman(app: &[&std::ffi::OsStr], name: &str, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("image.tar");
    let out = {
        let _turn = build_turn();
        run(java_slipway()
            .arg("build")
            .args(app)
            .args(["-t", name])
            .args(extra)
            .arg("-o")
            .arg(format!("docker-archive:{}", archive.display())))
    };
    assert_eq!(out.code, Some(0), "build failed:\n{}", out.stderr);
    let _ = Podman::load(&archive);
    out.stderr
}

/// The java-war example, built from source once for the tests that only run it.
fn java_war_image() -> &'static str {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let name = "localhost/slipway-e2e/java-war:source";
        let log = build_into_podman(&[example("java-war").as_os_str()], name, &[]);
        assert!(log.contains("migrating it to jakarta.servlet"), "{log}");
        name.to_string()
    })
}

/// Runs `image` with `-m memory`, waits for GET / and returns the body and the log.
fn serve(image: &str, memory: &str) -> (String, String) {
    let container = Podman::run_detached(image, free_port(), 8080, &["-m", memory]);
    let (status, body) = wait_for_http(&container.url(), Duration::from_secs(60));
    assert_eq!(status, 200, "logs:\n{}", container.logs());
    // The access log line is written after the response: give it a moment.
    std::thread::sleep(Duration::from_millis(300));
    (body, container.logs())
}

/// The `-Xmx` of the launcher's `JVM Memory Configuration:` line, in bytes.
fn heap_of(log: &str) -> u64 {
    let line = log
        .lines()
        .find(|l| l.starts_with("JVM Memory Configuration: "))
        .unwrap_or_else(|| panic!("no memory line in:\n{log}"));
    let xmx = line
        .split_whitespace()
        .find_map(|flag| flag.strip_prefix("-Xmx"))
        .unwrap();
    let (digits, unit) = xmx.split_at(xmx.len() - 1);
    let scale = match unit {
        "K" => 1024,
        "M" => MIB,
        "G" => 1024 * MIB,
        other => panic!("unit {other} in {line}"),
    };
    digits.parse::<u64>().unwrap() * scale
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror, Maven Central and podman"]
fn the_war_built_from_source_answers_in_256m_and_its_heap_follows_the_limit() {
    require_tools();
    let image = java_war_image();
    let (body, log) = serve(image, "256m");
    assert_eq!(body, WAR_GREETING);
    assert!(log.contains("Apache Tomcat/10.1"), "{log}");
    assert!(
        log.contains("[ACCESS] ") && log.contains("\"GET / HTTP/1.1\" 200"),
        "{log}"
    );
    let small = heap_of(&log);
    assert!(
        small > 32 * MIB && small < 200 * MIB,
        "-Xmx {small} in 256M:\n{log}"
    );

    let (_, log) = serve(image, "1g");
    let large = heap_of(&log);
    assert!(
        large > small + 600 * MIB,
        "-Xmx {large} in 1G, {small} in 256M"
    );

    let inspect = ok(java_slipway().args(["inspect", image]));
    assert!(
        inspect.contains("Memory:      256M (manifest.yml); the JVM needs at least 2"),
        "{inspect}"
    );
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror, Maven Central and podman"]
fn a_limit_too_small_for_the_jvm_fails_at_start_naming_the_limit_that_works() {
    require_tools();
    let image = java_war_image();
    let out = Command::new("podman")
        .args(["run", "--rm", "-m", "128m", image])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(
            "launcher: the container's memory limit 128M is too small for this JVM: it needs at least 2"
        ) && stderr.contains("raise the limit with -m"),
        "{stderr}"
    );
    // `slipway inspect` computes the same smallest limit before the image ever runs.
    let needed = stderr
        .split("it needs at least ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap();
    let inspect = ok(java_slipway().args(["inspect", image]));
    assert!(
        inspect.contains(&format!("the JVM needs at least {needed}\n")),
        "launcher: {needed}\n{inspect}"
    );
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror, Maven Central, Maven and podman"]
fn the_war_maven_built_on_the_host_runs_when_given_with_p() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("java-war");
    copy_dir(&example("java-war"), &app);
    let maven = Command::new("mvn")
        .args(["-B", "-q", "package", "-Dmaven.test.skip=true"])
        .current_dir(&app)
        .output()
        .unwrap();
    assert!(
        maven.status.success(),
        "{}",
        String::from_utf8_lossy(&maven.stdout)
    );
    let war = app.join("target/java-war.war");
    let name = "localhost/slipway-e2e/java-war:artifact";
    let log = build_into_podman(&["-p".as_ref(), war.as_os_str()], name, &[]);
    assert!(log.contains("(found java-war.war)"), "{log}");
    let (body, log) = serve(name, "256m");
    assert_eq!(body, WAR_GREETING);
    assert!(heap_of(&log) < 256 * MIB);
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror, Maven Central and podman"]
fn the_executable_jar_answers_in_256m() {
    require_tools();
    let name = "localhost/slipway-e2e/java-jar:source";
    let log = build_into_podman(&[example("java-jar").as_os_str()], name, &[]);
    assert!(
        log.contains("an executable JAR: runs on the JRE (run image flavor java-21)"),
        "{log}"
    );
    let (body, log) = serve(name, "256m");
    assert_eq!(body, JAR_GREETING);
    assert!(log.contains("java-jar listening on port 8080"), "{log}");
    assert!(heap_of(&log) < 256 * MIB);
}

/// The layers of `image` in the store: (what each holds, its digest).
fn layers(image: &str) -> Vec<(String, String)> {
    let out = ok(java_slipway().args(["inspect", image, "--json"]));
    let json: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    json["result"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["holds"].as_str().unwrap().to_string(),
                l["digest"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror, Maven Central, podman and docker-registry"]
fn a_one_class_change_rebuilds_and_pushes_only_the_classes_layer() {
    require_tools();
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("java-war");
    copy_dir(&example("java-war"), &app);
    let image = format!("{}/java-war:e2e", registry.host());
    let publish = |app: &Path| {
        let _turn = build_turn();
        ok(java_slipway()
            .arg("build")
            .arg(app)
            .args(["-t", &image, "--publish", "--json"]))
    };
    publish(&app);
    let before = layers(&image);
    let uploads = registry.blob_uploads().len();

    let servlet = app.join("src/main/java/io/slipway/examples/HelloServlet.java");
    let source = std::fs::read_to_string(&servlet).unwrap();
    std::fs::write(
        &servlet,
        source.replace("on tomcat!", "on tomcat, changed!"),
    )
    .unwrap();
    let out = publish(&app);
    let after = layers(&image);

    assert_eq!(before.len(), after.len());
    let changed: Vec<&String> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b.1 != a.1)
        .map(|(_, a)| &a.0)
        .collect();
    assert_eq!(changed.len(), 1, "{before:#?}\n{after:#?}");
    assert!(changed[0].contains("the app's classes"), "{changed:?}");
    let classes_digest = &after.iter().find(|l| l.0.contains("classes")).unwrap().1;
    let result: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    let new: Vec<String> = registry.blob_uploads()[uploads..]
        .iter()
        .map(|b| b.digest.clone())
        .collect();
    // The classes layer and the image config: nothing else crossed the network.
    assert_eq!(new.len(), 2, "{new:?}\n{result}");
    assert!(new.contains(classes_digest), "{new:?}");
    assert_eq!(
        result["result"]["outputs"][0]["uploaded_blobs"], 2,
        "{result}"
    );
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror and Maven Central"]
fn a_maven_build_that_fails_shows_mavens_output() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("broken-war");
    copy_dir(&example("java-war"), &app);
    let servlet = app.join("src/main/java/io/slipway/examples/HelloServlet.java");
    let source = std::fs::read_to_string(&servlet).unwrap();
    std::fs::write(
        &servlet,
        source.replace("IOException {", "IOException { int x = ;"),
    )
    .unwrap();
    let out = {
        let _turn = build_turn();
        run(java_slipway()
            .arg("build")
            .arg(&app)
            .args(["-t", "slipway-e2e/broken-war"]))
    };
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("error: building "), "{}", out.stderr);
    assert!(out.stderr.contains("Maven (mvn "), "{}", out.stderr);
    assert!(
        out.stderr.contains("  | [ERROR] COMPILATION ERROR"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("HelloServlet.java:["), "{}", out.stderr);
    assert!(out.stderr.contains("hint: fix the errors shown above"));
    assert!(!store_names(&cache()).contains("broken-war"));
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror, Maven Central and podman"]
fn the_spring_boot_jar_runs_exploded_in_256m() {
    require_tools();
    let name = "localhost/slipway-e2e/spring-boot:source";
    let log = build_into_podman(&[example("spring-boot").as_os_str()], name, &[]);
    assert!(
        log.contains("the app's release dependencies (30 files)"),
        "{log}"
    );
    let (body, log) = serve(name, "256m");
    assert_eq!(body, "Hello from slipway on Spring Boot!\n");
    assert!(log.contains("Started HelloApplication"), "{log}");
    assert!(heap_of(&log) < 256 * MIB);
    let inspect = ok(java_slipway().args(["inspect", name]));
    assert!(
        inspect.contains("java -cp /workspace org.springframework.boot.loader.launch.JarLauncher"),
        "{inspect}"
    );
}
