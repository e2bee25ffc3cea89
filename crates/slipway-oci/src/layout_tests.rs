use super::*;
use crate::image::LayerRecord;
use crate::layer::LayerBuilder;
use oci_spec::image::{Arch, ImageConfigurationBuilder, Os};

fn image_in(layout: &OciLayout, text: &str) -> Image {
    let mut builder = LayerBuilder::with_epoch(1);
    builder.file("a.txt", 0o644, text);
    let layer = builder
        .build()
        .unwrap()
        .compress(Compression::Gzip)
        .unwrap();
    layout.write_blob(&layer.blob).unwrap();
    let config = ImageConfigurationBuilder::default()
        .architecture(Arch::Amd64)
        .os(Os::Linux)
        .build()
        .unwrap();
    Image::assemble(config, &[LayerRecord::of(&layer, "a")], &BTreeMap::new()).unwrap()
}

fn named(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(REF_NAME.to_string(), name.to_string())])
}

#[test]
fn an_image_put_by_name_loads_back() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).unwrap();
    let image = image_in(&layout, "one");
    layout
        .put_image(&image, &named("example.com/app:latest"))
        .unwrap();
    let found = layout.find("example.com/app:latest").unwrap().unwrap();
    assert_eq!(found.digest(), &image.digest);
    let loaded = OciLayout::open(dir.path())
        .unwrap()
        .load_image(&image.digest)
        .unwrap();
    assert_eq!(loaded.manifest_bytes, image.manifest_bytes);
}

#[test]
fn putting_a_name_again_replaces_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).unwrap();
    layout
        .put_image(&image_in(&layout, "one"), &named("app"))
        .unwrap();
    let second = image_in(&layout, "two");
    layout.put_image(&second, &named("app")).unwrap();
    let entries = layout.entries().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].descriptor.digest(), &second.digest);
    assert!(layout.remove_name("app").unwrap());
    assert!(layout.entries().unwrap().is_empty());
}

#[test]
fn a_corrupt_blob_is_reported_not_returned() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).unwrap();
    let digest = layout.write_blob(b"good").unwrap();
    fs::write(layout.blob_path(&digest), b"evil").unwrap();
    let err = layout.read_blob(&digest).unwrap_err();
    assert!(err.to_string().contains("is corrupt"), "{err}");
}

#[test]
fn concurrent_writers_keep_every_name() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).unwrap();
    std::thread::scope(|s| {
        for i in 0..8 {
            let layout = layout.clone();
            s.spawn(move || {
                let image = image_in(&layout, &format!("content {i}"));
                layout
                    .put_image(&image, &named(&format!("app{i}")))
                    .unwrap();
            });
        }
    });
    assert_eq!(layout.entries().unwrap().len(), 8);
}

#[test]
fn compressed_layer_lookup_needs_the_blob() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).unwrap();
    let diff_id = sha256_digest(b"tar");
    let digest = layout.write_blob(b"blob").unwrap();
    layout
        .remember_compressed_layer(&diff_id, Compression::Gzip, &digest, 4)
        .unwrap();
    assert_eq!(
        layout.compressed_layer(&diff_id, Compression::Gzip),
        Some((digest.clone(), 4))
    );
    assert_eq!(layout.compressed_layer(&diff_id, Compression::Zstd), None);
    fs::remove_file(layout.blob_path(&digest)).unwrap();
    assert_eq!(layout.compressed_layer(&diff_id, Compression::Gzip), None);
}

#[test]
fn an_unnamed_image_is_replaced_by_the_one_put_in_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).unwrap();
    let (old, other, new) = (
        image_in(&layout, "old"),
        image_in(&layout, "other"),
        image_in(&layout, "new"),
    );
    layout.put_image(&old, &BTreeMap::new()).unwrap();
    layout.put_image(&other, &BTreeMap::new()).unwrap();
    layout
        .put_image_replacing(&new, &BTreeMap::new(), Some(&old.digest))
        .unwrap();
    let digests: Vec<Digest> = layout
        .entries()
        .unwrap()
        .into_iter()
        .map(|e| e.descriptor.digest().clone())
        .collect();
    assert_eq!(digests, [other.digest, new.digest]);
}
