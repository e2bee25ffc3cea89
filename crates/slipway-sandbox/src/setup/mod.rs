//! The helper's plan, in the order it runs: enter the namespaces ([`namespaces`]), build the
//! root ([`rootfs`]), then become the build user and exec the command ([`command`]). Each step
//! goes through [`Syscall`](crate::syscall::Syscall), so the plan is unit-tested without root
//! (see `tests.rs`); the process plumbing around it (forks, waits) lives in `helper.rs`.

use std::path::PathBuf;

use nix::errno::Errno;

use crate::spec::SpecError;

pub(crate) mod command;
pub(crate) mod namespaces;
mod path;
pub(crate) mod rootfs;
#[cfg(test)]
mod tests;

/// The helper's exit code when the sandbox could not be set up; the parent turns it, with the
/// helper's last stderr line, into [`SandboxError::Setup`](crate::SandboxError::Setup).
pub const EXIT_SETUP_FAILED: i32 = 125;
/// The exit code when the command exists but cannot be run (as in a shell).
pub const EXIT_NOT_EXECUTABLE: i32 = 126;
/// The exit code when the command is not found inside the sandbox (as in a shell).
pub const EXIT_NOT_FOUND: i32 = 127;

/// The uid and gid the helper started with: root takes the privileged path, anyone else the
/// user-namespace path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Host {
    pub(crate) euid: u32,
    pub(crate) egid: u32,
}

impl Host {
    pub(crate) fn current() -> Self {
        Self {
            euid: nix::unistd::geteuid().as_raw(),
            egid: nix::unistd::getegid().as_raw(),
        }
    }

    pub(crate) fn is_root(self) -> bool {
        self.euid == 0
    }
}

/// The host files the sandbox shares when they exist: the resolver's files (the sandbox has
/// the host network) and the harmless devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostPaths {
    /// Files under /etc bound read-only to the same path inside.
    pub(crate) network_files: Vec<PathBuf>,
    /// Device nodes bound to the same path inside, under a fresh /dev.
    pub(crate) devices: Vec<PathBuf>,
}

/// The files of [`HostPaths::network_files`].
const NETWORK_FILES: [&str; 2] = ["/etc/resolv.conf", "/etc/hosts"];
/// The devices of [`HostPaths::devices`]: what programs expect, none that reaches hardware.
const DEVICES: [&str; 6] = [
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
];

impl HostPaths {
    /// The ones this host has.
    pub(crate) fn detect() -> Self {
        let existing = |paths: &[&str]| {
            paths
                .iter()
                .map(PathBuf::from)
                .filter(|path| path.exists())
                .collect()
        };
        Self {
            network_files: existing(&NETWORK_FILES),
            devices: existing(&DEVICES),
        }
    }
}

/// A step of the setup that failed, before the command ran. The helper prints it as one line
/// on stderr, `slipway-sandbox: <step>: <cause>[; <hint>]`, and exits with [`Self::exit_code`].
#[derive(Debug, thiserror::Error)]
pub(crate) enum SetupError {
    #[error("reading the sandbox spec from stdin")]
    ReadSpec(#[source] serde_json::Error),
    #[error("checking the sandbox spec")]
    Spec(#[from] SpecError),
    #[error("counting the helper's threads")]
    CountThreads(#[source] Errno),
    #[error(
        "starting the sandbox helper: it has {threads} threads, and namespaces need one \
         (call helper_main_if_requested() first in main, before any thread starts)"
    )]
    Threaded { threads: usize },
    #[error("forbidding privilege gains (no_new_privs)")]
    NoNewPrivs(#[source] Errno),
    #[error("creating a user namespace")]
    UserNamespace(#[source] Errno),
    #[error("writing {file}")]
    IdMap { file: &'static str, source: Errno },
    #[error("creating mount, pid, uts and ipc namespaces")]
    Namespaces(#[source] Errno),
    #[error("making mount propagation private")]
    PrivatePropagation(#[source] Errno),
    #[error("finding the rootfs {}", rootfs.display())]
    Rootfs { rootfs: PathBuf, source: Errno },
    #[error("binding the rootfs {} read-only", rootfs.display())]
    BindRootfs { rootfs: PathBuf, source: Errno },
    #[error("mounting {what} on {}", inside.display())]
    Mount {
        what: &'static str,
        inside: PathBuf,
        source: Errno,
    },
    #[error("resolving {} inside the rootfs", inside.display())]
    Resolve { inside: PathBuf, source: Errno },
    #[error("reading the bind source {}", host.display())]
    BindSource { host: PathBuf, source: Errno },
    #[error("creating the mount point {}", inside.display())]
    MountPoint { inside: PathBuf, source: Errno },
    #[error("binding {} onto {}", host.display(), inside.display())]
    Bind {
        host: PathBuf,
        inside: PathBuf,
        source: Errno,
    },
    #[error("setting the hostname {hostname:?}")]
    Hostname { hostname: String, source: Errno },
    #[error("entering the rootfs")]
    EnterRoot(#[source] Errno),
    #[error("restoring the default action of SIGPIPE")]
    Signals(#[source] Errno),
    #[error("switching to the build user {uid}:{gid}")]
    DropUser { uid: u32, gid: u32, source: Errno },
    #[error("changing to the working directory {}", workdir.display())]
    Workdir { workdir: PathBuf, source: Errno },
    #[error("running {command:?}")]
    Exec { command: String, source: Errno },
    #[error("running {command:?}: command not found (PATH={path})")]
    NotFound { command: String, path: String },
    #[error("tying the sandbox's processes to the helper's life")]
    DeathSignal(#[source] Errno),
    #[error("forking")]
    Fork(#[source] Errno),
    #[error("waiting for the sandboxed command")]
    Wait(#[source] Errno),
}

impl SetupError {
    /// The helper's exit code for this failure, as a shell would choose it.
    pub(crate) fn exit_code(&self) -> i32 {
        match self {
            SetupError::NotFound { .. }
            | SetupError::Exec {
                source: Errno::ENOENT,
                ..
            } => EXIT_NOT_FOUND,
            SetupError::Exec {
                source: Errno::EACCES | Errno::ENOEXEC,
                ..
            } => EXIT_NOT_EXECUTABLE,
            _ => EXIT_SETUP_FAILED,
        }
    }

    /// The one line the helper prints: the step, its cause, and the fix when there is one.
    pub(crate) fn report(&self) -> String {
        let mut line = self.to_string();
        if let Some(cause) = self.cause() {
            line.push_str(": ");
            line.push_str(&cause);
        }
        if let Some(hint) = self.hint() {
            line.push_str("; ");
            line.push_str(hint);
        }
        line
    }

    fn cause(&self) -> Option<String> {
        if let Some(errno) = self.errno() {
            return Some(errno.desc().to_owned());
        }
        let source = std::error::Error::source(self)?;
        let mut cause = source.to_string();
        let mut next = source.source();
        while let Some(error) = next {
            cause.push_str(": ");
            cause.push_str(&error.to_string());
            next = error.source();
        }
        Some(cause)
    }

    fn errno(&self) -> Option<Errno> {
        match self {
            SetupError::NoNewPrivs(errno)
            | SetupError::UserNamespace(errno)
            | SetupError::Namespaces(errno)
            | SetupError::PrivatePropagation(errno)
            | SetupError::EnterRoot(errno)
            | SetupError::Signals(errno)
            | SetupError::CountThreads(errno)
            | SetupError::Rootfs { source: errno, .. }
            | SetupError::Resolve { source: errno, .. }
            | SetupError::BindSource { source: errno, .. }
            | SetupError::DeathSignal(errno)
            | SetupError::Fork(errno)
            | SetupError::Wait(errno)
            | SetupError::IdMap { source: errno, .. }
            | SetupError::BindRootfs { source: errno, .. }
            | SetupError::Mount { source: errno, .. }
            | SetupError::MountPoint { source: errno, .. }
            | SetupError::Bind { source: errno, .. }
            | SetupError::Hostname { source: errno, .. }
            | SetupError::DropUser { source: errno, .. }
            | SetupError::Workdir { source: errno, .. }
            | SetupError::Exec { source: errno, .. } => Some(*errno),
            _ => None,
        }
    }

    fn hint(&self) -> Option<&'static str> {
        const READ_ONLY_ROOT: &str = "the rootfs is read-only, so it must hold /proc, /dev, /tmp and the mount \
                                      point of each bind outside /tmp when it is materialised";
        Some(match (self, self.errno()?) {
            (SetupError::UserNamespace(_), Errno::EINVAL) => {
                "the helper was threaded when it started; call helper_main_if_requested() first in main"
            }
            (
                SetupError::UserNamespace(_),
                Errno::EPERM | Errno::ENOSPC | Errno::EUSERS | Errno::EACCES,
            ) => {
                "unprivileged user namespaces look disabled: check kernel.unprivileged_userns_clone (1 allows), \
                 user.max_user_namespaces (above 0) and kernel.apparmor_restrict_unprivileged_userns \
                 (0 allows), or run as root"
            }
            (SetupError::Namespaces(_), Errno::EPERM) => {
                "running as root without CAP_SYS_ADMIN (in a container?): run slipway as a normal user, \
                 or give it CAP_SYS_ADMIN"
            }
            (SetupError::Mount { what: "proc", .. }, Errno::EPERM) => {
                "the host's /proc has hidden parts (as in a container), so a user namespace cannot mount \
                 a new one; run as root"
            }
            (
                SetupError::Mount { .. } | SetupError::MountPoint { .. } | SetupError::Bind { .. },
                Errno::ENOENT | Errno::EROFS,
            ) => READ_ONLY_ROOT,
            (SetupError::Workdir { .. }, Errno::ENOENT) => {
                "the working directory must exist inside the sandbox"
            }
            (SetupError::Workdir { .. }, Errno::EACCES) => {
                "the build user cannot enter the working directory"
            }
            _ => return None,
        })
    }
}
