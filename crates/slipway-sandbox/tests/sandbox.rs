//! End to end: commands run in a busybox rootfs through the real helper. As root (these
//! machines) this is the privileged path; as anyone else, the user-namespace path. The test
//! harness is threaded, so these also show that the re-executed helper is what enters the
//! namespaces.

mod common;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use common::{busybox_rootfs, helper, spec};
use slipway_sandbox::{Bind, SandboxError, SandboxSpec, Stream, output, run};

fn stdout_of(spec: &SandboxSpec) -> String {
    let output = output(&helper(), spec).expect("sandbox");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{:?}: {}; stderr: {stderr}",
        spec.command,
        output.status
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

fn running_as_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// A host directory the build user may write to: owned by uid 1000 as root; the caller's own
/// otherwise, which the user namespace maps to the build user.
fn build_user_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    if running_as_root() {
        std::os::unix::fs::chown(dir.path(), Some(1000), Some(1000)).expect("chown");
    }
    dir
}

fn listing(root: &Path) -> Vec<String> {
    let mut entries = Vec::new();
    let mut dirs = vec![root.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("read_dir") {
            let entry = entry.expect("entry");
            let meta = entry.path().symlink_metadata().expect("lstat");
            entries.push(format!(
                "{} {:o} {}",
                entry.path().display(),
                meta.mode(),
                meta.len()
            ));
            if meta.is_dir() {
                dirs.push(entry.path());
            }
        }
    }
    entries.sort();
    entries
}

#[test]
fn the_command_runs_as_the_build_user() {
    let rootfs = busybox_rootfs();
    assert_eq!(stdout_of(&spec(rootfs.path(), &["id", "-u"])), "1000\n");
    assert_eq!(stdout_of(&spec(rootfs.path(), &["id", "-g"])), "1000\n");
    assert_eq!(stdout_of(&spec(rootfs.path(), &["id", "-G"])), "1000\n");
}

#[test]
fn the_hostname_is_the_specs() {
    let rootfs = busybox_rootfs();
    assert_eq!(
        stdout_of(&spec(rootfs.path(), &["hostname"])),
        "slipway-test\n"
    );
}

#[test]
fn the_sandbox_has_its_own_pid_namespace() {
    let rootfs = busybox_rootfs();
    let out = stdout_of(&spec(
        rootfs.path(),
        &["sh", "-c", "echo $$; tr '\\0' ' ' < /proc/1/cmdline; echo"],
    ));
    let lines: Vec<&str> = out.lines().collect();
    // pid 1 is the sandbox's init (the helper's fork); the command is its first child.
    assert_eq!(lines[0], "2", "{out}");
    assert!(lines[1].ends_with(" __slipway-sandbox "), "{out}");
}

#[test]
fn the_environment_is_exactly_the_specs() {
    let rootfs = busybox_rootfs();
    let mut spec = spec(rootfs.path(), &["env"]);
    spec.env = vec![
        ("PATH".to_owned(), "/bin".to_owned()),
        ("HOME".to_owned(), "/home/cnb".to_owned()),
        ("GREETING".to_owned(), "hello, world".to_owned()),
    ];
    assert_eq!(
        stdout_of(&spec),
        "PATH=/bin\nHOME=/home/cnb\nGREETING=hello, world\n"
    );
}

#[test]
fn a_writable_bind_takes_writes_and_the_workdir_is_set() {
    let rootfs = busybox_rootfs();
    let app = build_user_dir();
    let mut spec = spec(
        rootfs.path(),
        &["sh", "-c", "pwd; echo built > out; cat /workspace/out"],
    );
    spec.binds.push(Bind::writable(app.path(), "/workspace"));
    spec.workdir = "/workspace".into();
    assert_eq!(stdout_of(&spec), "/workspace\nbuilt\n");
    let written = app.path().join("out");
    assert_eq!(fs::read_to_string(&written).expect("read"), "built\n");
    let owner = if running_as_root() {
        1000
    } else {
        nix::unistd::geteuid().as_raw()
    };
    assert_eq!(fs::metadata(&written).expect("stat").uid(), owner);
}

#[test]
fn the_rootfs_and_read_only_binds_refuse_writes_and_stay_unchanged() {
    let rootfs = busybox_rootfs();
    let cache = tempfile::tempdir().expect("tempdir");
    fs::write(cache.path().join("kept"), "cached\n").expect("write");
    let before = listing(rootfs.path());
    for target in ["/etc/new", "/bin/new", "/cache/new", "/cache/kept"] {
        let mut spec = spec(rootfs.path(), &["touch", target]);
        spec.binds.push(Bind::read_only(cache.path(), "/cache"));
        let output = output(&helper(), &spec).expect("sandbox");
        assert_eq!(output.status.code(), Some(1), "touch {target}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("Read-only file system"),
            "touch {target}"
        );
    }
    let mut spec = spec(rootfs.path(), &["cat", "/cache/kept"]);
    spec.binds.push(Bind::read_only(cache.path(), "/cache"));
    assert_eq!(stdout_of(&spec), "cached\n");
    assert_eq!(listing(rootfs.path()), before);
    assert_eq!(fs::read_dir(cache.path()).expect("read_dir").count(), 1);
}

#[test]
fn tmp_and_dev_work() {
    let rootfs = busybox_rootfs();
    let script =
        "echo gone > /dev/null && echo kept > /tmp/f && cat /tmp/f && ls /dev && stat -c %a /tmp";
    assert_eq!(
        stdout_of(&spec(rootfs.path(), &["sh", "-c", script])),
        "kept\nfd\nfull\nnull\nrandom\nshm\nstderr\nstdin\nstdout\ntty\nurandom\nzero\n1777\n"
    );
}

#[test]
fn the_hosts_resolver_configuration_is_bound_read_only() {
    let host = Path::new("/etc/resolv.conf");
    if !host.exists() {
        return; // nothing to bind on this host; the plan's unit tests cover the skip
    }
    let rootfs = busybox_rootfs();
    let inside = stdout_of(&spec(rootfs.path(), &["cat", "/etc/resolv.conf"]));
    assert_eq!(inside, fs::read_to_string(host).expect("read"));
    let output = output(
        &helper(),
        &spec(rootfs.path(), &["sh", "-c", "echo x >> /etc/resolv.conf"]),
    )
    .expect("sandbox");
    assert!(!output.status.success());
}

#[test]
fn the_exit_status_propagates() {
    let rootfs = busybox_rootfs();
    let status = run(
        &helper(),
        &spec(rootfs.path(), &["sh", "-c", "exit 42"]),
        |_, _| {},
    )
    .expect("sandbox");
    assert_eq!(status.code(), Some(42));
    let status = run(
        &helper(),
        &spec(rootfs.path(), &["sh", "-c", "kill -9 $$"]),
        |_, _| {},
    )
    .expect("sandbox");
    assert_eq!(
        status.code(),
        Some(128 + 9),
        "killed by SIGKILL, as a shell reports it"
    );
}

#[test]
fn a_missing_command_is_127_with_a_message() {
    let rootfs = busybox_rootfs();
    let output = output(&helper(), &spec(rootfs.path(), &["gradle", "build"])).expect("sandbox");
    assert_eq!(output.status.code(), Some(127));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "slipway-sandbox: running \"gradle\": command not found (PATH=/bin)\n"
    );
}

#[test]
fn output_lines_stream_to_the_callback_by_stream() {
    let rootfs = busybox_rootfs();
    let mut lines = Vec::new();
    let spec = spec(
        rootfs.path(),
        &[
            "sh",
            "-c",
            "echo one; echo two >&2; echo three; printf 'no newline'",
        ],
    );
    let status = run(&helper(), &spec, |stream, line| {
        lines.push((stream, line.to_owned()));
    })
    .expect("sandbox");
    assert!(status.success());
    let of = |wanted: Stream| {
        lines
            .iter()
            .filter(|(stream, _)| *stream == wanted)
            .map(|(_, line)| line.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(of(Stream::Stdout), ["one", "three", "no newline"]);
    assert_eq!(of(Stream::Stderr), ["two"]);
}

#[test]
fn stdin_is_empty() {
    let rootfs = busybox_rootfs();
    assert_eq!(stdout_of(&spec(rootfs.path(), &["wc", "-c"])).trim(), "0");
}

#[test]
fn a_bind_whose_source_is_missing_is_a_setup_error_naming_the_step() {
    let rootfs = busybox_rootfs();
    let mut spec = spec(rootfs.path(), &["true"]);
    spec.binds
        .push(Bind::writable("/nonexistent/app", "/workspace"));
    let error = output(&helper(), &spec).expect_err("no such bind source");
    let SandboxError::Setup { message } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        message,
        "reading the bind source /nonexistent/app: No such file or directory"
    );
}

#[test]
fn a_mount_point_missing_from_the_read_only_rootfs_is_a_setup_error_with_the_fix() {
    let rootfs = busybox_rootfs();
    let layers = build_user_dir();
    let mut spec = spec(rootfs.path(), &["true"]);
    spec.binds.push(Bind::writable(layers.path(), "/layers"));
    let error = output(&helper(), &spec).expect_err("no mount point");
    let SandboxError::Setup { message } = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.starts_with(
            "creating the mount point /layers: Read-only file system; the rootfs is read-only"
        ),
        "{message}"
    );
    assert!(!rootfs.path().join("layers").exists());
}

#[test]
fn a_bind_under_tmp_gets_its_mount_point_made() {
    let rootfs = busybox_rootfs();
    let cache = tempfile::tempdir().expect("tempdir");
    fs::write(cache.path().join("module"), "v1\n").expect("write");
    let mut spec = spec(rootfs.path(), &["cat", "/tmp/go/mod/module"]);
    spec.binds
        .push(Bind::read_only(cache.path(), "/tmp/go/mod"));
    assert_eq!(stdout_of(&spec), "v1\n");
}

#[test]
fn a_missing_rootfs_is_a_setup_error() {
    let spec = spec(Path::new("/nonexistent/rootfs"), &["true"]);
    let error = output(&helper(), &spec).expect_err("no rootfs");
    let SandboxError::Setup { message } = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.starts_with("finding the rootfs /nonexistent/rootfs: No such file or directory"),
        "{message}"
    );
}

#[test]
fn an_invalid_spec_fails_before_the_helper_starts() {
    let spec = spec(Path::new("relative/rootfs"), &["true"]);
    let error = output(Path::new("/nonexistent/helper"), &spec).expect_err("invalid");
    assert!(matches!(error, SandboxError::InvalidSpec(_)), "{error:?}");
}

#[test]
fn builds_share_one_rootfs_at_once() {
    let rootfs = busybox_rootfs();
    let before = listing(rootfs.path());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let spec = spec(
                rootfs.path(),
                &[
                    "sh",
                    "-c",
                    &format!("echo {i} > /tmp/mine; sleep 0.2; cat /tmp/mine"),
                ],
            );
            std::thread::spawn(move || stdout_of(&spec))
        })
        .collect();
    for (i, handle) in handles.into_iter().enumerate() {
        assert_eq!(
            handle.join().expect("thread"),
            format!("{i}\n"),
            "each sandbox has its own /tmp"
        );
    }
    assert_eq!(listing(rootfs.path()), before);
}
