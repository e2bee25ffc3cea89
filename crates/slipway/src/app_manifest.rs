//! Cloud Foundry's `manifest.yml`, read as `cf push` reads it, so that an app moving from Cloud
//! Foundry keeps its name, memory, path, buildpacks, command and environment with
//! `slipway build`, `run` and `deploy`.
//!
//! slipway reads the fields it can honour and ignores the rest (`instances`, `routes`,
//! `random-route`, `services`, and whatever other tools add), since other tools write these files
//! too. It builds one app per manifest: with several applications, the caller names one.
//! `((variable))` substitution from `cf push --vars-file` is not done: such values arrive as
//! written.

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

/// The names `cf push` looks for, in its order.
const FILE_NAMES: [&str; 2] = ["manifest.yml", "manifest.yaml"];

/// One application of a manifest, with its values resolved for slipway: a memory size in bytes,
/// a path relative to the current directory, the environment sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AppManifest {
    /// The app's name, used as the image name when none is given.
    pub(crate) name: Option<String>,
    /// The memory limit, in bytes.
    pub(crate) memory: Option<u64>,
    /// The app's source directory or artifact, resolved against the manifest's directory.
    pub(crate) path: Option<PathBuf>,
    /// The buildpacks asked for, in order (`buildpacks`, else the legacy `buildpack`).
    pub(crate) buildpacks: Vec<String>,
    /// The start command, replacing the one the buildpack detects.
    pub(crate) command: Option<String>,
    /// Environment variables, sorted by name; numbers and booleans as written.
    pub(crate) env: Vec<(String, String)>,
}

/// Why a manifest could not be read; each message names the file, and the field when one is at
/// fault.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ManifestError {
    /// The manifest exists but could not be read.
    #[error("reading {}", path.display())]
    Read {
        /// The manifest.
        path: PathBuf,
        /// Why reading failed.
        #[source]
        source: io::Error,
    },
    /// Not YAML, or YAML of the wrong shape (a list where a name goes, say).
    #[error("{}: not a valid manifest (line {line}, column {column})", path.display())]
    Yaml {
        /// The manifest.
        path: PathBuf,
        /// The line of the error, from 1 (0 when the parser did not say).
        line: u64,
        /// The column of the error, from 1 (0 when the parser did not say).
        column: u64,
        /// The YAML parser's complaint (boxed: it is large, and errors are rare).
        #[source]
        source: Box<serde_saphyr::Error>,
    },
    /// A `memory` value that is not a size.
    #[error("{}: memory \"{value}\" is not a size such as 256M or 1G", path.display())]
    Memory {
        /// The manifest.
        path: PathBuf,
        /// The value as written.
        value: String,
    },
    /// `applications:` with nothing in it.
    #[error("{}: `applications` is empty, so there is no app to build", path.display())]
    NoApplications {
        /// The manifest.
        path: PathBuf,
    },
    /// Several applications and no name to choose one by.
    #[error(
        "{}: lists several applications ({}), but slipway builds one app per manifest: name \
         the one to build",
        path.display(), names.join(", ")
    )]
    SeveralApplications {
        /// The manifest.
        path: PathBuf,
        /// The applications' names, in the manifest's order.
        names: Vec<String>,
    },
    /// The name asked for is not in the manifest.
    #[error(
        "{}: has no application named \"{name}\" (it lists {})",
        path.display(), names.join(", ")
    )]
    NoSuchApplication {
        /// The manifest.
        path: PathBuf,
        /// The name asked for.
        name: String,
        /// The applications' names, in the manifest's order.
        names: Vec<String>,
    },
}

/// A manifest's fields as written. The top level reads as an app too, because the legacy form
/// puts one app's fields there, and `cf` v6 let top-level fields apply to every app listed in
/// `applications`. Scalars are read as their text, so `memory: 1024` and `PORT: 8080` arrive as
/// written; unknown fields are ignored.
#[derive(Debug, Default, Deserialize)]
struct RawApp {
    applications: Option<Vec<RawApp>>,
    name: Option<String>,
    memory: Option<String>,
    path: Option<String>,
    buildpacks: Option<Vec<String>>,
    buildpack: Option<String>,
    command: Option<String>,
    env: Option<BTreeMap<String, Option<String>>>,
}

impl RawApp {
    /// This app with the top level's fields filling in what it leaves out.
    fn inheriting(self, top: &RawApp) -> RawApp {
        let mut env = top.env.clone().unwrap_or_default();
        env.extend(self.env.unwrap_or_default());
        RawApp {
            applications: None,
            name: self.name.or_else(|| top.name.clone()),
            memory: self.memory.or_else(|| top.memory.clone()),
            path: self.path.or_else(|| top.path.clone()),
            buildpacks: self.buildpacks.or_else(|| top.buildpacks.clone()),
            buildpack: self.buildpack.or_else(|| top.buildpack.clone()),
            command: self.command.or_else(|| top.command.clone()),
            env: Some(env),
        }
    }

    fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| "(unnamed)".to_owned())
    }
}

/// Finds and reads the manifest for an app: `manifest.yml` (or `manifest.yaml`) in the given
/// directory, or beside the given artifact file. `None` when there is none.
pub(crate) fn find(
    app_dir_or_artifact: &Path,
) -> Result<Option<(PathBuf, AppManifest)>, ManifestError> {
    find_named(app_dir_or_artifact, None)
}

/// [`find`], choosing the application called `name` when the manifest lists several (or
/// checking that the only one is called so).
pub(crate) fn find_named(
    app_dir_or_artifact: &Path,
    name: Option<&str>,
) -> Result<Option<(PathBuf, AppManifest)>, ManifestError> {
    let dir = if app_dir_or_artifact.is_dir() {
        app_dir_or_artifact
    } else {
        app_dir_or_artifact
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    };
    let Some(path) = FILE_NAMES
        .iter()
        .map(|file| dir.join(file))
        .find(|path| path.is_file())
    else {
        return Ok(None);
    };
    let yaml = std::fs::read_to_string(&path).map_err(|source| ManifestError::Read {
        path: path.clone(),
        source,
    })?;
    let manifest = parse(&path, &yaml, name)?;
    Ok(Some((path, manifest)))
}

/// Reads a manifest's text; `manifest_path` names it in errors and anchors its `path:`.
pub(crate) fn parse(
    manifest_path: &Path,
    yaml: &str,
    name: Option<&str>,
) -> Result<AppManifest, ManifestError> {
    let top: RawApp = serde_saphyr::from_str::<Option<RawApp>>(yaml)
        .map_err(|source| {
            let location = source.location();
            ManifestError::Yaml {
                path: manifest_path.to_owned(),
                line: location.map_or(0, |l| l.line()),
                column: location.map_or(0, |l| l.column()),
                source: Box::new(source),
            }
        })?
        .unwrap_or_default();
    let app = choose(manifest_path, top, name)?;
    resolve(manifest_path, app)
}

/// The one application to build.
fn choose(
    manifest_path: &Path,
    mut top: RawApp,
    name: Option<&str>,
) -> Result<RawApp, ManifestError> {
    let apps = match top.applications.take() {
        Some(apps) if apps.is_empty() => {
            return Err(ManifestError::NoApplications {
                path: manifest_path.to_owned(),
            });
        }
        Some(apps) => apps.into_iter().map(|app| app.inheriting(&top)).collect(),
        None => vec![top],
    };
    let names: Vec<String> = apps.iter().map(RawApp::display_name).collect();
    let path = manifest_path.to_owned();
    match name {
        Some(wanted) => apps
            .into_iter()
            .find(|app| app.name.as_deref() == Some(wanted))
            .ok_or_else(|| ManifestError::NoSuchApplication {
                path,
                name: wanted.to_owned(),
                names,
            }),
        None if apps.len() > 1 => Err(ManifestError::SeveralApplications { path, names }),
        None => Ok(apps.into_iter().next().unwrap_or_default()),
    }
}

/// Turns an app's fields as written into slipway's values.
fn resolve(manifest_path: &Path, app: RawApp) -> Result<AppManifest, ManifestError> {
    let memory = match app.memory {
        Some(value) => Some(parse_memory(&value).ok_or_else(|| ManifestError::Memory {
            path: manifest_path.to_owned(),
            value,
        })?),
        None => None,
    };
    let base = manifest_path.parent().unwrap_or(Path::new(""));
    let mut buildpacks = app.buildpacks.unwrap_or_default();
    // `cf` reads "default" and "null" as "detect it": slipway's default too.
    let legacy = app.buildpack.filter(|b| b != "default" && b != "null");
    if buildpacks.is_empty() {
        buildpacks.extend(legacy);
    }
    let env = app.env.unwrap_or_default().into_iter();
    Ok(AppManifest {
        name: app.name,
        memory,
        path: app.path.map(|path| join_clean(base, Path::new(&path))),
        buildpacks,
        command: app.command,
        env: env
            .map(|(key, value)| (key, value.unwrap_or_default()))
            .collect(),
    })
}

/// `base/relative` without `.` components, so that `path: ./target/app.jar` reads cleanly in
/// messages; an absolute `relative` stands alone, and `.` in `.` stays `.`.
fn join_clean(base: &Path, relative: &Path) -> PathBuf {
    let joined: PathBuf = base
        .join(relative)
        .components()
        .filter(|component| *component != Component::CurDir)
        .collect();
    if joined.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        joined
    }
}

/// A Cloud Foundry memory size in bytes: a number with a unit of K, M, G or T (or KB, MB, GB,
/// TB; any case), binary as in `cf`; a bare number is megabytes, as `cf` reads it. `None` for
/// anything else, fractions and zero included.
pub(crate) fn parse_memory(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: u64 = number.parse().ok().filter(|n| *n > 0)?;
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "K" | "KB" => 10,
        "" | "M" | "MB" => 20,
        "G" | "GB" => 30,
        "T" | "TB" => 40,
        _ => return None,
    };
    number.checked_mul(1 << shift)
}

#[cfg(test)]
mod tests;
