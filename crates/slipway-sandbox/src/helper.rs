//! The re-executed helper: a fresh, single-threaded process (the kernel refuses a user
//! namespace to a threaded one, and slipway runs tokio) that reads the spec from stdin and runs
//! the setup plan across three processes:
//!
//! ```text
//! helper: read spec, enter namespaces ── fork ──► pid 1: build the root ── fork ──► command: drop user, exec
//!         wait for pid 1, exit with its code          reap, exit with the command's code
//! ```
//!
//! The command is not pid 1 itself because pid 1 must reap orphans and ignores signals it has
//! no handler for; when pid 1 exits the kernel kills whatever is left in the namespace.

use std::ffi::OsStr;
use std::io;

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid};

use crate::setup::{Host, HostPaths, SetupError, command, namespaces, rootfs};
use crate::spec::SandboxSpec;
use crate::syscall::{LinuxSyscall, errno};

/// The first argument that makes a program the sandbox helper (see
/// [`helper_main_if_requested`]).
pub const HELPER_ARG: &str = "__slipway-sandbox";

/// The prefix of the one stderr line the helper prints when it fails before the command runs.
pub const REPORT_PREFIX: &str = "slipway-sandbox: ";

/// Becomes the sandbox helper, and never returns, when the first argument is [`HELPER_ARG`];
/// otherwise returns at once. A program that calls [`run`](crate::run) with itself as the
/// helper calls this first thing in `main`, before any thread (tokio's runtime) starts.
pub fn helper_main_if_requested() {
    if std::env::args_os().nth(1).as_deref() == Some(OsStr::new(HELPER_ARG)) {
        let code = helper_main().unwrap_or_else(|error| report(&error));
        std::process::exit(code);
    }
}

/// Runs the helper's part; the exit code is pid 1's, which is the command's.
fn helper_main() -> Result<i32, SetupError> {
    let spec: SandboxSpec =
        serde_json::from_reader(io::stdin().lock()).map_err(SetupError::ReadSpec)?;
    spec.validate()?;
    ensure_single_threaded()?;
    let host = Host::current();
    let host_paths = HostPaths::detect();
    namespaces::enter(&LinuxSyscall, &spec, host)?;
    match fork()? {
        ForkResult::Parent { child } => wait_for(child),
        ForkResult::Child => std::process::exit(init(&spec, host, &host_paths)),
    }
}

/// The sandbox's pid 1: builds the root, starts the command, reaps until it exits.
fn init(spec: &SandboxSpec, host: Host, host_paths: &HostPaths) -> i32 {
    let run = || -> Result<i32, SetupError> {
        // When the helper dies (killed by the caller), pid 1 dies, and with it the namespace.
        nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(SetupError::DeathSignal)?;
        rootfs::prepare(&LinuxSyscall, spec, host_paths)?;
        match fork()? {
            ForkResult::Parent { child } => reap_until(child),
            ForkResult::Child => {
                std::process::exit(report(&command::exec(&LinuxSyscall, spec, host)))
            }
        }
    };
    run().unwrap_or_else(|error| report(&error))
}

/// Waits for the helper's one child, pid 1, and gives its exit code.
fn wait_for(child: Pid) -> Result<i32, SetupError> {
    loop {
        match waitpid(child, None) {
            Ok(status) => {
                if let Some(code) = exit_code(status) {
                    return Ok(code);
                }
            }
            Err(Errno::EINTR) => {}
            Err(errno) => return Err(SetupError::Wait(errno)),
        }
    }
}

/// Reaps every process that ends up with pid 1 as its parent until `main` exits.
fn reap_until(main: Pid) -> Result<i32, SetupError> {
    loop {
        match waitpid(None::<Pid>, None) {
            Ok(status) if status.pid() == Some(main) => {
                if let Some(code) = exit_code(status) {
                    return Ok(code);
                }
            }
            Ok(_) | Err(Errno::EINTR) => {}
            Err(errno) => return Err(SetupError::Wait(errno)),
        }
    }
}

/// A shell's exit code for how a process ended: its own code, or 128 + the signal that
/// killed it.
fn exit_code(status: WaitStatus) -> Option<i32> {
    match status {
        WaitStatus::Exited(_, code) => Some(code),
        WaitStatus::Signaled(_, signal, _) => Some(128 + signal as i32),
        _ => None,
    }
}

/// Namespaces and fork need a single thread: fail clearly rather than with EINVAL later.
fn ensure_single_threaded() -> Result<(), SetupError> {
    let tasks = std::fs::read_dir("/proc/self/task")
        .map_err(|error| SetupError::CountThreads(errno(&error)))?;
    let threads = tasks.count();
    if threads == 1 {
        Ok(())
    } else {
        Err(SetupError::Threaded { threads })
    }
}

#[allow(unsafe_code)]
fn fork() -> Result<ForkResult, SetupError> {
    // SAFETY: fork is unsound only where another thread may hold a lock (malloc's, stdio's) that
    // the child then waits for forever. The helper checked that it has one thread
    // (ensure_single_threaded) before it forked anything, and pid 1 forks from the same single
    // thread.
    unsafe { nix::unistd::fork() }.map_err(SetupError::Fork)
}

/// Prints the failure as the helper's one report line and gives its exit code.
#[expect(
    clippy::print_stderr,
    reason = "stderr is the helper's only channel to the caller before exec"
)]
fn report(error: &SetupError) -> i32 {
    eprintln!("{REPORT_PREFIX}{}", error.report());
    error.exit_code()
}
