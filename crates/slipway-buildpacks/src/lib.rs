//! slipway's built-in buildpacks, one module per language.
//!
//! [`all`] lists them in the order detection tries them; there is no registration by side effect.

pub mod go;
pub mod java;

use slipway_lifecycle::Buildpack;

/// Every built-in buildpack, in detection order.
#[must_use]
pub fn all() -> Vec<Box<dyn Buildpack>> {
    vec![Box::new(go::GoBuildpack), Box::new(java::JavaBuildpack)]
}
