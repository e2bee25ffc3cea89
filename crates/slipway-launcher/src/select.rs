//! Which command to run, from the command line, `CNB_PROCESS_TYPE` and the
//! config: a pure function, so every rule is tested without exec'ing.

use std::ffi::{OsStr, OsString};
use std::path::Path;

use slipway_launch::{DEFAULT_PROCESS, LaunchConfig, Process};

use crate::error::LaunchError;

/// The launcher's own file name; invoked under any other name (a
/// `/cnb/process/<type>` symlink), that name is the process type.
const LAUNCHER_NAME: &str = "launcher";

/// A command ready to exec: the program, its arguments and where to run it.
#[derive(Debug, PartialEq, Eq)]
pub struct Launch<'a> {
    /// The program, then its arguments; never empty.
    pub command: Vec<OsString>,
    /// The directory to change into first, if the process has one.
    pub working_dir: Option<&'a str>,
    /// Whether to size the JVM to the container first (see [`crate::jvm`]);
    /// never for a command given on the command line.
    pub jvm_memory: bool,
}

/// Picks what to run from `argv`, the `CNB_PROCESS_TYPE` value and the config.
///
/// Invoked as `/cnb/process/<type>`, runs that type with all arguments
/// appended. Invoked as `launcher`: a first argument naming a process type
/// runs it with the rest appended; other arguments are a command run as is;
/// with no arguments, runs `CNB_PROCESS_TYPE` (when set and not empty), else
/// the config's default, else [`DEFAULT_PROCESS`].
pub fn select<'a>(
    argv: &[OsString],
    env_process_type: Option<&OsStr>,
    config: &'a LaunchConfig,
) -> Result<Launch<'a>, LaunchError> {
    let user_args = argv.get(1..).unwrap_or_default();
    let invoked_as = argv.first().and_then(|arg0| Path::new(arg0).file_name());
    if let Some(name) = invoked_as.filter(|name| *name != LAUNCHER_NAME) {
        return launch_process(config, name, user_args);
    }
    if let Some((first, rest)) = user_args.split_first() {
        return match first.to_str().and_then(|name| config.process(name)) {
            Some(process) => with_args(process, rest),
            None => Ok(Launch {
                command: user_args.to_vec(),
                working_dir: None,
                jvm_memory: false,
            }),
        };
    }
    let default = config.default_process.as_deref().unwrap_or(DEFAULT_PROCESS);
    let name = env_process_type
        .filter(|name| !name.is_empty())
        .unwrap_or(OsStr::new(default));
    launch_process(config, name, &[])
}

/// Looks up a process type that must exist, naming the known ones if not.
fn launch_process<'a>(
    config: &'a LaunchConfig,
    name: &OsStr,
    args: &[OsString],
) -> Result<Launch<'a>, LaunchError> {
    let process = name.to_str().and_then(|name| config.process(name));
    let process = process.ok_or_else(|| LaunchError::UnknownProcess {
        requested: name.to_string_lossy().into_owned(),
        known: config
            .processes
            .iter()
            .map(|process| process.process_type.clone())
            .collect(),
    })?;
    with_args(process, args)
}

/// The process's command with the user's arguments appended; an empty command
/// is an error, or the user's first argument would become the program.
fn with_args<'a>(process: &'a Process, args: &[OsString]) -> Result<Launch<'a>, LaunchError> {
    if process.command.is_empty() {
        return Err(LaunchError::EmptyCommand {
            process_type: process.process_type.clone(),
        });
    }
    let command = process.command.iter().map(OsString::from);
    Ok(Launch {
        command: command.chain(args.iter().cloned()).collect(),
        working_dir: process.working_dir.as_deref(),
        jvm_memory: process.jvm_memory,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> LaunchConfig {
        let process = |name: &str, command: &[&str], dir: Option<&str>| Process {
            process_type: name.into(),
            command: command.iter().map(ToString::to_string).collect(),
            working_dir: dir.map(Into::into),
            jvm_memory: name == "web",
        };
        LaunchConfig {
            env: Vec::new(),
            processes: vec![
                process("web", &["server", "--port"], Some("/workspace")),
                process("worker", &["worker"], None),
                process("empty", &[], None),
            ],
            default_process: None,
        }
    }

    fn argv(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    fn run(args: &[&str], env: Option<&str>, config: &LaunchConfig) -> Vec<OsString> {
        select(&argv(args), env.map(OsStr::new), config)
            .expect("a command is selected")
            .command
    }

    #[test]
    fn a_process_symlink_runs_its_type_with_all_args() {
        let config = config();
        let launch = select(&argv(&["/cnb/process/web", "80"]), None, &config);
        let expected = Launch {
            command: argv(&["server", "--port", "80"]),
            working_dir: Some("/workspace"),
            jvm_memory: true,
        };
        assert_eq!(launch.expect("web is known"), expected);
        let worker = run(&["/cnb/process/worker", "web"], Some("web"), &config);
        assert_eq!(worker, argv(&["worker", "web"]));
    }

    #[test]
    fn launcher_with_a_type_runs_it_with_the_rest_appended() {
        let command = run(
            &["/cnb/lifecycle/launcher", "worker", "-v"],
            None,
            &config(),
        );
        assert_eq!(command, argv(&["worker", "-v"]));
    }

    #[test]
    fn launcher_with_other_args_runs_them_as_a_command() {
        let config = config();
        let launch = select(&argv(&["launcher", "/bin/ls", "-l"]), None, &config);
        let expected = Launch {
            command: argv(&["/bin/ls", "-l"]),
            working_dir: None,
            jvm_memory: false,
        };
        assert_eq!(launch.expect("a direct command"), expected);
    }

    #[test]
    fn launcher_alone_prefers_the_env_then_the_default_then_web() {
        let mut config = config();
        assert_eq!(run(&["launcher"], None, &config)[0], "server");
        assert_eq!(run(&["launcher"], Some(""), &config)[0], "server");
        config.default_process = Some("worker".into());
        assert_eq!(run(&["launcher"], None, &config)[0], "worker");
        assert_eq!(run(&["launcher"], Some("web"), &config)[0], "server");
        assert_eq!(run(&[], None, &config)[0], "worker");
    }

    #[test]
    fn unknown_types_list_the_known_ones() {
        let config = config();
        let error = select(&argv(&["/cnb/process/cron"]), None, &config);
        let Err(LaunchError::UnknownProcess { requested, known }) = error else {
            panic!("expected an unknown process, got {error:?}");
        };
        assert_eq!(requested, "cron");
        assert_eq!(known, ["web", "worker", "empty"]);
        let from_env = select(&argv(&["launcher"]), Some(OsStr::new("cron")), &config);
        assert!(matches!(from_env, Err(LaunchError::UnknownProcess { .. })));
    }

    #[test]
    fn a_process_without_a_command_is_an_error() {
        let config = config();
        for args in [&["/cnb/process/empty"][..], &["launcher", "empty", "x"]] {
            let error = select(&argv(args), None, &config);
            assert!(
                matches!(error, Err(LaunchError::EmptyCommand { .. })),
                "{args:?}"
            );
        }
    }
}
