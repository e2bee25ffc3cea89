//! End-to-end: loading an image into Podman through its Docker-compatible API
//! (`podman system service`, started on a socket in a temp dir by slipway-testkit), checked both
//! through the API and with the `podman` CLI.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use slipway_engine::{Engine, EngineError};
use slipway_oci::oci_spec::image::{Arch, ImageConfigurationBuilder, Os};
use slipway_oci::{Compression, Image, LayerBuilder, LayerRecord, OciLayout};
use slipway_testkit::{Podman, PodmanService, tiny_image};

/// A tag no other run uses, so that runs sharing Podman's storage do not meet.
fn unique_tag() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("t{}-{nanos}", std::process::id())
}

#[tokio::test]
#[ignore = "end-to-end: needs podman"]
async fn an_image_loaded_into_podman_is_there_by_both_names_and_can_be_removed() {
    let service = PodmanService::start();
    let engine = Engine::connect_to(&service.docker_host())
        .await
        .expect("connecting to podman");
    engine.ping().await.expect("ping");
    let version = engine.version().await.expect("version");
    assert_eq!(version.name, "Podman", "{version:?}");
    assert!(!version.api_version.is_empty());

    let store = tempfile::tempdir().expect("tempdir");
    let layout = OciLayout::create(store.path()).expect("layout");
    let image = tiny_image(&layout, "loaded by slipway\n");
    let tag = unique_tag();
    let short = format!("slipway-engine-e2e:{tag}");
    let with_registry = format!("127.0.0.1:5000/slipway/engine-e2e:{tag}");

    let report = engine
        .load_image(&image, &layout, &[short.clone(), with_registry.clone()])
        .await
        .expect("load");
    let config_hex = image.config_descriptor().digest().digest();
    assert_eq!(
        report.image_id.trim_start_matches("sha256:"),
        config_hex,
        "{report:?}"
    );
    assert!(
        report.names.contains(&format!("localhost/{short}")),
        "{report:?}"
    );
    assert!(report.names.contains(&with_registry), "{report:?}");
    assert!(
        report
            .messages
            .iter()
            .any(|m| m.starts_with("Loaded image")),
        "{report:?}"
    );

    assert!(engine.image_exists(&short).await.expect("exists"));
    assert!(engine.image_exists(&with_registry).await.expect("exists"));
    assert!(
        Podman::image_exists(&format!("localhost/{short}")),
        "the podman CLI does not see the image"
    );

    assert!(engine.remove_image(&short).await.expect("remove"));
    assert!(engine.remove_image(&with_registry).await.expect("remove"));
    assert!(!engine.image_exists(&short).await.expect("exists"));
    assert!(!engine.image_exists(&with_registry).await.expect("exists"));
    assert!(
        !engine
            .remove_image(&short)
            .await
            .expect("removing a missing image")
    );
    assert!(!Podman::image_exists(&format!("localhost/{short}")));
}

#[tokio::test]
#[ignore = "end-to-end: needs podman"]
async fn a_missing_layer_is_reported_before_anything_is_sent() {
    let service = PodmanService::start();
    let engine = Engine::connect_to(&service.docker_host())
        .await
        .expect("connecting to podman");
    let store = tempfile::tempdir().expect("tempdir");
    let image = tiny_image(&OciLayout::create(store.path()).expect("layout"), "lost\n");
    let empty_dir = tempfile::tempdir().expect("tempdir");
    let empty = OciLayout::create(empty_dir.path()).expect("empty layout");
    let err = engine
        .load_image(
            &image,
            &empty,
            &[format!("slipway-engine-e2e:{}", unique_tag())],
        )
        .await
        .expect_err("the layer is not in the store");
    assert!(matches!(err, EngineError::Archive { .. }), "{err:?}");
    assert!(err.hint().is_some());
}

#[tokio::test]
#[ignore = "end-to-end: needs podman"]
async fn an_archive_the_engine_rejects_is_an_api_error_naming_the_load() {
    let service = PodmanService::start();
    let engine = Engine::connect_to(&service.docker_host())
        .await
        .expect("connecting to podman");
    let store = tempfile::tempdir().expect("tempdir");
    let layout = OciLayout::create(store.path()).expect("layout");
    let mut builder = LayerBuilder::with_epoch(1);
    builder.file("hello.txt", 0o644, "mislabelled\n");
    let layer = builder
        .build()
        .expect("layer")
        .compress(Compression::Gzip)
        .expect("gzip");
    layout.write_blob(&layer.blob).expect("storing the layer");
    let mut record = LayerRecord::of(&layer, "hello.txt");
    // A diff_id that is not the layer's: the engine must refuse the archive.
    record.diff_id = slipway_oci::sha256_digest(b"something else");
    let config = ImageConfigurationBuilder::default()
        .architecture(Arch::Amd64)
        .os(Os::Linux)
        .build()
        .expect("config");
    let image = Image::assemble(config, &[record], &BTreeMap::new()).expect("assembling");
    let tag = format!("slipway-engine-e2e:{}", unique_tag());
    let err = engine
        .load_image(&image, &layout, std::slice::from_ref(&tag))
        .await
        .expect_err("a wrong diff_id");
    assert!(matches!(err, EngineError::Api { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("loading {tag} into the engine at {}", service.docker_host())
    );
    assert!(!engine.image_exists(&tag).await.expect("exists"));
}
