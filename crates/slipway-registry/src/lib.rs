//! Pushing images to and pulling them from OCI registries, with the credentials `docker login`
//! and `podman login` left behind.
//!
//! [`push_image`] sends an [`slipway_oci::Image`] to a registry: it skips the blobs the registry
//! already has, retries passing failures, and puts the manifest's exact bytes, so the digest the
//! registry reports is the one slipway computed. [`pull_image`] fetches an image into an
//! [`slipway_oci::OciLayout`], downloading only the blobs the layout lacks. Both read credentials
//! through a [`Keychain`]; [`RegistryClient`] is the connection they share, for callers that need
//! more than one request (such as mounting blobs from a base image's repository).
//!
//! Registries on a loopback address are spoken to over plain HTTP, all others over HTTPS. Every
//! failure is a [`RegistryError`] whose [`RegistryError::hint`] says what to do about it.

mod client;
mod error;
mod keychain;
mod pull;
mod push;
mod retry;

pub use client::{RegistryClient, is_loopback_registry};
pub use error::RegistryError;
pub use keychain::{Credential, DOCKER_HUB_KEY, Keychain, KeychainError};
/// Image references (`registry/repository:tag` or `@digest`), as the registry client parses them.
pub use oci_client::Reference;
pub use pull::pull_image;
pub use push::{PushEvent, PushReport, push_image};
