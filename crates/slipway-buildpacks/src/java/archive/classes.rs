//! Which Java the compiled classes need, from their class-file headers.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::tree::{is_class_file, regular_files_under};
use super::{ArchiveError, io_error};

/// The first four bytes of every class file.
const CLASS_MAGIC: [u8; 4] = [0xCA, 0xFE, 0xBA, 0xBE];

/// The highest class-file major version among the `.class` files under `root`, or `None` when
/// there are none (or `root` does not exist).
///
/// A JVM refuses classes newer than itself, so this is the lowest Java the app can run on. Pass
/// the app's own classes (`WEB-INF/classes`, `BOOT-INF/classes`, or an exploded plain JAR's
/// root): dependencies' classes say nothing about what the app was compiled for. Classes under
/// `META-INF/versions/` are skipped, since a multi-release JAR keeps its newer-Java variants
/// there and runs fine without them. Files too short for a header, or without the class-file
/// magic number, are ignored, and so are symbolic links.
pub fn highest_class_major_version(root: &Path) -> Result<Option<u16>, ArchiveError> {
    let mut highest = None;
    for relative in regular_files_under(root)? {
        if !is_class_file(&relative) || relative.starts_with("META-INF/versions") {
            continue;
        }
        if let Some(major) = class_major_version(&root.join(&relative))? {
            highest = highest.max(Some(major));
        }
    }
    Ok(highest)
}

/// The Java feature release that introduced a class-file major version: 52 → 8, 61 → 17,
/// 65 → 21 (the release is the major version minus 44).
///
/// For the pre-Java-5 versions this gives 4 down to 1, meaning 1.4 down to 1.1; versions below
/// 45 do not exist and give 0.
#[must_use]
pub fn java_version_of_class_major(major: u16) -> u32 {
    u32::from(major.saturating_sub(44))
}

/// The major version in the header of the class file at `path`: bytes 6-7, big-endian, after
/// the magic number and the minor version. `None` when the file is not a class file.
fn class_major_version(path: &Path) -> Result<Option<u16>, ArchiveError> {
    let mut header = [0_u8; 8];
    let mut file = File::open(path).map_err(io_error("opening", path))?;
    match file.read_exact(&mut header) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(error) => return Err(io_error("reading", path)(error)),
    }
    if header[..4] != CLASS_MAGIC {
        return Ok(None);
    }
    Ok(Some(u16::from_be_bytes([header[6], header[7]])))
}
