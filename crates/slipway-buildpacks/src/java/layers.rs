//! The app's layers, split as Jib splits them, and how an executable JAR starts.
//!
//! Most stable first: dependencies (release jars), snapshot dependencies, resources, classes. An
//! edit to one class changes the classes layer only; the others keep their digests and are
//! neither compressed nor pushed again.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use slipway_lifecycle::ContributedLayer;
use slipway_oci::LayerBuilder;

use super::APP_DIR;
use super::archive::{self, ArchiveError, Artifact, ArtifactKind, JavaLayers};
use super::build::has_extension;

/// The app's layers and, for a JAR, its command.
pub struct Split {
    /// Non-empty layers, most stable first.
    pub layers: Vec<ContributedLayer>,
    /// How a JAR starts (`java -cp ... Main`); empty for a WAR, which Tomcat runs.
    pub command: Vec<String>,
    /// Every file of the app, as (path in the image, host path), for counting classes.
    pub files: Vec<(String, PathBuf)>,
}

/// Splits the exploded app at `root` (a host path).
pub fn split(artifact: &Artifact, root: &Path) -> Result<Split, ArchiveError> {
    let (parts, extra_dependencies, command) = match &artifact.kind {
        ArtifactKind::War | ArtifactKind::ExplodedWar => {
            (archive::split_war(root)?, Vec::new(), Vec::new())
        }
        ArtifactKind::ExecutableJar {
            main_class,
            spring_boot: true,
        } => (
            archive::split_boot_jar(root)?,
            Vec::new(),
            jar_command(&[APP_DIR.to_string()], main_class),
        ),
        ArtifactKind::ExecutableJar {
            main_class,
            spring_boot: false,
        } => {
            let jar_dir = if artifact.path.is_dir() {
                artifact.path.clone()
            } else {
                artifact
                    .path
                    .parent()
                    .unwrap_or(Path::new("."))
                    .to_path_buf()
            };
            let deps: Vec<(PathBuf, PathBuf)> =
                archive::class_path_dependencies(&jar_dir, &artifact.manifest)
                    .into_iter()
                    .map(|rel| (jar_dir.join(&rel), rel))
                    .collect();
            let mut class_path = vec![APP_DIR.to_string()];
            class_path.extend(deps.iter().map(|(_, rel)| image_path(rel)));
            (
                archive::split_plain_jar(root)?,
                deps,
                jar_command(&class_path, main_class),
            )
        }
    };
    Ok(assemble(root, &parts, &extra_dependencies, command))
}

fn assemble(
    root: &Path,
    parts: &JavaLayers,
    extra_dependencies: &[(PathBuf, PathBuf)],
    command: Vec<String>,
) -> Split {
    let in_root = |paths: &[PathBuf]| -> Vec<(String, PathBuf)> {
        paths
            .iter()
            .map(|rel| (image_path(rel), root.join(rel)))
            .collect()
    };
    let (snapshots, releases): (Vec<_>, Vec<_>) = extra_dependencies
        .iter()
        .map(|(host, rel)| (image_path(rel), host.clone()))
        .partition(|(path, _)| path.contains("SNAPSHOT"));
    let groups = [
        (
            "dependencies",
            "release dependencies",
            [in_root(&parts.dependencies), releases].concat(),
        ),
        (
            "snapshot-dependencies",
            "snapshot dependencies",
            [in_root(&parts.snapshot_dependencies), snapshots].concat(),
        ),
        ("resources", "resources", in_root(&parts.resources)),
        ("classes", "classes", in_root(&parts.classes)),
    ];
    let mut files = Vec::new();
    let mut layers = Vec::new();
    for (name, what, entries) in groups {
        if entries.is_empty() {
            continue;
        }
        let mut content = LayerBuilder::new();
        content.dir(APP_DIR, 0o755);
        for (image, host) in &entries {
            content.host_file(image, host, mode_of(host));
        }
        layers.push(ContributedLayer {
            name: name.into(),
            description: format!("the app's {what} ({} files)", entries.len()),
            content,
        });
        files.extend(entries);
    }
    Split {
        layers,
        command,
        files,
    }
}

/// `java -cp CLASSPATH MAIN`: the JAR runs exploded, so its classes need no unpacking at start.
fn jar_command(class_path: &[String], main_class: &str) -> Vec<String> {
    vec![
        "java".into(),
        "-cp".into(),
        class_path.join(":"),
        main_class.into(),
    ]
}

fn image_path(rel: &Path) -> String {
    format!("{APP_DIR}/{}", rel.to_string_lossy())
}

fn mode_of(host: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    fs::metadata(host).map_or(0o644, |m| {
        slipway_oci::layer::normal_file_mode(m.permissions().mode())
    })
}

/// The app's classes, loose and in its jars, as the launcher will count them: what the JVM
/// memory estimate at build time starts from.
pub fn count_classes(split: &Split) -> u64 {
    split
        .files
        .iter()
        .map(|(path, host)| {
            if has_extension(path, "class") {
                1
            } else if has_extension(path, "jar") {
                jar_classes(host).unwrap_or(0)
            } else {
                0
            }
        })
        .sum()
}

fn jar_classes(path: &Path) -> io::Result<u64> {
    let zip = zip::ZipArchive::new(fs::File::open(path)?).map_err(io::Error::other)?;
    Ok(zip
        .file_names()
        .filter(|n| n.as_ref().is_ok_and(|n| n.ends_with(".class")))
        .count() as u64)
}
