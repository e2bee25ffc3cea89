//! A real OCI registry for the end-to-end tests: Debian's `docker-registry` (CNCF Distribution
//! v2.8) on a free 127.0.0.1 port, with its storage and log in a temp dir.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::http::http_request;
use crate::process::{find_tool, terminate};
use crate::registry_log::{self, BlobTransfer};

/// How long the registry may take to answer `GET /v2/` after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Manifest media types a `HEAD` asks for, so that the registry answers for images and indexes,
/// OCI and Docker alike, without converting anything.
const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, \
    application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json, \
    application/vnd.docker.distribution.manifest.list.v2+json";

/// A running `docker-registry serve` process, stopped (by its pid) and deleted on drop.
///
/// Tests push to `registry.host()` and then assert on what the registry itself reports: the
/// digest of a tag ([`Registry::manifest_digest`]) and the blobs that were uploaded
/// ([`Registry::blob_uploads`]), which is how "the second push uploads only the changed layer"
/// is checked.
#[derive(Debug)]
pub struct Registry {
    child: Child,
    port: u16,
    dir: TempDir,
}

impl Registry {
    /// Start a registry on a free port and wait until `GET /v2/` answers 200.
    ///
    /// # Panics
    ///
    /// When `docker-registry` is not installed (run `scripts/test`), or when it does not start;
    /// the message then holds its log.
    #[must_use]
    pub fn start() -> Registry {
        Self::start_with(None)
    }

    /// Start a registry that asks for a login: user [`LOGIN_USER`] with password
    /// [`LOGIN_PASSWORD`] (htpasswd, basic auth), for testing credentials and their refusal.
    ///
    /// # Panics
    ///
    /// As [`Registry::start`].
    #[must_use]
    pub fn start_with_login() -> Registry {
        Self::start_with(Some(&format!("{LOGIN_USER}:{LOGIN_PASSWORD_BCRYPT}\n")))
    }

    fn start_with(htpasswd: Option<&str>) -> Registry {
        let binary = find_tool("docker-registry").unwrap_or_else(|| {
            panic!("docker-registry is not installed; run scripts/test, which installs it")
        });
        // free_port() can race with another process taking the port: try a few.
        let mut last_log = String::new();
        for _ in 0..3 {
            match Self::try_start(&binary, htpasswd) {
                Ok(registry) => return registry,
                Err(log) => last_log = log,
            }
        }
        panic!("docker-registry did not start; its log:\n{last_log}");
    }

    fn try_start(binary: &Path, htpasswd: Option<&str>) -> Result<Registry, String> {
        let dir = tempfile::Builder::new()
            .prefix("slipway-registry-")
            .tempdir()
            .map_err(|e| format!("creating a temp dir: {e}"))?;
        let port = crate::free_port();
        let config = dir.path().join("config.yml");
        let mut yaml = config_yaml(port, &dir.path().join("storage"));
        if let Some(lines) = htpasswd {
            let path = dir.path().join("htpasswd");
            fs::write(&path, lines).map_err(|e| format!("writing {}: {e}", path.display()))?;
            let _ = write!(
                yaml,
                "auth:\n  htpasswd:\n    realm: slipway-test\n    path: \"{}\"\n",
                path.display()
            );
        }
        fs::write(&config, yaml).map_err(|e| format!("writing {}: {e}", config.display()))?;
        let log_path = dir.path().join("registry.log");
        let log = File::create(&log_path).map_err(|e| format!("creating the log: {e}"))?;
        let log_err = log
            .try_clone()
            .map_err(|e| format!("cloning the log: {e}"))?;
        let child = Command::new(binary)
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("spawning {}: {e}", binary.display()))?;
        let mut registry = Registry { child, port, dir };
        registry.wait_until_ready()?;
        Ok(registry)
    }

    fn wait_until_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        let url = format!("{}/v2/", self.url());
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("(exited with {status})\n{}", self.log()));
            }
            // 401 is ready too: a registry with a login answers it until one logs in.
            if http_request("GET", &url, &[]).is_ok_and(|r| r.status == 200 || r.status == 401) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "(no answer within {START_TIMEOUT:?})\n{}",
                    self.log()
                ));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// `127.0.0.1:PORT`, the registry part of an image reference (`{host}/app:tag`).
    #[must_use]
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT`, for calling the registry's API directly.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.host())
    }

    /// The registry process's id, so a test can check that it is gone after drop.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The directory the registry stores blobs and manifests in.
    #[must_use]
    pub fn storage_dir(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// Everything the registry printed so far (its logrus lines and its access log).
    ///
    /// # Panics
    ///
    /// When the log file cannot be read.
    #[must_use]
    pub fn log(&self) -> String {
        let path = self.dir.path().join("registry.log");
        let bytes = fs::read(&path)
            .unwrap_or_else(|e| panic!("reading the registry log {}: {e}", path.display()));
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The blobs whose upload completed so far, in order (see [`crate::registry_log`] for the
    /// log lines this reads). A blob the client found already present is not uploaded again and
    /// does not appear here.
    #[must_use]
    pub fn blob_uploads(&self) -> Vec<BlobTransfer> {
        registry_log::blob_uploads(&self.log())
    }

    /// How many blob uploads completed so far: `blob_uploads().len()`.
    #[must_use]
    pub fn uploaded_blob_count(&self) -> usize {
        self.blob_uploads().len()
    }

    /// The blobs mounted from another repository of this registry so far (no bytes uploaded).
    #[must_use]
    pub fn blob_mounts(&self) -> Vec<BlobTransfer> {
        registry_log::blob_mounts(&self.log())
    }

    /// The digest the registry reports for `repo:tag` (or `repo@digest`), from
    /// `HEAD /v2/REPO/manifests/TAG`'s `Docker-Content-Digest`; `None` when it answers 404.
    ///
    /// # Panics
    ///
    /// When the registry cannot be reached or answers anything but 200 or 404.
    #[must_use]
    pub fn manifest_digest(&self, repo: &str, tag: &str) -> Option<String> {
        let url = format!("{}/v2/{repo}/manifests/{tag}", self.url());
        let response = http_request("HEAD", &url, &[("Accept", MANIFEST_ACCEPT)])
            .unwrap_or_else(|e| panic!("asking the registry for {repo}:{tag}: {e}"));
        match response.status {
            200 => Some(
                response
                    .header("Docker-Content-Digest")
                    .unwrap_or_else(|| panic!("HEAD {url} answered 200 without a digest"))
                    .to_owned(),
            ),
            404 => None,
            status => panic!(
                "HEAD {url} answered {status}; registry log:\n{}",
                self.log()
            ),
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(5));
    }
}

/// The user [`Registry::start_with_login`] accepts.
pub const LOGIN_USER: &str = "slipway";
/// That user's password.
pub const LOGIN_PASSWORD: &str = "s3cret-pass";
/// bcrypt of [`LOGIN_PASSWORD`], as the registry's htpasswd file wants it.
const LOGIN_PASSWORD_BCRYPT: &str = "$2b$12$F1vhUB8NxEeVTV2j/Gal8.AeOFXAi3jm4cglqB0HhY84eva86X/Yq";

/// The registry's configuration: 127.0.0.1 only, storage under `storage`, info-level text logs
/// (the access log included), deletes allowed so tests can clean up.
fn config_yaml(port: u16, storage: &Path) -> String {
    format!(
        r#"version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: "{storage}"
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
  secret: slipway-testkit-not-a-secret
"#,
        storage = storage.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_listens_on_loopback_and_stores_in_the_given_dir() {
        let yaml = config_yaml(5123, Path::new("/tmp/x/storage"));
        assert!(yaml.contains("\n  addr: 127.0.0.1:5123\n"), "{yaml}");
        assert!(yaml.contains("rootdirectory: \"/tmp/x/storage\""), "{yaml}");
        assert!(yaml.contains("level: info"), "{yaml}");
    }
}
