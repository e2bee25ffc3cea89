//! The sandbox's root, built by the sandbox's pid 1 in its own mount namespace: the rootfs bound
//! read-only onto itself before anything is mounted into it, then a fresh /proc, a small /dev,
//! a tmpfs /tmp, the host's resolver files, the spec's binds, and finally `pivot_root` into it.

use std::fs;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::MsFlags;

use super::path::resolve_in_root;
use super::{HostPaths, SetupError};
use crate::spec::{Bind, SandboxSpec};
use crate::syscall::{Syscall, errno};

/// Flags for a read-only remount of a bind mount that grants nothing: no set-user-ID files, no
/// device nodes.
const READ_ONLY: MsFlags = MsFlags::MS_REMOUNT
    .union(MsFlags::MS_BIND)
    .union(MsFlags::MS_RDONLY)
    .union(MsFlags::MS_NOSUID)
    .union(MsFlags::MS_NODEV);

/// Builds the root and enters it; the working directory is then `/` of the new root.
pub(crate) fn prepare(
    sys: &dyn Syscall,
    spec: &SandboxSpec,
    host: &HostPaths,
) -> Result<(), SetupError> {
    let root = fs::canonicalize(&spec.rootfs).map_err(|error| SetupError::Rootfs {
        rootfs: spec.rootfs.clone(),
        source: errno(&error),
    })?;
    bind_rootfs_read_only(sys, &root)?;
    mount_proc(sys, &root)?;
    mount_dev(sys, &root, &host.devices)?;
    mount_tmp(sys, &root)?;
    bind_network_files(sys, &root, &host.network_files)?;
    for bind in &spec.binds {
        bind_into(sys, &root, bind)?;
    }
    sys.sethostname(&spec.hostname)
        .map_err(|source| SetupError::Hostname {
            hostname: spec.hostname.clone(),
            source,
        })?;
    enter_root(sys, &root)
}

/// The rootfs is shared by every build and must never change: it becomes its own read-only
/// mount point first, so nothing below can write to it.
fn bind_rootfs_read_only(sys: &dyn Syscall, root: &Path) -> Result<(), SetupError> {
    let failed = |source| SetupError::BindRootfs {
        rootfs: root.to_owned(),
        source,
    };
    sys.mount(
        Some(root),
        root,
        None,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None,
    )
    .map_err(failed)?;
    let kept = sys.mount_flags(root).map_err(failed)?;
    sys.mount(None, root, None, READ_ONLY | kept, None)
        .map_err(failed)
}

/// A /proc of the sandbox's own pid namespace (this process is its pid 1).
fn mount_proc(sys: &dyn Syscall, root: &Path) -> Result<(), SetupError> {
    let target = inside(root, "/proc")?;
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    sys.mount(Some(Path::new("proc")), &target, Some("proc"), flags, None)
        .map_err(|source| SetupError::Mount {
            what: "proc",
            inside: "/proc".into(),
            source,
        })
}

/// A tmpfs /dev holding the host's harmless devices (bound: a user namespace cannot mknod),
/// the usual links into /proc, and /dev/shm.
fn mount_dev(sys: &dyn Syscall, root: &Path, devices: &[PathBuf]) -> Result<(), SetupError> {
    let dev = inside(root, "/dev")?;
    let failed = |source| SetupError::Mount {
        what: "a tmpfs",
        inside: "/dev".into(),
        source,
    };
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC;
    sys.mount(
        Some(Path::new("tmpfs")),
        &dev,
        Some("tmpfs"),
        flags,
        Some("mode=755"),
    )
    .map_err(failed)?;
    for device in devices {
        let target = dev.join(device.strip_prefix("/dev").unwrap_or(device));
        let point_failed = |source| SetupError::MountPoint {
            inside: device.clone(),
            source,
        };
        sys.create_file(&target).map_err(point_failed)?;
        sys.mount(Some(device), &target, None, MsFlags::MS_BIND, None)
            .map_err(|source| SetupError::Bind {
                host: device.clone(),
                inside: device.clone(),
                source,
            })?;
    }
    let links = [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ];
    for (name, target) in links {
        sys.symlink(Path::new(target), &dev.join(name))
            .map_err(failed)?;
    }
    sys.mkdir(&dev.join("shm"), 0o1777).map_err(failed)
}

/// A fresh tmpfs /tmp that anyone may write to, as on any Linux system.
fn mount_tmp(sys: &dyn Syscall, root: &Path) -> Result<(), SetupError> {
    let target = inside(root, "/tmp")?;
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
    sys.mount(
        Some(Path::new("tmpfs")),
        &target,
        Some("tmpfs"),
        flags,
        Some("mode=1777"),
    )
    .map_err(|source| SetupError::Mount {
        what: "a tmpfs",
        inside: "/tmp".into(),
        source,
    })
}

/// The host's resolver files, read-only, so that the host network resolves names. Skipped
/// when the rootfs has no file to mount them on (it cannot get one: it is read-only).
fn bind_network_files(sys: &dyn Syscall, root: &Path, files: &[PathBuf]) -> Result<(), SetupError> {
    for file in files {
        let target = resolve(root, file)?;
        if target.is_file() {
            bind(sys, file, &target, file, false)?;
        }
    }
    Ok(())
}

/// One of the spec's binds, its mount point made first when missing.
fn bind_into(sys: &dyn Syscall, root: &Path, spec_bind: &Bind) -> Result<(), SetupError> {
    let source_meta = fs::metadata(&spec_bind.host).map_err(|error| SetupError::BindSource {
        host: spec_bind.host.clone(),
        source: errno(&error),
    })?;
    let target = resolve(root, &spec_bind.inside)?;
    make_mount_point(sys, root, &target, source_meta.is_dir()).map_err(|source| {
        SetupError::MountPoint {
            inside: spec_bind.inside.clone(),
            source,
        }
    })?;
    bind(
        sys,
        &spec_bind.host,
        &target,
        &spec_bind.inside,
        spec_bind.writable,
    )
}

/// Binds `host` onto `target` (recursively: in a user namespace the kernel refuses a bind that
/// would uncover what a mount below hides), then remounts it read-only unless `writable`.
fn bind(
    sys: &dyn Syscall,
    host: &Path,
    target: &Path,
    inside: &Path,
    writable: bool,
) -> Result<(), SetupError> {
    let failed = |source| SetupError::Bind {
        host: host.to_owned(),
        inside: inside.to_owned(),
        source,
    };
    sys.mount(
        Some(host),
        target,
        None,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None,
    )
    .map_err(failed)?;
    if !writable {
        let kept = sys.mount_flags(target).map_err(failed)?;
        sys.mount(None, target, None, READ_ONLY | kept, None)
            .map_err(failed)?;
    }
    Ok(())
}

/// Makes the missing directories down to `target` (already resolved under `root`), and
/// `target` itself as a directory or an empty file. Under the read-only rootfs this fails with
/// EROFS, which is the point: only tmpfs and writable binds get new mount points.
fn make_mount_point(
    sys: &dyn Syscall,
    root: &Path,
    target: &Path,
    directory: bool,
) -> Result<(), Errno> {
    if target.symlink_metadata().is_ok() {
        return Ok(());
    }
    let missing: Vec<&Path> = target
        .ancestors()
        .skip(1)
        .take_while(|dir| *dir != root && dir.symlink_metadata().is_err())
        .collect();
    for dir in missing.into_iter().rev() {
        sys.mkdir(dir, 0o755)?;
    }
    if directory {
        sys.mkdir(target, 0o755)
    } else {
        sys.create_file(target)
    }
}

/// Moves the root of this mount namespace to `root` and drops the host's tree (`pivot_root`),
/// or, where the host's root cannot be pivoted away (an initramfs), chroots into it.
fn enter_root(sys: &dyn Syscall, root: &Path) -> Result<(), SetupError> {
    let here = Path::new(".");
    sys.chdir(root).map_err(SetupError::EnterRoot)?;
    match sys.pivot_root(here, here) {
        // The old root is now stacked on the new one at "/": detach it and all below it.
        Ok(()) => sys.umount_detach(here).map_err(SetupError::EnterRoot)?,
        Err(Errno::EINVAL) => sys.chroot(here).map_err(SetupError::EnterRoot)?,
        Err(errno) => return Err(SetupError::EnterRoot(errno)),
    }
    sys.chdir(Path::new("/")).map_err(SetupError::EnterRoot)
}

fn inside(root: &Path, path: &'static str) -> Result<PathBuf, SetupError> {
    resolve(root, Path::new(path))
}

fn resolve(root: &Path, path: &Path) -> Result<PathBuf, SetupError> {
    resolve_in_root(root, path).map_err(|error| SetupError::Resolve {
        inside: path.to_owned(),
        source: errno(&error),
    })
}
