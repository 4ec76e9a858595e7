//! The migrated Lambda logic: what runs for each object event. Replaceable.
//!
//! [`ObjectEventHandler`] is the seam a user implements to drop in their own Lambda body;
//! [`Indexer`] is the default: it keeps a JSON manifest per object (size, SHA-256, content
//! type, ETag, sequencer) under an index prefix in the same bucket. S3 delivers at least once
//! and out of order, so every step is idempotent and ordered by the event's sequencer.

use crate::body::Body;
use crate::error::ApiError;
use crate::events::{compare_sequencers, ObjectEvent, ObjectEventKind};
use crate::outbound::HttpClient;
use crate::routes::s3_call::{broken_upstream, upstream_error, S3Call};
use crate::s3::{
    DeleteObject, GetObject, HeadObject, ObjectHead, ObjectKey, PutObject, S3Error, S3ErrorKind,
};
use crate::sigv4::Payload;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::cmp::Ordering;
use std::future::Future;

/// What became of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The event was applied.
    Processed,
    /// The event needs nothing done; the reason says why.
    Skipped(String),
}

/// The body of a migrated Lambda: called once per object event, in delivery order.
///
/// It must be idempotent (events are delivered at least once) and must return an error only
/// for failures worth a redelivery: the whole batch is then answered 5xx and retried.
pub trait ObjectEventHandler {
    /// Handles `event` with access to the bucket through `s3`.
    fn handle<C: HttpClient>(
        &self,
        s3: &S3Call<'_, C>,
        event: &ObjectEvent,
    ) -> impl Future<Output = Result<Outcome, ApiError>>;
}

/// The default handler: a manifest per object at `<prefix><key>.json`.
#[derive(Debug, Clone)]
pub struct Indexer {
    prefix: String,
}

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

impl Indexer {
    /// An indexer writing manifests under `prefix` (e.g. `_index/`).
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    fn manifest_key(&self, key: &str) -> Result<ObjectKey, Outcome> {
        ObjectKey::new(format!("{}{key}.json", self.prefix)).map_err(|err| {
            Outcome::Skipped(format!("no manifest can be named for this key: {err}"))
        })
    }

    /// The stored manifest's sequencer, when a manifest exists.
    async fn stored_sequencer<C: HttpClient>(
        &self,
        s3: &S3Call<'_, C>,
        manifest: &ObjectKey,
    ) -> Result<Option<Option<String>>, ApiError> {
        let get = GetObject {
            key: manifest,
            range: None,
            if_none_match: None,
        };
        let answer = s3
            .send_buffered(get.request(&s3.bucket), Vec::new())
            .await?;
        if answer.status == http::StatusCode::OK {
            // A manifest that does not parse still exists: it carries no order to keep.
            let manifest = serde_json::from_slice::<Manifest>(&answer.body).ok();
            return Ok(Some(manifest.and_then(|m| m.sequencer)));
        }
        let err = S3Error::from_response(answer.status, &answer.headers, &answer.body);
        match err.kind() {
            // No such key only: a missing bucket is a failure, not an absent manifest.
            S3ErrorKind::NotFound => Ok(None),
            _ => Err(ApiError::from(err)),
        }
    }

    /// Whether the object exists now (a HEAD): a removal must not drop the manifest of an
    /// object that was written again since.
    async fn exists<C: HttpClient>(
        &self,
        s3: &S3Call<'_, C>,
        key: &ObjectKey,
    ) -> Result<bool, ApiError> {
        let answer = s3
            .send_buffered(HeadObject { key }.request(&s3.bucket), Vec::new())
            .await?;
        match HeadObject::parse_response(answer.status, &answer.headers) {
            Ok(_) => Ok(true),
            Err(err) if err.kind() == S3ErrorKind::NotFound => Ok(false),
            Err(err) => Err(ApiError::from(err)),
        }
    }

    /// Reads the object, streamed, into a manifest; `None` if it no longer exists.
    async fn read_object<C: HttpClient>(
        &self,
        s3: &S3Call<'_, C>,
        key: &ObjectKey,
        sequencer: Option<String>,
    ) -> Result<Option<Manifest>, ApiError> {
        let get = GetObject {
            key,
            range: None,
            if_none_match: None,
        };
        let response = s3
            .send(get.request(&s3.bucket), Payload::Bytes(b""), Body::Empty)
            .await?;
        let (parts, body) = response.into_parts();
        let Some(head) = ObjectHead::from_parts(parts.status, &parts.headers) else {
            return match upstream_error(parts.status, &parts.headers, body).await {
                ApiError::Upstream(err) if err.kind() == S3ErrorKind::NotFound => Ok(None),
                err => Err(err),
            };
        };
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut stream = body.into_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(broken_upstream)?;
            size += chunk.len() as u64;
            hasher.update(&chunk);
        }
        let header = |name: &str| {
            head.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Ok(Some(Manifest {
            key: key.as_str().to_owned(),
            size,
            sha256: hex::encode(hasher.finalize()),
            content_type: header("content-type"),
            etag: header("etag"),
            sequencer,
        }))
    }
}

/// S3 sequencers are hexadecimal strings.
fn is_hex(sequencer: &str) -> bool {
    !sequencer.is_empty() && sequencer.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether an event with `incoming` may overwrite what a manifest from `stored` recorded.
fn is_newer(incoming: Option<&str>, stored: Option<&str>) -> bool {
    match (incoming, stored) {
        (Some(incoming), Some(stored)) => compare_sequencers(incoming, stored) == Ordering::Greater,
        // Without sequencers there is no order to keep: apply (idempotently).
        _ => true,
    }
}

impl ObjectEventHandler for Indexer {
    async fn handle<C: HttpClient>(
        &self,
        s3: &S3Call<'_, C>,
        event: &ObjectEvent,
    ) -> Result<Outcome, ApiError> {
        if event.key.starts_with(&self.prefix) {
            return Ok(Outcome::Skipped(
                "a manifest itself: never indexed, or it would loop".into(),
            ));
        }
        let key = match ObjectKey::new(event.key.clone()) {
            Ok(key) => key,
            Err(err) => return Ok(Outcome::Skipped(format!("not an object key: {err}"))),
        };
        let manifest_key = match self.manifest_key(&event.key) {
            Ok(key) => key,
            Err(skipped) => return Ok(skipped),
        };
        let sequencer = event.sequencer.as_deref();
        if let Some(sequencer) = sequencer.filter(|s| !is_hex(s)) {
            // Order is decided by this value: a forged one could block every later event.
            return Ok(Outcome::Skipped(format!(
                "sequencer {sequencer:?} is not hexadecimal"
            )));
        }
        let stored = self.stored_sequencer(s3, &manifest_key).await?;
        match event.kind {
            ObjectEventKind::Created => {
                if let Some(stored) = &stored {
                    if !is_newer(sequencer, stored.as_deref()) {
                        return Ok(Outcome::Skipped(
                            "the manifest is from this or a later event".into(),
                        ));
                    }
                }
                let Some(manifest) = self.read_object(s3, &key, event.sequencer.clone()).await?
                else {
                    return Ok(Outcome::Skipped("the object no longer exists".into()));
                };
                let json = serde_json::to_vec(&manifest)
                    .map_err(|err| ApiError::Internal(err.to_string()))?;
                let content_type = http::HeaderValue::from_static("application/json");
                let put = PutObject {
                    key: &manifest_key,
                    content_length: json.len() as u64,
                    content_type: Some(&content_type),
                    metadata: Vec::new(),
                };
                let answer = s3.send_buffered(put.request(&s3.bucket), json).await?;
                PutObject::parse_response(answer.status, &answer.headers, &answer.body)?;
                Ok(Outcome::Processed)
            }
            ObjectEventKind::Removed => {
                let Some(stored) = stored else {
                    return Ok(Outcome::Skipped("no manifest to remove".into()));
                };
                if !is_newer(sequencer, stored.as_deref()) {
                    return Ok(Outcome::Skipped(
                        "the manifest is from a later event".into(),
                    ));
                }
                if self.exists(s3, &key).await? {
                    return Ok(Outcome::Skipped(
                        "the object exists again: its creation event will update the manifest"
                            .into(),
                    ));
                }
                let delete = DeleteObject { key: &manifest_key };
                let answer = s3
                    .send_buffered(delete.request(&s3.bucket), Vec::new())
                    .await?;
                DeleteObject::parse_response(answer.status, &answer.headers, &answer.body)?;
                Ok(Outcome::Processed)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hex_sequencers_order_events() {
        assert!(is_hex("0055AED6DCD90281E5"));
        assert!(!is_hex("Happy Sequencer"));
        assert!(!is_hex(""));
    }

    #[test]
    fn order_is_kept_only_when_both_sides_have_a_sequencer() {
        assert!(is_newer(Some("0B"), Some("0A")));
        assert!(!is_newer(Some("0A"), Some("0A")));
        assert!(!is_newer(Some("0A"), Some("000B")));
        assert!(is_newer(None, Some("0A")));
        assert!(is_newer(Some("0A"), None));
    }
}
