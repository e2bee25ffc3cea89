//! A small Debian 13 image in an OCI layout, built with slipway-oci from `testdata/debian-13`:
//! what a stack build writes (status entries, copyright files, os-release), in two layers.

#![allow(dead_code, clippy::unwrap_used, clippy::missing_panics_doc)]

use std::collections::BTreeMap;
use std::path::Path;

use slipway_oci::layout::REF_NAME;
use slipway_oci::oci_spec::image::{Arch, ConfigBuilder, ImageConfigurationBuilder, Os};
use slipway_oci::{Compression, Digest, Image, LayerBuilder, LayerRecord, OciLayout};
use slipway_sbom::{BUILDPACK_PACKAGES_LABEL, encode_buildpack_packages, parse_go_version_m};

/// The image's name in the layout's index.
pub const IMAGE_NAME: &str = "example.invalid/slipway/sbom-fixture:1";

/// The Debian packages a scanner must find: (name, version).
pub const DEBIAN_PACKAGES: [(&str, &str); 6] = [
    ("base-files", "13.8"),
    ("ca-certificates", "20250419"),
    ("libc6", "2.41-12"),
    ("libgcc-s1", "14.2.0-19"),
    ("tzdata", "2025b-4+deb13u1"),
    ("zlib1g", "1:1.3.dfsg+really1.3.1-1+b1"),
];

/// `go version -m` output of the binary the fixture's label describes.
pub const GO_VERSION_M: &str = "/workspace/bin/hello: go1.24.4
\tpath\texample.com/hello
\tmod\texample.com/hello\t(devel)\t
\tdep\tgithub.com/google/uuid\tv1.6.0\th1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=
\tbuild\t-compiler=gc
";

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub layout: OciLayout,
    pub image: Image,
    /// `diff_id` of the stack layer and of the update layer.
    pub diff_ids: [Digest; 2],
}

fn testdata() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/debian-13"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(testdata().join(path)).unwrap()
}

const STATUS_D: &str = "var/lib/dpkg/status.d";

/// The stack layer: five packages of `testdata/debian-13` plus `netbase`, which the next layer
/// removes; os-release in /usr/lib with the /etc link Debian makes.
fn stack_layer() -> LayerBuilder {
    let mut layer = LayerBuilder::with_epoch(1);
    layer.file("usr/lib/os-release", 0o644, read("os-release"));
    layer.symlink("etc/os-release", "../usr/lib/os-release");
    for name in ["base-files", "ca-certificates", "libc6", "tzdata", "zlib1g"] {
        layer.file(
            &format!("{STATUS_D}/{name}"),
            0o644,
            read(&format!("status.d/{name}")),
        );
        layer.file(
            &format!("usr/share/doc/{name}/copyright"),
            0o644,
            read(&format!("doc/{name}/copyright")),
        );
    }
    layer.file(
        &format!("{STATUS_D}/netbase"),
        0o644,
        "Package: netbase\nVersion: 6.5\nArchitecture: all\nMaintainer: Marco d'Itri <md@linux.it>\nDescription: Basic TCP/IP networking system\n",
    );
    layer.file(
        &format!("{STATUS_D}/base-files.md5sums"),
        0o644,
        "d41d8cd98f00b204e9800998ecf8427e  etc/host.conf\n",
    );
    layer
}

/// The update layer: tzdata from the -security suite, netbase removed (a whiteout), and
/// libgcc-s1, whose doc directory is a link to gcc-14-base's, as Debian ships it.
fn update_layer() -> LayerBuilder {
    let mut layer = LayerBuilder::with_epoch(1);
    let tzdata =
        read("status.d/tzdata").replace("Version: 2025b-4\n", "Version: 2025b-4+deb13u1\n");
    layer.file(&format!("{STATUS_D}/tzdata"), 0o644, tzdata);
    layer.file(&format!("{STATUS_D}/.wh.netbase"), 0o644, "");
    layer.file(
        &format!("{STATUS_D}/libgcc-s1"),
        0o644,
        "Package: libgcc-s1\nPriority: optional\nSection: libs\nInstalled-Size: 147\n\
         Maintainer: Debian GCC Maintainers <debian-gcc@lists.debian.org>\nArchitecture: amd64\n\
         Multi-Arch: same\nSource: gcc-14 (14.2.0-19)\nVersion: 14.2.0-19\nProvides: libgcc1 (= 1:14.2.0-19)\n\
         Depends: gcc-14-base (= 14.2.0-19), libc6 (>= 2.35)\nDescription: GCC support library\n \
         Shared version of the support library.\nHomepage: https://gcc.gnu.org/\n",
    );
    layer.symlink("usr/share/doc/libgcc-s1", "gcc-14-base");
    layer.file(
        "usr/share/doc/gcc-14-base/copyright",
        0o644,
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n\
         Files: *\nCopyright: 1986-2025 Free Software Foundation, Inc.\n\
         License: GPL-3+ with GCC-Runtime exception\n The runtime library exception.\n",
    );
    layer
}

/// Writes the fixture image, with a Go buildpack's label, to a fresh OCI layout.
pub fn debian_fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).unwrap();
    let mut records = Vec::new();
    let mut diff_ids = Vec::new();
    for (builder, what) in [(stack_layer(), "stack"), (update_layer(), "update")] {
        let layer = builder
            .build()
            .unwrap()
            .compress(Compression::Gzip)
            .unwrap();
        layout.write_blob(&layer.blob).unwrap();
        diff_ids.push(layer.diff_id.clone());
        records.push(LayerRecord::of(&layer, what));
    }
    let label = encode_buildpack_packages(parse_go_version_m(GO_VERSION_M).iter().map(Into::into));
    let config = ImageConfigurationBuilder::default()
        .architecture(Arch::Amd64)
        .os(Os::Linux)
        .created("2025-08-09T00:00:00Z")
        .config(
            ConfigBuilder::default()
                .labels(std::collections::HashMap::from([(
                    BUILDPACK_PACKAGES_LABEL.to_string(),
                    label,
                )]))
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let image = Image::assemble(config, &records, &BTreeMap::new()).unwrap();
    layout
        .put_image(
            &image,
            &BTreeMap::from([(REF_NAME.to_string(), IMAGE_NAME.to_string())]),
        )
        .unwrap();
    Fixture {
        dir,
        layout,
        image,
        diff_ids: [diff_ids[0].clone(), diff_ids[1].clone()],
    }
}
