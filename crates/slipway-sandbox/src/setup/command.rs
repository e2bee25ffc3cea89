//! The last steps, in the process that becomes the command: the build user, the working
//! directory, then exec with exactly the spec's environment.

use std::ffi::CString;
use std::path::Path;

use nix::errno::Errno;

use super::{Host, SetupError};
use crate::spec::SandboxSpec;
use crate::syscall::Syscall;

/// Becomes the build user and execs the command; returns only when that fails. As root, the
/// user is dropped here (groups, then gid, then uid); in a user namespace the helper already
/// is the build user, with capabilities that exec drops because its uid is not 0.
pub(crate) fn exec(sys: &dyn Syscall, spec: &SandboxSpec, host: Host) -> SetupError {
    match prepare_and_exec(sys, spec, host) {
        Ok(never) => match never {},
        Err(error) => error,
    }
}

fn prepare_and_exec(
    sys: &dyn Syscall,
    spec: &SandboxSpec,
    host: Host,
) -> Result<std::convert::Infallible, SetupError> {
    let (uid, gid) = spec.user;
    sys.default_sigpipe().map_err(SetupError::Signals)?;
    if host.is_root() {
        let failed = |source| SetupError::DropUser { uid, gid, source };
        sys.setgroups(&[gid]).map_err(failed)?;
        sys.setgid(gid).map_err(failed)?;
        sys.setuid(uid).map_err(failed)?;
    }
    sys.chdir(&spec.workdir)
        .map_err(|source| SetupError::Workdir {
            workdir: spec.workdir.clone(),
            source,
        })?;
    let argv = c_strings(spec.command.iter().map(String::as_str));
    let envp = c_strings(
        spec.env
            .iter()
            .map(|(name, value)| format!("{name}={value}")),
    );
    Err(exec_in_path(sys, spec, &argv, &envp))
}

/// Execs the command, looked up as execvp does but in the spec's `PATH` (the helper's own
/// environment is not the command's): on to the next directory when it is not there, EACCES
/// reported only when no directory has it runnable.
fn exec_in_path(
    sys: &dyn Syscall,
    spec: &SandboxSpec,
    argv: &[CString],
    envp: &[CString],
) -> SetupError {
    let program = &spec.command[0];
    let failed = |source| SetupError::Exec {
        command: program.clone(),
        source,
    };
    if program.contains('/') {
        // A path is not looked up: ENOENT here is still exit code 127.
        return failed(sys.execve(&c_string(program), argv, envp));
    }
    let mut denied = false;
    for dir in spec.path_var().split(':') {
        let dir = if dir.is_empty() { "." } else { dir };
        let candidate = Path::new(dir).join(program);
        match sys.execve(&c_string(&candidate.to_string_lossy()), argv, envp) {
            Errno::ENOENT | Errno::ENOTDIR => {}
            Errno::EACCES => denied = true,
            errno => return failed(errno),
        }
    }
    if denied {
        failed(Errno::EACCES)
    } else {
        SetupError::NotFound {
            command: program.clone(),
            path: spec.path_var().to_owned(),
        }
    }
}

fn c_strings<S: AsRef<str>>(strings: impl Iterator<Item = S>) -> Vec<CString> {
    strings.map(|s| c_string(s.as_ref())).collect()
}

/// The spec was validated: no NUL bytes (a stray one would only shorten the string).
fn c_string(s: &str) -> CString {
    CString::new(s).unwrap_or_else(|error| {
        let end = error.nul_position();
        CString::new(&s[..end]).unwrap_or_default()
    })
}
