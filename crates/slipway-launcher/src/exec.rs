//! Replacing the launcher with the selected program: change directory, find
//! the program, exec. There is no shell in a run image, so no shell is used.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::environment::Env;
use crate::error::LaunchError;
use crate::select::Launch;

/// Where to look for programs when the environment has no `PATH`, the same
/// default as Docker's.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Changes into the working directory and execs the command with exactly
/// `env`; returns only on failure.
///
/// The program keeps the name it was given as `argv[0]`, as a shell would
/// pass it.
pub fn exec(launch: &Launch<'_>, env: &Env) -> LaunchError {
    if let Some(dir) = launch.working_dir
        && let Err(source) = std::env::set_current_dir(dir)
    {
        return LaunchError::ChangeDir {
            dir: dir.into(),
            source,
        };
    }
    let Some((program, args)) = launch.command.split_first() else {
        return LaunchError::NotFound {
            program: String::new(),
        };
    };
    let path = env.get(OsStr::new("PATH")).map(AsRef::as_ref);
    let Some(resolved) = find_program(program, path, is_executable) else {
        return LaunchError::NotFound {
            program: program.to_string_lossy().into_owned(),
        };
    };
    let source = Command::new(&resolved)
        .arg0(program)
        .args(args)
        .env_clear()
        .envs(env)
        .exec();
    LaunchError::Exec {
        program: resolved,
        source,
    }
}

/// Finds the file to exec: a program with a `/` is used as is (relative ones
/// from the working directory); a bare name is looked up in `PATH`, or
/// [`DEFAULT_PATH`] when it is unset.
///
/// Empty `PATH` entries are skipped rather than meaning the current directory:
/// that legacy rule only lets a file in the working directory shadow a system
/// program.
fn find_program(
    program: &OsStr,
    path: Option<&OsStr>,
    is_executable: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    if program.is_empty() {
        return None;
    }
    if program.as_encoded_bytes().contains(&b'/') {
        return Some(PathBuf::from(program));
    }
    let path = path.unwrap_or(OsStr::new(DEFAULT_PATH));
    std::env::split_paths(path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is a file someone may execute, as `execvp` would accept.
fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(program: &str, path: Option<&str>, present: &[&str]) -> Option<PathBuf> {
        let exists = |candidate: &Path| present.iter().any(|p| Path::new(p) == candidate);
        find_program(OsStr::new(program), path.map(OsStr::new), exists)
    }

    #[test]
    fn paths_with_a_slash_are_used_as_is() {
        assert_eq!(find("/bin/sh", Some(""), &[]), Some("/bin/sh".into()));
        assert_eq!(find("./run", None, &[]), Some("./run".into()));
        assert_eq!(find("bin/run", None, &[]), Some("bin/run".into()));
    }

    #[test]
    fn bare_names_are_looked_up_in_path_in_order() {
        let present = ["/a/python", "/b/python", "/b/node"];
        assert_eq!(
            find("python", Some("/a:/b"), &present),
            Some("/a/python".into())
        );
        assert_eq!(
            find("python", Some("/b:/a"), &present),
            Some("/b/python".into())
        );
        assert_eq!(
            find("node", Some("/a:/b"), &present),
            Some("/b/node".into())
        );
        assert_eq!(find("ruby", Some("/a:/b"), &present), None);
        assert_eq!(find("", Some("/a:/b"), &present), None);
    }

    #[test]
    fn empty_path_entries_are_skipped_and_unset_path_has_a_default() {
        assert_eq!(
            find("run", Some(":/a:"), &["run", "/a/run"]),
            Some("/a/run".into())
        );
        assert_eq!(find("sh", None, &["/bin/sh"]), Some("/bin/sh".into()));
    }

    #[test]
    fn executables_are_files_with_an_execute_bit() {
        assert!(is_executable(Path::new("/bin/sh")));
        assert!(!is_executable(Path::new("/")));
        assert!(!is_executable(Path::new("/etc/hostname-does-not-exist")));
    }
}
