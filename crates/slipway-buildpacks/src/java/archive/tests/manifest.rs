//! `MANIFEST.MF` parsing per the JAR File Specification.

use super::super::JarManifest;

#[test]
fn continuation_lines_are_joined_without_their_leading_space() {
    let manifest = JarManifest::parse(
        "Manifest-Version: 1.0\r\n\
         Main-Class: com.example.AVeryLongPackageName.AndAnEvenLong\r\n \
         erMainClassName\r\n\
         Class-Path: lib/first-1.0.jar\r\n  lib/second-2.0.jar\r\n\r\n",
    );
    assert_eq!(
        manifest.main_class(),
        Some("com.example.AVeryLongPackageName.AndAnEvenLongerMainClassName")
    );
    assert_eq!(
        manifest.class_path(),
        ["lib/first-1.0.jar", "lib/second-2.0.jar"]
    );
}

#[test]
fn only_the_main_section_is_read() {
    let manifest = JarManifest::parse(
        "Manifest-Version: 1.0\n\
         Main-Class: com.example.Main\n\
         \n\
         Name: com/example/Other.class\n\
         Main-Class: com.example.NotThisOne\n\
         Sealed: true\n",
    );
    assert_eq!(manifest.main_class(), Some("com.example.Main"));
    assert_eq!(manifest.attribute("Sealed"), None);
    assert_eq!(manifest.attributes().len(), 2);
}

#[test]
fn attribute_names_are_case_insensitive_and_the_last_value_wins() {
    let manifest = JarManifest::parse(
        "manifest-version: 1.0\r\n\
         MAIN-CLASS: com.example.First\r\n\
         main-class: com.example.Second\r\n\
         start-class: com.example.App\r\n",
    );
    assert_eq!(manifest.main_class(), Some("com.example.Second"));
    assert_eq!(manifest.start_class(), Some("com.example.App"));
    assert_eq!(manifest.attribute("Main-Class"), Some("com.example.Second"));
    assert!(manifest.attributes().contains_key("MAIN-CLASS"));
}

#[test]
fn lone_carriage_returns_end_lines_too() {
    let manifest = JarManifest::parse("Manifest-Version: 1.0\rMain-Class: a.B\r\r");
    assert_eq!(manifest.main_class(), Some("a.B"));
}

#[test]
fn spring_boot_is_recognized_by_launcher_start_class_or_version() {
    let launched = |main: &str| JarManifest::parse(&format!("Main-Class: {main}\n"));
    assert!(launched("org.springframework.boot.loader.launch.JarLauncher").is_spring_boot());
    assert!(launched("org.springframework.boot.loader.JarLauncher").is_spring_boot());
    assert!(launched("org.springframework.boot.loader.WarLauncher").is_spring_boot());
    assert!(launched("org.springframework.boot.loader.launch.PropertiesLauncher").is_spring_boot());
    assert!(!launched("com.example.Main").is_spring_boot());
    assert!(JarManifest::parse("Main-Class: a.B\nSpring-Boot-Version: 3.3.0\n").is_spring_boot());
    assert!(JarManifest::parse("Main-Class: a.B\nStart-Class: a.App\n").is_spring_boot());
}

#[test]
fn an_empty_or_malformed_manifest_has_no_main_class() {
    assert_eq!(JarManifest::parse(""), JarManifest::default());
    let manifest = JarManifest::parse("this is not a manifest\nMain-Class:   \n");
    assert_eq!(manifest.main_class(), None);
    assert!(manifest.class_path().is_empty());
}
