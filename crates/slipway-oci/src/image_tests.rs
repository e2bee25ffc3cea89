use super::*;
use crate::layer::{Compression, LayerBuilder};
use oci_spec::image::{Arch, ConfigBuilder, ImageConfigurationBuilder, Os};

fn config(label_order: &[&str]) -> ImageConfiguration {
    let labels: HashMap<String, String> = label_order
        .iter()
        .map(|k| ((*k).to_string(), format!("v-{k}")))
        .collect();
    ImageConfigurationBuilder::default()
        .architecture(Arch::Amd64)
        .os(Os::Linux)
        .created("1980-01-01T00:00:01Z")
        .config(
            ConfigBuilder::default()
                .user("1000:1000")
                .labels(labels)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

fn layers() -> Vec<LayerRecord> {
    let mut builder = LayerBuilder::with_epoch(315_532_801);
    builder.file("hello.txt", 0o644, "hello\n");
    let layer = builder
        .build()
        .unwrap()
        .compress(Compression::Gzip)
        .unwrap();
    vec![LayerRecord::of(&layer, "slipway: greeting")]
}

#[test]
fn assembly_does_not_depend_on_map_order() {
    let annotations = BTreeMap::from([(
        "org.opencontainers.image.title".to_string(),
        "t".to_string(),
    )]);
    let a = Image::assemble(config(&["a", "b", "c", "d", "e"]), &layers(), &annotations).unwrap();
    let b = Image::assemble(config(&["e", "d", "c", "b", "a"]), &layers(), &annotations).unwrap();
    assert_eq!(a.digest, b.digest);
    assert_eq!(a.config_bytes, b.config_bytes);
}

#[test]
fn stored_bytes_parse_back_with_layer_history() {
    let image = Image::assemble(config(&["x"]), &layers(), &BTreeMap::new()).unwrap();
    let parsed =
        Image::from_bytes(image.manifest_bytes.clone(), image.config_bytes.clone()).unwrap();
    assert_eq!(parsed.digest, image.digest);
    assert_eq!(parsed.layers(), layers());
    assert_eq!(parsed.labels().get("x").map(String::as_str), Some("v-x"));
}

#[test]
fn a_config_that_does_not_match_the_manifest_is_refused() {
    let image = Image::assemble(config(&["x"]), &layers(), &BTreeMap::new()).unwrap();
    let other = Image::assemble(config(&["y"]), &layers(), &BTreeMap::new()).unwrap();
    let err = Image::from_bytes(image.manifest_bytes, other.config_bytes).unwrap_err();
    assert!(matches!(err, ImageError::ConfigDigest { .. }), "{err}");
}

/// Golden digest of a fixture image: any change to slipway's manifest or config bytes (field order,
/// JSON writer, oci-spec's serialisation) shows up here first. Change it on purpose only.
#[test]
fn golden_digest_of_the_fixture_image() {
    let image = Image::assemble(config(&["b", "a"]), &layers(), &BTreeMap::new()).unwrap();
    assert_eq!(
        image.digest.to_string(),
        GOLDEN_IMAGE,
        "{}",
        String::from_utf8_lossy(&image.manifest_bytes)
    );
}

const GOLDEN_IMAGE: &str =
    "sha256:4f91c30e6b2b26529012cfb2ae4ab5dd75df9c7f4d5cafe94796fa470841ef90";
