//! Runs a command inside a build root filesystem through Linux namespaces and `pivot_root`,
//! without Docker or Podman: how slipway's build environment keeps the host's own toolchains
//! out of a build.
//!
//! The caller fills in a [`SandboxSpec`] (the rootfs, mounted read-only because builds share
//! it; binds; working directory; the whole environment; the build user; the command) and calls
//! [`run`] or [`output`]. Those start a helper program, which must call
//! [`helper_main_if_requested`] first thing in `main`: the kernel refuses a user namespace to a
//! threaded process, and slipway runs tokio. The helper reads the spec from its stdin and, in
//! new mount, pid, uts and ipc namespaces (and a user namespace first when not root, mapping
//! the caller to the build user), builds the root: the rootfs bound read-only, a fresh /proc,
//! a small /dev, a tmpfs /tmp, the host's /etc/resolv.conf and /etc/hosts (the network is the
//! host's), then the binds. It pivots into it, becomes the build user and execs the command.
//!
//! A failure before the command runs comes back as [`SandboxError::Setup`], naming the step
//! that failed; the command's own failure is its exit status (127 when it is not found).

mod helper;
mod run;
mod setup;
mod spec;
mod syscall;

pub use helper::{HELPER_ARG, REPORT_PREFIX, helper_main_if_requested};
pub use run::{SandboxError, Stream, output, run};
pub use setup::{EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND, EXIT_SETUP_FAILED};
pub use spec::{BUILD_USER, Bind, DEFAULT_HOSTNAME, DEFAULT_PATH, Network, SandboxSpec, SpecError};
