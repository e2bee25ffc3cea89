//! Detection: which buildpack applies to an app.

use std::path::Path;

use crate::Buildpack;

/// No buildpack applies, or the one asked for does not exist.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    /// Every buildpack was tried and none applied.
    #[error("no buildpack detected an app in {dir} (looked for: {looked_for})")]
    NothingDetected {
        /// The app directory.
        dir: String,
        /// What each buildpack looked for.
        looked_for: String,
    },
    /// `-b` named a buildpack that does not exist.
    #[error("there is no buildpack {id:?} (buildpacks: {known})")]
    UnknownBuildpack {
        /// The id asked for.
        id: String,
        /// The ids there are.
        known: String,
    },
}

/// The buildpack to build `app_dir` with: the first of `requested` (ids from `-b`) if any were given,
/// else the first of `buildpacks` whose detection passes.
pub fn detect<'a>(
    buildpacks: &'a [&'a dyn Buildpack],
    requested: &[String],
    app_dir: &Path,
) -> Result<&'a dyn Buildpack, DetectError> {
    if let Some(id) = requested.first() {
        return buildpacks
            .iter()
            .copied()
            .find(|b| b.id() == id || b.id().rsplit('/').next() == Some(id.as_str()))
            .ok_or_else(|| DetectError::UnknownBuildpack {
                id: id.clone(),
                known: buildpacks
                    .iter()
                    .map(|b| b.id())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
    }
    buildpacks
        .iter()
        .copied()
        .find(|b| b.detect(app_dir))
        .ok_or_else(|| DetectError::NothingDetected {
            dir: app_dir.display().to_string(),
            looked_for: buildpacks
                .iter()
                .map(|b| format!("{} ({})", b.looks_for(), b.id()))
                .collect::<Vec<_>>()
                .join(", "),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BuildContext, BuildOutput, BuildpackError};

    struct Marker(&'static str, &'static str);

    impl Buildpack for Marker {
        fn id(&self) -> &'static str {
            self.0
        }
        fn version(&self) -> &'static str {
            "0"
        }
        fn looks_for(&self) -> &'static str {
            self.1
        }
        fn detect(&self, app_dir: &Path) -> bool {
            app_dir.join(self.1).exists()
        }
        fn build(&self, _: &BuildContext<'_>) -> Result<BuildOutput, BuildpackError> {
            Ok(BuildOutput::default())
        }
    }

    #[test]
    fn first_matching_buildpack_wins() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), "{}").unwrap();
        let (go, node) = (
            Marker("slipway/go", "go.mod"),
            Marker("slipway/nodejs", "package.json"),
        );
        let list: [&dyn Buildpack; 2] = [&go, &node];
        assert_eq!(
            detect(&list, &[], dir.path()).unwrap().id(),
            "slipway/nodejs"
        );
        assert_eq!(
            detect(&list, &["go".into()], dir.path()).unwrap().id(),
            "slipway/go"
        );
    }

    #[test]
    fn nothing_detected_says_what_was_looked_for() {
        let dir = tempfile::tempdir().unwrap();
        let go = Marker("slipway/go", "go.mod");
        let list: [&dyn Buildpack; 1] = [&go];
        let Err(err) = detect(&list, &[], dir.path()) else {
            panic!("detected")
        };
        let err = err.to_string();
        assert!(err.ends_with("(looked for: go.mod (slipway/go))"), "{err}");
        let Err(err) = detect(&list, &["java".into()], dir.path()) else {
            panic!("found")
        };
        let err = err.to_string();
        assert_eq!(
            err,
            "there is no buildpack \"java\" (buildpacks: slipway/go)"
        );
    }
}
