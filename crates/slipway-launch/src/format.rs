//! The text form of a [`LaunchConfig`]: line based, versioned, deterministic.
//!
//! ```text
//! slipway-launch 1
//! env<TAB>NAME<TAB>VALUE
//! process<TAB>TYPE<TAB>PROGRAM<TAB>ARG...
//! workdir<TAB>DIR
//! jvm-memory
//! default<TAB>TYPE
//! ```
//!
//! Every line ends with a newline. A `workdir` or `jvm-memory` line belongs to
//! the `process` line above it (`jvm-memory` sets [`Process::jvm_memory`]; a
//! config without it, as older ones are, leaves the flag off). Fields are separated by tabs; inside a field, `\` is
//! written `\\`, a tab `\t` and a newline `\n`, so any string round-trips. The
//! parser is strict: the version line is how the format evolves, and the
//! launcher and the config it reads come from the same slipway.

use std::fmt;

use crate::{LaunchConfig, Process};

/// The first line of every config; the number is the format's version.
const HEADER: &str = "slipway-launch 1";
/// What the header starts with whatever the version, to tell "a newer format"
/// from "not a launch config at all" in errors.
const HEADER_PREFIX: &str = "slipway-launch ";
/// The keyword of the line that sets [`Process::jvm_memory`].
const JVM_MEMORY: &str = "jvm-memory";

impl LaunchConfig {
    /// Writes the config in the text format read by [`LaunchConfig::parse`].
    ///
    /// The output depends only on the config (entries keep their order), so
    /// the layer holding it is reproducible.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut lines = vec![HEADER.to_owned()];
        for (name, value) in &self.env {
            lines.push(record("env", [name, value]));
        }
        for process in &self.processes {
            lines.push(record(
                "process",
                std::iter::once(&process.process_type).chain(&process.command),
            ));
            if let Some(dir) = &process.working_dir {
                lines.push(record("workdir", [dir]));
            }
            if process.jvm_memory {
                lines.push(JVM_MEMORY.to_owned());
            }
        }
        if let Some(default) = &self.default_process {
            lines.push(record("default", [default]));
        }
        let mut text = lines.join("\n");
        text.push('\n');
        text
    }

    /// Reads a config written by [`LaunchConfig::to_text`].
    ///
    /// The final newline may be missing, so hand-written configs are
    /// forgiving; anything else unexpected is an error naming the line.
    pub fn parse(text: &str) -> Result<LaunchConfig, ParseError> {
        let text = text.strip_suffix('\n').unwrap_or(text);
        let mut lines = text.split('\n').zip(1..);
        let (header, _) = lines.next().unwrap_or_default();
        check_header(header).map_err(|kind| ParseError { line: 1, kind })?;
        let mut config = LaunchConfig::default();
        for (line, number) in lines {
            parse_line(&mut config, line).map_err(|kind| ParseError { line: number, kind })?;
        }
        Ok(config)
    }
}

/// Joins a keyword and escaped fields into one line.
fn record<'a>(keyword: &str, fields: impl IntoIterator<Item = &'a String>) -> String {
    let mut line = keyword.to_owned();
    for field in fields {
        line.push('\t');
        escape_into(&mut line, field);
    }
    line
}

fn escape_into(out: &mut String, field: &str) {
    for c in field.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            other => out.push(other),
        }
    }
}

fn unescape(field: &str) -> Result<String, ParseErrorKind> {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(other) => return Err(ParseErrorKind::UnknownEscape(other)),
            None => return Err(ParseErrorKind::TrailingBackslash),
        }
    }
    Ok(out)
}

fn check_header(line: &str) -> Result<(), ParseErrorKind> {
    if line == HEADER {
        Ok(())
    } else if let Some(version) = line.strip_prefix(HEADER_PREFIX) {
        Err(ParseErrorKind::UnsupportedVersion(version.to_owned()))
    } else {
        Err(ParseErrorKind::MissingHeader)
    }
}

/// Applies one line after the header to the config being built.
fn parse_line(config: &mut LaunchConfig, line: &str) -> Result<(), ParseErrorKind> {
    let mut fields = line.split('\t');
    let keyword = fields.next().unwrap_or_default();
    let values = fields.map(unescape).collect::<Result<Vec<_>, _>>()?;
    match keyword {
        "env" => {
            let [name, value] = exactly(keyword, values)?;
            config.env.push((name, value));
        }
        "process" => {
            let mut values = values.into_iter();
            let process_type = values.next().ok_or(ParseErrorKind::MissingProcessType)?;
            config.processes.push(Process {
                process_type,
                command: values.collect(),
                working_dir: None,
                jvm_memory: false,
            });
        }
        "workdir" => {
            let [dir] = exactly(keyword, values)?;
            let process = config
                .processes
                .last_mut()
                .ok_or(ParseErrorKind::WorkdirWithoutProcess)?;
            if process.working_dir.is_some() {
                return Err(ParseErrorKind::DuplicateWorkdir(
                    process.process_type.clone(),
                ));
            }
            process.working_dir = Some(dir);
        }
        JVM_MEMORY => {
            let [] = exactly(keyword, values)?;
            let process = config
                .processes
                .last_mut()
                .ok_or(ParseErrorKind::JvmMemoryWithoutProcess)?;
            if process.jvm_memory {
                return Err(ParseErrorKind::DuplicateJvmMemory(
                    process.process_type.clone(),
                ));
            }
            process.jvm_memory = true;
        }
        "default" => {
            let [default] = exactly(keyword, values)?;
            if config.default_process.is_some() {
                return Err(ParseErrorKind::DuplicateDefault);
            }
            config.default_process = Some(default);
        }
        other => return Err(ParseErrorKind::UnknownKeyword(other.to_owned())),
    }
    Ok(())
}

/// Checks that a line has exactly `N` fields after its keyword.
fn exactly<const N: usize>(
    keyword: &str,
    values: Vec<String>,
) -> Result<[String; N], ParseErrorKind> {
    let found = values.len();
    values
        .try_into()
        .map_err(|_| ParseErrorKind::WrongFieldCount {
            keyword: keyword.to_owned(),
            expected: N,
            found,
        })
}

/// Why a launch config could not be read, and on which line.
///
/// The launcher prints it as is, so it names the line (counting from 1) to
/// make a broken config quick to find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The line number, counting from 1.
    pub line: usize,
    /// What was wrong with that line.
    pub kind: ParseErrorKind,
}

/// What was wrong with a line of a launch config, so callers and tests can
/// tell the cases apart without matching on text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The first line is not `slipway-launch <version>`: not a launch config.
    MissingHeader,
    /// The config is in a format version this build cannot read.
    UnsupportedVersion(String),
    /// The line starts with a keyword the format does not have.
    UnknownKeyword(String),
    /// The line has the wrong number of fields for its keyword.
    WrongFieldCount {
        /// The line's keyword.
        keyword: String,
        /// How many fields follow that keyword.
        expected: usize,
        /// How many fields the line has after the keyword.
        found: usize,
    },
    /// A `process` line without even a type.
    MissingProcessType,
    /// A `workdir` line before any `process` line.
    WorkdirWithoutProcess,
    /// Two `workdir` lines for the same process.
    DuplicateWorkdir(String),
    /// A `jvm-memory` line before any `process` line.
    JvmMemoryWithoutProcess,
    /// Two `jvm-memory` lines for the same process.
    DuplicateJvmMemory(String),
    /// More than one `default` line.
    DuplicateDefault,
    /// A backslash followed by something other than `\`, `t` or `n`.
    UnknownEscape(char),
    /// A field ending in a lone backslash.
    TrailingBackslash,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.kind)
    }
}

impl std::error::Error for ParseError {}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingHeader => write!(f, "expected the header `{HEADER}`"),
            Self::UnsupportedVersion(version) => write!(
                f,
                "format version {version:?} is not supported (this launcher reads version 1)"
            ),
            Self::UnknownKeyword(keyword) => write!(f, "unknown keyword {keyword:?}"),
            Self::WrongFieldCount {
                keyword,
                expected,
                found,
            } => write!(f, "`{keyword}` takes {expected} field(s), found {found}"),
            Self::MissingProcessType => write!(f, "`process` without a process type"),
            Self::WorkdirWithoutProcess => write!(f, "`workdir` before any `process` line"),
            Self::DuplicateWorkdir(process_type) => {
                write!(f, "second `workdir` for process {process_type:?}")
            }
            Self::JvmMemoryWithoutProcess => {
                write!(f, "`{JVM_MEMORY}` before any `process` line")
            }
            Self::DuplicateJvmMemory(process_type) => {
                write!(f, "second `{JVM_MEMORY}` for process {process_type:?}")
            }
            Self::DuplicateDefault => write!(f, "second `default` line"),
            Self::UnknownEscape(c) => write!(f, "unknown escape `\\{c}`"),
            Self::TrailingBackslash => write!(f, "field ends with a lone `\\`"),
        }
    }
}

#[cfg(test)]
mod tests;
