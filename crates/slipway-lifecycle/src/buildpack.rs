//! The one trait every built-in buildpack implements, and what a build produces.

use std::path::{Path, PathBuf};

use slipway_oci::LayerBuilder;

/// A buildpack: recognises one kind of app and builds it into layers and processes.
///
/// Built-in buildpacks are Rust types behind this trait, listed explicitly by the caller (no
/// registration by side effect), in the order detection tries them.
pub trait Buildpack: Send + Sync {
    /// The buildpack id, e.g. `slipway/go`, as it appears in image labels and `-b`.
    fn id(&self) -> &'static str;

    /// The buildpack's version, recorded in the image.
    fn version(&self) -> &'static str;

    /// What detection looks for, in words ("go.mod"), for the error when nothing applies.
    fn looks_for(&self) -> &'static str;

    /// Whether this buildpack applies to the app in `app_dir`.
    fn detect(&self, app_dir: &Path) -> bool;

    /// The run image flavor its apps run on (a Debian stack's `base`, `java-21`, `nodejs`...).
    fn run_flavor(&self) -> &'static str {
        "base"
    }

    /// Builds the app; may take long and print through `ctx.log`.
    fn build(&self, ctx: &BuildContext<'_>) -> Result<BuildOutput, BuildpackError>;
}

/// What a build gets to work with.
pub struct BuildContext<'a> {
    /// The app's source directory (read-only by convention).
    pub app_dir: &'a Path,
    /// A directory the buildpack may keep between builds (compiler caches, outputs).
    pub cache_dir: PathBuf,
    /// `KEY=VALUE` pairs the user passed with `-e`, for the build.
    pub env: &'a [(String, String)],
    /// OS/architecture to build for, e.g. `linux` and `amd64`.
    pub os: &'a str,
    /// Architecture to build for, e.g. `amd64`.
    pub arch: &'a str,
    /// Where progress lines go (the printer decides how they are shown).
    pub log: &'a (dyn Fn(&str) + Sync),
    /// Where the buildpack's tools run: the host or a stack's build environment.
    pub tools: &'a dyn crate::tools::ToolRunner,
}

/// A layer a buildpack contributes, by name.
pub struct ContributedLayer {
    /// Short name, unique within the buildpack, e.g. `app`.
    pub name: String,
    /// What it holds, in words, shown by `slipway inspect`.
    pub description: String,
    /// Its content.
    pub content: LayerBuilder,
}

/// A process type the image can run (`web`, `worker`…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessType {
    /// Its name; `web` is the default one.
    pub name: String,
    /// Program and arguments, run directly (there is no shell in the image).
    pub command: Vec<String>,
}

/// Everything a build produced.
#[derive(Default)]
pub struct BuildOutput {
    /// Layers, in the order they go into the image.
    pub layers: Vec<ContributedLayer>,
    /// Process types; the one named `web`, else the first, is the default.
    pub processes: Vec<ProcessType>,
    /// Environment for every process at launch, as defaults the container's own env overrides.
    pub launch_env: Vec<(String, String)>,
    /// The TCP port the web process listens on, when the buildpack knows it.
    pub port: Option<u16>,
    /// Image labels the buildpack sets, e.g. the packages it added for the SBOM.
    pub labels: Vec<(String, String)>,
}

/// A build that failed, with the tool output the user needs to see to fix it.
#[derive(Debug, thiserror::Error)]
pub enum BuildpackError {
    /// A build tool ran and failed.
    #[error("{tool} failed for {buildpack}")]
    ToolFailed {
        /// The buildpack.
        buildpack: &'static str,
        /// The command, e.g. `go build`.
        tool: String,
        /// What the tool printed (stderr and stdout).
        output: String,
    },
    /// A tool the buildpack needs is not installed.
    #[error("{buildpack} needs {tool}, which was not found")]
    ToolMissing {
        /// The buildpack.
        buildpack: &'static str,
        /// The tool.
        tool: String,
        /// How to get it.
        hint: String,
    },
    /// The app is not buildable as it is, for a reason the buildpack can name.
    #[error("{buildpack}: {message}")]
    App {
        /// The buildpack.
        buildpack: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Reading or writing files during the build failed.
    #[error("{action}")]
    Io {
        /// What was being done.
        action: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}
