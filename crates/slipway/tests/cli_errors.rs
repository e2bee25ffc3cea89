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

#[test]
fn a_war_that_is_not_a_zip() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let war = dir.path().join("app.war");
    std::fs::write(&war, "<html>a login page saved as app.war</html>").unwrap();
    let err = fails(slipway(cache.path()).arg("build").arg(&war));
    insta::assert_snapshot!(redact(&err, &[(dir.path(), "DIR")]), @"
    ==> Detecting the app in DIR/app.war
        slipway/java 0.1.0 (found app.war)
    error: slipway/java: DIR/app.war is not a WAR: it is not a zip archive (a WAR is a zip file; this one may be truncated or not a Java archive at all)
    hint: rebuild the artifact (`mvn package`), or point slipway at the project directory and let it build
    ");
    assert_eq!(store_names(cache.path()), "");
}

#[test]
fn a_jar_with_no_main_class() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("lib.jar");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&jar).unwrap());
    zip.start_file(
        "META-INF/MANIFEST.MF",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    std::io::Write::write_all(&mut zip, b"Manifest-Version: 1.0\r\n\r\n").unwrap();
    zip.finish().unwrap();
    let err = fails(slipway(cache.path()).arg("build").arg(&jar));
    insta::assert_snapshot!(redact(&err, &[(dir.path(), "DIR")]), @"
    ==> Detecting the app in DIR/lib.jar
        slipway/java 0.1.0 (found lib.jar)
    error: slipway/java: DIR/lib.jar is not a runnable JAR: a runnable JAR needs a Main-Class attribute in META-INF/MANIFEST.MF (set it with maven-jar-plugin's <archive><manifest><mainClass>, or build a Spring Boot or shaded JAR)
    ");
    assert_eq!(store_names(cache.path()), "");
}

#[test]
fn a_java_version_the_stack_lacks() {
    let cache = tempfile::tempdir().unwrap();
    let app = common::example("java-jar").canonicalize().unwrap();
    let err = fails(
        slipway(cache.path())
            .arg("build")
            .arg(&app)
            .args(["-e", "BP_JVM_VERSION=26"]),
    );
    insta::assert_snapshot!(redact(&err, &[(&app, "APP")]), @"
    ==> Detecting the app in APP
        slipway/java 0.1.0 (found pom.xml)
    error: slipway/java: the app asks for Java 26 (BP_JVM_VERSION) but debian-13 has Java 21 and 25
    hint: set BP_JVM_VERSION to 21 or 25, or build with --stack <other> naming a stack that has Java 26 (`slipway stack list` shows them)
    ");
    assert_eq!(store_names(cache.path()), "");
}

#[test]
fn a_manifest_memory_that_is_not_a_size() {
    let cache = tempfile::tempdir().unwrap();
    let app = tempfile::tempdir().unwrap();
    std::fs::write(app.path().join("go.mod"), "module x\n").unwrap();
    std::fs::write(
        app.path().join("manifest.yml"),
        "applications:\n- name: x\n  memory: lots\n",
    )
    .unwrap();
    let err = fails(slipway(cache.path()).arg("build").arg(app.path()));
    insta::assert_snapshot!(redact(&err, &[(app.path(), "APP")]), @r#"error: APP/manifest.yml: memory "lots" is not a size such as 256M or 1G"#);
    assert_eq!(store_names(cache.path()), "");
}
