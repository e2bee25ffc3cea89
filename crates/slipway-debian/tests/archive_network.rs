//! End to end against the real Debian archive, through the mirror the host's apt sources name,
//! and tamper tests that serve modified copies of real archive files from 127.0.0.1.
//!
//! Run with `cargo test -p slipway-debian --release -- --include-ignored archive_network` to see
//! the timings of a full `main` index (they are printed, never asserted).

#![allow(
    clippy::print_stderr,
    reason = "the tests print timings for the benchmark table"
)]

use slipway_testkit::FileServer;
use std::path::{Path, PathBuf};
use std::time::Instant;

use slipway_debian::archive::{Archive, ArchiveError, SuiteSet};
use slipway_debian::index::{SuiteIndex, parse_packages};
use slipway_debian::keyring::{DEFAULT_KEYRING, Keyring};
use slipway_debian::lockfile::Lockfile;
use slipway_debian::mirror::Mirrors;
use slipway_debian::release::{ReleaseError, verify_inrelease};
use slipway_debian::resolve::resolve;

const RELEASE: &str = "trixie";
const ROOTS: [&str; 5] = [
    "base-files",
    "ca-certificates",
    "tzdata",
    "netbase",
    "libc6",
];

fn host_mirrors() -> Mirrors {
    Mirrors::from_apt_sources(Path::new("/etc/apt"))
        .expect("the host's apt sources name a Debian mirror")
}

fn host_keyring() -> Keyring {
    Keyring::load(Path::new(DEFAULT_KEYRING)).expect("debian-archive-keyring is installed")
}

fn roots() -> Vec<String> {
    ROOTS.iter().map(|root| (*root).to_owned()).collect()
}

async fn get(url: &str) -> Vec<u8> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let response = reqwest::get(url).await.expect("GET");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.bytes().await.expect("body").to_vec()
}

/// Resolves the roots for `arch` from the release alone, printing timings; returns the lockfile.
async fn resolve_release(arch: &str) -> Lockfile {
    let cache = tempfile::tempdir().expect("cache");
    let archive = Archive::new(host_mirrors(), host_keyring(), cache.path()).expect("archive");

    let cold = Instant::now();
    let indexes = archive
        .suite_indexes(RELEASE, SuiteSet::RELEASE_ONLY, arch, false)
        .await
        .expect("indexes");
    let cold = cold.elapsed();
    let warm = Instant::now();
    archive
        .suite_indexes(RELEASE, SuiteSet::RELEASE_ONLY, arch, false)
        .await
        .expect("cached indexes");
    let warm = warm.elapsed();

    // Parse alone, from the cached decompressed index.
    let release = archive.release(RELEASE, false).await.expect("release");
    let plain = release
        .packages_index("main", arch)
        .expect("index")
        .uncompressed
        .expect("the uncompressed index is listed");
    let text = std::fs::read(cache.path().join("indexes/sha256").join(&plain.sha256))
        .expect("cached index");
    let size = text.len();
    let parse = Instant::now();
    let entries = parse_packages(text, "timing").expect("parse");
    let parse = parse.elapsed();

    let start = Instant::now();
    let resolved = resolve(&indexes, &roots(), arch).expect("resolve");
    let resolve_time = start.elapsed();
    eprintln!(
        "{RELEASE} main {arch}: {} MB, {} packages; cold fetch+verify+parse {cold:.2?}, warm (cached) {warm:.2?}, \
         parse alone {parse:.2?}, resolve {} packages {resolve_time:.2?}",
        size / 1_000_000,
        entries.len(),
        resolved.len()
    );
    assert!(entries.len() > 50_000, "a full main index");
    let names: Vec<&str> = resolved.iter().map(|r| r.entry.name.as_str()).collect();
    eprintln!("resolved: {}", names.join(" "));
    for root in ROOTS {
        assert!(names.contains(&root), "{root} in {names:?}");
    }
    assert!(
        resolved
            .iter()
            .all(|r| r.entry.architecture == arch || r.entry.architecture == "all")
    );
    let suites = SuiteSet::RELEASE_ONLY.names(RELEASE);
    let lockfile = Lockfile::from_resolved("debian-13", RELEASE, arch, &suites, &resolved);
    lockfile
        .check_served(&indexes)
        .expect("the mirror serves what it just listed");
    let text = lockfile.to_toml().expect("toml");
    assert_eq!(
        Lockfile::parse(&text)
            .expect("parse")
            .to_toml()
            .expect("toml"),
        text
    );
    lockfile
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "end-to-end: needs the Debian mirror from apt sources"]
async fn resolves_trixie_amd64_network() {
    let lockfile = resolve_release("amd64").await;
    let libc = lockfile.package("libc6").expect("libc6");
    assert_eq!(
        (libc.architecture.as_str(), libc.source.as_str()),
        ("amd64", "glibc")
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "end-to-end: needs the Debian mirror from apt sources"]
async fn resolves_trixie_arm64_lockfile_network() {
    let lockfile = resolve_release("arm64").await;
    assert_eq!(lockfile.architecture, "arm64");
    let libc = lockfile.package("libc6").expect("libc6");
    assert_eq!(libc.architecture, "arm64");
    assert!(libc.filename.ends_with("_arm64.deb"), "{}", libc.filename);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "end-to-end: needs the Debian mirror from apt sources"]
async fn update_shows_what_security_and_updates_patch_network() {
    let cache = tempfile::tempdir().expect("cache");
    let archive = Archive::new(host_mirrors(), host_keyring(), cache.path()).expect("archive");
    let lock = |set: SuiteSet, indexes: &[SuiteIndex]| {
        let resolved = resolve(indexes, &roots(), "amd64").expect("resolve");
        Lockfile::from_resolved(
            "debian-13",
            RELEASE,
            "amd64",
            &set.names(RELEASE),
            &resolved,
        )
    };
    let start = Instant::now();
    let release_only = archive
        .suite_indexes(RELEASE, SuiteSet::RELEASE_ONLY, "amd64", false)
        .await
        .expect("release");
    let all = archive
        .suite_indexes(RELEASE, SuiteSet::ALL, "amd64", false)
        .await
        .expect("all suites");
    eprintln!(
        "release, -updates and -security indexes: {:.2?}",
        start.elapsed()
    );
    let old = lock(SuiteSet::RELEASE_ONLY, &release_only);
    let new = lock(SuiteSet::ALL, &all);
    let changes = Lockfile::diff(&old, &new);
    eprintln!("stack update would change: {changes:#?}");
    for change in &changes {
        let package = new.package(&change.name).expect("in the new lockfile");
        assert!(
            package.suite != RELEASE,
            "{change}: a newer version comes from -updates or -security"
        );
    }
    assert_eq!(all.len(), 3);
    assert!(all[2].packages.len() > 100, "trixie-security has packages");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "end-to-end: needs the Debian mirror from apt sources"]
async fn real_inrelease_verifies_and_any_flipped_byte_fails_network() {
    let mirrors = host_mirrors();
    let keyring = host_keyring();
    let bytes = get(&format!("{}/dists/{RELEASE}/InRelease", mirrors.debian)).await;
    let release = verify_inrelease(&bytes, &keyring).expect("the real InRelease verifies");
    assert_eq!(release.codename, RELEASE);
    assert!(release.packages_index("main", "amd64").is_ok());
    let text_end = String::from_utf8_lossy(&bytes)
        .find("-----BEGIN PGP SIGNATURE")
        .expect("signature");
    for at in [100, text_end / 2, text_end - 10] {
        let mut tampered = bytes.clone();
        tampered[at] ^= 0x02;
        let err = verify_inrelease(&tampered, &keyring).expect_err("flipped byte");
        assert!(
            matches!(err, ReleaseError::BadSignature { .. }),
            "byte {at}: {err:?}"
        );
    }
    let security = get(&format!(
        "{}/dists/{RELEASE}-security/InRelease",
        mirrors.security
    ))
    .await;
    verify_inrelease(&security, &keyring).expect("the security InRelease verifies");
}

/// The mirror's base URL on the test file server.
fn base(server: &FileServer) -> String {
    format!("{}/debian", server.url())
}

/// A local mirror directory holding a copy of the real trixie `InRelease`, possibly modified.
fn local_mirror(inrelease: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("www");
    let dists = dir.path().join(format!("debian/dists/{RELEASE}"));
    std::fs::create_dir_all(dists.join("main/binary-amd64")).expect("mkdir");
    std::fs::write(dists.join("InRelease"), inrelease).expect("InRelease");
    (dir, dists)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "end-to-end: needs the Debian mirror from apt sources"]
async fn tampered_inrelease_from_a_local_mirror_is_refused_network() {
    let real = get(&format!(
        "{}/dists/{RELEASE}/InRelease",
        host_mirrors().debian
    ))
    .await;
    let text = String::from_utf8(real).expect("utf-8");
    // Point the amd64 index at another file, as an attacker serving other packages would.
    let hash = text
        .lines()
        .filter(|line| line.ends_with(" main/binary-amd64/Packages.xz"))
        .filter_map(|line| line.split_whitespace().next())
        .find(|hash| hash.len() == 64)
        .expect("SHA256 line of Packages.xz");
    let flipped = if hash.starts_with('0') { "1" } else { "0" };
    let tampered = text.replacen(hash, &format!("{flipped}{}", &hash[1..]), 1);
    assert_ne!(tampered, text);
    let (www, _) = local_mirror(tampered.as_bytes());
    let server = FileServer::start(www.path());
    let cache = tempfile::tempdir().expect("cache");
    let archive = Archive::new(
        Mirrors::from_url(&base(&server), None).expect("mirrors"),
        host_keyring(),
        cache.path(),
    )
    .expect("archive");
    let err = archive
        .suite_indexes(RELEASE, SuiteSet::RELEASE_ONLY, "amd64", false)
        .await
        .expect_err("tampered InRelease");
    let message = slipway_debian::error_chain(&err);
    eprintln!("{message}");
    assert!(
        matches!(
            err,
            ArchiveError::Release { ref source, .. } if matches!(**source, ReleaseError::BadSignature { .. })
        ),
        "{message}"
    );
    assert!(message.contains("signature is bad"), "{message}");
    assert!(message.contains("nothing was cached"), "{message}");
    assert_eq!(
        slipway_testkit::relative_files(cache.path()),
        Vec::<String>::new(),
        "nothing cached"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "end-to-end: needs the Debian mirror from apt sources"]
async fn tampered_packages_from_a_local_mirror_is_refused_network() {
    let mirrors = host_mirrors();
    let real = get(&format!("{}/dists/{RELEASE}/InRelease", mirrors.debian)).await;
    let mut packages = get(&format!(
        "{}/dists/{RELEASE}/main/binary-amd64/Packages.xz",
        mirrors.debian
    ))
    .await;
    let middle = packages.len() / 2;
    packages[middle] ^= 0x01;
    let (www, dists) = local_mirror(&real);
    std::fs::write(dists.join("main/binary-amd64/Packages.xz"), &packages).expect("Packages.xz");
    let server = FileServer::start(www.path());
    let cache = tempfile::tempdir().expect("cache");
    let archive = Archive::new(
        Mirrors::from_url(&base(&server), None).expect("mirrors"),
        host_keyring(),
        cache.path(),
    )
    .expect("archive");
    let err = archive
        .suite_indexes(RELEASE, SuiteSet::RELEASE_ONLY, "amd64", false)
        .await
        .expect_err("tampered Packages.xz");
    let message = slipway_debian::error_chain(&err);
    eprintln!("{message}");
    assert!(matches!(err, ArchiveError::Checksum { .. }), "{message}");
    assert!(message.contains("does not match the SHA-256"), "{message}");
    assert!(message.contains("nothing was cached"), "{message}");
    assert_eq!(
        server.hits(&format!(
            "/debian/dists/{RELEASE}/main/binary-amd64/Packages.xz"
        )),
        1
    );
    let cached = slipway_testkit::relative_files(cache.path());
    assert_eq!(cached.len(), 1, "only the verified InRelease: {cached:?}");
    assert!(
        cached[0].ends_with(&format!("{RELEASE}/InRelease")),
        "{cached:?}"
    );
}
