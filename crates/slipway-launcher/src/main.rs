//! The in-image launcher: the entrypoint of every image slipway builds.
//!
//! Installed at [`slipway_launch::LAUNCHER_PATH`], with one symlink per process
//! type at `/cnb/process/<type>`, like the Cloud Native Buildpacks launcher. It
//! reads the app's launch config, picks a process ([`select`]), fills in the
//! config's environment as defaults ([`environment`]), sizes the JVM to the
//! container when the process asks for it ([`jvm`]), changes directory and
//! execs the program ([`exec`]): nothing of the launcher stays in memory.
//!
//! Run images have no shell, and this binary is copied into every image, so it
//! is std only and statically linked (see `slipway-lifecycle`'s build script).
//! On failure it prints one line, `launcher: ...`, and exits with 127 when the
//! program could not be exec'd and 1 otherwise.

mod class_count;
mod config;
mod environment;
mod error;
mod exec;
mod jvm;
mod memory_limit;
mod select;

use std::convert::Infallible;
use std::fmt::Write as _;
use std::process::ExitCode;

use error::LaunchError;

/// The variable that picks a process type when the command line names none
/// (the buildpacks convention).
const PROCESS_TYPE_ENV: &str = "CNB_PROCESS_TYPE";

fn main() -> ExitCode {
    let error = match run() {
        Err(error) => error,
        Ok(never) => match never {},
    };
    report(&error);
    ExitCode::from(error.exit_code())
}

/// Loads the config, picks the process and execs it; only returns on failure.
fn run() -> Result<Infallible, LaunchError> {
    let config = config::load()?;
    let argv: Vec<_> = std::env::args_os().collect();
    let process_type = std::env::var_os(PROCESS_TYPE_ENV);
    let launch = select::select(&argv, process_type.as_deref(), &config)?;
    let mut env = environment::merge(std::env::vars_os(), &config.env)?;
    if launch.jvm_memory {
        let summary = jvm::configure(&mut env, launch.working_dir)?;
        announce(&summary);
    }
    Err(exec::exec(&launch, &env))
}

/// Prints the JVM's memory line, the one thing the launcher says on success.
#[allow(clippy::print_stdout)]
fn announce(line: &str) {
    println!("{line}");
}

/// Prints the error and its causes on one line, the launcher's only output.
#[allow(clippy::print_stderr)]
fn report(error: &LaunchError) {
    let mut message = format!("launcher: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        // Writing to a String cannot fail.
        let _ = write!(message, ": {cause}");
        source = cause.source();
    }
    eprintln!("{message}");
}
