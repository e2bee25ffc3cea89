//! Which Debian mirror to use: from the `--debian-mirror` flag, the `SLIPWAY_DEBIAN_MIRROR`
//! environment variable, or the machine's own apt sources.
//!
//! slipway never names a mirror itself: the machine it runs on already knows a mirror that works
//! from there (a local cache, a company proxy), and the user can always say otherwise. Debian
//! serves security updates from a separate archive (`debian-security`), so a mirror is a pair.

use std::path::{Path, PathBuf};

/// The environment variable that names the Debian mirror when no flag does.
pub const MIRROR_ENV: &str = "SLIPWAY_DEBIAN_MIRROR";

/// The environment variable that names the security mirror, when it is not next to the Debian
/// mirror (`.../debian-security` beside `.../debian`).
pub const SECURITY_MIRROR_ENV: &str = "SLIPWAY_DEBIAN_SECURITY_MIRROR";

/// Where apt keeps its configuration, and so its sources.
pub const APT_DIR: &str = "/etc/apt";

/// Why no mirror could be chosen.
#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    /// A mirror URL is not an http(s) URL.
    #[error(
        "the Debian mirror {url:?} is not an http:// or https:// URL: pass --debian-mirror http://HOST/debian"
    )]
    BadUrl {
        /// The URL as given.
        url: String,
    },
    /// An apt sources file exists but could not be read.
    #[error("cannot read the apt sources file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the file system said.
        #[source]
        source: std::io::Error,
    },
    /// No flag, no environment variable, and no usable entry in the apt sources.
    #[error(
        "no Debian mirror is configured: pass --debian-mirror http://HOST/debian (or set \
         {MIRROR_ENV}); none was found in the apt sources under {}",
        apt_dir.display()
    )]
    NotConfigured {
        /// The apt directory that was searched.
        apt_dir: PathBuf,
    },
}

/// The two archives a Debian stack is resolved from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirrors {
    /// Base URL of the Debian archive (the directory holding `dists/` and `pool/`), such as
    /// `http://HOST/debian`, without a trailing slash.
    pub debian: String,
    /// Base URL of the security archive, such as `http://HOST/debian-security`.
    pub security: String,
}

impl Mirrors {
    /// Chooses the mirrors as every slipway setting is chosen: the flag, else
    /// [`MIRROR_ENV`] (with [`SECURITY_MIRROR_ENV`]), else the apt sources under [`APT_DIR`].
    pub fn resolve(flag: Option<&str>) -> Result<Self, MirrorError> {
        let env = |name| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
        };
        Self::resolve_from(
            flag,
            env(MIRROR_ENV).as_deref(),
            env(SECURITY_MIRROR_ENV).as_deref(),
            Path::new(APT_DIR),
        )
    }

    /// [`Mirrors::resolve`] with its inputs given, so that tests need not change the
    /// process environment.
    pub fn resolve_from(
        flag: Option<&str>,
        env: Option<&str>,
        security_env: Option<&str>,
        apt_dir: &Path,
    ) -> Result<Self, MirrorError> {
        match flag.or(env) {
            Some(debian) => Self::from_url(debian, security_env),
            None => Self::from_apt_sources(apt_dir),
        }
    }

    /// Mirrors from a Debian archive URL; the security archive defaults to the sibling
    /// directory `debian-security`, which is how Debian's own mirrors and most proxies lay
    /// them out.
    pub fn from_url(debian: &str, security: Option<&str>) -> Result<Self, MirrorError> {
        let debian = normalize(debian)?;
        let security = match security {
            Some(security) => normalize(security)?,
            None => sibling_security(&debian),
        };
        Ok(Self { debian, security })
    }

    /// Reads the mirrors from apt's sources under `apt_dir` (normally `/etc/apt`): the
    /// `sources.list.d/*.sources` files (deb822) and `sources.list` and
    /// `sources.list.d/*.list` (one line per source).
    ///
    /// The Debian mirror is the first `deb` source with a plain release suite (`trixie`, not
    /// `trixie-updates`), preferring URLs whose path ends in `/debian` over third-party
    /// repositories; the security mirror is the first source whose suite ends in `-security`,
    /// else the Debian mirror's sibling `debian-security`.
    pub fn from_apt_sources(apt_dir: &Path) -> Result<Self, MirrorError> {
        let sources = read_apt_sources(apt_dir)?;
        let is_debian_path = |uri: &str| uri.trim_end_matches('/').ends_with("/debian");
        let plain = |source: &&Source| {
            source
                .suites
                .iter()
                .any(|suite| !suite.contains(['-', '/']))
        };
        let debian = sources
            .iter()
            .filter(plain)
            .find(|source| is_debian_path(&source.uri))
            .or_else(|| sources.iter().find(plain))
            .ok_or_else(|| MirrorError::NotConfigured {
                apt_dir: apt_dir.to_path_buf(),
            })?;
        let security = sources.iter().find(|source| {
            source
                .suites
                .iter()
                .any(|suite| suite.ends_with("-security") || suite.ends_with("/updates"))
        });
        Self::from_url(&debian.uri, security.map(|source| source.uri.as_str()))
    }

    /// The base URL that serves `suite`: the security archive for `*-security`, else the
    /// Debian archive. A lockfile entry's `filename` is relative to this.
    #[must_use]
    pub fn base_for_suite(&self, suite: &str) -> &str {
        if suite.ends_with("-security") {
            &self.security
        } else {
            &self.debian
        }
    }
}

/// One `deb` source: a URI and its suites.
#[derive(Debug)]
struct Source {
    uri: String,
    suites: Vec<String>,
}

/// Every `deb` (binary) source with an http(s) URI, in the order apt reads them.
fn read_apt_sources(apt_dir: &Path) -> Result<Vec<Source>, MirrorError> {
    let mut sources = Vec::new();
    let list = apt_dir.join("sources.list");
    if let Some(text) = read_optional(&list)? {
        sources.extend(parse_one_line(&text));
    }
    let mut parts: Vec<PathBuf> = match std::fs::read_dir(apt_dir.join("sources.list.d")) {
        Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(_) => Vec::new(),
    };
    parts.sort();
    for path in parts {
        let extension = path.extension().and_then(|e| e.to_str());
        let parse: fn(&str) -> Vec<Source> = match extension {
            Some("sources") => parse_deb822,
            Some("list") => parse_one_line,
            _ => continue,
        };
        if let Some(text) = read_optional(&path)? {
            sources.extend(parse(&text));
        }
    }
    sources
        .retain(|source| source.uri.starts_with("http://") || source.uri.starts_with("https://"));
    Ok(sources)
}

/// A file's text, or `None` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<String>, MirrorError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(MirrorError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Sources in deb822 form (`Types:`, `URIs:`, `Suites:`, `Enabled:`). A file that does not
/// parse is skipped, as apt would refuse it anyway and another source may still serve.
fn parse_deb822(text: &str) -> Vec<Source> {
    let Ok(paragraphs) = deb822_fast::borrowed::parse_borrowed(text) else {
        return Vec::new();
    };
    let mut sources = Vec::new();
    for paragraph in paragraphs {
        let words = |name| -> Vec<&str> {
            paragraph
                .get(name)
                .map(|lines| {
                    lines
                        .iter()
                        .flat_map(|line| line.split_whitespace())
                        .collect()
                })
                .unwrap_or_default()
        };
        let enabled = paragraph
            .get_single("Enabled")
            .is_none_or(|value| !value.trim().eq_ignore_ascii_case("no"));
        if !enabled || !words("Types").contains(&"deb") {
            continue;
        }
        let suites: Vec<String> = words("Suites").into_iter().map(str::to_owned).collect();
        for uri in words("URIs") {
            sources.push(Source {
                uri: uri.to_owned(),
                suites: suites.clone(),
            });
        }
    }
    sources
}

/// Sources in one-line form: `deb [options] URI SUITE COMPONENT...`.
fn parse_one_line(text: &str) -> Vec<Source> {
    text.lines()
        .filter_map(|line| {
            let line = line.split('#').next().unwrap_or_default().trim();
            let rest = line.strip_prefix("deb")?;
            if !rest.starts_with([' ', '\t']) {
                return None; // `deb-src`
            }
            let rest = rest.trim_start();
            // Options are one bracketed group: `[arch=amd64 signed-by=/path]`.
            let rest = match rest.strip_prefix('[') {
                Some(options) => options.split_once(']')?.1.trim_start(),
                None => rest,
            };
            let mut words = rest.split_whitespace();
            let uri = words.next()?.to_owned();
            let suite = words.next()?.to_owned();
            Some(Source {
                uri,
                suites: vec![suite],
            })
        })
        .collect()
}

/// Checks a mirror URL and drops its trailing slashes.
fn normalize(url: &str) -> Result<String, MirrorError> {
    let trimmed = url.trim().trim_end_matches('/');
    let host = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"));
    match host {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(trimmed.to_owned()),
        _ => Err(MirrorError::BadUrl {
            url: url.to_owned(),
        }),
    }
}

/// The URL with its last path element replaced by `debian-security`.
fn sibling_security(debian: &str) -> String {
    let scheme_end = debian.find("://").map_or(0, |at| at + 3);
    match debian[scheme_end..].rfind('/') {
        Some(slash) => format!("{}/debian-security", &debian[..scheme_end + slash]),
        None => format!("{debian}/debian-security"),
    }
}

#[cfg(test)]
mod tests;
