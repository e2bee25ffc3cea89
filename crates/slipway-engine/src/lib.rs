//! Loading images into a Docker or Podman engine, for `slipway build -o daemon`, and running
//! containers there, for `slipway run`.
//!
//! [`Engine::connect`] finds the engine the way the docker CLI does (`DOCKER_HOST`, else Docker's
//! socket), and also finds Podman's sockets, so that a machine with only Podman works without
//! setup. [`Engine::load_image`] streams an [`slipway_oci::Image`] to the engine as a
//! docker-archive and checks that the engine then knows it by name.
//!
//! For running, [`find_engine`] also accepts an engine without an API socket (the `podman`
//! command: Podman's default setup) and returns a [`ContainerEngine`] that starts a
//! [`ContainerSpec`], follows its logs, waits for it, stops and removes it the same way through
//! the API or the command. Every failure is an [`EngineError`] whose [`EngineError::hint`] says
//! what to do about it.

mod container;
mod discover;
mod engine;
mod error;
mod load;

pub use container::{
    CliEngine, CliKind, ContainerEngine, ContainerId, ContainerSpec, LogLine, LogStream,
    PortBinding,
};
pub use discover::find_engine;
pub use engine::{Engine, EngineVersion};
pub use error::{Cause, CommandError, EngineError};
pub use load::LoadReport;
