//! The object API over S3: `/objects/{key}` GET, HEAD, PUT, DELETE; `GET /objects` lists;
//! `POST /objects/{key}/copy` copies. Object bodies are streamed both ways, never held whole.

use super::invalid_checksum;
use crate::body::Body;
use crate::client::copy;
use crate::client::s3::S3Call;
use crate::client::upload::{self, UploadIntegrity};
use crate::client::verify;
use crate::config::{ChecksumMode, ChecksumPolicy};
use crate::error::{json_response, ApiError};
use crate::outbound::HttpClient;
use crate::s3::{
    if_range_holds, ChecksumAlgorithm, ChecksumValue, DeleteObject, GetObject, HeadObject,
    Integrity, ListObjectsV2, ObjectHead, ObjectKey, PutObject, ReadConditions, WriteCondition,
    MAX_CONTINUATION_TOKEN_BYTES, MAX_KEY_BYTES, STORED_HEADERS,
};
use crate::sigv4::{percent_decode, Payload, SigningTime};
use http::{header, HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use serde_json::json;

/// The most a JSON request body may hold.
const MAX_JSON_BYTES: usize = 64 << 10;

/// Decodes the `{key}` of a path: percent-escapes decoded exactly once (`+` stays `+`), UTF-8.
///
/// # Errors
/// 400 `invalid_key` for an empty, over-long or non-UTF-8 key.
pub fn parse_key(raw: &str) -> Result<ObjectKey, ApiError> {
    let decoded = String::from_utf8(percent_decode(raw, false).into_owned()).map_err(|_| {
        ApiError::BadRequest {
            code: "invalid_key",
            message: "the object key is not valid UTF-8 once percent-decoded".to_owned(),
        }
    })?;
    Ok(ObjectKey::new(decoded)?)
}

fn object_response(head: ObjectHead, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = head.status;
    *response.headers_mut() = head.headers;
    response
}

/// `GET /objects/{key}`: the object's bytes, streamed, with `Range` and the client's read
/// conditions (`If-Match`, `If-None-Match`, `If-Modified-Since`, `If-Unmodified-Since`) passed
/// on for S3 to judge. `If-Range`, which S3 does not take, is judged here from S3's ranged
/// answer (from a HEAD when that answer is a 416): when its validator is not the object's
/// (the object changed since the client's first bytes), the whole object is fetched and
/// answered 200, as HTTP asks, so a resumed download never joins two versions. The whole
/// object's bytes are checked against its stored checksum as they stream (`s3_checksums`;
/// under `when_required` when the client sends `x-amz-checksum-mode: ENABLED`): a mismatch
/// breaks the body off before its end.
pub async fn get<C: HttpClient>(
    s3: &S3Call<'_, C>,
    key: &ObjectKey,
    headers: &HeaderMap,
) -> Result<Response<Body>, ApiError> {
    let checked = s3.checksums.check_download(checksum_asked(headers));
    let mut get = GetObject {
        key,
        range: headers.get(header::RANGE),
        conditions: ReadConditions::from_headers(headers),
        checksum_mode: checked,
    };
    let if_range = headers
        .get(header::IF_RANGE)
        .filter(|_| get.range.is_some());
    let mut response = s3
        .send(get.request(&s3.bucket), Payload::Bytes(b""), Body::Empty)
        .await?;
    let stale = match (if_range, response.status().as_u16()) {
        (Some(validator), 206) => !if_range_holds(validator, response.headers()),
        // S3's 416 names no version: ask which one the range was refused for. The client's
        // own: the 416 stands; another: the range does not apply.
        (Some(validator), 416) => {
            !if_range_holds(validator, &s3.call(&HeadObject::of(key)).await?.headers)
        }
        _ => false,
    };
    if stale {
        // The range's answer is dropped unread; the whole object is the answer instead.
        get.range = None;
        response = s3
            .send(get.request(&s3.bucket), Payload::Bytes(b""), Body::Empty)
            .await?;
    }
    let (parts, body) = response.into_parts();
    match ObjectHead::from_parts(parts.status, &parts.headers) {
        Some(head) => {
            let body = verify::checked(body, head.status, &parts.headers, checked);
            Ok(object_response(head, body))
        }
        None => Err(s3.error_of(Response::from_parts(parts, body)).await.into()),
    }
}

/// `HEAD /objects/{key}`: the headers GET would answer (the stored checksum included, under
/// the same policy), no body; the client's read conditions are S3's to judge, as on GET.
pub async fn head<C: HttpClient>(
    s3: &S3Call<'_, C>,
    key: &ObjectKey,
    headers: &HeaderMap,
) -> Result<Response<Body>, ApiError> {
    let head = HeadObject {
        key,
        conditions: ReadConditions::from_headers(headers),
        checksum_mode: s3.checksums.check_download(checksum_asked(headers)),
    };
    Ok(object_response(s3.call(&head).await?, Body::Empty))
}

/// The client asked for the object's checksum (`x-amz-checksum-mode: ENABLED`).
fn checksum_asked(headers: &HeaderMap) -> bool {
    headers
        .get("x-amz-checksum-mode")
        .is_some_and(|mode| mode.as_bytes().eq_ignore_ascii_case(b"ENABLED"))
}

fn invalid_condition(message: &str) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_condition",
        message: message.to_owned(),
    }
}

/// The condition a client put on a write, for S3 to judge: `If-None-Match: *` (create only)
/// or `If-Match: <etag>` (replace only that version). `allowed` names the headers the route
/// takes, so a condition it would ignore is refused rather than silently dropped.
pub(super) fn write_condition<'h>(
    headers: &'h HeaderMap,
    allowed: &[HeaderName],
) -> Result<Option<WriteCondition<'h>>, ApiError> {
    let value = |name: &HeaderName| -> Result<Option<&'h str>, ApiError> {
        let Some(value) = headers.get(name) else {
            return Ok(None);
        };
        if !allowed.contains(name) {
            return Err(invalid_condition(&format!(
                "this route does not take {name}"
            )));
        }
        value
            .to_str()
            .map(|v| Some(v.trim()))
            .map_err(|_| invalid_condition(&format!("{name} must be visible ASCII")))
    };
    match (value(&header::IF_MATCH)?, value(&header::IF_NONE_MATCH)?) {
        (Some(_), Some(_)) => Err(invalid_condition(
            "send one of If-Match and If-None-Match, not both",
        )),
        (Some(etag), None) => Ok(Some(WriteCondition::Matches(etag))),
        (None, Some("*")) => Ok(Some(WriteCondition::Absent)),
        (None, Some(_)) => Err(invalid_condition(
            "If-None-Match on a write takes only * (create the object only if it does not exist)",
        )),
        (None, None) => Ok(None),
    }
}

/// `DELETE /objects/{key}`: 204; with `If-Match: <etag>`, only if that is the object's ETag
/// (412 otherwise).
pub async fn delete<C: HttpClient>(
    s3: &S3Call<'_, C>,
    key: &ObjectKey,
    headers: &HeaderMap,
) -> Result<Response<Body>, ApiError> {
    let if_match = match write_condition(headers, &[header::IF_MATCH])? {
        Some(WriteCondition::Matches(etag)) => Some(etag),
        _ => None,
    };
    let delete = DeleteObject { key, if_match };
    s3.call(&delete).await?;
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}

/// The headers of a client's PUT stored with the object.
type Stored<'h> = (
    Option<&'h HeaderValue>,
    Vec<(&'h HeaderName, &'h HeaderValue)>,
);

/// The `Content-Type`, `x-amz-meta-*` and [`STORED_HEADERS`] of a client's PUT, stored with
/// the object, `Content-Encoding: identity` (no coding) left out.
///
/// # Errors
/// `400 invalid_header` for a value S3 would not take as sent: one that is not printable ASCII
/// (S3 signs what it reads as ASCII, so the upload would fail its signature; RFC 6266's
/// `filename*=UTF-8''...` carries other file names), a `Content-Encoding` naming
/// `aws-chunked` (a framing spinlift does not decode, so its bytes would be stored), an
/// `Expires` that is not an HTTP date.
fn stored_headers(headers: &HeaderMap) -> Result<Stored<'_>, ApiError> {
    let invalid = |name: &HeaderName, why: &str| ApiError::BadRequest {
        code: "invalid_header",
        message: format!("{name} {why}"),
    };
    let mut metadata = Vec::new();
    for (name, value) in headers {
        let stored = name.as_str().starts_with("x-amz-meta-") || STORED_HEADERS.contains(name);
        if !stored && name != header::CONTENT_TYPE {
            continue;
        }
        let Some(text) = value.to_str().ok().filter(|t| !t.contains('\t')) else {
            return Err(invalid(name, "must be printable ASCII (spaces, no tabs)"));
        };
        if name == header::CONTENT_ENCODING {
            let codings = text.split(',').map(str::trim);
            if codings
                .clone()
                .any(|c| c.eq_ignore_ascii_case("aws-chunked"))
            {
                return Err(invalid(name, "must not name aws-chunked"));
            }
            if codings.clone().all(|c| c.eq_ignore_ascii_case("identity")) {
                continue;
            }
        }
        if name == header::EXPIRES && SigningTime::parse_http_date(text).is_none() {
            return Err(invalid(
                name,
                "must be an HTTP date (Sun, 06 Nov 1994 08:49:37 GMT)",
            ));
        }
        if stored {
            metadata.push((name, value));
        }
    }
    Ok((headers.get(header::CONTENT_TYPE), metadata))
}

/// What a client's upload says about its own bytes.
#[derive(Debug, Default, PartialEq, Eq)]
struct ClientChecksum<'h> {
    content_md5: Option<&'h HeaderValue>,
    /// The algorithm to compute: the one of the client's value, the one it asked for
    /// (`x-amz-sdk-checksum-algorithm`, `x-amz-checksum-algorithm`), or the policy's.
    algorithm: Option<ChecksumAlgorithm>,
    /// The client's value of the whole body (`x-amz-checksum-<algo>`).
    value: Option<&'h str>,
}

/// Reads `Content-MD5` and one `x-amz-checksum-<algo>` (or a requested algorithm) from an
/// upload's headers. Under `s3_checksums = off` a client's checksum is refused, not dropped.
fn client_checksum(
    headers: &HeaderMap,
    policy: ChecksumPolicy,
) -> Result<ClientChecksum<'_>, ApiError> {
    let mut found = ClientChecksum {
        content_md5: headers.get("content-md5"),
        ..ClientChecksum::default()
    };
    for (name, value) in headers {
        let name = name.as_str();
        let Some(algo) = name.strip_prefix("x-amz-checksum-") else {
            continue;
        };
        if ["algorithm", "type", "mode"].contains(&algo) {
            continue;
        }
        let algorithm = ChecksumAlgorithm::from_header(name).ok_or_else(|| {
            invalid_checksum(format!(
                "{name} is not taken: send x-amz-checksum-crc64nvme, -crc32c, -crc32 or -sha256"
            ))
        })?;
        if found.value.is_some() {
            return Err(invalid_checksum(
                "send one x-amz-checksum-<algorithm> header".to_owned(),
            ));
        }
        // Checked here, before any byte is read: over the multipart threshold nothing else
        // would judge it until the whole body had been uploaded.
        let value = value
            .to_str()
            .ok()
            .filter(|value| algorithm.is_well_formed(value))
            .ok_or_else(|| {
                invalid_checksum(format!(
                    "{name} must be the base64 of a {}-byte {}",
                    algorithm.byte_len(),
                    algorithm.name()
                ))
            })?;
        found.algorithm = Some(algorithm);
        found.value = Some(value);
    }
    for name in ["x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm"] {
        let Some(value) = headers.get(name) else {
            continue;
        };
        let asked = value
            .to_str()
            .ok()
            .and_then(ChecksumAlgorithm::from_name)
            .ok_or_else(|| {
                invalid_checksum(format!("{name} must be CRC64NVME, CRC32C, CRC32 or SHA256"))
            })?;
        if found.algorithm.is_some_and(|algorithm| algorithm != asked) {
            return Err(invalid_checksum(format!(
                "{name} names another algorithm than the checksum sent"
            )));
        }
        found.algorithm = Some(asked);
    }
    if found.algorithm.is_some() && policy.mode == ChecksumMode::Off {
        return Err(invalid_checksum(
            "this deployment's store takes no checksums (s3_checksums = off): send the body without x-amz-checksum-* (Content-MD5 is taken)".to_owned(),
        ));
    }
    found.algorithm = found.algorithm.or(policy.upload());
    Ok(found)
}

fn content_length(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(header::CONTENT_LENGTH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or_else(|| ApiError::BadRequest {
            code: "invalid_content_length",
            message: "content-length must be a whole number of bytes".to_owned(),
        })
}

/// `PUT /objects/{key}`: 201 `{"key","etag","size"}`. A known length up to `threshold` bytes
/// streams straight to S3 as one PUT; anything else goes as a multipart upload of buffered,
/// hashed parts (each sent while the next is read), which is aborted if any step fails, so no
/// partial object is ever left behind. `If-None-Match: *` or `If-Match: <etag>` go to S3 with
/// the PUT or the completion, and a write whose condition fails stores nothing (412).
///
/// A checksum goes with the bytes (read by `client_checksum`): the client's `x-amz-checksum-<algo>`
/// (S3 judges it; for a multipart upload spinlift does, before completing) or, under
/// `s3_checksums = when_supported`, one computed as the body streams and sent as the signed
/// trailer (single PUT) or with each part and the completion. `Content-MD5` is passed on for
/// a single PUT.
pub async fn put<C: HttpClient>(
    s3: &S3Call<'_, C>,
    key: &ObjectKey,
    headers: &HeaderMap,
    body: Body,
    threshold: u64,
) -> Result<Response<Body>, ApiError> {
    let (content_type, metadata) = stored_headers(headers)?;
    let condition = write_condition(headers, &[header::IF_MATCH, header::IF_NONE_MATCH])?;
    let checksum = client_checksum(headers, s3.checksums)?;
    let (etag, size) = match content_length(headers)? {
        // Refused before any byte is read: S3 would take 10,000 parts of it, then no more.
        Some(size) if size > upload::MAX_PARTS_BYTES => {
            return Err(ApiError::PayloadTooLarge(upload::MAX_PARTS_BYTES))
        }
        Some(size) if size <= threshold => {
            let value = match (checksum.algorithm, checksum.value) {
                (Some(algorithm), Some(value)) => Some(ChecksumValue::Header(algorithm, value)),
                (Some(algorithm), None) => Some(ChecksumValue::Trailer(algorithm)),
                (None, _) => None,
            };
            let put = PutObject {
                key,
                content_length: size,
                content_type,
                metadata,
                condition,
                integrity: Integrity {
                    content_md5: checksum.content_md5,
                    checksum: value,
                },
            };
            (s3.call_streamed(&put, body).await?.etag, size)
        }
        _ if checksum.content_md5.is_some() => {
            return Err(invalid_checksum(
                "Content-MD5 is taken on uploads of known length up to s3_multipart_threshold_mib; send x-amz-checksum-crc64nvme with larger ones".to_owned(),
            ))
        }
        _ => {
            let integrity = UploadIntegrity {
                algorithm: checksum.algorithm,
                expected: checksum.value,
            };
            upload::put_in_parts(s3, key, content_type, metadata, condition, integrity, body)
                .await?
        }
    };
    let mut response = json_response(
        StatusCode::CREATED,
        &json!({"key": key.as_str(), "etag": etag, "size": size}),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    Ok(response)
}

/// `POST /objects/{key}/copy` with `{"to": key}`: 201 `{"key","etag"}`. `If-Match: <etag>`
/// is a condition on the object the URL names, the source: copy only that version (412
/// otherwise). Sources over `threshold` bytes are copied in parts ([`copy::copy_object`]).
pub async fn copy<C: HttpClient>(
    s3: &S3Call<'_, C>,
    from: &ObjectKey,
    headers: &HeaderMap,
    body: Body,
    threshold: u64,
) -> Result<Response<Body>, ApiError> {
    let source_etag = match write_condition(headers, &[header::IF_MATCH])? {
        Some(WriteCondition::Matches(etag)) => Some(etag),
        _ => None,
    };
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct CopyRequest {
        to: String,
    }
    let request: CopyRequest =
        super::read_json(body, MAX_JSON_BYTES, r#"{"to": "<destination key>"}"#).await?;
    let to = ObjectKey::new(request.to)?;
    let etag = copy::copy_object(s3, from, &to, source_etag, threshold).await?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"key": to.as_str(), "etag": etag}),
    ))
}

/// `GET /objects?prefix=&delimiter=&cursor=&limit=`: one page of the listing.
pub async fn list<C: HttpClient>(
    s3: &S3Call<'_, C>,
    query: Option<&str>,
) -> Result<Response<Body>, ApiError> {
    let params = super::query_params(query.unwrap_or(""))?;
    let get = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let limit = match get("limit") {
        None => None,
        Some(text) => Some(
            text.parse::<u32>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| ApiError::BadRequest {
                    code: "invalid_limit",
                    message: "limit must be a whole number from 1 to 1000".to_owned(),
                })?,
        ),
    };
    // No key is longer than 1024 bytes, so neither is a prefix that matches one.
    let bounds = [
        ("prefix", "invalid_prefix", MAX_KEY_BYTES),
        ("delimiter", "invalid_delimiter", MAX_KEY_BYTES),
        ("cursor", "invalid_cursor", MAX_CONTINUATION_TOKEN_BYTES),
    ];
    for (name, code, max) in bounds {
        if get(name).is_some_and(|value| value.len() > max) {
            return Err(ApiError::BadRequest {
                code,
                message: format!("{name} must be at most {max} bytes"),
            });
        }
    }
    let list = ListObjectsV2 {
        prefix: get("prefix"),
        delimiter: get("delimiter"),
        continuation_token: get("cursor"),
        max_keys: limit,
    };
    let page = s3.call(&list).await?;
    let objects: Vec<_> = page
        .objects
        .iter()
        .map(|o| json!({"key": o.key, "size": o.size, "etag": o.etag, "last_modified": o.last_modified}))
        .collect();
    let prefixes: Vec<&str> = page.prefixes().collect();
    let next_cursor = page
        .next_continuation_token
        .as_deref()
        .filter(|_| page.is_truncated);
    Ok(json_response(
        StatusCode::OK,
        &json!({"objects": objects, "prefixes": prefixes, "next_cursor": next_cursor}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_decoded_once_and_validated() {
        assert_eq!(
            parse_key("a%2Fb%20c+d%252F").unwrap().as_str(),
            "a/b c+d%2F"
        );
        assert_eq!(parse_key("dir//./..%2F/").unwrap().as_str(), "dir//./..//");
        for bad in ["", "%ff", &"k".repeat(1025)] {
            let err = parse_key(bad).unwrap_err();
            assert_eq!(
                (err.status(), err.code()),
                (StatusCode::BAD_REQUEST, "invalid_key"),
                "{bad}"
            );
        }
    }

    #[test]
    fn content_length_must_be_a_number() {
        let mut headers = HeaderMap::new();
        assert_eq!(content_length(&headers).unwrap(), None);
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("12"));
        assert_eq!(content_length(&headers).unwrap(), Some(12));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("-1"));
        assert_eq!(
            content_length(&headers).unwrap_err().code(),
            "invalid_content_length"
        );
    }
}
