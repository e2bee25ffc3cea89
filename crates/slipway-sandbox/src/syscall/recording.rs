//! A [`Syscall`] that records each call and changes nothing, so the setup's plan is tested
//! without root.

use std::cell::RefCell;
use std::ffi::CString;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::MsFlags;
use nix::sched::CloneFlags;

use super::Syscall;

/// One recorded call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Call {
    Unshare(CloneFlags),
    WriteFile(PathBuf, String),
    Mount {
        source: Option<PathBuf>,
        target: PathBuf,
        fstype: Option<String>,
        flags: MsFlags,
        data: Option<String>,
    },
    UmountDetach(PathBuf),
    Mkdir(PathBuf, u32),
    CreateFile(PathBuf),
    Symlink(PathBuf, PathBuf),
    Sethostname(String),
    PivotRoot(PathBuf, PathBuf),
    Chroot(PathBuf),
    Chdir(PathBuf),
    SetNoNewPrivs,
    DefaultSigpipe,
    Setgroups(Vec<u32>),
    Setgid(u32),
    Setuid(u32),
    Execve {
        path: PathBuf,
        argv: Vec<String>,
        envp: Vec<String>,
    },
}

impl Call {
    /// Whether this is a mount(2) onto `target`.
    pub(crate) fn mounts_onto(&self, target: &Path) -> bool {
        matches!(self, Call::Mount { target: t, .. } if t == target)
    }

    /// Whether this call changes the mount table or the tree under the root.
    pub(crate) fn changes_mounts(&self) -> bool {
        matches!(
            self,
            Call::Mount { .. }
                | Call::UmountDetach(_)
                | Call::Mkdir(..)
                | Call::CreateFile(_)
                | Call::Symlink(..)
        )
    }
}

/// What `execve` returns for a program listed in [`RecordingSyscall::programs`]: a real
/// execve would not have returned.
pub(crate) const EXEC_REACHED: Errno = Errno::ECANCELED;

/// Records calls; fails the ones `fail` picks.
#[derive(Default)]
pub(crate) struct RecordingSyscall {
    pub(crate) calls: RefCell<Vec<Call>>,
    /// Paths that execve "runs" (returning [`EXEC_REACHED`]); every other path gives ENOENT.
    pub(crate) programs: Vec<PathBuf>,
    /// Picks calls that fail, and with which error.
    #[allow(clippy::type_complexity)]
    pub(crate) fail: Option<Box<dyn Fn(&Call) -> Option<Errno>>>,
}

impl RecordingSyscall {
    /// The calls made so far.
    pub(crate) fn calls(&self) -> Vec<Call> {
        self.calls.borrow().clone()
    }

    fn record(&self, call: Call) -> Result<(), Errno> {
        let failure = self.fail.as_ref().and_then(|fail| fail(&call));
        self.calls.borrow_mut().push(call);
        failure.map_or(Ok(()), Err)
    }
}

fn lossy(strings: &[CString]) -> Vec<String> {
    strings
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect()
}

impl Syscall for RecordingSyscall {
    fn unshare(&self, flags: CloneFlags) -> Result<(), Errno> {
        self.record(Call::Unshare(flags))
    }

    fn write_file(&self, path: &Path, contents: &str) -> Result<(), Errno> {
        self.record(Call::WriteFile(path.to_owned(), contents.to_owned()))
    }

    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), Errno> {
        self.record(Call::Mount {
            source: source.map(Path::to_owned),
            target: target.to_owned(),
            fstype: fstype.map(str::to_owned),
            flags,
            data: data.map(str::to_owned),
        })
    }

    fn mount_flags(&self, _path: &Path) -> Result<MsFlags, Errno> {
        Ok(MsFlags::empty())
    }

    fn umount_detach(&self, target: &Path) -> Result<(), Errno> {
        self.record(Call::UmountDetach(target.to_owned()))
    }

    fn mkdir(&self, path: &Path, mode: u32) -> Result<(), Errno> {
        self.record(Call::Mkdir(path.to_owned(), mode))
    }

    fn create_file(&self, path: &Path) -> Result<(), Errno> {
        self.record(Call::CreateFile(path.to_owned()))
    }

    fn symlink(&self, target: &Path, link: &Path) -> Result<(), Errno> {
        self.record(Call::Symlink(target.to_owned(), link.to_owned()))
    }

    fn sethostname(&self, name: &str) -> Result<(), Errno> {
        self.record(Call::Sethostname(name.to_owned()))
    }

    fn pivot_root(&self, new_root: &Path, put_old: &Path) -> Result<(), Errno> {
        self.record(Call::PivotRoot(new_root.to_owned(), put_old.to_owned()))
    }

    fn chroot(&self, path: &Path) -> Result<(), Errno> {
        self.record(Call::Chroot(path.to_owned()))
    }

    fn chdir(&self, path: &Path) -> Result<(), Errno> {
        self.record(Call::Chdir(path.to_owned()))
    }

    fn set_no_new_privs(&self) -> Result<(), Errno> {
        self.record(Call::SetNoNewPrivs)
    }

    fn default_sigpipe(&self) -> Result<(), Errno> {
        self.record(Call::DefaultSigpipe)
    }

    fn setgroups(&self, gids: &[u32]) -> Result<(), Errno> {
        self.record(Call::Setgroups(gids.to_vec()))
    }

    fn setgid(&self, gid: u32) -> Result<(), Errno> {
        self.record(Call::Setgid(gid))
    }

    fn setuid(&self, uid: u32) -> Result<(), Errno> {
        self.record(Call::Setuid(uid))
    }

    fn execve(&self, path: &CString, argv: &[CString], envp: &[CString]) -> Errno {
        let path = PathBuf::from(path.to_string_lossy().into_owned());
        let known = self.programs.contains(&path);
        let call = Call::Execve {
            path,
            argv: lossy(argv),
            envp: lossy(envp),
        };
        match self.record(call) {
            Err(errno) => errno,
            Ok(()) if known => EXEC_REACHED,
            Ok(()) => Errno::ENOENT,
        }
    }
}
