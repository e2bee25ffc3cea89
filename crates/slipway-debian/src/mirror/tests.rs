use std::path::Path;

use super::*;

fn apt_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("sources.list.d")).expect("sources.list.d");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write source");
    }
    dir
}

const DEB822: &str = "\
Types: deb
# a comment apt allows
URIs: http://mirror.example.invalid/debian/
Suites: trixie trixie-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://security.example.invalid/debian-security
Suites: trixie-security
Components: main
";

#[test]
fn deb822_sources_give_both_mirrors() {
    let dir = apt_dir(&[("sources.list.d/debian.sources", DEB822)]);
    let mirrors = Mirrors::from_apt_sources(dir.path()).expect("mirrors");
    assert_eq!(mirrors.debian, "http://mirror.example.invalid/debian");
    assert_eq!(
        mirrors.security,
        "http://security.example.invalid/debian-security"
    );
}

#[test]
fn one_line_sources_give_both_mirrors() {
    let list = "\
# deb http://old.example.invalid/debian bookworm main
deb-src http://src.example.invalid/debian trixie main
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example.invalid/debian trixie main
deb http://mirror.example.invalid/debian trixie-updates main
deb http://security.example.invalid/debian-security trixie-security main
";
    let dir = apt_dir(&[("sources.list", list)]);
    let mirrors = Mirrors::from_apt_sources(dir.path()).expect("mirrors");
    assert_eq!(mirrors.debian, "http://mirror.example.invalid/debian");
    assert_eq!(
        mirrors.security,
        "http://security.example.invalid/debian-security"
    );
}

#[test]
fn third_party_and_disabled_sources_are_passed_over() {
    let vendor = "\
Types: deb
URIs: https://vendor.example.invalid/node
Suites: nodistro
Components: main
";
    let disabled = "\
Types: deb
URIs: http://disabled.example.invalid/debian
Suites: trixie
Components: main
Enabled: no
";
    let dir = apt_dir(&[
        ("sources.list.d/a-vendor.sources", vendor),
        ("sources.list.d/b-disabled.sources", disabled),
        (
            "sources.list.d/c-debian.list",
            "deb http://mirror.example.invalid/debian trixie main\n",
        ),
        ("sources.list.d/d-ignored.sources.disabled", DEB822),
    ]);
    let mirrors = Mirrors::from_apt_sources(dir.path()).expect("mirrors");
    assert_eq!(mirrors.debian, "http://mirror.example.invalid/debian");
    // No -security source: the sibling directory of the Debian mirror.
    assert_eq!(
        mirrors.security,
        "http://mirror.example.invalid/debian-security"
    );
}

#[test]
fn no_sources_says_to_pass_the_flag() {
    let dir = apt_dir(&[]);
    let err = Mirrors::from_apt_sources(dir.path()).expect_err("nothing configured");
    assert!(err.to_string().contains("--debian-mirror"), "{err}");
    let err =
        Mirrors::resolve_from(None, None, None, Path::new("/nonexistent/apt")).expect_err("none");
    assert!(matches!(err, MirrorError::NotConfigured { .. }), "{err:?}");
}

#[test]
fn flag_beats_env_beats_apt_sources() {
    let dir = apt_dir(&[("sources.list.d/debian.sources", DEB822)]);
    let flag = Mirrors::resolve_from(
        Some("http://flag.example.invalid/debian"),
        Some("http://env.example.invalid/debian"),
        None,
        dir.path(),
    )
    .expect("flag");
    assert_eq!(flag.debian, "http://flag.example.invalid/debian");
    let env = Mirrors::resolve_from(
        None,
        Some("http://env.example.invalid/debian"),
        None,
        dir.path(),
    )
    .expect("env");
    assert_eq!(env.debian, "http://env.example.invalid/debian");
    assert_eq!(env.security, "http://env.example.invalid/debian-security");
    let apt = Mirrors::resolve_from(None, None, None, dir.path()).expect("apt");
    assert_eq!(apt.debian, "http://mirror.example.invalid/debian");
}

#[test]
fn security_defaults_to_the_sibling_directory() {
    let mirrors =
        Mirrors::from_url("http://proxy.example.invalid:3142/deb/debian/", None).expect("url");
    assert_eq!(
        mirrors.debian,
        "http://proxy.example.invalid:3142/deb/debian"
    );
    assert_eq!(
        mirrors.security,
        "http://proxy.example.invalid:3142/deb/debian-security"
    );
    let bare = Mirrors::from_url("http://127.0.0.1:8080", None).expect("bare host");
    assert_eq!(bare.security, "http://127.0.0.1:8080/debian-security");
    let explicit = Mirrors::from_url(
        "http://a.example.invalid/debian",
        Some("https://b.example.invalid/sec"),
    )
    .expect("explicit");
    assert_eq!(explicit.security, "https://b.example.invalid/sec");
    assert_eq!(
        explicit.base_for_suite("trixie-security"),
        "https://b.example.invalid/sec"
    );
    assert_eq!(
        explicit.base_for_suite("trixie-updates"),
        "http://a.example.invalid/debian"
    );
}

#[test]
fn non_http_urls_are_refused() {
    for url in [
        "ftp://mirror.example.invalid/debian",
        "mirror.example.invalid/debian",
        "http://",
    ] {
        let err = Mirrors::from_url(url, None).expect_err(url);
        assert!(matches!(err, MirrorError::BadUrl { .. }), "{url}: {err:?}");
    }
}
