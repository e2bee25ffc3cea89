use super::*;
use crate::index::parse_packages;
use crate::resolve::resolve;

fn paragraph(name: &str, version: &str, arch: &str, extra: &str) -> String {
    format!(
        "Package: {name}\nVersion: {version}\nArchitecture: {arch}\n{extra}Filename: pool/main/{name}_{version}_{arch}.deb\n\
         Size: 1234\nSHA256: {}\n",
        format!("{:0>64}", format!("{:x}", name.len() * 7 + version.len())).replace('0', "c")
    )
}

fn index(suite: &str, paragraphs: &[String]) -> SuiteIndex {
    SuiteIndex {
        suite_name: suite.to_owned(),
        packages: parse_packages(paragraphs.join("\n").into_bytes(), suite).expect("parse"),
    }
}

fn indexes(security_libc: &str, arch: &str) -> Vec<SuiteIndex> {
    vec![
        index(
            "trixie",
            &[
                paragraph("base-files", "13.8", arch, "Depends: libc6\n"),
                paragraph("libc6", "2.41-12", arch, "Source: glibc\n"),
                paragraph("tzdata", "2025b-4", "all", ""),
            ],
        ),
        index(
            "trixie-security",
            &[paragraph(
                "libc6",
                security_libc,
                arch,
                "Source: glibc (2.41-12+deb13u1)\n",
            )],
        ),
    ]
}

fn lockfile(security_libc: &str, arch: &str) -> Lockfile {
    let indexes = indexes(security_libc, arch);
    let roots = vec!["tzdata".to_owned(), "base-files".to_owned()];
    let resolved = resolve(&indexes, &roots, arch).expect("resolve");
    let suites = vec!["trixie".to_owned(), "trixie-security".to_owned()];
    Lockfile::from_resolved("debian-13", "trixie", arch, &suites, &resolved)
}

#[test]
fn lockfile_round_trips_to_the_same_bytes() {
    let lock = lockfile("2.41-12+deb13u1+b1", "amd64");
    let text = lock.to_toml().expect("toml");
    let again = Lockfile::parse(&text).expect("parse");
    assert_eq!(again, lock);
    assert_eq!(again.to_toml().expect("toml"), text);
    assert_eq!(
        again.digest().expect("digest"),
        lock.digest().expect("digest")
    );
    assert!(
        text.starts_with("# This file is written by slipway"),
        "{text}"
    );
    assert!(
        text.contains("[[package]]\nname = \"base-files\""),
        "{text}"
    );
}

#[test]
fn lockfile_records_suite_source_and_checksum() {
    let lock = lockfile("2.41-12+deb13u1+b1", "arm64");
    assert_eq!(lock.architecture, "arm64");
    let names: Vec<&str> = lock.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["base-files", "libc6", "tzdata"]);
    let libc = lock.package("libc6").expect("libc6");
    assert_eq!(libc.version, "2.41-12+deb13u1+b1");
    assert_eq!(libc.suite, "trixie-security");
    assert_eq!(libc.architecture, "arm64");
    assert_eq!(
        libc.filename,
        "pool/main/libc6_2.41-12+deb13u1+b1_arm64.deb"
    );
    assert_eq!(
        (libc.source.as_str(), libc.source_version.as_str()),
        ("glibc", "2.41-12+deb13u1")
    );
    assert_eq!(libc.sha256.len(), 64);
    assert_eq!(lock.package("tzdata").expect("tzdata").architecture, "all");
}

#[test]
fn package_order_in_the_file_does_not_matter() {
    let lock = lockfile("2.41-12+deb13u1", "amd64");
    let mut shuffled = lock.clone();
    shuffled.packages.reverse();
    assert_eq!(
        shuffled.to_toml().expect("toml"),
        lock.to_toml().expect("toml")
    );
    assert_eq!(
        shuffled.digest().expect("digest"),
        lock.digest().expect("digest")
    );
}

#[test]
fn diff_lists_changed_added_and_removed_packages() {
    let old = lockfile("2.41-12+deb13u1", "amd64");
    let mut new = lockfile("2.41-12+deb13u2", "amd64");
    new.packages.retain(|p| p.name != "tzdata");
    new.packages.push(LockedPackage {
        name: "netbase".into(),
        version: "6.5".into(),
        ..new.packages[0].clone()
    });
    let changes = Lockfile::diff(&old, &new);
    let lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "libc6 2.41-12+deb13u1 -> 2.41-12+deb13u2",
            "+ netbase 6.5",
            "- tzdata 2025b-4"
        ]
    );
    assert!(Lockfile::diff(&old, &old).is_empty());
}

#[test]
fn entries_the_mirror_dropped_name_the_fix() {
    let lock = lockfile("2.41-12+deb13u1", "amd64");
    lock.check_served(&indexes("2.41-12+deb13u1", "amd64"))
        .expect("all served");
    let err = lock
        .check_served(&indexes("2.41-12+deb13u2", "amd64"))
        .expect_err("superseded security fix");
    let text = err.to_string();
    assert!(
        text.contains("libc6 2.41-12+deb13u1 (trixie-security)"),
        "{text}"
    );
    assert!(text.contains("slipway stack update"), "{text}");
}

#[test]
fn newer_formats_and_garbage_are_refused() {
    let lock = lockfile("2.41-12+deb13u1", "amd64");
    let text = lock
        .to_toml()
        .expect("toml")
        .replace("version = 1\n", "version = 99\n");
    let err = Lockfile::parse(&text).expect_err("newer format");
    assert!(
        matches!(err, LockfileError::Version { found: 99 }),
        "{err:?}"
    );
    assert!(matches!(
        Lockfile::parse("[[package]]\nname = 3"),
        Err(LockfileError::Parse(_))
    ));
}
