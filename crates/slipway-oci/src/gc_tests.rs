use std::collections::BTreeMap;

use oci_spec::image::{Arch, ConfigBuilder, ImageConfigurationBuilder, Os};

use super::*;
use crate::layer::{Compression, LayerBuilder};
use crate::layout::REF_NAME;
use crate::{BlobSource, Image, LayerRecord, sha256_digest};

const HOUR: Duration = Duration::from_secs(60 * 60);

/// A layer holding `text`, stored in `layout`.
fn layer(layout: &OciLayout, text: &str) -> LayerRecord {
    let mut builder = LayerBuilder::with_epoch(1);
    builder.file("a.txt", 0o644, text);
    let layer = builder
        .build()
        .unwrap()
        .compress(Compression::Gzip)
        .unwrap();
    layout.write_blob(&layer.blob).unwrap();
    LayerRecord::of(&layer, text)
}

/// An image of `layers` whose config runs `cmd`, named `name` in `layout`.
fn put(layout: &OciLayout, name: &str, cmd: &str, layers: &[LayerRecord]) -> Image {
    let config = ImageConfigurationBuilder::default()
        .architecture(Arch::Amd64)
        .os(Os::Linux)
        .config(
            ConfigBuilder::default()
                .cmd(vec![cmd.to_string()])
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let image = Image::assemble(config, layers, &BTreeMap::new()).unwrap();
    let annotations = BTreeMap::from([(REF_NAME.to_string(), name.to_string())]);
    layout.put_image(&image, &annotations).unwrap();
    image
}

/// Makes every blob look as if it was written `age` ago.
fn age_blobs(layout: &OciLayout, age: Duration) {
    let then = SystemTime::now() - age;
    for entry in fs::read_dir(layout.blob_dir()).unwrap() {
        File::open(entry.unwrap().path())
            .unwrap()
            .set_modified(then)
            .unwrap();
    }
}

fn digests(blobs: &[BlobFile]) -> BTreeSet<String> {
    blobs.iter().map(|b| b.digest.to_string()).collect()
}

#[test]
fn removing_an_image_keeps_the_layer_another_image_shares() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).unwrap();
    let shared = layer(&layout, "shared");
    let own = layer(&layout, "own");
    let gone = put(&layout, "a", "/a", &[shared.clone(), own.clone()]);
    let stays = put(&layout, "b", "/b", std::slice::from_ref(&shared));
    age_blobs(&layout, HOUR);

    let mut collection = layout.collect().unwrap();
    assert_eq!(collection.remove("a"), Some(gone.digest.clone()));
    let deleted = collection.commit().unwrap();

    let expected = [
        gone.digest.to_string(),
        gone.config_descriptor().digest().to_string(),
        own.digest.to_string(),
    ];
    assert_eq!(digests(&deleted.unused), BTreeSet::from(expected));
    assert!(deleted.recent.is_empty());
    assert!(!layout.has_blob(&own.digest));
    assert!(layout.has_blob(&shared.digest));
    assert!(layout.load_image(&stays.digest).is_ok());
    let names: Vec<_> = layout
        .entries()
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, [Some("b".to_string())]);
}

#[test]
fn unused_blobs_are_deleted_and_recent_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).unwrap();
    let image = put(&layout, "app", "/app", &[layer(&layout, "used")]);
    let old = layout
        .write_blob(b"left by an image removed long ago")
        .unwrap();
    age_blobs(&layout, HOUR);
    // Written by a build that has not named its image yet.
    let recent = layout.write_blob(b"a build's new layer").unwrap();

    let garbage = layout.collect().unwrap().commit().unwrap();

    assert_eq!(digests(&garbage.unused), BTreeSet::from([old.to_string()]));
    assert_eq!(
        digests(&garbage.recent),
        BTreeSet::from([recent.to_string()])
    );
    assert_eq!(garbage.recent_bytes(), 19);
    assert!(!layout.blob_path(&old).exists());
    assert!(layout.blob_path(&recent).exists());
    assert!(layout.load_image(&image.digest).is_ok());
}

#[test]
fn an_old_blob_a_build_reuses_counts_as_recent() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).unwrap();
    let cached = layout.write_blob(b"a cached run image layer").unwrap();
    age_blobs(&layout, HOUR);
    // What a build does when it finds its cached layer: it asks whether the store has it.
    assert!(layout.has_blob(&cached));

    let garbage = layout.collect().unwrap().commit().unwrap();

    assert!(garbage.unused.is_empty());
    assert!(layout.blob_path(&cached).exists());
}

#[test]
fn a_dropped_collection_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).unwrap();
    let only = layer(&layout, "only");
    put(&layout, "app", "/app", std::slice::from_ref(&only));
    age_blobs(&layout, HOUR);

    let mut collection = layout.collect().unwrap();
    collection.remove("app").unwrap();
    assert_eq!(collection.garbage().unwrap().unused.len(), 3);
    drop(collection);

    assert!(layout.find("app").unwrap().is_some());
    assert!(layout.has_blob(&only.digest));
}

#[test]
fn images_are_listed_with_when_they_were_last_tagged() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).unwrap();
    let only = [layer(&layout, "only")];
    put(&layout, "old", "/old", &only);
    age_blobs(&layout, HOUR);
    let retagged = put(&layout, "new", "/new", &only);
    put(&layout, "old", "/old", &only);

    let images = layout.collect().unwrap().images();

    let names: Vec<_> = images.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["new", "old"]);
    assert_eq!(images[0].digest, retagged.digest);
    assert!(
        images
            .iter()
            .all(|i| i.last_tagged.elapsed().unwrap() < ORPHAN_GRACE)
    );
}

#[test]
fn an_image_whose_manifest_is_missing_stops_the_collection() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).unwrap();
    let image = put(&layout, "broken", "/b", &[layer(&layout, "x")]);
    let orphan = layout.write_blob(b"orphan").unwrap();
    age_blobs(&layout, HOUR);
    fs::remove_file(layout.blob_path(&image.digest)).unwrap();

    let err = layout.collect().unwrap().commit().unwrap_err();
    assert!(
        err.to_string().starts_with("image broken cannot be read"),
        "{err}"
    );
    assert!(layout.blob_path(&orphan).exists());

    // Removing the broken image is how to get out of it.
    let mut collection = layout.collect().unwrap();
    collection.remove("broken").unwrap();
    assert_eq!(collection.commit().unwrap().unused.len(), 3);
}

#[test]
fn naming_an_image_whose_layer_was_collected_fails() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).unwrap();
    let record = layer(&layout, "collected meanwhile");
    fs::remove_file(layout.blob_path(&record.digest)).unwrap();
    let config = ImageConfigurationBuilder::default().build().unwrap();
    let image = Image::assemble(config, &[record], &BTreeMap::new()).unwrap();

    let err = layout.put_image(&image, &BTreeMap::new()).unwrap_err();

    assert!(matches!(err, LayoutError::MissingBlob { .. }), "{err}");
    assert!(layout.entries().unwrap().is_empty());
}

#[test]
fn records_of_collected_compressed_layers_are_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).unwrap();
    let diff_id = sha256_digest(b"tar");
    let digest = layout.write_blob(b"blob").unwrap();
    layout
        .remember_compressed_layer(&diff_id, Compression::Gzip, &digest, 4)
        .unwrap();
    age_blobs(&layout, HOUR);

    layout.collect().unwrap().commit().unwrap();

    assert_eq!(layout.compressed_layer(&diff_id, Compression::Gzip), None);
    assert!(!layout.diff_id_path(&diff_id, Compression::Gzip).exists());
}
