//! Reading Java archives: the pure, network-free half of the Java buildpack.
//!
//! Everything here works on files already on disk, so the buildpack's decisions (is this a WAR or
//! a runnable JAR, which Java it needs, does it need the javax → jakarta migration, which files go
//! in which layer) are unit-testable without a JDK, Maven or the network:
//!
//! - [`inspect_artifact`] and [`find_artifact`] tell what an app is ([`Artifact`]);
//! - [`JarManifest`] reads `META-INF/MANIFEST.MF` (Main-Class, Start-Class, Class-Path);
//! - [`explode`] unpacks a WAR or JAR safely (no zip-slip, no symlinks, only the executable bit);
//! - [`highest_class_major_version`] and [`java_version_of_class_major`] tell which Java the
//!   compiled classes need;
//! - [`uses_javax_servlet`] tells whether a WAR predates Jakarta EE 9;
//! - [`split_war`], [`split_boot_jar`] and [`split_plain_jar`] split an exploded archive into
//!   Jib-style layers ([`JavaLayers`]) so that a code change rebuilds only the small layers.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use zip::ZipArchive;
use zip::result::ZipError;

mod artifact;
mod classes;
mod explode;
mod javax;
mod layers;
mod manifest;
mod tree;

#[cfg(test)]
mod tests;

pub use artifact::{Artifact, ArtifactKind, find_artifact, inspect_artifact};
pub use classes::{highest_class_major_version, java_version_of_class_major};
pub use explode::explode;
pub use javax::uses_javax_servlet;
pub use layers::{JavaLayers, class_path_dependencies, split_boot_jar, split_plain_jar, split_war};
pub use manifest::JarManifest;

/// What went wrong while reading or unpacking a Java archive.
///
/// The first three variants are the user's to fix (a bad artifact); the last two are I/O
/// failures, which name the file and what was being done with it.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// A `.war` or `.jar` file that cannot be opened as a zip archive: usually a truncated
    /// download, a failed build or a file that was merely renamed.
    #[error(
        "{} is not a {expected}: it is not a zip archive (a {expected} is a zip file; this one \
         may be truncated or not a Java archive at all)",
        path.display()
    )]
    NotAZip {
        /// The file that was expected to be a zip archive.
        path: PathBuf,
        /// What the file was taken for, from its extension: `WAR` or `JAR`.
        expected: &'static str,
        /// Why the zip reader refused it.
        #[source]
        source: ZipError,
    },

    /// A `.jar` file that `java -jar` could not run: its manifest names no `Main-Class`.
    #[error(
        "{} is not a runnable JAR: a runnable JAR needs a Main-Class attribute in \
         META-INF/MANIFEST.MF (set it with maven-jar-plugin's \
         <archive><manifest><mainClass>, or build a Spring Boot or shaded JAR)",
        path.display()
    )]
    NoMainClass {
        /// The JAR without a `Main-Class`.
        path: PathBuf,
    },

    /// An archive entry whose name would land outside the extraction directory ("zip-slip"):
    /// an absolute path or a `..` component. No well-built WAR or JAR has one.
    #[error(
        "{} has an entry {entry:?} that would be extracted outside {}: absolute paths and `..` \
         are not allowed in a Java archive, so it was not extracted",
        archive.display(),
        into.display()
    )]
    UnsafeEntry {
        /// The archive holding the entry.
        archive: PathBuf,
        /// The entry's name as stored in the archive.
        entry: String,
        /// Where the archive was being extracted.
        into: PathBuf,
    },

    /// A zip archive that opened but could not be read through (a corrupt entry, an
    /// unsupported compression method).
    #[error("reading the zip archive {}", path.display())]
    Zip {
        /// The archive being read.
        path: PathBuf,
        /// What the zip reader reported.
        #[source]
        source: ZipError,
    },

    /// A file-system operation that failed.
    #[error("{doing} {}", path.display())]
    Io {
        /// What was being done, as a verb phrase: "reading", "creating directory", ...
        doing: &'static str,
        /// The path it was being done to.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}

/// Builds a `map_err` closure for an I/O failure while `doing` something to `path`.
fn io_error(doing: &'static str, path: &Path) -> impl FnOnce(io::Error) -> ArchiveError {
    let path = path.to_path_buf();
    move |source| ArchiveError::Io {
        doing,
        path,
        source,
    }
}

/// Builds a `map_err` closure for a zip failure while reading `path`.
fn zip_error(path: &Path) -> impl FnOnce(ZipError) -> ArchiveError {
    let path = path.to_path_buf();
    move |source| ArchiveError::Zip { path, source }
}

/// Opens `path` as a zip archive; `expected` ("WAR" or "JAR") names it in the error when it is
/// not one.
fn open_zip(path: &Path, expected: &'static str) -> Result<ZipArchive<File>, ArchiveError> {
    let file = File::open(path).map_err(io_error("opening", path))?;
    ZipArchive::new(file).map_err(|source| match source {
        ZipError::Io(source) if source.kind() != io::ErrorKind::UnexpectedEof => ArchiveError::Io {
            doing: "reading",
            path: path.to_path_buf(),
            source,
        },
        source => ArchiveError::NotAZip {
            path: path.to_path_buf(),
            expected,
            source,
        },
    })
}
