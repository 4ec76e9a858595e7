//! The manifest the indexer keeps per object, and the sequencer width it accepts: shared by
//! the S3 manifests and the table mirror.

use serde::{Deserialize, Serialize};

/// The manifest the indexer writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The object key.
    pub key: String,
    /// Size in bytes, as read.
    pub size: u64,
    /// Lowercase hex SHA-256 of the bytes, as read.
    pub sha256: String,
    /// The stored content type, if any.
    pub content_type: Option<String>,
    /// The ETag of the bytes read.
    pub etag: Option<String>,
    /// The sequencer of the event that wrote this manifest.
    pub sequencer: Option<String>,
}

/// The most digits a sequencer may have. S3's have about 18; the table stores them padded
/// to this width, so that they compare as strings (see `mirror::padded`).
pub const MAX_SEQUENCER_DIGITS: usize = 32;
