use std::time::{Duration, SystemTime};

use super::testkey::TestKey;
use super::*;

const SHA_A: &str = "be3d7d96a040eda0505c1808cccc67f183bbc05dff0842c50f88e6c396557412";
const SHA_B: &str = "2efd6103f013081f8118f4c9f228739bc97bff2e4e1de496f80458c7e72a24ac";
const SHA_C: &str = "4967137e99422deb3b08e4eab8d6e756abfc826ef2c3744f50c1ab8ed053bf7e";

fn release_text(valid_until: Option<&str>) -> String {
    let valid_until = valid_until
        .map(|value| format!("Valid-Until: {value}\n"))
        .unwrap_or_default();
    format!(
        "Origin: Debian\nLabel: Debian\nSuite: stable\nVersion: 13.8\nCodename: trixie\n\
         Date: Sat, 21 Nov 2026 09:15:44 UTC\n{valid_until}Acquire-By-Hash: yes\n\
         Architectures: all amd64 arm64\nComponents: main contrib\n\
         Description: Debian 13.8\nMD5Sum:\n 4732da192911c0078099ac4a97b71322 56634892 main/binary-amd64/Packages\n\
         SHA256:\n {SHA_B} 56634892 main/binary-amd64/Packages\n {SHA_C} 13335627 \
         main/binary-amd64/Packages.gz\n {SHA_A}  9679304 main/binary-amd64/Packages.xz\n \
         {SHA_C}  1234 main/binary-arm64/Packages.gz\n"
    )
}

#[test]
fn parses_the_fields_slipway_uses() {
    let release = Release::parse(&release_text(None)).expect("parse");
    assert_eq!(release.suite, "stable");
    assert_eq!(release.codename, "trixie");
    assert_eq!(release.date, "Sat, 21 Nov 2026 09:15:44 UTC");
    assert_eq!(release.valid_until, None);
    assert_eq!(release.architectures, ["all", "amd64", "arm64"]);
    assert_eq!(release.components, ["main", "contrib"]);
    assert!(release.acquire_by_hash);
    assert_eq!(release.sha256.len(), 4);
    let xz = release.file("main/binary-amd64/Packages.xz").expect("xz");
    assert_eq!((xz.sha256.as_str(), xz.size), (SHA_A, 9_679_304));
}

#[test]
fn prefers_xz_and_falls_back_to_gz() {
    let release = Release::parse(&release_text(None)).expect("parse");
    let amd64 = release.packages_index("main", "amd64").expect("amd64");
    assert_eq!(amd64.compression, Compression::Xz);
    assert_eq!(amd64.uncompressed.expect("plain").sha256, SHA_B);
    let arm64 = release.packages_index("main", "arm64").expect("arm64");
    assert_eq!(arm64.compression, Compression::Gz);
    assert_eq!(arm64.uncompressed, None);
    let err = release
        .packages_index("main", "riscv64")
        .expect_err("no riscv64");
    assert!(
        err.to_string().contains("main/binary-riscv64/Packages"),
        "{err}"
    );
}

#[test]
fn malformed_checksum_line_is_named() {
    let text = "Suite: stable\nDate: Sat, 21 Nov 2026 09:15:44 UTC\nSHA256:\n nothex 12 main/x\n";
    let err = Release::parse(text).expect_err("bad line");
    assert!(matches!(err, ReleaseError::ChecksumLine(ref line) if line == "nothex 12 main/x"));
}

#[test]
fn valid_until_in_the_past_is_refused() {
    let release =
        Release::parse(&release_text(Some("Thu, 3 Dec 2026 02:15:27 UTC"))).expect("parse");
    let before = httpdate::parse_http_date("Wed, 02 Dec 2026 00:00:00 GMT").expect("date");
    release.check_valid_until(before).expect("still valid");
    let after = before + Duration::from_secs(3 * 86_400);
    let err = release.check_valid_until(after).expect_err("expired");
    assert!(matches!(err, ReleaseError::Expired { .. }), "{err:?}");
    assert!(release.date_time().expect("date") < before);
}

#[test]
fn another_suite_is_refused() {
    let release = Release::parse(&release_text(None)).expect("parse");
    release.check_suite("trixie").expect("codename");
    release.check_suite("stable").expect("suite");
    let err = release.check_suite("bookworm").expect_err("downgrade");
    assert!(err.to_string().contains("bookworm"), "{err}");
}

#[test]
fn signed_release_verifies_and_is_parsed() {
    let key = TestKey::new(1);
    let inrelease = key.sign(&release_text(None));
    let release = verify_inrelease(inrelease.as_bytes(), &key.keyring()).expect("verify");
    assert_eq!(release.codename, "trixie");
    assert_eq!(release.sha256.len(), 4);
    assert!(!release.signed_by.is_empty());
}

#[test]
fn modified_release_is_a_bad_signature() {
    let key = TestKey::new(1);
    let inrelease = key.sign(&release_text(None));
    // Point the xz index at another digest: what an attacker serving other packages would do.
    let tampered = inrelease.replacen(SHA_A, SHA_C, 1);
    assert_ne!(tampered, inrelease);
    let err = verify_inrelease(tampered.as_bytes(), &key.keyring()).expect_err("tampered");
    assert!(matches!(err, ReleaseError::BadSignature { .. }), "{err:?}");
    assert!(err.to_string().contains("modified"), "{err}");
}

#[test]
fn every_flipped_byte_of_the_text_is_caught() {
    let key = TestKey::new(1);
    let inrelease = key.sign(&release_text(None));
    let start = inrelease.find("Origin").expect("text");
    let end = inrelease
        .find("-----BEGIN PGP SIGNATURE")
        .expect("signature");
    let keyring = key.keyring();
    for at in (start..end).step_by(37) {
        let mut bytes = inrelease.clone().into_bytes();
        if bytes[at] == b'\n' {
            continue;
        }
        bytes[at] ^= 0x01;
        let err = verify_inrelease(&bytes, &keyring).expect_err("flipped byte");
        assert!(
            matches!(err, ReleaseError::BadSignature { .. }),
            "byte {at}: {err:?}"
        );
    }
}

#[test]
fn unknown_signer_names_the_fix() {
    let signer = TestKey::new(1);
    let other = TestKey::new(2);
    let inrelease = signer.sign(&release_text(None));
    let err = verify_inrelease(inrelease.as_bytes(), &other.keyring()).expect_err("unknown key");
    assert!(matches!(err, ReleaseError::UnknownSigner { .. }), "{err:?}");
    assert!(err.to_string().contains("--debian-keyring"), "{err}");
}

#[test]
fn an_html_page_is_not_cleartext() {
    let key = TestKey::new(1);
    let err = verify_inrelease(b"<html>404</html>\n", &key.keyring()).expect_err("html");
    assert!(matches!(err, ReleaseError::NotCleartext { .. }), "{err:?}");
}

#[test]
fn dates_parse_with_one_or_two_digit_days() {
    let one = parse_date("Date", "Tue, 1 Dec 2026 00:00:00 UTC").expect("one digit");
    let two = parse_date("Date", "Wed, 02 Dec 2026 00:00:00 UTC").expect("two digits");
    assert_eq!(
        two.duration_since(one).expect("order"),
        Duration::from_secs(86_400)
    );
    assert!(parse_date("Date", "yesterday").is_err());
    assert!(SystemTime::UNIX_EPOCH < one);
}
