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

    /// Whether this buildpack applies to the app at `app_path`: its source directory, or an
    /// artifact file (`-p target/app.war`, as `cf push -p` takes one).
    fn detect(&self, app_path: &Path) -> bool;

    /// What detection found at `app_path`, for the build log ("pom.xml", "a WAR"); by default
    /// what it looks for.
    fn detected(&self, _app_path: &Path) -> String {
        self.looks_for().to_string()
    }

    /// What the app needs from the stack: its run image flavor and build environment, chosen
    /// before anything is fetched, from the app and what `stack` offers (a Java app asks for
    /// the Java version its `pom.xml` or class files name). Most buildpacks run on the `base`
    /// flavor and build in the stack's common build environment.
    fn plan(
        &self,
        _app_path: &Path,
        _env: &[(String, String)],
        _stack: &StackOffer<'_>,
    ) -> Result<Plan, BuildpackError> {
        Ok(Plan::default())
    }

    /// Builds the app; may take long and print through `ctx.log`.
    fn build(&self, ctx: &BuildContext<'_>) -> Result<BuildOutput, BuildpackError>;
}

/// What a stack offers buildpacks to choose from when they plan.
#[derive(Debug, Clone, Copy)]
pub struct StackOffer<'a> {
    /// The stack's name, e.g. `debian-13`, for messages.
    pub name: &'a str,
    /// The Java majors it has JREs and JDKs for, lowest first (none on `scratch`).
    pub java_versions: &'a [u32],
}

/// What a buildpack needs from the stack for one app, from [`Buildpack::plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The run image flavor the app runs on (`base`, `java-21`, `java-21-tomcat`...).
    pub run_flavor: String,
    /// The language runtime the build environment must have beyond the common one.
    pub runtime: Option<Runtime>,
    /// Lines for the build log saying what was chosen and why.
    pub notes: Vec<String>,
}

impl Default for Plan {
    fn default() -> Self {
        Self {
            run_flavor: "base".into(),
            runtime: None,
            notes: Vec::new(),
        }
    }
}

/// A language runtime a build environment is made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// A JDK of this major version, with Maven.
    Java(u32),
}

/// What a build gets to work with.
pub struct BuildContext<'a> {
    /// The app's source directory (read-only by convention), or the artifact file given with
    /// `-p`.
    pub app_dir: &'a Path,
    /// What [`Buildpack::plan`] chose for this app.
    pub plan: &'a Plan,
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
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcessType {
    /// Its name; `web` is the default one.
    pub name: String,
    /// Program and arguments, run directly (there is no shell in the image).
    pub command: Vec<String>,
    /// The directory it starts in, when not the image's working directory.
    pub working_dir: Option<String>,
    /// Whether it is a JVM whose memory the launcher sizes from the container's limit.
    pub jvm_memory: bool,
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
        /// What is wrong.
        message: String,
        /// The fix, when the buildpack knows one.
        hint: Option<String>,
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
