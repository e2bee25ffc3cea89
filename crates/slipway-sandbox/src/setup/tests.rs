//! The setup plan, checked call by call through the recording [`Syscall`]: no root needed.

use std::fs;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::MsFlags;
use nix::sched::CloneFlags;
use tempfile::TempDir;

use super::namespaces::NAMESPACES;
use super::{Host, HostPaths, SetupError, command, namespaces, rootfs};
use crate::spec::{Bind, SandboxSpec};
use crate::syscall::recording::{Call, EXEC_REACHED, RecordingSyscall};

const ROOT: Host = Host { euid: 0, egid: 0 };
const ROOTLESS: Host = Host {
    euid: 4242,
    egid: 4343,
};

/// A rootfs on disk (the plan reads it to resolve paths) and two host directories to bind.
struct Fixture {
    rootfs: TempDir,
    app: TempDir,
    cache: TempDir,
}

impl Fixture {
    fn new() -> Self {
        let rootfs = tempfile::tempdir().expect("tempdir");
        for dir in [
            "proc",
            "dev",
            "tmp",
            "etc",
            "workspace",
            "usr/bin",
            "data/layers",
        ] {
            fs::create_dir_all(rootfs.path().join(dir)).expect("mkdir");
        }
        for file in ["etc/resolv.conf", "etc/hosts", "usr/bin/sh"] {
            fs::write(rootfs.path().join(file), "").expect("write");
        }
        std::os::unix::fs::symlink("usr/bin", rootfs.path().join("bin")).expect("symlink");
        std::os::unix::fs::symlink("/data/layers", rootfs.path().join("layers")).expect("symlink");
        let app = tempfile::tempdir().expect("tempdir");
        let cache = tempfile::tempdir().expect("tempdir");
        Self { rootfs, app, cache }
    }

    fn root(&self) -> PathBuf {
        fs::canonicalize(self.rootfs.path()).expect("canonicalize")
    }

    fn spec(&self) -> SandboxSpec {
        let mut spec = SandboxSpec::new(self.rootfs.path(), ["sh", "-c", "make"]);
        spec.binds = vec![
            Bind::writable(self.app.path(), "/workspace"),
            Bind::read_only(self.cache.path(), "/tmp/cache/go"),
        ];
        spec.workdir = PathBuf::from("/workspace");
        spec.env = vec![
            ("PATH".to_owned(), "/usr/local/bin:/bin".to_owned()),
            ("HOME".to_owned(), "/home/cnb".to_owned()),
        ];
        spec.hostname = "builder".to_owned();
        spec
    }
}

fn host_paths() -> HostPaths {
    HostPaths {
        network_files: vec![
            PathBuf::from("/etc/resolv.conf"),
            PathBuf::from("/etc/hosts"),
        ],
        devices: vec![PathBuf::from("/dev/null"), PathBuf::from("/dev/urandom")],
    }
}

fn recorder() -> RecordingSyscall {
    RecordingSyscall {
        programs: vec![PathBuf::from("/bin/sh")],
        ..RecordingSyscall::default()
    }
}

/// Runs the three phases as the helper does and returns the calls.
fn plan(sys: &RecordingSyscall, spec: &SandboxSpec, host: Host) -> Vec<Call> {
    namespaces::enter(sys, spec, host).expect("namespaces");
    rootfs::prepare(sys, spec, &host_paths()).expect("rootfs");
    let error = command::exec(sys, spec, host);
    assert!(
        matches!(
            error,
            SetupError::Exec {
                source: EXEC_REACHED,
                ..
            }
        ),
        "{error:?}"
    );
    sys.calls()
}

fn position(calls: &[Call], what: &str, pick: impl Fn(&Call) -> bool) -> usize {
    calls
        .iter()
        .position(pick)
        .unwrap_or_else(|| panic!("no call {what} in {calls:#?}"))
}

fn is_read_only_remount(call: &Call, target: &Path) -> bool {
    matches!(call, Call::Mount { source: None, target: t, flags, .. }
        if t == target && flags.contains(MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_RDONLY))
}

#[test]
fn no_new_privs_comes_before_anything_else() {
    let fixture = Fixture::new();
    for host in [ROOT, ROOTLESS] {
        let calls = plan(&recorder(), &fixture.spec(), host);
        assert_eq!(calls[0], Call::SetNoNewPrivs);
    }
}

#[test]
fn as_root_no_user_namespace_is_made() {
    let fixture = Fixture::new();
    let calls = plan(&recorder(), &fixture.spec(), ROOT);
    let unshares: Vec<&Call> = calls
        .iter()
        .filter(|call| matches!(call, Call::Unshare(_)))
        .collect();
    assert_eq!(unshares, [&Call::Unshare(NAMESPACES)]);
    assert!(!calls.iter().any(|call| matches!(call, Call::WriteFile(..))));
}

#[test]
fn rootless_maps_the_caller_to_the_build_user_before_the_other_namespaces() {
    let fixture = Fixture::new();
    let calls = plan(&recorder(), &fixture.spec(), ROOTLESS);
    assert_eq!(
        calls[1..6],
        [
            Call::Unshare(CloneFlags::CLONE_NEWUSER),
            Call::WriteFile("/proc/self/setgroups".into(), "deny".into()),
            Call::WriteFile("/proc/self/uid_map".into(), "1000 4242 1\n".into()),
            Call::WriteFile("/proc/self/gid_map".into(), "1000 4343 1\n".into()),
            Call::Unshare(NAMESPACES),
        ]
    );
    // Already the build user: nothing to drop (setgroups is denied anyway).
    assert!(
        !calls
            .iter()
            .any(|call| matches!(call, Call::Setgroups(_) | Call::Setgid(_) | Call::Setuid(_)))
    );
}

#[test]
fn the_network_namespace_stays_the_hosts() {
    assert!(!NAMESPACES.contains(CloneFlags::CLONE_NEWNET));
    assert!(NAMESPACES.contains(
        CloneFlags::CLONE_NEWNS
            | CloneFlags::CLONE_NEWPID
            | CloneFlags::CLONE_NEWUTS
            | CloneFlags::CLONE_NEWIPC
    ));
}

#[test]
fn propagation_is_made_private_before_the_first_real_mount() {
    let fixture = Fixture::new();
    let calls = plan(&recorder(), &fixture.spec(), ROOT);
    let first_mount = position(&calls, "mount", |call| matches!(call, Call::Mount { .. }));
    assert_eq!(
        calls[first_mount],
        Call::Mount {
            source: None,
            target: "/".into(),
            fstype: None,
            flags: MsFlags::MS_REC | MsFlags::MS_PRIVATE,
            data: None
        }
    );
}

#[test]
fn rootfs_is_bound_read_only_before_anything_else_is_mounted_into_it() {
    let fixture = Fixture::new();
    let root = fixture.root();
    let calls = plan(&recorder(), &fixture.spec(), ROOT);
    let private = position(&calls, "private", |call| call.mounts_onto(Path::new("/")));
    let after: Vec<&Call> = calls[private + 1..]
        .iter()
        .filter(|call| call.changes_mounts())
        .take(2)
        .collect();
    assert_eq!(
        after[0],
        &Call::Mount {
            source: Some(root.clone()),
            target: root.clone(),
            fstype: None,
            flags: MsFlags::MS_BIND | MsFlags::MS_REC,
            data: None
        }
    );
    assert!(is_read_only_remount(after[1], &root), "{:?}", after[1]);
    let Call::Mount { flags, .. } = after[1] else {
        unreachable!()
    };
    assert!(flags.contains(MsFlags::MS_NOSUID | MsFlags::MS_NODEV));
}

#[test]
fn binds_come_after_the_rootfs_in_spec_order_read_only_unless_writable() {
    let fixture = Fixture::new();
    let root = fixture.root();
    let calls = plan(&recorder(), &fixture.spec(), ROOT);
    let rootfs_ro = position(&calls, "rootfs remount", |call| {
        is_read_only_remount(call, &root)
    });
    let app = position(&calls, "app bind", |call| {
        call.mounts_onto(&root.join("workspace"))
    });
    let cache_target = root.join("tmp/cache/go");
    let cache = position(
        &calls,
        "cache bind",
        |call| matches!(call, Call::Mount { source: Some(s), target, .. } if s == fixture.cache.path() && *target == cache_target),
    );
    assert!(rootfs_ro < app && app < cache);
    let tmp = position(&calls, "tmpfs /tmp", |call| {
        call.mounts_onto(&root.join("tmp"))
    });
    assert!(
        tmp < cache,
        "a bind under /tmp must come after the tmpfs that would hide it"
    );
    assert!(
        !calls
            .iter()
            .any(|call| is_read_only_remount(call, &root.join("workspace")))
    );
    assert!(is_read_only_remount(&calls[cache + 1], &cache_target));
}

#[test]
fn a_missing_mount_point_is_made_parents_first() {
    let fixture = Fixture::new();
    let root = fixture.root();
    let calls = plan(&recorder(), &fixture.spec(), ROOT);
    let cache = position(&calls, "cache bind", |call| {
        call.mounts_onto(&root.join("tmp/cache/go"))
    });
    assert_eq!(
        calls[cache - 2..cache],
        [
            Call::Mkdir(root.join("tmp/cache"), 0o755),
            Call::Mkdir(root.join("tmp/cache/go"), 0o755)
        ]
    );
}

#[test]
fn symlinks_in_a_bind_target_resolve_inside_the_root() {
    let fixture = Fixture::new();
    let root = fixture.root();
    let mut spec = fixture.spec();
    spec.binds = vec![Bind::writable(fixture.app.path(), "/layers")];
    let calls = plan(&recorder(), &spec, ROOT);
    assert!(
        calls
            .iter()
            .any(|call| call.mounts_onto(&root.join("data/layers"))),
        "{calls:#?}"
    );
}

#[test]
fn proc_dev_and_tmp_are_fresh() {
    let fixture = Fixture::new();
    let root = fixture.root();
    let calls = plan(&recorder(), &fixture.spec(), ROOT);
    let fresh = |target: &str, fstype: &str| {
        calls.iter().any(|call| {
            matches!(call, Call::Mount { target: t, fstype: Some(f), .. } if *t == root.join(target) && f == fstype)
        })
    };
    assert!(fresh("proc", "proc") && fresh("dev", "tmpfs") && fresh("tmp", "tmpfs"));
    for device in ["null", "urandom"] {
        let target = root.join("dev").join(device);
        let made = position(&calls, "device file", |call| {
            *call == Call::CreateFile(target.clone())
        });
        assert_eq!(
            calls[made + 1],
            Call::Mount {
                source: Some(Path::new("/dev").join(device)),
                target: target.clone(),
                fstype: None,
                flags: MsFlags::MS_BIND,
                data: None
            }
        );
    }
}

#[test]
fn resolver_files_are_bound_read_only_when_the_rootfs_has_a_mount_point() {
    let fixture = Fixture::new();
    let root = fixture.root();
    fs::remove_file(root.join("etc/hosts")).expect("rm");
    let calls = plan(&recorder(), &fixture.spec(), ROOT);
    let resolv = root.join("etc/resolv.conf");
    assert!(calls.iter().any(|call| is_read_only_remount(call, &resolv)));
    assert!(
        !calls
            .iter()
            .any(|call| call.mounts_onto(&root.join("etc/hosts")))
    );
    assert!(
        !calls.iter().any(
            |call| matches!(call, Call::CreateFile(path) if path.starts_with(root.join("etc")))
        )
    );
}

#[test]
fn the_root_is_entered_by_pivot_root_after_all_mounts_and_the_hostname() {
    let fixture = Fixture::new();
    let root = fixture.root();
    let calls = plan(&recorder(), &fixture.spec(), ROOT);
    let pivot = position(&calls, "pivot_root", |call| {
        matches!(call, Call::PivotRoot(..))
    });
    assert_eq!(calls[pivot - 1], Call::Chdir(root.clone()));
    assert_eq!(calls[pivot], Call::PivotRoot(".".into(), ".".into()));
    assert_eq!(
        calls[pivot + 1..pivot + 3],
        [Call::UmountDetach(".".into()), Call::Chdir("/".into())]
    );
    let hostname = position(&calls, "sethostname", |call| {
        *call == Call::Sethostname("builder".into())
    });
    let last_mount = calls
        .iter()
        .rposition(|call| matches!(call, Call::Mount { .. }))
        .expect("mounts");
    assert!(last_mount < hostname && hostname < pivot);
}

#[test]
fn chroot_is_the_fallback_where_pivot_root_is_refused() {
    let fixture = Fixture::new();
    let sys = RecordingSyscall {
        fail: Some(Box::new(|call| {
            matches!(call, Call::PivotRoot(..)).then_some(Errno::EINVAL)
        })),
        ..recorder()
    };
    let calls = plan(&sys, &fixture.spec(), ROOT);
    let pivot = position(&calls, "pivot_root", |call| {
        matches!(call, Call::PivotRoot(..))
    });
    assert_eq!(
        calls[pivot + 1..pivot + 3],
        [Call::Chroot(".".into()), Call::Chdir("/".into())]
    );
}

#[test]
fn the_user_is_dropped_after_all_mounts_then_workdir_then_exec() {
    let fixture = Fixture::new();
    let calls = plan(&recorder(), &fixture.spec(), ROOT);
    let last_mount_change = calls
        .iter()
        .rposition(Call::changes_mounts)
        .expect("mounts");
    let pivot = position(&calls, "pivot_root", |call| {
        matches!(call, Call::PivotRoot(..))
    });
    let groups = position(&calls, "setgroups", |call| {
        matches!(call, Call::Setgroups(_))
    });
    assert!(last_mount_change < groups && pivot < groups);
    assert_eq!(
        calls[groups..groups + 4],
        [
            Call::Setgroups(vec![1000]),
            Call::Setgid(1000),
            Call::Setuid(1000),
            Call::Chdir("/workspace".into())
        ]
    );
    assert!(matches!(calls.last(), Some(Call::Execve { .. })));
}

#[test]
fn exec_gets_exactly_the_specs_arguments_and_environment() {
    let fixture = Fixture::new();
    let calls = plan(&recorder(), &fixture.spec(), ROOT);
    let execs: Vec<&Call> = calls
        .iter()
        .filter(|call| matches!(call, Call::Execve { .. }))
        .collect();
    let expected = |path: &str| Call::Execve {
        path: path.into(),
        argv: vec!["sh".into(), "-c".into(), "make".into()],
        envp: vec!["PATH=/usr/local/bin:/bin".into(), "HOME=/home/cnb".into()],
    };
    // Looked up in the spec's PATH, in order, not in the helper's.
    assert_eq!(
        execs,
        [&expected("/usr/local/bin/sh"), &expected("/bin/sh")]
    );
}

#[test]
fn a_command_not_in_path_is_127() {
    let fixture = Fixture::new();
    let mut spec = fixture.spec();
    spec.command = vec!["gradle".into()];
    let sys = recorder();
    namespaces::enter(&sys, &spec, ROOT).expect("namespaces");
    rootfs::prepare(&sys, &spec, &host_paths()).expect("rootfs");
    let error = command::exec(&sys, &spec, ROOT);
    assert!(matches!(error, SetupError::NotFound { .. }), "{error:?}");
    assert_eq!(error.exit_code(), 127);
    assert_eq!(
        error.report(),
        r#"running "gradle": command not found (PATH=/usr/local/bin:/bin)"#
    );
}

#[test]
fn a_refused_user_namespace_names_the_step_and_the_sysctls() {
    let fixture = Fixture::new();
    let sys = RecordingSyscall {
        fail: Some(Box::new(|call| {
            (*call == Call::Unshare(CloneFlags::CLONE_NEWUSER)).then_some(Errno::EPERM)
        })),
        ..recorder()
    };
    let error = namespaces::enter(&sys, &fixture.spec(), ROOTLESS).expect_err("refused");
    assert_eq!(error.exit_code(), 125);
    let report = error.report();
    assert!(
        report.starts_with("creating a user namespace: Operation not permitted; "),
        "{report}"
    );
    assert!(
        report.contains("user.max_user_namespaces")
            && report.contains("kernel.unprivileged_userns_clone")
    );
    assert_eq!(sys.calls().len(), 2, "nothing after the failed step");
}

#[test]
fn a_mount_point_on_the_read_only_rootfs_names_the_fix() {
    let fixture = Fixture::new();
    let sys = RecordingSyscall {
        fail: Some(Box::new(|call| {
            matches!(call, Call::Mkdir(path, _) if path.ends_with("cache")).then_some(Errno::EROFS)
        })),
        ..recorder()
    };
    let mut spec = fixture.spec();
    spec.binds = vec![Bind::writable(fixture.app.path(), "/cache")];
    let error = rootfs::prepare(&sys, &spec, &host_paths()).expect_err("EROFS");
    let report = error.report();
    assert!(
        report.starts_with(
            "creating the mount point /cache: Read-only file system; the rootfs is read-only"
        ),
        "{report}"
    );
}

#[test]
fn a_command_given_as_a_path_is_not_looked_up() {
    let fixture = Fixture::new();
    let mut spec = fixture.spec();
    spec.command = vec!["/opt/tool/bin/tool".into()];
    let sys = recorder();
    let error = command::exec(&sys, &spec, ROOT);
    let execs = sys
        .calls()
        .into_iter()
        .filter(|call| matches!(call, Call::Execve { .. }))
        .count();
    assert_eq!(execs, 1);
    assert_eq!(error.exit_code(), 127);
    assert_eq!(
        error.report(),
        r#"running "/opt/tool/bin/tool": No such file or directory"#
    );
}
