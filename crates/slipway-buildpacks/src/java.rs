//! The Java buildpack: Maven projects, WARs (packed or exploded) and executable JARs (Spring
//! Boot's included), run on the stack's JRE flavor, and WARs on its Tomcat 10.1.
//!
//! The app goes into the image exploded under `/workspace`, split the way Jib splits it
//! (dependencies, snapshot dependencies, resources, classes), so that a change to one class
//! makes one new layer. The JRE and Tomcat come from the run image, so a rebase patches both.
//! The launcher sizes the JVM to the container's memory limit at start
//! ([`slipway_launch::jvm_memory`]); the image carries defaults that let a 256M container fit.

pub mod archive;
mod build;
mod layers;
pub mod maven;
pub mod tomcat;
pub mod version;

use std::path::Path;

use slipway_lifecycle::{
    BuildContext, BuildOutput, Buildpack, BuildpackError, Plan, Runtime, StackOffer,
};

/// The buildpack's id.
pub const ID: &str = "slipway/java";
/// Where the app goes in the image (the image's working directory).
pub const APP_DIR: &str = "/workspace";
/// The port the app listens on unless `$PORT` says otherwise.
pub const DEFAULT_PORT: u16 = 8080;
/// Threads the image reserves stacks for by default (`BPL_JVM_THREAD_COUNT`): Tomcat's 40
/// request threads here plus the JVM's own. Paketo reserves 250, which with its 240M code
/// cache needs more than 512M before the heap gets a byte.
pub const DEFAULT_THREAD_COUNT: u64 = 50;
/// The code cache the image reserves by default (`SLIPWAY_JVM_CODE_CACHE`): ample for a web
/// app's compiled code, where the JVM's 240M default is most of a small container.
pub const DEFAULT_CODE_CACHE: &str = "64M";
/// The label with what the JVM memory estimate needs, for `slipway inspect`.
pub const JVM_MEMORY_LABEL: &str = "io.slipway.jvm.memory";

/// Builds and runs Java apps.
pub struct JavaBuildpack;

/// The kind of Java app, which decides the run image flavor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AppKind {
    /// A servlet app: runs on Tomcat.
    War,
    /// An executable JAR: runs on the JRE alone.
    Jar,
}

impl Buildpack for JavaBuildpack {
    fn id(&self) -> &'static str {
        ID
    }

    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    fn looks_for(&self) -> &'static str {
        "pom.xml, *.war, WEB-INF/ or an executable *.jar"
    }

    fn detect(&self, app_path: &Path) -> bool {
        if app_path.is_file() {
            return ["war", "jar"]
                .iter()
                .any(|ext| app_path.extension().is_some_and(|e| e == *ext));
        }
        app_path.join("pom.xml").is_file()
            || matches!(archive::find_artifact(app_path), Ok(Some(_)))
    }

    fn detected(&self, app_path: &Path) -> String {
        if app_path.join("pom.xml").is_file() {
            return "pom.xml".into();
        }
        let name = app_path.file_name().unwrap_or_default().to_string_lossy();
        if app_path.is_file() {
            return name.into_owned();
        }
        match archive::find_artifact(app_path) {
            Ok(Some(artifact)) if artifact.path == app_path => format!("an exploded app in {name}"),
            Ok(Some(artifact)) => artifact
                .path
                .strip_prefix(app_path)
                .unwrap_or(&artifact.path)
                .display()
                .to_string(),
            _ => self.looks_for().into(),
        }
    }

    fn plan(
        &self,
        app_path: &Path,
        env: &[(String, String)],
        stack: &StackOffer<'_>,
    ) -> Result<Plan, BuildpackError> {
        let (kind, requested) = build::kind_and_version(app_path, env)?;
        let (version, why) = version::resolve(requested.as_ref(), stack.java_versions, stack.name)
            .map_err(|e| BuildpackError::App {
                buildpack: ID,
                message: e.to_string(),
                hint: e.hint(),
            })?;
        let run_flavor = match kind {
            AppKind::War => format!("java-{version}-tomcat"),
            AppKind::Jar => format!("java-{version}"),
        };
        let runs_on = match kind {
            AppKind::War => "a WAR: runs on Tomcat 10.1",
            AppKind::Jar => "an executable JAR: runs on the JRE",
        };
        Ok(Plan {
            notes: vec![why, format!("{runs_on} (run image flavor {run_flavor})")],
            run_flavor,
            runtime: Some(Runtime::Java(version)),
        })
    }

    fn build(&self, ctx: &BuildContext<'_>) -> Result<BuildOutput, BuildpackError> {
        build::build(ctx)
    }
}
