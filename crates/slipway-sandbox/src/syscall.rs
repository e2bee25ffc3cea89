//! Every system call that sets up the sandbox, behind one small trait, as youki does: the real
//! implementation calls the kernel through `nix`; the recording one (tests only) lets the order
//! and arguments of the setup be checked without root.

use std::ffi::CString;
use std::fs::{self, DirBuilder, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};
use nix::sched::CloneFlags;
use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::statvfs::{FsFlags, statvfs};
use nix::unistd::{Gid, Uid};

#[cfg(test)]
pub(crate) mod recording;

/// The calls that set up the sandbox. Each returns the kernel's error number, which the setup
/// steps turn into a message that names the step.
pub(crate) trait Syscall {
    /// unshare(2).
    fn unshare(&self, flags: CloneFlags) -> Result<(), Errno>;
    /// Writes a small file in one write, as `/proc/self/uid_map` needs.
    fn write_file(&self, path: &Path, contents: &str) -> Result<(), Errno>;
    /// mount(2).
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), Errno>;
    /// The flags of the mount holding `path` that a remount must keep: in a user namespace the
    /// kernel locks nosuid, nodev, noexec and the atime flags of mounts it inherited.
    fn mount_flags(&self, path: &Path) -> Result<MsFlags, Errno>;
    /// umount2(2) with `MNT_DETACH`.
    fn umount_detach(&self, target: &Path) -> Result<(), Errno>;
    /// Makes a directory with exactly `mode` (the umask does not apply).
    fn mkdir(&self, path: &Path, mode: u32) -> Result<(), Errno>;
    /// Makes an empty file, as a mount point for a file.
    fn create_file(&self, path: &Path) -> Result<(), Errno>;
    /// symlink(2): `link` pointing at `target`.
    fn symlink(&self, target: &Path, link: &Path) -> Result<(), Errno>;
    /// sethostname(2).
    fn sethostname(&self, name: &str) -> Result<(), Errno>;
    /// `pivot_root(2)`.
    fn pivot_root(&self, new_root: &Path, put_old: &Path) -> Result<(), Errno>;
    /// chroot(2).
    fn chroot(&self, path: &Path) -> Result<(), Errno>;
    /// chdir(2).
    fn chdir(&self, path: &Path) -> Result<(), Errno>;
    /// `prctl(PR_SET_NO_NEW_PRIVS)`: no exec can gain privileges (set-user-ID files, file
    /// capabilities) from here on.
    fn set_no_new_privs(&self) -> Result<(), Errno>;
    /// Puts back the default action of SIGPIPE, which Rust programs (this helper, slipway) ignore
    /// and which exec would otherwise pass on to the command: `yes | head` must end.
    fn default_sigpipe(&self) -> Result<(), Errno>;
    /// setgroups(2).
    fn setgroups(&self, gids: &[u32]) -> Result<(), Errno>;
    /// setgid(2).
    fn setgid(&self, gid: u32) -> Result<(), Errno>;
    /// setuid(2).
    fn setuid(&self, uid: u32) -> Result<(), Errno>;
    /// execve(2): returns only when it fails.
    fn execve(&self, path: &CString, argv: &[CString], envp: &[CString]) -> Errno;
}

/// The kernel.
pub(crate) struct LinuxSyscall;

impl Syscall for LinuxSyscall {
    fn unshare(&self, flags: CloneFlags) -> Result<(), Errno> {
        nix::sched::unshare(flags)
    }

    fn write_file(&self, path: &Path, contents: &str) -> Result<(), Errno> {
        fs::write(path, contents).map_err(|error| errno(&error))
    }

    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), Errno> {
        nix::mount::mount(source, target, fstype, flags, data)
    }

    fn mount_flags(&self, path: &Path) -> Result<MsFlags, Errno> {
        let fs_flags = statvfs(path)?.flags();
        let mut flags = MsFlags::empty();
        for (fs_flag, ms_flag) in [
            (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
            (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
            (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
            (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
            (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
            (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
        ] {
            if fs_flags.contains(fs_flag) {
                flags |= ms_flag;
            }
        }
        Ok(flags)
    }

    fn umount_detach(&self, target: &Path) -> Result<(), Errno> {
        nix::mount::umount2(target, MntFlags::MNT_DETACH)
    }

    fn mkdir(&self, path: &Path, mode: u32) -> Result<(), Errno> {
        DirBuilder::new()
            .mode(mode)
            .create(path)
            .map_err(|error| errno(&error))?;
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|error| errno(&error))
    }

    fn create_file(&self, path: &Path) -> Result<(), Errno> {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(path)
            .map(drop)
            .map_err(|error| errno(&error))
    }

    fn symlink(&self, target: &Path, link: &Path) -> Result<(), Errno> {
        std::os::unix::fs::symlink(target, link).map_err(|error| errno(&error))
    }

    fn sethostname(&self, name: &str) -> Result<(), Errno> {
        nix::unistd::sethostname(name)
    }

    fn pivot_root(&self, new_root: &Path, put_old: &Path) -> Result<(), Errno> {
        nix::unistd::pivot_root(new_root, put_old)
    }

    fn chroot(&self, path: &Path) -> Result<(), Errno> {
        nix::unistd::chroot(path)
    }

    fn chdir(&self, path: &Path) -> Result<(), Errno> {
        nix::unistd::chdir(path)
    }

    fn set_no_new_privs(&self) -> Result<(), Errno> {
        nix::sys::prctl::set_no_new_privs()
    }

    #[allow(unsafe_code)]
    fn default_sigpipe(&self) -> Result<(), Errno> {
        // SAFETY: signal(2) is unsafe because a handler runs at any point of the program;
        // SIG_DFL installs no handler, only the kernel's default action.
        unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) }.map(drop)
    }

    fn setgroups(&self, gids: &[u32]) -> Result<(), Errno> {
        let gids: Vec<Gid> = gids.iter().copied().map(Gid::from_raw).collect();
        nix::unistd::setgroups(&gids)
    }

    fn setgid(&self, gid: u32) -> Result<(), Errno> {
        nix::unistd::setgid(Gid::from_raw(gid))
    }

    fn setuid(&self, uid: u32) -> Result<(), Errno> {
        nix::unistd::setuid(Uid::from_raw(uid))
    }

    fn execve(&self, path: &CString, argv: &[CString], envp: &[CString]) -> Errno {
        match nix::unistd::execve::<CString, CString>(path, argv, envp) {
            Ok(never) => match never {},
            Err(errno) => errno,
        }
    }
}

/// The error number behind an I/O error (EIO when it has none, which std's file calls always
/// have).
pub(crate) fn errno(error: &io::Error) -> Errno {
    error.raw_os_error().map_or(Errno::EIO, Errno::from_raw)
}
