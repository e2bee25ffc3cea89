use super::testdeb::TestDeb;
use super::*;

fn sample(compression: TarCompression) -> Vec<u8> {
    TestDeb::new("hello", "1.0-1")
        .compression(compression)
        .field("Depends: libc6 (>= 2.36)")
        .dir("usr", 0o755)
        .dir("usr/bin", 0o755)
        .file("usr/bin/hello", 0o4755, b"#!hello\n")
        .symlink("usr/bin/hi", "hello")
        .hardlink("usr/bin/hello2", "usr/bin/hello")
        .build()
}

#[test]
fn reads_control_and_data_in_every_compression() {
    for compression in [
        TarCompression::Xz,
        TarCompression::Zstd,
        TarCompression::Gzip,
        TarCompression::None,
    ] {
        let deb = Deb::from_bytes(&sample(compression), "hello.deb").expect("deb");
        assert_eq!(deb.data_compression(), compression);
        assert_eq!(deb.name(), "hello");
        assert_eq!(deb.version(), "1.0-1");
        assert_eq!(deb.architecture(), "amd64");
        assert_eq!(deb.field("depends"), Some("libc6 (>= 2.36)"));
        assert!(deb.control().starts_with("Package: hello\n"));

        let entries = deb.data_entries().expect("entries");
        let paths: Vec<_> = entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "usr",
                "usr/bin",
                "usr/bin/hello",
                "usr/bin/hi",
                "usr/bin/hello2"
            ]
        );
        assert_eq!(entries[2].kind, EntryKind::File);
        assert_eq!(entries[2].mode, 0o4755);
        assert_eq!(entries[2].contents, b"#!hello\n");
        assert_eq!(
            entries[3].kind,
            EntryKind::Symlink {
                target: "hello".into()
            }
        );
        assert_eq!(
            entries[4].kind,
            EntryKind::Hardlink {
                target: "usr/bin/hello".into()
            }
        );
    }
}

#[test]
fn opens_from_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("hello.deb");
    std::fs::write(&path, sample(TarCompression::Xz)).expect("write");
    let deb = Deb::open(&path).expect("open");
    assert_eq!(deb.name(), "hello");
    assert_eq!(deb.origin(), path.display().to_string());
}

#[test]
fn garbage_is_not_a_deb() {
    let err = Deb::from_bytes(b"<html>not found</html>", "x.deb").expect_err("garbage");
    assert!(matches!(err, DebError::NotADeb { .. }), "{err:?}");
    assert!(err.to_string().contains("not a Debian binary package"));
}

#[test]
fn a_truncated_data_member_is_an_error_not_a_short_package() {
    let mut bytes = sample(TarCompression::Xz);
    // Corrupt the last bytes of the data member (the last member of the archive).
    let len = bytes.len();
    for b in &mut bytes[len - 40..len - 8] {
        *b ^= 0x55;
    }
    let deb = Deb::from_bytes(&bytes, "x.deb").expect("header still reads");
    let err = deb.data_entries().expect_err("corrupt data");
    assert!(matches!(err, DebError::Tar { .. }), "{err:?}");
}

#[test]
fn missing_fields_are_named() {
    let text = "Package: x\nVersion: 1\n";
    let fields = control_fields(text);
    assert_eq!(fields.len(), 2);
}
