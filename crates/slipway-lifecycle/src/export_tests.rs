use super::*;
use crate::buildpack::{BuildContext, BuildpackError, ContributedLayer, ProcessType};
use slipway_oci::BlobSource;
use std::path::Path;

pub(crate) struct Fixture;

impl Buildpack for Fixture {
    fn id(&self) -> &'static str {
        "test/fixture"
    }
    fn version(&self) -> &'static str {
        "1.0.0"
    }
    fn looks_for(&self) -> &'static str {
        "anything"
    }
    fn detect(&self, _: &Path) -> bool {
        true
    }
    fn build(&self, _: &BuildContext<'_>) -> Result<BuildOutput, BuildpackError> {
        Ok(output("v1"))
    }
}

pub(crate) fn output(version: &str) -> BuildOutput {
    let mut content = LayerBuilder::new();
    content.file(
        "layers/test_fixture/app/bin/app",
        0o755,
        format!("binary {version}"),
    );
    BuildOutput {
        layers: vec![ContributedLayer {
            name: "app".into(),
            description: "app binary".into(),
            content,
        }],
        processes: vec![ProcessType {
            name: "web".into(),
            command: vec!["/layers/test_fixture/app/bin/app".into()],
            ..ProcessType::default()
        }],
        launch_env: vec![],
        port: Some(8080),
        labels: vec![],
    }
}

fn run_image() -> RunImage {
    let mut base = LayerBuilder::new();
    base.file("etc/passwd", 0o644, "root:x:0:0::/:/x\n");
    RunImage {
        stack: "scratch".into(),
        name: "slipway/stack-scratch".into(),
        layers: vec![slipway_stack::RunLayer::Built(
            base.build().unwrap(),
            "stack".into(),
        )],
        env: vec![("PATH".into(), "/cnb/process".into())],
        user: "1000:1000".into(),
        labels: vec![],
    }
}

pub(crate) const OPTIONS: ExportOptions<'static> = ExportOptions {
    compression: Compression::Gzip,
    os: "linux",
    arch: "amd64",
    created: 315_532_801,
    reuse_layers: true,
};

#[test]
fn image_runs_the_web_process_as_non_root_through_the_launcher() {
    let dir = tempfile::tempdir().unwrap();
    let store = OciLayout::create(dir.path()).unwrap();
    let exported = export(&store, &run_image(), &Fixture, &output("v1"), &OPTIONS).unwrap();
    let config = exported.image.config.config().clone().unwrap();
    assert_eq!(config.user().as_deref(), Some("1000:1000"));
    assert_eq!(
        config.entrypoint().clone().unwrap(),
        vec!["/cnb/process/web".to_string()]
    );
    assert_eq!(
        config.exposed_ports().clone().unwrap(),
        vec!["8080/tcp".to_string()]
    );
    assert_eq!(
        exported.image.config.created().as_deref(),
        Some("1980-01-01T00:00:01Z")
    );
    let labels = exported.image.labels();
    let meta: BuildMetadata = serde_json::from_str(&labels[BUILD_METADATA_LABEL]).unwrap();
    assert_eq!(
        meta.processes[0].command,
        vec!["/layers/test_fixture/app/bin/app".to_string()]
    );
    assert_eq!(exported.layers.len(), 4);
    for layer in &exported.layers {
        assert!(store.has_blob(&layer.record.digest));
    }
}

#[test]
fn a_rebuild_reuses_every_layer_but_the_changed_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = OciLayout::create(dir.path()).unwrap();
    let first = export(&store, &run_image(), &Fixture, &output("v1"), &OPTIONS).unwrap();
    let same = export(&store, &run_image(), &Fixture, &output("v1"), &OPTIONS).unwrap();
    assert_eq!(first.image.digest, same.image.digest);
    assert!(same.layers.iter().all(|l| l.reused));
    let changed = export(&store, &run_image(), &Fixture, &output("v2"), &OPTIONS).unwrap();
    let reused: Vec<bool> = changed.layers.iter().map(|l| l.reused).collect();
    assert_eq!(reused, vec![true, true, false, true]);
}

#[test]
fn epoch_formats_as_rfc3339() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(315_532_801), "1980-01-01T00:00:01Z");
    assert_eq!(rfc3339(1_709_251_199), "2024-02-29T23:59:59Z");
}

#[test]
fn the_app_image_records_the_digest_of_its_run_image() {
    let dir = tempfile::tempdir().unwrap();
    let store = OciLayout::create(dir.path()).unwrap();
    let app = export(&store, &run_image(), &Fixture, &output("v1"), &OPTIONS).unwrap();
    let base = crate::export_run_image(&store, &run_image(), &OPTIONS).unwrap();
    let annotations = app.image.manifest.annotations().clone().unwrap();
    assert_eq!(
        annotations["org.opencontainers.image.base.digest"],
        base.image.digest.to_string()
    );
    assert_eq!(app.image.layers()[0].digest, base.image.layers()[0].digest);
}
