//! Why the launcher could not start the app, and the exit code for each case.

use std::fmt;
use std::io;
use std::path::PathBuf;

use slipway_launch::ParseError;
use slipway_launch::jvm_memory::TooSmall;

/// Everything that can stop the launcher; the cause, when there is one, is
/// the [`std::error::Error::source`], printed after the message.
#[derive(Debug)]
pub enum LaunchError {
    /// The launch config could not be read (missing, unreadable, not UTF-8).
    ReadConfig {
        /// Where the config was expected.
        path: PathBuf,
        /// Why reading failed.
        source: io::Error,
    },
    /// The launch config is not in a format this launcher reads.
    ParseConfig {
        /// The config that was read.
        path: PathBuf,
        /// The line and the problem.
        source: ParseError,
    },
    /// The requested process type is not in the config.
    UnknownProcess {
        /// The type asked for.
        requested: String,
        /// The types the config defines, so the user can pick one.
        known: Vec<String>,
    },
    /// The process type exists but has an empty command.
    EmptyCommand {
        /// The process type.
        process_type: String,
    },
    /// A config environment name the kernel cannot carry.
    InvalidEnvName {
        /// The offending name.
        name: String,
    },
    /// The process's working directory could not be entered.
    ChangeDir {
        /// The working directory.
        dir: PathBuf,
        /// Why `chdir` failed.
        source: io::Error,
    },
    /// A bare program name was not found in `PATH`.
    NotFound {
        /// The program as given.
        program: String,
    },
    /// The container's memory limit could not be read, to size the JVM.
    MemoryLimit {
        /// Why reading the cgroup and `/proc/meminfo` failed.
        source: io::Error,
    },
    /// A `BPL_JVM_*` variable that is not a number (or a head room of 100% or
    /// more).
    InvalidJvmSetting {
        /// The variable.
        name: String,
        /// Its value.
        value: String,
    },
    /// The memory limit cannot hold the JVM; the message says the smallest
    /// limit that can.
    JvmTooSmall(TooSmall),
    /// `execve` failed.
    Exec {
        /// The file that was exec'd.
        program: PathBuf,
        /// Why it failed.
        source: io::Error,
    },
}

impl LaunchError {
    /// The exit status: 127 when the program could not be exec'd (as shells
    /// report "command not found"), 1 when the launcher failed before that.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::NotFound { .. } | Self::Exec { .. } => 127,
            _ => 1,
        }
    }
}

impl fmt::Display for LaunchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReadConfig { path, .. } => {
                write!(f, "reading launch config {}", path.display())
            }
            Self::ParseConfig { path, .. } => {
                write!(f, "parsing launch config {}", path.display())
            }
            Self::UnknownProcess { requested, known } if known.is_empty() => write!(
                f,
                "unknown process type {requested:?}: the launch config defines none"
            ),
            Self::UnknownProcess { requested, known } => write!(
                f,
                "unknown process type {requested:?} (known: {})",
                known.join(", ")
            ),
            Self::EmptyCommand { process_type } => {
                write!(f, "process type {process_type:?} has an empty command")
            }
            Self::InvalidEnvName { name } => {
                write!(
                    f,
                    "launch config sets an invalid environment variable name {name:?}"
                )
            }
            Self::ChangeDir { dir, .. } => {
                write!(f, "changing to working directory {}", dir.display())
            }
            Self::NotFound { program } => write!(f, "{program:?}: command not found in PATH"),
            Self::MemoryLimit { .. } => write!(f, "reading the container's memory limit"),
            Self::InvalidJvmSetting { name, value } => {
                write!(f, "{name}={value:?} is not a valid setting for the JVM")
            }
            Self::JvmTooSmall(too_small) => write!(f, "{too_small}"),
            Self::Exec { program, .. } => write!(f, "executing {}", program.display()),
        }
    }
}

impl From<TooSmall> for LaunchError {
    fn from(too_small: TooSmall) -> Self {
        Self::JvmTooSmall(too_small)
    }
}

impl std::error::Error for LaunchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::ReadConfig { source, .. }
            | Self::ChangeDir { source, .. }
            | Self::MemoryLimit { source }
            | Self::Exec { source, .. } => Some(source),
            Self::ParseConfig { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_process_messages_list_the_known_types() {
        let error = LaunchError::UnknownProcess {
            requested: "cron".into(),
            known: vec!["web".into(), "worker".into()],
        };
        assert_eq!(
            error.to_string(),
            "unknown process type \"cron\" (known: web, worker)"
        );
        assert_eq!(error.exit_code(), 1);
        let none = LaunchError::UnknownProcess {
            requested: "web".into(),
            known: Vec::new(),
        };
        assert_eq!(
            none.to_string(),
            "unknown process type \"web\": the launch config defines none"
        );
    }

    #[test]
    fn exec_failures_exit_127() {
        let missing = LaunchError::NotFound {
            program: "node".into(),
        };
        assert_eq!(missing.exit_code(), 127);
        assert_eq!(missing.to_string(), "\"node\": command not found in PATH");
    }
}
