//! What `slipway build` builds, settled in one step from the flags and the app's `manifest.yml`
//! (flags win, as they do over a manifest with `cf push`): the app's path, its name, the build
//! environment, the buildpacks, and what the manifest adds to the image.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use slipway_lifecycle::BuildOutput;

use crate::app_manifest::{self, AppManifest};
use crate::cli::BuildArgs;

/// The label recording the memory the app's manifest asks for: the default of `slipway run -m`
/// and of deploys, shown by `slipway inspect`.
pub const MEMORY_LABEL: &str = "io.slipway.app.memory";

/// The app to build, with its manifest applied.
pub struct AppSource {
    /// The app's directory, or the artifact file (`-p target/app.war`).
    pub path: PathBuf,
    /// The manifest read, if any, and where it was.
    pub manifest: Option<(PathBuf, AppManifest)>,
    /// The build's environment: the manifest's `env`, then `-e` pairs.
    pub env: Vec<(String, String)>,
    /// Buildpacks asked for with `-b`, else by the manifest.
    pub buildpacks: Vec<String>,
}

impl AppSource {
    /// Settles the app from `args`. The manifest is looked for at the path given (beside an
    /// artifact), else in the current directory; its `path:` applies only when no path is given.
    pub fn resolve(args: &BuildArgs) -> anyhow::Result<Self> {
        let given = args.path_flag.clone().or_else(|| args.path.clone());
        let manifest = app_manifest::find(given.as_deref().unwrap_or(Path::new(".")))?;
        let path = given
            .or_else(|| manifest.as_ref().and_then(|(_, m)| m.path.clone()))
            .unwrap_or_else(|| PathBuf::from("."));
        let path = checked_path(&path)?;
        let mut env = manifest
            .as_ref()
            .map(|(_, m)| m.env.clone())
            .unwrap_or_default();
        env.extend(parse_env(&args.env)?);
        let buildpacks = if args.buildpacks.is_empty() {
            manifest
                .as_ref()
                .map(|(_, m)| m.buildpacks.iter().map(|b| buildpack_id(b)).collect())
                .unwrap_or_default()
        } else {
            args.buildpacks.clone()
        };
        Ok(Self {
            path,
            manifest,
            env,
            buildpacks,
        })
    }

    /// The manifest's app name, the default image name when there is no `-t`.
    pub fn manifest_name(&self) -> Option<&str> {
        self.manifest.as_ref().and_then(|(_, m)| m.name.as_deref())
    }

    /// A line for the build log saying what the manifest set.
    pub fn manifest_summary(&self) -> Option<String> {
        let (path, m) = self.manifest.as_ref()?;
        let mut parts = Vec::new();
        if let Some(memory) = m.memory {
            parts.push(format!(
                "memory {}",
                slipway_launch::jvm_memory::Size(memory)
            ));
        }
        if !m.env.is_empty() {
            parts.push(format!("{} env vars", m.env.len()));
        }
        if !m.buildpacks.is_empty() {
            parts.push(format!("buildpacks {}", m.buildpacks.join(", ")));
        }
        if m.command.is_some() {
            parts.push("command".into());
        }
        Some(format!(
            "using {} ({})",
            path.display(),
            if parts.is_empty() {
                "nothing slipway uses".to_string()
            } else {
                parts.join(", ")
            }
        ))
    }

    /// Applies the manifest to what the buildpack built: its `env` joins the launch
    /// environment (Cloud Foundry gives it to the app at run time too), its `command` replaces
    /// the web process's, and its `memory` is recorded as a label.
    pub fn apply_manifest(&self, output: &mut BuildOutput) -> anyhow::Result<()> {
        let Some((path, manifest)) = &self.manifest else {
            return Ok(());
        };
        output.launch_env.extend(manifest.env.iter().cloned());
        if let Some(command) = &manifest.command {
            let argv = command_argv(command)
                .with_context(|| format!("{}: command {command:?}", path.display()))?;
            match output.processes.iter_mut().find(|p| p.name == "web") {
                Some(web) => web.command = argv,
                None => output.processes.insert(
                    0,
                    slipway_lifecycle::ProcessType {
                        name: "web".into(),
                        command: argv,
                        ..Default::default()
                    },
                ),
            }
        }
        if let Some(memory) = manifest.memory {
            output
                .labels
                .push((MEMORY_LABEL.to_string(), memory.to_string()));
        }
        Ok(())
    }
}

fn checked_path(path: &Path) -> anyhow::Result<PathBuf> {
    if !path.exists() {
        bail!("the app path {} does not exist", path.display());
    }
    if !path.is_dir() && !path.is_file() {
        bail!(
            "the app path {} is neither a directory nor an artifact file",
            path.display()
        );
    }
    path.canonicalize()
        .with_context(|| format!("reading {}", path.display()))
}

/// `-e KEY=VALUE` pairs.
pub fn parse_env(pairs: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    pairs
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => bail!("-e {pair:?} is not KEY=VALUE"),
        })
        .collect()
}

/// A Cloud Foundry buildpack name as slipway's id: `java_buildpack`, `java-buildpack`, or a
/// URL ending in `java-buildpack.git` name `java`; other names pass through unchanged.
fn buildpack_id(name: &str) -> String {
    let last = name
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(name);
    let last = last.strip_suffix(".git").unwrap_or(last);
    let stem = last
        .strip_suffix("_buildpack")
        .or_else(|| last.strip_suffix("-buildpack"))
        .unwrap_or(last);
    match stem {
        "java" | "go" => stem.to_string(),
        _ => name.to_string(),
    }
}

/// The manifest's `command` as a program and its arguments. The image has no shell to run a
/// command line with, so a command that needs one is an error that says so.
fn command_argv(command: &str) -> anyhow::Result<Vec<String>> {
    if command.contains(['|', '&', ';', '<', '>', '$', '`', '(', ')', '*', '?']) {
        bail!(
            "it needs a shell (it uses shell syntax such as $VAR, pipes or &&), and slipway's \
             images run commands without one: write it as a program and its arguments"
        );
    }
    let argv = shell_words::split(command).context("its quoting is unbalanced")?;
    if argv.is_empty() {
        bail!("it is empty");
    }
    Ok(argv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_foundry_buildpack_names_map_to_slipways() {
        assert_eq!(buildpack_id("java_buildpack"), "java");
        assert_eq!(
            buildpack_id("https://github.com/cloudfoundry/java-buildpack.git"),
            "java"
        );
        assert_eq!(buildpack_id("go_buildpack"), "go");
        assert_eq!(buildpack_id("slipway/java"), "java");
        assert_eq!(buildpack_id("staticfile_buildpack"), "staticfile_buildpack");
    }

    #[test]
    fn commands_split_like_a_shell_but_refuse_shell_syntax() {
        assert_eq!(
            command_argv("java -jar 'my app.jar' --port 8080").unwrap(),
            ["java", "-jar", "my app.jar", "--port", "8080"]
        );
        let err = command_argv("java -jar app.jar --port $PORT").unwrap_err();
        assert!(err.to_string().starts_with("it needs a shell"), "{err}");
        assert!(command_argv("  ").is_err());
    }

    #[test]
    fn env_pairs_need_a_key() {
        assert_eq!(
            parse_env(&["A=b=c".into()]).unwrap(),
            vec![("A".into(), "b=c".into())]
        );
        assert!(parse_env(&["=x".into()]).is_err());
        assert!(parse_env(&["novalue".into()]).is_err());
    }
}
