//! The `go` command, wherever the build's tools run.

use std::path::Path;

use slipway_lifecycle::{BuildContext, BuildpackError, ToolCommand};
use slipway_sbom::{LabelledPackage, encode_buildpack_packages, parse_go_version_m};

use super::ID;
use super::targets::{self, MainPackage};

/// The `go` command and its version.
pub(super) struct GoToolchain {
    program: String,
    /// `go env GOVERSION`, e.g. `go1.24.4`.
    pub(super) version: String,
}

impl GoToolchain {
    /// Finds `go` (or `-e GO=PATH`) where the tools run.
    pub(super) fn find(ctx: &BuildContext<'_>) -> Result<Self, BuildpackError> {
        let program = ctx
            .env
            .iter()
            .find(|(k, _)| k == "GO")
            .map_or_else(|| "go".to_string(), |(_, v)| v.clone());
        let probe = ToolCommand::new(&program, ["env", "GOVERSION"]);
        let missing = || {
            BuildpackError::ToolMissing {
            buildpack: ID,
            tool: format!("the Go toolchain (`go`) in {}", ctx.tools.describe()),
            hint: "build on a Debian stack (its build environment has Go), or install Go and put `go` on PATH".into(),
        }
        };
        let out = ctx.tools.run(&probe).map_err(|_| missing())?;
        if !out.status.success() {
            return Err(missing());
        }
        let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Ok(Self { program, version })
    }

    fn command(
        &self,
        ctx: &BuildContext<'_>,
        args: impl IntoIterator<Item = impl Into<String>>,
    ) -> ToolCommand {
        let mut cmd = ToolCommand::new(&self.program, args)
            .env("CGO_ENABLED", "0")
            .env("GOOS", ctx.os)
            .env("GOARCH", ctx.arch);
        cmd.env
            .extend(ctx.env.iter().filter(|(k, _)| k != "GO").cloned());
        cmd
    }

    /// The main packages among `targets`.
    pub(super) fn main_packages(
        &self,
        ctx: &BuildContext<'_>,
        targets: &[String],
    ) -> Result<Vec<MainPackage>, BuildpackError> {
        let mut args = vec![
            "list",
            "-e",
            "-f",
            "{{.Name}} {{.ImportPath}} {{.Module.Path}}",
        ];
        args.extend(targets.iter().map(String::as_str));
        let stdout = run(ctx, &self.command(ctx, args), "go list")?;
        let packages = targets::parse_go_list(&stdout);
        if packages.is_empty() {
            return Err(BuildpackError::App {
                buildpack: ID,
                hint: Some(
                    "add a `package main` with a `func main()`, or set BP_GO_TARGETS".into(),
                ),
                message: format!(
                    "no main package in {} (targets: {})",
                    ctx.app_dir.display(),
                    targets.join(":")
                ),
            });
        }
        Ok(packages)
    }

    /// Builds `packages` into `out_dir` (a path as the tools see it).
    pub(super) fn build(
        &self,
        ctx: &BuildContext<'_>,
        packages: &[MainPackage],
        out_dir: &Path,
    ) -> Result<(), BuildpackError> {
        // `go build -o DIR/` creates DIR itself, as the user the tools run as.
        let imports: Vec<&str> = packages.iter().map(|p| p.import_path.as_str()).collect();
        (ctx.log)(&format!(
            "Running go build -trimpath -ldflags='-s -w' {} in {}",
            imports.join(" "),
            ctx.tools.describe()
        ));
        let mut args = vec![
            "build".to_string(),
            "-trimpath".into(),
            "-buildvcs=false".into(),
            "-ldflags=-s -w".into(),
            "-o".into(),
        ];
        args.push(format!("{}/", out_dir.display()));
        args.extend(imports.iter().map(|s| (*s).to_string()));
        run(ctx, &self.command(ctx, args), "go build").map(drop)
    }

    /// The modules compiled into the binaries (`go version -m`), as the SBOM label lists them:
    /// what this buildpack adds to the image besides Debian packages.
    pub(super) fn modules_label(
        &self,
        ctx: &BuildContext<'_>,
        packages: &[MainPackage],
        out_dir: &Path,
    ) -> Result<String, BuildpackError> {
        let mut args = vec!["version".to_string(), "-m".into()];
        args.extend(
            packages
                .iter()
                .map(|p| out_dir.join(p.binary_name()).display().to_string()),
        );
        let listing = run(ctx, &self.command(ctx, args), "go version -m")?;
        let modules = parse_go_version_m(&listing);
        Ok(encode_buildpack_packages(
            modules.iter().map(LabelledPackage::from),
        ))
    }
}

/// Runs a tool to completion; its output becomes the error when it fails.
fn run(
    ctx: &BuildContext<'_>,
    command: &ToolCommand,
    tool: &str,
) -> Result<String, BuildpackError> {
    let out = ctx
        .tools
        .run(command)
        .map_err(|source| BuildpackError::Io {
            action: format!("running {tool} in {}", ctx.tools.describe()),
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
