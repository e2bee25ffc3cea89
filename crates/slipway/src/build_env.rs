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
    /// Makes the cache directory, owned by the build user when slipway runs as root (as root
    /// the sandbox drops to uid 1000; rootless, the build user is the caller already).
    pub fn prepare(self) -> io::Result<Self> {
        std::fs::create_dir_all(&self.cache_dir)?;
        if std::fs::metadata("/proc/self")
            .is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        {
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

    fn run(&self, command: &ToolCommand) -> io::Result<Output> {
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
        spec.workdir = APP.into();
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
        slipway_sandbox::output(&self.helper, &spec).map_err(io::Error::other)
    }
}

/// Keeps the last value of each variable (later settings win), in first-seen order.
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
