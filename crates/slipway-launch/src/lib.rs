//! The launch configuration: which processes an image can run, with which
//! environment, and which one runs by default.
//!
//! Two programs share this format. The lifecycle writes it into an app layer
//! at [`CONFIG_PATH`] when it exports an image; the in-image launcher (the
//! `slipway-launcher` crate, installed at [`LAUNCHER_PATH`]) reads it when the
//! container starts, picks a process and execs it.
//!
//! Why a hand-written text format and no serde: the launcher is copied into
//! every image, so it must stay tiny, static and free of dependencies. This
//! crate is std only for the same reason. The format ([`LaunchConfig::to_text`],
//! [`LaunchConfig::parse`]) is line based and versioned (first line
//! `slipway-launch 1`), and its output is deterministic, so the same config
//! always gives a layer with the same digest.

mod format;
pub mod jvm_memory;

pub use format::{ParseError, ParseErrorKind};

/// Where the launcher lives in every image.
///
/// The launcher sits in its own layer, shared by all apps built with the same
/// slipway, so this path is the image's entrypoint.
pub const LAUNCHER_PATH: &str = "/cnb/lifecycle/launcher";

/// The directory holding one symlink per process type, `/cnb/process/<type>`,
/// each pointing at [`LAUNCHER_PATH`].
///
/// Invoking the launcher through such a symlink runs that process type, as in
/// the Cloud Native Buildpacks lifecycle (`docker run --entrypoint
/// /cnb/process/worker IMAGE`).
pub const PROCESS_DIR: &str = "/cnb/process";

/// Where the launch configuration of an app lives in its image.
///
/// It belongs to the app, so it lives in an app layer (under `/layers`), not in
/// the launcher's layer, which must stay identical across apps to be shared.
pub const CONFIG_PATH: &str = "/layers/config/slipway-launch.conf";

/// The process type run when neither the command line, `CNB_PROCESS_TYPE`
/// nor the configuration names one; `web` is the buildpacks convention.
pub const DEFAULT_PROCESS: &str = "web";

/// Everything the launcher needs to start an app: the environment to provide,
/// the processes it can run and the one to run by default.
///
/// Written by the lifecycle and read by the launcher through
/// [`LaunchConfig::to_text`] and [`LaunchConfig::parse`]; any value of this type
/// survives the round trip unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LaunchConfig {
    /// Environment variables as `(name, value)`, in order.
    ///
    /// They are defaults: a variable the container already sets (say
    /// `docker run -e PORT=9000`) is left alone.
    pub env: Vec<(String, String)>,
    /// The processes the image can run. Types should be unique; when they are
    /// not, [`LaunchConfig::process`] finds the first.
    pub processes: Vec<Process>,
    /// The process type to run when the command line and `CNB_PROCESS_TYPE`
    /// name none; [`DEFAULT_PROCESS`] when this is `None`.
    pub default_process: Option<String>,
}

/// One way to run the app, such as `web` or `worker`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Process {
    /// The name a user picks the process by (`/cnb/process/<type>`).
    pub process_type: String,
    /// The program, then its arguments. There is no shell in a run image, so
    /// this is exec'd as is; a program without a `/` is looked up in `PATH`.
    pub command: Vec<String>,
    /// The directory to change into before exec, if any.
    pub working_dir: Option<String>,
    /// Size the JVM to the container's memory at start: the launcher reads the
    /// memory limit, computes the JVM's memory flags with [`jvm_memory`] and
    /// appends them to `JAVA_TOOL_OPTIONS` before exec. Set by the Java
    /// buildpack, whose apps run in containers of any size.
    pub jvm_memory: bool,
}

impl LaunchConfig {
    /// Finds the process of the given type, so the launcher and the lifecycle
    /// agree on which process a name refers to (the first of that type).
    #[must_use]
    pub fn process(&self, process_type: &str) -> Option<&Process> {
        self.processes
            .iter()
            .find(|process| process.process_type == process_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_finds_the_first_of_a_type() {
        let first = Process {
            process_type: "web".into(),
            command: vec!["first".into()],
            working_dir: None,
            jvm_memory: false,
        };
        let second = Process {
            command: vec!["second".into()],
            ..first.clone()
        };
        let config = LaunchConfig {
            processes: vec![first.clone(), second],
            ..LaunchConfig::default()
        };
        assert_eq!(config.process("web"), Some(&first));
        assert_eq!(config.process("worker"), None);
    }
}
