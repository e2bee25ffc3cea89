//! Small images for tests of the crates that move images around (registry, engine).

use std::collections::BTreeMap;

use slipway_oci::oci_spec::image::{Arch, ConfigBuilder, ImageConfigurationBuilder, Os};
use slipway_oci::{Compression, Image, LayerBuilder, LayerRecord, OciLayout};

/// A one-layer image holding `/hello.txt` with `text` (command `/hello`, which it does not
/// have: it is for moving, not running), its layer blob stored in `layout`. Different `text`
/// gives a different image.
///
/// # Panics
///
/// When the layer cannot be stored in `layout`.
#[must_use]
pub fn tiny_image(layout: &OciLayout, text: &str) -> Image {
    let mut builder = LayerBuilder::with_epoch(1);
    builder.file("hello.txt", 0o644, text);
    let layer = builder
        .build()
        .expect("building the layer")
        .compress(Compression::Gzip)
        .expect("gzip");
    layout.write_blob(&layer.blob).expect("storing the layer");
    let config = ConfigBuilder::default()
        .cmd(vec!["/hello".to_owned()])
        .build()
        .expect("config");
    let config = ImageConfigurationBuilder::default()
        .architecture(Arch::Amd64)
        .os(Os::Linux)
        .config(config)
        .build()
        .expect("image config");
    Image::assemble(
        config,
        &[LayerRecord::of(&layer, "hello.txt")],
        &BTreeMap::new(),
    )
    .expect("assembling")
}
