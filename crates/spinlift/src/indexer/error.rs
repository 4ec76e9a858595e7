//! Why the indexer could not apply an event, and what the webhook answers for it.

use crate::client::ClientError;
use crate::error::ApiError;

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

impl From<IndexError> for ApiError {
    fn from(err: IndexError) -> Self {
        match err {
            IndexError::Client(err) => err.into(),
            IndexError::Conflict { attempts } => ApiError::BadGateway {
                code: "manifest_conflict".into(),
                message: format!(
                    "the manifest changed under {attempts} concurrent writes; a redelivery will retry"
                ),
            },
            IndexError::Manifest(err) => ApiError::Internal(err.to_string()),
        }
    }
}
