//! Rebase over images made by `export`: what is kept, what is replaced, and each refusal.

use slipway_oci::{LayerBuilder, OciLayout};
use slipway_stack::{RunImage, RunLayer};

use super::*;
use crate::export::tests::{Fixture, OPTIONS, output};
use crate::export::{ExportOptions, export};

/// A Debian-like run image of `stack` and `flavor`, whose `/etc/os-release` says `patch`.
fn run_image(stack: &str, flavor: &str, patch: &str) -> RunImage {
    let mut base = LayerBuilder::new();
    base.file("etc/os-release", 0o644, format!("VERSION={patch}\n"));
    let mut runtime = LayerBuilder::new();
    runtime.file("usr/lib/jvm/release", 0o644, format!("{flavor} {patch}\n"));
    RunImage {
        stack: stack.into(),
        name: format!("slipway/{stack}-{flavor}"),
        layers: vec![
            RunLayer::Built(base.build().unwrap(), "base".into()),
            RunLayer::Built(runtime.build().unwrap(), flavor.into()),
        ],
        env: vec![
            ("PATH".into(), "/cnb/process:/usr/bin".into()),
            ("JAVA_HOME".into(), format!("/usr/lib/jvm/{flavor}-{patch}")),
        ],
        user: "1000:1000".into(),
        labels: vec![
            (FLAVOR_LABEL.into(), flavor.into()),
            (LOCKFILE_DIGEST_LABEL.into(), format!("sha256:lock-{patch}")),
        ],
    }
}

struct Images {
    _dir: tempfile::TempDir,
    store: OciLayout,
}

impl Images {
    fn new() -> Images {
        let dir = tempfile::tempdir().unwrap();
        let store = OciLayout::create(dir.path()).unwrap();
        Images { _dir: dir, store }
    }

    fn app(&self, run: &RunImage) -> Image {
        export(&self.store, run, &Fixture, &output("v1"), &OPTIONS)
            .unwrap()
            .image
    }

    fn run(&self, run: &RunImage) -> Image {
        crate::export_run_image(&self.store, run, &OPTIONS)
            .unwrap()
            .image
    }
}

#[test]
fn app_layers_are_kept_and_the_run_images_are_replaced_with_its_environment() {
    let images = Images::new();
    let old_run = run_image("debian-13", "java-21", "1");
    let new_run = run_image("debian-13", "java-21", "2");
    let app = images.app(&old_run);
    let patched = images.run(&new_run);
    let rebased = rebase(&app, "app", &patched, &new_run.name, false).unwrap();

    assert_eq!(rebased.replaced_layers, 2);
    let layers = rebased.image.layers();
    assert_eq!(layers[..2], patched.layers()[..]);
    assert_eq!(
        layers[2..],
        app.layers()[2..],
        "launcher, app and launch config kept"
    );
    let env = rebased
        .image
        .config
        .config()
        .clone()
        .unwrap()
        .env()
        .clone()
        .unwrap();
    assert!(
        env.contains(&"JAVA_HOME=/usr/lib/jvm/java-21-2".to_string()),
        "{env:?}"
    );
    assert!(!env.iter().any(|e| e.ends_with("java-21-1")), "{env:?}");
    assert!(
        env.contains(&"PORT=8080".to_string()),
        "the app's own env stays: {env:?}"
    );
    let labels = rebased.image.labels();
    let record: RunImageRecord = serde_json::from_str(&labels[RUN_IMAGE_LABEL]).unwrap();
    assert_eq!(record.lockfile, "sha256:lock-2");
    assert_eq!(record.digest, patched.digest.to_string());
    assert_eq!(record.env_keys, ["PATH", "JAVA_HOME"]);
    let lifecycle: LifecycleMetadata =
        serde_json::from_str(&labels[LIFECYCLE_METADATA_LABEL]).unwrap();
    assert_eq!(lifecycle.run_image.top_layer, layers[1].diff_id.to_string());
    assert_eq!(rebased.old_run_image.unwrap().lockfile, "sha256:lock-1");
}

#[test]
fn the_same_rebase_gives_the_same_digest_and_a_rebase_back_gives_the_original() {
    let images = Images::new();
    let (old_run, new_run) = (
        run_image("debian-13", "java-21", "1"),
        run_image("debian-13", "java-21", "2"),
    );
    let app = images.app(&old_run);
    let patched = images.run(&new_run);
    let once = rebase(&app, "app", &patched, &new_run.name, false).unwrap();
    let twice = rebase(&app, "app", &patched, &new_run.name, false).unwrap();
    assert_eq!(once.image.digest, twice.image.digest);
    let back = rebase(
        &once.image,
        "app",
        &images.run(&old_run),
        &old_run.name,
        false,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&back.image.config_bytes),
        String::from_utf8_lossy(&app.config_bytes)
    );
    assert_eq!(
        String::from_utf8_lossy(&back.image.manifest_bytes),
        String::from_utf8_lossy(&app.manifest_bytes)
    );
    assert_eq!(back.image.digest, app.digest);
}

#[test]
fn refusals_name_what_differs() {
    let images = Images::new();
    let app = images.app(&run_image("debian-13", "java-21-tomcat", "1"));
    let refuse = |run: RunImage| {
        let image = images.run(&run);
        rebase(&app, "app", &image, &run.name, true)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        refuse(run_image("debian-12", "java-21-tomcat", "1")),
        "app is built on stack io.slipway.stacks.debian-13, and the run image is of stack \
         io.slipway.stacks.debian-12"
    );
    assert_eq!(
        refuse(run_image("debian-13", "java-25-tomcat", "1")),
        "app runs on java-21, and the run image has java-25: a new runtime major version needs \
         a rebuild"
    );
    assert_eq!(
        refuse(run_image("debian-13", "java-21", "1")),
        "app runs on the java-21-tomcat flavor, and the run image is java-21"
    );
    let arm = {
        let run = run_image("debian-13", "java-21-tomcat", "1");
        let options = ExportOptions {
            arch: "arm64",
            ..OPTIONS
        };
        crate::export_run_image(&images.store, &run, &options)
            .unwrap()
            .image
    };
    assert_eq!(
        rebase(&app, "app", &arm, "slipway/debian-13-java-21-tomcat", true)
            .unwrap_err()
            .to_string(),
        "app is for linux/amd64, and the run image is for linux/arm64"
    );
}

#[test]
fn an_image_no_buildpack_built_is_refused_even_with_force() {
    let images = Images::new();
    let run = run_image("debian-13", "java-21", "1");
    let patched = images.run(&run);
    // A run image has no lifecycle label: it is no app image.
    let err = rebase(&patched, "plain", &patched, &run.name, true).unwrap_err();
    assert!(
        matches!(err, RebaseError::NotBuildpackBuilt { .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("plain was not built by slipway"),
        "{err}"
    );
}

#[test]
fn a_run_image_the_app_does_not_name_needs_force() {
    let images = Images::new();
    let run = run_image("debian-13", "java-21", "1");
    let app = images.app(&run);
    let mirror = images.run(&run);
    let err = rebase(
        &app,
        "app",
        &mirror,
        "registry.example/mirror/run:21",
        false,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "app was built on run image slipway/debian-13-java-21, not registry.example/mirror/run:21 \
         (--force rebases anyway)"
    );
    assert!(rebase(&app, "app", &mirror, "registry.example/mirror/run:21", true).is_ok());
}

#[test]
fn an_image_with_docker_media_types_keeps_them() {
    let images = Images::new();
    let (old_run, new_run) = (
        run_image("debian-13", "java-21", "1"),
        run_image("debian-13", "java-21", "2"),
    );
    let app = images.app(&old_run).with_docker_media_types().unwrap();
    let rebased = rebase(&app, "app", &images.run(&new_run), &new_run.name, false).unwrap();
    assert!(rebased.image.has_docker_media_types());
    let types: Vec<String> = rebased
        .image
        .manifest
        .layers()
        .iter()
        .map(|l| l.media_type().to_string())
        .collect();
    assert!(
        types
            .iter()
            .all(|t| t == "application/vnd.docker.image.rootfs.diff.tar.gzip"),
        "{types:?}"
    );
}
