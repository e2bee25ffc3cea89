//! How many classes the JVM will load, estimated from the app's files when
//! `BPL_JVM_LOADED_CLASS_COUNT` does not say.
//!
//! Like Paketo's calculator, it counts the `.class` files of the app (loose,
//! and entries of its jars and wars) and assumes a fraction of them is loaded:
//! `loaded = JRE_CLASSES + app classes × 35%`. Jars are read by hand (the end
//! of central directory record, then the central directory's names), so the
//! launcher stays std only; jars nested in jars are not opened, and a file
//! that is not a readable zip counts no classes rather than stopping the app.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// How deep to look below each app path.
const MAX_DEPTH: usize = 32;

const EOCD_SIGNATURE: u64 = 0x0605_4b50;
const EOCD_LEN: usize = 22;
const ZIP64_LOCATOR_SIGNATURE: u64 = 0x0706_4b50;
const ZIP64_LOCATOR_LEN: usize = 20;
const ZIP64_EOCD_SIGNATURE: u64 = 0x0606_4b50;
const ZIP64_EOCD_LEN: usize = 56;
const ENTRY_SIGNATURE: u64 = 0x0201_4b50;
const ENTRY_LEN: usize = 46;

pub use slipway_launch::jvm_memory::loaded_classes;

/// Counts the classes under each path: loose `.class` files and the `.class`
/// entries of `.jar` and `.war` files, in directories followed down to
/// [`MAX_DEPTH`] (symlinked directories are not followed, so there are no
/// loops).
pub fn app_classes<P: AsRef<Path>>(paths: &[P]) -> u64 {
    paths.iter().map(|path| visit(path.as_ref(), 0)).sum()
}

fn visit(path: &Path, depth: usize) -> u64 {
    let Ok(meta) = std::fs::metadata(path) else {
        return 0;
    };
    if meta.is_dir() {
        if depth >= MAX_DEPTH {
            return 0;
        }
        let Ok(entries) = std::fs::read_dir(path) else {
            return 0;
        };
        return entries
            .flatten()
            .filter(|entry| {
                let kind = entry.file_type();
                kind.is_ok_and(|kind| !kind.is_symlink() || entry.path().is_file())
            })
            .map(|entry| visit(&entry.path(), depth + 1))
            .sum();
    }
    let name = path.as_os_str().as_encoded_bytes();
    if name.ends_with(b".class") {
        1
    } else if name.ends_with(b".jar") || name.ends_with(b".war") {
        File::open(path)
            .and_then(|mut file| zip_classes(&mut file))
            .unwrap_or(0)
    } else {
        0
    }
}

/// Counts the entries of a zip whose names end in `.class`, from its central
/// directory (zip64 included).
pub fn zip_classes(zip: &mut (impl Read + Seek)) -> io::Result<u64> {
    let (entries, offset, size) = central_directory(zip)?;
    let len = zip.seek(SeekFrom::End(0))?;
    if offset.checked_add(size).is_none_or(|end| end > len) {
        return Err(invalid("the central directory lies outside the file"));
    }
    let mut directory = vec![0; usize::try_from(size).map_err(|_| invalid("too large"))?];
    zip.seek(SeekFrom::Start(offset))?;
    zip.read_exact(&mut directory)?;
    let mut classes = 0;
    let mut at = 0;
    for _ in 0..entries {
        if le(&directory, at, 4)? != ENTRY_SIGNATURE {
            return Err(invalid("bad central directory entry"));
        }
        let name_len = usize::from(le16(&directory, at + 28)?);
        let extra_len = usize::from(le16(&directory, at + 30)?);
        let comment_len = usize::from(le16(&directory, at + 32)?);
        let name = directory
            .get(at + ENTRY_LEN..at + ENTRY_LEN + name_len)
            .ok_or_else(|| invalid("truncated entry name"))?;
        classes += u64::from(name.ends_with(b".class"));
        at += ENTRY_LEN + name_len + extra_len + comment_len;
    }
    Ok(classes)
}

/// The central directory's entry count, offset and size, from the end of
/// central directory record (and its zip64 version when a field overflows).
fn central_directory(zip: &mut (impl Read + Seek)) -> io::Result<(u64, u64, u64)> {
    let len = zip.seek(SeekFrom::End(0))?;
    let tail_len = len.min((EOCD_LEN + usize::from(u16::MAX)) as u64);
    let mut tail = vec![0; usize::try_from(tail_len).map_err(|_| invalid("too large"))?];
    zip.seek(SeekFrom::Start(len - tail_len))?;
    zip.read_exact(&mut tail)?;
    let eocd = (0..=tail.len().saturating_sub(EOCD_LEN))
        .rev()
        .find(|&at| le(&tail, at, 4).is_ok_and(|sig| sig == EOCD_SIGNATURE))
        .ok_or_else(|| invalid("no end of central directory record: not a zip"))?;
    let entries = u64::from(le16(&tail, eocd + 10)?);
    let size = le(&tail, eocd + 12, 4)?;
    let offset = le(&tail, eocd + 16, 4)?;
    if entries != 0xFFFF && size != 0xFFFF_FFFF && offset != 0xFFFF_FFFF {
        return Ok((entries, offset, size));
    }
    let locator = eocd
        .checked_sub(ZIP64_LOCATOR_LEN)
        .filter(|&at| le(&tail, at, 4).is_ok_and(|sig| sig == ZIP64_LOCATOR_SIGNATURE))
        .ok_or_else(|| invalid("no zip64 locator"))?;
    let mut record = [0; ZIP64_EOCD_LEN];
    zip.seek(SeekFrom::Start(le(&tail, locator + 8, 8)?))?;
    zip.read_exact(&mut record)?;
    if le(&record, 0, 4)? != ZIP64_EOCD_SIGNATURE {
        return Err(invalid("bad zip64 end of central directory record"));
    }
    Ok((
        le(&record, 32, 8)?,
        le(&record, 48, 8)?,
        le(&record, 40, 8)?,
    ))
}

/// The little-endian integer of `width` bytes at `at`.
fn le(bytes: &[u8], at: usize, width: usize) -> io::Result<u64> {
    let field = bytes
        .get(at..at + width)
        .ok_or_else(|| invalid("truncated zip record"))?;
    Ok(field
        .iter()
        .rev()
        .fold(0, |value, &byte| value << 8 | u64::from(byte)))
}

fn le16(bytes: &[u8], at: usize) -> io::Result<u16> {
    le(bytes, at, 2).map(|value| u16::try_from(value).unwrap_or(u16::MAX))
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests;
