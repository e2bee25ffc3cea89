use std::collections::BTreeMap;
use std::io::Read;

use super::certs::pem_block;
use super::*;
use crate::deb::TarCompression;
use crate::deb::testdeb::TestDeb;

/// One tar entry, as a test wants to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Dir(u32, u64, u64),
    File(u32, Vec<u8>),
    Link(String),
}

fn entries(layer: &UncompressedLayer) -> BTreeMap<String, Seen> {
    let mut out = BTreeMap::new();
    let mut archive = tar::Archive::new(layer.tar.as_slice());
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let path = entry
            .path()
            .expect("path")
            .to_string_lossy()
            .trim_end_matches('/')
            .to_string();
        let header = entry.header().clone();
        let mode = header.mode().expect("mode");
        let seen = match header.entry_type() {
            tar::EntryType::Directory => {
                Seen::Dir(mode, header.uid().expect("uid"), header.gid().expect("gid"))
            }
            tar::EntryType::Symlink => Seen::Link(
                entry
                    .link_name()
                    .expect("link")
                    .expect("target")
                    .to_string_lossy()
                    .into_owned(),
            ),
            tar::EntryType::Regular => {
                assert_eq!(header.uid().expect("uid"), 0, "{path}");
                let mut contents = Vec::new();
                entry.read_to_end(&mut contents).expect("read");
                Seen::File(mode, contents)
            }
            other => panic!("unexpected entry type {other:?} at {path}"),
        };
        out.insert(path, seen);
    }
    out
}

fn deb(test: &TestDeb) -> Deb {
    Deb::from_bytes(&test.build(), "test.deb").expect("test deb")
}

fn file(contents: &str) -> Seen {
    Seen::File(0o644, contents.as_bytes().to_vec())
}

fn link(target: &str) -> Seen {
    Seen::Link(target.to_string())
}

/// A Debian 12-style package (files under /bin and /lib), gzip-compressed.
fn bookworm_style() -> Deb {
    deb(&TestDeb::new("dash", "0.5.12-2")
        .compression(TarCompression::Gzip)
        .dir("bin", 0o755)
        .file("bin/dash", 0o755, b"ELF dash")
        .symlink("bin/sh", "dash")
        .dir("lib", 0o755)
        .dir("lib/x86_64-linux-gnu", 0o755)
        .file("lib/x86_64-linux-gnu/libc.so.6", 0o644, b"ELF libc")
        .dir("lib64", 0o755)
        .symlink(
            "lib64/ld-linux-x86-64.so.2",
            "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        )
        .dir("sbin", 0o755)
        .symlink("sbin/compat", "../usr/bin/real")
        .symlink("sbin/self", "../usr/sbin/self")
        .dir("usr/sbin", 0o755)
        .file("usr/sbin/self", 0o755, b"the real self")
        .dir("var/run", 0o755)
        .file("usr/share/doc/dash/copyright", 0o644, b"BSD")
        .file("usr/share/doc/dash/changelog.Debian.gz", 0o644, b"old news")
        .file("usr/share/man/man1/dash.1.gz", 0o644, b"manual")
        .file("usr/share/locale/de/LC_MESSAGES/dash.mo", 0o644, b"hallo")
        .file("usr/share/lintian/overrides/dash", 0o644, b"tag")
        .hardlink("bin/dash2", "bin/dash"))
}

/// A Debian 13-style package: everything under /usr, base-files' own alias links, xz.
fn trixie_style() -> Deb {
    deb(&TestDeb::new("base-files", "13.8")
        .field("Essential: yes")
        .symlink("bin", "usr/bin")
        .symlink("lib64", "usr/lib64")
        .dir("usr/lib", 0o755)
        .file(
            "usr/lib/os-release",
            0o644,
            b"PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nVERSION_ID=\"13\"\n",
        )
        .dir("tmp", 0o1777)
        .dir_owned_mail())
}

trait MailDir {
    fn dir_owned_mail(self) -> Self;
}

impl MailDir for TestDeb {
    fn dir_owned_mail(self) -> Self {
        self.dir("var/mail", 0o2775)
            .file_owned("usr/bin/chage", 0o2755, b"setgid shadow", (0, 42))
    }
}

fn ca_package() -> Deb {
    deb(&TestDeb::new("ca-certificates", "20250419")
        .compression(TarCompression::Zstd)
        .field("Architecture-Note: all")
        .file(
            "usr/share/ca-certificates/mozilla/B_Root.crt",
            0o644,
            pem_block(&[0x30, 0x01, 0x0B]).as_bytes(),
        )
        .file(
            // No trailing newline: the bundle adds one, as update-ca-certificates does.
            "usr/share/ca-certificates/mozilla/A_Root.crt",
            0o644,
            pem_block(&[0x30, 0x01, 0x0A]).trim_end().as_bytes(),
        )
        .file("usr/share/zoneinfo/Etc/UTC", 0o644, b"TZif"))
}

fn build(debs: Vec<(Deb, &str)>, options: RootfsOptions) -> Rootfs {
    let mut builder = RootfsBuilder::new(RootfsOptions {
        epoch: Some(1_000),
        ..options
    });
    for (deb, group) in debs {
        builder.add_deb(deb, group);
    }
    builder.build().expect("rootfs")
}

#[test]
fn merges_usr_and_links_the_aliases() {
    let rootfs = build(
        vec![(trixie_style(), "base"), (bookworm_style(), "base")],
        RootfsOptions::default(),
    );
    let base = entries(&rootfs.layers[0].layer);
    assert_eq!(base["bin"], link("usr/bin"));
    assert_eq!(base["sbin"], link("usr/sbin"));
    assert_eq!(base["lib"], link("usr/lib"));
    assert_eq!(base["lib64"], link("usr/lib64"));
    assert_eq!(base["var/run"], link("/run"));
    assert_eq!(base["var/lock"], link("/run/lock"));
    assert_eq!(base["run/lock"], Seen::Dir(0o1777, 0, 0));
    assert!(!base.contains_key("lib32"), "only when a package uses it");
    assert_eq!(
        base["usr/bin/dash"],
        Seen::File(0o755, b"ELF dash".to_vec())
    );
    assert_eq!(base["usr/bin/sh"], link("dash"));
    assert_eq!(base["usr/lib/x86_64-linux-gnu/libc.so.6"], file("ELF libc"));
    assert_eq!(
        base["usr/lib64/ld-linux-x86-64.so.2"],
        link("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
    );
    assert_eq!(base["usr/sbin/compat"], link("../bin/real"));
    assert_eq!(
        base["usr/sbin/self"],
        Seen::File(0o755, b"the real self".to_vec())
    );
    assert_eq!(base["tmp"], Seen::Dir(0o1777, 0, 0));
    assert_eq!(base["var/mail"], Seen::Dir(0o2775, 0, 0));
}

#[test]
fn hardlinks_become_copies() {
    let rootfs = build(vec![(bookworm_style(), "base")], RootfsOptions::default());
    let base = entries(&rootfs.layers[0].layer);
    assert_eq!(
        base["usr/bin/dash2"],
        Seen::File(0o755, b"ELF dash".to_vec())
    );
}

#[test]
fn drops_docs_manuals_and_locales_but_keeps_copyright() {
    let rootfs = build(vec![(bookworm_style(), "base")], RootfsOptions::default());
    let base = entries(&rootfs.layers[0].layer);
    assert_eq!(base["usr/share/doc/dash/copyright"], file("BSD"));
    let left: Vec<_> = base
        .keys()
        .filter(|p| p.starts_with("usr/share/") && !p.starts_with("usr/share/doc"))
        .collect();
    assert_eq!(left, Vec::<&String>::new());
    assert!(!base.contains_key("usr/share/doc/dash/changelog.Debian.gz"));

    let kept = build(
        vec![(bookworm_style(), "base")],
        RootfsOptions {
            keep_locales: true,
            ..RootfsOptions::default()
        },
    );
    let base = entries(&kept.layers[0].layer);
    assert!(base.contains_key("usr/share/locale/de/LC_MESSAGES/dash.mo"));
}

#[test]
fn writes_a_status_entry_per_package() {
    let rootfs = build(
        vec![(trixie_style(), "base"), (bookworm_style(), "base")],
        RootfsOptions::default(),
    );
    let base = entries(&rootfs.layers[0].layer);
    let Seen::File(0o644, status) = &base["var/lib/dpkg/status.d/base-files"] else {
        panic!("no status entry for base-files");
    };
    assert_eq!(
        String::from_utf8_lossy(status),
        "Package: base-files\nEssential: yes\nStatus: install ok installed\nMaintainer: Test <t@example.invalid>\nArchitecture: amd64\nVersion: 13.8\nDescription: test package base-files\n A package made in a test.\n .\n  Indented.\n"
    );
    assert!(base.contains_key("var/lib/dpkg/status.d/dash"));
    assert_eq!(
        rootfs.packages,
        [
            InstalledPackage {
                name: "base-files".into(),
                version: "13.8".into(),
                architecture: "amd64".into(),
                group: "base".into()
            },
            InstalledPackage {
                name: "dash".into(),
                version: "0.5.12-2".into(),
                architecture: "amd64".into(),
                group: "base".into()
            },
        ]
    );
}

#[test]
fn foreign_owned_files_lose_setgid_and_are_reported() {
    let rootfs = build(vec![(trixie_style(), "base")], RootfsOptions::default());
    let base = entries(&rootfs.layers[0].layer);
    assert_eq!(
        base["usr/bin/chage"],
        Seen::File(0o755, b"setgid shadow".to_vec())
    );
    assert_eq!(
        rootfs.notes,
        [
            "base-files: /usr/bin/chage is owned by 0:42 in the package; root-owned in the image, setuid/setgid removed"
        ]
    );
}

#[test]
fn generates_users_bundle_and_system_files() {
    let extra = CaFile {
        alias: "extra:corp.pem".into(),
        pem: format!(
            "Corp root\n{}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            pem_block(&[0x30, 0x01, 0x0C])
        )
        .into_bytes(),
    };
    let rootfs = build(
        vec![(trixie_style(), "base"), (ca_package(), "base")],
        RootfsOptions {
            extra_cas: vec![extra],
            ..RootfsOptions::default()
        },
    );
    assert_eq!(rootfs.layers.len(), 2);
    let generated = entries(&rootfs.layers[1].layer);
    let bundle = format!(
        "{}{}{}",
        pem_block(&[0x30, 0x01, 0x0A]),
        pem_block(&[0x30, 0x01, 0x0B]),
        pem_block(&[0x30, 0x01, 0x0C])
    );
    assert_eq!(
        generated["etc/ssl/certs/ca-certificates.crt"],
        file(&bundle)
    );
    assert_eq!(
        generated["usr/lib/ssl/cert.pem"],
        link("/etc/ssl/certs/ca-certificates.crt")
    );
    assert!(
        !generated.contains_key("etc/ssl/certs/java/cacerts"),
        "no JRE"
    );
    assert_eq!(
        generated["etc/passwd"],
        file(
            "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\ncnb:x:1000:1000:cnb:/home/cnb:/sbin/nologin\n"
        )
    );
    assert_eq!(
        generated["etc/group"],
        file("root:x:0:\nnogroup:x:65534:\ncnb:x:1000:\n")
    );
    assert_eq!(generated["home/cnb"], Seen::Dir(0o755, 1000, 1000));
    assert_eq!(generated["workspace"], Seen::Dir(0o755, 1000, 1000));
    assert_eq!(generated["tmp"], Seen::Dir(0o1777, 0, 0));
    assert_eq!(generated["etc/os-release"], link("../usr/lib/os-release"));
    assert_eq!(
        generated["etc/localtime"],
        link("/usr/share/zoneinfo/Etc/UTC")
    );
    assert_eq!(generated["etc/timezone"], file("Etc/UTC\n"));
    assert!(generated.contains_key("etc/nsswitch.conf"));
    assert!(
        rootfs.layers[1]
            .holds
            .contains("(2 packaged + 1 extra CA files)"),
        "{}",
        rootfs.layers[1].holds
    );
}

#[test]
fn a_jre_gets_the_java_keystore() {
    let jre = deb(&TestDeb::new("openjdk-21-jre-headless", "21.0.9").symlink(
        "usr/lib/jvm/java-21-openjdk-amd64/lib/security/cacerts",
        "/etc/ssl/certs/java/cacerts",
    ));
    let rootfs = build(
        vec![
            (trixie_style(), "base"),
            (ca_package(), "base"),
            (jre, "java-21"),
        ],
        RootfsOptions::default(),
    );
    assert_eq!(rootfs.layers.len(), 3);
    assert_eq!(rootfs.layers[1].group.as_deref(), Some("java-21"));
    let generated = entries(&rootfs.layers[2].layer);
    let Seen::File(0o644, keystore) = &generated["etc/ssl/certs/java/cacerts"] else {
        panic!("no keystore");
    };
    assert_eq!(
        &keystore[..12],
        &[0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2, 0, 0, 0, 2]
    );
    assert!(
        keystore
            .windows(20)
            .any(|w| w == b"debian:a_root.pem\0\0\0")
    );
    assert_eq!(generated["etc/.java/.systemPrefs"], Seen::Dir(0o755, 0, 0));
}

#[test]
fn the_base_layer_does_not_depend_on_other_groups() {
    let alone = build(
        vec![(trixie_style(), "base"), (ca_package(), "base")],
        RootfsOptions::default(),
    );
    let runtime = deb(&TestDeb::new("runtime", "1")
        .compression(TarCompression::Zstd)
        .file("usr/lib32/libx.so", 0o644, b"32-bit")
        .file("usr/lib/os-release", 0o644, b"NAME=other\n"));
    let with_runtime = build(
        vec![
            (trixie_style(), "base"),
            (ca_package(), "base"),
            (runtime, "runtime"),
        ],
        RootfsOptions::default(),
    );
    assert_eq!(
        alone.layers[0].layer.diff_id,
        with_runtime.layers[0].layer.diff_id
    );
    let runtime_layer = entries(&with_runtime.layers[1].layer);
    assert!(runtime_layer.contains_key("var/lib/dpkg/status.d/runtime"));
    assert!(!runtime_layer.contains_key("var/lib/dpkg/status.d/base-files"));
    assert_eq!(
        with_runtime.overwrites,
        [Overwrite {
            path: "/usr/lib/os-release".into(),
            winner: "runtime".into(),
            loser: "base-files".into()
        }]
    );
}

#[test]
fn a_later_package_wins_a_shared_path_and_it_is_reported() {
    let first = deb(&TestDeb::new("first", "1").file("etc/shared.conf", 0o644, b"first"));
    let second = deb(&TestDeb::new("second", "1")
        .compression(TarCompression::Gzip)
        .file("etc/shared.conf", 0o644, b"second"));
    let same = deb(&TestDeb::new("same", "1").file("etc/shared.conf", 0o644, b"second"));
    let rootfs = build(
        vec![(first, "base"), (second, "base"), (same, "base")],
        RootfsOptions::default(),
    );
    assert_eq!(
        entries(&rootfs.layers[0].layer)["etc/shared.conf"],
        file("second")
    );
    assert_eq!(
        rootfs.overwrites,
        [Overwrite {
            path: "/etc/shared.conf".into(),
            winner: "second".into(),
            loser: "first".into()
        }],
        "identical contents are not reported"
    );
}

#[test]
fn lib32_gets_its_link_only_when_used() {
    let multilib = deb(&TestDeb::new("lib32z1", "1").file("lib32/libz.so.1", 0o644, b"z"));
    let rootfs = build(
        vec![(trixie_style(), "base"), (multilib, "extra")],
        RootfsOptions::default(),
    );
    assert!(!entries(&rootfs.layers[0].layer).contains_key("lib32"));
    let extra = entries(&rootfs.layers[1].layer);
    assert_eq!(extra["lib32"], link("usr/lib32"));
    assert_eq!(extra["usr/lib32/libz.so.1"], file("z"));
}

#[test]
fn the_same_packages_give_the_same_bytes() {
    let make = || {
        build(
            vec![
                (trixie_style(), "base"),
                (bookworm_style(), "base"),
                (ca_package(), "base"),
            ],
            RootfsOptions::default(),
        )
    };
    let (a, b) = (make(), make());
    let ids = |r: &Rootfs| {
        r.layers
            .iter()
            .map(|l| l.layer.diff_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&a), ids(&b));
}

#[test]
fn a_package_added_twice_is_an_error() {
    let mut builder = RootfsBuilder::new(RootfsOptions::default());
    builder
        .add_deb(trixie_style(), "base")
        .add_deb(trixie_style(), "java");
    let err = builder.build().expect_err("twice");
    assert_eq!(
        err.to_string(),
        "package base-files was added twice (groups base and java)"
    );
}

#[test]
fn a_bad_extra_ca_file_is_an_error() {
    let mut builder = RootfsBuilder::new(RootfsOptions {
        extra_cas: vec![CaFile {
            alias: "corp.pem".into(),
            pem: b"not a certificate".to_vec(),
        }],
        ..RootfsOptions::default()
    });
    builder.add_deb(trixie_style(), "base");
    let err = builder.build().expect_err("bad extra");
    assert!(
        matches!(err, RootfsError::ExtraCa(CertError::NoCertificate { .. })),
        "{err:?}"
    );
}
