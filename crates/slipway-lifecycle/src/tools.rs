//! Where a buildpack's tools run: on the host (its own toolchains, as ko does), or in a stack's
//! build environment (a Debian root filesystem entered through namespaces, so the host's
//! toolchains never leak in). Buildpacks see one trait and the paths as the tools see them.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A command a buildpack runs: program, arguments, and the environment it adds.
#[derive(Debug, Clone, Default)]
pub struct ToolCommand {
    /// The program (looked up in PATH).
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Variables set on top of the runner's environment.
    pub env: Vec<(String, String)>,
    /// The directory it runs in, as the tools see it; the app directory when `None`.
    pub dir: Option<PathBuf>,
}

impl ToolCommand {
    /// `program` with `args`.
    #[must_use]
    pub fn new(program: &str, args: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            env: vec![],
            dir: None,
        }
    }

    /// Runs it in `dir` (a path as the tools see it, such as one under the cache) rather than
    /// the app directory: for tools that write next to their input, as Maven writes `target/`.
    #[must_use]
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Adds an environment variable.
    #[must_use]
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
}

/// Runs a buildpack's tools, in the app directory.
pub trait ToolRunner: Sync {
    /// What the tools run in, for the build log ("the host", "the debian-13 build environment").
    fn describe(&self) -> String;

    /// The app directory as the tools see it.
    fn app_dir(&self) -> PathBuf;

    /// The buildpack's cache directory as the tools see it (writable, kept between builds).
    fn cache_dir(&self) -> PathBuf;

    /// Where a path under [`Self::cache_dir`] is on the host.
    fn host_path(&self, tool_path: &Path) -> PathBuf;

    /// Runs `command` to completion in the app directory.
    fn run(&self, command: &ToolCommand) -> io::Result<Output>;

    /// [`Self::run`], passing each line of output (stdout and stderr, without the newline) to
    /// `on_line` as it comes, so a long tool's progress shows while it works. By default the
    /// lines come after it finishes.
    fn run_with_lines(
        &self,
        command: &ToolCommand,
        on_line: &mut dyn FnMut(&str),
    ) -> io::Result<Output> {
        let output = self.run(command)?;
        for line in String::from_utf8_lossy(&output.stdout)
            .lines()
            .chain(String::from_utf8_lossy(&output.stderr).lines())
        {
            on_line(line);
        }
        Ok(output)
    }

    /// Makes what the buildpack wrote at `host_path` (a file or a tree) writable by the tools,
    /// which may run as another user: a build environment's build user.
    fn hand_over(&self, _host_path: &Path) -> io::Result<()> {
        Ok(())
    }
}

/// The host's own tools, as ko uses them.
pub struct HostTools {
    /// The app directory.
    pub app_dir: PathBuf,
    /// The buildpack's cache directory.
    pub cache_dir: PathBuf,
    /// Variables set for every tool (e.g. `-e` from the command line).
    pub env: Vec<(String, String)>,
}

impl ToolRunner for HostTools {
    fn describe(&self) -> String {
        "the host's toolchain".into()
    }

    fn app_dir(&self) -> PathBuf {
        self.app_dir.clone()
    }

    fn cache_dir(&self) -> PathBuf {
        self.cache_dir.clone()
    }

    fn host_path(&self, tool_path: &Path) -> PathBuf {
        tool_path.to_path_buf()
    }

    fn run(&self, command: &ToolCommand) -> io::Result<Output> {
        Command::new(&command.program)
            .args(&command.args)
            .current_dir(command.dir.as_ref().unwrap_or(&self.app_dir))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .envs(command.env.iter().map(|(k, v)| (k, v)))
            .output()
    }
}
