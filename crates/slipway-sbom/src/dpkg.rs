//! dpkg status entries: one file per package under `/var/lib/dpkg/status.d/` (distroless), or
//! the single `/var/lib/dpkg/status` of a system dpkg ran on.

use deb822_fast::Deb822;

/// Why a status entry could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// The file is not deb822 text.
    #[error("the entry is not in deb822 format")]
    Parse(#[source] deb822_fast::Error),
    /// A paragraph lacks a field every installed package has.
    #[error("a paragraph has no {0} field")]
    MissingField(&'static str),
}

/// The fields of one installed package that an SBOM needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusEntry {
    pub name: String,
    pub version: String,
    pub arch: String,
    /// The `Source` field: the source package's name, and its version when the field gives one
    /// (`glibc (2.41-12)`); absent when the source package has the binary's name and version.
    pub source: Option<(String, Option<String>)>,
    pub maintainer: Option<String>,
}

/// Every installed package in a status file. A paragraph whose `Status` says the package is not
/// installed (removed, config files only) is left out; distroless entries have no `Status`.
pub(crate) fn parse_status(text: &str) -> Result<Vec<StatusEntry>, StatusError> {
    let document: Deb822 = text.parse().map_err(StatusError::Parse)?;
    let mut entries = Vec::new();
    for paragraph in document.iter() {
        let field = |name: &'static str| {
            paragraph
                .get(name)
                .map(str::trim)
                .filter(|value| !value.is_empty())
        };
        if field("Status").is_some_and(|status| !status.ends_with(" installed")) {
            continue;
        }
        let required = |name: &'static str| field(name).ok_or(StatusError::MissingField(name));
        let name = required("Package")?.to_string();
        let version = required("Version")?.to_string();
        let arch = required("Architecture")?.to_string();
        let source = field("Source").map(parse_source);
        entries.push(StatusEntry {
            name,
            version,
            arch,
            source,
            maintainer: field("Maintainer").map(str::to_string),
        });
    }
    Ok(entries)
}

/// `glibc (2.41-12)` → (`glibc`, `2.41-12`); `glibc` → (`glibc`, none).
fn parse_source(source: &str) -> (String, Option<String>) {
    match source.split_once('(') {
        Some((name, version)) => (
            name.trim().to_string(),
            Some(version.trim().trim_end_matches(')').trim().to_string()),
        ),
        None => (source.to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIBC6: &str = "\
Package: libc6
Version: 2.41-12
Architecture: amd64
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Installed-Size: 12580
Depends: libgcc-s1
Section: libs
Priority: optional
Multi-Arch: same
Homepage: https://www.gnu.org/software/libc/libc.html
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
Source: glibc
";

    #[test]
    fn a_distroless_entry_gives_one_package() {
        let entries = parse_status(LIBC6).unwrap();
        assert_eq!(
            entries,
            [StatusEntry {
                name: "libc6".into(),
                version: "2.41-12".into(),
                arch: "amd64".into(),
                source: Some(("glibc".into(), None)),
                maintainer: Some("GNU Libc Maintainers <debian-glibc@lists.debian.org>".into()),
            }]
        );
    }

    #[test]
    fn a_source_version_in_parentheses_is_kept() {
        let text = "Package: libssl3t64\nVersion: 3.5.1-1+b1\nArchitecture: amd64\nSource: openssl (3.5.1-1)\n";
        let entries = parse_status(text).unwrap();
        assert_eq!(
            entries[0].source,
            Some(("openssl".into(), Some("3.5.1-1".into())))
        );
    }

    #[test]
    fn a_status_file_lists_only_installed_packages() {
        let text = format!(
            "{LIBC6}Status: install ok installed\n\nPackage: old\nStatus: deinstall ok config-files\nVersion: 1\nArchitecture: all\n"
        );
        let names: Vec<_> = parse_status(&text)
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["libc6"]);
    }

    #[test]
    fn a_paragraph_without_a_version_is_an_error() {
        let err = parse_status("Package: libc6\nArchitecture: amd64\n").unwrap_err();
        assert_eq!(err.to_string(), "a paragraph has no Version field");
        assert!(matches!(
            parse_status(" indented first line\n"),
            Err(StatusError::Parse(_))
        ));
    }
}
