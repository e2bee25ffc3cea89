//! End to end: `slipway rebase`. The java-war example is built and published against the
//! debian-13 release as it shipped (a `--release-only` lockfile), the lockfile is brought up to
//! date with `stack update`, and the image is rebased in the registry: only the new base layers,
//! the config and the manifest cross the network, the app layers stay where they are, and the
//! rebased image runs with the patched packages. Then the rebases slipway refuses, each of which
//! leaves the store as it was.
//!
//! The tests use the caches of `e2e_java` (Maven's repository and the Debian packages are
//! downloaded once per machine) and take turns building.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use common::{example, fails, ok, slipway};
use slipway_testkit::{
    Podman, Registry, copy_dir, free_port, http_request, require_tools, wait_for_http,
};

const WAR_GREETING: &str = "Hello From Slipway On Tomcat!\n";
const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// The cache `e2e_java` builds with.
fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-java-cache")
}

/// The Debian cache every end-to-end test shares.
fn debian_cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("debian-cache")
}

/// A slipway command on `cache`, with the shared Debian cache.
fn slipway_on(cache: &Path) -> Command {
    let mut cmd = slipway(cache);
    cmd.env("SLIPWAY_DEBIAN_CACHE", debian_cache());
    cmd
}

/// A slipway command on the shared cache.
fn java_slipway() -> Command {
    slipway_on(&cache())
}

/// One build at a time: two Mavens must not fill one local repository at once.
fn build_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The last line of `--json` output: the result.
fn result_of(stdout: &str) -> serde_json::Value {
    let line = stdout.lines().last().unwrap();
    let event: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(event["event"], "result", "{stdout}");
    event["result"].clone()
}

/// A registry image's manifest, fetched as any client would.
fn manifest(registry: &Registry, repo: &str, tag: &str) -> serde_json::Value {
    let url = format!("{}/v2/{repo}/manifests/{tag}", registry.url());
    let response = http_request("GET", &url, &[("Accept", MANIFEST_ACCEPT)]).unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    serde_json::from_str(&response.body).unwrap()
}

/// The layer digests of a manifest, bottom first.
fn layer_digests(manifest: &serde_json::Value) -> Vec<String> {
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect()
}

/// The (name, version) of every package syft finds in `image`, read from its registry.
fn syft_packages(image: &str) -> Vec<(String, String)> {
    let syft = std::env::var("SYFT").unwrap_or_else(|_| "syft".into());
    let scan = Command::new(&syft)
        .args(["scan", &format!("registry:{image}"), "-o", "json", "-q"])
        .env("SYFT_REGISTRY_INSECURE_USE_HTTP", "true")
        .output()
        .unwrap_or_else(|e| panic!("running {syft} (scripts/test installs it): {e}"));
    assert!(
        scan.status.success(),
        "{}",
        String::from_utf8_lossy(&scan.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&scan.stdout).unwrap();
    report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| {
            Some((
                a["name"].as_str()?.to_string(),
                a["version"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// The version a dpkg status entry of `image` gives `package`, read from a created (not run)
/// container, since the run image has no shell.
fn dpkg_version(image: &str, package: &str) -> Option<String> {
    let container = Podman::cli(["create", image]).trim().to_string();
    let dir = tempfile::tempdir().unwrap();
    let copied = Command::new("podman")
        .arg("cp")
        .arg(format!("{container}:/var/lib/dpkg/status.d/{package}"))
        .arg(dir.path())
        .output()
        .unwrap();
    Podman::cli(["rm", "-f", &container]);
    if !copied.status.success() {
        return None;
    }
    let status = std::fs::read_to_string(dir.path().join(package)).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Version: "))
        .map(str::to_string)
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror, Maven Central, podman and docker-registry"]
fn a_security_update_rebases_a_registry_image_without_moving_its_app_layers() {
    require_tools();
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("slipway.lock");
    ok(java_slipway()
        .args(["stack", "resolve", "debian-13", "--release-only", "-l"])
        .arg(&lock));
    let app = dir.path().join("java-war");
    copy_dir(&example("java-war"), &app);
    std::fs::copy(&lock, app.join("slipway.lock")).unwrap();
    let image = format!("{}/java-war:patch", registry.host());
    {
        let _turn = build_turn();
        ok(java_slipway()
            .arg("build")
            .arg(&app)
            .args(["-t", &image, "--publish", "--quiet"]));
    }
    let before = manifest(&registry, "java-war", "patch");
    ok(java_slipway().args(["stack", "update", "-l"]).arg(&lock));

    // Another machine (an empty store) rebases the image where it is: in the registry.
    let uploads = registry.blob_uploads().len();
    let log_start = registry.log().len();
    let elsewhere = tempfile::tempdir().unwrap();
    let out = ok(slipway_on(elsewhere.path())
        .args(["rebase", &image, "-l"])
        .arg(&lock)
        .arg("--json"));
    let result = result_of(&out);
    let rebased = &result["images"][0];
    assert_eq!(rebased["already_current"], false, "{result}");
    let changes = rebased["changes"].as_array().unwrap();
    // Updated packages (not added or removed ones): (name, new version).
    let updated: Vec<(&str, &str)> = changes
        .iter()
        .filter(|c| c["from"].is_string())
        .filter_map(|c| Some((c["package"].as_str()?, c["to"].as_str()?)))
        .collect();
    assert!(!updated.is_empty(), "no package changed: {result}");
    assert!(changes.iter().all(|c| c["from"] != c["to"]), "{result}");

    let after = manifest(&registry, "java-war", "patch");
    assert_eq!(
        rebased["digest"],
        registry.manifest_digest("java-war", "patch").unwrap(),
        "{result}"
    );
    let replaced = usize::try_from(rebased["replaced_layers"].as_u64().unwrap()).unwrap();
    let kept = usize::try_from(rebased["kept_layers"].as_u64().unwrap()).unwrap();
    let (old_layers, new_layers) = (layer_digests(&before), layer_digests(&after));
    let app_layers = &old_layers[replaced..];
    assert_eq!(app_layers.len(), kept);
    assert_eq!(&new_layers[new_layers.len() - kept..], app_layers);
    let new_base: HashSet<&String> = new_layers[..new_layers.len() - kept].iter().collect();
    let config = after["config"]["digest"].as_str().unwrap().to_string();

    // What went up: new base layers and the config; no app layer, up or down.
    let sent: Vec<String> = registry.blob_uploads()[uploads..]
        .iter()
        .map(|b| b.digest.clone())
        .collect();
    assert!(sent.contains(&config), "{sent:?}");
    for digest in &sent {
        assert!(!app_layers.contains(digest), "app layer {digest} uploaded");
        assert!(
            *digest == config || new_base.contains(digest),
            "{digest} is neither a new base layer nor the config"
        );
    }
    assert_eq!(rebased["uploaded_blobs"], sent.len(), "{result}");
    let log = registry.log()[log_start..].to_string();
    let fetched: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("\"GET /v2/java-war/blobs/"))
        .collect();
    for digest in app_layers {
        assert!(
            !fetched.iter().any(|l| l.contains(digest.as_str())),
            "app layer {digest} downloaded:\n{fetched:#?}"
        );
    }

    // The rebased image runs, and carries the patched packages.
    Podman::pull(&image);
    let container = Podman::run_detached(&image, free_port(), 8080, &["-m", "256m"]);
    let (status, body) = wait_for_http(&container.url(), Duration::from_secs(60));
    assert_eq!(status, 200, "logs:\n{}", container.logs());
    assert_eq!(body, WAR_GREETING);
    let (package, found, to) = updated
        .iter()
        .find_map(|(name, to)| Some((*name, dpkg_version(&image, name)?, *to)))
        .unwrap_or_else(|| panic!("no dpkg status entry for any of {updated:?}"));
    assert_eq!(found, to, "the dpkg status entry of {package}");
    // An SBOM tool nobody here wrote (syft, which scripts/test installs) sees the patch too.
    let versions = syft_packages(&image);
    assert!(
        versions.contains(&(package.to_string(), to.to_string())),
        "syft does not see {package} {to}"
    );
    drop(container);
    Podman::rmi(&image);
}

/// The java-war example built (current indexes) into the shared store, for the refusals.
fn java_war_in_store() -> &'static str {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let name = "slipway-e2e/java-war:rebase";
        let _turn = build_turn();
        ok(java_slipway()
            .arg("build")
            .arg(example("java-war"))
            .args(["-t", name, "--quiet"]));
        name.to_string()
    })
}

/// `slipway stack build STACK --flavor FLAVOR` into the shared store; returns its name.
fn run_image(stack: &str, flavor: &str) -> String {
    let _turn = build_turn();
    ok(java_slipway().args(["stack", "build", stack, "--flavor", flavor, "--quiet"]));
    format!("slipway/{stack}-{flavor}")
}

/// What the store names, and their digests.
fn store_state() -> String {
    ok(java_slipway().args(["images", "--json"]))
}

/// Rebases `image` (with `extra`), which must fail and leave the store as it was; returns stderr.
fn refused(image: &str, extra: &[&str]) -> String {
    let before = store_state();
    let stderr = fails(java_slipway().args(["rebase", image]).args(extra));
    assert_eq!(store_state(), before, "a refused rebase changed the store");
    stderr
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror, Maven Central, podman and docker-registry"]
fn a_run_image_of_another_runtime_flavor_or_stack_is_refused() {
    let app = java_war_in_store();
    let java25 = run_image("debian-13", "java-25-tomcat");
    let stderr = refused(app, &["--run-image", &java25]);
    assert!(
        stderr.contains("runs on java-21, and the run image has java-25: a new runtime major version needs a rebuild"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: rebuild the app (`slipway build`)"),
        "{stderr}"
    );

    let plain_java = run_image("debian-13", "java-21");
    let stderr = refused(app, &["--run-image", &plain_java]);
    assert!(
        stderr.contains("runs on the java-21-tomcat flavor, and the run image is java-21"),
        "{stderr}"
    );

    let bookworm = run_image("debian-12", "java-17-tomcat");
    let stderr = refused(app, &["--run-image", &bookworm]);
    assert!(
        stderr.contains(
            "is built on stack io.slipway.stacks.debian-13, and the run image is of stack io.slipway.stacks.debian-12"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: rebuild the app on that stack"),
        "{stderr}"
    );
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror, Maven Central, podman and docker-registry"]
fn an_image_slipway_did_not_build_is_refused() {
    {
        let _turn = build_turn();
        ok(java_slipway().args([
            "stack",
            "build",
            "debian-13",
            "-t",
            "slipway-e2e/plain",
            "-q",
        ]));
    }
    let stderr = refused("slipway-e2e/plain", &[]);
    assert!(
        stderr.contains("was not built by slipway or a Cloud Native Buildpacks platform"),
        "{stderr}"
    );
    let stderr = refused("slipway-e2e/no-such-image", &[]);
    assert!(
        stderr.contains("slipway-e2e/no-such-image")
            && stderr.contains("is not in the local store"),
        "{stderr}"
    );
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror, Maven Central, podman and docker-registry"]
fn an_image_already_on_the_newest_run_image_is_left_as_it_is() {
    let app = java_war_in_store();
    let before = store_state();
    let out = ok(java_slipway().args(["rebase", app]));
    assert!(
        out.contains("is already on this run image (slipway/debian-13-java-21-tomcat@sha256:"),
        "{out}"
    );
    assert_eq!(store_state(), before);
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror, Maven Central, podman and docker-registry"]
fn extra_ca_certificates_stay_through_a_rebase() {
    // One CA of this machine's bundle, as an enterprise CA would be given.
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("enterprise-ca.pem");
    let bundle = std::fs::read_to_string(slipway_stack::find_host_ca_bundle().unwrap()).unwrap();
    let first = bundle
        .split_inclusive("-----END CERTIFICATE-----")
        .next()
        .unwrap();
    std::fs::write(&ca, first.trim_start()).unwrap();
    let name = "slipway-e2e/java-jar-ca:1";
    {
        let _turn = build_turn();
        ok(java_slipway()
            .arg("build")
            .arg(common::example("java-jar"))
            .args(["-t", name, "--ca-certs"])
            .arg(&ca));
    }
    // The newest run image with the same CA is the one it stands on: nothing to do. Without
    // the CA it would be another run image, and the rebase would drop the CA.
    let out = ok(java_slipway().args(["rebase", name]));
    assert!(out.contains("is already on this run image"), "{out}");
}
