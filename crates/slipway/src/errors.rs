//! The one place an error becomes what the user reads: the message (every cause, outermost
//! first), the tool output that explains it, the fix when there is one, and the exit code.

use std::process::ExitCode;

use slipway_lifecycle::{BuildpackError, DetectError};

use crate::destinations::{DESTINATION_HINT, UnknownDestination};
use crate::printer::Printer;
use crate::store::{InvalidName, NotInStore};

/// Prints `err` and returns the exit code (1).
pub fn report(err: &anyhow::Error, printer: &Printer) -> ExitCode {
    let message = err
        .chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ");
    printer.error(&message, detail(err).as_deref(), hint(err).as_deref());
    ExitCode::FAILURE
}

/// Tool output carried by the error (a compiler's messages), shown below the message.
fn detail(err: &anyhow::Error) -> Option<String> {
    err.chain()
        .find_map(|cause| match cause.downcast_ref::<BuildpackError>() {
            Some(BuildpackError::ToolFailed { output, .. }) => Some(output.clone()),
            _ => None,
        })
}

/// The fix for the first cause slipway knows one for.
fn hint(err: &anyhow::Error) -> Option<std::borrow::Cow<'static, str>> {
    err.chain().find_map(|cause| {
        static_hint(cause).map(Into::into).or_else(|| {
            match cause.downcast_ref::<BuildpackError>() {
                Some(BuildpackError::ToolMissing { hint, .. }) => Some(hint.clone().into()),
                Some(BuildpackError::App { hint, .. }) => hint.clone().map(Into::into),
                _ => None,
            }
        })
    })
}

/// The fixed hints, by the cause's type.
fn static_hint(cause: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    {
        if let Some(e) = cause.downcast_ref::<DetectError>() {
            return Some(match e {
                DetectError::NothingDetected { .. } => {
                    "point slipway at an app directory, or name a buildpack with -b"
                }
                DetectError::UnknownBuildpack { .. } => "see the buildpacks listed above",
            });
        }
        if let Some(e) = cause.downcast_ref::<BuildpackError>() {
            return Some(match e {
                BuildpackError::ToolFailed { .. } => "fix the errors shown above, then build again",
                BuildpackError::ToolMissing { .. }
                | BuildpackError::App { .. }
                | BuildpackError::Io { .. } => return None,
            });
        }
        if cause.is::<crate::commands::UnknownEngine>() {
            return Some(crate::commands::UNKNOWN_ENGINE_HINT);
        }
        if cause.is::<UnknownDestination>() {
            return Some(DESTINATION_HINT);
        }
        if cause.is::<InvalidName>() {
            return Some(
                "image names look like NAME[:TAG] or HOST[:PORT]/PATH[:TAG], in lower case",
            );
        }
        if cause.is::<NotInStore>() {
            return Some(
                "build it with `slipway build`, or see what the store has with `slipway images`",
            );
        }
        if let Some(e) = cause.downcast_ref::<slipway_lifecycle::rebase::RebaseError>() {
            return Some(e.hint());
        }
        if let Some(e) = cause.downcast_ref::<slipway_registry::RegistryError>() {
            return e.hint();
        }
        if let Some(e) = cause.downcast_ref::<slipway_engine::EngineError>() {
            return e.hint();
        }
        None
    }
}
