//! Licences from a package's `/usr/share/doc/<name>/copyright`, when it is machine-readable.
//!
//! Only the DEP-5 format (`Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/`)
//! names licences in a way a program can read; a free-text copyright file gives no licence, and
//! the SBOM then says `NOASSERTION` rather than guess.

use std::collections::BTreeSet;

use deb822_fast::Deb822;

use crate::license::spdx_expression;

/// The SPDX expressions of every `License` field in a DEP-5 copyright file, sorted and without
/// repeats; empty for a free-text file or one that does not parse as deb822.
pub(crate) fn licenses_from_copyright(text: &str) -> Vec<String> {
    if !is_machine_readable(text) {
        return Vec::new();
    }
    // Blank-looking lines with stray spaces end a paragraph too (deb822-fast takes only an empty
    // line as the end of one), and a carriage return is no part of a value.
    let normalised: String = text
        .lines()
        .map(|line| {
            if line.trim().is_empty() {
                ""
            } else {
                line.trim_end_matches('\r')
            }
        })
        .flat_map(|line| [line, "\n"])
        .collect();
    let Ok(document) = normalised.parse::<Deb822>() else {
        return Vec::new();
    };
    document
        .iter()
        .filter_map(|paragraph| paragraph.get("License"))
        .filter_map(|value| spdx_expression(value.lines().next().unwrap_or_default()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Whether the file's first field is DEP-5's `Format` (or the draft's `Format-Specification`)
/// naming the copyright format.
fn is_machine_readable(text: &str) -> bool {
    let Some(first) = text.lines().find(|line| !line.trim().is_empty()) else {
        return false;
    };
    let Some((field, value)) = first.split_once(':') else {
        return false;
    };
    (field.eq_ignore_ascii_case("Format") || field.eq_ignore_ascii_case("Format-Specification"))
        && (value.contains("copyright-format") || value.contains("dep5"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE_FILES: &str = "\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Comment: This is the Debian GNU/Linux prepackaged version of the base files.

Files: *
Copyright: 1995-2025 Santiago Vila and others
License: GPL-2+
 This program is free software; you can redistribute it and/or modify
 it under the terms of the GNU General Public License as published by
 .
 On Debian systems, the complete text of the GNU General Public
 License version 2 can be found in `/usr/share/common-licenses/GPL-2'.

Files: licenses/*
Copyright: 2001 Someone
License: BSD-3-clause or Expat

License: GPL-2+
 See above.
";

    #[test]
    fn dep5_files_give_every_license_once() {
        assert_eq!(
            licenses_from_copyright(BASE_FILES),
            ["BSD-3-Clause OR MIT", "GPL-2.0-or-later"]
        );
    }

    #[test]
    fn stray_spaces_and_carriage_returns_do_not_hide_licenses() {
        let text = BASE_FILES.replace("\n\n", "\n   \n").replace('\n', "\r\n");
        assert_eq!(
            licenses_from_copyright(&text),
            ["BSD-3-Clause OR MIT", "GPL-2.0-or-later"]
        );
    }

    #[test]
    fn free_text_copyright_files_give_no_license() {
        let text = "This is the Debian prepackaged version of tzdata.\n\nLicense: public domain\n";
        assert!(licenses_from_copyright(text).is_empty());
        assert!(licenses_from_copyright("").is_empty());
    }
}
