//! `slipway build`: detect, build, export into the local store, then write to each `-o`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::json;
use slipway_lifecycle::{BuildContext, Buildpack, ExportOptions, Exported, detect, export};
use slipway_lifecycle::{HostTools, ToolRunner};
use slipway_lifecycle::{Plan, Runtime, StackOffer};
use slipway_oci::Compression;
use slipway_oci::tar_writer::reproducible_epoch;
use slipway_stack::StackOptions;
use slipway_stack::debian::BUILD_SET;
use slipway_stack::debian::{DebianSource, RunImageOptions};
use slipway_stack::debian_stacks::{debian_stack, java_build_set};

use crate::app_source::AppSource;
use crate::build_env::SandboxTools;
use crate::cli::{BuildArgs, CompressionArg, GlobalArgs};
use crate::destinations::{self, short};
use crate::printer::{Printer, size};
use crate::settings::Settings;
use crate::store::{Store, display_name, parse_name};

/// Runs `slipway build`.
pub async fn run(
    args: &BuildArgs,
    global: &GlobalArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<()> {
    let destinations = destinations::parse_all(&args.output.outputs, args.output.publish)?;
    let built = build(args, global, settings, printer).await?;
    let written = destinations::write_all(
        &destinations,
        &built.image,
        &built.reference,
        &built.store,
        printer,
    )
    .await?;
    let name = display_name(&built.reference);
    let digest = built.image.digest.to_string();
    let bytes = built.image.total_size();
    printer.result(
        &format!(
            "Successfully built {name}\n  digest: {digest}\n  size:   {}",
            size(bytes)
        ),
        &digest,
        &json!({"image": name, "digest": digest, "size": bytes, "outputs": written}),
    );
    Ok(())
}

/// An image `build` made and tagged in the local store.
pub struct Built {
    /// Its name in the store.
    pub reference: oci_client::Reference,
    /// The image.
    pub image: slipway_oci::Image,
    /// The store it is in.
    pub store: Store,
    /// The memory the app's manifest.yml asks for.
    pub manifest_memory: Option<u64>,
}

/// Detects, builds and exports the app `args` name into the local store (what `slipway build`
/// and `slipway run PATH` share).
pub async fn build(
    args: &BuildArgs,
    global: &GlobalArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<Built> {
    let app = AppSource::resolve(args)?;
    let app_dir = app.path.clone();
    let tag = args.tag.as_deref().or(app.manifest_name());
    let reference = parse_name(&image_name(tag, &app_dir))?;
    let env = app.env.clone();
    let (os, arch) = parse_platform(&args.platform)?;
    let store = Store::open(settings)?;
    let buildpacks = slipway_buildpacks::all();
    let buildpack_refs: Vec<&dyn Buildpack> = buildpacks.iter().map(AsRef::as_ref).collect();

    let step = printer.step(format!("Detecting the app in {}", app_dir.display()));
    if let Some(summary) = app.manifest_summary() {
        printer.detail(&summary);
    }
    let buildpack = detect(&buildpack_refs, &app.buildpacks, &app_dir)?;
    printer.detail(&format!(
        "{} {} (found {})",
        buildpack.id(),
        buildpack.version(),
        buildpack.detected(&app_dir)
    ));
    let plan = plan(buildpack, &app_dir, &env, &args.stack)?;
    for note in &plan.notes {
        printer.detail(note);
    }
    step.done();

    let step = printer.step(format!("Preparing stack {}", args.stack));
    let stack = prepare_stack(
        args, global, settings, &store, buildpack, &plan, &app_dir, &env, printer,
    )
    .await?;
    step.done();

    let step = printer.step(format!(
        "Building with {} in {}",
        buildpack.id(),
        stack.tools.describe()
    ));
    let log = |line: &str| printer.detail(line);
    let ctx = BuildContext {
        app_dir: &app_dir,
        plan: &plan,
        cache_dir: stack.cache_dir.clone(),
        env: &env,
        os,
        arch,
        log: &log,
        tools: stack.tools.as_ref(),
    };
    let mut output = buildpack
        .build(&ctx)
        .with_context(|| format!("building {}", app_dir.display()))?;
    app.apply_manifest(&mut output)?;
    step.done();

    let step = printer.step("Exporting");
    let options = ExportOptions {
        compression: compression(args.compression),
        os,
        arch,
        created: reproducible_epoch(),
        reuse_layers: !args.no_cache,
    };
    let exported = export(
        &store.layout,
        &stack.run_image,
        buildpack,
        &output,
        &options,
    )?;
    report_layers(&exported, printer);
    let image = args.media_types.apply(exported.image)?;
    store.tag(&image, &reference)?;
    step.done();
    Ok(Built {
        reference,
        image,
        store,
        manifest_memory: app.manifest.as_ref().and_then(|(_, m)| m.memory),
    })
}

/// The run image and where the tools run, for the stack `args` names.
struct PreparedStack {
    run_image: slipway_stack::RunImage,
    tools: Box<dyn ToolRunner>,
    cache_dir: std::path::PathBuf,
}

/// A Debian stack: the app's `slipway.lock` (else the current indexes), the buildpack's run image
/// flavor, and its tools in the build environment. `scratch`: the host's tools, as ko.
#[allow(clippy::too_many_arguments)]
async fn prepare_stack(
    args: &BuildArgs,
    global: &GlobalArgs,
    settings: &Settings,
    store: &Store,
    buildpack: &dyn Buildpack,
    plan: &Plan,
    app_dir: &Path,
    env: &[(String, String)],
    printer: &Printer,
) -> anyhow::Result<PreparedStack> {
    // A file given with -p (an artifact) is read from its directory.
    let app_dir = if app_dir.is_file() {
        app_dir.parent().unwrap_or(app_dir)
    } else {
        app_dir
    };
    let cache_dir = settings.buildpack_cache(buildpack.id()).join(&args.stack);
    let Some(stack) = debian_stack(&args.stack) else {
        let options = StackOptions {
            ca_bundle: None,
            extra_ca_certs: args.ca_certs.iter().cloned().collect(),
        };
        let run_image = slipway_stack::run_image(&args.stack, &options)?;
        let tools = HostTools {
            app_dir: app_dir.to_path_buf(),
            cache_dir: cache_dir.clone(),
            env: env.to_vec(),
        };
        return Ok(PreparedStack {
            run_image,
            tools: Box::new(tools),
            cache_dir,
        });
    };
    let source = DebianSource::new(
        global.debian_mirror.as_deref(),
        global.keyring.as_deref(),
        &settings.debian_cache(),
        &settings.cache_dir,
    )?;
    let lock_path = app_dir.join("slipway.lock");
    let app_lock = lock_path.is_file().then_some(lock_path.as_path());
    if app_lock.is_some() {
        printer.detail("using the app's slipway.lock");
    }
    let lockfile =
        super::stack::lockfile_or_resolve(&source, stack, app_lock, global.refresh).await?;
    let flavor = stack.flavor(&plan.run_flavor).map_err(|known| {
        anyhow::anyhow!(
            "{} has no flavor {} (flavors: {known})",
            stack.name,
            plan.run_flavor
        )
    })?;
    let progress =
        |event: slipway_debian::fetch::FetchEvent| super::stack::report_fetch(printer, &event);
    let compression = compression(args.compression);
    let options = RunImageOptions {
        ca_certs: args.ca_certs.iter().cloned().collect(),
        compression,
    };
    let run_image = source
        .run_image(
            stack,
            &flavor,
            &lockfile,
            &store.layout,
            &options,
            &progress,
        )
        .await?;
    let build_set = match plan.runtime {
        Some(Runtime::Java(version)) => java_build_set(version),
        None => BUILD_SET.to_string(),
    };
    let rootfs = source
        .build_environment(&lockfile, &build_set, &progress)
        .await?;
    let tools = SandboxTools {
        helper: std::env::current_exe()
            .context("finding slipway's own executable for the sandbox helper")?,
        rootfs,
        stack: stack.name.to_string(),
        app_dir: app_dir.to_path_buf(),
        cache_dir: cache_dir.clone(),
        env: env.to_vec(),
    }
    .prepare()
    .with_context(|| format!("preparing {}", cache_dir.display()))?;
    Ok(PreparedStack {
        run_image,
        tools: Box::new(tools),
        cache_dir,
    })
}

/// The buildpack's plan for the app on `stack`: what it needs of it.
fn plan(
    buildpack: &dyn Buildpack,
    app_path: &Path,
    env: &[(String, String)],
    stack: &str,
) -> anyhow::Result<Plan> {
    let java_versions = debian_stack(stack).map_or(&[][..], |s| s.java_versions);
    let offer = StackOffer {
        name: stack,
        java_versions,
    };
    Ok(buildpack.plan(app_path, env, &offer)?)
}

fn report_layers(exported: &Exported, printer: &Printer) {
    for (i, layer) in exported.layers.iter().enumerate() {
        let how = if layer.reused {
            "found in cache"
        } else {
            "new"
        };
        printer.event(
            &format!(
                "layer {} {:<9} {} {}  [{how}]",
                i + 1,
                size(layer.record.size),
                short(&layer.record.digest),
                layer.record.created_by
            ),
            &json!({
                "event": "layer",
                "index": i + 1,
                "digest": layer.record.digest.to_string(),
                "size": layer.record.size,
                "holds": layer.record.created_by,
                "reused": layer.reused,
            }),
        );
    }
}

/// `-t`, else the app directory's name in lower case (as `cf push` names apps after theirs).
fn image_name(tag: Option<&str>, app_path: &Path) -> String {
    tag.map_or_else(
        || {
            let name = app_name_source(app_path)
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            let clean: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "._-".contains(c) {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            let clean = clean.trim_start_matches(['.', '_', '-']);
            if clean.is_empty() {
                "app".into()
            } else {
                clean.to_string()
            }
        },
        str::to_string,
    )
}

/// What names the app: its directory, or for an artifact file the project it was built in
/// (`app/target/app-1.0.war` → `app`), else the file's stem.
fn app_name_source(app_path: &Path) -> std::borrow::Cow<'_, Path> {
    if !app_path.is_file() {
        return app_path.into();
    }
    let parent = app_path.parent();
    match parent.and_then(Path::parent) {
        Some(project) if parent.and_then(Path::file_name) == Some("target".as_ref()) => {
            project.into()
        }
        _ => PathBuf::from(app_path.file_stem().unwrap_or_default()).into(),
    }
}

/// The platforms slipway can build for: the launcher in every image is built for the machine
/// slipway itself runs on, so images are for that architecture (arm64 images come with stacks
/// from Debian packages, whose launcher and base come per architecture).
fn parse_platform(platform: &str) -> anyhow::Result<(&'static str, &'static str)> {
    if platform == "linux/amd64" {
        Ok(("linux", "amd64"))
    } else {
        bail!("unsupported platform {platform:?}: slipway builds linux/amd64 images for now")
    }
}

fn compression(arg: CompressionArg) -> Compression {
    match arg {
        CompressionArg::Gzip => Compression::Gzip,
        CompressionArg::Zstd => Compression::Zstd,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_name_defaults_to_the_directory() {
        assert_eq!(image_name(None, Path::new("/src/Go Hello")), "go-hello");
        assert_eq!(image_name(None, Path::new("/tmp/.tmpXyz")), "tmpxyz");
        assert_eq!(
            image_name(Some("r.example/x:1"), Path::new("/src/a")),
            "r.example/x:1"
        );
    }

    #[test]
    fn platforms() {
        assert_eq!(parse_platform("linux/amd64").unwrap(), ("linux", "amd64"));
        assert!(parse_platform("linux/arm64").is_err());
        assert!(parse_platform("windows/amd64").is_err());
    }
}
