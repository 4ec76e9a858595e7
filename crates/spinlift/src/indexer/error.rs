//! Why the indexer could not apply an event (the HTTP edge, `crate::error`, says what the
//! webhook answers for it).

use crate::client::ClientError;

/// Why the indexer could not apply an event (the record fails and is redelivered).
#[derive(Debug)]
pub enum IndexError {
    /// S3 or a mirror's service failed or refused.
    Client(ClientError),
    /// Concurrent deliveries kept changing the manifest: a redelivery will retry.
    Conflict {
        /// How many writes were tried.
        attempts: usize,
    },
    /// The manifest could not be written as JSON (a fault of spinlift's).
    Manifest(serde_json::Error),
}

impl From<ClientError> for IndexError {
    fn from(err: ClientError) -> Self {
        IndexError::Client(err)
    }
}
