//! `META-INF/MANIFEST.MF`: the few attributes that decide how a JAR or WAR is launched.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use zip::ZipArchive;
use zip::result::ZipError;

use super::{ArchiveError, io_error, zip_error};

/// Where a JAR keeps its manifest, inside the archive or an exploded copy of it.
pub(super) const MANIFEST_PATH: &str = "META-INF/MANIFEST.MF";

/// Main classes of the Spring Boot loader: a JAR or WAR launched by one of these is a Spring Boot
/// fat archive, whose application classes live in `BOOT-INF/` (or `WEB-INF/`), not at the root.
const SPRING_BOOT_LAUNCHERS: [&str; 6] = [
    "org.springframework.boot.loader.launch.JarLauncher",
    "org.springframework.boot.loader.launch.WarLauncher",
    "org.springframework.boot.loader.launch.PropertiesLauncher",
    "org.springframework.boot.loader.JarLauncher",
    "org.springframework.boot.loader.WarLauncher",
    "org.springframework.boot.loader.PropertiesLauncher",
];

/// The main section of a JAR manifest, which is all the launcher reads.
///
/// Parsed per the JAR File Specification: `Name: value` lines, a line starting with one space
/// continues the previous one, CRLF, LF or CR line ends, and the main section ends at the first
/// blank line (per-entry sections are ignored). Attribute names are case-insensitive, as in
/// `java.util.jar.Attributes`; a repeated attribute keeps its last value. Malformed lines are
/// skipped rather than rejected, since the JVM is the judge of a manifest, not slipway.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JarManifest {
    main_class: Option<String>,
    start_class: Option<String>,
    class_path: Vec<String>,
    attributes: BTreeMap<String, String>,
}

impl JarManifest {
    /// Parses the text of a `MANIFEST.MF` (see the type's documentation for the rules).
    #[must_use]
    pub fn parse(text: &str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut attributes: BTreeMap<String, String> = BTreeMap::new();
        for line in logical_lines(text) {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            let value = value.strip_prefix(' ').unwrap_or(value).to_owned();
            let existing = attributes
                .keys()
                .find(|key| key.eq_ignore_ascii_case(name))
                .cloned();
            attributes.insert(existing.unwrap_or_else(|| name.to_owned()), value);
        }
        Self::from_attributes(attributes)
    }

    /// Builds the manifest from its attributes, picking out the ones the buildpack acts on.
    fn from_attributes(attributes: BTreeMap<String, String>) -> Self {
        let get = |name: &str| {
            attributes
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let main_class = get("Main-Class");
        let start_class = get("Start-Class");
        let class_path = get("Class-Path")
            .map(|value| value.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        Self {
            main_class,
            start_class,
            class_path,
            attributes,
        }
    }

    /// Reads `META-INF/MANIFEST.MF` from an exploded archive; a directory without one has an
    /// empty manifest, as a JAR without one does for the JVM.
    pub fn read_dir(root: &Path) -> Result<Self, ArchiveError> {
        let path = root.join(MANIFEST_PATH);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Self::parse(&String::from_utf8_lossy(&bytes))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(error) => Err(io_error("reading", &path)(error)),
        }
    }

    /// Reads `META-INF/MANIFEST.MF` from an open archive at `path` (named in errors); an archive
    /// without one has an empty manifest.
    pub(super) fn read_zip<R: std::io::Read + std::io::Seek>(
        archive: &mut ZipArchive<R>,
        path: &Path,
    ) -> Result<Self, ArchiveError> {
        let mut entry = match archive.by_name(MANIFEST_PATH) {
            Ok(entry) => entry,
            Err(ZipError::FileNotFound) => return Ok(Self::default()),
            Err(error) => return Err(zip_error(path)(error)),
        };
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(io_error("reading the manifest of", path))?;
        Ok(Self::parse(&String::from_utf8_lossy(&bytes)))
    }

    /// The class `java -jar` starts (`Main-Class`); for Spring Boot, the loader's launcher.
    #[must_use]
    pub fn main_class(&self) -> Option<&str> {
        self.main_class.as_deref()
    }

    /// The application's own main class in a Spring Boot archive (`Start-Class`), which the
    /// launcher calls once it has set up the nested class path.
    #[must_use]
    pub fn start_class(&self) -> Option<&str> {
        self.start_class.as_deref()
    }

    /// The JAR's `Class-Path`: URLs relative to the JAR's directory, usually `lib/foo.jar`, that
    /// the JVM adds to the class path (a plain JAR's dependencies).
    #[must_use]
    pub fn class_path(&self) -> &[String] {
        &self.class_path
    }

    /// Any main-section attribute, looked up case-insensitively as the JVM does.
    #[must_use]
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// All main-section attributes, under the spelling of their first occurrence.
    #[must_use]
    pub fn attributes(&self) -> &BTreeMap<String, String> {
        &self.attributes
    }

    /// Whether this is a Spring Boot fat archive: launched by the Spring Boot loader, or naming
    /// a `Start-Class` or `Spring-Boot-Version`. Its layout (`BOOT-INF/`) and entry point differ
    /// from a plain JAR's, so the buildpack splits and launches it differently.
    #[must_use]
    pub fn is_spring_boot(&self) -> bool {
        self.main_class
            .as_deref()
            .is_some_and(|main| SPRING_BOOT_LAUNCHERS.contains(&main))
            || self.start_class.is_some()
            || self.attribute("Spring-Boot-Version").is_some()
    }
}

/// The main section's logical lines: physical lines joined with their continuations, up to the
/// first blank line.
fn logical_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for physical in text.split("\r\n").flat_map(|line| line.split(['\r', '\n'])) {
        if physical.is_empty() {
            if lines.is_empty() {
                continue;
            }
            break;
        }
        match (physical.strip_prefix(' '), lines.last_mut()) {
            (Some(continuation), Some(previous)) => previous.push_str(continuation),
            _ => lines.push(physical.to_owned()),
        }
    }
    lines
}
