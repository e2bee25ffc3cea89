//! Bad input that needs no registry, engine or compiler: each gives one clear error, exit code 1,
//! and leaves the store as it was.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use common::{fails, redact, slipway, store_names};

#[test]
fn a_path_that_does_not_exist() {
    let cache = tempfile::tempdir().unwrap();
    let err = fails(slipway(cache.path()).args(["build", "/nonexistent/app"]));
    insta::assert_snapshot!(err, @"error: the app path /nonexistent/app does not exist
");
}

#[test]
fn a_directory_no_buildpack_detects() {
    let cache = tempfile::tempdir().unwrap();
    let app = tempfile::tempdir().unwrap();
    std::fs::write(app.path().join("README.md"), "not an app").unwrap();
    let err = fails(
        slipway(cache.path())
            .arg("build")
            .arg(app.path())
            .args(["-t", "x"]),
    );
    insta::assert_snapshot!(redact(&err, &[(app.path(), "APP")]), @"
    ==> Detecting the app in APP
    error: no buildpack detected an app in APP (looked for: go.mod (slipway/go), pom.xml, *.war, WEB-INF/ or an executable *.jar (slipway/java))
    hint: point slipway at an app directory, or name a buildpack with -b
    ");
    assert_eq!(store_names(cache.path()), "");
}

#[test]
fn an_invalid_image_name() {
    let cache = tempfile::tempdir().unwrap();
    let app = tempfile::tempdir().unwrap();
    let err = fails(
        slipway(cache.path())
            .arg("build")
            .arg(app.path())
            .args(["-t", "Not A/Valid::Name"]),
    );
    assert!(
        err.starts_with("error: \"Not A/Valid::Name\" is not a valid image name: "),
        "{err}"
    );
    assert!(
        err.contains("hint: image names look like NAME[:TAG]"),
        "{err}"
    );
}

#[test]
fn an_unknown_output_scheme() {
    let cache = tempfile::tempdir().unwrap();
    let app = tempfile::tempdir().unwrap();
    let err = fails(
        slipway(cache.path())
            .arg("build")
            .arg(app.path())
            .args(["-t", "x", "-o", "ftp://x"]),
    );
    insta::assert_snapshot!(err, @r#"
    error: unknown output "ftp://x"
    hint: use -o oci:DIR, -o docker-archive:FILE, -o daemon or -o registry
    "#);
}

#[test]
fn an_image_not_in_the_store() {
    let cache = tempfile::tempdir().unwrap();
    let err = fails(slipway(cache.path()).args(["inspect", "nothing-here"]));
    insta::assert_snapshot!(err, @"
    error: image nothing-here:latest is not in the local store
    hint: build it with `slipway build`, or see what the store has with `slipway images`
    ");
}

#[test]
fn json_errors_are_events_too() {
    let cache = tempfile::tempdir().unwrap();
    let out = slipway(cache.path())
        .args(["--json", "build", "/nonexistent/app"])
        .output()
        .unwrap();
    let line = String::from_utf8_lossy(&out.stdout);
    let event: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(event["event"], "error");
    assert_eq!(
        event["message"],
        "the app path /nonexistent/app does not exist"
    );
}
