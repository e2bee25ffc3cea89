//! Resolved settings: flags over environment over defaults, decided once.

use std::path::PathBuf;

use anyhow::Context;

use crate::cli::GlobalArgs;

/// Settings every command uses.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Root of the local store and caches.
    pub cache_dir: PathBuf,
}

impl Settings {
    /// Resolves `--cache-dir` / `SLIPWAY_CACHE_DIR`, else `$XDG_CACHE_HOME/slipway` (`~/.cache/slipway`).
    pub fn resolve(global: &GlobalArgs) -> anyhow::Result<Settings> {
        let cache_dir = match &global.cache_dir {
            Some(dir) => dir.clone(),
            None => dirs::cache_dir()
                .context("finding the cache directory: set HOME, XDG_CACHE_HOME or --cache-dir")?
                .join("slipway"),
        };
        Ok(Settings { cache_dir })
    }

    /// The local store: an OCI layout.
    pub fn store_dir(&self) -> PathBuf {
        self.cache_dir.join("store")
    }

    /// Where Debian indexes and `.deb`s are cached: `SLIPWAY_DEBIAN_CACHE`, else `debian` under
    /// the cache directory. Content-addressed and verified, so several stores may share one.
    pub fn debian_cache(&self) -> PathBuf {
        std::env::var_os("SLIPWAY_DEBIAN_CACHE")
            .map_or_else(|| self.cache_dir.join("debian"), PathBuf::from)
    }

    /// A buildpack's cache directory.
    pub fn buildpack_cache(&self, buildpack_id: &str) -> PathBuf {
        self.cache_dir
            .join("buildpacks")
            .join(buildpack_id.replace('/', "_"))
    }
}
