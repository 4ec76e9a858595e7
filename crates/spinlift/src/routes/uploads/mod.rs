//! Presigned multipart uploads, for objects larger than a hosted platform lets through a
//! request (10 MiB on Akamai Functions and Fermyon Cloud) and up to S3's 48.8 TiB: the component
//! starts the upload and signs one URL per part; the client PUTs each part straight to S3,
//! then completes (or aborts) through the API. No byte of the object passes through here.
//!
//! - `POST /uploads` `{key, size, content_type?, part_size?, checksum_algorithm?,
//!   expires_in?}` → `201 {upload_id, key, size, part_size, parts: [{number, size, url}],
//!   expires_at}` (with `checksum_algorithm`: the parts without `url`, no `expires_at`, and
//!   the algorithm's name)
//! - `POST /uploads/{id}/parts` `{parts: [{number, checksum?}], expires_in?}` →
//!   `{parts: [{number, size, url, headers?}], expires_at}`
//! - `GET /uploads/{id}` → the parts S3 holds, and fresh URLs for the missing ones (resume)
//! - `POST /uploads/{id}/complete` `{parts: [{number, etag, checksum?}], checksum?}` →
//!   `201 {key, etag, size}`
//! - `DELETE /uploads/{id}` → `204`, the parts removed
//!
//! With `checksum_algorithm`, S3 checks every part's bytes against the checksum the client
//! computed: S3 refuses an `x-amz-checksum-*` header a presigned URL does not sign, so a
//! part's URL is signed with its value, and the parts come without URLs until the client
//! asks for them with their checksums (`/parts`).
//!
//! An answer signs parts only until their URLs hold 8 MiB (hosted Spin cuts answers at 10 MiB,
//! and a session token adds its length to every URL): parts past that come without `url`,
//! and `/parts` signs them.
//!
//! The `upload_id` is spinlift's handle, not S3's: it carries the key, S3's upload id, the
//! part plan and the algorithm, so no state is kept between requests (Spin keeps none).

mod handle;

use super::invalid_checksum;
use super::objects::write_condition;
use super::presign::checked_expires_in;
use crate::body::Body;
use crate::client::s3::S3Call;
use crate::error::{json_response, ApiError};
use crate::outbound::HttpClient;
use crate::s3::{
    AbortMultipartUpload, CompleteMultipartUpload, CompletedPart, CreateMultipartUpload, ListParts,
    ObjectKey, PartPlan, UploadChecksum,
};
use handle::UploadHandle;
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use serde_json::{json, Value};

const EXPECTED_CREATE: &str = r#"{"key": "<object key>", "size": <bytes>, "content_type": "<optional>", "part_size": <optional bytes>, "checksum_algorithm": "<optional: CRC64NVME, CRC32C, CRC32 or SHA256>", "expires_in": <optional seconds>}"#;
const EXPECTED_PARTS: &str = r#"{"parts": [{"number": 1, "checksum": "<base64, when the upload has a checksum_algorithm>"}, ...], "expires_in": <optional seconds>}"#;
const EXPECTED_COMPLETE: &str = r#"{"parts": [{"number": 1, "etag": "\"...\"", "checksum": "<base64, when the upload has a checksum_algorithm>"}, ...], "checksum": "<optional: the whole object's, for a CRC>"}"#;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    key: String,
    size: u64,
    content_type: Option<String>,
    part_size: Option<u64>,
    checksum_algorithm: Option<String>,
    expires_in: Option<u64>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PartsRequest {
    parts: Vec<PartChecksum>,
    expires_in: Option<u64>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PartChecksum {
    number: u16,
    checksum: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CompleteRequest {
    parts: Vec<PartEtag>,
    checksum: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PartEtag {
    number: u16,
    etag: String,
    checksum: Option<String>,
}

fn bad_request(code: &'static str, message: String) -> ApiError {
    ApiError::BadRequest { code, message }
}

/// `POST /uploads`: starts the upload and signs a URL for every part, as many as the signing
/// budget holds (with a `checksum_algorithm`, none: the URLs wait for the parts' checksums;
/// either way `POST /uploads/{id}/parts` signs the rest).
pub async fn create<C: HttpClient>(
    s3: &S3Call<'_, C>,
    body: Body,
) -> Result<Response<Body>, ApiError> {
    let request: CreateRequest = super::read_json(body, 16 << 10, EXPECTED_CREATE).await?;
    let key = ObjectKey::new(request.key)?;
    let plan = PartPlan::new(request.size, request.part_size)
        .map_err(|err| bad_request("invalid_size", err.to_string()))?;
    let expires_in = checked_expires_in(request.expires_in)?;
    let checksum = request
        .checksum_algorithm
        .as_deref()
        .map(|name| {
            let instead = "start the upload without checksum_algorithm";
            super::asked_algorithm(name, s3.checksums, instead)
        })
        .transpose()?;
    let content_type = request
        .content_type
        .map(HeaderValue::try_from)
        .transpose()
        .map_err(|_| {
            bad_request(
                "invalid_content_type",
                "content_type must be visible ASCII".to_owned(),
            )
        })?;
    let upload_id = s3
        .call(&CreateMultipartUpload {
            key: &key,
            content_type: content_type.as_ref(),
            metadata: Vec::new(),
            checksum,
        })
        .await?;
    let handle = UploadHandle {
        key,
        upload_id,
        plan,
        checksum,
    };
    let mut answer = json!({
        "upload_id": handle.encode(),
        "key": handle.key.as_str(),
        "size": plan.size,
        "part_size": plan.part_size,
    });
    handle.offer(&mut answer, "parts", 1..=plan.count(), s3, expires_in)?;
    Ok(json_response(StatusCode::CREATED, &answer))
}

/// `POST /uploads/{id}/parts`: URLs for the parts named, each signed with its checksum when
/// the upload has an algorithm (the client computes it from the part's bytes first), so the
/// PUT must send that value and S3 stores only bytes that have it. Also fresh URLs for an
/// upload without checksums.
pub async fn sign_parts<C: HttpClient>(
    s3: &S3Call<'_, C>,
    id: &str,
    body: Body,
) -> Result<Response<Body>, ApiError> {
    let handle = UploadHandle::decode(id)?;
    let request: PartsRequest = super::read_json(body, 2 << 20, EXPECTED_PARTS).await?;
    let expires_in = checked_expires_in(request.expires_in)?;
    let count = handle.plan.count();
    if request.parts.is_empty() || request.parts.len() > usize::from(count) {
        return Err(bad_request(
            "invalid_parts",
            format!("parts must name 1 to {count} parts"),
        ));
    }
    let mut parts = Vec::with_capacity(request.parts.len());
    for part in &request.parts {
        if !(1..=count).contains(&part.number) {
            return Err(bad_request(
                "invalid_parts",
                format!(
                    "part {} is not one of this upload's 1 to {count}",
                    part.number
                ),
            ));
        }
        let what = format!("part {}", part.number);
        parts.push((
            part.number,
            handle.checked_checksum(&what, part.checksum.as_deref())?,
        ));
    }
    let (parts, expires_at) = handle.part_urls(s3, parts.into_iter(), expires_in)?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"parts": parts, "expires_at": expires_at}),
    ))
}

/// `GET /uploads/{id}`: the parts S3 holds (a part of another size than planned counts as
/// missing: it was cut short), and fresh URLs for the missing ones, as many as the signing
/// budget holds (none for an upload with checksums: `POST /uploads/{id}/parts` signs them
/// with their values).
pub async fn status<C: HttpClient>(
    s3: &S3Call<'_, C>,
    id: &str,
    query: Option<&str>,
) -> Result<Response<Body>, ApiError> {
    let handle = UploadHandle::decode(id)?;
    let mut expires_in = None;
    for (name, value) in super::query_params(query.unwrap_or(""))? {
        if name == "expires_in" {
            expires_in = Some(value.parse().map_err(|_| {
                bad_request(
                    "invalid_expires_in",
                    "expires_in must be a number of seconds".to_owned(),
                )
            })?);
        }
    }
    let expires_in = checked_expires_in(expires_in)?;
    let mut held = Vec::new();
    let mut marker = None;
    loop {
        let page = s3
            .call(&ListParts {
                key: &handle.key,
                upload_id: &handle.upload_id,
                part_number_marker: marker,
            })
            .await?;
        held.extend(page.parts);
        // Part numbers only grow: a store that hands back an earlier marker would be
        // asked for the same pages forever.
        match page.next_part_number_marker {
            Some(next) if marker.is_none_or(|previous| next > previous) => marker = Some(next),
            _ => break,
        }
    }
    held.retain(|part| handle.plan.part_len(part.part_number) == Some(part.size));
    let missing = (1..=handle.plan.count())
        .filter(|number| !held.iter().any(|part| part.part_number == *number));
    let parts: Vec<Value> = held
        .iter()
        .map(|part| json!({"number": part.part_number, "size": part.size, "etag": part.etag}))
        .collect();
    let mut answer = json!({
        "upload_id": id,
        "key": handle.key.as_str(),
        "size": handle.plan.size,
        "part_size": handle.plan.part_size,
        "parts": parts,
    });
    handle.offer(&mut answer, "missing", missing, s3, expires_in)?;
    Ok(json_response(StatusCode::OK, &answer))
}

/// `POST /uploads/{id}/complete`: every part, in order, with the ETag S3 gave its PUT (and
/// its checksum, for an upload with an algorithm; for a CRC, optionally the whole object's,
/// which S3 checks against the parts it joined). `If-None-Match: *` or `If-Match` go to S3
/// with the completion (412 leaves the upload open, to retry or abort).
pub async fn complete<C: HttpClient>(
    s3: &S3Call<'_, C>,
    id: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response<Body>, ApiError> {
    let handle = UploadHandle::decode(id)?;
    let condition = write_condition(headers, &[header::IF_MATCH, header::IF_NONE_MATCH])?;
    let request: CompleteRequest = super::read_json(body, 2 << 20, EXPECTED_COMPLETE).await?;
    let count = handle.plan.count();
    // The length first: numbering a list longer than any upload's parts would overflow.
    let in_order = request.parts.len() == usize::from(count)
        && request
            .parts
            .iter()
            .zip(1..)
            .all(|(part, number)| part.number == number);
    if !in_order {
        return Err(bad_request(
            "invalid_parts",
            format!("parts must list every part, 1 to {count}, in order, each with its ETag"),
        ));
    }
    let mut parts = Vec::with_capacity(request.parts.len());
    for part in request.parts {
        let what = format!("part {}", part.number);
        let checksum = handle.checked_checksum(&what, part.checksum.as_deref())?;
        parts.push(CompletedPart {
            part_number: part.number,
            checksum: checksum.map(|(_, value)| value.to_owned()),
            etag: part.etag,
        });
    }
    let whole_object = match (handle.checksum, request.checksum.as_deref()) {
        (Some(algorithm), Some(_)) if !algorithm.is_full_object() => {
            return Err(invalid_checksum(format!(
                "a {} upload's object checksum is S3's, of its parts' checksums: send none",
                algorithm.name()
            )))
        }
        (_, value @ Some(_)) => handle.checked_checksum("the object", value)?,
        (_, None) => None,
    };
    let done = s3
        .call(&CompleteMultipartUpload {
            key: &handle.key,
            upload_id: &handle.upload_id,
            parts: &parts,
            condition,
            checksum: handle.checksum.map(|algorithm| UploadChecksum {
                algorithm,
                whole_object: whole_object.map(|(_, value)| value),
            }),
        })
        .await?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"key": handle.key.as_str(), "etag": done, "size": handle.plan.size}),
    ))
}

/// `DELETE /uploads/{id}`: the upload aborted, its parts removed.
pub async fn abort<C: HttpClient>(
    s3: &S3Call<'_, C>,
    id: &str,
) -> Result<Response<Body>, ApiError> {
    let handle = UploadHandle::decode(id)?;
    s3.call(&AbortMultipartUpload {
        key: &handle.key,
        upload_id: &handle.upload_id,
    })
    .await?;
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}
