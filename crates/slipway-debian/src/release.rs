//! `InRelease`: the signed table of contents of one suite of a Debian archive.
//!
//! Everything slipway takes from the archive hangs off this file: its `OpenPGP` signature is
//! checked against the archive keyring ([`verify_inrelease`]), and the SHA-256 list it carries is what each
//! `Packages` index is then checked against. Only the text that the signature covers is parsed;
//! nothing outside it (armor headers, trailing data) is read.

#[cfg(test)]
pub(crate) mod testkey;
mod verify;

use std::time::SystemTime;

use deb822_fast::borrowed::{BorrowedField, BorrowedParagraph};

pub use verify::verify_inrelease;

/// Why an `InRelease` file was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The bytes are not an `OpenPGP` cleartext-signed message at all.
    #[error(
        "the InRelease file is not an OpenPGP cleartext-signed message (the mirror may have \
         served an error page): check the mirror URL (--debian-mirror)"
    )]
    NotCleartext {
        /// What the `OpenPGP` parser said.
        #[source]
        source: pgp::errors::Error,
    },
    /// The signature does not verify: the text or the signature was modified.
    #[error(
        "the InRelease signature is bad: no signature verifies against the keyring {keyring}, \
         so the file was modified after signing (a tampered mirror or a broken proxy); \
         nothing from it was used"
    )]
    BadSignature {
        /// The keyring the signatures were checked against.
        keyring: String,
        /// The first verification error, when there was one.
        #[source]
        source: Option<pgp::errors::Error>,
    },
    /// Every signature was made by keys the keyring does not hold.
    #[error(
        "the InRelease is signed by key(s) {issuers} that the keyring {keyring} does not hold: \
         install a newer debian-archive-keyring, or pass --debian-keyring with the archive's keys"
    )]
    UnknownSigner {
        /// The issuers named by the signatures (hex key ids or fingerprints).
        issuers: String,
        /// The keyring the signatures were checked against.
        keyring: String,
    },
    /// The only keys that could verify the signature have expired or were revoked.
    #[error(
        "the InRelease is signed by key {key}, which has expired or was revoked: install a newer \
         debian-archive-keyring, or pass --debian-keyring with current keys"
    )]
    ExpiredKey {
        /// The fingerprint of the key.
        key: String,
    },
    /// The signed text is not a deb822 paragraph.
    #[error("the signed text of the InRelease is not a deb822 paragraph")]
    Syntax(#[source] deb822_fast::Error),
    /// A field every Release file has is missing.
    #[error("the InRelease has no {0} field")]
    MissingField(&'static str),
    /// A line of the SHA256 list is not `HASH SIZE PATH`.
    #[error("the InRelease SHA256 list has a malformed line {0:?}")]
    ChecksumLine(String),
    /// A date field is not an RFC 2822 UTC date.
    #[error(
        "the InRelease {field} field {value:?} is not a date like `Sat, 21 Nov 2026 09:15:44 UTC`"
    )]
    BadDate {
        /// The field name.
        field: &'static str,
        /// Its value.
        value: String,
    },
    /// `Valid-Until` has passed: the mirror serves a stale (possibly replayed) suite.
    #[error(
        "the InRelease of {suite} expired at {valid_until}: the mirror serves a stale copy; \
         use an up-to-date mirror (--debian-mirror) or retry once it has synced"
    )]
    Expired {
        /// The suite's codename.
        suite: String,
        /// The `Valid-Until` value.
        valid_until: String,
    },
    /// The mirror answered for another suite than the one asked for (a downgrade).
    #[error(
        "asked for suite {requested} but the InRelease is for {codename} ({suite}): the mirror \
         serves the wrong suite; check --debian-mirror"
    )]
    SuiteMismatch {
        /// The suite asked for.
        requested: String,
        /// The `Suite` field.
        suite: String,
        /// The `Codename` field.
        codename: String,
    },
    /// The suite lists no `Packages` index for the component and architecture.
    #[error(
        "{suite} has no {component}/binary-{arch}/Packages index (architectures: {available}): \
         pick an architecture the release supports"
    )]
    NoIndex {
        /// The suite's codename.
        suite: String,
        /// The component, such as `main`.
        component: String,
        /// The architecture asked for.
        arch: String,
        /// The architectures the suite lists.
        available: String,
    },
}

/// One line of the `SHA256` list: a file below `dists/SUITE/` with its size and digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFile {
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its path relative to `dists/SUITE/`, such as `main/binary-amd64/Packages.xz`.
    pub path: String,
}

/// How a `Packages` index is compressed on the mirror.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// `Packages.xz`, which every current Debian suite offers.
    Xz,
    /// `Packages.gz`, the fallback older suites and some mirrors offer.
    Gz,
    /// Plain `Packages`.
    None,
}

impl Compression {
    /// The file name suffix, empty for plain files.
    #[must_use]
    pub fn suffix(self) -> &'static str {
        match self {
            Compression::Xz => ".xz",
            Compression::Gz => ".gz",
            Compression::None => "",
        }
    }
}

/// Where one `Packages` index is: the file to download and, when listed, the digest of its
/// decompressed text (so that the decompressed text can be cached and re-checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackagesIndex {
    /// The file to download.
    pub file: IndexFile,
    /// How it is compressed.
    pub compression: Compression,
    /// The decompressed `Packages` file's entry, when the suite lists it.
    pub uncompressed: Option<IndexFile>,
}

/// The fields of a verified `InRelease` that slipway uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// `Suite`, such as `stable` or `stable-security`.
    pub suite: String,
    /// `Codename`, such as `trixie` or `trixie-security`.
    pub codename: String,
    /// `Date`, as written.
    pub date: String,
    /// `Valid-Until`, as written; suites that change often (-updates, -security) carry one.
    pub valid_until: Option<String>,
    /// `Architectures`.
    pub architectures: Vec<String>,
    /// `Components`, such as `main` (the security archive writes `updates/main`).
    pub components: Vec<String>,
    /// `Acquire-By-Hash: yes`: indexes can be fetched by digest, which avoids races with a
    /// mirror update between fetching `InRelease` and fetching an index.
    pub acquire_by_hash: bool,
    /// The `SHA256` list.
    pub sha256: Vec<IndexFile>,
    /// The fingerprint (upper-case hex) of the key whose signature verified; empty when the text
    /// was parsed without verification.
    pub signed_by: String,
}

impl Release {
    /// Parses the text of a Release file (the signed text of an `InRelease`).
    ///
    /// This does not check any signature: use [`verify_inrelease`] on downloaded bytes.
    pub fn parse(text: &str) -> Result<Self, ReleaseError> {
        let paragraphs =
            deb822_fast::borrowed::parse_borrowed(text).map_err(ReleaseError::Syntax)?;
        let paragraph = paragraphs
            .first()
            .ok_or(ReleaseError::MissingField("Suite"))?;
        let single = |name: &'static str| single_line(paragraph, name);
        let words = |name: &'static str| {
            single(name)
                .map(|value| value.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let suite = single("Suite").ok_or(ReleaseError::MissingField("Suite"))?;
        let codename = single("Codename").unwrap_or(suite);
        Ok(Self {
            suite: suite.to_owned(),
            codename: codename.to_owned(),
            date: single("Date")
                .ok_or(ReleaseError::MissingField("Date"))?
                .to_owned(),
            valid_until: single("Valid-Until").map(str::to_owned),
            architectures: words("Architectures"),
            components: words("Components"),
            acquire_by_hash: single("Acquire-By-Hash") == Some("yes"),
            sha256: paragraph
                .get_field("SHA256")
                .map(parse_checksums)
                .transpose()?
                .ok_or(ReleaseError::MissingField("SHA256"))?,
            signed_by: String::new(),
        })
    }

    /// The `SHA256` entry for a path below `dists/SUITE/`.
    #[must_use]
    pub fn file(&self, path: &str) -> Option<&IndexFile> {
        self.sha256.iter().find(|file| file.path == path)
    }

    /// Finds `COMPONENT/binary-ARCH/Packages` in the SHA256 list, preferring `.xz`, then `.gz`,
    /// then the plain file.
    pub fn packages_index(
        &self,
        component: &str,
        arch: &str,
    ) -> Result<PackagesIndex, ReleaseError> {
        let base = format!("{component}/binary-{arch}/Packages");
        let uncompressed = self.file(&base).cloned();
        [Compression::Xz, Compression::Gz, Compression::None]
            .into_iter()
            .find_map(|compression| {
                self.file(&format!("{base}{}", compression.suffix()))
                    .map(|file| PackagesIndex {
                        file: file.clone(),
                        compression,
                        uncompressed: uncompressed.clone(),
                    })
            })
            .ok_or_else(|| ReleaseError::NoIndex {
                suite: self.codename.clone(),
                component: component.to_owned(),
                arch: arch.to_owned(),
                available: self.architectures.join(" "),
            })
    }

    /// Checks that this is the suite that was asked for, by codename (`trixie-security`) or by
    /// suite name (`stable-security`), so that a mirror cannot substitute an older suite.
    pub fn check_suite(&self, requested: &str) -> Result<(), ReleaseError> {
        if self.codename == requested || self.suite == requested {
            Ok(())
        } else {
            Err(ReleaseError::SuiteMismatch {
                requested: requested.to_owned(),
                suite: self.suite.clone(),
                codename: self.codename.clone(),
            })
        }
    }

    /// Checks `Valid-Until` against `now`, as apt does, so that a replayed old `InRelease`
    /// (which would hide security updates) is refused.
    pub fn check_valid_until(&self, now: SystemTime) -> Result<(), ReleaseError> {
        let Some(valid_until) = &self.valid_until else {
            return Ok(());
        };
        if parse_date("Valid-Until", valid_until)? < now {
            return Err(ReleaseError::Expired {
                suite: self.codename.clone(),
                valid_until: valid_until.clone(),
            });
        }
        Ok(())
    }

    /// `Date` as a time.
    pub fn date_time(&self) -> Result<SystemTime, ReleaseError> {
        parse_date("Date", &self.date)
    }
}

/// A single-line field, trimmed; `None` when absent.
fn single_line<'a>(paragraph: &BorrowedParagraph<'a>, name: &str) -> Option<&'a str> {
    paragraph
        .get_field(name)
        .and_then(|field| field.lines().first().copied())
        .map(str::trim)
}

/// Parses the lines of a checksum field (the first, empty line is the field's own line).
fn parse_checksums(field: &BorrowedField<'_>) -> Result<Vec<IndexFile>, ReleaseError> {
    field
        .lines()
        .iter()
        .map(|line| line.trim())
        .filter(|line| !line.is_empty())
        .map(|line| {
            let mut parts = line.split_whitespace();
            let bad = || ReleaseError::ChecksumLine(line.to_owned());
            let sha256 = parts.next().ok_or_else(bad)?;
            let size = parts
                .next()
                .and_then(|size| size.parse().ok())
                .ok_or_else(bad)?;
            let path = parts.next().ok_or_else(bad)?;
            if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad());
            }
            Ok(IndexFile {
                sha256: sha256.to_ascii_lowercase(),
                size,
                path: path.to_owned(),
            })
        })
        .collect()
}

/// Parses an RFC 2822 date as Release files write it (`Sat, 21 Nov 2026 09:15:44 UTC`).
fn parse_date(field: &'static str, value: &str) -> Result<SystemTime, ReleaseError> {
    let bad = || ReleaseError::BadDate {
        field,
        value: value.to_owned(),
    };
    // Release files say UTC (or +0000); HTTP dates, which httpdate reads, say GMT.
    let trimmed = value.trim();
    let stem = trimmed
        .strip_suffix("UTC")
        .or_else(|| trimmed.strip_suffix("+0000"))
        .or_else(|| trimmed.strip_suffix("GMT"))
        .ok_or_else(bad)?;
    // A single-digit day (`Sat, 1 Nov ...`) is valid RFC 2822 but not an HTTP date.
    let stem = stem.trim_end();
    let normalized = match stem.split_once(", ") {
        Some((weekday, rest)) if rest.find(' ') == Some(1) => format!("{weekday}, 0{rest} GMT"),
        _ => format!("{stem} GMT"),
    };
    httpdate::parse_http_date(&normalized).map_err(|_| bad())
}

#[cfg(test)]
mod tests;
