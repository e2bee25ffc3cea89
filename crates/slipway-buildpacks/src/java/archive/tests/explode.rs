//! Safe, all-or-nothing extraction.

use std::path::{Path, PathBuf};

use zip::ZipWriter;
use zip::write::SimpleFileOptions;

use super::super::explode::enclosed_path;
use super::super::{ArchiveError, explode};
use super::{mode_of, write_zip, write_zip_with_modes};

/// The names in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn files_are_extracted_with_only_the_executable_bit_kept() {
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("app.jar");
    write_zip_with_modes(
        &jar,
        &[
            ("META-INF/", b"", 0o755),
            ("META-INF/MANIFEST.MF", b"Main-Class: a.B\n", 0o600),
            ("bin/run.sh", b"#!/bin/sh\n", 0o4775),
            ("empty/", b"", 0o700),
            ("com/example/B.class", b"\xca\xfe\xba\xbe", 0o666),
        ],
    );
    let into = dir.path().join("exploded");
    explode(&jar, &into).unwrap();
    assert_eq!(
        std::fs::read(into.join("META-INF/MANIFEST.MF")).unwrap(),
        b"Main-Class: a.B\n"
    );
    assert_eq!(mode_of(&into.join("META-INF/MANIFEST.MF")), 0o644);
    assert_eq!(mode_of(&into.join("com/example/B.class")), 0o644);
    assert_eq!(mode_of(&into.join("bin/run.sh")), 0o755);
    assert!(
        !into.join("empty").exists(),
        "directory entries are skipped"
    );
    assert_eq!(names_in(dir.path()), ["app.jar", "exploded"]);
}

#[test]
fn symlink_entries_become_regular_files() {
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("app.jar");
    let mut writer = ZipWriter::new(std::fs::File::create(&jar).unwrap());
    writer
        .add_symlink("link", "/etc/passwd", SimpleFileOptions::default())
        .unwrap();
    writer.finish().unwrap();
    let into = dir.path().join("exploded");
    explode(&jar, &into).unwrap();
    let metadata = std::fs::symlink_metadata(into.join("link")).unwrap();
    assert!(metadata.file_type().is_file());
    assert_eq!(std::fs::read(into.join("link")).unwrap(), b"/etc/passwd");
    assert_eq!(mode_of(&into.join("link")), 0o644);
}

#[test]
fn zip_slip_is_refused_and_leaves_nothing_behind() {
    for evil in ["../evil.txt", "WEB-INF/../../evil.txt", "/tmp/evil.txt"] {
        let dir = tempfile::tempdir().unwrap();
        let war = dir.path().join("app.war");
        write_zip(&war, &[("index.html", b"hi"), (evil, b"pwned")]);
        let into = dir.path().join("exploded");
        let error = explode(&war, &into).unwrap_err();
        assert!(
            matches!(error, ArchiveError::UnsafeEntry { .. }),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            format!(
                "{} has an entry {evil:?} that would be extracted outside {}: absolute paths and \
                 `..` are not allowed in a Java archive, so it was not extracted",
                war.display(),
                into.display()
            )
        );
        assert_eq!(names_in(dir.path()), ["app.war"], "for {evil}");
    }
}

#[test]
fn an_existing_directory_is_replaced_whole() {
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("app.jar");
    write_zip(&jar, &[("new.txt", b"new")]);
    let into = dir.path().join("exploded");
    std::fs::create_dir_all(into.join("stale")).unwrap();
    std::fs::write(into.join("stale/old.txt"), "old").unwrap();
    explode(&jar, &into).unwrap();
    assert_eq!(names_in(&into), ["new.txt"]);
}

#[test]
fn a_file_that_is_not_a_zip_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let war = dir.path().join("app.war");
    std::fs::write(&war, "not a zip").unwrap();
    let error = explode(&war, &dir.path().join("exploded")).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with(&format!("{} is not a WAR", war.display())),
        "{error}"
    );
    assert_eq!(names_in(dir.path()), ["app.war"]);
}

#[test]
fn entry_names_are_confined_to_the_extraction_directory() {
    assert_eq!(enclosed_path("a/./b//c"), Some(PathBuf::from("a/b/c")));
    assert_eq!(enclosed_path("a\\b"), Some(PathBuf::from("a/b")));
    assert_eq!(enclosed_path("./"), Some(PathBuf::new()));
    assert_eq!(
        enclosed_path("a/..b/c..d"),
        Some(PathBuf::from("a/..b/c..d"))
    );
    for unsafe_name in [
        "../a",
        "a/../../b",
        "a\\..\\b",
        "/a",
        "\\a",
        "C:/a",
        "c:a",
        "a\0b",
    ] {
        assert_eq!(enclosed_path(unsafe_name), None, "{unsafe_name:?}");
    }
}
