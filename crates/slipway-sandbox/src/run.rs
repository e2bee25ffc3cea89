//! The caller's side: start the helper, send it the spec, stream the command's output lines,
//! and tell a failed setup (a [`SandboxError`]) from a command that ran and failed (an exit
//! status). Safe to call from any thread, tokio's included: the namespaces are entered by the
//! helper, a new process.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::thread;

use crate::helper::{HELPER_ARG, REPORT_PREFIX};
use crate::setup::EXIT_SETUP_FAILED;
use crate::spec::{SandboxSpec, SpecError};

/// Which of the command's outputs a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Its standard output.
    Stdout,
    /// Its standard error.
    Stderr,
}

/// Why a command could not be run in the sandbox. A command that ran and failed is not an
/// error: it is an exit status.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The spec cannot be run.
    #[error("invalid sandbox spec")]
    InvalidSpec(#[from] SpecError),
    /// The helper program could not be started.
    #[error("starting the sandbox helper {}", helper.display())]
    SpawnHelper {
        /// The helper program.
        helper: PathBuf,
        /// Why it did not start.
        #[source]
        source: io::Error,
    },
    /// The spec could not be sent to the helper.
    #[error("sending the spec to the sandbox helper")]
    SendSpec(#[source] io::Error),
    /// The command's output could not be read.
    #[error("reading the sandboxed command's output")]
    ReadOutput(#[source] io::Error),
    /// The helper could not be waited for.
    #[error("waiting for the sandbox helper")]
    Wait(#[source] io::Error),
    /// The helper could not set the sandbox up, so the command never ran. The message names
    /// the step, the system's error, and the fix when there is one, e.g. "creating a user
    /// namespace: Operation not permitted; unprivileged user namespaces look disabled: ...".
    #[error("setting up the sandbox failed: {message}")]
    Setup {
        /// The helper's report.
        message: String,
    },
}

/// Runs `spec` in the sandbox through the helper program `helper` (a program that calls
/// [`helper_main_if_requested`](crate::helper_main_if_requested) first, usually the caller's
/// own executable), calling `on_line` with each line of the command's output as it comes
/// (without its newline; invalid UTF-8 replaced). The command's stdin is empty.
///
/// Returns the command's exit status: 127 when the command is not found inside and 126 when
/// it cannot be run (as in a shell, with the helper's explanation as the last stderr line), or
/// 128 + N when signal N killed it.
pub fn run(
    helper: &Path,
    spec: &SandboxSpec,
    mut on_line: impl FnMut(Stream, &str),
) -> Result<ExitStatus, SandboxError> {
    spec.validate()?;
    let mut child = spawn(helper)?;
    send_spec(&mut child, spec)?;

    let (lines, received) = mpsc::channel();
    let readers = [
        child
            .stdout
            .take()
            .map(|out| read_lines(out, Stream::Stdout, lines.clone())),
        child
            .stderr
            .take()
            .map(|err| read_lines(err, Stream::Stderr, lines)),
    ];
    let report = forward_lines(received, &mut on_line);
    let read: io::Result<()> = readers.into_iter().flatten().try_for_each(|reader| {
        reader
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("an output reader panicked")))
    });
    let status = child.wait().map_err(SandboxError::Wait)?;
    read.map_err(SandboxError::ReadOutput)?;
    if let Some(line) = report {
        if status.code() == Some(EXIT_SETUP_FAILED) {
            return Err(SandboxError::Setup {
                message: line[REPORT_PREFIX.len()..].to_owned(),
            });
        }
        on_line(Stream::Stderr, &line);
    }
    Ok(status)
}

/// Passes each line to `on_line` until both pipes close, except a last stderr line that is the
/// helper's report: that one is returned, since it may be a setup error rather than output.
fn forward_lines(
    received: mpsc::Receiver<(Stream, String)>,
    on_line: &mut impl FnMut(Stream, &str),
) -> Option<String> {
    let mut report: Option<String> = None;
    for (stream, line) in received {
        if let Some(held) = report.take() {
            on_line(Stream::Stderr, &held);
        }
        if stream == Stream::Stderr && line.starts_with(REPORT_PREFIX) {
            report = Some(line);
        } else {
            on_line(stream, &line);
        }
    }
    report
}

/// Runs `spec` as [`run`] does and collects the output: each line followed by a newline.
pub fn output(helper: &Path, spec: &SandboxSpec) -> Result<Output, SandboxError> {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let status = run(helper, spec, |stream, line| {
        let buffer = match stream {
            Stream::Stdout => &mut stdout,
            Stream::Stderr => &mut stderr,
        };
        buffer.extend_from_slice(line.as_bytes());
        buffer.push(b'\n');
    })?;
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Starts the helper with an empty environment: the command's comes from the spec alone.
fn spawn(helper: &Path) -> Result<Child, SandboxError> {
    Command::new(helper)
        .arg(HELPER_ARG)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| SandboxError::SpawnHelper {
            helper: helper.to_owned(),
            source,
        })
}

/// Writes the spec and closes stdin, so the command reads end-of-file. A helper that exited
/// early closes the pipe; its stderr says why, so that is not this step's error.
fn send_spec(child: &mut Child, spec: &SandboxSpec) -> Result<(), SandboxError> {
    let json = serde_json::to_vec(spec).map_err(|error| SandboxError::SendSpec(error.into()))?;
    let Some(mut stdin) = child.stdin.take() else {
        return Ok(());
    };
    match stdin.write_all(&json) {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
            Err(SandboxError::SendSpec(error))
        }
        _ => Ok(()),
    }
}

fn read_lines(
    pipe: impl Read + Send + 'static,
    stream: Stream,
    lines: mpsc::Sender<(Stream, String)>,
) -> thread::JoinHandle<io::Result<()>> {
    thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut line = Vec::new();
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                return Ok(());
            }
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            // The receiver outlives the readers; a failed send can only mean it panicked.
            let _ = lines.send((stream, String::from_utf8_lossy(&line).into_owned()));
        }
    })
}
