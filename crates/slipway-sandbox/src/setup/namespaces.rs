//! The first steps, in the helper itself before it forks: no privilege gains from here on,
//! then the namespaces, then private mount propagation so that nothing mounted later reaches
//! the host.

use std::path::Path;

use nix::mount::MsFlags;
use nix::sched::CloneFlags;

use super::{Host, SetupError};
use crate::spec::SandboxSpec;
use crate::syscall::Syscall;

/// The namespaces every sandbox gets. The network namespace is the host's (spec.network is
/// `host`: package managers need it).
pub(crate) const NAMESPACES: CloneFlags = CloneFlags::CLONE_NEWNS
    .union(CloneFlags::CLONE_NEWPID)
    .union(CloneFlags::CLONE_NEWUTS)
    .union(CloneFlags::CLONE_NEWIPC);

/// Enters the sandbox's namespaces. Not root: a user namespace first, in which the caller's
/// uid and gid are the build user's, then the others (owned by it). The pid namespace takes
/// effect for the helper's next child, which becomes its pid 1.
pub(crate) fn enter(sys: &dyn Syscall, spec: &SandboxSpec, host: Host) -> Result<(), SetupError> {
    sys.set_no_new_privs().map_err(SetupError::NoNewPrivs)?;
    if !host.is_root() {
        enter_user_namespace(sys, spec, host)?;
    }
    sys.unshare(NAMESPACES).map_err(SetupError::Namespaces)?;
    sys.mount(
        None,
        Path::new("/"),
        None,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None,
    )
    .map_err(SetupError::PrivatePropagation)
}

/// Creates a user namespace that maps the caller's uid and gid (and nothing else) to the build
/// user's. setgroups must be denied before an unprivileged process may write `gid_map`.
fn enter_user_namespace(
    sys: &dyn Syscall,
    spec: &SandboxSpec,
    host: Host,
) -> Result<(), SetupError> {
    let (uid, gid) = spec.user;
    sys.unshare(CloneFlags::CLONE_NEWUSER)
        .map_err(SetupError::UserNamespace)?;
    let writes = [
        ("/proc/self/setgroups", "deny".to_owned()),
        ("/proc/self/uid_map", format!("{uid} {} 1\n", host.euid)),
        ("/proc/self/gid_map", format!("{gid} {} 1\n", host.egid)),
    ];
    for (file, contents) in writes {
        sys.write_file(Path::new(file), &contents)
            .map_err(|source| SetupError::IdMap { file, source })?;
    }
    Ok(())
}
