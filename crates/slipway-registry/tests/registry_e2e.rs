//! End-to-end: pushing to and pulling from a real registry (Debian's `docker-registry`, started on
//! a free 127.0.0.1 port by slipway-testkit), asserting on what the registry itself reports.

use std::net::TcpListener;
use std::sync::Mutex;

use slipway_oci::{BlobSource, OciLayout};
use slipway_registry::{
    Keychain, PushEvent, Reference, RegistryClient, RegistryError, pull_image, push_image,
};
use slipway_testkit::{Registry, tiny_image};

fn reference(registry: &Registry, repo_and_tag: &str) -> Reference {
    format!("{}/{repo_and_tag}", registry.host())
        .parse()
        .expect("a valid reference")
}

#[tokio::test]
#[ignore = "end-to-end: needs docker-registry"]
async fn push_is_what_the_registry_reports_and_a_second_push_uploads_nothing() {
    let registry = Registry::start();
    let store = tempfile::tempdir().expect("tempdir");
    let layout = OciLayout::create(store.path()).expect("layout");
    let image = tiny_image(&layout, "hello from slipway\n");
    let target = reference(&registry, "slipway/e2e:v1");
    let events = Mutex::new(Vec::new());
    let record = |e: PushEvent| events.lock().expect("events").push(e);

    let report = push_image(&image, &layout, &target, &Keychain::anonymous(), &record)
        .await
        .expect("first push");
    assert_eq!(
        registry.manifest_digest("slipway/e2e", "v1"),
        Some(image.digest.to_string())
    );
    assert_eq!((report.uploaded_blobs, report.skipped_blobs), (2, 0));
    assert_eq!(report.digest, image.digest);
    assert_eq!(
        report.reference,
        format!("{}/slipway/e2e@{}", registry.host(), image.digest)
    );
    assert_eq!(registry.uploaded_blob_count(), 2, "{}", registry.log());
    let layer_size = image.layers()[0].size;
    assert_eq!(
        report.uploaded_bytes,
        layer_size + image.config_bytes.len() as u64
    );
    assert!(
        events
            .lock()
            .expect("events")
            .contains(&PushEvent::ManifestPushed {
                digest: image.digest.clone()
            })
    );

    let again = push_image(&image, &layout, &target, &Keychain::anonymous(), &|_| {})
        .await
        .expect("second push");
    assert_eq!(
        (
            again.uploaded_blobs,
            again.uploaded_bytes,
            again.skipped_blobs
        ),
        (0, 0, 2)
    );
    assert_eq!(again.digest, image.digest);
    assert_eq!(
        registry.uploaded_blob_count(),
        2,
        "the second push uploaded blobs:\n{}",
        registry.log()
    );

    let fresh_dir = tempfile::tempdir().expect("tempdir");
    let fresh = OciLayout::create(fresh_dir.path()).expect("fresh layout");
    let pulled = pull_image(&target, &Keychain::anonymous(), &fresh)
        .await
        .expect("pull");
    assert_eq!(pulled.digest, image.digest);
    assert_eq!(pulled.manifest_bytes, image.manifest_bytes);
    assert!(image.layers().iter().all(|l| fresh.has_blob(&l.digest)));
    let reloaded = fresh
        .load_image(&image.digest)
        .expect("the pulled image is complete in the layout");
    assert_eq!(reloaded.config_bytes, image.config_bytes);
}

#[tokio::test]
#[ignore = "end-to-end: needs docker-registry"]
async fn blobs_are_mounted_from_another_repository_of_the_same_registry() {
    let registry = Registry::start();
    let store = tempfile::tempdir().expect("tempdir");
    let layout = OciLayout::create(store.path()).expect("layout");
    let image = tiny_image(&layout, "shared layer\n");
    let base = reference(&registry, "slipway/base:v1");
    push_image(&image, &layout, &base, &Keychain::anonymous(), &|_| {})
        .await
        .expect("push to base");

    let app = reference(&registry, "slipway/app:v1");
    let client = RegistryClient::new(&app, &Keychain::anonymous()).expect("client");
    let report = client
        .push(&image, &layout, Some(&base), &|_| {})
        .await
        .expect("push with mounts");
    assert_eq!((report.uploaded_blobs, report.skipped_blobs), (0, 2));
    assert_eq!(registry.blob_mounts().len(), 2, "{}", registry.log());
    assert_eq!(
        registry.uploaded_blob_count(),
        2,
        "only the first push uploaded"
    );
    assert_eq!(
        registry.manifest_digest("slipway/app", "v1"),
        Some(image.digest.to_string())
    );
}

#[tokio::test]
#[ignore = "end-to-end: needs docker-registry"]
async fn pulling_a_missing_tag_is_not_found() {
    let registry = Registry::start();
    let store = tempfile::tempdir().expect("tempdir");
    let layout = OciLayout::create(store.path()).expect("layout");
    let missing = reference(&registry, "slipway/none:v1");
    let err = pull_image(&missing, &Keychain::anonymous(), &layout)
        .await
        .expect_err("nothing was pushed");
    assert!(matches!(err, RegistryError::NotFound { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("{missing} was not found in its registry")
    );
}

#[tokio::test]
#[ignore = "end-to-end: needs docker-registry"]
async fn pushing_where_nothing_listens_is_unreachable() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let store = tempfile::tempdir().expect("tempdir");
    let layout = OciLayout::create(store.path()).expect("layout");
    let image = tiny_image(&layout, "nowhere\n");
    let target: Reference = format!("127.0.0.1:{port}/slipway/e2e:v1")
        .parse()
        .expect("reference");
    let err = push_image(&image, &layout, &target, &Keychain::anonymous(), &|_| {})
        .await
        .expect_err("no registry");
    assert!(
        matches!(&err, RegistryError::Unreachable { registry, .. } if *registry == format!("127.0.0.1:{port}")),
        "{err:?}"
    );
    assert_eq!(
        err.hint(),
        Some("check that the registry is running and the address is right")
    );
    assert!(
        err.to_string()
            .ends_with(&format!("cannot reach the registry 127.0.0.1:{port}")),
        "{err}"
    );
}
