//! Debian licence short names (DEP-5) as SPDX licence expressions.
//!
//! Debian's machine-readable copyright format names licences by short names that are mostly, but
//! not quite, SPDX ids: `GPL-2+` is `GPL-2.0-or-later`, `Expat` is `MIT`, `BSD-3-clause` is
//! `BSD-3-Clause`. A name with no SPDX id becomes a `LicenseRef-` (`public-domain` is
//! `LicenseRef-public-domain`), so every expression this module writes is valid SPDX.

/// Debian names (lower case) whose SPDX equivalent is not found by the rules in [`map_name`].
const RENAMED: &[(&str, &str)] = &[
    ("expat", "MIT"),
    ("apache-2", "Apache-2.0"),
    ("artistic", "Artistic-1.0-Perl"),
    ("perl", "Artistic-1.0-Perl OR GPL-1.0-or-later"),
    ("cc0", "CC0-1.0"),
    ("mpl-2", "MPL-2.0"),
    ("zope-2.1", "ZPL-2.1"),
    ("psf-2", "PSF-2.0"),
    ("ofl-1.1", "OFL-1.1"),
    ("sil-ofl-1.1", "OFL-1.1"),
    ("boost-1.0", "BSL-1.0"),
    ("gfdl-niv-1.2", "GFDL-1.2-no-invariants-only"),
    ("gfdl-niv-1.2+", "GFDL-1.2-no-invariants-or-later"),
    ("gfdl-niv-1.3", "GFDL-1.3-no-invariants-only"),
    ("gfdl-niv-1.3+", "GFDL-1.3-no-invariants-or-later"),
];

/// SPDX ids that Debian packages use as they are (compared without regard to case).
const SPDX_IDS: &[&str] = &[
    "0BSD",
    "Apache-1.0",
    "Apache-1.1",
    "Apache-2.0",
    "Artistic-1.0",
    "Artistic-1.0-Perl",
    "Artistic-2.0",
    "Beerware",
    "BSD-1-Clause",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BSD-4-Clause",
    "BSL-1.0",
    "bzip2-1.0.6",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-SA-3.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDDL-1.0",
    "curl",
    "EPL-1.0",
    "EPL-2.0",
    "FSFAP",
    "FSFUL",
    "FSFULLR",
    "FTL",
    "HPND",
    "ICU",
    "IJG",
    "ISC",
    "Libpng",
    "libpng-2.0",
    "LPPL-1.3c",
    "MIT",
    "MIT-0",
    "MPL-1.1",
    "MPL-2.0",
    "NTP",
    "OFL-1.1",
    "OpenSSL",
    "PSF-2.0",
    "Python-2.0",
    "Ruby",
    "TCL",
    "Unicode-DFS-2016",
    "Unicode-3.0",
    "Unlicense",
    "W3C",
    "WTFPL",
    "X11",
    "Zlib",
    "ZPL-2.1",
];

/// The GNU licences and their versions that SPDX has `-only` and `-or-later` ids for.
const GNU_VERSIONS: &[(&str, &[&str])] = &[
    ("GPL", &["1.0", "2.0", "3.0"]),
    ("LGPL", &["2.0", "2.1", "3.0"]),
    ("AGPL", &["1.0", "3.0"]),
    ("GFDL", &["1.1", "1.2", "1.3"]),
];

/// The SPDX expression for a DEP-5 `License` field's first line: `GPL-2+ or Artistic` gives
/// `GPL-2.0-or-later OR Artistic-1.0-Perl`; `GPL-3+ with Autoconf exception` gives
/// `GPL-3.0-or-later WITH Autoconf-exception-3.0`; a comma groups as DEP-5 says
/// (`A or B, and C` is `(A OR B) AND C`). `None` for an empty field.
#[must_use]
pub fn spdx_expression(debian: &str) -> Option<String> {
    let mut groups = debian.split(',').map(str::trim).filter(|g| !g.is_empty());
    let first = group_expression(groups.next()?)?;
    let rest: Vec<(&str, String)> = groups
        .filter_map(|group| {
            let (operator, group) = match group.split_once(char::is_whitespace) {
                Some((word, rest)) if word.eq_ignore_ascii_case("or") => (" OR ", rest),
                Some((word, rest)) if word.eq_ignore_ascii_case("and") => (" AND ", rest),
                _ => (" AND ", group),
            };
            Some((operator, group_expression(group)?))
        })
        .collect();
    if rest.is_empty() {
        return Some(first);
    }
    let mut expression = parenthesised(&first);
    for (operator, group) in rest {
        expression.push_str(operator);
        expression.push_str(&parenthesised(&group));
    }
    Some(expression)
}

/// `(A OR B)` for a compound expression, `A` for a single licence.
pub(crate) fn parenthesised(expression: &str) -> String {
    if expression.contains(" AND ") || expression.contains(" OR ") {
        format!("({expression})")
    } else {
        expression.to_string()
    }
}

/// One comma-free group: licences joined by `and` / `or`, which bind as SPDX's `AND` / `OR` do.
fn group_expression(group: &str) -> Option<String> {
    let mut operands: Vec<String> = Vec::new();
    let mut operators: Vec<&str> = Vec::new();
    let mut pending = " AND ";
    let mut words: Vec<&str> = Vec::new();
    let mut flush = |words: &mut Vec<&str>, operator: &'static str| {
        if !words.is_empty() {
            if !operands.is_empty() {
                operators.push(operator);
            }
            operands.push(operand_expression(words));
            words.clear();
        }
    };
    for word in group.split_whitespace() {
        if word.eq_ignore_ascii_case("and") || word.eq_ignore_ascii_case("or") {
            flush(&mut words, pending);
            pending = if word.eq_ignore_ascii_case("and") {
                " AND "
            } else {
                " OR "
            };
        } else {
            words.push(word);
        }
    }
    flush(&mut words, pending);
    match operands.len() {
        0 => None,
        1 => operands.pop(),
        _ => {
            let mut expression = parenthesised(&operands[0]);
            for (operator, operand) in operators.iter().zip(&operands[1..]) {
                expression.push_str(operator);
                expression.push_str(&parenthesised(operand));
            }
            Some(expression)
        }
    }
}

/// One licence, possibly `NAME with SOMETHING exception`.
fn operand_expression(words: &[&str]) -> String {
    let with = words.iter().position(|w| w.eq_ignore_ascii_case("with"));
    let (name_words, exception_words) = match with {
        Some(i) => (&words[..i], Some(&words[i + 1..])),
        None => (words, None),
    };
    let name = name_words.join("-");
    let license = map_name(&name);
    let Some(exception_words) = exception_words else {
        return license;
    };
    match exception_id(&license, exception_words) {
        Some(exception) if !license.starts_with("LicenseRef-") && !license.contains(' ') => {
            format!("{license} WITH {exception}")
        }
        _ => license_ref(&words.join("-")),
    }
}

/// The SPDX id of a Debian licence short name, or a `LicenseRef-` when SPDX has none.
fn map_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if let Some((_, spdx)) = RENAMED.iter().find(|(debian, _)| *debian == lower) {
        return (*spdx).to_string();
    }
    if let Some(id) = SPDX_IDS.iter().find(|id| id.eq_ignore_ascii_case(name)) {
        return (*id).to_string();
    }
    if lower == "public-domain" {
        return "LicenseRef-public-domain".to_string();
    }
    gnu_id(name).unwrap_or_else(|| license_ref(name))
}

/// `GPL-2+` → `GPL-2.0-or-later`, `LGPL-2.1` → `LGPL-2.1-only`, `GPL-3.0-or-later` as it is;
/// bare `GPL` (any version) → `GPL-1.0-or-later`.
fn gnu_id(name: &str) -> Option<String> {
    let upper = name.to_ascii_uppercase();
    let (family, versions) = GNU_VERSIONS
        .iter()
        .find(|(family, _)| upper == *family || upper.starts_with(&format!("{family}-")))?;
    let rest = upper.get(family.len() + 1..).unwrap_or_default();
    let (version, later) = if rest.is_empty() {
        (versions[0].to_string(), true)
    } else if let Some(v) = rest.strip_suffix("-OR-LATER").or(rest.strip_suffix('+')) {
        (v.to_string(), true)
    } else {
        (
            rest.strip_suffix("-ONLY").unwrap_or(rest).to_string(),
            false,
        )
    };
    let version = if version.contains('.') {
        version
    } else {
        format!("{version}.0")
    };
    versions.contains(&version.as_str()).then(|| {
        format!(
            "{family}-{version}-{}",
            if later { "or-later" } else { "only" }
        )
    })
}

/// The SPDX exception id for `with … exception`, which for some depends on the licence version.
fn exception_id(license: &str, words: &[&str]) -> Option<&'static str> {
    let first = words.first()?.to_ascii_lowercase();
    let v3 = license.contains("-3.0");
    Some(match first.as_str() {
        "autoconf" if v3 => "Autoconf-exception-3.0",
        "autoconf" => "Autoconf-exception-2.0",
        "gcc" | "gcc-runtime" if v3 => "GCC-exception-3.1",
        "gcc" | "gcc-runtime" => "GCC-exception-2.0",
        "classpath" => "Classpath-exception-2.0",
        "font" => "Font-exception-2.0",
        "libtool" => "Libtool-exception",
        "bison" => "Bison-exception-2.2",
        _ => return None,
    })
}

/// `LicenseRef-<name>` with every run of characters SPDX does not allow in an id made one `-`.
pub(crate) fn license_ref(name: &str) -> String {
    let mut sanitised = String::with_capacity(name.len());
    for c in name.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '.' {
            c
        } else {
            '-'
        };
        if !(c == '-' && (sanitised.is_empty() || sanitised.ends_with('-'))) {
            sanitised.push(c);
        }
    }
    format!("LicenseRef-{}", sanitised.trim_end_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::spdx_expression;

    fn spdx(debian: &str) -> String {
        spdx_expression(debian).unwrap()
    }

    #[test]
    fn common_debian_names_map_to_spdx_ids() {
        for (debian, expected) in [
            ("GPL-2+", "GPL-2.0-or-later"),
            ("GPL-2", "GPL-2.0-only"),
            ("GPL-2.0+", "GPL-2.0-or-later"),
            ("GPL-3.0-or-later", "GPL-3.0-or-later"),
            ("LGPL-2.1+", "LGPL-2.1-or-later"),
            ("LGPL-2.1", "LGPL-2.1-only"),
            ("LGPL-3", "LGPL-3.0-only"),
            ("AGPL-3+", "AGPL-3.0-or-later"),
            ("GFDL-1.3+", "GFDL-1.3-or-later"),
            ("GPL", "GPL-1.0-or-later"),
            ("BSD-3-clause", "BSD-3-Clause"),
            ("BSD-2-clause", "BSD-2-Clause"),
            ("Expat", "MIT"),
            ("Apache-2.0", "Apache-2.0"),
            ("MPL-2.0", "MPL-2.0"),
            ("ISC", "ISC"),
            ("zlib", "Zlib"),
            ("public-domain", "LicenseRef-public-domain"),
            ("CC0-1.0", "CC0-1.0"),
        ] {
            assert_eq!(spdx(debian), expected, "{debian}");
        }
    }

    #[test]
    fn unknown_names_become_sanitised_license_refs() {
        assert_eq!(spdx("config-h"), "LicenseRef-config-h");
        assert_eq!(spdx("GPL-7+"), "LicenseRef-GPL-7");
        assert_eq!(
            spdx("Unicode/terms (2004)"),
            "LicenseRef-Unicode-terms-2004"
        );
        assert_eq!(spdx("public domain"), "LicenseRef-public-domain");
    }

    #[test]
    fn and_or_and_commas_become_spdx_operators() {
        assert_eq!(
            spdx("GPL-2+ or Artistic"),
            "GPL-2.0-or-later OR Artistic-1.0-Perl"
        );
        assert_eq!(spdx("BSD-3-clause and Expat"), "BSD-3-Clause AND MIT");
        assert_eq!(
            spdx("GPL-2+ or LGPL-2.1+, and Expat"),
            "(GPL-2.0-or-later OR LGPL-2.1-or-later) AND MIT"
        );
        assert_eq!(spdx("Perl"), "Artistic-1.0-Perl OR GPL-1.0-or-later");
        assert_eq!(
            spdx("Perl and Expat"),
            "(Artistic-1.0-Perl OR GPL-1.0-or-later) AND MIT"
        );
        assert_eq!(spdx_expression("  "), None);
    }

    #[test]
    fn exceptions_become_with_clauses_or_license_refs() {
        assert_eq!(
            spdx("GPL-3+ with Autoconf exception"),
            "GPL-3.0-or-later WITH Autoconf-exception-3.0"
        );
        assert_eq!(
            spdx("GPL-3+ with GCC-Runtime exception"),
            "GPL-3.0-or-later WITH GCC-exception-3.1"
        );
        assert_eq!(
            spdx("GPL-2+ with OpenSSL exception"),
            "LicenseRef-GPL-2-with-OpenSSL-exception"
        );
    }
}
