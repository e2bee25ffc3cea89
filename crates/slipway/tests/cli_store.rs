//! `slipway rm` and `slipway cache prune` on a store of tiny images: what goes, what stays, and
//! what they print. No registry, engine or compiler.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use common::{fails, ok, redact, slipway, store_names};
use slipway_oci::layout::REF_NAME;
use slipway_oci::oci_spec::image::{Arch, ConfigBuilder, ImageConfigurationBuilder, Os};
use slipway_oci::{Image, OciLayout};
use slipway_testkit::tiny_image;

const HOUR: Duration = Duration::from_secs(60 * 60);

/// `slipway` with its Debian cache under `cache` too: a developer's `SLIPWAY_DEBIAN_CACHE` is
/// not for these tests to prune.
fn slipway_here(cache: &Path) -> Command {
    let mut cmd = slipway(cache);
    cmd.env_remove("SLIPWAY_DEBIAN_CACHE");
    cmd
}

/// The store `slipway` opens under `cache` (`Settings::store_dir`).
fn store(cache: &Path) -> OciLayout {
    OciLayout::create(&cache.join("store")).unwrap()
}

/// Names `image` `name` in the store, as `slipway build -t name` would (by its whole reference).
fn tag(layout: &OciLayout, image: &Image, name: &str) {
    let whole = name.parse::<oci_client::Reference>().unwrap().whole();
    let annotations = BTreeMap::from([(REF_NAME.to_string(), whole)]);
    layout.put_image(image, &annotations).unwrap();
}

/// An image with `base`'s layers and its own config (running `cmd`): it shares every layer.
fn sharing_layers_of(base: &Image, cmd: &str) -> Image {
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
    Image::assemble(config, &base.layers(), &BTreeMap::new()).unwrap()
}

/// Every blob file of the store.
fn blobs(layout: &OciLayout) -> Vec<PathBuf> {
    let dir = layout.root().join("blobs/sha256");
    let mut paths: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
}

/// Sets the mtime of `path` to `age` ago.
fn age(path: &Path, age: Duration) {
    File::open(path)
        .unwrap()
        .set_modified(SystemTime::now() - age)
        .unwrap();
}

/// Makes every blob look written an hour ago: older than the grace period of garbage collection.
fn age_blobs(layout: &OciLayout) {
    for blob in blobs(layout) {
        age(&blob, HOUR);
    }
}

/// The bytes of an image's blobs: manifest, config and layers.
fn blob_bytes(image: &Image) -> u64 {
    (image.manifest_bytes.len() + image.config_bytes.len()) as u64
        + image.layers().iter().map(|l| l.size).sum::<u64>()
}

/// The bytes of every file under `dir`, as `cache prune` measures them.
fn tree_bytes(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            if path.is_dir() {
                tree_bytes(&path)
            } else {
                fs::metadata(&path).unwrap().len()
            }
        })
        .sum()
}

#[test]
fn rm_of_one_of_two_images_keeps_the_layer_they_share() {
    let cache = tempfile::tempdir().unwrap();
    let layout = store(cache.path());
    let one = tiny_image(&layout, "shared");
    let two = sharing_layers_of(&one, "/two");
    tag(&layout, &one, "one");
    tag(&layout, &two, "two");
    age_blobs(&layout);
    let layer = layout.blob_path(&one.layers()[0].digest);

    let out = ok(slipway_here(cache.path()).args(["rm", "one"]));

    insta::assert_snapshot!(out, @"
    Removed one:latest (sha256:9e1733655eb5)
    freed 618 B
    ");
    assert_eq!(
        618,
        one.manifest_bytes.len() + one.config_bytes.len(),
        "the manifest and config go, the layer stays"
    );
    assert!(layer.is_file());
    assert!(!layout.blob_path(&one.digest).exists());
    assert_eq!(store_names(cache.path()), "two:latest\n");
    assert!(ok(slipway_here(cache.path()).args(["images"])).contains("two:latest"));
}

#[test]
fn rm_of_an_unknown_name_fails_and_removes_nothing() {
    let cache = tempfile::tempdir().unwrap();
    let layout = store(cache.path());
    tag(&layout, &tiny_image(&layout, "one"), "one");
    age_blobs(&layout);
    let before = blobs(&layout);

    let err = fails(slipway_here(cache.path()).args(["rm", "one", "nothing-here"]));

    insta::assert_snapshot!(err, @"
    error: image nothing-here:latest is not in the local store
    hint: build it with `slipway build`, or see what the store has with `slipway images`
    ");
    assert_eq!(store_names(cache.path()), "one:latest\n");
    assert_eq!(blobs(&layout), before);
}

#[test]
fn rm_keeps_blobs_written_in_the_last_minutes() {
    let cache = tempfile::tempdir().unwrap();
    let layout = store(cache.path());
    let image = tiny_image(&layout, "just built");
    tag(&layout, &image, "fresh");

    let out = ok(slipway_here(cache.path()).args(["--json", "rm", "fresh"]));

    let result: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(result["result"]["freed"], 0);
    assert_eq!(result["result"]["kept_recent"], blob_bytes(&image));
    assert_eq!(result["result"]["removed"][0]["image"], "fresh:latest");
    assert_eq!(store_names(cache.path()), "");
    assert_eq!(blobs(&layout).len(), 3);
}

/// A store with `old` (tagged three hours ago) and `new` (two hours ago), no layer shared.
fn two_images_of_different_ages(cache: &Path) -> (OciLayout, Image, Image) {
    let layout = store(cache);
    let old = tiny_image(&layout, "old");
    let new = tiny_image(&layout, "new");
    tag(&layout, &old, "old");
    tag(&layout, &new, "new");
    age_blobs(&layout);
    age(&layout.blob_path(&old.digest), 3 * HOUR);
    age(&layout.blob_path(&new.digest), 2 * HOUR);
    (layout, old, new)
}

#[test]
fn prune_to_a_size_removes_the_least_recently_built_image_first() {
    let cache = tempfile::tempdir().unwrap();
    let (layout, old, new) = two_images_of_different_ages(cache.path());
    let before = tree_bytes(cache.path());

    let max_size = (before - 1).to_string();
    let out =
        ok(slipway_here(cache.path()).args(["--json", "cache", "prune", "--max-size", &max_size]));

    let result: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let result = &result["result"];
    assert_eq!(result["before"], before);
    let after = tree_bytes(cache.path());
    assert_eq!(result["after"], after);
    // The image's blobs, and its entry in index.json.
    assert_eq!(result["freed"], before - after);
    assert!(before - after > blob_bytes(&old));
    assert_eq!(result["removed"].as_array().unwrap().len(), 1, "{result}");
    assert_eq!(result["removed"][0]["kind"], "image");
    assert_eq!(result["removed"][0]["image"], "old:latest");
    assert_eq!(result["removed"][0]["bytes"], blob_bytes(&old));
    assert_eq!(store_names(cache.path()), "new:latest\n");
    assert!(layout.load_image(&new.digest).is_ok());
}

#[test]
fn prune_dry_run_prints_the_plan_and_removes_nothing() {
    let cache = tempfile::tempdir().unwrap();
    let (layout, _, _) = two_images_of_different_ages(cache.path());
    let orphan = layout
        .write_blob(b"left by an image removed long ago")
        .unwrap();
    age(&layout.blob_path(&orphan), HOUR);
    let crashed = layout.root().join("blobs/sha256/.tmp-crashed");
    fs::write(&crashed, b"half a blob").unwrap();
    age(&crashed, 2 * HOUR);
    let files_before = blobs(&layout);

    let out =
        ok(slipway_here(cache.path()).args(["cache", "prune", "--max-size", "1K", "--dry-run"]));

    insta::assert_snapshot!(redact(&out, &[(cache.path(), "CACHE")]), @"
    Would remove from CACHE (2.00 KiB, max size 1.00 KiB):
            33 B  store blobs no image uses (1)
            11 B  temporary or expired files (1)
           708 B  image old:latest, last built 3 hours ago
           708 B  image new:latest, last built 2 hours ago
    2.00 KiB -> 589 B (dry run: nothing removed)
    ");
    assert_eq!(store_names(cache.path()), "new:latest\nold:latest\n");
    assert_eq!(blobs(&layout), files_before);
}

/// Writes `bytes` bytes at `path` (making its directories), `days` days old.
fn file(path: &Path, bytes: usize, days: u32) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, vec![b'x'; bytes]).unwrap();
    age(path, days * 24 * HOUR);
}

/// A build environment of Debian `codename` with `packages`, made `days` days ago.
fn environment(debian: &Path, hash: &str, packages: &[&str], days: u32) -> PathBuf {
    let env = debian.join("build-env").join(hash);
    let rootfs = env.join("rootfs");
    let os_release = "ID=debian\nVERSION_CODENAME=trixie\n";
    fs::create_dir_all(rootfs.join("usr/lib")).unwrap();
    fs::write(rootfs.join("usr/lib/os-release"), os_release).unwrap();
    for package in packages {
        file(
            &rootfs.join("var/lib/dpkg/status.d").join(package),
            100,
            days,
        );
    }
    age(&env, days * 24 * HOUR);
    env
}

/// Sets the mtime of `dir` and of everything in it to `age` ago.
fn age_tree(dir: &Path, how_old: Duration) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            age_tree(&path, how_old);
        } else {
            age(&path, how_old);
        }
    }
    age(dir, how_old);
}

/// The `kind`s of what a `--json` prune removed, in order.
fn kinds(out: &str) -> Vec<String> {
    let result: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let removed = result["result"]["removed"].as_array().unwrap();
    removed
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["kind"].as_str().unwrap(),
                r["what"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn prune_removes_old_build_environments_always_and_the_caches_only_when_over() {
    let cache = tempfile::tempdir().unwrap();
    let debian = cache.path().join("debian");
    let go = ["base-files", "gcc"];
    let old_env = environment(&debian, "0ld", &go, 3);
    let new_env = environment(&debian, "1ew", &go, 2);
    let java_env = environment(&debian, "2ava", &["base-files", "gcc", "openjdk-21-jdk"], 4);
    file(&debian.join("debs/sha256/aaaa.deb"), 1000, 5);
    file(&debian.join("indexes/sha256/old"), 500, 2);
    let today_index = debian.join("indexes/sha256/today");
    file(&today_index, 500, 0);
    let inrelease = debian.join("dists/0123/trixie/InRelease");
    file(&inrelease, 100, 0);
    let resolution = debian.join("resolutions/debian-13-amd64-trixie-slipway-0.1.0.lock");
    file(&resolution, 100, 2);
    let go_cache = cache.path().join("buildpacks/slipway_go");
    let read_only = go_cache.join("trixie/gomodcache/example.com/m@v1.0.0");
    file(&read_only.join("go.mod"), 2000, 1);
    // As Go leaves its module cache.
    fs::set_permissions(&read_only, fs::Permissions::from_mode(0o555)).unwrap();
    age_tree(&go_cache, 24 * HOUR);

    let out = ok(slipway_here(cache.path()).args(["--json", "cache", "prune", "--max-size", "1G"]));

    assert_eq!(
        kinds(&out),
        [
            "temporary temporary or expired files (1)",
            "old-build-environment build environment trixie, 2 packages (build-env/0ld)",
        ]
    );
    assert!(!old_env.exists() && !resolution.exists());
    assert!(new_env.is_dir() && java_env.is_dir());

    let out = ok(slipway_here(cache.path()).args(["--json", "cache", "prune", "--max-size", "1"]));

    assert_eq!(
        kinds(&out),
        [
            "build-environment build environment trixie, 3 packages (build-env/2ava)",
            "build-environment build environment trixie, 2 packages (build-env/1ew)",
            "debian files of the Debian cache: .debs, old indexes (2)",
            "buildpack-cache buildpack cache slipway_go",
        ]
    );
    assert!(!new_env.exists() && !java_env.exists() && !go_cache.exists());
    assert!(!debian.join("debs/sha256/aaaa.deb").exists());
    assert!(
        today_index.is_file() && inrelease.is_file(),
        "the last day's indexes stay"
    );
}
