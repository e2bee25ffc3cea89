//! Cloud Foundry's `JBP_CONFIG_OPEN_JDK_JRE`, read for its one field slipway needs.

use super::{JBP_CONFIG, Requested, VersionError, VersionSource, parse_major};

/// Reads `jre.version` from `JBP_CONFIG_OPEN_JDK_JRE`; a value that sets only other keys (such
/// as `memory_calculator`) asks for no version.
pub(super) fn from_jbp_config(value: &str) -> Result<Option<Requested>, VersionError> {
    let invalid = || VersionError::InvalidEnv {
        variable: JBP_CONFIG,
        value: value.to_owned(),
        accepted: "a YAML flow mapping such as '{ jre: { version: 17.+ } }'",
    };
    let root = Flow::parse(value).ok_or_else(invalid)?;
    let Some(version) = root.get("jre").and_then(|jre| jre.get("version")) else {
        return Ok(None);
    };
    let Flow::Scalar(version) = version else {
        return Err(invalid());
    };
    let major = parse_major(version).ok_or_else(invalid)?;
    let value = version.clone();
    Ok(Some(Requested {
        major,
        value,
        source: VersionSource::JbpConfig,
    }))
}

/// A YAML flow value, as far as `JBP_CONFIG_OPEN_JDK_JRE` needs one.
///
/// No YAML library for this: the variable holds one flow collection (`{ jre: { version: 17.+ } }`
/// or `[jre: {version: 1.8.0_+}]`), of which slipway reads one field, and the Cloud Foundry
/// buildpack's own examples vary only in quoting and brackets. Entries are kept in order; a
/// sequence's `key: value` items and a mapping's entries look alike (keys are `Some`).
#[derive(Debug, PartialEq)]
enum Flow {
    Collection(Vec<(Option<String>, Flow)>),
    Scalar(String),
}

impl Flow {
    /// Parses the variable's whole value; `None` when it is not a flow value. Outer quotes
    /// (left by a manifest or a shell script) are dropped, and a bare `jre: {...}` is read as a
    /// mapping.
    fn parse(text: &str) -> Option<Self> {
        let mut text = text.trim();
        let quoted = |quote| text.len() >= 2 && text.starts_with(quote) && text.ends_with(quote);
        if quoted('\'') || quoted('"') {
            text = &text[1..text.len() - 1];
        }
        let wrapped;
        if !text.trim_start().starts_with(['{', '[']) {
            wrapped = format!("{{{text}}}");
            text = &wrapped;
        }
        let mut rest = text;
        let value = Self::value(&mut rest)?;
        rest.trim().is_empty().then_some(value)
    }

    /// The value under `key`, looking inside a sequence's single-entry mappings too, so that
    /// `[jre: {...}]` and `[{jre: {...}}]` read as `{jre: {...}}`.
    fn get(&self, key: &str) -> Option<&Self> {
        let Self::Collection(entries) = self else {
            return None;
        };
        entries.iter().find_map(|(k, value)| match k {
            Some(k) if k == key => Some(value),
            Some(_) => None,
            None => value.get(key),
        })
    }

    fn value(rest: &mut &str) -> Option<Self> {
        *rest = rest.trim_start();
        match rest.chars().next()? {
            '{' => Self::collection(rest, '}'),
            '[' => Self::collection(rest, ']'),
            _ => Self::scalar(rest).map(Self::Scalar),
        }
    }

    fn collection(rest: &mut &str, close: char) -> Option<Self> {
        *rest = &rest[1..];
        let mut entries = Vec::new();
        loop {
            *rest = rest.trim_start();
            if let Some(after) = rest.strip_prefix(close) {
                *rest = after;
                return Some(Self::Collection(entries));
            }
            let first = Self::value(rest)?;
            *rest = rest.trim_start();
            entries.push(match (first, rest.strip_prefix(':')) {
                (Self::Scalar(key), Some(after)) => {
                    *rest = after;
                    (Some(key), Self::value(rest)?)
                }
                (value, _) => (None, value),
            });
            *rest = rest.trim_start();
            if let Some(after) = rest.strip_prefix(',') {
                *rest = after;
            } else if !rest.starts_with(close) {
                return None;
            }
        }
    }

    /// A quoted or plain scalar; a plain one ends at a flow indicator or a colon (no key or
    /// version here contains one).
    fn scalar(rest: &mut &str) -> Option<String> {
        let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"');
        if let Some(quote) = quote {
            let end = rest[1..].find(quote)? + 1;
            let text = rest[1..end].to_owned();
            *rest = &rest[end + 1..];
            return Some(text);
        }
        let end = rest
            .find([',', ':', '{', '}', '[', ']'])
            .unwrap_or(rest.len());
        let text = rest[..end].trim().to_owned();
        *rest = &rest[end..];
        Some(text)
    }
}
