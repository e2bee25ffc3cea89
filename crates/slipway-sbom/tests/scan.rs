//! `scan_image` on an OCI layout written by slipway-oci.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use std::collections::BTreeMap;

use common::{DEBIAN_PACKAGES, debian_fixture};
use slipway_oci::oci_spec::image::{Arch, ImageConfigurationBuilder, Os};
use slipway_oci::{Compression, Image, LayerBuilder, LayerRecord, OciLayout};
use slipway_sbom::{PackageKind, SbomError, scan_image};

#[test]
fn every_installed_debian_package_is_found_once_with_its_layer() {
    let fixture = debian_fixture();
    let packages = scan_image(&fixture.image, &fixture.layout).unwrap();
    let debian: Vec<_> = packages
        .iter()
        .filter(|p| matches!(p.kind, PackageKind::Debian { .. }))
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(debian, DEBIAN_PACKAGES);

    let by_name: BTreeMap<_, _> = packages.iter().map(|p| (p.name.as_str(), p)).collect();
    assert_eq!(
        by_name["libc6"].found_in_layer.as_ref(),
        Some(&fixture.diff_ids[0])
    );
    assert_eq!(
        by_name["tzdata"].found_in_layer.as_ref(),
        Some(&fixture.diff_ids[1])
    );
    assert_eq!(
        by_name["libc6"].purl,
        "pkg:deb/debian/libc6@2.41-12?arch=amd64&distro=debian-13&upstream=glibc"
    );
    assert_eq!(
        by_name["zlib1g"].purl,
        "pkg:deb/debian/zlib1g@1%3A1.3.dfsg%2Breally1.3.1-1%2Bb1?arch=amd64&distro=debian-13&upstream=zlib%401%3A1.3.dfsg%2Breally1.3.1-1"
    );
    assert_eq!(
        by_name["libgcc-s1"].purl,
        "pkg:deb/debian/libgcc-s1@14.2.0-19?arch=amd64&distro=debian-13&upstream=gcc-14%4014.2.0-19"
    );
    assert_eq!(
        by_name["libc6"].kind,
        PackageKind::Debian {
            arch: "amd64".into(),
            source: Some(("glibc".into(), "2.41-12".into())),
        }
    );
    assert_eq!(
        by_name["ca-certificates"].supplier.as_deref(),
        Some("Julien Cristau <jcristau@debian.org>")
    );
}

#[test]
fn licenses_come_from_dep5_copyright_files_through_doc_links() {
    let fixture = debian_fixture();
    let packages = scan_image(&fixture.image, &fixture.layout).unwrap();
    let licenses: BTreeMap<_, _> = packages
        .iter()
        .map(|p| (p.name.as_str(), p.licenses.clone()))
        .collect();
    assert_eq!(licenses["base-files"], ["GPL-2.0-or-later"]);
    assert_eq!(
        licenses["libc6"],
        [
            "BSD-3-Clause",
            "GFDL-1.3-only",
            "GPL-2.0-or-later WITH Autoconf-exception-2.0 OR LGPL-2.1-or-later",
            "LGPL-2.1-or-later"
        ]
    );
    assert_eq!(licenses["tzdata"], ["LicenseRef-public-domain"]);
    assert_eq!(licenses["ca-certificates"], ["GPL-2.0-or-later", "MPL-2.0"]);
    assert_eq!(
        licenses["libgcc-s1"],
        ["GPL-3.0-or-later WITH GCC-exception-3.1"]
    );
    assert!(
        licenses["zlib1g"].is_empty(),
        "free-text copyright gives no licence"
    );
}

#[test]
fn packages_a_buildpack_declared_in_the_label_are_listed() {
    let fixture = debian_fixture();
    let packages = scan_image(&fixture.image, &fixture.layout).unwrap();
    let go: Vec<_> = packages
        .iter()
        .filter(|p| p.kind == PackageKind::GoModule)
        .map(|p| (p.purl.as_str(), p.found_in_layer.is_none()))
        .collect();
    assert_eq!(
        go,
        [
            ("pkg:golang/example.com/hello", true),
            ("pkg:golang/github.com/google/uuid@v1.6.0", true),
            ("pkg:golang/stdlib@1.24.4", true),
        ]
    );
}

fn single_layer_image(layout: &OciLayout, layer: &LayerBuilder, compression: Compression) -> Image {
    let layer = layer.build().unwrap().compress(compression).unwrap();
    layout.write_blob(&layer.blob).unwrap();
    let config = ImageConfigurationBuilder::default()
        .architecture(Arch::Amd64)
        .os(Os::Linux)
        .build()
        .unwrap();
    Image::assemble(config, &[LayerRecord::of(&layer, "test")], &BTreeMap::new()).unwrap()
}

#[test]
fn a_malformed_status_entry_names_the_file_and_layer() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).unwrap();
    let mut layer = LayerBuilder::with_epoch(1);
    layer.file(
        "var/lib/dpkg/status.d/broken",
        0o644,
        "Package: broken\nArchitecture: all\n",
    );
    let image = single_layer_image(&layout, &layer, Compression::Zstd);
    let err = scan_image(&image, &layout).unwrap_err();
    assert!(matches!(err, SbomError::StatusEntry { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(
            "reading the dpkg status entry /var/lib/dpkg/status.d/broken in layer sha256:"
        ),
        "{err}"
    );
}

#[test]
fn an_image_without_dpkg_data_has_no_debian_packages_and_a_missing_blob_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).unwrap();
    let mut layer = LayerBuilder::with_epoch(1);
    layer.file("app/main", 0o755, "binary");
    let image = single_layer_image(&layout, &layer, Compression::Gzip);
    assert!(scan_image(&image, &layout).unwrap().is_empty());

    let other = tempfile::tempdir().unwrap();
    let empty = OciLayout::create(other.path()).unwrap();
    let err = scan_image(&image, &empty).unwrap_err();
    assert!(matches!(err, SbomError::Layer { .. }), "{err:?}");
}

#[test]
fn an_opaque_directory_hides_the_packages_below_it() {
    let fixture = debian_fixture();
    let mut layer = LayerBuilder::with_epoch(1);
    layer.file("var/lib/dpkg/status.d/.wh..wh..opq", 0o644, "");
    layer.file(
        "var/lib/dpkg/status.d/only",
        0o644,
        "Package: only\nVersion: 1.0-1\nArchitecture: all\n",
    );
    let built = layer.build().unwrap().compress(Compression::Gzip).unwrap();
    fixture.layout.write_blob(&built.blob).unwrap();
    let mut records = fixture.image.layers();
    records.push(LayerRecord::of(&built, "opaque"));
    let image = Image::assemble(fixture.image.config.clone(), &records, &BTreeMap::new()).unwrap();
    let names: Vec<_> = scan_image(&image, &fixture.layout)
        .unwrap()
        .into_iter()
        .filter(|p| matches!(p.kind, PackageKind::Debian { .. }))
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["only"]);
}
