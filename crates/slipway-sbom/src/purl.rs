//! Package URLs (purl), the identifiers scanners match vulnerabilities on.
//!
//! Only the few shapes slipway writes: `pkg:deb/<distro>/<name>@<version>?<qualifiers>`,
//! `pkg:golang/<module path>@<version>` and `pkg:oci/<name>@<digest>?<qualifiers>`. Components
//! are percent-encoded as the purl specification asks: everything but ASCII letters, digits and
//! `.-_~` (so a Debian epoch `1:2.3` becomes `1%3A2.3` and `+dfsg` becomes `%2Bdfsg`).

use std::fmt::Write as _;

use slipway_oci::Digest;

/// The Linux distribution an image is, from its os-release file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Distro {
    /// `ID`: the purl namespace of its packages (`debian`).
    pub id: String,
    /// `VERSION_ID` (`13`), absent on Debian testing and unstable.
    pub version_id: Option<String>,
}

impl Default for Distro {
    /// Debian, release unknown: what a dpkg status entry means when the image has no os-release.
    fn default() -> Self {
        Distro {
            id: "debian".to_string(),
            version_id: None,
        }
    }
}

impl Distro {
    /// Reads `ID` and `VERSION_ID` from an os-release file (shell-style `KEY=value` lines, values
    /// optionally quoted); a missing `ID` means Debian.
    pub fn from_os_release(text: &str) -> Self {
        let mut distro = Distro::default();
        for line in text.lines() {
            let Some((key, value)) = line.trim().split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
            match key.trim() {
                "ID" if !value.is_empty() => distro.id = value.to_string(),
                "VERSION_ID" if !value.is_empty() => distro.version_id = Some(value.to_string()),
                _ => {}
            }
        }
        distro
    }

    /// The purl `distro` qualifier, `debian-13`, when the release is known.
    fn qualifier(&self) -> Option<String> {
        self.version_id
            .as_ref()
            .map(|version| format!("{}-{version}", self.id))
    }
}

/// Percent-encodes one purl component. `/` is kept when `keep_slash`, for the segments of a
/// namespace such as a Go module path.
fn encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric()
            || matches!(byte, b'.' | b'-' | b'_' | b'~')
            || (keep_slash && byte == b'/')
        {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Appends `?k=v&…` from qualifiers already in key order, leaving out absent ones.
fn with_qualifiers(mut purl: String, qualifiers: &[(&str, Option<String>)]) -> String {
    let mut separator = '?';
    for (key, value) in qualifiers {
        if let Some(value) = value {
            purl.push(separator);
            purl.push_str(key);
            purl.push('=');
            purl.push_str(&encode(value, false));
            separator = '&';
        }
    }
    purl
}

/// The purl of a Debian package, exactly as syft writes it (so that the two tools' SBOMs agree):
/// qualifiers `arch`, `distro` and, when the status entry has a `Source` field, `upstream`: the
/// source name, with `@version` when the field gives one (`gcc-14@14.2.0-19`).
pub(crate) fn deb_purl(
    distro: &Distro,
    name: &str,
    version: &str,
    arch: &str,
    source: Option<(&str, Option<&str>)>,
) -> String {
    let upstream = source.map(|(source, source_version)| match source_version {
        Some(source_version) => format!("{source}@{source_version}"),
        None => source.to_string(),
    });
    let base = format!(
        "pkg:deb/{}/{}@{}",
        encode(&distro.id, false),
        encode(name, false),
        encode(version, false)
    );
    with_qualifiers(
        base,
        &[
            ("arch", Some(arch.to_string())),
            ("distro", distro.qualifier()),
            ("upstream", upstream),
        ],
    )
}

/// The purl of a Go module; without a version for a main module built from a work tree
/// (`(devel)`). The standard library is `pkg:golang/stdlib@1.24.4`.
pub(crate) fn golang_purl(module: &str, version: Option<&str>) -> String {
    let mut purl = format!("pkg:golang/{}", encode(module, true));
    if let Some(version) = version {
        purl.push('@');
        purl.push_str(&encode(version, false));
    }
    purl
}

/// The purl of an image: `pkg:oci/app@sha256%3A…?repository_url=registry.example/team/app&tag=1`.
pub(crate) fn oci_purl(image_name: &str, digest: &Digest) -> String {
    let (repository, tag) = split_reference(image_name);
    let name = repository.rsplit('/').next().unwrap_or(repository);
    let base = format!(
        "pkg:oci/{}@{}",
        encode(&name.to_ascii_lowercase(), false),
        encode(digest.as_ref(), false)
    );
    let repository_url = repository.contains('/').then(|| repository.to_string());
    with_qualifiers(
        base,
        &[
            ("repository_url", repository_url),
            ("tag", tag.map(str::to_string)),
        ],
    )
}

/// Splits `registry/repo:tag@digest` into the repository and the tag, if any.
fn split_reference(image_name: &str) -> (&str, Option<&str>) {
    let without_digest = image_name.split('@').next().unwrap_or(image_name);
    let last_slash = without_digest.rfind('/').map_or(0, |i| i + 1);
    match without_digest[last_slash..].rfind(':') {
        Some(colon) => (
            &without_digest[..last_slash + colon],
            Some(&without_digest[last_slash + colon + 1..]),
        ),
        None => (without_digest, None),
    }
}

/// The type of a purl: `deb` for `pkg:deb/…`; empty when the text is not a purl.
pub(crate) fn purl_type(purl: &str) -> &str {
    purl.strip_prefix("pkg:")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn debian_13() -> Distro {
        Distro::from_os_release(
            "PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"13\"\nID=debian\n",
        )
    }

    #[test]
    fn os_release_gives_the_distro_qualifier() {
        assert_eq!(debian_13().qualifier().as_deref(), Some("debian-13"));
        assert_eq!(Distro::from_os_release("ID=debian\n").qualifier(), None);
    }

    #[test]
    fn deb_purl_has_sorted_qualifiers_and_the_upstream_source() {
        assert_eq!(
            deb_purl(
                &debian_13(),
                "libc6",
                "2.41-12",
                "amd64",
                Some(("glibc", None))
            ),
            "pkg:deb/debian/libc6@2.41-12?arch=amd64&distro=debian-13&upstream=glibc"
        );
        assert_eq!(
            deb_purl(&debian_13(), "tzdata", "2025b-4", "all", None),
            "pkg:deb/debian/tzdata@2025b-4?arch=all&distro=debian-13"
        );
    }

    #[test]
    fn deb_purl_encodes_epochs_and_plus_signs() {
        assert_eq!(
            deb_purl(
                &Distro::default(),
                "libssl3t64",
                "1:3.5.1-1+deb13u1",
                "arm64",
                Some(("openssl", Some("3.5.1-1")))
            ),
            "pkg:deb/debian/libssl3t64@1%3A3.5.1-1%2Bdeb13u1?arch=arm64&upstream=openssl%403.5.1-1"
        );
    }

    #[test]
    fn golang_purl_keeps_the_module_path() {
        assert_eq!(
            golang_purl("github.com/google/uuid", Some("v1.6.0")),
            "pkg:golang/github.com/google/uuid@v1.6.0"
        );
        assert_eq!(
            golang_purl("example.com/hello", None),
            "pkg:golang/example.com/hello"
        );
    }

    #[test]
    fn oci_purl_names_repository_and_tag() {
        let digest: Digest = format!("sha256:{}", "a".repeat(64)).parse().unwrap();
        assert_eq!(
            oci_purl("127.0.0.1:5000/team/App:1.0", &digest),
            format!(
                "pkg:oci/app@sha256%3A{}?repository_url=127.0.0.1%3A5000%2Fteam%2FApp&tag=1.0",
                "a".repeat(64)
            )
        );
        assert_eq!(
            oci_purl("app", &digest),
            format!("pkg:oci/app@sha256%3A{}", "a".repeat(64))
        );
        assert_eq!(purl_type("pkg:golang/x@v1"), "golang");
        assert_eq!(purl_type("nonsense"), "");
    }
}
