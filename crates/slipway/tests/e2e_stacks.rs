//! End to end: run images made by slipway from real Debian packages (the mirror named by this
//! machine's apt sources, verified against its Debian archive keyring), loaded and run in real
//! Podman. Indexes and .debs are cached in the target directory, shared by these tests and kept
//! between runs; each test has its own store.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{fails, ok, slipway};
use slipway_testkit::{Podman, require_tools};

/// The Debian cache every test shares (content-addressed and verified, so sharing is safe).
fn debian_cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("debian-cache")
}

fn debian(cache: &Path) -> Command {
    let mut cmd = slipway(cache);
    cmd.env("SLIPWAY_DEBIAN_CACHE", debian_cache());
    cmd
}

/// A debian-13 lockfile resolved once per run (all suites: what users get).
fn lockfile() -> &'static Path {
    static LOCK: OnceLock<PathBuf> = OnceLock::new();
    LOCK.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-stacks");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("debian-13.lock");
        let cache = tempfile::tempdir().unwrap();
        ok(debian(cache.path())
            .args(["stack", "resolve", "debian-13", "-l"])
            .arg(&path));
        path
    })
}

/// Builds `flavor` into a docker-archive, loads it into podman, and returns its name.
fn load_flavor(flavor: &str) -> String {
    require_tools();
    let cache = tempfile::tempdir().unwrap();
    let archive = cache.path().join("image.tar");
    let name = format!("localhost/slipway-e2e/debian-13-{flavor}:latest");
    ok(debian(cache.path())
        .args([
            "stack",
            "build",
            "debian-13",
            "--flavor",
            flavor,
            "-t",
            &name,
            "-l",
        ])
        .arg(lockfile())
        .arg("-o")
        .arg(format!("docker-archive:{}", archive.display())));
    let _ = Podman::load(&archive);
    name
}

/// What `entrypoint args` prints (stdout, then stderr: the JVM prints settings there) in `image`.
fn run_in(image: &str, entrypoint: &str, args: &[&str]) -> String {
    let out = Command::new("podman")
        .args(["run", "--rm", "--entrypoint", entrypoint, image])
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{entrypoint} {args:?} failed in {image}:\n{text}"
    );
    text
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror from apt sources and podman"]
fn base_flavor_loads_in_podman_and_runs_as_uid_1000() {
    let image = load_flavor("base");
    let user = Podman::cli(["image", "inspect", "--format", "{{.User}}", &image]);
    assert_eq!(user.trim(), "1000:1000");
    let version = run_in(&image, "/lib64/ld-linux-x86-64.so.2", &["--version"]);
    assert!(version.contains("GLIBC 2.41"), "{version}");
    Podman::rmi(&image);
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror from apt sources and podman"]
fn java_flavor_runs_java_and_trusts_the_ca_bundle() {
    let image = load_flavor("java-21");
    let settings = run_in(&image, "java", &["-XshowSettings:properties", "-version"]);
    assert!(settings.contains("openjdk version \"21"), "{settings}");
    assert!(settings.contains("user.name = cnb"), "{settings}");
    let keystore = run_in(
        &image,
        "/usr/lib/jvm/java-21-openjdk-amd64/bin/keytool",
        &["-list", "-cacerts", "-storepass", "changeit"],
    );
    let count: usize = keystore
        .lines()
        .find_map(|l| {
            l.strip_prefix("Your keystore contains ")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("{keystore}"));
    assert!(count > 100, "{keystore}");
    Podman::rmi(&image);
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror from apt sources and podman"]
fn python_flavor_trusts_the_ca_bundle_and_says_debian_13() {
    let image = load_flavor("python");
    let script = "import ssl, os; print(len(ssl.create_default_context().get_ca_certs()), os.getuid()); print(open('/etc/os-release').read())";
    let out = run_in(&image, "python3", &["-c", script]);
    let mut first = out.lines().next().unwrap().split(' ');
    let cas: usize = first.next().unwrap().parse().unwrap();
    assert!(cas > 100, "{out}");
    assert_eq!(first.next(), Some("1000"));
    assert!(out.contains("VERSION_ID=\"13\""), "{out}");
    Podman::rmi(&image);
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror from apt sources and podman"]
fn the_same_lockfile_gives_the_same_digests_from_empty_stores() {
    let digest = |flavor: &str| {
        let cache = tempfile::tempdir().unwrap();
        ok(debian(cache.path())
            .args([
                "stack",
                "build",
                "debian-13",
                "--flavor",
                flavor,
                "-q",
                "-l",
            ])
            .arg(lockfile()))
    };
    assert_eq!(digest("base"), digest("base"));
    assert_eq!(digest("nodejs"), digest("nodejs"));
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror from apt sources and podman"]
fn stack_update_shows_what_the_security_suite_patches() {
    let cache = tempfile::tempdir().unwrap();
    let lock = cache.path().join("slipway.lock");
    ok(debian(cache.path())
        .args(["stack", "resolve", "debian-13", "--release-only", "-l"])
        .arg(&lock));
    let text = std::fs::read_to_string(&lock).unwrap();
    assert!(
        !text.contains("trixie-security"),
        "a release-only lockfile uses no security suite"
    );
    let out = ok(debian(cache.path())
        .args(["stack", "update", "--json", "-l"])
        .arg(&lock));
    let result: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    let changes = result["result"]["changes"].as_array().unwrap();
    let patched: Vec<&serde_json::Value> = changes
        .iter()
        .filter(|c| c["new"].as_str().is_some_and(|v| v.contains("deb13u")))
        .collect();
    assert!(!patched.is_empty(), "{out}");
    assert!(
        std::fs::read_to_string(&lock)
            .unwrap()
            .contains("trixie-security")
    );
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror from apt sources and podman"]
fn syft_finds_the_lockfiles_packages_in_the_java_flavor() {
    let syft = std::env::var("SYFT").unwrap_or_else(|_| "syft".into());
    let cache = tempfile::tempdir().unwrap();
    let layout = cache.path().join("layout");
    ok(debian(cache.path())
        .args(["stack", "build", "debian-13", "--flavor", "java-21", "-l"])
        .arg(lockfile())
        .arg("-o")
        .arg(format!("oci:{}", layout.display())));
    let out = Command::new(&syft)
        .args([
            "scan",
            &format!("oci-dir:{}", layout.display()),
            "-o",
            "json",
            "-q",
        ])
        .output()
        .unwrap_or_else(|e| panic!("running {syft} (scripts/test installs it): {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut found: Vec<(String, String)> = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        // What syft reads from the dpkg database (status.d); its ELF-note cataloger also names
        // the source packages of a few libraries, which are not packages of the image.
        .filter(|a| a["foundBy"] == "dpkg-db-cataloger")
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    found.dedup();
    let lock: toml_like::Lock = toml_like::read(lockfile());
    let expected = lock.set("flavor:java-21");
    assert_eq!(found, expected);
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror from apt sources and podman"]
fn a_package_the_mirror_no_longer_serves_names_the_fix() {
    let cache = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(lockfile()).unwrap();
    let mut withdrawn = slipway_debian::lockfile::Lockfile::parse(&text).unwrap();
    let tzdata = withdrawn
        .packages
        .iter_mut()
        .find(|p| p.name == "tzdata")
        .unwrap();
    tzdata.filename = tzdata.filename.replace("/tzdata_", "/tzdata-withdrawn_");
    tzdata.sha256 = "0".repeat(64);
    let lock = cache.path().join("slipway.lock");
    std::fs::write(&lock, withdrawn.to_toml().unwrap()).unwrap();
    let err = fails(
        debian(cache.path())
            .args(["stack", "build", "debian-13", "-l"])
            .arg(&lock),
    );
    assert!(err.contains("no longer serves tzdata"), "{err}");
    assert!(err.contains("slipway stack update"), "{err}");
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror from apt sources and podman"]
fn an_unknown_flavor_lists_the_flavors() {
    let cache = tempfile::tempdir().unwrap();
    let err = fails(
        debian(cache.path())
            .args(["stack", "build", "debian-13", "--flavor", "ruby", "-l"])
            .arg(lockfile()),
    );
    assert!(
        err.contains(
            "debian-13 has no flavor \"ruby\" (flavors: base, java-21, java-21-tomcat, java-25, java-25-tomcat, nodejs, python)"
        ),
        "{err}"
    );
}

/// Just enough of the lockfile for the test: its packages and sets.
mod toml_like {
    use std::path::Path;

    pub struct Lock(slipway_debian::lockfile::Lockfile);

    pub fn read(path: &Path) -> Lock {
        Lock(
            slipway_debian::lockfile::Lockfile::parse(&std::fs::read_to_string(path).unwrap())
                .unwrap(),
        )
    }

    impl Lock {
        pub fn set(&self, name: &str) -> Vec<(String, String)> {
            let mut packages: Vec<(String, String)> = self.0.sets[name]
                .iter()
                .map(|n| (n.clone(), self.0.package(n).unwrap().version.clone()))
                .collect();
            packages.sort();
            packages
        }
    }
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror from apt sources and podman"]
fn the_build_environment_is_debian_13_as_a_non_root_user_with_go() {
    let cache = tempfile::tempdir().unwrap();
    let run = |command: &[&str]| {
        ok(debian(cache.path())
            .args(["stack", "exec", "-q", "-l"])
            .arg(lockfile())
            .arg("--")
            .args(command))
    };
    let os_release = run(&["cat", "/etc/os-release"]);
    assert!(
        os_release.contains("VERSION_ID=\"13\""),
        "on this Debian 12 host the build environment is 13: {os_release}"
    );
    assert_eq!(run(&["id", "-u"]).trim(), "1000");
    assert!(run(&["go", "version"]).starts_with("go version go1.24"));
    let status = debian(cache.path())
        .args(["stack", "exec", "-q", "-l"])
        .arg(lockfile())
        .args(["--", "sh", "-c", "exit 3"])
        .status()
        .unwrap();
    assert_eq!(
        status.code(),
        Some(3),
        "the command's exit status is slipway's"
    );
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror from apt sources and podman"]
fn go_hello_builds_in_the_build_environment_and_runs_on_debian_13() {
    require_tools();
    let cache = tempfile::tempdir().unwrap();
    let app = cache.path().join("go-hello");
    slipway_testkit::copy_dir(&common::example("go-hello"), &app);
    std::fs::copy(lockfile(), app.join("slipway.lock")).unwrap();
    let archive = cache.path().join("go-hello.tar");
    let image = "localhost/slipway-e2e/go-hello-debian:latest";
    let out = ok(debian(cache.path())
        .arg("build")
        .arg(&app)
        .args(["-t", image, "-o"])
        .arg(format!("docker-archive:{}", archive.display())));
    assert!(out.contains("Successfully built"), "{out}");
    let _ = Podman::load(&archive);
    let labels = Podman::cli(["image", "inspect", "--format", "{{json .Labels}}", image]);
    assert!(
        labels.contains("io.slipway.run-image") && labels.contains("lockfile"),
        "{labels}"
    );
    let container = Podman::run_detached(image, slipway_testkit::free_port(), 8080, &[]);
    let (status, body) =
        slipway_testkit::wait_for_http(&container.url(), std::time::Duration::from_secs(30));
    assert_eq!(
        (status, body.as_str()),
        (200, "Hello from slipway!\n"),
        "{}",
        container.logs()
    );
    drop(container);
    // Built with Debian's Go inside the build environment, not the host's.
    let sbom = ok(debian(cache.path()).args(["sbom", image, "--format", "cyclonedx-json"]));
    assert!(
        sbom.contains("pkg:golang/stdlib@1.24"),
        "the build environment's Go compiled it"
    );
    assert!(sbom.contains("pkg:deb/debian/libc6@"), "{sbom}");
    Podman::rmi(image);
}
