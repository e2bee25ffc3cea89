use std::io::Cursor;

use super::*;

/// A minimal zip with empty stored entries, written by hand from the spec
/// (APPNOTE 4.3): local headers, the central directory, then the end record,
/// preceded by a zip64 record and locator when `zip64` is set.
fn zip(names: &[&str], zip64: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut directory = Vec::new();
    for name in names {
        let offset = u32::try_from(out.len()).expect("small");
        let name_len = u16::try_from(name.len()).expect("short name");
        out.extend(0x0403_4b50_u32.to_le_bytes());
        out.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // version, flags, stored, time, date
        out.extend([0; 12]); // crc, sizes: an empty file
        out.extend(name_len.to_le_bytes());
        out.extend(0_u16.to_le_bytes());
        out.extend(name.as_bytes());
        directory.extend(0x0201_4b50_u32.to_le_bytes());
        directory.extend([20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // versions, flags, stored, time, date
        directory.extend([0; 12]); // crc, sizes
        directory.extend(name_len.to_le_bytes());
        directory.extend([0; 8]); // extra, comment, disk, internal attributes
        directory.extend([0; 4]); // external attributes
        directory.extend(offset.to_le_bytes());
        directory.extend(name.as_bytes());
    }
    let offset = out.len() as u64;
    let size = directory.len() as u64;
    let count = names.len() as u64;
    out.extend(directory);
    let eocd_fields: [u64; 3] = if zip64 {
        let record_at = out.len() as u64;
        out.extend(0x0606_4b50_u32.to_le_bytes());
        out.extend(44_u64.to_le_bytes());
        out.extend([45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // versions, disks
        for field in [count, count, size, offset] {
            out.extend(field.to_le_bytes());
        }
        out.extend(0x0706_4b50_u32.to_le_bytes());
        out.extend(0_u32.to_le_bytes());
        out.extend(record_at.to_le_bytes());
        out.extend(1_u32.to_le_bytes());
        [0xFFFF, 0xFFFF_FFFF, 0xFFFF_FFFF]
    } else {
        [count, size, offset]
    };
    out.extend(0x0605_4b50_u32.to_le_bytes());
    out.extend([0; 4]); // disk numbers
    let entries = u16::try_from(eocd_fields[0]).expect("few entries");
    out.extend(entries.to_le_bytes());
    out.extend(entries.to_le_bytes());
    out.extend(u32::try_from(eocd_fields[1]).expect("small").to_le_bytes());
    out.extend(u32::try_from(eocd_fields[2]).expect("small").to_le_bytes());
    out.extend(3_u16.to_le_bytes());
    out.extend(b"hi!");
    out
}

const NAMES: [&str; 5] = [
    "META-INF/MANIFEST.MF",
    "com/example/App.class",
    "com/example/App$Inner.class",
    "com/example/",
    "WEB-INF/lib/dep.jar",
];

#[test]
fn counts_class_entries_of_a_zip() {
    let classes = zip_classes(&mut Cursor::new(zip(&NAMES, false)));
    assert_eq!(classes.expect("a valid zip"), 2);
    assert_eq!(
        zip_classes(&mut Cursor::new(zip(&[], false))).expect("empty"),
        0
    );
}

#[test]
fn counts_class_entries_of_a_zip64() {
    let classes = zip_classes(&mut Cursor::new(zip(&NAMES, true)));
    assert_eq!(classes.expect("a valid zip64"), 2);
}

#[test]
fn files_that_are_not_zips_are_errors() {
    for bytes in [Vec::new(), b"not a zip at all".to_vec()] {
        assert!(zip_classes(&mut Cursor::new(bytes)).is_err());
    }
    let mut truncated = zip(&NAMES, false);
    truncated.drain(..40);
    assert!(zip_classes(&mut Cursor::new(truncated)).is_err());
}

#[test]
fn app_classes_counts_jars_wars_and_loose_classes() {
    let dir = std::env::temp_dir().join(format!("slipway-class-count-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("lib")).expect("mkdir");
    std::fs::create_dir_all(dir.join("classes/com")).expect("mkdir");
    std::fs::write(dir.join("lib/a.jar"), zip(&NAMES, false)).expect("write");
    std::fs::write(dir.join("app.war"), zip(&NAMES, true)).expect("write");
    std::fs::write(dir.join("lib/broken.jar"), "garbage").expect("write");
    std::fs::write(dir.join("classes/com/A.class"), "").expect("write");
    std::fs::write(dir.join("classes/com/A.java"), "").expect("write");
    std::os::unix::fs::symlink(&dir, dir.join("loop")).expect("symlink");
    std::os::unix::fs::symlink(dir.join("lib/a.jar"), dir.join("linked.jar")).expect("symlink");
    assert_eq!(app_classes(&[&dir]), 2 + 2 + 1 + 2);
    assert_eq!(
        app_classes(&[dir.join("lib/a.jar"), dir.join("missing")]),
        2
    );
    std::fs::remove_dir_all(&dir).expect("cleaning up");
}

#[test]
fn loaded_classes_adds_the_jre_to_a_share_of_the_app() {
    assert_eq!(loaded_classes(0), 8_000);
    assert_eq!(loaded_classes(10_000), 11_500);
}
