//! Finding the tools the suite needs and stopping the processes it started, each by its own pid.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Directories searched after `PATH`: tools such as `runc` live in `/usr/sbin`, which a non-login
/// shell's `PATH` may lack.
const EXTRA_DIRS: [&str; 4] = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin"];

/// The full path of executable `name`, searched on `PATH` and then in the usual system
/// directories; `None` when it is not installed.
#[must_use]
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let path_dirs = env::var_os("PATH").map(|p| env::split_paths(&p).collect::<Vec<_>>());
    path_dirs
        .unwrap_or_default()
        .into_iter()
        .chain(EXTRA_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether the process `pid` still exists (a zombie that was not reaped counts as existing).
#[must_use]
pub fn process_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Stop `child`: `SIGTERM` to its pid, up to `grace` for it to exit, then `SIGKILL`; always reaped.
/// Never signals anything but that one process.
pub(crate) fn terminate(child: &mut Child, grace: Duration) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if sent {
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
    // Already exited (and so not signalable) is fine; anything else we cannot fix in a Drop.
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_tools_on_path_and_not_missing_ones() {
        assert!(find_tool("sh").is_some());
        assert_eq!(find_tool("slipway-no-such-tool"), None);
    }

    #[test]
    fn terminate_stops_and_reaps_a_process() {
        let mut child = Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn sleep");
        let pid = child.id();
        assert!(process_exists(pid));
        terminate(&mut child, Duration::from_secs(5));
        assert!(!process_exists(pid));
    }

    #[test]
    fn terminate_kills_a_process_that_ignores_sigterm() {
        let mut child = Command::new("sh")
            .args(["-c", "trap '' TERM; while :; do sleep 0.1; done"])
            .spawn()
            .expect("spawn sh");
        let pid = child.id();
        thread::sleep(Duration::from_millis(100));
        terminate(&mut child, Duration::from_millis(200));
        assert!(!process_exists(pid));
    }
}
