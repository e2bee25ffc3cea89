//! The process's environment: the container's, with the config's entries as
//! defaults.

use std::collections::BTreeMap;
use std::ffi::OsString;

use crate::error::LaunchError;

/// The environment to exec with, by name.
pub type Env = BTreeMap<OsString, OsString>;

/// Merges the inherited environment with the config's entries.
///
/// Config values are defaults: a variable the container sets wins (so `docker
/// run -e PORT=9000` overrides the buildpack's `PORT`), including `PATH`, which
/// is replaced, not extended. Among config entries, a later one replaces an
/// earlier one of the same name. Names the kernel cannot carry (empty, or with
/// `=` or NUL) are an error rather than a garbled environment.
pub fn merge(
    inherited: impl IntoIterator<Item = (OsString, OsString)>,
    defaults: &[(String, String)],
) -> Result<Env, LaunchError> {
    let mut env = Env::new();
    for (name, value) in defaults {
        if name.is_empty() || name.contains(['=', '\0']) {
            return Err(LaunchError::InvalidEnvName { name: name.clone() });
        }
        env.insert(name.into(), value.into());
    }
    env.extend(inherited);
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    fn os(pairs_: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs(pairs_)
            .into_iter()
            .map(|(name, value)| (name.into(), value.into()))
            .collect()
    }

    #[test]
    fn the_container_wins_over_the_config() {
        let inherited = os(&[("PORT", "9000"), ("HOME", "/root")]);
        let defaults = pairs(&[("PORT", "8080"), ("PATH", "/layers/bin"), ("PATH", "/x")]);
        let env = merge(inherited, &defaults).expect("valid names");
        let expected = os(&[("HOME", "/root"), ("PATH", "/x"), ("PORT", "9000")]);
        assert_eq!(env.into_iter().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn names_the_kernel_cannot_carry_are_errors() {
        for name in ["", "A=B", "A\0"] {
            let result = merge(Vec::new(), &pairs(&[(name, "x")]));
            assert!(
                matches!(result, Err(LaunchError::InvalidEnvName { .. })),
                "{name:?}"
            );
        }
    }
}
