//! The `OpenPGP` keyring that Debian's `InRelease` files are checked against.
//!
//! The trust anchor of every stack is the Debian archive keyring: the host's own copy, installed
//! by the `debian-archive-keyring` package, unless the user points slipway at another file (a
//! newer keyring, or a mirror's own keys) with `--debian-keyring` or `SLIPWAY_DEBIAN_KEYRING`.
//! The file is trusted as installed; only what it signs is checked.

use std::path::{Path, PathBuf};

use pgp::composed::{Deserializable, SignedPublicKey};
use pgp::types::KeyDetails;

/// Where Debian systems keep the archive keyring (package `debian-archive-keyring`).
pub const DEFAULT_KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";

/// The environment variable that names another keyring file when no flag does.
pub const KEYRING_ENV: &str = "SLIPWAY_DEBIAN_KEYRING";

/// Why a keyring could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    /// The keyring file does not exist.
    #[error(
        "the Debian archive keyring {} is missing: install it with `apt-get install \
         debian-archive-keyring`, or pass --debian-keyring PATH (or set {KEYRING_ENV})",
        path.display()
    )]
    Missing {
        /// The path that was looked for.
        path: PathBuf,
    },
    /// The keyring file exists but could not be read.
    #[error("cannot read the Debian archive keyring {}", path.display())]
    Read {
        /// The keyring file.
        path: PathBuf,
        /// What the file system said.
        #[source]
        source: std::io::Error,
    },
    /// The file is not an `OpenPGP` keyring (binary or armored).
    #[error(
        "{} is not an OpenPGP keyring: pass --debian-keyring with a .gpg or .asc file of public keys",
        path.display()
    )]
    Parse {
        /// The keyring file.
        path: PathBuf,
        /// What the `OpenPGP` parser said.
        #[source]
        source: pgp::errors::Error,
    },
    /// The file parsed, but holds no public key.
    #[error(
        "the keyring {} holds no public key: pass --debian-keyring with the Debian archive keyring",
        path.display()
    )]
    Empty {
        /// The keyring file.
        path: PathBuf,
    },
}

/// A set of `OpenPGP` public keys (with their subkeys) that may sign an archive's `InRelease`.
#[derive(Debug, Clone)]
pub struct Keyring {
    keys: Vec<SignedPublicKey>,
    origin: PathBuf,
}

impl Keyring {
    /// Loads the keyring a flag names, else the one [`KEYRING_ENV`] names, else
    /// [`DEFAULT_KEYRING`]: the same order of precedence as every other slipway setting.
    pub fn resolve(flag: Option<&Path>) -> Result<Self, KeyringError> {
        let env = std::env::var_os(KEYRING_ENV).filter(|value| !value.is_empty());
        let path = flag
            .map(Path::to_path_buf)
            .or_else(|| env.map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_KEYRING));
        Self::load(&path)
    }

    /// Loads a keyring file, binary (as `.gpg` keyrings are) or ASCII-armored (`.asc`).
    pub fn load(path: &Path) -> Result<Self, KeyringError> {
        let bytes = std::fs::read(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                KeyringError::Missing {
                    path: path.to_path_buf(),
                }
            } else {
                KeyringError::Read {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// Parses keyring bytes; `origin` names them in errors and in [`Keyring::origin`].
    pub fn from_bytes(bytes: &[u8], origin: &Path) -> Result<Self, KeyringError> {
        let parse_error = |source| KeyringError::Parse {
            path: origin.to_path_buf(),
            source,
        };
        let (keys, _headers) = SignedPublicKey::from_reader_many(bytes).map_err(parse_error)?;
        let keys = keys.collect::<Result<Vec<_>, _>>().map_err(parse_error)?;
        Self::from_keys(keys, origin)
    }

    /// A keyring of keys already in memory (tests make their own signing keys this way).
    pub fn from_keys(keys: Vec<SignedPublicKey>, origin: &Path) -> Result<Self, KeyringError> {
        if keys.is_empty() {
            return Err(KeyringError::Empty {
                path: origin.to_path_buf(),
            });
        }
        Ok(Self {
            keys,
            origin: origin.to_path_buf(),
        })
    }

    /// The keys, in file order.
    #[must_use]
    pub fn keys(&self) -> &[SignedPublicKey] {
        &self.keys
    }

    /// The file the keys came from, for messages that say which keyring rejected a signature.
    #[must_use]
    pub fn origin(&self) -> &Path {
        &self.origin
    }

    /// The fingerprints of the primary keys (upper-case hex), for messages and logs.
    #[must_use]
    pub fn fingerprints(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|key| format!("{:X}", key.fingerprint()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_keyring_names_the_package_and_the_flag() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = Keyring::load(&dir.path().join("absent.gpg")).expect_err("missing");
        let text = err.to_string();
        assert!(text.contains("debian-archive-keyring"), "{text}");
        assert!(text.contains("--debian-keyring"), "{text}");
    }

    #[test]
    fn garbage_is_not_a_keyring() {
        let err =
            Keyring::from_bytes(b"not a key at all\n", Path::new("junk.asc")).expect_err("garbage");
        assert!(
            matches!(err, KeyringError::Parse { .. } | KeyringError::Empty { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn host_keyring_loads_when_installed() {
        // The host's keyring is optional on a developer machine; when present it must parse.
        if Path::new(DEFAULT_KEYRING).exists() {
            let keyring = Keyring::load(Path::new(DEFAULT_KEYRING)).expect("host keyring");
            assert!(!keyring.keys().is_empty());
        }
    }
}
