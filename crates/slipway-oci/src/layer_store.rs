//! Putting layers into a layout: a layer whose `diff_id` the layout has already compressed is reused
//! as it is; the others are compressed in parallel and written. Both the stack (run image layers)
//! and the exporter (app layers) go through here, so an unchanged layer is never compressed twice.

use crate::layer::{Compression, LayerError, UncompressedLayer, compress_all};
use crate::layout::{LayoutError, OciLayout};
use crate::{Digest, LayerRecord};

/// A layer that is now in the layout.
#[derive(Debug, Clone)]
pub struct StoredLayer {
    /// The manifest's view of it.
    pub record: LayerRecord,
    /// Whether the layout already had it (nothing was compressed or written).
    pub reused: bool,
    /// Size of its tar before compression (0 when only its record was known).
    pub uncompressed_size: u64,
}

/// Storing layers failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreLayersError {
    /// Compression failed.
    #[error("compressing a layer")]
    Compress(#[source] LayerError),
    /// Writing the blob failed.
    #[error("writing a layer to the store")]
    Write(#[source] LayoutError),
}

impl OciLayout {
    /// Stores each `(layer, what it holds)`, compressed with `compression`, reusing the blobs
    /// this layout already made from the same tar when `reuse` is set.
    pub fn store_layers(
        &self,
        pending: &[(UncompressedLayer, String)],
        compression: Compression,
        reuse: bool,
    ) -> Result<Vec<StoredLayer>, StoreLayersError> {
        let cached: Vec<Option<(Digest, u64)>> = pending
            .iter()
            .map(|(layer, _)| {
                reuse
                    .then(|| self.compressed_layer(&layer.diff_id, compression))
                    .flatten()
            })
            .collect();
        let misses: Vec<&UncompressedLayer> = pending
            .iter()
            .zip(&cached)
            .filter(|(_, c)| c.is_none())
            .map(|((l, _), _)| l)
            .collect();
        let mut fresh = compress_all(&misses, compression)
            .map_err(StoreLayersError::Compress)?
            .into_iter();
        pending
            .iter()
            .zip(cached)
            .map(|((layer, holds), cached)| {
                let uncompressed_size = layer.tar.len() as u64;
                if let Some((digest, size)) = cached {
                    let record = LayerRecord {
                        media_type: compression.media_type(),
                        digest,
                        size,
                        diff_id: layer.diff_id.clone(),
                        created_by: holds.clone(),
                    };
                    return Ok(StoredLayer {
                        record,
                        reused: true,
                        uncompressed_size,
                    });
                }
                let blob = fresh
                    .next()
                    .unwrap_or_else(|| unreachable!("one compressed layer per miss"));
                self.write_blob(&blob.blob)
                    .map_err(StoreLayersError::Write)?;
                self.remember_compressed_layer(&blob.diff_id, compression, &blob.digest, blob.size)
                    .map_err(StoreLayersError::Write)?;
                Ok(StoredLayer {
                    record: LayerRecord::of(&blob, holds.clone()),
                    reused: false,
                    uncompressed_size,
                })
            })
            .collect()
    }
}
