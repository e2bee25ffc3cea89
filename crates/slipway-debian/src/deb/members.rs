//! The `ar` container and the tar members inside a `.deb`.

use std::io::{self, Read};

use super::{DataEntry, DebError, EntryKind, TarCompression};

/// The members of an `ar` archive, names trimmed of GNU `/` terminators and padding.
pub(super) fn ar_members(bytes: &[u8], origin: &str) -> Result<Vec<(String, Vec<u8>)>, DebError> {
    let not_a_deb = |source| DebError::NotADeb {
        origin: origin.to_string(),
        source,
    };
    let mut archive = ar::Archive::new(bytes);
    let mut members = Vec::new();
    while let Some(entry) = archive.next_entry() {
        let mut entry = entry.map_err(not_a_deb)?;
        let name = String::from_utf8_lossy(entry.header().identifier())
            .trim_end_matches([' ', '/'])
            .to_string();
        let mut contents = Vec::new();
        entry.read_to_end(&mut contents).map_err(not_a_deb)?;
        members.push((name, contents));
    }
    Ok(members)
}

pub(super) fn find_tar(
    members: &[(String, Vec<u8>)],
    stem: &str,
    origin: &str,
) -> Result<Option<(String, Vec<u8>)>, DebError> {
    for (name, bytes) in members {
        if let Some(compression) = TarCompression::from_member(name, stem) {
            let tar_err = |source| DebError::Tar {
                origin: origin.to_string(),
                member: name.clone(),
                source,
            };
            let mut plain = Vec::new();
            compression
                .reader(bytes)
                .and_then(|mut r| r.read_to_end(&mut plain))
                .map_err(tar_err)?;
            return Ok(Some((name.clone(), plain)));
        }
    }
    if members.iter().any(|(name, _)| name.starts_with(stem)) {
        return Err(unknown_or_missing(members, stem, origin));
    }
    Ok(None)
}

pub(super) fn unknown_or_missing(
    members: &[(String, Vec<u8>)],
    stem: &str,
    origin: &str,
) -> DebError {
    match members.iter().find(|(name, _)| name.starts_with(stem)) {
        Some((name, _)) => DebError::UnknownCompression {
            origin: origin.to_string(),
            member: name.clone(),
        },
        None => DebError::Format {
            origin: origin.to_string(),
            problem: format!("no {stem} member"),
        },
    }
}

pub(super) fn read_control(
    tar_bytes: &[u8],
    member: &str,
    origin: &str,
) -> Result<String, DebError> {
    let tar_err = |source| DebError::Tar {
        origin: origin.to_string(),
        member: member.to_string(),
        source,
    };
    let mut archive = tar::Archive::new(tar_bytes);
    for entry in archive.entries().map_err(tar_err)? {
        let mut entry = entry.map_err(tar_err)?;
        let path = entry.path_bytes();
        if normalise_path(&String::from_utf8_lossy(&path)) == "control" {
            let mut text = Vec::new();
            entry.read_to_end(&mut text).map_err(tar_err)?;
            return String::from_utf8(text).map_err(|_| DebError::Control {
                origin: origin.to_string(),
                problem: "is not UTF-8".to_string(),
            });
        }
    }
    Err(DebError::Format {
        origin: origin.to_string(),
        problem: format!("{member} holds no control file"),
    })
}

pub(super) fn data_entry<R: Read>(mut entry: tar::Entry<'_, R>) -> io::Result<Option<DataEntry>> {
    let path = normalise_path(&String::from_utf8_lossy(&entry.path_bytes()));
    if path.is_empty() {
        return Ok(None);
    }
    let header = entry.header();
    let mode = header.mode()? & 0o7777;
    let uid = header.uid()?;
    let gid = header.gid()?;
    let link = || {
        entry
            .link_name_bytes()
            .map(|l| String::from_utf8_lossy(&l).into_owned())
            .unwrap_or_default()
    };
    let kind = match header.entry_type() {
        tar::EntryType::Regular | tar::EntryType::Continuous => EntryKind::File,
        tar::EntryType::Directory => EntryKind::Dir,
        tar::EntryType::Symlink => EntryKind::Symlink { target: link() },
        tar::EntryType::Link => EntryKind::Hardlink {
            target: normalise_path(&link()),
        },
        _ => EntryKind::Special,
    };
    let mut contents = Vec::new();
    if kind == EntryKind::File {
        entry.read_to_end(&mut contents)?;
    }
    Ok(Some(DataEntry {
        path,
        kind,
        mode,
        uid,
        gid,
        contents,
    }))
}

/// `./usr/bin/` → `usr/bin`: how every path in this crate is spelled.
fn normalise_path(path: &str) -> String {
    let mut p = path;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    let p = p.trim_start_matches('/').trim_end_matches('/');
    if p == "." {
        String::new()
    } else {
        p.to_string()
    }
}
