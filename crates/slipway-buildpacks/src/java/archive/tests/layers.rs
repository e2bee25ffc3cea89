//! The Jib-style four-way layer split.

use super::super::{
    JarManifest, JavaLayers, class_path_dependencies, split_boot_jar, split_plain_jar, split_war,
};
use super::{paths, write_tree};

#[test]
fn a_war_splits_into_four_layers() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("index.html", b"<h1>hi</h1>"),
            ("css/site.css", b"body {}"),
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
            ("WEB-INF/web.xml", b"<web-app/>"),
            ("WEB-INF/classes/com/example/Hello.class", b""),
            ("WEB-INF/classes/com/example/Hello$1.class", b""),
            ("WEB-INF/classes/logback.xml", b"<configuration/>"),
            ("WEB-INF/lib/guava-33.0.0-jre.jar", b""),
            ("WEB-INF/lib/commons-lang3-3.14.0.jar", b""),
            ("WEB-INF/lib/shared-model-1.2-SNAPSHOT.jar", b""),
        ],
    );
    std::fs::create_dir_all(dir.path().join("WEB-INF/empty")).unwrap();
    let layers = split_war(dir.path()).unwrap();
    assert_eq!(
        layers,
        JavaLayers {
            dependencies: paths(&[
                "WEB-INF/lib/commons-lang3-3.14.0.jar",
                "WEB-INF/lib/guava-33.0.0-jre.jar",
            ]),
            snapshot_dependencies: paths(&["WEB-INF/lib/shared-model-1.2-SNAPSHOT.jar"]),
            resources: paths(&[
                "META-INF/MANIFEST.MF",
                "WEB-INF/classes/logback.xml",
                "WEB-INF/web.xml",
                "css/site.css",
                "index.html",
            ]),
            classes: paths(&[
                "WEB-INF/classes/com/example/Hello$1.class",
                "WEB-INF/classes/com/example/Hello.class",
            ]),
        }
    );
}

#[test]
fn a_spring_boot_jar_splits_into_four_layers() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("META-INF/MANIFEST.MF", b"Main-Class: x\n"),
            (
                "org/springframework/boot/loader/launch/JarLauncher.class",
                b"",
            ),
            (
                "BOOT-INF/classpath.idx",
                b"- \"BOOT-INF/lib/spring-core-6.1.8.jar\"\n",
            ),
            ("BOOT-INF/layers.idx", b"- \"dependencies\":\n"),
            ("BOOT-INF/classes/application.yml", b"server.port: 8080\n"),
            (
                "BOOT-INF/classes/com/example/demo/DemoApplication.class",
                b"",
            ),
            ("BOOT-INF/lib/spring-core-6.1.8.jar", b""),
            ("BOOT-INF/lib/internal-util-0.3-SNAPSHOT.jar", b""),
        ],
    );
    let layers = split_boot_jar(dir.path()).unwrap();
    assert_eq!(
        layers,
        JavaLayers {
            dependencies: paths(&["BOOT-INF/lib/spring-core-6.1.8.jar"]),
            snapshot_dependencies: paths(&["BOOT-INF/lib/internal-util-0.3-SNAPSHOT.jar"]),
            resources: paths(&[
                "BOOT-INF/classes/application.yml",
                "BOOT-INF/classpath.idx",
                "BOOT-INF/layers.idx",
                "META-INF/MANIFEST.MF",
                "org/springframework/boot/loader/launch/JarLauncher.class",
            ]),
            classes: paths(&["BOOT-INF/classes/com/example/demo/DemoApplication.class"]),
        }
    );
}

#[test]
fn a_plain_jar_splits_into_classes_and_resources() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("META-INF/MANIFEST.MF", b"Main-Class: a.Main\n"),
            ("a/Main.class", b""),
            ("a/messages.properties", b"hello=hi\n"),
        ],
    );
    let layers = split_plain_jar(dir.path()).unwrap();
    assert_eq!(
        layers,
        JavaLayers {
            dependencies: vec![],
            snapshot_dependencies: vec![],
            resources: paths(&["META-INF/MANIFEST.MF", "a/messages.properties"]),
            classes: paths(&["a/Main.class"]),
        }
    );
}

#[test]
fn symlinks_are_listed_but_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    write_tree(outside.path(), &[("secret/Key.class", b"")]);
    write_tree(dir.path(), &[("a/Main.class", b"")]);
    std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("linked")).unwrap();
    let layers = split_plain_jar(dir.path()).unwrap();
    assert_eq!(layers.classes, paths(&["a/Main.class"]));
    assert_eq!(layers.resources, paths(&["linked"]));
}

#[test]
fn class_path_dependencies_are_the_existing_files_named() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("lib/first-1.0.jar", b""),
            ("lib/second-2.0.jar", b""),
            ("outside.jar", b""),
        ],
    );
    std::fs::create_dir_all(dir.path().join("classes")).unwrap();
    let manifest = JarManifest::parse(
        "Main-Class: a.Main\n\
         Class-Path: lib/second-2.0.jar lib/missing.jar ../outside.jar classes/\n  \
         lib/first-1.0.jar lib/second-2.0.jar /etc/passwd\n",
    );
    assert_eq!(
        class_path_dependencies(dir.path(), &manifest),
        paths(&["lib/second-2.0.jar", "lib/first-1.0.jar"])
    );
}
