//! The lifecycle: detect which buildpack applies to an app, run its build, and export the result
//! as an image onto a stack's run image, with the launcher and its launch configuration.
//!
//! The phases are separate functions ([`detect::detect`], [`Buildpack::build`],
//! [`export::export`]) so that the command line can time and report each one.

pub mod buildpack;
pub mod detect;
pub mod export;
pub mod launcher_binary;
pub mod metadata;
pub mod rebase;
pub mod run_image;
pub mod tools;

pub use buildpack::{
    BuildContext, BuildOutput, Buildpack, BuildpackError, ContributedLayer, Plan, ProcessType,
    Runtime, StackOffer,
};
pub use detect::{DetectError, detect};
pub use export::{ExportError, ExportOptions, Exported, ExportedLayer, export};
pub use run_image::export_run_image;
pub use tools::{HostTools, ToolCommand, ToolRunner};
