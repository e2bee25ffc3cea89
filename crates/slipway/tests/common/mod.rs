//! Running the slipway binary from tests, each with its own cache directory.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The example apps.
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

/// A slipway command using `cache` as its cache directory (store included).
pub fn slipway(cache: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slipway"));
    cmd.env("SLIPWAY_CACHE_DIR", cache)
        .env_remove("SOURCE_DATE_EPOCH");
    cmd
}

/// What a finished command printed, for assertions and failure messages.
pub struct Run {
    /// Exit code.
    pub code: Option<i32>,
    /// What it printed on stdout.
    pub stdout: String,
    /// What it printed on stderr.
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Self {
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Runs `cmd` and returns what it printed.
pub fn run(cmd: &mut Command) -> Run {
    cmd.output().expect("running slipway").into()
}

/// Runs `cmd`, which must succeed, and returns its stdout.
pub fn ok(cmd: &mut Command) -> String {
    let run = run(cmd);
    assert_eq!(
        run.code,
        Some(0),
        "slipway failed\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    run.stdout
}

/// Runs `cmd`, which must fail, and returns its stderr.
pub fn fails(cmd: &mut Command) -> String {
    let run = run(cmd);
    assert_ne!(
        run.code,
        Some(0),
        "slipway should have failed\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(
        run.code,
        Some(1),
        "errors exit with 1\nstderr:\n{}",
        run.stderr
    );
    run.stderr
}

/// The names in the store, one per line (`slipway images --quiet`).
pub fn store_names(cache: &Path) -> String {
    ok(slipway(cache).args(["images", "--quiet"]))
}

/// Replaces the temp paths in `text` so that snapshots are stable.
pub fn redact(text: &str, paths: &[(&Path, &str)]) -> String {
    let mut text = text.to_string();
    for (path, name) in paths {
        text = text.replace(&path.display().to_string(), name);
    }
    text
}
