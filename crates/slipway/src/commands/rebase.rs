//! `slipway rebase`: images moved onto the newest run image of their stack and flavor (or the one
//! `--run-image` names), their app layers kept byte for byte, so that a security fix in a Debian
//! package reaches every app without a rebuild. Images in the local store are rebased there, an
//! `oci:DIR` layout in place, and a registry's image in its registry without its app layers
//! crossing the network; `-o` and `--publish` also write store images elsewhere.

mod changes;
mod run_image;
mod target;

use anyhow::{Context, bail};
use serde_json::json;
use slipway_lifecycle::metadata::RUN_IMAGE_LABEL;
use slipway_lifecycle::rebase::rebase;

use self::changes::PackageChanges;
use self::run_image::RunImages;
use self::target::{Target, Written};
use crate::cli::{GlobalArgs, RebaseArgs};
use crate::destinations::{self, Destination};
use crate::printer::{Printer, size};
use crate::settings::Settings;
use crate::store::Store;

/// What became of one image.
struct Outcome {
    /// The image, as named in messages.
    image: String,
    /// Its digest before.
    previous_digest: String,
    /// Its digest now (the same when it was already on the run image).
    digest: String,
    /// The run image, `NAME@DIGEST`.
    run_image: String,
    /// How many base layers were replaced.
    replaced_layers: usize,
    /// How many app layers were kept.
    kept_layers: usize,
    /// The packages that changed.
    changes: PackageChanges,
    /// What writing it back sent, plus what `-o`/`--publish` uploaded.
    written: Written,
    /// What each `-o` did.
    outputs: Vec<serde_json::Value>,
    /// It was on this run image already: nothing was written.
    current: bool,
}

/// Runs `slipway rebase`.
pub async fn run(
    args: &RebaseArgs,
    global: &GlobalArgs,
    settings: &Settings,
    printer: &Printer,
) -> anyhow::Result<()> {
    let destinations = destinations::parse_all(&args.output.outputs, args.output.publish)?;
    let store = Store::open(settings)?;
    let specs = if args.all {
        slipway_built(&store, printer)?
    } else {
        args.images.clone()
    };
    let mut run_images = RunImages::new(args, global, settings, &store, printer);
    let mut outcomes = Vec::new();
    let mut failed = Vec::new();
    for spec in &specs {
        let result = rebase_one(spec, args, &destinations, &store, &mut run_images, printer)
            .await
            .with_context(|| format!("rebasing {spec}"));
        match result {
            Ok(outcome) => outcomes.push(outcome),
            // One image's refusal must not leave the rest of a patch run undone: each is
            // reported, and the exit status says that some failed.
            Err(err) if specs.len() > 1 => {
                crate::errors::report(&err, printer);
                failed.push(spec.clone());
            }
            Err(err) => return Err(err),
        }
    }
    report(&outcomes, printer);
    if !failed.is_empty() {
        bail!(
            "{} of {} images could not be rebased: {}",
            failed.len(),
            specs.len(),
            failed.join(", ")
        );
    }
    Ok(())
}

/// The names of the store's images that slipway built (they record their run image); the others
/// are skipped with a note.
fn slipway_built(store: &Store, printer: &Printer) -> anyhow::Result<Vec<String>> {
    let entries = store.layout.entries().context("reading the local store")?;
    let mut names = Vec::new();
    for entry in entries {
        let Some(name) = entry.name else { continue };
        let image = store
            .layout
            .load_image(entry.descriptor.digest())
            .with_context(|| format!("reading {name} from the local store"))?;
        if image.labels().contains_key(RUN_IMAGE_LABEL) {
            names.push(name);
        } else {
            printer.detail(&format!("skipping {name}: not an app image slipway built"));
        }
    }
    Ok(names)
}

/// Rebases the image `spec` names and writes it back where it was (and to each destination).
async fn rebase_one(
    spec: &str,
    args: &RebaseArgs,
    destinations: &[Destination],
    store: &Store,
    run_images: &mut RunImages<'_>,
    printer: &Printer,
) -> anyhow::Result<Outcome> {
    let located = target::locate(spec, store).await?;
    let reference = match &located.target {
        Target::Store(reference) => Some(reference.clone()),
        Target::Layout { .. } | Target::Registry(_) if !destinations.is_empty() => {
            bail!("-o and --publish write images of the local store; {spec} is not in it")
        }
        Target::Layout { .. } | Target::Registry(_) => None,
    };
    let new_run = run_images.for_image(&located.image, &located.name).await?;
    let step = printer.step(format!("Rebasing {}", located.name));
    let rebased = rebase(
        &located.image,
        &located.name,
        &new_run.image,
        &new_run.name,
        args.force,
    )?;
    let changes = PackageChanges::between(
        run_images.source().ok(),
        rebased.old_run_image.as_ref(),
        &rebased.new_run_image,
    );
    let current = rebased.image.digest == located.image.digest
        || rebased
            .old_run_image
            .as_ref()
            .is_some_and(|old| old.digest == rebased.new_run_image.digest);
    let mut outcome = Outcome {
        image: located.name.clone(),
        previous_digest: located.image.digest.to_string(),
        digest: located.image.digest.to_string(),
        run_image: format!("{}@{}", new_run.name, new_run.image.digest),
        replaced_layers: rebased.replaced_layers,
        kept_layers: rebased.kept_layers.len(),
        changes,
        written: Written::default(),
        outputs: Vec::new(),
        current,
    };
    if current {
        step.done();
        return Ok(outcome);
    }
    outcome.written = located.write_back(&rebased.image, store, printer).await?;
    step.done();
    if let Some(reference) = reference {
        outcome.outputs =
            destinations::write_all(destinations, &rebased.image, &reference, store, printer)
                .await?;
        for output in &outcome.outputs {
            let count = |key: &str| output.get(key).and_then(serde_json::Value::as_u64);
            outcome.written.blobs += usize::try_from(count("uploaded_blobs").unwrap_or(0))?;
            outcome.written.bytes += count("uploaded_bytes").unwrap_or(0);
        }
    }
    outcome.digest = rebased.image.digest.to_string();
    Ok(outcome)
}

/// Prints every image's outcome: lines for a person, the new digests with `--quiet`, and one
/// result with `--json`.
fn report(outcomes: &[Outcome], printer: &Printer) {
    let human: Vec<String> = outcomes.iter().map(human).collect();
    let quiet: Vec<&str> = outcomes.iter().map(|o| o.digest.as_str()).collect();
    let json: Vec<serde_json::Value> = outcomes.iter().map(to_json).collect();
    printer.result(
        &human.join("\n"),
        &quiet.join("\n"),
        &json!({"images": json}),
    );
}

/// `Rebased NAME onto RUN@DIGEST: 3 base layers replaced, 5 app layers kept`, the package
/// changes, and the new digest.
fn human(outcome: &Outcome) -> String {
    if outcome.current {
        return format!(
            "{} is already on this run image ({})\n  digest: {}",
            outcome.image, outcome.run_image, outcome.digest
        );
    }
    let mut lines = vec![format!(
        "Rebased {} onto {}: {} base layers replaced, {} app layers kept",
        outcome.image, outcome.run_image, outcome.replaced_layers, outcome.kept_layers
    )];
    lines.extend(outcome.changes.lines());
    if outcome.changes == PackageChanges::Known(Vec::new()) {
        lines.push("  no package changed".into());
    }
    if outcome.written.blobs > 0 {
        lines.push(format!(
            "  sent {} blob(s), {}",
            outcome.written.blobs,
            size(outcome.written.bytes)
        ));
    }
    lines.push(format!("  digest: {}", outcome.digest));
    lines.join("\n")
}

fn to_json(outcome: &Outcome) -> serde_json::Value {
    json!({
        "image": outcome.image,
        "previous_digest": outcome.previous_digest,
        "digest": outcome.digest,
        "run_image": outcome.run_image,
        "already_current": outcome.current,
        "replaced_layers": outcome.replaced_layers,
        "kept_layers": outcome.kept_layers,
        "changes": outcome.changes.to_json(),
        "uploaded_blobs": outcome.written.blobs,
        "uploaded_bytes": outcome.written.bytes,
        "outputs": outcome.outputs,
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use slipway_debian::lockfile::Change;

    use super::*;
    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> Result<RebaseArgs, clap::Error> {
        let cli = Cli::try_parse_from([&["slipway", "rebase"], args].concat())?;
        match cli.command {
            Command::Rebase(args) => Ok(args),
            other => panic!("parsed as {other:?}"),
        }
    }

    fn outcome(changes: PackageChanges) -> Outcome {
        Outcome {
            image: "app".into(),
            previous_digest: "sha256:old".into(),
            digest: "sha256:new".into(),
            run_image: "slipway/debian-13-java-21-tomcat@sha256:run".into(),
            replaced_layers: 3,
            kept_layers: 5,
            changes,
            written: Written {
                blobs: 2,
                bytes: 2048,
            },
            outputs: Vec::new(),
            current: false,
        }
    }

    #[test]
    fn images_or_all_but_not_both_nor_neither() {
        let args = parse(&["app", "oci:out:v1", "-l", "slipway.lock", "-o", "daemon"]).unwrap();
        assert_eq!(args.images, ["app", "oci:out:v1"]);
        assert_eq!(args.lockfile.as_deref(), Some("slipway.lock".as_ref()));
        assert!(!args.all && !args.force && !args.output.publish);
        assert!(parse(&["--all", "--publish"]).unwrap().all);
        assert!(parse(&[]).is_err());
        assert!(parse(&["app", "--all"]).is_err());
    }

    #[test]
    fn a_lockfile_and_a_named_run_image_exclude_each_other() {
        assert!(parse(&["app", "-l", "x.lock", "--run-image", "run"]).is_err());
        let args = parse(&["app", "--run-image", "run", "--force"]).unwrap();
        assert_eq!(args.run_image.as_deref(), Some("run"));
        assert!(args.force);
    }

    #[test]
    fn the_summary_names_the_run_image_the_layers_and_each_change() {
        let changes = PackageChanges::Known(vec![Change {
            name: "openssl".into(),
            old: Some("3.5.1-1".into()),
            new: Some("3.5.4-1~deb13u1".into()),
        }]);
        assert_eq!(
            human(&outcome(changes)),
            "Rebased app onto slipway/debian-13-java-21-tomcat@sha256:run: 3 base layers \
             replaced, 5 app layers kept\n  openssl 3.5.1-1 -> 3.5.4-1~deb13u1\n  sent 2 \
             blob(s), 2.00 KiB\n  digest: sha256:new"
        );
        let json = to_json(&outcome(PackageChanges::Known(Vec::new())));
        assert_eq!(json["kept_layers"], 5);
        assert_eq!(json["changes"], json!([]));
        assert_eq!(json["uploaded_bytes"], 2048);
    }

    #[test]
    fn an_image_already_on_the_run_image_says_so() {
        let mut same = outcome(PackageChanges::Known(Vec::new()));
        same.current = true;
        same.digest = same.previous_digest.clone();
        assert_eq!(
            human(&same),
            "app is already on this run image (slipway/debian-13-java-21-tomcat@sha256:run)\n  \
             digest: sha256:old"
        );
    }
}
