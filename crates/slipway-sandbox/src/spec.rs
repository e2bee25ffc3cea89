//! What to run in the sandbox: the spec the caller fills in and the helper reads from its stdin.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The build user's uid and gid inside the sandbox: the non-root user of slipway's stacks
/// (uid and gid 1000, as CNB stacks use).
pub const BUILD_USER: (u32, u32) = (1000, 1000);

/// The hostname a sandbox gets unless the spec names another.
pub const DEFAULT_HOSTNAME: &str = "slipway";

/// The `PATH` that [`SandboxSpec::new`] puts in the environment, and that the command is looked
/// up in when the spec's environment has no `PATH`: Docker's default.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Everything the sandbox needs to run one command: serialised to JSON and sent to the helper,
/// so that the helper needs nothing from the caller's environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxSpec {
    /// The root filesystem, mounted read-only: the cached build rootfs is shared by builds and
    /// must never change. It must hold `/proc`, `/dev` and `/tmp` directories, and a mount
    /// point for each bind (see [`Bind::inside`]); `/etc/resolv.conf` and `/etc/hosts` files
    /// there are mount points for the host's copies.
    pub rootfs: PathBuf,
    /// Host paths mounted into the root, in this order (a later bind may sit inside an
    /// earlier one).
    #[serde(default)]
    pub binds: Vec<Bind>,
    /// The command's working directory, inside the sandbox.
    pub workdir: PathBuf,
    /// The command's whole environment: nothing is inherited from the host.
    #[serde(default)]
    pub env: Vec<(String, String)>,
    /// The uid and gid the command runs as, inside the sandbox.
    #[serde(default = "build_user")]
    pub user: (u32, u32),
    /// The hostname inside the sandbox (it has its own UTS namespace).
    #[serde(default = "default_hostname")]
    pub hostname: String,
    /// The program and its arguments. A program name without a `/` is looked up in the `PATH`
    /// of [`SandboxSpec::env`], inside the sandbox.
    pub command: Vec<String>,
    /// Which network the command sees.
    #[serde(default)]
    pub network: Network,
}

/// A host path mounted into the sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bind {
    /// The file or directory on the host.
    pub host: PathBuf,
    /// Where it appears inside the sandbox. Symbolic links on the way are resolved inside the
    /// root, never on the host. When it does not exist, it is created, which works only under
    /// a writable mount (`/tmp`, or an earlier writable bind): the rootfs itself is read-only.
    pub inside: PathBuf,
    /// Whether the command may write to it.
    pub writable: bool,
}

/// The network a sandboxed command sees.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Network {
    /// The host's network: package managers need it, and it needs no privilege.
    #[default]
    Host,
}

/// A spec that the sandbox cannot run, found before anything starts.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpecError {
    /// The command is empty.
    #[error("the command is empty")]
    EmptyCommand,
    /// A path that must be absolute is not.
    #[error("the {what} {path:?} is not an absolute path")]
    RelativePath {
        /// Which path: "rootfs", "working directory", "bind source", "bind target".
        what: &'static str,
        /// The path as given.
        path: PathBuf,
    },
    /// A bind would hide the whole root.
    #[error("cannot bind {host:?} onto / (the root is the rootfs)")]
    BindOverRoot {
        /// The bind's host path.
        host: PathBuf,
    },
    /// An environment variable that `execve` cannot pass.
    #[error("the environment variable {name:?} has an empty name, a '=' in its name or a NUL byte")]
    BadEnv {
        /// The variable's name.
        name: String,
    },
    /// An environment variable set twice (which value a program sees would depend on it).
    #[error("the environment variable {name:?} is set twice")]
    DuplicateEnv {
        /// The variable's name.
        name: String,
    },
    /// A command argument with a NUL byte.
    #[error("the command argument {arg:?} holds a NUL byte")]
    BadArg {
        /// The argument.
        arg: String,
    },
    /// A hostname the kernel refuses.
    #[error("the hostname {hostname:?} is not 1 to 64 bytes without NUL")]
    BadHostname {
        /// The hostname.
        hostname: String,
    },
}

fn build_user() -> (u32, u32) {
    BUILD_USER
}

fn default_hostname() -> String {
    DEFAULT_HOSTNAME.to_owned()
}

impl SandboxSpec {
    /// A spec that runs `command` in `rootfs` from `/`, as the build user, with only
    /// `PATH=`[`DEFAULT_PATH`] in the environment and no binds.
    pub fn new(
        rootfs: impl Into<PathBuf>,
        command: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            rootfs: rootfs.into(),
            binds: Vec::new(),
            workdir: PathBuf::from("/"),
            env: vec![("PATH".to_owned(), DEFAULT_PATH.to_owned())],
            user: BUILD_USER,
            hostname: DEFAULT_HOSTNAME.to_owned(),
            command: command.into_iter().map(Into::into).collect(),
            network: Network::Host,
        }
    }

    /// Checks what can be checked without touching the system, so that a bad spec fails
    /// before the helper starts (the helper checks again).
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.command.is_empty() {
            return Err(SpecError::EmptyCommand);
        }
        absolute("rootfs", &self.rootfs)?;
        absolute("working directory", &self.workdir)?;
        for bind in &self.binds {
            absolute("bind source", &bind.host)?;
            absolute("bind target", &bind.inside)?;
            if bind.inside.parent().is_none() {
                return Err(SpecError::BindOverRoot {
                    host: bind.host.clone(),
                });
            }
        }
        for (i, (name, value)) in self.env.iter().enumerate() {
            if name.is_empty() || name.contains(['=', '\0']) || value.contains('\0') {
                return Err(SpecError::BadEnv { name: name.clone() });
            }
            if self.env[..i].iter().any(|(earlier, _)| earlier == name) {
                return Err(SpecError::DuplicateEnv { name: name.clone() });
            }
        }
        if let Some(arg) = self.command.iter().find(|arg| arg.contains('\0')) {
            return Err(SpecError::BadArg { arg: arg.clone() });
        }
        if self.hostname.is_empty() || self.hostname.len() > 64 || self.hostname.contains('\0') {
            return Err(SpecError::BadHostname {
                hostname: self.hostname.clone(),
            });
        }
        Ok(())
    }

    /// The `PATH` the command is looked up in: the spec's own, else [`DEFAULT_PATH`].
    #[must_use]
    pub fn path_var(&self) -> &str {
        self.env
            .iter()
            .find(|(name, _)| name == "PATH")
            .map_or(DEFAULT_PATH, |(_, value)| value.as_str())
    }
}

impl Bind {
    /// A bind the command can only read.
    pub fn read_only(host: impl Into<PathBuf>, inside: impl Into<PathBuf>) -> Self {
        Self {
            host: host.into(),
            inside: inside.into(),
            writable: false,
        }
    }

    /// A bind the command can write to.
    pub fn writable(host: impl Into<PathBuf>, inside: impl Into<PathBuf>) -> Self {
        Self {
            host: host.into(),
            inside: inside.into(),
            writable: true,
        }
    }
}

fn absolute(what: &'static str, path: &Path) -> Result<(), SpecError> {
    if path.is_absolute() {
        Ok(())
    } else {
        Err(SpecError::RelativePath {
            what,
            path: path.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json() {
        let mut spec = SandboxSpec::new("/cache/rootfs", ["go", "build", "./..."]);
        spec.binds
            .push(Bind::writable("/home/me/app", "/workspace"));
        spec.binds
            .push(Bind::read_only("/home/me/.cache/go", "/cache/go"));
        spec.workdir = PathBuf::from("/workspace");
        let json = serde_json::to_string(&spec).expect("serialise");
        let back: SandboxSpec = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, spec);
    }

    #[test]
    fn defaults_fill_what_json_leaves_out() {
        let spec: SandboxSpec =
            serde_json::from_str(r#"{"rootfs":"/r","workdir":"/","command":["true"]}"#)
                .expect("deserialise");
        assert_eq!(spec.user, BUILD_USER);
        assert_eq!(spec.hostname, DEFAULT_HOSTNAME);
        assert_eq!(spec.network, Network::Host);
        assert!(spec.env.is_empty() && spec.binds.is_empty());
        assert_eq!(spec.path_var(), DEFAULT_PATH);
    }

    #[test]
    fn network_is_written_in_lowercase() {
        let spec = SandboxSpec::new("/r", ["true"]);
        let json = serde_json::to_value(&spec).expect("serialise");
        assert_eq!(json["network"], "host");
    }

    #[test]
    fn validate_rejects_what_cannot_run() {
        let ok = SandboxSpec::new("/r", ["true"]);
        assert_eq!(ok.validate(), Ok(()));

        let mut spec = ok.clone();
        spec.command.clear();
        assert_eq!(spec.validate(), Err(SpecError::EmptyCommand));

        let mut spec = ok.clone();
        spec.rootfs = PathBuf::from("rootfs");
        assert!(matches!(
            spec.validate(),
            Err(SpecError::RelativePath { what: "rootfs", .. })
        ));

        let mut spec = ok.clone();
        spec.binds.push(Bind::writable("/app", "workspace"));
        assert!(matches!(
            spec.validate(),
            Err(SpecError::RelativePath {
                what: "bind target",
                ..
            })
        ));

        let mut spec = ok.clone();
        spec.binds.push(Bind::writable("/app", "/"));
        assert!(matches!(
            spec.validate(),
            Err(SpecError::BindOverRoot { .. })
        ));

        let mut spec = ok.clone();
        spec.env.push(("A=B".to_owned(), "c".to_owned()));
        assert!(matches!(spec.validate(), Err(SpecError::BadEnv { .. })));

        let mut spec = ok.clone();
        spec.hostname = "x".repeat(65);
        assert!(matches!(
            spec.validate(),
            Err(SpecError::BadHostname { .. })
        ));
    }

    #[test]
    fn the_command_is_looked_up_in_the_specs_own_path() {
        let mut spec = SandboxSpec::new("/r", ["true"]);
        spec.env = vec![("PATH".to_owned(), "/opt/bin".to_owned())];
        assert_eq!(spec.path_var(), "/opt/bin");
        spec.env.push(("PATH".to_owned(), "/usr/bin".to_owned()));
        assert!(matches!(
            spec.validate(),
            Err(SpecError::DuplicateEnv { .. })
        ));
    }
}
