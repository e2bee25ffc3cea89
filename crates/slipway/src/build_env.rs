//! Running a buildpack's tools in a Debian stack's build environment, through the sandbox: the
//! app directory read-only at /workspace, the buildpack's cache writable at /cache, the host's
//! network, and nothing else of the host.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Output;

use slipway_lifecycle::{ToolCommand, ToolRunner};
use slipway_sandbox::{Bind, SandboxSpec};

/// Where the app is inside the build environment.
const APP: &str = "/workspace";
/// Where the buildpack's cache is inside the build environment.
const CACHE: &str = "/cache";
/// Where the host's CA bundle is bound: over the build environment's own.
const HOST_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
/// Where Debian's Java finds its trusted CAs (`ca-certificates-java`'s keystore).
const JAVA_KEYSTORE: &str = "/etc/ssl/certs/java/cacerts";
/// Host variables a build inside may need to reach the network as the host does (Go module proxy
/// settings, HTTP proxies).
const PASSED_THROUGH: &[&str] = &[
    "GOPROXY",
    "GONOSUMDB",
    "GONOSUMCHECK",
    "GOPRIVATE",
    "GOSUMDB",
    "GOINSECURE",
    "GOFLAGS",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
];

/// A buildpack's tools in a build environment.
pub struct SandboxTools {
    /// slipway's own executable, re-executed as the single-threaded sandbox helper.
    pub helper: PathBuf,
    /// The build environment's root filesystem.
    pub rootfs: PathBuf,
    /// The stack, for messages.
    pub stack: String,
    /// The app directory on the host.
    pub app_dir: PathBuf,
    /// The buildpack's cache directory on the host (writable by the build user).
    pub cache_dir: PathBuf,
    /// `-e` variables.
    pub env: Vec<(String, String)>,
}

impl SandboxTools {
    /// The sandbox that `command` runs in.
    fn spec(&self, command: &ToolCommand) -> SandboxSpec {
        let mut argv = vec![command.program.clone()];
        argv.extend(command.args.iter().cloned());
        let mut spec = SandboxSpec::new(&self.rootfs, argv);
        spec.binds = vec![
            Bind::read_only(&self.app_dir, APP),
            Bind::writable(&self.cache_dir, CACHE),
        ];
        // Downloads during the build (Go modules, Maven artifacts) go through the host's network,
        // so they trust what the host trusts: its proxies' and enterprise CAs included.
        if let Ok(bundle) = slipway_stack::find_host_ca_bundle() {
            spec.binds.push(Bind::read_only(bundle, HOST_CA_BUNDLE));
        }
        let keystore = host_keystore_path(&self.cache_dir);
        if keystore.is_file() && self.rootfs.join(&JAVA_KEYSTORE[1..]).exists() {
            spec.binds.push(Bind::read_only(keystore, JAVA_KEYSTORE));
        }
        spec.workdir = command.dir.clone().unwrap_or_else(|| APP.into());
        spec.env.extend([
            ("HOME".to_string(), "/home/cnb".to_string()),
            ("GOCACHE".to_string(), format!("{CACHE}/go-build")),
            ("GOMODCACHE".to_string(), format!("{CACHE}/go-mod")),
            ("GOTOOLCHAIN".to_string(), "local".to_string()),
        ]);
        for key in PASSED_THROUGH {
            if let Ok(value) = std::env::var(key) {
                spec.env.push(((*key).to_string(), value));
            }
        }
        spec.env.extend(self.env.iter().cloned());
        spec.env.extend(command.env.iter().cloned());
        dedup_env(&mut spec.env);
        spec
    }

    /// Makes the cache directory, owned by the build user when slipway runs as root (as root
    /// the sandbox drops to uid 1000; rootless, the build user is the caller already).
    pub fn prepare(self) -> io::Result<Self> {
        std::fs::create_dir_all(&self.cache_dir)?;
        write_host_keystore(&self.cache_dir)?;
        if running_as_root() {
            std::os::unix::fs::chown(
                &self.cache_dir,
                Some(slipway_sandbox::BUILD_USER.0),
                Some(slipway_sandbox::BUILD_USER.1),
            )?;
        }
        Ok(self)
    }
}

impl ToolRunner for SandboxTools {
    fn describe(&self) -> String {
        format!("the {} build environment", self.stack)
    }

    fn app_dir(&self) -> PathBuf {
        PathBuf::from(APP)
    }

    fn cache_dir(&self) -> PathBuf {
        PathBuf::from(CACHE)
    }

    fn host_path(&self, tool_path: &Path) -> PathBuf {
        match tool_path.strip_prefix(CACHE) {
            Ok(rest) => self.cache_dir.join(rest),
            Err(_) => tool_path.to_path_buf(),
        }
    }

    fn hand_over(&self, host_path: &Path) -> io::Result<()> {
        if running_as_root() {
            chown_tree(host_path)?;
        }
        Ok(())
    }

    fn run(&self, command: &ToolCommand) -> io::Result<Output> {
        slipway_sandbox::output(&self.helper, &self.spec(command)).map_err(io::Error::other)
    }

    fn run_with_lines(
        &self,
        command: &ToolCommand,
        on_line: &mut dyn FnMut(&str),
    ) -> io::Result<Output> {
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let status = slipway_sandbox::run(&self.helper, &self.spec(command), |stream, line| {
            on_line(line);
            let buffer = match stream {
                slipway_sandbox::Stream::Stdout => &mut stdout,
                slipway_sandbox::Stream::Stderr => &mut stderr,
            };
            buffer.extend_from_slice(line.as_bytes());
            buffer.push(b'\n');
        })
        .map_err(io::Error::other)?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

/// Keeps the last value of each variable (later settings win), in first-seen order.
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
}

/// Gives `path` and everything under it (symlinks themselves, not their targets) to the build
/// user, skipping what it owns already.
fn chown_tree(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    let (uid, gid) = slipway_sandbox::BUILD_USER;
    let meta = std::fs::symlink_metadata(path)?;
    if meta.uid() != uid || meta.gid() != gid {
        std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
    }
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path())?;
        }
    }
    Ok(())
}

/// The host's CA bundle as a Java keystore, kept beside the buildpack's cache.
fn host_keystore_path(cache_dir: &Path) -> PathBuf {
    cache_dir.with_extension("cacerts")
}

/// Writes the host's CA bundle as a Java keystore, so that Maven (and any JVM in the build)
/// trusts what the host trusts, as `curl` and Go do through the PEM bundle. No host bundle, no
/// keystore: the environment's own stays.
fn write_host_keystore(cache_dir: &Path) -> io::Result<()> {
    let Ok(bundle) = slipway_stack::find_host_ca_bundle() else {
        return Ok(());
    };
    let pem = std::fs::read(&bundle)?;
    let file = slipway_debian::rootfs::certs::CaFile {
        alias: "host:ca-bundle.pem".into(),
        pem,
    };
    let keystore =
        slipway_debian::rootfs::certs::java_keystore(&[file], 0).map_err(io::Error::other)?;
    let path = host_keystore_path(cache_dir);
    if std::fs::read(&path).is_ok_and(|existing| existing == keystore)
        && std::fs::metadata(&path).is_ok_and(|m| {
            std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o444 == 0o444
        })
    {
        return Ok(());
    }
    slipway_oci::layout::atomic_write(&path, &keystore).map_err(io::Error::other)?;
    // Read by the build user inside the sandbox: public data, like the bundle it came from.
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644))
}

fn dedup_env(env: &mut Vec<(String, String)>) {
    let mut seen = std::collections::HashMap::new();
    for (i, (k, _)) in env.iter().enumerate() {
        seen.insert(k.clone(), i);
    }
    let mut i = 0;
    env.retain(|(k, _)| {
        let keep = seen[k] == i;
        i += 1;
        keep
    });
}
