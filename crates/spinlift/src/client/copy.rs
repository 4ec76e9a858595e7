//! Copies within the bucket of any size S3 holds: one CopyObject up to a threshold (at most
//! CopyObject's 5 GiB), else a multipart upload whose parts S3 copies from ranges of the
//! source (UploadPartCopy), a few at a time. No byte passes through the component either way.
//! As the AWS CLI copies: a HEAD for the size, then one or the other. A client feature, so a
//! handler can copy an object it has not measured as the object API does.

use crate::client::s3::S3Call;
use crate::client::upload::{abort, UploadError};
use crate::outbound::HttpClient;
use crate::s3::{
    CompleteMultipartUpload, CompletedPart, CopyObject, CreateMultipartUpload, ObjectHead,
    ObjectKey, PartPlan, UploadPartCopy, MAX_OBJECT_SIZE, MAX_PARTS, MAX_PART_SIZE,
};
use futures::{StreamExt, TryStreamExt};

/// The largest object one CopyObject copies; S3 refuses a larger source
/// (`400 InvalidRequest`).
pub const MAX_COPY_OBJECT_SIZE: u64 = MAX_PART_SIZE;

/// How many parts are copied at once: S3 copies each at its own pace, so a copy in parts takes
/// about a quarter of the time one request would, and the component holds nothing meanwhile.
pub const PARTS_AT_ONCE: usize = 4;

/// Copies `from` to `to` and returns the new object's ETag. `source_etag` is the version of
/// the source to copy (S3 answers 412 `PreconditionFailed` for any other). Sources up to
/// `threshold` bytes (capped at 5 GiB) are one CopyObject, which keeps everything S3 copies
/// (metadata, tags, checksum). Larger ones are a multipart upload with the source's
/// `Content-Type`, `Cache-Control` and `x-amz-meta-*`, its parts of `threshold` bytes (or as
/// large as 10,000 parts need) copied from the version the HEAD saw: a source replaced while
/// it is copied fails the copy (412), and a failed copy is aborted, leaving no object.
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
    match s3.head(from).await? {
        Some(head) if head.content_length().is_some_and(|size| size > threshold) => {
            copy_in_parts(s3, from, to, source_etag, threshold, &head).await
        }
        // A missing source goes to CopyObject too: S3's answer says which of the key or the
        // bucket is missing, which a HEAD cannot.
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

/// The multipart copy of a source of `head`'s size.
async fn copy_in_parts<C: HttpClient>(
    s3: &S3Call<'_, C>,
    from: &ObjectKey,
    to: &ObjectKey,
    source_etag: Option<&str>,
    part_size: u64,
    head: &ObjectHead,
) -> Result<String, UploadError> {
    let size = head.content_length().unwrap_or_default();
    let needed = size.div_ceil(MAX_PARTS).div_ceil(1 << 20) << 20;
    let plan =
        PartPlan::new(size, Some(part_size.max(needed))).map_err(|_| UploadError::TooLarge {
            limit: MAX_OBJECT_SIZE,
        })?;
    // Every part from one version: the caller's, or the one the HEAD saw.
    let version = source_etag.or(head.etag());
    let content_type = head.headers.get(http::header::CONTENT_TYPE);
    let metadata = head
        .headers
        .iter()
        .filter(|(name, _)| {
            *name == http::header::CACHE_CONTROL || name.as_str().starts_with("x-amz-meta-")
        })
        .collect();
    // No checksum algorithm: the bytes never leave S3, which checks its own copies.
    let create = CreateMultipartUpload {
        key: to,
        content_type,
        metadata,
        checksum: None,
    };
    let upload_id = s3.call(&create).await?;
    let copied = copy_parts(s3, from, to, &upload_id, plan, version).await;
    let completed = match copied {
        Ok(parts) => {
            let complete = CompleteMultipartUpload {
                key: to,
                upload_id: &upload_id,
                parts: &parts,
                condition: None,
                checksum: None,
            };
            s3.call(&complete).await.map_err(UploadError::from)
        }
        Err(err) => Err(err),
    };
    if completed.is_err() {
        abort(s3, to, &upload_id).await;
    }
    completed
}

/// Has S3 copy every part of `plan`, [`PARTS_AT_ONCE`] at a time; the first failure stops
/// the rest.
async fn copy_parts<C: HttpClient>(
    s3: &S3Call<'_, C>,
    from: &ObjectKey,
    to: &ObjectKey,
    upload_id: &str,
    plan: PartPlan,
    version: Option<&str>,
) -> Result<Vec<CompletedPart>, UploadError> {
    let copies = (1..=plan.count()).filter_map(|part_number| {
        let range = plan.part_range(part_number)?;
        Some(async move {
            let part = UploadPartCopy {
                from,
                to,
                upload_id,
                part_number,
                range,
                source_etag: version,
            };
            let etag = s3.call(&part).await?;
            Ok::<_, UploadError>(CompletedPart {
                part_number,
                etag,
                checksum: None,
            })
        })
    });
    futures::stream::iter(copies)
        .buffered(PARTS_AT_ONCE)
        .try_collect()
        .await
}
