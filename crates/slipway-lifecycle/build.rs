//! Builds the in-image launcher (`slipway-launcher`) and leaves it at
//! `$OUT_DIR/launcher`, where `src/launcher_binary.rs` embeds it.
//!
//! The launcher goes into every image, so it is built statically
//! (`+crt-static`) with the small `launcher` profile, and with the checkout's
//! and cargo home's paths remapped, so its bytes (and the digest of the layer
//! holding it) do not depend on where slipway was built. It is a nested cargo
//! build with its own target directory under `$OUT_DIR`, so it never waits on
//! the lock of the build running this script.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Variables of the outer build that would leak its flags, wrappers, target,
/// target directory or jobserver into the nested build.
const LEAKY_VARS: &[&str] = &[
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_BUILD_BUILD_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_INCREMENTAL",
    "CARGO_INCREMENTAL",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_BUILD_RUSTC_WRAPPER",
    "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
    "CARGO_MAKEFLAGS",
    "MAKEFLAGS",
    "MFLAGS",
];

/// Whether an inherited variable would change the nested build: the ones in
/// [`LEAKY_VARS`], profile overrides, per-target rustflags (per-target linkers
/// stay, cross builds need them) and cargo's internal variables.
fn is_leaky(name: &str) -> bool {
    LEAKY_VARS.contains(&name)
        || name.starts_with("CARGO_PROFILE_")
        || name.starts_with("__CARGO")
        || (name.starts_with("CARGO_TARGET_") && name.ends_with("_RUSTFLAGS"))
}

fn main() {
    let manifest_dir = PathBuf::from(required("CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir
        .parent()
        .and_then(Path::parent)
        .expect("slipway-lifecycle lives at crates/slipway-lifecycle in the workspace");
    watch(workspace);
    let out_dir = PathBuf::from(required("OUT_DIR"));
    let target = required("TARGET");
    let target_dir = out_dir.join("launcher-target");
    build(workspace, &target, &target_dir);
    let built = target_dir
        .join(&target)
        .join("launcher")
        .join("slipway-launcher");
    let copied = out_dir.join("launcher");
    if let Err(error) = std::fs::copy(&built, &copied) {
        fail(&format!(
            "copying {} to {}: {error}",
            built.display(),
            copied.display()
        ));
    }
}

/// Reruns this script when the launcher, the launch format or the workspace
/// manifest (which holds the `launcher` profile) changes.
#[allow(clippy::print_stdout)] // Cargo reads build script instructions from stdout.
fn watch(workspace: &Path) {
    let crates = workspace.join("crates");
    let watched = [
        crates.join("slipway-launcher/src"),
        crates.join("slipway-launcher/Cargo.toml"),
        crates.join("slipway-launch/src"),
        crates.join("slipway-launch/Cargo.toml"),
        workspace.join("Cargo.toml"),
    ];
    for path in watched {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

/// Runs the nested `cargo build` of the launcher, failing with its stderr.
fn build(workspace: &Path, target: &OsString, target_dir: &Path) {
    let mut cargo = Command::new(required("CARGO"));
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(is_leaky) {
            cargo.env_remove(&name);
        }
    }
    cargo
        .args(["build", "-p", "slipway-launcher", "--profile", "launcher"])
        .args(["--locked", "--offline", "--target"])
        .arg(target)
        .arg("--target-dir")
        .arg(target_dir)
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .env("CARGO_ENCODED_RUSTFLAGS", rustflags(workspace));
    let output = match cargo.output() {
        Ok(output) => output,
        Err(error) => fail(&format!("running cargo for the launcher: {error}")),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        fail(&format!(
            "building the launcher failed ({}):\n{stderr}",
            output.status
        ));
    }
}

/// The nested build's flags, separated by 0x1f as `CARGO_ENCODED_RUSTFLAGS`
/// wants: static linking, and the machine-specific paths remapped.
///
/// `-Crelocation-model=static` makes a plain static executable rather than a
/// static PIE: the launcher execs the app at once, so address randomisation
/// buys nothing, and it is smaller (about 40 KB) without the self-relocation
/// code.
fn rustflags(workspace: &Path) -> OsString {
    let mut flags = OsString::from("-Ctarget-feature=+crt-static\x1f-Crelocation-model=static");
    for (from, to) in [
        (workspace.to_path_buf(), "/slipway"),
        (cargo_home(), "/cargo"),
    ] {
        flags.push("\x1f--remap-path-prefix=");
        flags.push(from);
        flags.push(format!("={to}"));
    }
    flags
}

/// `$CARGO_HOME`, or `~/.cargo` as cargo defaults to.
fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME").map_or_else(
        || PathBuf::from(required("HOME")).join(".cargo"),
        PathBuf::from,
    )
}

/// Reads a variable cargo always sets for build scripts.
fn required(name: &str) -> OsString {
    std::env::var_os(name).unwrap_or_else(|| fail(&format!("{name} is not set")))
}

/// Fails the build script with a message cargo shows as is.
#[allow(clippy::print_stderr)] // The build script's stderr is its error report.
fn fail(message: &str) -> ! {
    eprintln!("slipway-lifecycle build script: {message}");
    std::process::exit(1);
}
