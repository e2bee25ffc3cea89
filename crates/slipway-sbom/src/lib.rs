#![doc = include_str!("../README.md")]

mod copyright;
mod cyclonedx;
mod dpkg;
mod go;
mod label;
mod license;
mod package;
mod purl;
mod scan;
mod spdx;

pub use cyclonedx::to_cyclonedx_json;
pub use dpkg::StatusError;
pub use go::parse_go_version_m;
pub use label::{
    BUILDPACK_PACKAGES_LABEL, BUILDPACK_PACKAGES_SCHEMA, LabelledPackage,
    decode_buildpack_packages, encode_buildpack_packages,
};
pub use license::spdx_expression;
pub use package::{Package, PackageKind};
pub use scan::{SbomError, scan_image};
pub use spdx::to_spdx_json;

/// The tool named in every SBOM's creation info, with slipway's version.
pub const TOOL: &str = concat!("slipway-", env!("CARGO_PKG_VERSION"));
