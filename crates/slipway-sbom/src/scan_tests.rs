use slipway_oci::{LayerBuilder, sha256_digest};

use super::*;

fn overlay(layers: &[&LayerBuilder]) -> Overlay {
    let mut tree = Overlay::default();
    for layer in layers {
        let layer = layer.build().unwrap();
        tree.apply(&layer.tar, &layer.diff_id).unwrap();
    }
    tree
}

#[test]
fn paths_are_normalised() {
    assert_eq!(
        normalise("./usr/share/doc/../doc//libc6/"),
        "usr/share/doc/libc6"
    );
    assert_eq!(normalise("/etc/os-release"), "etc/os-release");
}

#[test]
fn only_status_files_are_status_files() {
    assert!(is_status_file("var/lib/dpkg/status"));
    assert!(is_status_file("var/lib/dpkg/status.d/libstdc++6"));
    assert!(!is_status_file("var/lib/dpkg/status.d/libc6.md5sums"));
    assert!(!is_status_file("var/lib/dpkg/status.d/"));
    assert!(!is_status_file("var/lib/dpkg/status.d/sub/file"));
}

#[test]
fn symlinks_are_followed_relative_and_absolute_and_loops_end() {
    let mut layer = LayerBuilder::with_epoch(1);
    layer.file("usr/share/doc/gcc-14-base/copyright", 0o644, "text");
    layer.symlink("usr/share/doc/libgcc-s1", "gcc-14-base");
    layer.symlink("usr/share/doc/libstdc++6", "/usr/share/doc/libgcc-s1");
    layer.symlink("usr/share/doc/a", "b");
    layer.symlink("usr/share/doc/b", "a");
    let tree = overlay(&[&layer]);
    let text = |path| tree.file(path).map(|(bytes, _)| bytes.to_vec());
    assert_eq!(
        text("usr/share/doc/libgcc-s1/copyright"),
        Some(b"text".to_vec())
    );
    assert_eq!(
        text("/usr/share/doc/libstdc++6/copyright"),
        Some(b"text".to_vec())
    );
    assert_eq!(text("usr/share/doc/a/copyright"), None);
    assert_eq!(text("usr/share/doc/missing/copyright"), None);
}

#[test]
fn a_whiteout_removes_a_directory_from_the_layers_below() {
    let mut lower = LayerBuilder::with_epoch(1);
    lower.file("usr/share/doc/netbase/copyright", 0o644, "text");
    let mut upper = LayerBuilder::with_epoch(1);
    upper.file("usr/share/doc/.wh.netbase", 0o644, "");
    let tree = overlay(&[&lower, &upper]);
    assert!(tree.file("usr/share/doc/netbase/copyright").is_none());
}

#[test]
fn a_hard_link_shares_its_targets_content() {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(4);
    header.set_mode(0o644);
    header.set_cksum();
    builder
        .append_data(&mut header, "usr/share/doc/a/copyright", &b"text"[..])
        .unwrap();
    let mut link = tar::Header::new_gnu();
    link.set_entry_type(tar::EntryType::Link);
    link.set_size(0);
    builder
        .append_link(
            &mut link,
            "usr/share/doc/b/copyright",
            "usr/share/doc/a/copyright",
        )
        .unwrap();
    let tar = builder.into_inner().unwrap();
    let mut tree = Overlay::default();
    tree.apply(&tar, &sha256_digest(&tar)).unwrap();
    assert_eq!(
        tree.file("usr/share/doc/b/copyright")
            .map(|(bytes, _)| bytes),
        Some(&b"text"[..])
    );
}
