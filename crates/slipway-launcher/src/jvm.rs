//! Sizing the JVM to the container before exec, for processes with
//! [`slipway_launch::Process::jvm_memory`]: reads the memory limit, counts
//! classes, runs [`slipway_launch::jvm_memory::calculate`] and appends the
//! flags to `JAVA_TOOL_OPTIONS`.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use slipway_launch::jvm_memory::{self, JvmMemoryInputs};

use crate::class_count;
use crate::environment::Env;
use crate::error::LaunchError;
use crate::memory_limit::{self, Sources};

/// Where the JVM reads options from before its command line.
const JAVA_TOOL_OPTIONS: &str = "JAVA_TOOL_OPTIONS";
/// Options start scripts pass on the command line; honoured, never changed.
const JAVA_OPTS: &str = "JAVA_OPTS";
/// Skips counting classes (Paketo's name).
const LOADED_CLASS_COUNT: &str = "BPL_JVM_LOADED_CLASS_COUNT";
/// Threads to reserve stacks for (Paketo's name).
const THREAD_COUNT: &str = "BPL_JVM_THREAD_COUNT";
/// Percent of the limit left out of the JVM (Paketo's name).
const HEAD_ROOM: &str = "BPL_JVM_HEAD_ROOM";
/// The code cache an image reserves when the user's options set none (a size such as `64M`).
const CODE_CACHE: &str = "SLIPWAY_JVM_CODE_CACHE";
/// Colon-separated paths holding the app's classes and jars, when they are
/// not (all) under the process's working directory; set by the buildpack in
/// the launch config's environment.
const APP_PATHS: &str = "SLIPWAY_JVM_APP_PATHS";

/// Computes the JVM's memory flags from the limit and `env`, appends them to
/// `JAVA_TOOL_OPTIONS` in `env` and returns the summary line to print.
///
/// Classes are counted under `working_dir` (the launcher's own when `None`)
/// unless `BPL_JVM_LOADED_CLASS_COUNT` or `SLIPWAY_JVM_APP_PATHS` says
/// otherwise.
pub fn configure(env: &mut Env, working_dir: Option<&str>) -> Result<String, LaunchError> {
    let var = |name: &str| {
        env.get(OsStr::new(name))
            .map(|value| value.to_string_lossy().into_owned())
    };
    let sources = Sources::from_env(|name| std::env::var(name).ok());
    let total_memory =
        memory_limit::read(&sources).map_err(|source| LaunchError::MemoryLimit { source })?;
    let number = |name: &str, default: u64| match var(name).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(value) => value
            .trim()
            .parse::<u64>()
            .map_err(|_| LaunchError::InvalidJvmSetting {
                name: name.to_owned(),
                value,
            }),
    };
    let threads = number(THREAD_COUNT, jvm_memory::DEFAULT_THREAD_COUNT)?;
    let head_room_percent = number(HEAD_ROOM, 0)?;
    if head_room_percent > 99 {
        return Err(LaunchError::InvalidJvmSetting {
            name: HEAD_ROOM.to_owned(),
            value: head_room_percent.to_string(),
        });
    }
    let loaded_classes = match number(LOADED_CLASS_COUNT, u64::MAX)? {
        u64::MAX => class_count::loaded_classes(class_count::app_classes(&app_paths(
            var(APP_PATHS),
            working_dir,
        ))),
        count => count,
    };
    let code_cache = match var(CODE_CACHE).filter(|v| !v.trim().is_empty()) {
        None => jvm_memory::CODE_CACHE,
        Some(value) => {
            jvm_memory::parse_size(value.trim()).ok_or(LaunchError::InvalidJvmSetting {
                name: CODE_CACHE.to_owned(),
                value,
            })?
        }
    };
    // JAVA_OPTS is a convention of start scripts (catalina.sh, Cloud Foundry's), not of the
    // JVM; with no script in between, it joins JAVA_TOOL_OPTIONS as Paketo's helper does.
    let tool_options = [var(JAVA_TOOL_OPTIONS), var(JAVA_OPTS)]
        .into_iter()
        .flatten()
        .filter(|options| !options.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let user_options = tool_options.clone();
    let config = jvm_memory::calculate(&JvmMemoryInputs {
        total_memory,
        loaded_classes,
        threads,
        code_cache,
        head_room_percent,
        user_options,
    })?;
    let flags = config.java_tool_options();
    let combined = match (tool_options.trim().is_empty(), flags.is_empty()) {
        (true, _) => flags,
        (false, true) => tool_options,
        (false, false) => format!("{tool_options} {flags}"),
    };
    env.insert(JAVA_TOOL_OPTIONS.into(), OsString::from(combined));
    Ok(config.summary())
}

/// The paths to count classes under: `SLIPWAY_JVM_APP_PATHS` when set and
/// not empty, else the working directory, else the current one.
fn app_paths(list: Option<String>, working_dir: Option<&str>) -> Vec<PathBuf> {
    match list.filter(|list| !list.is_empty()) {
        Some(list) => list
            .split(':')
            .filter(|path| !path.is_empty())
            .map(PathBuf::from)
            .collect(),
        None => vec![PathBuf::from(working_dir.unwrap_or("."))],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_paths_come_from_the_list_or_the_working_dir() {
        assert_eq!(
            app_paths(Some("/a::/b.jar".into()), Some("/w")),
            [PathBuf::from("/a"), PathBuf::from("/b.jar")]
        );
        assert_eq!(
            app_paths(Some(String::new()), Some("/w")),
            [PathBuf::from("/w")]
        );
        assert_eq!(app_paths(None, None), [PathBuf::from(".")]);
    }
}
