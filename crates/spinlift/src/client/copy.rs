//! Copies within the bucket of any size S3 holds: one CopyObject up to a threshold (at most
//! CopyObject's 5 GiB), else a multipart upload whose parts S3 copies from ranges of the
//! source (UploadPartCopy), a few at a time. No byte passes through the component either way.
//! As the AWS CLI copies: a HEAD for the size, then one or the other. A client feature, so a
//! handler can copy an object it has not measured as the object API does.

use crate::aws::AwsError;
use crate::client::s3::S3Call;
use crate::client::upload::{abort, UploadError};
use crate::client::ClientError;
use crate::outbound::HttpClient;
use crate::s3::{
    CompleteMultipartUpload, CompletedPart, CopyObject, CreateMultipartUpload, HeadObject,
    ObjectHead, ObjectKey, PartPlan, ReadConditions, UploadPartCopy, MAX_PARTS, MAX_PART_SIZE,
};
use futures::stream::{FuturesOrdered, StreamExt};
use http::{header, HeaderMap, HeaderName, HeaderValue};

/// The largest object one CopyObject copies; S3 refuses a larger source
/// (`400 InvalidRequest`).
pub const MAX_COPY_OBJECT_SIZE: u64 = MAX_PART_SIZE;

/// The size of a copy's parts, unless the threshold is smaller or 10,000 parts need them
/// larger: parts small enough that [`PARTS_AT_ONCE`] of them share a large copy's work and a
/// retried part repeats little of it.
pub const COPY_PART_SIZE: u64 = 512 << 20;

/// How many parts are copied at once: S3 copies each at its own pace, so a copy in parts takes
/// about a quarter of the time one request would, and the component holds nothing meanwhile.
pub const PARTS_AT_ONCE: usize = 4;

/// The source's headers a copy in parts carries to the new object (CopyObject keeps them all
/// by itself), besides `Content-Type` and `x-amz-meta-*`.
const CARRIED: [HeaderName; 5] = [
    header::CACHE_CONTROL,
    header::CONTENT_DISPOSITION,
    header::CONTENT_ENCODING,
    header::CONTENT_LANGUAGE,
    header::EXPIRES,
];

/// Copies `from` to `to` and returns the new object's ETag. `source_etag` is the version of
/// the source to copy (`*`: any; S3 answers 412 `PreconditionFailed` when it is not the
/// source's). Sources up to `threshold` bytes (capped at 5 GiB) are one CopyObject, which
/// keeps everything S3 copies (headers, metadata, tags, checksum). Larger ones are a multipart
/// upload with the source's `Content-Type`, `x-amz-meta-*`, `Cache-Control`,
/// `Content-Disposition`, `Content-Encoding`, `Content-Language` and `Expires` (not its tags
/// or checksum), its parts copied from the version the HEAD saw: a source replaced meanwhile
/// fails the copy (412). A failed copy waits for the parts under way and is aborted, leaving
/// no object.
///
/// # Errors
/// S3 refused a step (the source is missing, a condition failed) or could not be reached.
pub async fn copy_object<C: HttpClient>(
    s3: &S3Call<'_, C>,
    from: &ObjectKey,
    to: &ObjectKey,
    source_etag: Option<&str>,
    threshold: u64,
) -> Result<String, UploadError> {
    let threshold = threshold.min(MAX_COPY_OBJECT_SIZE);
    // The client's condition is judged at the HEAD, before any upload exists.
    let mut conditions = HeaderMap::new();
    if let Some(value) = source_etag.and_then(|etag| HeaderValue::from_str(etag).ok()) {
        conditions.insert(header::IF_MATCH, value);
    }
    let head = HeadObject {
        key: from,
        conditions: ReadConditions::from_headers(&conditions),
        checksum_mode: false,
    };
    let head = match s3.call(&head).await {
        Ok(head) => Some(head),
        Err(err) if err.is_not_found() => None,
        Err(err) => return Err(err.into()),
    };
    // The one version every part is copied from.
    let version = match source_etag {
        Some(etag) if etag != "*" => Some(etag),
        _ => head.as_ref().and_then(ObjectHead::etag),
    };
    match (&head, version) {
        (Some(head), Some(version))
            if from != to && head.content_length().is_some_and(|size| size > threshold) =>
        {
            if head.etag().is_some_and(|etag| etag != version) {
                // S3 judges the client's ETag at the HEAD; a store that does not (s3s-fs), nor
                // on the parts, would copy the version the client did not ask for.
                return Err(precondition_failed().into());
            }
            copy_in_parts(s3, from, to, version, threshold, head).await
        }
        // The rest go to CopyObject, whose answer is S3's own: a missing source (S3 says
        // whether the key or the bucket is missing, which a HEAD cannot), a copy onto itself
        // (refused `400 InvalidRequest` whatever its size), a store sending no ETag to pin.
        _ => {
            let copy = CopyObject {
                from,
                to,
                source_etag,
            };
            Ok(s3.call(&copy).await?.etag)
        }
    }
}

/// S3's answer to a source that is not the version asked for.
fn precondition_failed() -> ClientError {
    ClientError::Service {
        service: "s3",
        error: AwsError {
            status: 412,
            code: "PreconditionFailed".to_owned(),
            message: "At least one of the pre-conditions you specified did not hold".to_owned(),
            request_id: None,
        },
    }
}

/// The multipart copy of the version `version` of a source of `head`'s size.
async fn copy_in_parts<C: HttpClient>(
    s3: &S3Call<'_, C>,
    from: &ObjectKey,
    to: &ObjectKey,
    version: &str,
    threshold: u64,
    head: &ObjectHead,
) -> Result<String, UploadError> {
    let size = head.content_length().unwrap_or_default();
    if size > MAX_PARTS * MAX_PART_SIZE {
        return Err(UploadError::TooLarge {
            limit: MAX_PARTS * MAX_PART_SIZE,
        });
    }
    let needed = size.div_ceil(MAX_PARTS).div_ceil(1 << 20) << 20;
    let plan = PartPlan {
        size,
        part_size: threshold.min(COPY_PART_SIZE).max(needed),
    };
    let content_type = head.headers.get(header::CONTENT_TYPE);
    let metadata = head
        .headers
        .iter()
        .filter(|(name, _)| CARRIED.contains(name) || name.as_str().starts_with("x-amz-meta-"))
        .collect();
    // No checksum algorithm: the bytes never leave S3, which gives the new object its default
    // checksum (CRC64NVME on AWS), not necessarily the source's.
    let create = CreateMultipartUpload {
        key: to,
        content_type,
        metadata,
        checksum: None,
    };
    let upload_id = s3
        .call(&create)
        .await
        .map_err(ClientError::of_own_request)?;
    let completed = match copy_parts(s3, from, to, &upload_id, plan, version).await {
        Ok(parts) => {
            let complete = CompleteMultipartUpload {
                key: to,
                upload_id: &upload_id,
                parts: &parts,
                condition: None,
                checksum: None,
            };
            s3.call(&complete)
                .await
                .map_err(|err| UploadError::from(err.of_own_request()))
        }
        Err(err) => Err(err),
    };
    if completed.is_err() {
        abort(s3, to, &upload_id).await;
    }
    completed
}

/// Has S3 copy every part of `plan`, [`PARTS_AT_ONCE`] at a time. After a failure no part is
/// started and those under way are waited for, so that the abort that follows finds every
/// part S3 will ever store (one still copying could be stored after it).
async fn copy_parts<C: HttpClient>(
    s3: &S3Call<'_, C>,
    from: &ObjectKey,
    to: &ObjectKey,
    upload_id: &str,
    plan: PartPlan,
    version: &str,
) -> Result<Vec<CompletedPart>, UploadError> {
    let mut waiting = (1..=plan.count()).filter_map(|part_number| {
        let range = plan.part_range(part_number)?;
        Some(async move {
            let part = UploadPartCopy {
                from,
                to,
                upload_id,
                part_number,
                range,
                source_etag: Some(version),
            };
            let etag = s3.call(&part).await.map_err(ClientError::of_own_request)?;
            Ok::<_, UploadError>(CompletedPart {
                part_number,
                etag,
                checksum: None,
            })
        })
    });
    let mut running = FuturesOrdered::new();
    let mut parts = Vec::new();
    let mut failed = None;
    loop {
        while failed.is_none() && running.len() < PARTS_AT_ONCE {
            match waiting.next() {
                Some(part) => running.push_back(part),
                None => break,
            }
        }
        match running.next().await {
            Some(Ok(part)) => parts.push(part),
            Some(Err(err)) => {
                failed.get_or_insert(err);
            }
            None => break,
        }
    }
    match failed {
        Some(err) => Err(err),
        None => Ok(parts),
    }
}
