//! Finding and reading the app's launch config.

use std::ffi::OsString;
use std::path::PathBuf;

use slipway_launch::{CONFIG_PATH, LaunchConfig};

use crate::error::LaunchError;

/// Overrides [`CONFIG_PATH`], for tests and for debugging a config outside an
/// image; images never set it.
pub const CONFIG_PATH_ENV: &str = "SLIPWAY_LAUNCH_CONFIG";

/// Reads and parses the launch config from [`config_path`].
pub fn load() -> Result<LaunchConfig, LaunchError> {
    let path = config_path(std::env::var_os(CONFIG_PATH_ENV));
    let text = std::fs::read_to_string(&path).map_err(|source| LaunchError::ReadConfig {
        path: path.clone(),
        source,
    })?;
    LaunchConfig::parse(&text).map_err(|source| LaunchError::ParseConfig { path, source })
}

/// The config's path: the override when set and not empty, else
/// [`CONFIG_PATH`].
fn config_path(override_path: Option<OsString>) -> PathBuf {
    override_path
        .filter(|path| !path.is_empty())
        .map_or_else(|| PathBuf::from(CONFIG_PATH), PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_override_wins_unless_empty() {
        assert_eq!(config_path(None), PathBuf::from(CONFIG_PATH));
        assert_eq!(config_path(Some("".into())), PathBuf::from(CONFIG_PATH));
        assert_eq!(
            config_path(Some("/tmp/x.conf".into())),
            PathBuf::from("/tmp/x.conf")
        );
    }
}
