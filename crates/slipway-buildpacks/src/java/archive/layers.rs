//! Splitting an exploded archive into layers by how often they change, as Jib does.

use std::path::{Path, PathBuf};

use super::explode::enclosed_path;
use super::tree::{files_under, is_class_file};
use super::{ArchiveError, JarManifest};

/// An exploded WAR or JAR split into layers ordered from the least to the most often changed,
/// so that a rebuild after a code change pushes only the small layers at the end.
///
/// Each list holds regular files (and symbolic links) relative to the exploded root, sorted;
/// directories are implied by the paths. Every file of the tree is in exactly one list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JavaLayers {
    /// Released third-party JARs: change when a dependency is upgraded.
    pub dependencies: Vec<PathBuf>,
    /// Dependency JARs whose file name contains `SNAPSHOT`: development builds that change
    /// between builds without a version bump, so they get a layer of their own.
    pub snapshot_dependencies: Vec<PathBuf>,
    /// Everything else: manifests, configuration, static web content, `web.xml`, the Spring Boot
    /// loader. Changes less often than code.
    pub resources: Vec<PathBuf>,
    /// The application's own compiled classes: change with every code change.
    pub classes: Vec<PathBuf>,
}

/// Splits an exploded WAR: files under `WEB-INF/lib` are dependencies (snapshot or not),
/// `.class` files under `WEB-INF/classes` are classes, and everything else, including the
/// non-class files under `WEB-INF/classes`, is resources. A missing `root` gives empty layers.
pub fn split_war(root: &Path) -> Result<JavaLayers, ArchiveError> {
    split_packaged(root, Path::new("WEB-INF/lib"), Path::new("WEB-INF/classes"))
}

/// Splits an exploded Spring Boot fat JAR: files under `BOOT-INF/lib` are dependencies
/// (snapshot or not), `.class` files under `BOOT-INF/classes` are classes, and everything else
/// (the loader under `org/springframework/boot/loader/`, `META-INF/`, `BOOT-INF/classpath.idx`,
/// `BOOT-INF/layers.idx`, the application's resources) is resources.
pub fn split_boot_jar(root: &Path) -> Result<JavaLayers, ArchiveError> {
    split_packaged(
        root,
        Path::new("BOOT-INF/lib"),
        Path::new("BOOT-INF/classes"),
    )
}

/// Splits an exploded plain JAR: every `.class` file is a class, everything else a resource.
/// It has no dependencies inside; those it names in its `Class-Path` sit beside it
/// ([`class_path_dependencies`]).
pub fn split_plain_jar(root: &Path) -> Result<JavaLayers, ArchiveError> {
    let mut layers = JavaLayers::default();
    for relative in files_under(root)? {
        if is_class_file(&relative) {
            layers.classes.push(relative);
        } else {
            layers.resources.push(relative);
        }
    }
    Ok(layers)
}

/// The files a plain JAR's `Class-Path` names that exist, relative to `jar_dir` (the directory
/// of the JAR), in manifest order without repeats: e.g. `lib/foo.jar` as written by
/// maven-jar-plugin's `addClasspath` with `classpathPrefix` `lib/`.
///
/// They are the JAR's dependencies, to be copied beside it in the image. Entries are taken as
/// written (not URL-decoded); those that are missing, are directories, are absolute, leave
/// `jar_dir` through `..` or are URLs with a scheme are skipped, since they cannot be carried
/// into the image relative to the JAR (the JVM ignores missing entries too).
#[must_use]
pub fn class_path_dependencies(jar_dir: &Path, manifest: &JarManifest) -> Vec<PathBuf> {
    let mut dependencies: Vec<PathBuf> = Vec::new();
    for entry in manifest.class_path() {
        let Some(relative) = enclosed_path(entry) else {
            continue;
        };
        if relative.as_os_str().is_empty() || dependencies.contains(&relative) {
            continue;
        }
        if jar_dir.join(&relative).is_file() {
            dependencies.push(relative);
        }
    }
    dependencies
}

/// Splits an exploded WAR or Spring Boot JAR, whose dependencies are under `lib` and whose
/// classes are under `classes` (both relative to `root`).
fn split_packaged(root: &Path, lib: &Path, classes: &Path) -> Result<JavaLayers, ArchiveError> {
    let mut layers = JavaLayers::default();
    for relative in files_under(root)? {
        if relative.starts_with(lib) {
            if is_snapshot(&relative) {
                layers.snapshot_dependencies.push(relative);
            } else {
                layers.dependencies.push(relative);
            }
        } else if relative.starts_with(classes) && is_class_file(&relative) {
            layers.classes.push(relative);
        } else {
            layers.resources.push(relative);
        }
    }
    Ok(layers)
}

/// Whether a dependency is a snapshot build, by Maven's convention for its file name
/// (`foo-1.0-SNAPSHOT.jar`), as Jib decides it.
fn is_snapshot(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name.to_string_lossy().contains("SNAPSHOT"))
}
