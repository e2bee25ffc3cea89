use super::*;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, SystemTime};

const EPOCH: u64 = 315_532_801;

fn fixture_layer() -> LayerBuilder {
    let mut layer = LayerBuilder::with_epoch(EPOCH);
    layer
        .file("etc/passwd", 0o644, "root:x:0:0:root:/root:/sbin/nologin\n")
        .dir_owned("home/app", 0o755, (1000, 1000))
        .file(
            "app/bin/hello",
            0o755,
            vec![0x7f, b'E', b'L', b'F', 0, 1, 2, 3],
        )
        .symlink("bin", "usr/bin")
        .dir("tmp", 0o1777);
    layer
}

fn write_tree(root: &Path, mtime: SystemTime, file_mode: u32) {
    fs::create_dir_all(root.join("static/css")).unwrap();
    for (name, body) in [
        ("main.go", "package main\n"),
        ("static/css/site.css", "body{}\n"),
        ("static/index.html", "<p>hi</p>\n"),
    ] {
        let path = root.join(name);
        fs::write(&path, body).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(file_mode)).unwrap();
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
    }
    std::os::unix::fs::symlink("index.html", root.join("static/home.html")).unwrap();
}

#[test]
fn a_tree_gives_the_same_layer_whatever_the_mtimes_modes_and_location() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    write_tree(
        a.path(),
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_000),
        0o644,
    );
    write_tree(&b.path().join("elsewhere"), SystemTime::now(), 0o664);
    let layer_a = LayerBuilder::with_epoch(EPOCH)
        .host_tree(a.path(), "workspace")
        .unwrap()
        .build()
        .unwrap();
    let layer_b = LayerBuilder::with_epoch(EPOCH)
        .host_tree(&b.path().join("elsewhere"), "workspace")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(layer_a.diff_id, layer_b.diff_id);
    assert_eq!(layer_a.tar, layer_b.tar);
}

#[test]
fn entries_are_sorted_with_parents_and_normalised_headers() {
    let layer = fixture_layer().build().unwrap();
    let mut archive = tar::Archive::new(layer.tar.as_slice());
    let mut seen = Vec::new();
    for entry in archive.entries().unwrap() {
        let entry = entry.unwrap();
        let header = entry.header();
        assert_eq!(header.mtime().unwrap(), EPOCH);
        assert_eq!(header.username().unwrap(), Some(""));
        seen.push((
            entry.path().unwrap().to_string_lossy().into_owned(),
            header.mode().unwrap(),
            header.uid().unwrap(),
        ));
    }
    assert_eq!(
        seen,
        vec![
            ("app/".into(), 0o755, 0),
            ("app/bin/".into(), 0o755, 0),
            ("app/bin/hello".into(), 0o755, 0),
            ("bin".into(), 0o777, 0),
            ("etc/".into(), 0o755, 0),
            ("etc/passwd".into(), 0o644, 0),
            ("home/".into(), 0o755, 0),
            ("home/app/".into(), 0o755, 1000),
            ("tmp/".into(), 0o1777, 0),
        ]
    );
}

#[test]
fn executable_bit_decides_the_normalised_mode() {
    assert_eq!(normal_file_mode(0o600), 0o644);
    assert_eq!(normal_file_mode(0o700), 0o755);
    assert_eq!(normal_file_mode(0o664), 0o644);
}

/// Golden digests: if this fails, slipway's bytes changed. That happens when the tar writer, the
/// gzip or zstd crate, their backend, or a level changes; every user's layer digest moves with it.
/// Make the change on purpose, say so in the release notes, then update these values.
#[test]
fn golden_digests_of_the_fixture_layer() {
    let layer = fixture_layer().build().unwrap();
    let gzip = layer.compress(Compression::Gzip).unwrap();
    let zstd = layer.compress(Compression::Zstd).unwrap();
    insta_like_assert(layer.diff_id.as_ref(), GOLDEN_DIFF_ID);
    insta_like_assert(gzip.digest.as_ref(), GOLDEN_GZIP);
    insta_like_assert(zstd.digest.as_ref(), GOLDEN_ZSTD);
}

const GOLDEN_DIFF_ID: &str =
    "sha256:41f869820785e6f6d1acb8d0b6f94a037fa86c68ed4122a886c4b8003e8e00cd";
const GOLDEN_GZIP: &str = "sha256:4acfd505319cab05dc0cd944afa58eceddff583ad6cfba58b4d5ee9b4b83bb7a";
const GOLDEN_ZSTD: &str = "sha256:1b4fbbddaa1df9cd07ac387b1843083bbb32bbdc16c33647fc912cd5d1e9baba";

fn insta_like_assert(actual: &str, golden: &str) {
    assert_eq!(
        actual, golden,
        "slipway's layer bytes changed (see the test's doc comment)"
    );
}

#[test]
fn gzip_header_has_fixed_time_and_os() {
    let gz = fixture_layer()
        .build()
        .unwrap()
        .compress(Compression::Gzip)
        .unwrap();
    assert_eq!(&gz.blob[..3], &[0x1f, 0x8b, 8]);
    assert_eq!(&gz.blob[4..8], &[0, 0, 0, 0], "mtime must be zero");
    assert_eq!(gz.blob[9], 255, "OS byte must be 'unknown'");
}

#[test]
fn compressed_layers_decompress_to_their_diff_id() {
    let layer = fixture_layer().build().unwrap();
    let [gz, zs] = compress_all(&[&layer, &layer], Compression::Gzip)
        .map(|v| [v[0].clone(), layer.compress(Compression::Zstd).unwrap()])
        .unwrap();
    let mut out = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(gz.blob.as_slice()),
        &mut out,
    )
    .unwrap();
    assert_eq!(sha256_digest(&out), layer.diff_id);
    let out = zstd::stream::decode_all(zs.blob.as_slice()).unwrap();
    assert_eq!(sha256_digest(&out), layer.diff_id);
}
