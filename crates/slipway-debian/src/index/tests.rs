use super::*;

const PACKAGES: &str = "\
Package: libc6
Source: glibc
Version: 2.41-12
Installed-Size: 12919
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Depends: libgcc-s1
Recommends: libidn2-0 (>= 2.0.5~)
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
Homepage: https://www.gnu.org/software/libc/libc.html
Section: libs
Priority: optional
Filename: pool/main/g/glibc/libc6_2.41-12_amd64.deb
Size: 2851340
SHA256: 0CAEB1B0A5B2F5E4C8B1C3B2E5A7D9F1E3C5B7A9D1F3E5C7B9A1D3F5E7C9B1A3

Package: base-files
Essential: yes
Version: 13.8
Architecture: amd64
Pre-Depends: awk
Provides: base
Priority: required
Section: admin
Description: Debian base system miscellaneous files
Filename: pool/main/b/base-files/base-files_13.8_amd64.deb
Size: 73316
SHA256: 1111111111111111111111111111111111111111111111111111111111111111

Package: libpython3.13-minimal
Source: python3.13 (3.13.5-2)
Version: 3.13.5-2+b1
Architecture: amd64
Multi-Arch: no
Depends: libc6 (>= 2.38),
 libssl3t64 (>= 3.0.0)
Filename: pool/main/p/python3.13/libpython3.13-minimal_3.13.5-2+b1_amd64.deb
Size: 880000
SHA256: 2222222222222222222222222222222222222222222222222222222222222222
";

fn parse(text: &str) -> Vec<PackageEntry> {
    parse_packages(text.as_bytes().to_vec(), "test").expect("parse")
}

#[test]
fn parses_the_fields_slipway_uses() {
    let entries = parse(PACKAGES);
    assert_eq!(entries.len(), 3);
    let libc = &entries[0];
    assert_eq!(libc.name, "libc6");
    assert_eq!(libc.version, "2.41-12");
    assert_eq!(libc.architecture, "amd64");
    assert_eq!(libc.multi_arch.as_deref(), Some("same"));
    assert_eq!(libc.depends, "libgcc-s1");
    assert_eq!(libc.pre_depends, "");
    assert_eq!(libc.filename, "pool/main/g/glibc/libc6_2.41-12_amd64.deb");
    assert_eq!(libc.size, 2_851_340);
    assert_eq!(
        libc.sha256,
        "0caeb1b0a5b2f5e4c8b1c3b2e5a7d9f1e3c5b7a9d1f3e5c7b9a1d3f5e7c9b1a3"
    );
    assert_eq!(libc.source_name(), "glibc");
    assert_eq!(libc.source_version(), "2.41-12");
    assert_eq!(libc.section, "libs");
    assert_eq!(libc.priority, "optional");
    assert!(!libc.essential);
    assert_eq!(libc.installed_size, Some(12_919));
    assert_eq!(libc.description, "GNU C Library: Shared libraries");
    assert_eq!(libc.homepage, "https://www.gnu.org/software/libc/libc.html");
    assert!(libc.maintainer.starts_with("GNU Libc Maintainers"));

    let base = &entries[1];
    assert!(base.essential);
    assert_eq!(base.pre_depends, "awk");
    assert_eq!(base.provides, "base");
    assert_eq!(base.source_name(), "base-files");
    assert_eq!(base.installed_size, None);
}

#[test]
fn folded_relations_are_joined_and_binnmu_source_versions_kept() {
    let entries = parse(PACKAGES);
    let python = &entries[2];
    assert_eq!(python.depends, "libc6 (>= 2.38), libssl3t64 (>= 3.0.0)");
    assert_eq!(python.multi_arch, None, "Multi-Arch: no is no multi-arch");
    assert_eq!(python.source_name(), "python3.13");
    assert_eq!(python.source_version(), "3.13.5-2");
}

#[test]
fn raw_paragraph_is_kept_verbatim() {
    let entries = parse(PACKAGES);
    let paragraphs: Vec<&str> = PACKAGES.trim_end().split("\n\n").collect();
    for (entry, paragraph) in entries.iter().zip(paragraphs) {
        assert_eq!(entry.raw(), paragraph);
    }
}

#[test]
fn extra_blank_lines_and_crlf_are_tolerated() {
    let text = format!("\n\n{}\n\n\n", PACKAGES.replace('\n', "\r\n"));
    let entries = parse(&text);
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[1].name, "base-files");
    assert_eq!(entries[1].size, 73_316);
}

#[test]
fn missing_and_bad_fields_are_named() {
    let err = parse_packages(
        b"Package: x\nVersion: 1\nFilename: f\nSize: 1\nSHA256: 00\n".to_vec(),
        "trixie main/binary-amd64",
    )
    .expect_err("no Architecture");
    assert!(
        matches!(
            err,
            IndexError::MissingField {
                field: "Architecture",
                ..
            }
        ),
        "{err:?}"
    );
    let text = "Package: x\nVersion: 1\nArchitecture: all\nFilename: f\nSize: big\nSHA256: 00\n";
    let err = parse_packages(text.as_bytes().to_vec(), "test").expect_err("bad size");
    assert!(err.to_string().contains("Size"), "{err}");
    let err = parse_packages(vec![0xff, 0xfe], "test").expect_err("not utf-8");
    assert!(matches!(err, IndexError::NotUtf8 { .. }), "{err:?}");
}
