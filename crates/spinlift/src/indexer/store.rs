//! What the indexer reads and writes in S3: the stored manifest and its version, the object
//! itself (streamed, hashed), and conditional manifest writes and deletes that report a lost
//! race instead of overwriting a newer manifest.

use super::error::IndexError;
use super::manifest::Manifest;
use crate::aws::AwsError;
use crate::body::Body;
use crate::client::s3::S3Call;
use crate::client::ClientError;
use crate::outbound::HttpClient;
use crate::s3::{
    DeleteObject, GetObject, ObjectHead, ObjectKey, PutObject, S3ErrorKind, WriteCondition,
};
use crate::sigv4::Payload;
use futures::StreamExt;
use sha2::{Digest, Sha256};

/// The stored manifest's version.
pub(super) struct Stored {
    pub(super) sequencer: Option<String>,
    /// `None` when the store sent no ETag: the write is then unconditional.
    pub(super) etag: Option<String>,
    /// The object the manifest describes, as recorded: its ETag and content type.
    pub(super) object_etag: Option<String>,
    pub(super) content_type: Option<String>,
}

impl Stored {
    /// Whether `head` is the object this manifest records (same ETag and content type).
    pub(super) fn describes(&self, head: &ObjectHead) -> bool {
        head.etag().is_some()
            && head.etag() == self.object_etag.as_deref()
            && head.content_type() == self.content_type.as_deref()
    }
}

/// Whether a conditional write happened or lost a race.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Step {
    Done,
    Conflict,
}

/// The stored manifest's sequencer and ETag, when a manifest exists.
pub(super) async fn stored<C: HttpClient>(
    s3: &S3Call<'_, C>,
    manifest: &ObjectKey,
) -> Result<Option<Stored>, IndexError> {
    // The manifest is spinlift's own small document, and one that does not parse carries no
    // order: it is not checked against a checksum.
    let get = GetObject {
        key: manifest,
        range: None,
        conditions: Default::default(),
        checksum_mode: false,
    };
    let answer = s3.fetch(get.request(&s3.bucket)).await?;
    if answer.status == http::StatusCode::OK {
        // A manifest that does not parse still exists: it carries no order to keep.
        let manifest = serde_json::from_slice::<Manifest>(&answer.body).ok();
        let etag = answer.headers.get(http::header::ETAG);
        let (sequencer, object_etag, content_type) = manifest.map_or((None, None, None), |m| {
            (m.sequencer, m.etag, m.content_type)
        });
        return Ok(Some(Stored {
            sequencer,
            etag: etag.and_then(|v| v.to_str().ok()).map(str::to_owned),
            object_etag,
            content_type,
        }));
    }
    let error = AwsError::from_s3_response(answer.status, &answer.headers, &answer.body);
    match error.s3_kind() {
        // No such key only: a missing bucket is a failure, not an absent manifest.
        S3ErrorKind::NotFound => Ok(None),
        _ => Err(s3_error(error)),
    }
}

/// What reading a created object found.
pub(super) enum Read {
    /// Its manifest.
    Object(Manifest),
    /// It no longer exists.
    Gone,
    /// It is archived (S3 Glacier Flexible Retrieval or Deep Archive: `InvalidObjectState`)
    /// and cannot be read until restored. Retrying would fail the same way until the
    /// sender gives up; its restore completion sends no creation event either.
    Archived,
}

/// Reads the object, streamed, into a manifest.
pub(super) async fn read_object<C: HttpClient>(
    s3: &S3Call<'_, C>,
    key: &ObjectKey,
    sequencer: Option<String>,
) -> Result<Read, IndexError> {
    let check = s3.checksums.check_download(false);
    let get = GetObject {
        key,
        range: None,
        conditions: Default::default(),
        checksum_mode: check,
    };
    let response = s3
        .send(get.request(&s3.bucket), Payload::Bytes(b""), Body::Empty)
        .await?;
    let (parts, body) = response.into_parts();
    let Some(head) = ObjectHead::from_parts(parts.status, &parts.headers) else {
        let err = s3.error_of(http::Response::from_parts(parts, body)).await;
        return match err.service_error().map(|e| e.code.as_str()) {
            _ if err.is_not_found() => Ok(Read::Gone),
            Some("InvalidObjectState") => Ok(Read::Archived),
            _ => Err(err.into()),
        };
    };
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut stream =
        crate::client::verify::checked(body, parts.status, &parts.headers, check).into_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|reason| ClientError::BrokenAnswer {
            service: "s3",
            status: parts.status.as_u16(),
            reason,
        })?;
        size += chunk.len() as u64;
        hasher.update(&chunk);
    }
    let header = |name: &str| {
        head.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Ok(Read::Object(Manifest {
        key: key.as_str().to_owned(),
        size,
        sha256: crate::sigv4::hex_digest(&hasher.finalize().into()),
        content_type: header("content-type"),
        etag: header("etag"),
        sequencer,
    }))
}

/// Writes `manifest` if the stored one is still `stored` (or still absent).
pub(super) async fn write<C: HttpClient>(
    s3: &S3Call<'_, C>,
    manifest_key: &ObjectKey,
    manifest: &Manifest,
    stored: Option<&Stored>,
) -> Result<Step, IndexError> {
    let json = serde_json::to_vec(manifest).map_err(IndexError::Manifest)?;
    let content_type = http::HeaderValue::from_static("application/json");
    let condition = match stored {
        None => Some(WriteCondition::Absent),
        Some(stored) => stored.etag.as_deref().map(WriteCondition::Matches),
    };
    let put = PutObject {
        key: manifest_key,
        content_length: json.len() as u64,
        content_type: Some(&content_type),
        metadata: Vec::new(),
        condition,
        integrity: Default::default(),
    };
    conditional(s3.call_with_body(&put, json, None).await)
}

/// Deletes the manifest if it is still `stored`.
pub(super) async fn remove<C: HttpClient>(
    s3: &S3Call<'_, C>,
    manifest_key: &ObjectKey,
    stored: &Stored,
) -> Result<Step, IndexError> {
    let delete = DeleteObject {
        key: manifest_key,
        if_match: stored.etag.as_deref(),
    };
    conditional(s3.call(&delete).await)
}

/// A lost race is decided again; other errors fail the record. S3 signals one as 412
/// `PreconditionFailed`, 409 `ConditionalRequestConflict` (conditional requests colliding),
/// or 404 `NoSuchKey` (an `If-Match` on a manifest deleted meanwhile).
fn conditional<T>(result: Result<T, ClientError>) -> Result<Step, IndexError> {
    match result {
        Ok(_) => Ok(Step::Done),
        Err(err)
            if err.service_error().is_some_and(|error| {
                matches!(
                    error.code.as_str(),
                    "PreconditionFailed" | "ConditionalRequestConflict" | "NoSuchKey"
                )
            }) =>
        {
            Ok(Step::Conflict)
        }
        Err(err) => Err(err.into()),
    }
}

/// An error S3 answered, as the client reports it.
fn s3_error(error: AwsError) -> IndexError {
    IndexError::Client(ClientError::Service {
        service: "s3",
        error,
    })
}
