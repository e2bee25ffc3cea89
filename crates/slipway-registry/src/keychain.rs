//! Credentials for a registry, from where `docker login` and `podman login` leave them.
//!
//! The Docker config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`) is read first,
//! with its `auths`, `credsStore` and `credHelpers`; then Podman's auth file
//! (`$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`, else
//! `~/.config/containers/auth.json`). A registry that none of them names is used anonymously.

use std::env;
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};

use docker_credential::{CredentialRetrievalError, DockerCredential};

/// The key Docker stores Docker Hub's credentials under.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// Errors reading credentials. A file or entry that is simply absent is not an error: the
/// registry is then used anonymously.
#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    /// A credentials file exists but could not be opened.
    #[error("opening {path}")]
    Open {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// A credentials file could not be parsed, or the helper it names failed.
    #[error("reading the credentials in {path}")]
    Lookup {
        /// The file.
        path: PathBuf,
        /// What went wrong (for a helper: its name and output).
        #[source]
        source: CredentialRetrievalError,
    },
}

/// A credential for one registry. Its `Debug` form never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// A user name and password (or access token used as a password).
    UsernamePassword {
        /// The user name.
        username: String,
        /// The password or token.
        password: String,
    },
    /// An identity token (what `docker login` stores for some registries), sent as a bearer token.
    IdentityToken(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::UsernamePassword { username, .. } => f
                .debug_struct("UsernamePassword")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Credential::IdentityToken(_) => f.write_str("IdentityToken(<redacted>)"),
        }
    }
}

/// Where credentials are looked up: an ordered list of Docker-format config files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keychain {
    files: Vec<PathBuf>,
}

impl Keychain {
    /// The files Docker and Podman read, as the environment says: the Docker config, then
    /// Podman's auth file. Nothing is read until [`Keychain::credential`] is called.
    #[must_use]
    pub fn from_env() -> Keychain {
        let var = |name: &str| {
            env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let home = var("HOME");
        let docker_dir = var("DOCKER_CONFIG").or_else(|| home.as_ref().map(|h| h.join(".docker")));
        let mut files: Vec<PathBuf> = docker_dir
            .map(|d| d.join("config.json"))
            .into_iter()
            .collect();
        if let Some(auth_file) = var("REGISTRY_AUTH_FILE") {
            files.push(auth_file);
        } else {
            files.extend(var("XDG_RUNTIME_DIR").map(|d| d.join("containers").join("auth.json")));
            files.extend(home.map(|h| h.join(".config").join("containers").join("auth.json")));
        }
        Keychain { files }
    }

    /// A keychain reading only `files`, in order (for tests, and for an explicit `--authfile`).
    #[must_use]
    pub fn from_files(files: impl IntoIterator<Item = PathBuf>) -> Keychain {
        Keychain {
            files: files.into_iter().collect(),
        }
    }

    /// A keychain with no credentials: every registry is used anonymously.
    #[must_use]
    pub fn anonymous() -> Keychain {
        Keychain { files: Vec::new() }
    }

    /// The files looked in, in order.
    #[must_use]
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The credential for `registry` (a host with an optional port, as in an image reference),
    /// from the first file that has one; `None` means anonymous.
    pub fn credential(&self, registry: &str) -> Result<Option<Credential>, KeychainError> {
        for path in &self.files {
            if let Some(credential) = lookup_file(path, registry)? {
                return Ok(Some(credential));
            }
        }
        Ok(None)
    }
}

/// The keys a registry's credentials may be stored under. Docker Hub's has three spellings:
/// Docker's own URL key, and the bare host Podman uses (which `docker_credential` matches against
/// every other spelling).
fn server_keys(registry: &str) -> Vec<&str> {
    match registry {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => {
            vec![DOCKER_HUB_KEY, "docker.io"]
        }
        _ => vec![registry],
    }
}

fn lookup_file(path: &Path, registry: &str) -> Result<Option<Credential>, KeychainError> {
    for key in server_keys(registry) {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(KeychainError::Open {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        match docker_credential::get_credential_from_reader(BufReader::new(file), key) {
            Ok(DockerCredential::UsernamePassword(username, password)) => {
                return Ok(Some(Credential::UsernamePassword { username, password }));
            }
            Ok(DockerCredential::IdentityToken(token)) => {
                return Ok(Some(Credential::IdentityToken(token)));
            }
            Err(e) if is_absent(&e) => {}
            Err(source) => {
                return Err(KeychainError::Lookup {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
    }
    Ok(None)
}

/// Whether a lookup failure only means "no credential here": nothing configured for the registry,
/// or a credential helper that answers "credentials not found" (the protocol's way of saying so).
fn is_absent(err: &CredentialRetrievalError) -> bool {
    match err {
        CredentialRetrievalError::NoCredentialConfigured => true,
        CredentialRetrievalError::HelperFailure { stdout, stderr, .. } => {
            let text = format!("{stdout}{stderr}").to_ascii_lowercase();
            text.contains("credentials not found")
        }
        _ => false,
    }
}

#[cfg(test)]
#[path = "keychain_tests.rs"]
mod tests;
