//! The Cloud Native Buildpacks image labels slipway writes, so that CNB tools (`pack inspect`)
//! and scanners read slipway images like any buildpack-built image.
//!
//! Field names follow the CNB platform specification's `io.buildpacks.build.metadata` label.
//! Unknown fields are accepted when reading: other tools write this label too, and the spec grows.

use serde::{Deserialize, Serialize};

/// The label holding [`BuildMetadata`].
pub const BUILD_METADATA_LABEL: &str = "io.buildpacks.build.metadata";
/// The label naming the stack an image was built on.
pub const STACK_ID_LABEL: &str = "io.buildpacks.stack.id";

/// The CNB lifecycle's label on app images: where the run image's layers end, which run image
/// that was, so that `pack rebase` and `pack inspect-image` (and `slipway rebase`) can tell app
/// layers from base layers.
pub const LIFECYCLE_METADATA_LABEL: &str = "io.buildpacks.lifecycle.metadata";

/// slipway's own record of the run image an app image stands on, for what CNB has no field for
/// (flavor, lockfile, the run image's environment): what `slipway rebase` checks and replaces.
pub const RUN_IMAGE_LABEL: &str = "io.slipway.run-image";

/// `io.buildpacks.lifecycle.metadata`, the fields slipway writes and reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleMetadata {
    /// The run image under the app.
    #[serde(rename = "runImage", default)]
    pub run_image: RunImageMetadata,
    /// The stack's run image, where older tools look; slipway leaves it empty (tools read
    /// `runImage.image` first), so every push carries the name once.
    #[serde(default, skip_serializing_if = "StackMetadata::is_empty")]
    pub stack: StackMetadata,
}

/// `runImage` of [`LifecycleMetadata`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunImageMetadata {
    /// The `diff_id` of the run image's top layer: the layers up to it are the base.
    #[serde(rename = "topLayer", default)]
    pub top_layer: String,
    /// The run image by digest (`NAME@sha256:...`).
    #[serde(default)]
    pub reference: String,
    /// The run image's name, where a rebase looks for a newer one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image: String,
}

/// `stack` of [`LifecycleMetadata`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackMetadata {
    /// The stack's run image.
    #[serde(rename = "runImage", default)]
    pub run_image: StackRunImage,
}

impl StackMetadata {
    /// Whether it names no run image.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.run_image.image.is_empty()
    }
}

/// `stack.runImage` of [`LifecycleMetadata`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackRunImage {
    /// The run image's name.
    #[serde(default)]
    pub image: String,
}

/// `io.slipway.run-image`: the run image an app image stands on, as slipway made it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunImageRecord {
    /// The stack, e.g. `debian-13` (its release is part of it).
    pub stack: String,
    /// The run image flavor, e.g. `java-21-tomcat`.
    pub flavor: String,
    /// The run image's manifest digest.
    pub digest: String,
    /// How many layers the run image has: the app's start after them (the top one's `diff_id`
    /// is CNB's `runImage.topLayer`).
    pub layers: usize,
    /// The digest of the lockfile its packages came from, when a Debian stack's.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub lockfile: String,
    /// The digests of the extra CA files (`--ca-certs`) in the run image, which a rebase puts in
    /// the new one too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ca_certs: Vec<String>,
    /// The names of the run image's environment variables (`PATH`, `JAVA_HOME`...), whose
    /// values a rebase takes from the new run image.
    #[serde(default)]
    pub env_keys: Vec<String>,
}

/// `io.buildpacks.build.metadata`: the buildpacks that built the image and its processes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildMetadata {
    /// The image's process types.
    #[serde(default)]
    pub processes: Vec<ProcessMetadata>,
    /// The buildpacks that contributed.
    #[serde(default)]
    pub buildpacks: Vec<BuildpackRef>,
    /// The launcher in the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launcher: Option<LauncherMetadata>,
    /// Bill of materials (empty: slipway's SBOM is separate).
    #[serde(default)]
    pub bom: Vec<serde_json::Value>,
}

/// One process type, as CNB records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessMetadata {
    /// Process type name.
    #[serde(rename = "type")]
    pub process_type: String,
    /// The program (CNB lists it as a one-element array).
    pub command: Vec<String>,
    /// Its arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// Run without a shell.
    #[serde(default)]
    pub direct: bool,
    /// The buildpack that defined it.
    #[serde(rename = "buildpackID", default)]
    pub buildpack_id: String,
}

/// A buildpack id and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildpackRef {
    /// Buildpack id.
    pub id: String,
    /// Buildpack version.
    pub version: String,
}

/// The launcher's version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LauncherMetadata {
    /// Version string.
    pub version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_label_written_by_the_cnb_lifecycle() {
        let label = r#"{"bom":null,"buildpacks":[{"id":"paketo-buildpacks/go-build","version":"2.1.0","homepage":"x"}],
            "launcher":{"version":"0.17.0","source":{"git":{"repository":"r","commit":"c"}}},
            "processes":[{"type":"web","command":["/layers/x/bin/app"],"args":[],"direct":true,"buildpackID":"paketo-buildpacks/go-build"}]}"#
            .replace("\"bom\":null,", "");
        let meta: BuildMetadata = serde_json::from_str(&label).unwrap();
        assert_eq!(meta.processes[0].process_type, "web");
        assert_eq!(meta.buildpacks[0].id, "paketo-buildpacks/go-build");
    }

    #[test]
    fn round_trips() {
        let meta = BuildMetadata {
            processes: vec![ProcessMetadata {
                process_type: "web".into(),
                command: vec!["/bin/app".into()],
                args: vec!["--x".into()],
                direct: true,
                buildpack_id: "slipway/go".into(),
            }],
            buildpacks: vec![BuildpackRef {
                id: "slipway/go".into(),
                version: "0.1.0".into(),
            }],
            launcher: Some(LauncherMetadata {
                version: "0.1.0".into(),
            }),
            bom: vec![],
        };
        let text = serde_json::to_string(&meta).unwrap();
        assert!(text.contains(r#""buildpackID":"slipway/go""#));
        assert_eq!(serde_json::from_str::<BuildMetadata>(&text).unwrap(), meta);
    }
}
