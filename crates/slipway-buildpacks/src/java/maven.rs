//! Building a Maven project in the build environment: the project's own wrapper (`mvnw`) when
//! it has one, else the stack's Maven, with the local repository kept in the buildpack's cache.
//!
//! Maven writes `target/` next to `pom.xml`, and the app directory is read-only to the tools, so
//! the sources are mirrored into the cache first. The mirror keeps each file's modification time
//! and the previous `target/`, so Maven's own up-to-date checks work: a one-class change
//! recompiles that class, as it would in the developer's checkout.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use slipway_lifecycle::{BuildContext, BuildpackError, ToolCommand};

use super::ID;

/// The default arguments, which `BP_MAVEN_BUILD_ARGUMENTS` replaces: Paketo's, but with
/// Maven's transfer lines on (batch mode prints one line per download, no progress bars), which
/// the build log sums up as downloads with sizes.
pub const DEFAULT_BUILD_ARGUMENTS: &str = "-Dmaven.test.skip=true package";

/// Directories of the app that never go to the build: Maven's own output, version control and
/// editor state.
const SKIPPED_DIRS: &[&str] = &[
    "target", ".git", ".hg", ".svn", ".idea", ".vscode", ".gradle",
];

/// A Maven build's result: the `target/` directory, as the host sees it.
pub struct MavenOutput {
    /// `target/` of the mirrored project (host path).
    pub target_dir: PathBuf,
    /// How Maven was run, for the log.
    pub command_line: String,
}

/// Mirrors the project into the cache and runs Maven there.
pub fn build(ctx: &BuildContext<'_>, app_key: &str) -> Result<MavenOutput, BuildpackError> {
    let tool_project = ctx.tools.cache_dir().join("projects").join(app_key);
    let host_project = ctx.tools.host_path(&tool_project);
    let changed = mirror(ctx.app_dir, &host_project).map_err(|source| BuildpackError::Io {
        action: format!(
            "copying {} into the build cache {}",
            ctx.app_dir.display(),
            host_project.display()
        ),
        source,
    })?;
    ctx.tools
        .hand_over(&host_project)
        .map_err(|source| BuildpackError::Io {
            action: format!("handing {} to the build user", host_project.display()),
            source,
        })?;
    (ctx.log)(&format!(
        "{changed} source files changed since the last build"
    ));
    let command = maven_command(ctx, &host_project, &tool_project);
    let command_line = format!("{} {}", command.program, command.args.join(" "));
    // Maven's own up-to-date checks still cost a JVM start and a few seconds: with no source
    // changed since a build that succeeded with the same command and environment, its output
    // stands (what makes `slipway run` on an unchanged app start at once).
    let stamp_path = host_project.join("target").join(".slipway-maven-stamp");
    let stamp = build_stamp(&command);
    if changed == 0 && std::fs::read_to_string(&stamp_path).is_ok_and(|s| s == stamp) {
        (ctx.log)("Maven's last build is up to date: nothing to run");
        return Ok(MavenOutput {
            target_dir: host_project.join("target"),
            command_line,
        });
    }
    let _ = std::fs::remove_file(&stamp_path);
    (ctx.log)(&format!("Running {command_line}"));
    let mut progress = MavenProgress::default();
    let output = ctx
        .tools
        .run_with_lines(&command, &mut |line| progress.line(line, ctx.log))
        .map_err(|e| BuildpackError::ToolMissing {
            buildpack: ID,
            tool: format!("Maven ({}) in {}", command.program, ctx.tools.describe()),
            hint: format!("{e}; build on a Debian stack, whose Java build environment has Maven"),
        })?;
    (ctx.log)(&progress.summary());
    if !output.status.success() {
        return Err(BuildpackError::ToolFailed {
            buildpack: ID,
            tool: format!("Maven ({command_line})"),
            output: maven_output(&output),
        });
    }
    // Best effort: without the stamp the next build just runs Maven again.
    let _ = std::fs::write(&stamp_path, stamp);
    Ok(MavenOutput {
        target_dir: host_project.join("target"),
        command_line,
    })
}

/// What a Maven build's output depends on besides the sources: the command and environment.
fn build_stamp(command: &ToolCommand) -> String {
    let mut lines = vec![format!("{} {}", command.program, command.args.join(" "))];
    lines.extend(command.env.iter().map(|(k, v)| format!("{k}={v}")));
    lines.join("\n")
}

/// `mvnw` when the project has a wrapper, else `mvn`, with the repository in the cache.
fn maven_command(ctx: &BuildContext<'_>, host_project: &Path, tool_project: &Path) -> ToolCommand {
    let cache = ctx.tools.cache_dir();
    let arguments = env_value(ctx.env, "BP_MAVEN_BUILD_ARGUMENTS")
        .unwrap_or_else(|| DEFAULT_BUILD_ARGUMENTS.to_string());
    let mut args = vec![
        "--batch-mode".to_string(),
        format!(
            "-Dmaven.repo.local={}",
            cache.join("m2").join("repository").display()
        ),
    ];
    args.extend(arguments.split_whitespace().map(str::to_string));
    let (program, args) = if host_project.join("mvnw").is_file() {
        let mut wrapped = vec!["./mvnw".to_string()];
        wrapped.extend(args);
        ("sh".to_string(), wrapped)
    } else {
        ("mvn".to_string(), args)
    };
    let mut command = ToolCommand::new(&program, args)
        .current_dir(tool_project)
        .env("MAVEN_USER_HOME", cache.join("m2").display().to_string());
    command.env.extend(
        ctx.env
            .iter()
            .filter(|(k, _)| k != "BP_MAVEN_BUILD_ARGUMENTS")
            .cloned(),
    );
    command
}

/// The last value of `key` among the build's `-e` pairs.
#[must_use]
pub fn env_value(env: &[(String, String)], key: &str) -> Option<String> {
    env.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

/// Maven's output turned into the build log: each plugin goal as it starts, and the downloads
/// summed up (a cold build fetches hundreds of small files).
#[derive(Debug, Default)]
struct MavenProgress {
    downloads: u64,
    bytes: f64,
}

impl MavenProgress {
    fn line(&mut self, line: &str, log: &(dyn Fn(&str) + Sync)) {
        if let Some(size) = downloaded_size(line) {
            self.downloads += 1;
            self.bytes += size;
        } else if let Some(goal) = line
            .strip_prefix("[INFO] --- ")
            .and_then(|rest| rest.strip_suffix(" ---"))
        {
            log(&format!("mvn {goal}"));
        }
    }

    fn summary(&self) -> String {
        if self.downloads == 0 {
            "Maven found every dependency and plugin in its repository cache".into()
        } else {
            #[allow(clippy::cast_precision_loss)]
            let mib = self.bytes / (1024.0 * 1024.0);
            format!(
                "Maven downloaded {} files ({mib:.1} MiB) into its repository cache",
                self.downloads
            )
        }
    }
}

/// The size in bytes of a `Downloaded from REPO: URL (12 kB at 340 kB/s)` line.
fn downloaded_size(line: &str) -> Option<f64> {
    let rest = line
        .strip_prefix("[INFO] ")
        .unwrap_or(line)
        .strip_prefix("Downloaded from ")?;
    let (_, size) = rest.rsplit_once(" (")?;
    let size = size.split(" at ").next()?;
    let (number, unit) = size.split_once(' ')?;
    let scale = match unit {
        "B" => 1.0,
        "kB" => 1000.0,
        "MB" => 1_000_000.0,
        "GB" => 1_000_000_000.0,
        _ => return None,
    };
    Some(number.parse::<f64>().ok()? * scale)
}

/// What Maven printed, without its download chatter, for the error report.
fn maven_output(output: &std::process::Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    text.lines()
        .filter(|line| !line.contains("Download"))
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Makes `to` hold the same files as `from` (but for [`SKIPPED_DIRS`] and what `to` built),
/// copying only files whose size or modification time differ and keeping those times. Returns
/// how many files it copied or removed.
pub fn mirror(from: &Path, to: &Path) -> io::Result<usize> {
    fs::create_dir_all(to)?;
    let mut changed = 0;
    let mut wanted = std::collections::BTreeSet::new();
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if SKIPPED_DIRS.iter().any(|s| name == *s) {
            continue;
        }
        wanted.insert(name.clone());
        let (source, target) = (entry.path(), to.join(&name));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if target.is_file() || target.is_symlink() {
                fs::remove_file(&target)?;
            }
            changed += mirror(&source, &target)?;
        } else if kind.is_file() {
            changed += usize::from(copy_if_changed(&source, &target)?);
        }
    }
    for entry in fs::read_dir(to)? {
        let entry = entry?;
        let name = entry.file_name();
        if wanted.contains(&name) || name == "target" {
            continue;
        }
        if entry.file_type()?.is_dir() {
            fs::remove_dir_all(entry.path())?;
        } else {
            fs::remove_file(entry.path())?;
        }
        changed += 1;
    }
    Ok(changed)
}

fn copy_if_changed(source: &Path, target: &Path) -> io::Result<bool> {
    let meta = fs::metadata(source)?;
    let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    if let Ok(existing) = fs::metadata(target)
        && existing.is_file()
        && existing.len() == meta.len()
        && existing.modified().ok() == Some(modified)
    {
        return Ok(false);
    }
    if target.is_dir() {
        fs::remove_dir_all(target)?;
    }
    fs::copy(source, target)?;
    fs::File::options()
        .write(true)
        .open(target)?
        .set_modified(modified)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_copies_changes_keeps_target_and_drops_removed_files() {
        let (from, to) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let src = from.path().join("src/main/java");
        fs::create_dir_all(&src).unwrap();
        fs::write(from.path().join("pom.xml"), "<project/>").unwrap();
        fs::write(src.join("A.java"), "class A {}").unwrap();
        fs::create_dir_all(from.path().join("target")).unwrap();
        fs::write(from.path().join("target/stale.class"), "x").unwrap();
        assert_eq!(mirror(from.path(), to.path()).unwrap(), 2);
        assert!(!to.path().join("target/stale.class").exists());
        fs::create_dir_all(to.path().join("target")).unwrap();
        fs::write(to.path().join("target/A.class"), "built").unwrap();
        assert_eq!(mirror(from.path(), to.path()).unwrap(), 0);
        fs::write(src.join("A.java"), "class A { int x; }").unwrap();
        fs::remove_file(from.path().join("pom.xml")).unwrap();
        assert_eq!(mirror(from.path(), to.path()).unwrap(), 2);
        assert_eq!(
            fs::read_to_string(to.path().join("src/main/java/A.java")).unwrap(),
            "class A { int x; }"
        );
        assert!(!to.path().join("pom.xml").exists());
        assert!(to.path().join("target/A.class").exists());
    }

    #[test]
    fn downloads_are_summed_and_goals_logged() {
        let logged = std::sync::Mutex::new(Vec::new());
        let log = |line: &str| logged.lock().unwrap().push(line.to_string());
        let mut progress = MavenProgress::default();
        for line in [
            "[INFO] Downloading from central: https://repo.example/a.pom",
            "[INFO] Downloaded from central: https://repo.example/a.pom (2.5 kB at 12 kB/s)",
            "[INFO] Downloaded from central: https://repo.example/b.jar (1.5 MB at 3.1 MB/s)",
            "[INFO] --- compiler:3.13.0:compile (default-compile) @ java-war ---",
            "[INFO] BUILD SUCCESS",
        ] {
            progress.line(line, &log);
        }
        assert_eq!(
            *logged.lock().unwrap(),
            ["mvn compiler:3.13.0:compile (default-compile) @ java-war"]
        );
        assert_eq!(
            progress.summary(),
            "Maven downloaded 2 files (1.4 MiB) into its repository cache"
        );
        assert_eq!(
            MavenProgress::default().summary(),
            "Maven found every dependency and plugin in its repository cache"
        );
    }

    #[test]
    fn build_arguments_follow_paketo_and_can_be_replaced() {
        assert_eq!(env_value(&[], "BP_MAVEN_BUILD_ARGUMENTS"), None);
        let env = vec![
            ("BP_MAVEN_BUILD_ARGUMENTS".to_string(), "a".to_string()),
            (
                "BP_MAVEN_BUILD_ARGUMENTS".to_string(),
                "-q package".to_string(),
            ),
        ];
        assert_eq!(
            env_value(&env, "BP_MAVEN_BUILD_ARGUMENTS").as_deref(),
            Some("-q package")
        );
    }
}
