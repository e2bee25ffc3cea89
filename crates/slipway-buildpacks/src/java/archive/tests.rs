//! Tests of the archive module over zips and trees built in temporary directories, asserting what
//! a user would see: the artifact found, the messages of errors, the files of each layer.

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use zip::ZipWriter;
use zip::write::SimpleFileOptions;

mod artifact;
mod explode;
mod layers;
mod manifest;
mod scan;

/// Writes a zip at `path` holding `entries` (name, contents), as a build tool would.
fn write_zip(path: &Path, entries: &[(&str, &[u8])]) {
    let with_modes: Vec<(&str, &[u8], u32)> = entries
        .iter()
        .map(|(name, contents)| (*name, *contents, 0o644))
        .collect();
    write_zip_with_modes(path, &with_modes);
}

/// Writes a zip at `path` holding `entries` (name, contents, Unix mode); names ending in `/` are
/// directory entries.
fn write_zip_with_modes(path: &Path, entries: &[(&str, &[u8], u32)]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    let mut writer = ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, contents, mode) in entries {
        let options = SimpleFileOptions::default().unix_permissions(*mode);
        if name.ends_with('/') {
            writer.add_directory(*name, options).unwrap();
        } else {
            writer.start_file(*name, options).unwrap();
            writer.write_all(contents).unwrap();
        }
    }
    writer.finish().unwrap();
}

/// Writes `files` (relative path, contents) under `root`, creating directories as needed.
fn write_tree(root: &Path, files: &[(&str, &[u8])]) {
    for (relative, contents) in files {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
}

/// A class file's bytes: the header for `major` (minor 0) followed by `body`, which stands in
/// for the constant pool.
fn class_bytes(major: u16, body: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0xCA, 0xFE, 0xBA, 0xBE, 0, 0];
    bytes.extend_from_slice(&major.to_be_bytes());
    bytes.extend_from_slice(body);
    bytes
}

/// A manifest as maven-jar-plugin writes it, with CRLF line ends.
fn manifest_text(attributes: &[(&str, &str)]) -> Vec<u8> {
    let mut text = String::from("Manifest-Version: 1.0\r\nCreated-By: Maven JAR Plugin\r\n");
    for (name, value) in attributes {
        write!(text, "{name}: {value}\r\n").unwrap();
    }
    text.push_str("\r\n");
    text.into_bytes()
}

/// `paths` as owned paths, for comparing with layer lists.
fn paths(paths: &[&str]) -> Vec<PathBuf> {
    paths.iter().map(PathBuf::from).collect()
}

/// The permission bits of the file at `path`.
fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}
