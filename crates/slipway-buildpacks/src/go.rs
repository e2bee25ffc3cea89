//! The Go buildpack: detects `go.mod`, builds the module's main packages into static binaries with
//! the host's Go toolchain (as ko does), and makes each binary a process type.
//!
//! Builds are reproducible: `CGO_ENABLED=0`, `-trimpath`, `-buildvcs=false`, and `-ldflags=-s -w`
//! (no symbol table or DWARF: smaller images, and nothing path-dependent). Go's own build ID is
//! kept: it is derived from the inputs only, and it lets `go build` skip relinking an unchanged
//! binary, which the output directory (kept in the cache, per app) makes possible.

mod targets;

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest as _, Sha256};
use slipway_lifecycle::{
    BuildContext, BuildOutput, Buildpack, BuildpackError, ContributedLayer, ProcessType,
};
use slipway_oci::LayerBuilder;
use slipway_sbom::{
    BUILDPACK_PACKAGES_LABEL, LabelledPackage, encode_buildpack_packages, parse_go_version_m,
};

pub use targets::{MainPackage, binary_name, default_process};

/// The Go buildpack.
pub struct GoBuildpack;

/// Buildpack id.
pub const ID: &str = "slipway/go";
/// Where the binaries go in the image.
pub const BIN_DIR: &str = "/layers/slipway_go/app/bin";
/// The port Go web apps are told to listen on through `PORT`.
pub const DEFAULT_PORT: u16 = 8080;

impl Buildpack for GoBuildpack {
    fn id(&self) -> &'static str {
        ID
    }

    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    fn looks_for(&self) -> &'static str {
        "go.mod"
    }

    fn detect(&self, app_dir: &Path) -> bool {
        app_dir.join("go.mod").is_file()
    }

    fn build(&self, ctx: &BuildContext<'_>) -> Result<BuildOutput, BuildpackError> {
        let go = GoToolchain::find(ctx)?;
        (ctx.log)(&format!("Using {}", go.version));
        let targets = targets_from_env(ctx.env);
        let packages = go.main_packages(ctx, &targets)?;
        let out_dir = output_dir(ctx);
        go.build(ctx, &packages, &out_dir)?;
        let mut output = output(&packages, &out_dir, &go.version);
        output.labels.push((
            BUILDPACK_PACKAGES_LABEL.to_string(),
            go.modules_label(ctx, &packages, &out_dir)?,
        ));
        Ok(output)
    }
}

/// `BP_GO_TARGETS` (colon-separated package patterns, as Paketo's Go buildpack takes), else `./...`.
fn targets_from_env(env: &[(String, String)]) -> Vec<String> {
    env.iter()
        .rev()
        .find(|(k, _)| k == "BP_GO_TARGETS")
        .map(|(_, v)| {
            v.split(':')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect()
        })
        .filter(|t: &Vec<String>| !t.is_empty())
        .unwrap_or_else(|| vec!["./...".to_string()])
}

/// A per-app directory in the cache where binaries are kept between builds.
fn output_dir(ctx: &BuildContext<'_>) -> PathBuf {
    let app = ctx
        .app_dir
        .canonicalize()
        .unwrap_or_else(|_| ctx.app_dir.to_path_buf());
    let key = hex::encode(&Sha256::digest(app.as_os_str().as_encoded_bytes())[..8]);
    ctx.cache_dir.join("out").join(key)
}

fn output(packages: &[MainPackage], out_dir: &Path, go_version: &str) -> BuildOutput {
    let mut content = LayerBuilder::new();
    let mut processes = Vec::new();
    for package in packages {
        let name = package.binary_name();
        let image_path = format!("{BIN_DIR}/{name}");
        content.host_file(&image_path, &out_dir.join(&name), 0o755);
        processes.push(ProcessType {
            name: name.clone(),
            command: vec![image_path],
        });
    }
    if let Some(web) = default_process(packages) {
        let command = vec![format!("{BIN_DIR}/{}", web.binary_name())];
        processes.insert(
            0,
            ProcessType {
                name: "web".into(),
                command,
            },
        );
    }
    let names: Vec<String> = packages.iter().map(MainPackage::binary_name).collect();
    BuildOutput {
        layers: vec![ContributedLayer {
            name: "app".into(),
            description: format!("{} (Go binaries, {go_version})", names.join(", ")),
            content,
        }],
        processes,
        launch_env: vec![],
        port: Some(DEFAULT_PORT),
        labels: vec![],
    }
}

/// The host's `go` command and its version.
struct GoToolchain {
    program: PathBuf,
    version: String,
}

impl GoToolchain {
    fn find(ctx: &BuildContext<'_>) -> Result<Self, BuildpackError> {
        let program = ctx
            .env
            .iter()
            .find(|(k, _)| k == "GO")
            .map_or_else(|| PathBuf::from("go"), |(_, v)| PathBuf::from(v));
        let missing = |_| BuildpackError::ToolMissing {
            buildpack: ID,
            tool: "the Go toolchain (`go`)".into(),
            hint: "install Go (https://go.dev/dl or `apt-get install golang`) and put `go` on PATH"
                .into(),
        };
        let out = Command::new(&program)
            .arg("env")
            .arg("GOVERSION")
            .output()
            .map_err(missing)?;
        let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Ok(Self { program, version })
    }

    fn command(&self, ctx: &BuildContext<'_>) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.current_dir(ctx.app_dir)
            .env("CGO_ENABLED", "0")
            .env("GOOS", ctx.os)
            .env("GOARCH", ctx.arch)
            .envs(
                ctx.env
                    .iter()
                    .filter(|(k, _)| k != "GO")
                    .map(|(k, v)| (k, v)),
            );
        cmd
    }

    fn main_packages(
        &self,
        ctx: &BuildContext<'_>,
        targets: &[String],
    ) -> Result<Vec<MainPackage>, BuildpackError> {
        let mut cmd = self.command(ctx);
        cmd.args([
            "list",
            "-e",
            "-f",
            "{{.Name}} {{.ImportPath}} {{.Module.Path}}",
        ])
        .args(targets);
        let stdout = run(&mut cmd, "go list")?;
        let packages = targets::parse_go_list(&stdout);
        if packages.is_empty() {
            return Err(BuildpackError::App {
                buildpack: ID,
                message: format!(
                    "no main package in {} (targets: {}); add a `package main` with a `func main()`, or set BP_GO_TARGETS",
                    ctx.app_dir.display(),
                    targets.join(":")
                ),
            });
        }
        Ok(packages)
    }

    fn build(
        &self,
        ctx: &BuildContext<'_>,
        packages: &[MainPackage],
        out_dir: &Path,
    ) -> Result<(), BuildpackError> {
        std::fs::create_dir_all(out_dir).map_err(|source| BuildpackError::Io {
            action: format!("creating {}", out_dir.display()),
            source,
        })?;
        let mut cmd = self.command(ctx);
        cmd.args([
            "build",
            "-trimpath",
            "-buildvcs=false",
            "-ldflags=-s -w",
            "-o",
        ])
        .arg(format!("{}/", out_dir.display()))
        .args(packages.iter().map(|p| p.import_path.as_str()));
        (ctx.log)(&format!(
            "Running go build -trimpath -ldflags='-s -w' {}",
            packages
                .iter()
                .map(|p| p.import_path.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ));
        run(&mut cmd, "go build").map(drop)
    }
}

impl GoToolchain {
    /// The modules compiled into the binaries (`go version -m`), as the SBOM label lists them:
    /// what this buildpack adds to the image besides Debian packages.
    fn modules_label(
        &self,
        ctx: &BuildContext<'_>,
        packages: &[MainPackage],
        out_dir: &Path,
    ) -> Result<String, BuildpackError> {
        let mut cmd = self.command(ctx);
        cmd.args(["version", "-m"])
            .args(packages.iter().map(|p| out_dir.join(p.binary_name())));
        let listing = run(&mut cmd, "go version -m")?;
        let modules = parse_go_version_m(&listing);
        Ok(encode_buildpack_packages(
            modules.iter().map(LabelledPackage::from),
        ))
    }
}

/// Runs a command to completion; its output becomes the error when it fails.
fn run(cmd: &mut Command, tool: &str) -> Result<String, BuildpackError> {
    let out = cmd.output().map_err(|source| BuildpackError::Io {
        action: format!("running {tool}"),
        source,
    })?;
    if !out.status.success() {
        let mut output = String::from_utf8_lossy(&out.stderr).into_owned();
        output.push_str(&String::from_utf8_lossy(&out.stdout));
        return Err(BuildpackError::ToolFailed {
            buildpack: ID,
            tool: tool.into(),
            output,
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_default_to_every_package() {
        assert_eq!(targets_from_env(&[]), vec!["./..."]);
        let env = vec![(
            "BP_GO_TARGETS".to_string(),
            "./cmd/api:./cmd/worker".to_string(),
        )];
        assert_eq!(targets_from_env(&env), vec!["./cmd/api", "./cmd/worker"]);
    }

    #[test]
    fn detects_go_mod_only() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!GoBuildpack.detect(dir.path()));
        std::fs::write(dir.path().join("go.mod"), "module x\n").unwrap();
        assert!(GoBuildpack.detect(dir.path()));
    }
}
