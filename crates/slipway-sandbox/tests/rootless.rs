//! The rootless path: the helper runs as a user who is not root, so it enters a user namespace
//! that maps that user to the build user. These machines run tests as root, so the test starts
//! the helper as nobody (65534); run by anyone else, it starts the helper as that user, which
//! is the same path.

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use common::{busybox_rootfs, helper, spec};
use slipway_sandbox::{Bind, HELPER_ARG};

const NOBODY: u32 = 65534;

#[test]
fn an_unprivileged_caller_becomes_the_build_user_in_a_user_namespace() {
    let as_root = nix::unistd::geteuid().is_root();
    let caller = if as_root {
        NOBODY
    } else {
        nix::unistd::geteuid().as_raw()
    };
    let rootfs = busybox_rootfs();
    let app = tempfile::tempdir().expect("tempdir");
    if as_root {
        std::os::unix::fs::chown(app.path(), Some(NOBODY), Some(NOBODY)).expect("chown");
    }
    let script = "id -u; id -g; cat /proc/self/uid_map; hostname; echo $$; echo built > /workspace/out; touch /etc/x";
    let mut spec = spec(rootfs.path(), &["sh", "-c", script]);
    spec.binds.push(Bind::writable(app.path(), "/workspace"));

    // The protocol by hand (run() starts the helper as the caller): HELPER_ARG, spec on stdin.
    let mut command = Command::new(helper());
    command
        .arg(HELPER_ARG)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if as_root {
        command.uid(NOBODY).gid(NOBODY);
    }
    let mut child = command.spawn().expect("spawn the helper");
    let json = serde_json::to_vec(&spec).expect("json");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&json)
        .expect("send the spec");
    let output = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(
        !stderr.starts_with("slipway-sandbox: "),
        "the sandbox did not start: {stderr}"
    );
    let lines: Vec<String> = stdout
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        lines,
        [
            "1000",
            "1000",
            &format!("1000 {caller} 1"),
            "slipway-test",
            "2"
        ],
        "stderr: {stderr}"
    );
    // The last step, touching the read-only rootfs, fails; everything before it worked.
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.contains("Read-only file system"), "{stderr}");
    let written = app.path().join("out");
    assert_eq!(
        fs::read_to_string(&written).expect("the build user's write"),
        "built\n"
    );
    assert_eq!(
        fs::metadata(&written).expect("stat").uid(),
        caller,
        "owned by the caller on the host"
    );
}
