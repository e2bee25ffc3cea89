//! Loading images into a Docker or Podman engine through the Docker Engine API, for
//! `slipway build -o daemon` and `slipway run`.
//!
//! [`Engine::connect`] finds the engine the way the docker CLI does (`DOCKER_HOST`, else Docker's
//! socket), and also finds Podman's sockets, so that a machine with only Podman works without
//! setup. [`Engine::load_image`] streams an [`slipway_oci::Image`] to the engine as a
//! docker-archive and checks that the engine then knows it by name. Every failure is an
//! [`EngineError`] whose [`EngineError::hint`] says what to do about it.

mod engine;
mod error;
mod load;

pub use engine::{Engine, EngineVersion};
pub use error::EngineError;
pub use load::LoadReport;
