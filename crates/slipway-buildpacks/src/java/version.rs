//! Which Java major version an app asks for, and which of the stack's Java majors it runs on.
//!
//! An app says which Java it needs in several places, and the Java buildpack asks them in this
//! order: the environment ([`from_env`]: `BP_JVM_VERSION`, then Cloud Foundry's
//! `JBP_CONFIG_OPEN_JDK_JRE`), a Maven project's `pom.xml` ([`from_pom`]), and last the compiled
//! classes of a built artifact ([`from_class_major`]). [`resolve`] then picks the stack's Java for
//! that request and says why, for the build log. Everything here is pure: callers read the files
//! and the environment, so every rule is unit-tested without a JDK.

use std::fmt;

mod jbp;
mod pom;
#[cfg(test)]
mod tests;

pub use pom::from_pom;

/// Paketo's variable, which slipway shares so that apps moving from `pack build` keep their Java.
const BP_JVM_VERSION: &str = "BP_JVM_VERSION";
/// Cloud Foundry's Java buildpack setting, honoured so that apps moving from `cf push` keep theirs.
const JBP_CONFIG: &str = "JBP_CONFIG_OPEN_JDK_JRE";

/// Where a Java version request came from, so that the build log and errors name the setting
/// the user would change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSource {
    /// The `BP_JVM_VERSION` environment variable, Paketo's name for the Java version.
    BpJvmVersion,
    /// `jre.version` in Cloud Foundry's `JBP_CONFIG_OPEN_JDK_JRE` environment variable.
    JbpConfig,
    /// The `maven.compiler.release` property of `pom.xml`.
    MavenRelease,
    /// The `maven.compiler.source` property of `pom.xml`.
    MavenSource,
    /// The `maven.compiler.target` property of `pom.xml`.
    MavenTarget,
    /// The `java.version` property of `pom.xml`, which Spring Boot's parent pom turns into the
    /// compiler settings.
    SpringBootJavaVersion,
    /// An element (`release`, `source` or `target`) of the maven-compiler-plugin's
    /// `<configuration>` in `pom.xml`, which overrides the `maven.compiler.*` properties.
    CompilerPlugin {
        /// The element's name.
        element: &'static str,
    },
    /// The major version of the app's compiled classes, when nothing else says.
    ClassFiles {
        /// The highest class file major version found (65 is Java 21).
        major: u16,
    },
    /// Nothing asked: the stack's default.
    Default,
}

impl VersionSource {
    /// The setting's name as the user writes it, without the file it lives in.
    fn setting(self) -> String {
        match self {
            Self::BpJvmVersion => BP_JVM_VERSION.to_owned(),
            Self::JbpConfig => JBP_CONFIG.to_owned(),
            Self::MavenRelease => "maven.compiler.release".to_owned(),
            Self::MavenSource => "maven.compiler.source".to_owned(),
            Self::MavenTarget => "maven.compiler.target".to_owned(),
            Self::SpringBootJavaVersion => "java.version".to_owned(),
            Self::CompilerPlugin { element } => format!("the maven-compiler-plugin's <{element}>"),
            Self::ClassFiles { major } => format!("class files of major version {major}"),
            Self::Default => "the stack's default".to_owned(),
        }
    }

    /// Whether the setting lives in `pom.xml`.
    fn in_pom(self) -> bool {
        matches!(
            self,
            Self::MavenRelease
                | Self::MavenSource
                | Self::MavenTarget
                | Self::SpringBootJavaVersion
                | Self::CompilerPlugin { .. }
        )
    }
}

impl fmt::Display for VersionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.in_pom() {
            write!(f, "{} in pom.xml", self.setting())
        } else {
            f.write_str(&self.setting())
        }
    }
}

/// The Java major version an app asks for, with the text it was read from and where, so that
/// [`resolve`] can explain its choice in the user's own terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requested {
    /// The Java major version (8 for "1.8").
    pub major: u32,
    /// The value as the user wrote it (after `${property}` substitution in a pom), such as
    /// `17.*` or `1.8`; slipway matches only its major, since the stack's JRE is Debian's.
    pub value: String,
    /// Where the request came from.
    pub source: VersionSource,
}

impl fmt::Display for Requested {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = &self.value;
        match self.source {
            VersionSource::BpJvmVersion => write!(f, "{BP_JVM_VERSION}={value}"),
            VersionSource::JbpConfig => write!(f, "{JBP_CONFIG} version {value}"),
            s if s.in_pom() => write!(f, "{} {value} in pom.xml", s.setting()),
            s => write!(f, "{s}"),
        }
    }
}

/// Why no Java version could be read or chosen.
#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    /// An environment variable whose value names no Java version.
    #[error("{variable} is \"{value}\", which is not a Java version; use {accepted}")]
    InvalidEnv {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
        /// The forms the variable accepts, as examples.
        accepted: &'static str,
    },
    /// A pom.xml setting whose value names no Java version.
    #[error("{origin} is \"{value}\", which is not a Java version such as 17 or 1.8")]
    InvalidPom {
        /// The setting (named `origin`, since thiserror takes a field named `source` for the
        /// error's cause).
        origin: VersionSource,
        /// Its value, after `${property}` substitution.
        value: String,
    },
    /// A pom.xml that is not well-formed XML, so Maven would not build it either.
    #[error("pom.xml is not well-formed XML (line {line}, column {column})")]
    MalformedPom {
        /// The line of the first error, from 1.
        line: u32,
        /// The column of the first error, from 1.
        column: u32,
        /// The XML parser's complaint.
        #[source]
        source: roxmltree::Error,
    },
    /// The app asks for a Java newer than any the stack has; see [`VersionError::hint`].
    #[error(
        "the app asks for Java {requested} ({origin}) but {stack} has Java {}",
        list(available, "and")
    )]
    Unavailable {
        /// The major version asked for.
        requested: u32,
        /// Where it was asked for.
        origin: VersionSource,
        /// The stack's name, such as debian-13.
        stack: String,
        /// The stack's Java majors, ascending.
        available: Vec<u32>,
    },
    /// A stack that lists no Java at all, which is a bug in the stack's definition.
    #[error("{stack} has no Java to run the app on")]
    NoJava {
        /// The stack's name.
        stack: String,
    },
}

impl VersionError {
    /// What the user can do about the error, printed under it; `None` when the message says it
    /// all. Kept apart from the message so that the binary's error printer lays it out as a hint.
    #[must_use]
    pub fn hint(&self) -> Option<String> {
        let Self::Unavailable {
            requested,
            origin,
            available,
            ..
        } = self
        else {
            return None;
        };
        let newest = available.last()?;
        let fix = match origin {
            VersionSource::BpJvmVersion | VersionSource::JbpConfig => {
                format!("set {BP_JVM_VERSION} to {}", list(available, "or"))
            }
            VersionSource::ClassFiles { .. } => {
                format!("compile the app for Java {newest} or lower")
            }
            VersionSource::Default => return None,
            pom => format!("lower {} in pom.xml to {newest} or below", pom.setting()),
        };
        Some(format!(
            "{fix}, or build with --stack <other> naming a stack that has Java {requested} \
             (`slipway stack list` shows them)"
        ))
    }
}

/// "21", "21 and 25", "17, 21 and 25": a list of majors in prose.
fn list(majors: &[u32], conjunction: &str) -> String {
    let text: Vec<String> = majors.iter().map(u32::to_string).collect();
    match text.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {conjunction} {last}", rest.join(", ")),
    }
}

/// Reads the Java version asked for in the environment: `BP_JVM_VERSION` ("17", "17.*",
/// "17.0.2", "1.8") wins over Cloud Foundry's `JBP_CONFIG_OPEN_JDK_JRE`
/// (`{ jre: { version: 17.+ } }`). An empty variable counts as unset, as CI templates often
/// leave one empty; when a name appears twice the last one wins, as in a shell.
pub fn from_env(env: &[(String, String)]) -> Result<Option<Requested>, VersionError> {
    let lookup = |name: &str| {
        env.iter()
            .rev()
            .find(|(key, value)| key == name && !value.trim().is_empty())
    };
    if let Some((_, value)) = lookup(BP_JVM_VERSION) {
        return from_bp_jvm_version(value).map(Some);
    }
    lookup(JBP_CONFIG).map_or(Ok(None), |(_, value)| jbp::from_jbp_config(value))
}

/// Reads `BP_JVM_VERSION`.
fn from_bp_jvm_version(value: &str) -> Result<Requested, VersionError> {
    let major = parse_major(value).ok_or_else(|| VersionError::InvalidEnv {
        variable: BP_JVM_VERSION,
        value: value.to_owned(),
        accepted: "a Java version such as 17, 17.*, 17.0.2 or 1.8",
    })?;
    let value = value.trim().to_owned();
    Ok(Requested {
        major,
        value,
        source: VersionSource::BpJvmVersion,
    })
}

/// The Java major of a version string: "17", "17.*", "17.+", "17.0.2+8", "21-ea", and the old
/// "1.8", `1.8.0_292` and `1.8.0_+` forms for Java 8 and earlier. Majors below 5 are refused:
/// nobody builds for them, and a bare "1" is more likely a typo.
fn parse_major(text: &str) -> Option<u32> {
    let (first, rest) = leading_number(text.trim())?;
    let (major, rest) = match rest.strip_prefix('.') {
        Some(after) if first == 1 => leading_number(after)?,
        _ => (first, rest),
    };
    let tail_ok = rest.is_empty()
        || (rest.starts_with(['.', '_', '+', '-'])
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".+_-*".contains(c)));
    (tail_ok && major >= 5).then_some(major)
}

/// Splits "17.0.2" into 17 and ".0.2".
fn leading_number(text: &str) -> Option<(u32, &str)> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    Some((text[..end].parse().ok()?, &text[end..]))
}

/// The request that compiled classes of this class file major version make: 65 is Java 21
/// (major − 44), so that an artifact built elsewhere runs on a Java that can load it.
#[must_use]
pub fn from_class_major(major: u16) -> Requested {
    Requested {
        major: u32::from(major).saturating_sub(44),
        value: major.to_string(),
        source: VersionSource::ClassFiles { major },
    }
}

/// Whether a Java major is a long-term-support release: 8, 11, and every fourth from 17.
fn is_lts(major: u32) -> bool {
    major == 8 || major == 11 || (major >= 17 && (major - 17).is_multiple_of(4))
}

/// Picks the Java major the image runs on from the stack's majors (`available`, in any order),
/// and says why in a line for the build log, such as
/// "Java 21 (maven.compiler.release 17 in pom.xml; debian-13's nearest is 21)".
///
/// The rule:
/// - the requested major when the stack has it;
/// - else the lowest of the stack's majors above it, since a JVM runs older bytecode: this is
///   what "nearest" means for Java (a lower one would refuse the classes);
/// - a request above all of the stack's majors is [`VersionError::Unavailable`];
/// - with no request, the stack's newest LTS release (8, 11, 17, 21, 25, ...), else its newest.
pub fn resolve(
    requested: Option<&Requested>,
    available: &[u32],
    stack: &str,
) -> Result<(u32, String), VersionError> {
    let mut majors = available.to_vec();
    majors.sort_unstable();
    majors.dedup();
    let Some(&newest) = majors.last() else {
        return Err(VersionError::NoJava {
            stack: stack.to_owned(),
        });
    };
    let Some(requested) = requested else {
        let (major, which) = match majors.iter().rev().find(|major| is_lts(**major)) {
            Some(&lts) => (lts, "newest LTS"),
            None => (newest, "newest"),
        };
        return Ok((
            major,
            format!("Java {major} (nothing asks for a version; {stack}'s {which})"),
        ));
    };
    match majors
        .iter()
        .copied()
        .find(|major| *major >= requested.major)
    {
        Some(major) if major == requested.major => {
            Ok((major, format!("Java {major} ({requested})")))
        }
        Some(major) => Ok((
            major,
            format!("Java {major} ({requested}; {stack}'s nearest is {major})"),
        )),
        None => Err(VersionError::Unavailable {
            requested: requested.major,
            origin: requested.source,
            stack: stack.to_owned(),
            available: majors,
        }),
    }
}
