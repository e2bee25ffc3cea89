//! `Packages` indexes: one paragraph per binary package of a suite, component and architecture.
//!
//! Debian's main amd64 index is about 60 MB and 64 000 paragraphs, read on every resolution that
//! misses the cache, so parsing is built for speed: the decompressed text is held once (shared by
//! every entry, which keeps its own paragraph as a range of it for dpkg status entries), and only
//! the fields the resolver, the lockfile and the SBOM need are copied out.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// Why an index could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The index is not UTF-8 (Debian's are).
    #[error("the Packages index of {origin} is not UTF-8 (a damaged download?)")]
    NotUtf8 {
        /// Which index (suite and path).
        origin: String,
        /// Where the first bad byte is.
        #[source]
        source: std::str::Utf8Error,
    },
    /// A paragraph is not deb822.
    #[error("the Packages index of {origin} has a malformed paragraph at byte {offset}")]
    Syntax {
        /// Which index (suite and path).
        origin: String,
        /// The paragraph's byte offset.
        offset: usize,
        /// What the deb822 parser said.
        #[source]
        source: deb822_fast::Error,
    },
    /// A paragraph lacks a field that every binary package has.
    #[error("the Packages index of {origin} has a paragraph without {field} at byte {offset}")]
    MissingField {
        /// Which index (suite and path).
        origin: String,
        /// The field's name.
        field: &'static str,
        /// The paragraph's byte offset.
        offset: usize,
    },
    /// A numeric field is not a number.
    #[error("the Packages index of {origin} has a bad {field} {value:?} for {package}")]
    BadNumber {
        /// Which index (suite and path).
        origin: String,
        /// The package.
        package: String,
        /// The field's name.
        field: &'static str,
        /// Its value.
        value: String,
    },
}

/// The packages of one suite (such as `trixie-security`) for one architecture: what the archive
/// client reads and the resolver chooses from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuiteIndex {
    /// The suite's codename, as asked for: `trixie`, `trixie-updates`, `trixie-security`.
    pub suite_name: String,
    /// Its `main` packages for the architecture (including `Architecture: all` ones).
    pub packages: Vec<PackageEntry>,
}

/// One binary package of a `Packages` index.
#[derive(Clone, PartialEq, Eq)]
pub struct PackageEntry {
    /// `Package`.
    pub name: String,
    /// `Version`, as written (compare with `debversion`, never as text).
    pub version: String,
    /// `Architecture`: the index's architecture or `all`.
    pub architecture: String,
    /// `Multi-Arch`: `same`, `foreign`, `allowed`, or `None` (`no`).
    pub multi_arch: Option<String>,
    /// `Depends`, as written; empty when absent.
    pub depends: String,
    /// `Pre-Depends`, as written; empty when absent.
    pub pre_depends: String,
    /// `Provides`, as written; empty when absent.
    pub provides: String,
    /// `Filename`: the `.deb`'s path below the mirror's base URL.
    pub filename: String,
    /// `Size` of the `.deb` in bytes.
    pub size: u64,
    /// `SHA256` of the `.deb`, lower-case hex.
    pub sha256: String,
    /// `Source`, as written (`glibc` or `glibc (2.41-12)`); `None` when it is the package name.
    pub source: Option<String>,
    /// `Section`; empty when absent.
    pub section: String,
    /// `Priority`; empty when absent.
    pub priority: String,
    /// `Essential: yes`.
    pub essential: bool,
    /// `Installed-Size` in KiB.
    pub installed_size: Option<u64>,
    /// The first line of `Description` (the synopsis).
    pub description: String,
    /// `Homepage`; empty when absent.
    pub homepage: String,
    /// `Maintainer`; empty when absent.
    pub maintainer: String,
    raw: RawParagraph,
}

/// A paragraph as a range of the index text it came from, so that 64 000 entries share one copy.
#[derive(Clone)]
struct RawParagraph {
    text: Arc<str>,
    range: Range<usize>,
}

impl PartialEq for RawParagraph {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RawParagraph {}

impl RawParagraph {
    fn as_str(&self) -> &str {
        &self.text[self.range.clone()]
    }
}

impl fmt::Debug for PackageEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PackageEntry")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("architecture", &self.architecture)
            .field("filename", &self.filename)
            .finish_non_exhaustive()
    }
}

impl PackageEntry {
    /// The whole paragraph exactly as the index has it, without the blank line that ends it:
    /// the body of a dpkg status entry (add `Status: install ok installed`).
    #[must_use]
    pub fn raw(&self) -> &str {
        self.raw.as_str()
    }

    /// The source package's name: `Source` without its version, else the package's own name.
    #[must_use]
    pub fn source_name(&self) -> &str {
        match &self.source {
            Some(source) => source.split_whitespace().next().unwrap_or(&self.name),
            None => &self.name,
        }
    }

    /// The source package's version: the one in `Source: name (version)` (a binNMU or a
    /// package built from an older source), else the package's own version.
    #[must_use]
    pub fn source_version(&self) -> &str {
        self.source
            .as_deref()
            .and_then(|source| source.split_once('('))
            .and_then(|(_, rest)| rest.split_once(')'))
            .map_or(self.version.as_str(), |(version, _)| version.trim())
    }
}

/// Parses a decompressed `Packages` index; `origin` names it in errors (suite and path).
///
/// Takes the text by value (as bytes, checked once for UTF-8) so that the entries can share it.
pub fn parse_packages(bytes: Vec<u8>, origin: &str) -> Result<Vec<PackageEntry>, IndexError> {
    let text = String::from_utf8(bytes).map_err(|error| IndexError::NotUtf8 {
        origin: origin.to_owned(),
        source: error.utf8_error(),
    })?;
    parse_packages_text(&Arc::from(text), origin)
}

/// Parses index text that is already shared (see [`parse_packages`]).
///
/// Paragraphs are independent, so a large index is parsed on several threads (in order).
pub fn parse_packages_text(text: &Arc<str>, origin: &str) -> Result<Vec<PackageEntry>, IndexError> {
    let ranges: Vec<Range<usize>> = paragraph_ranges(text).collect();
    let parse_all = |part: &[Range<usize>]| {
        part.iter()
            .map(|range| parse_paragraph(text, range.clone(), origin))
            .collect::<Result<Vec<_>, _>>()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(8);
    if threads == 1 || ranges.len() < PARALLEL_THRESHOLD {
        return parse_all(&ranges);
    }
    let chunk = ranges.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = ranges
            .chunks(chunk)
            .map(|part| scope.spawn(move || parse_all(part)))
            .collect();
        let mut entries = Vec::with_capacity(ranges.len());
        for worker in workers {
            match worker.join() {
                Ok(part) => entries.extend(part?),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        Ok(entries)
    })
}

/// Below this many paragraphs, threads cost more than they save.
const PARALLEL_THRESHOLD: usize = 4096;

/// The byte ranges of the paragraphs: runs of non-blank lines. Packages files are written by
/// the archive software with one empty line between paragraphs, and no comments.
fn paragraph_ranges(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() && (bytes[at] == b'\n' || bytes[at] == b'\r') {
            at += 1;
        }
        if at >= bytes.len() {
            return None;
        }
        let start = at;
        let end = find_blank_line(&bytes[start..]).map_or(bytes.len(), |offset| start + offset);
        at = end;
        // Drop the newline that ends the last line, keeping the paragraph's own text.
        let trimmed = text[start..end].trim_end_matches(['\n', '\r']).len();
        Some(start..start + trimmed)
    })
}

/// The offset just past the first `\n` that is followed by an empty line, if any.
fn find_blank_line(bytes: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(offset) = bytes[from..].iter().position(|&b| b == b'\n') {
        let next = from + offset + 1;
        match bytes.get(next) {
            Some(b'\n') => return Some(next),
            Some(b'\r') if bytes.get(next + 1) == Some(&b'\n') => return Some(next),
            None => return None,
            _ => from = next,
        }
    }
    None
}

/// Copies the fields slipway uses out of one paragraph.
fn parse_paragraph(
    text: &Arc<str>,
    range: Range<usize>,
    origin: &str,
) -> Result<PackageEntry, IndexError> {
    let offset = range.start;
    let body = &text[range.clone()];
    let mut parser = deb822_fast::borrowed::iter_paragraphs_borrowed(body);
    let paragraph = match parser.next() {
        Some(Ok(paragraph)) => paragraph,
        Some(Err(source)) => {
            return Err(IndexError::Syntax {
                origin: origin.to_owned(),
                offset,
                source,
            });
        }
        None => {
            return Err(IndexError::MissingField {
                origin: origin.to_owned(),
                field: "Package",
                offset,
            });
        }
    };
    let mut fields = Fields::default();
    for field in paragraph.iter() {
        let lines = field.lines();
        let value = match lines {
            [line] => Cow::Borrowed(line.trim()),
            // A folded field: only Description's first line is kept; others are joined.
            [first, ..] if field.name() == "Description" => Cow::Borrowed(first.trim()),
            _ => Cow::Owned(
                lines
                    .iter()
                    .map(|line| line.trim())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        };
        fields.set(field.name(), value);
    }
    fields.into_entry(
        RawParagraph {
            text: Arc::clone(text),
            range,
        },
        origin,
        offset,
    )
}

/// The fields of one paragraph that slipway keeps, borrowed from the index text.
#[derive(Default)]
struct Fields<'a> {
    name: Option<Cow<'a, str>>,
    version: Option<Cow<'a, str>>,
    architecture: Option<Cow<'a, str>>,
    multi_arch: Option<Cow<'a, str>>,
    depends: Cow<'a, str>,
    pre_depends: Cow<'a, str>,
    provides: Cow<'a, str>,
    filename: Option<Cow<'a, str>>,
    size: Option<Cow<'a, str>>,
    sha256: Option<Cow<'a, str>>,
    source: Option<Cow<'a, str>>,
    section: Cow<'a, str>,
    priority: Cow<'a, str>,
    essential: bool,
    installed_size: Option<Cow<'a, str>>,
    description: Cow<'a, str>,
    homepage: Cow<'a, str>,
    maintainer: Cow<'a, str>,
}

impl<'a> Fields<'a> {
    /// Records one field; names are matched as the archive writes them.
    fn set(&mut self, name: &str, value: Cow<'a, str>) {
        match name {
            "Package" => self.name = Some(value),
            "Version" => self.version = Some(value),
            "Architecture" => self.architecture = Some(value),
            "Multi-Arch" => self.multi_arch = Some(value),
            "Depends" => self.depends = value,
            "Pre-Depends" => self.pre_depends = value,
            "Provides" => self.provides = value,
            "Filename" => self.filename = Some(value),
            "Size" => self.size = Some(value),
            "SHA256" => self.sha256 = Some(value),
            "Source" => self.source = Some(value),
            "Section" => self.section = value,
            "Priority" => self.priority = value,
            "Essential" => self.essential = value.eq_ignore_ascii_case("yes"),
            "Installed-Size" => self.installed_size = Some(value),
            "Description" => self.description = value,
            "Homepage" => self.homepage = value,
            "Maintainer" => self.maintainer = value,
            _ => {}
        }
    }

    fn into_entry(
        self,
        raw: RawParagraph,
        origin: &str,
        offset: usize,
    ) -> Result<PackageEntry, IndexError> {
        let require = |value: Option<Cow<'a, str>>, field: &'static str| {
            value.ok_or_else(|| IndexError::MissingField {
                origin: origin.to_owned(),
                field,
                offset,
            })
        };
        let name = require(self.name, "Package")?.into_owned();
        let number = |value: &str, field: &'static str| {
            value.parse::<u64>().map_err(|_| IndexError::BadNumber {
                origin: origin.to_owned(),
                package: name.clone(),
                field,
                value: value.to_owned(),
            })
        };
        let size = number(&require(self.size, "Size")?, "Size")?;
        let installed_size = self
            .installed_size
            .map(|value| number(&value, "Installed-Size"))
            .transpose()?;
        Ok(PackageEntry {
            version: require(self.version, "Version")?.into_owned(),
            architecture: require(self.architecture, "Architecture")?.into_owned(),
            multi_arch: self
                .multi_arch
                .filter(|value| value != "no")
                .map(Cow::into_owned),
            depends: self.depends.into_owned(),
            pre_depends: self.pre_depends.into_owned(),
            provides: self.provides.into_owned(),
            filename: require(self.filename, "Filename")?.into_owned(),
            size,
            sha256: require(self.sha256, "SHA256")?.to_ascii_lowercase(),
            source: self.source.map(Cow::into_owned),
            section: self.section.into_owned(),
            priority: self.priority.into_owned(),
            essential: self.essential,
            installed_size,
            description: self.description.into_owned(),
            homepage: self.homepage.into_owned(),
            maintainer: self.maintainer.into_owned(),
            name,
            raw,
        })
    }
}

#[cfg(test)]
mod tests;
