//! A tiny rootfs for the end-to-end tests, made without the network: Debian's static busybox
//! (package busybox-static, which scripts/test installs) and links to the applets the tests use.

#![allow(
    dead_code,
    reason = "each test binary uses its own part of this module"
)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use slipway_sandbox::SandboxSpec;
use tempfile::TempDir;

/// Where Debian's busybox-static puts busybox.
const BUSYBOX: &str = "/bin/busybox";
const APPLETS: [&str; 14] = [
    "sh", "cat", "id", "hostname", "ls", "echo", "touch", "env", "pwd", "kill", "tr", "sleep",
    "stat", "wc",
];

/// The sandbox helper built from this crate.
pub fn helper() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_slipway-sandbox-helper"))
}

/// A rootfs holding /bin/busybox and its applets, the mount points the sandbox needs, and
/// /workspace and /cache for binds; readable by everyone (the rootless test runs the helper as
/// nobody).
pub fn busybox_rootfs() -> TempDir {
    assert_static(Path::new(BUSYBOX));
    let rootfs = tempfile::tempdir().expect("tempdir");
    let root = rootfs.path();
    for dir in [
        "bin",
        "proc",
        "dev",
        "tmp",
        "etc",
        "workspace",
        "cache",
        "home/cnb",
    ] {
        fs::create_dir_all(root.join(dir)).expect("mkdir");
    }
    fs::copy(BUSYBOX, root.join("bin/busybox")).expect("copy busybox");
    for applet in APPLETS {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).expect("symlink");
    }
    fs::write(
        root.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\ncnb:x:1000:1000::/home/cnb:/bin/sh\n",
    )
    .expect("passwd");
    fs::write(root.join("etc/group"), "root:x:0:\ncnb:x:1000:\n").expect("group");
    for mount_point in ["etc/resolv.conf", "etc/hosts"] {
        fs::write(root.join(mount_point), "").expect("mount point");
    }
    fs::set_permissions(root, fs::Permissions::from_mode(0o755)).expect("chmod");
    rootfs
}

/// A spec for `command` in `rootfs` with PATH=/bin and nothing else in the environment.
pub fn spec(rootfs: &Path, command: &[&str]) -> SandboxSpec {
    let mut spec = SandboxSpec::new(rootfs, command.iter().copied());
    spec.env = vec![("PATH".to_owned(), "/bin".to_owned())];
    "slipway-test".clone_into(&mut spec.hostname);
    spec
}

/// The rootfs must work without the host's libraries: a static ELF has no `PT_INTERP`.
fn assert_static(path: &Path) {
    let elf = fs::read(path).unwrap_or_else(|error| {
        panic!(
            "{}: {error}: install Debian's busybox-static (scripts/test does)",
            path.display()
        )
    });
    let u16_at = |at: usize| usize::from(u16::from_le_bytes([elf[at], elf[at + 1]]));
    let u64_at = |at: usize| {
        usize::try_from(u64::from_le_bytes(
            elf[at..at + 8].try_into().expect("8 bytes"),
        ))
        .expect("usize")
    };
    assert_eq!(
        &elf[..5],
        b"\x7fELF\x02",
        "{} is not a 64-bit ELF",
        path.display()
    );
    let (offset, size, count) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    let interp =
        (0..count).any(|i| elf[offset + i * size..offset + i * size + 4] == 3u32.to_le_bytes());
    assert!(
        !interp,
        "{} is linked dynamically: install busybox-static, not busybox",
        path.display()
    );
}
