//! Deterministic tar entries: the same entry gives the same header bytes on any machine.
//!
//! Host user and group names, device numbers, access times and extended attributes never reach a
//! header; the modification time is one fixed value for every entry.

use std::io::{self, Write};

use tar::{Builder, EntryType, Header};

/// The default timestamp of every entry and of image configs: 1980-01-01T00:00:01Z, the value the
/// Cloud Native Buildpacks lifecycle uses, so that tools which show "created" print a plausible
/// date rather than the Unix epoch. `SOURCE_DATE_EPOCH` overrides it (see [`reproducible_epoch`]).
pub const DEFAULT_EPOCH: u64 = 315_532_801;

/// The timestamp written into layers and configs: `SOURCE_DATE_EPOCH` when set to a number (the
/// reproducible-builds convention), else [`DEFAULT_EPOCH`].
#[must_use]
pub fn reproducible_epoch() -> u64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_EPOCH)
}

/// Ownership and permissions of one entry, already normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryMeta {
    /// Permission bits (and setuid/setgid/sticky), e.g. `0o755`.
    pub mode: u32,
    /// Owner user id.
    pub uid: u64,
    /// Owner group id.
    pub gid: u64,
    /// Modification time, seconds since the Unix epoch.
    pub mtime: u64,
}

/// Writes tar entries with normalised headers into `inner`.
pub struct DeterministicTar<W: Write> {
    builder: Builder<W>,
}

impl<W: Write> DeterministicTar<W> {
    /// Starts an archive; nothing is written until the first entry.
    pub fn new(inner: W) -> Self {
        Self {
            builder: Builder::new(inner),
        }
    }

    /// A directory entry; `path` has no leading `/`.
    pub fn dir(&mut self, path: &str, meta: EntryMeta) -> io::Result<()> {
        let mut header = header(EntryType::Directory, meta, 0);
        let path = format!("{}/", path.trim_end_matches('/'));
        self.builder.append_data(&mut header, path, io::empty())
    }

    /// A regular file with the given contents.
    pub fn file(&mut self, path: &str, meta: EntryMeta, contents: &[u8]) -> io::Result<()> {
        let mut header = header(EntryType::Regular, meta, contents.len() as u64);
        self.builder.append_data(&mut header, path, contents)
    }

    /// A symbolic link to `target`.
    pub fn symlink(&mut self, path: &str, meta: EntryMeta, target: &str) -> io::Result<()> {
        let mut header = header(EntryType::Symlink, meta, 0);
        self.builder.append_link(&mut header, path, target)
    }

    /// Writes the end-of-archive marker and returns the inner writer.
    pub fn finish(self) -> io::Result<W> {
        self.builder.into_inner()
    }
}

fn header(kind: EntryType, meta: EntryMeta, size: u64) -> Header {
    let mut header = Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(meta.mode);
    header.set_uid(meta.uid);
    header.set_gid(meta.gid);
    header.set_mtime(meta.mtime);
    header.set_size(size);
    // Empty names: ids are what a runtime uses; names would copy the build host's passwd.
    let _ = header.set_username("");
    let _ = header.set_groupname("");
    header
}
