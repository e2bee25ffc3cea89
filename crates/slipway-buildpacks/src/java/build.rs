//! The Java build, step by step: find or build the artifact, explode it into the cache, migrate
//! a javax WAR to jakarta, split it into layers, and say how it starts.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use slipway_lifecycle::{BuildContext, BuildOutput, BuildpackError, ProcessType, ToolCommand};

use super::archive::{self, Artifact, ArtifactKind};
use super::version::{self, Requested};
use super::{APP_DIR, DEFAULT_CODE_CACHE, DEFAULT_PORT, DEFAULT_THREAD_COUNT, JVM_MEMORY_LABEL};
use super::{AppKind, ID, layers, maven, tomcat};

/// The kind of app at `app_path` and the Java version it asks for, read without building it.
pub(super) fn kind_and_version(
    app_path: &Path,
    env: &[(String, String)],
) -> Result<(AppKind, Option<Requested>), BuildpackError> {
    let from_env = version::from_env(env).map_err(app_error)?;
    let pom = app_path.join("pom.xml");
    if app_path.is_dir() && pom.is_file() {
        let text = fs::read_to_string(&pom).map_err(|source| BuildpackError::Io {
            action: format!("reading {}", pom.display()),
            source,
        })?;
        let requested = match from_env {
            Some(r) => Some(r),
            None => version::from_pom(&text).map_err(app_error)?,
        };
        let kind = if pom_packaging(&text) == "war" {
            AppKind::War
        } else {
            AppKind::Jar
        };
        return Ok((kind, requested));
    }
    let artifact = artifact_at(app_path)?;
    let requested = match from_env {
        Some(r) => Some(r),
        None => class_major_version(&artifact.path)?.map(version::from_class_major),
    };
    Ok((kind_of(&artifact), requested))
}

/// The highest class-file version among the app's own classes, in an exploded app directory
/// or an artifact file (read in place: planning unpacks nothing).
fn class_major_version(path: &Path) -> Result<Option<u16>, BuildpackError> {
    const OWN_CLASSES: [&str; 2] = ["WEB-INF/classes/", "BOOT-INF/classes/"];
    if path.is_dir() {
        let own = OWN_CLASSES
            .iter()
            .map(|dir| path.join(dir))
            .find(|dir| dir.is_dir())
            .unwrap_or_else(|| path.to_path_buf());
        return archive::highest_class_major_version(&own).map_err(archive_error);
    }
    let io = |source| BuildpackError::Io {
        action: format!("reading {}", path.display()),
        source,
    };
    let file = fs::File::open(path).map_err(io)?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| io(std::io::Error::other(e)))?;
    let mut highest = None;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| io(std::io::Error::other(e)))?;
        let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        let own = OWN_CLASSES.iter().any(|dir| name.starts_with(dir))
            || !(name.starts_with("WEB-INF/") || name.starts_with("BOOT-INF/"));
        if !own || !has_extension(&name, "class") {
            continue;
        }
        let mut header = [0u8; 8];
        if std::io::Read::read_exact(&mut entry, &mut header).is_ok()
            && header[..4] == [0xCA, 0xFE, 0xBA, 0xBE]
        {
            let major = u16::from_be_bytes([header[6], header[7]]);
            highest = highest.max(Some(major));
        }
    }
    Ok(highest)
}

/// `<packaging>` of a pom (`jar` when absent), read loosely: the full parse is the version's.
fn pom_packaging(pom: &str) -> String {
    pom.split_once("<packaging>")
        .and_then(|(_, rest)| rest.split_once("</packaging>"))
        .map_or_else(|| "jar".to_string(), |(value, _)| value.trim().to_string())
}

fn kind_of(artifact: &Artifact) -> AppKind {
    match artifact.kind {
        ArtifactKind::War | ArtifactKind::ExplodedWar => AppKind::War,
        ArtifactKind::ExecutableJar { .. } => AppKind::Jar,
    }
}

/// The artifact `app_path` is (a file given with `-p`) or holds.
fn artifact_at(app_path: &Path) -> Result<Artifact, BuildpackError> {
    let found = if app_path.is_file() {
        archive::inspect_artifact(app_path)
    } else {
        archive::find_artifact(app_path)
    };
    found
        .map_err(archive_error)?
        .ok_or_else(|| BuildpackError::App {
            buildpack: ID,
            message: format!(
                "{} has no pom.xml, no .war or executable .jar, and is no exploded WAR",
                app_path.display()
            ),
            hint: Some("point slipway at a Maven project, a WAR or an executable JAR".into()),
        })
}

/// Builds the app into layers and a process.
pub(super) fn build(ctx: &BuildContext<'_>) -> Result<BuildOutput, BuildpackError> {
    let key = app_key(ctx.app_dir);
    let artifact = if ctx.app_dir.is_dir() && ctx.app_dir.join("pom.xml").is_file() {
        let built = maven::build(ctx, &key)?;
        let artifact = archive::find_artifact(&built.target_dir)
            .map_err(archive_error)?
            .ok_or_else(|| BuildpackError::App {
                buildpack: ID,
                message: format!(
                    "Maven ({}) built no .war or executable .jar in target/",
                    built.command_line
                ),
                hint: Some("set <packaging> to war or jar in pom.xml".into()),
            })?;
        (ctx.log)(&format!(
            "Built {}",
            artifact
                .path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
        ));
        artifact
    } else {
        artifact_at(ctx.app_dir)?
    };
    let staging = ctx.tools.cache_dir().join("apps").join(&key);
    let root = stage(ctx, &artifact, &staging)?;
    let kind = kind_of(&artifact);
    let root = if kind == AppKind::War {
        migrate_if_javax(ctx, &root, &staging)?
    } else {
        root
    };
    let host_root = ctx.tools.host_path(&root);
    let split = layers::split(&artifact, &host_root).map_err(archive_error)?;
    let classes = layers::count_classes(&split);
    let mut output = BuildOutput {
        layers: Vec::new(),
        processes: Vec::new(),
        launch_env: launch_env(kind),
        port: Some(DEFAULT_PORT),
        labels: vec![(JVM_MEMORY_LABEL.to_string(), memory_label(kind, classes))],
    };
    if kind == AppKind::War {
        output.layers.push(slipway_lifecycle::ContributedLayer {
            name: "tomcat".into(),
            description: "the app's Tomcat instance (server.xml, logging)".into(),
            content: tomcat::instance_layer(),
        });
    }
    output.layers.extend(split.layers);
    output.processes.push(ProcessType {
        name: "web".into(),
        command: match kind {
            AppKind::War => tomcat::command(),
            AppKind::Jar => split.command,
        },
        working_dir: None,
        jvm_memory: true,
    });
    Ok(output)
}

/// The artifact, exploded under `staging` (tool path) unless it already is a directory.
fn stage(
    ctx: &BuildContext<'_>,
    artifact: &Artifact,
    staging: &Path,
) -> Result<PathBuf, BuildpackError> {
    let exploded = staging.join("exploded");
    let host_exploded = ctx.tools.host_path(&exploded);
    if artifact.path.is_dir() {
        maven::mirror(&artifact.path, &host_exploded).map_err(|source| BuildpackError::Io {
            action: format!("copying {} into the build cache", artifact.path.display()),
            source,
        })?;
    } else {
        archive::explode(&artifact.path, &host_exploded).map_err(archive_error)?;
    }
    let staging_host = ctx.tools.host_path(staging);
    ctx.tools
        .hand_over(&staging_host)
        .map_err(|source| BuildpackError::Io {
            action: format!("handing {} to the build user", staging_host.display()),
            source,
        })?;
    Ok(exploded)
}

/// Tomcat 10.1 serves jakarta.servlet only: a WAR written against javax.servlet is migrated
/// with Apache Tomcat's own migration tool, in the build environment, once per build (not at
/// every start, as Tomcat's `webapps-javaee` would).
fn migrate_if_javax(
    ctx: &BuildContext<'_>,
    root: &Path,
    staging: &Path,
) -> Result<PathBuf, BuildpackError> {
    let uses_javax =
        archive::uses_javax_servlet(&ctx.tools.host_path(root)).map_err(archive_error)?;
    if !uses_javax {
        (ctx.log)("The WAR uses jakarta.servlet: no migration needed for Tomcat 10.1");
        return Ok(root.to_path_buf());
    }
    let migrated = staging.join("migrated");
    let host_migrated = ctx.tools.host_path(&migrated);
    if host_migrated.exists() {
        fs::remove_dir_all(&host_migrated).map_err(|source| BuildpackError::Io {
            action: format!("clearing {}", host_migrated.display()),
            source,
        })?;
    }
    (ctx.log)(
        "The WAR uses javax.servlet: migrating it to jakarta.servlet at build time with \
         Apache Tomcat's migration tool (javax2jakarta)",
    );
    let command = ToolCommand::new(
        "javax2jakarta",
        [
            "-profile=TOMCAT".to_string(),
            root.display().to_string(),
            migrated.display().to_string(),
        ],
    );
    let output = ctx
        .tools
        .run(&command)
        .map_err(|e| BuildpackError::ToolMissing {
            buildpack: ID,
            tool: format!("javax2jakarta in {}", ctx.tools.describe()),
            hint: format!("{e}; build on a Debian stack, whose Java build environment has it"),
        })?;
    if !output.status.success() {
        return Err(BuildpackError::ToolFailed {
            buildpack: ID,
            tool: "javax2jakarta (the javax → jakarta migration)".into(),
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        });
    }
    Ok(migrated)
}

/// The environment the launcher starts the JVM with unless the container sets it.
fn launch_env(kind: AppKind) -> Vec<(String, String)> {
    let mut app_paths = APP_DIR.to_string();
    if kind == AppKind::War {
        app_paths = format!("{app_paths}:{}/lib", tomcat::CATALINA_HOME);
    }
    vec![
        (
            "BPL_JVM_THREAD_COUNT".into(),
            DEFAULT_THREAD_COUNT.to_string(),
        ),
        ("SLIPWAY_JVM_CODE_CACHE".into(), DEFAULT_CODE_CACHE.into()),
        ("SLIPWAY_JVM_APP_PATHS".into(), app_paths),
    ]
}

/// What `slipway inspect` needs to compute the smallest memory limit as the launcher will:
/// `classes=N threads=N code-cache=SIZE`.
fn memory_label(kind: AppKind, app_classes: u64) -> String {
    let classes = app_classes
        + if kind == AppKind::War {
            tomcat::TOMCAT_CLASSES
        } else {
            0
        };
    format!("classes={classes} threads={DEFAULT_THREAD_COUNT} code-cache={DEFAULT_CODE_CACHE}")
}

fn app_key(app_path: &Path) -> String {
    let path = app_path
        .canonicalize()
        .unwrap_or_else(|_| app_path.to_path_buf());
    hex::encode(&Sha256::digest(path.as_os_str().as_encoded_bytes())[..8])
}

/// Whether `name` ends in `.ext`, in any case (zip entries from Windows tools may shout).
pub(super) fn has_extension(name: &str, ext: &str) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(app_error)`
fn app_error(e: version::VersionError) -> BuildpackError {
    BuildpackError::App {
        buildpack: ID,
        message: e.to_string(),
        hint: e.hint(),
    }
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(archive_error)`
fn archive_error(e: archive::ArchiveError) -> BuildpackError {
    let hint = match e {
        archive::ArchiveError::NotAZip { .. } => Some(
            "rebuild the artifact (`mvn package`), or point slipway at the project directory \
             and let it build"
                .into(),
        ),
        _ => None,
    };
    BuildpackError::App {
        buildpack: ID,
        message: e.to_string(),
        hint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packaging_defaults_to_jar() {
        assert_eq!(pom_packaging("<project></project>"), "jar");
        assert_eq!(
            pom_packaging("<project><packaging> war </packaging></project>"),
            "war"
        );
    }

    #[test]
    fn the_memory_label_counts_tomcat_for_wars() {
        assert_eq!(
            memory_label(AppKind::War, 100),
            "classes=2781 threads=50 code-cache=64M"
        );
        assert_eq!(
            memory_label(AppKind::Jar, 100),
            "classes=100 threads=50 code-cache=64M"
        );
    }
}
