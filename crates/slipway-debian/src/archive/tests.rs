//! The archive client against a small HTTP server on 127.0.0.1 that serves an archive signed
//! with a throw-away key, so that every check (and the cache) is tested offline.

use slipway_testkit::FileServer;
use std::io::Write as _;
use std::path::PathBuf;

use super::*;
use crate::release::ReleaseError;
use crate::release::testkey::TestKey;

const PACKAGES: &str = "\
Package: base-files
Version: 13.8
Architecture: amd64
Depends: libc6
Filename: pool/main/b/base-files/base-files_13.8_amd64.deb
Size: 73316
SHA256: 1111111111111111111111111111111111111111111111111111111111111111

Package: libc6
Source: glibc
Version: 2.41-12
Architecture: amd64
Filename: pool/main/g/glibc/libc6_2.41-12_amd64.deb
Size: 2851340
SHA256: 2222222222222222222222222222222222222222222222222222222222222222
";

/// The mirror's base URL on the test file server.
fn base(server: &FileServer) -> String {
    format!("{}/debian", server.url())
}

/// A signed one-suite archive under `root/debian`.
struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    cache: PathBuf,
    key: TestKey,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("www");
        let cache = dir.path().join("cache");
        let fixture = Self {
            root,
            cache,
            key: TestKey::new(3),
            _dir: dir,
        };
        fixture.publish(PACKAGES, None);
        fixture
    }

    fn dists(&self) -> PathBuf {
        self.root.join("debian/dists/trixie")
    }

    /// Writes `Packages.xz` and a signed `InRelease`; `serve_instead` replaces the served
    /// `Packages.xz` after signing (a tampered index).
    fn publish(&self, packages: &str, serve_instead: Option<&[u8]>) {
        let mut encoder = xz2::write::XzEncoder::new(Vec::new(), 6);
        encoder.write_all(packages.as_bytes()).expect("xz");
        let xz = encoder.finish().expect("xz");
        let release = format!(
            "Origin: Debian\nSuite: stable\nCodename: trixie\nDate: Sat, 21 Nov 2026 09:15:44 UTC\n\
             Acquire-By-Hash: yes\nArchitectures: all amd64\nComponents: main\nSHA256:\n \
             {} {} main/binary-amd64/Packages\n {} {} main/binary-amd64/Packages.xz\n",
            sha256_hex(packages.as_bytes()),
            packages.len(),
            sha256_hex(&xz),
            xz.len()
        );
        let index_dir = self.dists().join("main/binary-amd64");
        std::fs::create_dir_all(&index_dir).expect("mkdir");
        std::fs::write(index_dir.join("Packages.xz"), serve_instead.unwrap_or(&xz))
            .expect("write xz");
        std::fs::write(self.dists().join("InRelease"), self.key.sign(&release))
            .expect("write InRelease");
    }

    fn archive(&self, server: &FileServer) -> Archive {
        let mirrors = Mirrors::from_url(&base(server), None).expect("mirrors");
        Archive::new(mirrors, self.key.keyring(), &self.cache).expect("archive")
    }
}

const INRELEASE: &str = "/debian/dists/trixie/InRelease";
const PACKAGES_XZ: &str = "/debian/dists/trixie/main/binary-amd64/Packages.xz";

#[tokio::test]
async fn verified_index_is_parsed_and_cached() {
    let fixture = Fixture::new();
    let server = FileServer::start(&fixture.root);
    let archive = fixture.archive(&server);
    let indexes = archive
        .suite_indexes("trixie", SuiteSet::RELEASE_ONLY, "amd64", false)
        .await
        .expect("indexes");
    assert_eq!(indexes.len(), 1);
    assert_eq!(indexes[0].suite_name, "trixie");
    let names: Vec<&str> = indexes[0]
        .packages
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["base-files", "libc6"]);
    // The by-hash path was tried first, then the plain one.
    assert_eq!(server.hits(PACKAGES_XZ), 1);
    assert_eq!(server.hits(INRELEASE), 1);

    // Within a day, nothing is fetched again.
    archive
        .suite_indexes("trixie", SuiteSet::RELEASE_ONLY, "amd64", false)
        .await
        .expect("cached");
    assert_eq!((server.hits(INRELEASE), server.hits(PACKAGES_XZ)), (1, 1));

    // A refresh fetches InRelease again, but the index it lists is already cached.
    archive
        .suite_indexes("trixie", SuiteSet::RELEASE_ONLY, "amd64", true)
        .await
        .expect("refreshed");
    assert_eq!((server.hits(INRELEASE), server.hits(PACKAGES_XZ)), (2, 1));
    let cached = slipway_testkit::relative_files(&fixture.cache);
    assert_eq!(cached.len(), 2, "{cached:?}");
    assert!(
        cached.iter().any(|f| f.ends_with("trixie/InRelease")),
        "{cached:?}"
    );
}

#[tokio::test]
async fn an_old_cached_inrelease_is_fetched_again() {
    let fixture = Fixture::new();
    let server = FileServer::start(&fixture.root);
    let archive = fixture.archive(&server).with_max_age(Duration::ZERO);
    for _ in 0..2 {
        archive
            .suite_index("trixie", "amd64", false)
            .await
            .expect("index");
    }
    assert_eq!((server.hits(INRELEASE), server.hits(PACKAGES_XZ)), (2, 1));
}

#[tokio::test]
async fn a_tampered_inrelease_is_a_bad_signature_and_nothing_is_cached() {
    let fixture = Fixture::new();
    let path = fixture.dists().join("InRelease");
    let signed = std::fs::read_to_string(&path).expect("read");
    std::fs::write(
        &path,
        signed.replace("Codename: trixie", "Codename: trixiE"),
    )
    .expect("tamper");
    let server = FileServer::start(&fixture.root);
    let err = fixture
        .archive(&server)
        .suite_index("trixie", "amd64", false)
        .await
        .expect_err("tampered");
    let text = crate::error_chain(&err);
    assert!(
        matches!(
            err,
            ArchiveError::Release { ref source, .. } if matches!(**source, ReleaseError::BadSignature { .. })
        ),
        "{text}"
    );
    assert!(
        text.contains("signature is bad") && text.contains("nothing was cached"),
        "{text}"
    );
    assert_eq!(
        slipway_testkit::relative_files(&fixture.cache),
        Vec::<String>::new()
    );
    assert_eq!(
        server.hits(PACKAGES_XZ),
        0,
        "nothing listed by a bad InRelease is fetched"
    );
}

#[tokio::test]
async fn a_tampered_index_is_a_checksum_error_and_is_not_cached() {
    let fixture = Fixture::new();
    let evil = PACKAGES.replace("2.41-12", "2.41-99");
    let mut encoder = xz2::write::XzEncoder::new(Vec::new(), 6);
    encoder.write_all(evil.as_bytes()).expect("xz");
    fixture.publish(PACKAGES, Some(&encoder.finish().expect("xz")));
    let server = FileServer::start(&fixture.root);
    let err = fixture
        .archive(&server)
        .suite_index("trixie", "amd64", false)
        .await
        .expect_err("tampered index");
    let text = crate::error_chain(&err);
    assert!(matches!(err, ArchiveError::Checksum { .. }), "{text}");
    assert!(
        text.contains("does not match the SHA-256") && text.contains("nothing was cached"),
        "{text}"
    );
    let cached = slipway_testkit::relative_files(&fixture.cache);
    assert!(
        cached.iter().all(|f| f.ends_with("InRelease")),
        "only the verified InRelease: {cached:?}"
    );
}

#[tokio::test]
async fn missing_suite_arch_and_mirror_are_named() {
    let fixture = Fixture::new();
    let server = FileServer::start(&fixture.root);
    let archive = fixture.archive(&server);
    let err = archive
        .suite_index("trixie-backports", "amd64", false)
        .await
        .expect_err("no suite");
    assert!(matches!(err, ArchiveError::NoSuite { .. }), "{err:?}");
    assert!(err.to_string().contains("trixie-backports"), "{err}");
    let err = archive
        .suite_index("trixie", "riscv64", false)
        .await
        .expect_err("no arch");
    assert!(
        crate::error_chain(&err).contains("main/binary-riscv64/Packages"),
        "{}",
        crate::error_chain(&err)
    );

    // A port nothing listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let mirrors =
        Mirrors::from_url(&format!("http://127.0.0.1:{port}/debian"), None).expect("mirrors");
    let archive =
        Archive::new(mirrors, fixture.key.keyring(), fixture.cache.join("other")).expect("archive");
    let err = archive
        .suite_index("trixie", "amd64", false)
        .await
        .expect_err("unreachable");
    assert!(matches!(err, ArchiveError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("--debian-mirror"), "{err}");
}

#[test]
fn suite_sets_name_the_suites_in_preference_order() {
    assert_eq!(SuiteSet::RELEASE_ONLY.names("trixie"), ["trixie"]);
    assert_eq!(
        SuiteSet::ALL.names("trixie"),
        ["trixie", "trixie-updates", "trixie-security"]
    );
}
