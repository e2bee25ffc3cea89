//! What a Java app is: a WAR, an exploded WAR or a runnable JAR, and where to find it.

use std::path::{Path, PathBuf};

use super::{ArchiveError, JarManifest, io_error, open_zip};

/// The kind of Java artifact, which decides how the app is launched: a WAR runs in a servlet
/// container (Tomcat), a JAR runs with `java -jar` or, once exploded, `java -cp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactKind {
    /// A packed `.war` file.
    War,
    /// A directory laid out as a WAR (it has `WEB-INF/`), such as Maven's `target/APP/`.
    ExplodedWar,
    /// A JAR, packed or exploded, whose manifest names the class to run.
    ExecutableJar {
        /// The manifest's `Main-Class`; for Spring Boot, the loader's launcher.
        main_class: String,
        /// Whether it is a Spring Boot fat JAR ([`JarManifest::is_spring_boot`]), whose classes
        /// and dependencies live under `BOOT-INF/`.
        spring_boot: bool,
    },
}

/// A Java artifact found in an app: what the buildpack will put in the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// The `.war` or `.jar` file, or the directory of an exploded one.
    pub path: PathBuf,
    /// What it is, which decides how it is launched.
    pub kind: ArtifactKind,
    /// Its `META-INF/MANIFEST.MF` (empty when it has none), for `Start-Class` and `Class-Path`.
    pub manifest: JarManifest,
}

impl Artifact {
    /// The Spring Boot application class (`Start-Class`), if any: what a user recognizes as
    /// "their" main class, for messages and for launching an exploded Spring Boot JAR directly.
    #[must_use]
    pub fn start_class(&self) -> Option<&str> {
        self.manifest.start_class()
    }
}

/// Tells what `path` is: a `.war` or `.jar` file, or a directory holding an exploded WAR or
/// runnable JAR. `Ok(None)` means it is none of these (any other file or directory).
///
/// A directory is an exploded WAR when it has `WEB-INF/`, else an exploded JAR when its
/// `META-INF/MANIFEST.MF` names a `Main-Class`. A `.war` must be a zip archive
/// ([`ArchiveError::NotAZip`]); a `.jar` must also name a `Main-Class`
/// ([`ArchiveError::NoMainClass`]), since a library JAR cannot be run.
pub fn inspect_artifact(path: &Path) -> Result<Option<Artifact>, ArchiveError> {
    let metadata = std::fs::metadata(path).map_err(io_error("inspecting", path))?;
    if metadata.is_dir() {
        return inspect_dir(path);
    }
    match archive_extension(path) {
        Some(Extension::War) => inspect_war(path).map(Some),
        Some(Extension::Jar) => inspect_jar(path).map(Some),
        None => Ok(None),
    }
}

/// Finds the artifact of an app directory that has no build files: the directory itself when it
/// is an exploded WAR or JAR, else a `.war` or `.jar` in it, else one in `target/` (where Maven
/// leaves its output).
///
/// Build by-products are not candidates: `*-sources.jar`, `*-javadoc.jar`, `*-tests.jar`,
/// `original-*.jar` (maven-shade-plugin's unshaded input) and `*.jar.original` (Spring Boot's).
/// Among several candidates in the same directory a WAR wins over a JAR, then the largest file,
/// as a fat (shaded, Spring Boot, assembly) JAR is larger than the thin one built beside it; equal
/// sizes go by name, so the choice never depends on directory order.
pub fn find_artifact(dir: &Path) -> Result<Option<Artifact>, ArchiveError> {
    if let Some(artifact) = inspect_dir(dir)? {
        return Ok(Some(artifact));
    }
    for search in [dir.to_path_buf(), dir.join("target")] {
        if let Some(best) = best_candidate(&search)? {
            return inspect_artifact(&best);
        }
    }
    Ok(None)
}

/// The file extensions that mark a packed Java artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Extension {
    War,
    Jar,
}

/// A packed artifact's kind from its file name, ignoring case (`APP.WAR` is a WAR too).
fn archive_extension(path: &Path) -> Option<Extension> {
    let extension = path.extension()?.to_str()?;
    if extension.eq_ignore_ascii_case("war") {
        Some(Extension::War)
    } else if extension.eq_ignore_ascii_case("jar") {
        Some(Extension::Jar)
    } else {
        None
    }
}

/// An exploded WAR or runnable JAR in `dir`, if it is one.
fn inspect_dir(dir: &Path) -> Result<Option<Artifact>, ArchiveError> {
    let manifest = JarManifest::read_dir(dir)?;
    let kind = if dir.join("WEB-INF").is_dir() {
        ArtifactKind::ExplodedWar
    } else if let Some(kind) = executable_kind(&manifest) {
        kind
    } else {
        return Ok(None);
    };
    Ok(Some(Artifact {
        path: dir.to_path_buf(),
        kind,
        manifest,
    }))
}

/// A packed WAR: any zip archive will do, its manifest being optional.
fn inspect_war(path: &Path) -> Result<Artifact, ArchiveError> {
    let mut archive = open_zip(path, "WAR")?;
    let manifest = JarManifest::read_zip(&mut archive, path)?;
    Ok(Artifact {
        path: path.to_path_buf(),
        kind: ArtifactKind::War,
        manifest,
    })
}

/// A packed JAR, which must name its `Main-Class` to be run.
fn inspect_jar(path: &Path) -> Result<Artifact, ArchiveError> {
    let mut archive = open_zip(path, "JAR")?;
    let manifest = JarManifest::read_zip(&mut archive, path)?;
    let kind = executable_kind(&manifest).ok_or_else(|| ArchiveError::NoMainClass {
        path: path.to_path_buf(),
    })?;
    Ok(Artifact {
        path: path.to_path_buf(),
        kind,
        manifest,
    })
}

/// The executable-JAR kind a manifest describes, if it names a `Main-Class`.
fn executable_kind(manifest: &JarManifest) -> Option<ArtifactKind> {
    Some(ArtifactKind::ExecutableJar {
        main_class: manifest.main_class()?.to_owned(),
        spring_boot: manifest.is_spring_boot(),
    })
}

/// The preferred packed artifact directly in `dir` (see [`find_artifact`]), if any.
fn best_candidate(dir: &Path) -> Result<Option<PathBuf>, ArchiveError> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let entries = std::fs::read_dir(dir).map_err(io_error("listing", dir))?;
    let mut best: Option<(Extension, std::cmp::Reverse<u64>, PathBuf)> = None;
    for entry in entries {
        let path = entry.map_err(io_error("listing", dir))?.path();
        let Some(extension) = archive_extension(&path).filter(|_| !is_by_product(&path)) else {
            continue;
        };
        let metadata = std::fs::metadata(&path).map_err(io_error("inspecting", &path))?;
        if !metadata.is_file() {
            continue;
        }
        let candidate = (extension, std::cmp::Reverse(metadata.len()), path);
        if best.as_ref().is_none_or(|best| candidate < *best) {
            best = Some(candidate);
        }
    }
    Ok(best.map(|(_, _, path)| path))
}

/// Whether a `.jar` is a by-product of the build rather than the app (see [`find_artifact`]).
fn is_by_product(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.starts_with("original-")
        || [
            "-sources.jar",
            "-javadoc.jar",
            "-tests.jar",
            "-test-sources.jar",
        ]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}
