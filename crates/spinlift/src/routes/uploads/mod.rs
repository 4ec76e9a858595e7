//! Presigned multipart uploads, for objects larger than a hosted platform lets through a
//! request (10 MiB on Akamai Functions and Fermyon Cloud) and up to S3's 5 TiB: the component
//! starts the upload and signs one URL per part; the client PUTs each part straight to S3,
//! then completes (or aborts) through the API. No byte of the object passes through here.
//!
//! - `POST /uploads` `{key, size, content_type?, part_size?, expires_in?}` →
//!   `201 {upload_id, key, size, part_size, parts: [{number, size, url}], expires_at}`
//! - `GET /uploads/{id}` → the parts S3 holds, and fresh URLs for the missing ones (resume)
//! - `POST /uploads/{id}/complete` `{parts: [{number, etag}]}` → `201 {key, etag, size}`
//! - `DELETE /uploads/{id}` → `204`, the parts removed
//!
//! The `upload_id` is spinlift's handle, not S3's: it carries the key, S3's upload id and the
//! part plan, so no state is kept between requests (Spin keeps none) and a later call
//! needs nothing else.

use super::objects::write_condition;
use super::presign::checked_expires_in;
use crate::body::Body;
use crate::client::s3::S3Call;
use crate::error::{json_response, ApiError};
use crate::outbound::HttpClient;
use crate::s3::{
    AbortMultipartUpload, CompleteMultipartUpload, CompletedPart, CreateMultipartUpload, ListParts,
    ObjectKey, PartPlan, PresignPart,
};
use crate::sigv4::SigningTime;
use base64ct::{Base64UrlUnpadded, Encoding};
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use serde_json::{json, Value};

const EXPECTED_CREATE: &str = r#"{"key": "<object key>", "size": <bytes>, "content_type": "<optional>", "part_size": <optional bytes>, "expires_in": <optional seconds>}"#;
const EXPECTED_COMPLETE: &str = r#"{"parts": [{"number": 1, "etag": "\"...\""}, ...]}"#;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    key: String,
    size: u64,
    content_type: Option<String>,
    part_size: Option<u64>,
    expires_in: Option<u64>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CompleteRequest {
    parts: Vec<PartEtag>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PartEtag {
    number: u16,
    etag: String,
}

/// What names an open upload to the API: the object, S3's upload id and the part plan.
#[derive(Debug, PartialEq, Eq)]
struct UploadHandle {
    key: ObjectKey,
    upload_id: String,
    plan: PartPlan,
}

impl UploadHandle {
    /// URL-safe base64 of `size`, `part_size`, the upload id and the key, one per line (the
    /// key last: it may hold any character).
    fn encode(&self) -> String {
        let text = format!(
            "{}\n{}\n{}\n{}",
            self.plan.size,
            self.plan.part_size,
            self.upload_id,
            self.key.as_str()
        );
        Base64UrlUnpadded::encode_string(text.as_bytes())
    }

    fn decode(id: &str) -> Result<Self, ApiError> {
        let invalid = || ApiError::BadRequest {
            code: "invalid_upload_id",
            message: "the upload id is not one POST /uploads gave".to_owned(),
        };
        let bytes = Base64UrlUnpadded::decode_vec(id).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut fields = text.splitn(4, '\n');
        let mut next = || fields.next().ok_or_else(invalid);
        let (size, part_size, upload_id, key) = (next()?, next()?, next()?, next()?);
        let plan = PartPlan::new(
            size.parse().map_err(|_| invalid())?,
            Some(part_size.parse().map_err(|_| invalid())?),
        )
        .map_err(|_| invalid())?;
        if upload_id.is_empty() {
            return Err(invalid());
        }
        Ok(Self {
            key: ObjectKey::new(key).map_err(|_| invalid())?,
            upload_id: upload_id.to_owned(),
            plan,
        })
    }

    /// Presigned URLs for `numbers`, valid for `expires_in` seconds (capped by the signing
    /// session), and when they expire.
    fn part_urls<C: HttpClient>(
        &self,
        s3: &S3Call<'_, C>,
        numbers: impl Iterator<Item = u16>,
        expires_in: u64,
    ) -> Result<(Vec<Value>, String), ApiError> {
        let expires_in = super::presign::lifetime(s3, expires_in);
        let now = s3.now();
        let parts = numbers
            .map(|number| {
                let url = PresignPart {
                    key: &self.key,
                    upload_id: &self.upload_id,
                    part_number: number,
                    expires_in,
                }
                .url(&s3.bucket, s3.signer(), now)
                // The lifetime is in range: the signer has nothing left to refuse.
                .map_err(|err| ApiError::Internal(err.to_string()))?;
                let size = self.plan.part_len(number).unwrap_or_default();
                Ok(json!({"number": number, "size": size, "url": url}))
            })
            .collect::<Result<_, ApiError>>()?;
        let expires_at = SigningTime::from_unix_seconds(now.unix_seconds() + expires_in);
        Ok((parts, expires_at.rfc3339().to_string()))
    }
}

fn bad_request(code: &'static str, message: String) -> ApiError {
    ApiError::BadRequest { code, message }
}

/// `POST /uploads`: starts the upload and signs a URL for every part.
pub async fn create<C: HttpClient>(
    s3: &S3Call<'_, C>,
    body: Body,
) -> Result<Response<Body>, ApiError> {
    let request: CreateRequest = super::read_json(body, 16 << 10, EXPECTED_CREATE).await?;
    let key = ObjectKey::new(request.key)?;
    let plan = PartPlan::new(request.size, request.part_size)
        .map_err(|err| bad_request("invalid_size", err.to_string()))?;
    let expires_in = checked_expires_in(request.expires_in)?;
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
            checksum: None,
        })
        .await?;
    let handle = UploadHandle {
        key,
        upload_id,
        plan,
    };
    let (parts, expires_at) = handle.part_urls(s3, 1..=plan.count(), expires_in)?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({
            "upload_id": handle.encode(),
            "key": handle.key.as_str(),
            "size": plan.size,
            "part_size": plan.part_size,
            "parts": parts,
            "expires_at": expires_at,
        }),
    ))
}

/// `GET /uploads/{id}`: the parts S3 holds (a part of another size than planned counts as
/// missing: it was cut short), and fresh URLs for the missing ones.
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
        match page.next_part_number_marker {
            Some(next) if marker != Some(next) => marker = Some(next),
            _ => break,
        }
    }
    held.retain(|part| handle.plan.part_len(part.part_number) == Some(part.size));
    let missing = (1..=handle.plan.count())
        .filter(|number| !held.iter().any(|part| part.part_number == *number));
    let (missing, expires_at) = handle.part_urls(s3, missing, expires_in)?;
    let parts: Vec<Value> = held
        .iter()
        .map(|part| json!({"number": part.part_number, "size": part.size, "etag": part.etag}))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "upload_id": id,
            "key": handle.key.as_str(),
            "size": handle.plan.size,
            "part_size": handle.plan.part_size,
            "parts": parts,
            "missing": missing,
            "expires_at": expires_at,
        }),
    ))
}

/// `POST /uploads/{id}/complete`: every part, in order, with the ETag S3 gave its PUT.
/// `If-None-Match: *` or `If-Match` go to S3 with the completion (412 leaves the upload open,
/// to retry or abort).
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
    let in_order = request
        .parts
        .iter()
        .zip(1..)
        .all(|(part, number)| part.number == number);
    if request.parts.len() != count as usize || !in_order {
        return Err(bad_request(
            "invalid_parts",
            format!("parts must list every part, 1 to {count}, in order, each with its ETag"),
        ));
    }
    let parts: Vec<CompletedPart> = request
        .parts
        .into_iter()
        .map(|part| CompletedPart {
            part_number: part.number,
            etag: part.etag,
            checksum: None,
        })
        .collect();
    let done = s3
        .call(&CompleteMultipartUpload {
            key: &handle.key,
            upload_id: &handle.upload_id,
            parts: &parts,
            condition,
            checksum: None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_carries_key_upload_and_plan() {
        let handle = UploadHandle {
            key: ObjectKey::new("dir/a\nb ü+%.bin").unwrap(),
            upload_id: "VXBsb2FkIElE.-_x".to_owned(),
            plan: PartPlan::new(64 << 20, Some(5 << 20)).unwrap(),
        };
        let id = handle.encode();
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{id}"
        );
        assert_eq!(UploadHandle::decode(&id).unwrap(), handle);
    }

    #[test]
    fn a_handle_not_made_here_is_a_400() {
        let encoded = |text: &str| Base64UrlUnpadded::encode_string(text.as_bytes());
        for id in [
            "".to_owned(),
            "%%%".to_owned(),
            encoded("10\n8388608\nup"),
            encoded("x\n8388608\nup\nkey"),
            encoded("10\n1\nup\nkey"),
            encoded("10\n8388608\n\nkey"),
        ] {
            let err = UploadHandle::decode(&id).unwrap_err();
            assert_eq!(err.code(), "invalid_upload_id", "{id}");
        }
    }
}
