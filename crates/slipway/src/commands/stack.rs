//! `slipway stack`: the stacks there are, resolving and updating their lockfiles, and writing a
//! stack's run image on its own.

use std::path::Path;

use anyhow::{Context, bail};
use serde_json::json;
use slipway_debian::archive::SuiteSet;
use slipway_debian::fetch::FetchEvent;
use slipway_debian::lockfile::Lockfile;
use slipway_lifecycle::{ExportOptions, export_run_image};
use slipway_oci::Compression;
use slipway_oci::tar_writer::reproducible_epoch;
use slipway_stack::debian::{DebianSource, RunImageOptions};
use slipway_stack::debian_stacks::{DEBIAN_STACKS, DebianStack, debian_stack};
use slipway_stack::{RunImage, STACKS, StackOptions};

use crate::cli::{GlobalArgs, StackBuildArgs, StackExecArgs, StackResolveArgs, StackUpdateArgs};
use crate::destinations;
use crate::printer::{Printer, size};
use crate::settings::Settings;
use crate::store::{Store, display_name, parse_name};

/// Runs `slipway stack list`.
pub fn list(printer: &Printer) {
    let mut rows: Vec<(String, String)> = STACKS
        .iter()
        .map(|s| (s.name.to_string(), s.description.to_string()))
        .collect();
    for stack in DEBIAN_STACKS {
        let flavors: Vec<String> = stack.flavors().into_iter().map(|f| f.name).collect();
        rows.push((
            stack.name.to_string(),
            format!(
                "Debian {} ({}); flavors: {}",
                stack.version,
                stack.codename,
                flavors.join(", ")
            ),
        ));
    }
    let text = rows
        .iter()
        .map(|(n, d)| format!("{n:<12} {d}"))
        .collect::<Vec<_>>()
        .join("\n");
    let names = rows
        .iter()
        .map(|(n, _)| n.clone())
        .collect::<Vec<_>>()
        .join("\n");
    let json: Vec<_> = rows
        .iter()
        .map(|(n, d)| json!({"name": n, "description": d}))
        .collect();
    printer.result(&text, &names, &json!(json));
}

fn debian(name: &str) -> anyhow::Result<&'static DebianStack> {
    debian_stack(name).with_context(|| {
        let names: Vec<&str> = DEBIAN_STACKS.iter().map(|s| s.name).collect();
        format!(
            "there is no Debian stack named {name:?} (stacks: {})",
            names.join(", ")
        )
    })
}

pub(crate) fn source(global: &GlobalArgs, settings: &Settings) -> anyhow::Result<DebianSource> {
    Ok(DebianSource::new(
        global.debian_mirror.as_deref(),
        global.keyring.as_deref(),
        &settings.debian_cache(),
        &settings.cache_dir,
    )?)
}

/// Runs `slipway stack resolve`.
pub async fn resolve(
    args: &StackResolveArgs,
    global: &GlobalArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<()> {
    let stack = debian(&args.stack)?;
    let suites = if args.release_only {
        SuiteSet::RELEASE_ONLY
    } else {
        SuiteSet::ALL
    };
    let step = printer.step(format!("Resolving {} for {}", stack.name, args.arch));
    let lockfile = source(global, settings)?
        .resolve(stack, &args.arch, suites, global.refresh)
        .await?;
    step.done();
    write_lockfile(&args.lockfile, &lockfile)?;
    printer.result(
        &format!("Wrote {} ({} packages, suites {})", args.lockfile.display(), lockfile.packages.len(), lockfile.suites.join(", ")),
        &args.lockfile.display().to_string(),
        &json!({"lockfile": args.lockfile, "packages": lockfile.packages.len(), "digest": lockfile.digest()?.to_string()}),
    );
    Ok(())
}

/// Runs `slipway stack update`.
pub async fn update(
    args: &StackUpdateArgs,
    global: &GlobalArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<()> {
    let old = read_lockfile(&args.lockfile)?;
    let stack = debian(&old.stack)?;
    let step = printer.step(format!(
        "Resolving {} with its -updates and -security suites",
        stack.name
    ));
    let new = source(global, settings)?
        .resolve(stack, &old.architecture, SuiteSet::ALL, global.refresh)
        .await?;
    step.done();
    let changes = Lockfile::diff(&old, &new);
    write_lockfile(&args.lockfile, &new)?;
    let lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
    let human = if lines.is_empty() {
        format!("{} is up to date", args.lockfile.display())
    } else {
        format!(
            "Updated {}: {} package(s) changed\n  {}",
            args.lockfile.display(),
            lines.len(),
            lines.join("\n  ")
        )
    };
    let json: Vec<_> = changes
        .iter()
        .map(|c| json!({"package": c.name, "old": c.old, "new": c.new}))
        .collect();
    printer.result(
        &human,
        &lines.join("\n"),
        &json!({"lockfile": args.lockfile, "changes": json}),
    );
    Ok(())
}

/// Runs `slipway stack build`.
pub async fn build(
    args: &StackBuildArgs,
    global: &GlobalArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<()> {
    let destinations = destinations::parse_all(&args.output.outputs, args.output.publish)?;
    let store = Store::open(settings)?;
    let step = printer.step(format!(
        "Building the run image of stack {} ({})",
        args.stack, args.flavor
    ));
    let run_image = run_image_of(args, global, settings, &store, printer).await?;
    let reference = parse_name(&args.tag.clone().unwrap_or_else(|| run_image.name.clone()))?;
    let options = ExportOptions {
        compression: Compression::Gzip,
        os: "linux",
        arch: "amd64",
        created: reproducible_epoch(),
        reuse_layers: true,
    };
    let mut exported = export_run_image(&store.layout, &run_image, &options)?;
    exported.image = args.media_types.apply(exported.image)?;
    store.tag(&exported.image, &reference)?;
    for layer in &exported.layers {
        printer.detail(&format!(
            "layer {:>10}  {}",
            size(layer.record.size),
            layer.record.created_by
        ));
    }
    step.done();
    let written =
        destinations::write_all(&destinations, &exported.image, &reference, &store, printer)
            .await?;
    let digest = exported.image.digest.to_string();
    printer.result(
        &format!("Built {} image {}\n  digest: {digest}\n  size:   {}",
            if args.build { "build" } else { "run" }, display_name(&reference), size(exported.image.total_size())),
        &digest,
        &json!({"image": display_name(&reference), "digest": digest, "size": exported.image.total_size(), "outputs": written}),
    );
    Ok(())
}

/// The run image `args` asks for: the scratch stack's, or a Debian stack flavor's.
pub async fn run_image_of(
    args: &StackBuildArgs,
    global: &GlobalArgs,
    settings: &Settings,
    store: &Store,
    printer: &Printer,
) -> anyhow::Result<RunImage> {
    let Some(stack) = debian_stack(&args.stack) else {
        if args.flavor != "base" {
            bail!("the {} stack has no flavors", args.stack);
        }
        return Ok(slipway_stack::run_image(
            &args.stack,
            &StackOptions {
                ca_bundle: None,
                extra_ca_certs: args.ca_certs.iter().cloned().collect(),
            },
        )?);
    };
    let flavor = stack.flavor(&args.flavor).map_err(|known| {
        anyhow::anyhow!(
            "{} has no flavor {:?} (flavors: {known})",
            stack.name,
            args.flavor
        )
    })?;
    let source = source(global, settings)?;
    let lockfile =
        lockfile_or_resolve(&source, stack, args.lockfile.as_deref(), global.refresh).await?;
    let options = RunImageOptions {
        ca_certs: args.ca_certs.iter().cloned().collect(),
        compression: Compression::Gzip,
    };
    let progress = |event: FetchEvent| report_fetch(printer, &event);
    if args.build {
        return Ok(source
            .build_image(stack, &lockfile, &store.layout, &options, &progress)
            .await?);
    }
    Ok(source
        .run_image(
            stack,
            &flavor,
            &lockfile,
            &store.layout,
            &options,
            &progress,
        )
        .await?)
}

/// Runs `slipway stack exec`: the command's output goes straight through, and its exit status
/// becomes slipway's.
pub async fn exec(
    args: &StackExecArgs,
    global: &GlobalArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<()> {
    let stack = debian(&args.stack)?;
    let source = source(global, settings)?;
    let lockfile =
        lockfile_or_resolve(&source, stack, args.lockfile.as_deref(), global.refresh).await?;
    let step = printer.step(format!("Preparing the {} build environment", stack.name));
    let progress = |event: FetchEvent| report_fetch(printer, &event);
    let set = match args.java {
        Some(version) if stack.java_versions.contains(&version) => {
            slipway_stack::debian_stacks::java_build_set(version)
        }
        Some(version) => bail!(
            "{} has no Java {version} (it has {})",
            stack.name,
            stack
                .java_versions
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => slipway_stack::debian::BUILD_SET.to_string(),
    };
    let rootfs = source.build_environment(&lockfile, &set, &progress).await?;
    step.done();
    let mut spec = slipway_sandbox::SandboxSpec::new(&rootfs, args.command.clone());
    let here = std::env::current_dir().context("reading the current directory")?;
    spec.binds
        .push(slipway_sandbox::Bind::read_only(here, "/workspace"));
    spec.workdir = "/workspace".into();
    spec.env.push(("HOME".into(), "/home/cnb".into()));
    let helper = std::env::current_exe()
        .context("finding slipway's own executable for the sandbox helper")?;
    let status = tokio::task::block_in_place(|| {
        slipway_sandbox::run(&helper, &spec, |stream, line| {
            printer.passthrough(line, matches!(stream, slipway_sandbox::Stream::Stderr));
        })
    })
    .context("running the command in the build environment")?;
    if !status.success() {
        std::process::exit(status.code().unwrap_or(1));
    }
    Ok(())
}

/// Shows a `.deb` download (with its size) or retry as a detail line of the current step.
pub fn report_fetch(printer: &Printer, event: &FetchEvent) {
    match event {
        FetchEvent::Downloading { name, size: bytes } => {
            printer.detail(&format!("downloading {name} ({})", size(*bytes)));
        }
        FetchEvent::Retrying {
            name,
            attempt,
            reason,
        } => printer.detail(&format!("retrying {name} ({attempt}): {reason}")),
        FetchEvent::Cached { .. } | FetchEvent::Done { .. } => {}
    }
}

/// The lockfile at `path`, else a resolution of `stack` against the current indexes (made at
/// most a day ago, or now with `--refresh`).
pub async fn lockfile_or_resolve(
    source: &DebianSource,
    stack: &DebianStack,
    path: Option<&Path>,
    refresh: bool,
) -> anyhow::Result<Lockfile> {
    match path {
        Some(path) => read_lockfile(path),
        None => Ok(source
            .resolve_cached(stack, "amd64", SuiteSet::ALL, refresh)
            .await?),
    }
}

fn read_lockfile(path: &Path) -> anyhow::Result<Lockfile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the lockfile {}", path.display()))?;
    Lockfile::parse(&text).with_context(|| format!("reading the lockfile {}", path.display()))
}

fn write_lockfile(path: &Path, lockfile: &Lockfile) -> anyhow::Result<()> {
    let text = lockfile.to_toml()?;
    slipway_oci::layout::atomic_write(path, text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}
