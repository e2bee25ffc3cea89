//! The OCI side of slipway: digests, canonical JSON, deterministic layers, image assembly, and the
//! two file formats images are written in (an OCI image layout and a docker-archive tar).
//!
//! Every other crate passes the same few values around: a [`Layer`] (its bytes, `diff_id`, digest and
//! media type), an [`Image`] (manifest and config, with the exact bytes their digests were taken
//! of), and a [`BlobSource`] to read blobs from. Nothing here does network I/O.

pub mod blobs;
pub mod canonical_json;
pub mod digest;
pub mod docker_archive;
pub mod image;
pub mod layer;
pub mod layer_store;
pub mod layout;
pub mod tar_writer;

pub use blobs::BlobSource;
pub use digest::{Digest, sha256_digest};
pub use image::{Image, ImageError, LayerRecord};
pub use layer::{Compression, Layer, LayerBuilder, LayerError, UncompressedLayer};
pub use layer_store::{StoreLayersError, StoredLayer};
pub use layout::{LayoutError, OciLayout};

/// Re-exported so that callers build configs and descriptors with the same types this crate uses.
pub use oci_spec;
