//! Reading a `.deb`: its control paragraph and the entries of its `data.tar`.
//!
//! A binary package is an `ar` archive of three members: `debian-binary` (the format version,
//! `2.0`), `control.tar` and `data.tar`, each tar compressed with gzip, xz or zstd (or not at all).
//! [`Deb::open`] reads the archive once, keeps the control file's text and the still-compressed
//! `data.tar`, and [`Deb::visit_data`] decompresses that tar on demand, one entry at a time, so
//! that a caller turning packages into layers never holds two copies of a package. Nothing here
//! runs a maintainer script or looks at the host's filesystem beyond the `.deb` itself.

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

mod control;
mod members;
#[cfg(test)]
pub(crate) mod testdeb;

pub use control::{ControlField, control_fields};

use members::{ar_members, data_entry, find_tar, read_control, unknown_or_missing};

/// Errors while reading a `.deb`.
#[derive(Debug, thiserror::Error)]
pub enum DebError {
    /// The file could not be read at all.
    #[error("reading the package {path}")]
    Read {
        /// The `.deb` on disk.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// The `ar` container is damaged or the file is not a `.deb`.
    #[error("{origin} is not a Debian binary package (a damaged download?)")]
    NotADeb {
        /// The path or name the bytes came from.
        origin: String,
        /// What the `ar` reader said.
        #[source]
        source: io::Error,
    },
    /// A member every `.deb` has is missing, or `debian-binary` names another format.
    #[error("{origin} is not a Debian binary package: {problem}")]
    Format {
        /// The path or name the bytes came from.
        origin: String,
        /// What is wrong, e.g. "no data.tar member".
        problem: String,
    },
    /// A member is compressed with something slipway does not read (bzip2, lzma).
    #[error("{origin}: member {member} uses a compression slipway does not read")]
    UnknownCompression {
        /// The path or name the bytes came from.
        origin: String,
        /// The member's name.
        member: String,
    },
    /// The control paragraph lacks a field every package has, or is not UTF-8.
    #[error("{origin}: the control file {problem}")]
    Control {
        /// The path or name the bytes came from.
        origin: String,
        /// What is wrong with it.
        problem: String,
    },
    /// Decompressing or reading a tar member failed part-way.
    #[error("{origin}: reading {member}")]
    Tar {
        /// The path or name the bytes came from.
        origin: String,
        /// `control.tar.xz`, `data.tar.zst`, ...
        member: String,
        /// What the decompressor or tar reader said.
        #[source]
        source: io::Error,
    },
}

/// How a tar member of a `.deb` is compressed, from its name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TarCompression {
    /// `.tar`: dpkg accepts uncompressed members.
    None,
    /// `.tar.gz`
    Gzip,
    /// `.tar.xz`: what Debian has used for years.
    Xz,
    /// `.tar.zst`: what Ubuntu uses, and what dpkg reads since 1.21.18.
    Zstd,
}

impl TarCompression {
    fn from_member(name: &str, stem: &str) -> Option<Self> {
        match name.strip_prefix(stem)? {
            "" => Some(Self::None),
            ".gz" => Some(Self::Gzip),
            ".xz" => Some(Self::Xz),
            ".zst" => Some(Self::Zstd),
            _ => None,
        }
    }

    fn reader<'a>(self, bytes: &'a [u8]) -> io::Result<Box<dyn Read + 'a>> {
        Ok(match self {
            Self::None => Box::new(bytes),
            Self::Gzip => Box::new(flate2::read::GzDecoder::new(bytes)),
            Self::Xz => Box::new(xz2::read::XzDecoder::new(bytes)),
            Self::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(bytes)?),
        })
    }
}

/// What a `data.tar` entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file; its bytes are in [`DataEntry::contents`].
    File,
    /// A directory.
    Dir,
    /// A symbolic link, with its target exactly as the package ships it.
    Symlink {
        /// Relative or absolute link target.
        target: String,
    },
    /// A hard link to an earlier entry of the same package.
    Hardlink {
        /// The earlier entry's path, normalised like [`DataEntry::path`].
        target: String,
    },
    /// A device node, fifo or other special file (Debian policy all but forbids them).
    Special,
}

/// One entry of a package's `data.tar`.
#[derive(Clone, PartialEq, Eq)]
pub struct DataEntry {
    /// The path in the installed system, without a leading `./` or `/` and without a trailing
    /// `/`, e.g. `usr/bin/env`.
    pub path: String,
    /// File, directory, link, ...
    pub kind: EntryKind,
    /// Permission bits including setuid, setgid and sticky (`mode & 0o7777`).
    pub mode: u32,
    /// Owner user id as the package ships it.
    pub uid: u64,
    /// Owner group id as the package ships it.
    pub gid: u64,
    /// A regular file's bytes; empty for every other kind.
    pub contents: Vec<u8>,
}

impl fmt::Debug for DataEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataEntry")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .field("mode", &format_args!("{:o}", self.mode))
            .field("uid", &self.uid)
            .field("gid", &self.gid)
            .field("contents", &format_args!("{} bytes", self.contents.len()))
            .finish()
    }
}

/// A binary package read into memory: its control paragraph, and its still-compressed
/// `data.tar`, decompressed each time [`Deb::visit_data`] walks it.
#[derive(Clone)]
pub struct Deb {
    origin: String,
    control: String,
    fields: Vec<ControlField>,
    data_member: String,
    data_compression: TarCompression,
    data: Vec<u8>,
}

impl fmt::Debug for Deb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deb")
            .field("origin", &self.origin)
            .field("package", &self.name())
            .field("version", &self.version())
            .field("data_member", &self.data_member)
            .finish_non_exhaustive()
    }
}

impl Deb {
    /// Reads the `.deb` at `path`.
    pub fn open(path: &Path) -> Result<Self, DebError> {
        let bytes = std::fs::read(path).map_err(|source| DebError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    /// Reads a `.deb` held in memory; `origin` names it in errors (a path or a package name).
    pub fn from_bytes(bytes: &[u8], origin: &str) -> Result<Self, DebError> {
        let members = ar_members(bytes, origin)?;
        let format = |problem: &str| DebError::Format {
            origin: origin.to_string(),
            problem: problem.to_string(),
        };
        let version = members
            .iter()
            .find(|(name, _)| name == "debian-binary")
            .ok_or_else(|| format("no debian-binary member"))?;
        if !version.1.starts_with(b"2.") {
            return Err(format("debian-binary does not say format 2.x"));
        }
        let (control_member, control_tar) = find_tar(&members, "control.tar", origin)?
            .ok_or_else(|| format("no control.tar member"))?;
        let control = read_control(&control_tar, &control_member, origin)?;
        let (data_member, data_compression) = members
            .iter()
            .find_map(|(name, _)| {
                TarCompression::from_member(name, "data.tar").map(|c| (name.clone(), c))
            })
            .ok_or_else(|| unknown_or_missing(&members, "data.tar", origin))?;
        let data = members
            .into_iter()
            .find(|(name, _)| *name == data_member)
            .map(|(_, bytes)| bytes)
            .unwrap_or_default();
        let fields = control_fields(&control);
        let deb = Self {
            origin: origin.to_string(),
            control,
            fields,
            data_member,
            data_compression,
            data,
        };
        for required in ["Package", "Version", "Architecture"] {
            if deb.field(required).is_none() {
                return Err(DebError::Control {
                    origin: origin.to_string(),
                    problem: format!("has no {required} field"),
                });
            }
        }
        Ok(deb)
    }

    /// The `control` file's text exactly as the package ships it.
    #[must_use]
    pub fn control(&self) -> &str {
        &self.control
    }

    /// The control paragraph's fields in the package's order, values as written.
    #[must_use]
    pub fn fields(&self) -> &[ControlField] {
        &self.fields
    }

    /// A field's value (continuation lines included, leading space removed); names are
    /// case-insensitive as in deb822.
    #[must_use]
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.trim())
    }

    /// The package name (`Package`).
    #[must_use]
    pub fn name(&self) -> &str {
        self.field("Package").unwrap_or_default()
    }

    /// The package version (`Version`), e.g. `2.41-12+deb13u5`.
    #[must_use]
    pub fn version(&self) -> &str {
        self.field("Version").unwrap_or_default()
    }

    /// The architecture (`Architecture`): `amd64`, `arm64` or `all`.
    #[must_use]
    pub fn architecture(&self) -> &str {
        self.field("Architecture").unwrap_or_default()
    }

    /// How `data.tar` is compressed.
    #[must_use]
    pub fn data_compression(&self) -> TarCompression {
        self.data_compression
    }

    /// Where the bytes came from (the path given to [`Deb::open`]).
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Decompresses `data.tar` and hands each entry to `visit`, in archive order. The root
    /// directory entry (`./`) is skipped.
    pub fn visit_data(&self, mut visit: impl FnMut(DataEntry)) -> Result<(), DebError> {
        let tar_err = |source| DebError::Tar {
            origin: self.origin.clone(),
            member: self.data_member.clone(),
            source,
        };
        let reader = self.data_compression.reader(&self.data).map_err(tar_err)?;
        let mut archive = tar::Archive::new(reader);
        for entry in archive.entries().map_err(tar_err)? {
            let entry = entry.map_err(tar_err)?;
            if let Some(data_entry) = data_entry(entry).map_err(tar_err)? {
                visit(data_entry);
            }
        }
        Ok(())
    }

    /// Every `data.tar` entry, in archive order: [`Deb::visit_data`] collected.
    pub fn data_entries(&self) -> Result<Vec<DataEntry>, DebError> {
        let mut entries = Vec::new();
        self.visit_data(|e| entries.push(e))?;
        Ok(entries)
    }
}

#[cfg(test)]
#[path = "deb/tests.rs"]
mod tests;
