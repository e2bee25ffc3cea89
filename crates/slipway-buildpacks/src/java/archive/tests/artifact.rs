//! Telling what an app is, and finding its artifact.

use std::path::Path;

use super::super::{ArchiveError, ArtifactKind, find_artifact, inspect_artifact};
use super::{manifest_text, write_tree, write_zip};

/// Writes a runnable JAR at `path` with `main` as its `Main-Class` and `filler` bytes of payload.
fn write_runnable_jar(path: &Path, main: &str, filler: usize) {
    let manifest = manifest_text(&[("Main-Class", main)]);
    let payload = vec![b'x'; filler];
    write_zip(
        path,
        &[
            ("META-INF/MANIFEST.MF", &manifest),
            ("payload.bin", &payload),
        ],
    );
}

#[test]
fn a_war_that_is_not_a_zip_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let war = dir.path().join("app.war");
    std::fs::write(&war, "<html>404 Not Found</html>").unwrap();
    let error = inspect_artifact(&war).unwrap_err();
    assert!(matches!(error, ArchiveError::NotAZip { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "{} is not a WAR: it is not a zip archive (a WAR is a zip file; this one may be \
             truncated or not a Java archive at all)",
            war.display()
        )
    );
}

#[test]
fn a_jar_that_is_not_a_zip_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("app.jar");
    std::fs::write(&jar, "").unwrap();
    let error = inspect_artifact(&jar).unwrap_err();
    assert!(
        error.to_string().starts_with(&format!(
            "{} is not a JAR: it is not a zip archive",
            jar.display()
        )),
        "{error}"
    );
}

#[test]
fn a_jar_without_main_class_says_how_to_set_one() {
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("library.jar");
    let manifest = manifest_text(&[]);
    write_zip(&jar, &[("META-INF/MANIFEST.MF", &manifest)]);
    let error = inspect_artifact(&jar).unwrap_err();
    assert!(
        matches!(error, ArchiveError::NoMainClass { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "{} is not a runnable JAR: a runnable JAR needs a Main-Class attribute in \
             META-INF/MANIFEST.MF (set it with maven-jar-plugin's \
             <archive><manifest><mainClass>, or build a Spring Boot or shaded JAR)",
            jar.display()
        )
    );
    let bare = dir.path().join("bare.jar");
    write_zip(&bare, &[("com/example/Util.class", b"")]);
    let error = inspect_artifact(&bare).unwrap_err();
    assert!(
        matches!(error, ArchiveError::NoMainClass { .. }),
        "{error:?}"
    );
}

#[test]
fn a_runnable_jar_names_its_main_class() {
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("app.jar");
    write_runnable_jar(&jar, "com.example.Main", 0);
    let artifact = inspect_artifact(&jar).unwrap().unwrap();
    assert_eq!(artifact.path, jar);
    assert_eq!(
        artifact.kind,
        ArtifactKind::ExecutableJar {
            main_class: "com.example.Main".into(),
            spring_boot: false
        }
    );
    assert_eq!(artifact.start_class(), None);
}

#[test]
fn a_spring_boot_jar_names_its_start_class() {
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("demo-0.0.1-SNAPSHOT.jar");
    let manifest = manifest_text(&[
        (
            "Main-Class",
            "org.springframework.boot.loader.launch.JarLauncher",
        ),
        ("Start-Class", "com.example.demo.DemoApplication"),
        ("Spring-Boot-Version", "3.3.0"),
    ]);
    write_zip(&jar, &[("META-INF/MANIFEST.MF", &manifest)]);
    let artifact = inspect_artifact(&jar).unwrap().unwrap();
    assert_eq!(
        artifact.kind,
        ArtifactKind::ExecutableJar {
            main_class: "org.springframework.boot.loader.launch.JarLauncher".into(),
            spring_boot: true
        }
    );
    assert_eq!(
        artifact.start_class(),
        Some("com.example.demo.DemoApplication")
    );
}

#[test]
fn a_war_needs_no_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let war = dir.path().join("app.war");
    write_zip(&war, &[("WEB-INF/web.xml", b"<web-app/>")]);
    let artifact = inspect_artifact(&war).unwrap().unwrap();
    assert_eq!(artifact.kind, ArtifactKind::War);
    assert_eq!(artifact.manifest.main_class(), None);
}

#[test]
fn directories_are_exploded_wars_or_jars_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let war = dir.path().join("war");
    write_tree(&war, &[("WEB-INF/classes/com/example/Hello.class", b"")]);
    let artifact = inspect_artifact(&war).unwrap().unwrap();
    assert_eq!(artifact.kind, ArtifactKind::ExplodedWar);

    let jar = dir.path().join("jar");
    let manifest = manifest_text(&[("Main-Class", "com.example.Main")]);
    write_tree(&jar, &[("META-INF/MANIFEST.MF", &manifest)]);
    let artifact = inspect_artifact(&jar).unwrap().unwrap();
    assert_eq!(artifact.path, jar);
    assert!(matches!(artifact.kind, ArtifactKind::ExecutableJar { .. }));

    let other = dir.path().join("other");
    write_tree(&other, &[("README.md", b"hello")]);
    assert_eq!(inspect_artifact(&other).unwrap(), None);
    assert_eq!(inspect_artifact(&other.join("README.md")).unwrap(), None);
}

#[test]
fn find_skips_build_by_products_in_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    write_runnable_jar(&target.join("app-1.0.jar"), "com.example.Main", 10);
    for by_product in [
        "app-1.0-sources.jar",
        "app-1.0-javadoc.jar",
        "app-1.0-tests.jar",
        "original-app-1.0.jar",
        "app-1.0.jar.original",
    ] {
        write_runnable_jar(&target.join(by_product), "com.example.Other", 1000);
    }
    let artifact = find_artifact(dir.path()).unwrap().unwrap();
    assert_eq!(artifact.path, target.join("app-1.0.jar"));
}

#[test]
fn find_prefers_a_war_then_the_largest_jar() {
    let dir = tempfile::tempdir().unwrap();
    write_runnable_jar(&dir.path().join("app-1.0.jar"), "com.example.Thin", 10);
    write_runnable_jar(
        &dir.path().join("app-1.0-shaded.jar"),
        "com.example.Fat",
        5000,
    );
    let artifact = find_artifact(dir.path()).unwrap().unwrap();
    assert_eq!(artifact.path, dir.path().join("app-1.0-shaded.jar"));

    write_zip(&dir.path().join("app.war"), &[("index.html", b"hi")]);
    let artifact = find_artifact(dir.path()).unwrap().unwrap();
    assert_eq!(artifact.kind, ArtifactKind::War);
}

#[test]
fn find_prefers_the_app_directory_over_target() {
    let dir = tempfile::tempdir().unwrap();
    write_runnable_jar(&dir.path().join("target/big.jar"), "a.Big", 5000);
    write_runnable_jar(&dir.path().join("app.jar"), "a.App", 10);
    let artifact = find_artifact(dir.path()).unwrap().unwrap();
    assert_eq!(artifact.path, dir.path().join("app.jar"));
}

#[test]
fn find_takes_an_exploded_app_as_it_is_and_finds_nothing_in_an_empty_one() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(find_artifact(dir.path()).unwrap(), None);
    write_tree(dir.path(), &[("WEB-INF/web.xml", b"<web-app/>")]);
    write_runnable_jar(&dir.path().join("tool.jar"), "a.Tool", 10);
    let artifact = find_artifact(dir.path()).unwrap().unwrap();
    assert_eq!(artifact.kind, ArtifactKind::ExplodedWar);
    assert_eq!(artifact.path, dir.path());
}
