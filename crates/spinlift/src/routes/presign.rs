//! `POST /presign`: a presigned S3 URL for one object, for clients that up- or download
//! directly; `POST /presign/post`: a signed form for browser uploads straight to the bucket;
//! and `GET /objects/{key}?redirect=1`, a download redirected to a presigned URL.

use super::{asked_algorithm, checksum_of, invalid_checksum};
use crate::body::Body;
use crate::client::s3::S3Call;
use crate::error::{json_response, ApiError};
use crate::outbound::HttpClient;
use crate::s3::{ChecksumAlgorithm, ObjectKey, PostKey, PostPolicy, PresignMethod, PresignObject};
use crate::sigv4::{SigningTime, MAX_PRESIGN_EXPIRES_SECS};
use http::{Response, StatusCode};
use serde_json::json;

const EXPECTED: &str = r#"{"key": "<object key>", "method": "GET" or "PUT", "expires_in": <seconds>, "checksum_algorithm": "<optional, PUT: CRC64NVME, CRC32C, CRC32 or SHA256>", "checksum": "<with it: the body's, base64>"}"#;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PresignRequest {
    key: String,
    method: String,
    expires_in: u64,
    checksum_algorithm: Option<String>,
    checksum: Option<String>,
}

/// How long presigned URLs are valid when the client does not say.
pub const DEFAULT_EXPIRES_IN: u64 = 3600;

/// The validity a client asked for (or [`DEFAULT_EXPIRES_IN`]), if a presigned URL may have it.
///
/// # Errors
/// 400 `invalid_expires_in` outside 1 second to 7 days.
pub(super) fn checked_expires_in(asked: Option<u64>) -> Result<u64, ApiError> {
    let expires_in = asked.unwrap_or(DEFAULT_EXPIRES_IN);
    if (1..=MAX_PRESIGN_EXPIRES_SECS).contains(&expires_in) {
        return Ok(expires_in);
    }
    Err(ApiError::BadRequest {
        code: "invalid_expires_in",
        message: format!(
            "expires_in must be from 1 to {MAX_PRESIGN_EXPIRES_SECS} seconds (7 days)"
        ),
    })
}

/// How long a URL asked for `asked` seconds is valid: an assumed role's session signs it, and
/// it stops working when the session ends.
pub(super) fn lifetime<C: HttpClient>(s3: &S3Call<'_, C>, asked: u64) -> u64 {
    let remaining = s3
        .credentials_expire_at
        .map(|end| end.saturating_sub(s3.now().unix_seconds()).max(1));
    remaining.map_or(asked, |r| r.min(asked))
}

/// `{"key","method","expires_in"}` → `{"url","method","expires_at"}` (RFC 3339 UTC). A PUT
/// may name its body's checksum (`checksum_algorithm`, `checksum`): the URL signs it as a
/// header, answered in `"headers"`, which the upload must send.
pub async fn presign<C: HttpClient>(
    s3: &S3Call<'_, C>,
    body: Body,
) -> Result<Response<Body>, ApiError> {
    let request: PresignRequest = super::read_json(body, 16 << 10, EXPECTED).await?;
    let key = ObjectKey::new(request.key)?;
    let method = match request.method.as_str() {
        "GET" => PresignMethod::Get,
        "PUT" => PresignMethod::Put,
        _ => {
            return Err(ApiError::BadRequest {
                code: "invalid_method",
                message: "method must be \"GET\" or \"PUT\"".to_owned(),
            })
        }
    };
    let expires_in = checked_expires_in(Some(request.expires_in))?;
    let checksum = put_checksum(
        s3,
        method,
        request.checksum_algorithm.as_deref(),
        request.checksum.as_deref(),
    )?;
    let presign = PresignObject {
        key: &key,
        method,
        expires_in: lifetime(s3, expires_in),
        checksum,
    };
    // The range was checked above, so the signer has nothing left to refuse.
    let (url, expires_at) = presign
        .url(&s3.bucket, s3.signer(), s3.now())
        .map_err(|err| ApiError::Internal(err.to_string()))?;
    let expires_at = SigningTime::from_unix_seconds(expires_at)
        .rfc3339()
        .to_string();
    let mut answer = json!({"url": url, "method": method.as_str(), "expires_at": expires_at});
    if let Some((name, value)) = presign.header() {
        answer["headers"] = json!({ name: value });
    }
    Ok(json_response(StatusCode::OK, &answer))
}

/// The checksum a presigned PUT is signed with: an algorithm S3 names and a value of its
/// shape, both or neither, for a PUT only, and not where the store takes none.
fn put_checksum<'v, C>(
    s3: &S3Call<'_, C>,
    method: PresignMethod,
    algorithm: Option<&str>,
    value: Option<&'v str>,
) -> Result<Option<(ChecksumAlgorithm, &'v str)>, ApiError> {
    let (algorithm, value) = match (algorithm, value) {
        (None, None) => return Ok(None),
        (Some(algorithm), Some(value)) => (algorithm, value),
        _ => {
            return Err(invalid_checksum(
                "send checksum_algorithm and checksum together".into(),
            ))
        }
    };
    if method != PresignMethod::Put {
        return Err(invalid_checksum("a checksum goes with a PUT".into()));
    }
    let algorithm = asked_algorithm(algorithm, s3.checksums, "presign without one")?;
    checksum_of(algorithm, "the body", value).map(Some)
}

/// How long the URL of a redirected download is valid: long enough to start the download
/// (S3 checks the signature once, at the start), short enough not to be worth keeping.
pub const REDIRECT_EXPIRES_IN: u64 = 300;

/// Whether a GET's query asks for a redirect (`redirect=1`).
pub fn wants_redirect(query: Option<&str>) -> bool {
    crate::router::query_flag(query, "redirect")
}

/// Whether the object is larger than `threshold` bytes, as a HEAD finds it (a missing object
/// is not: the GET that follows answers its 404).
pub async fn larger_than<C: HttpClient>(
    s3: &S3Call<'_, C>,
    key: &ObjectKey,
    threshold: u64,
) -> Result<bool, ApiError> {
    let Some(head) = s3.head(key).await? else {
        return Ok(false);
    };
    Ok(head.content_length().is_some_and(|size| size > threshold))
}

/// `GET /objects/{key}?redirect=1`: `307` to a presigned GET of the object, for downloads
/// larger than a hosted platform lets through an answer. Nothing is read from S3: a missing
/// key is the store's 404 at the URL.
pub async fn redirect<C: HttpClient>(
    s3: &S3Call<'_, C>,
    key: &ObjectKey,
) -> Result<Response<Body>, ApiError> {
    let presign = PresignObject {
        key,
        method: PresignMethod::Get,
        expires_in: lifetime(s3, REDIRECT_EXPIRES_IN),
        checksum: None,
    };
    let (url, _) = presign
        .url(&s3.bucket, s3.signer(), s3.now())
        .map_err(|err| ApiError::Internal(err.to_string()))?;
    let location =
        http::HeaderValue::try_from(url).map_err(|err| ApiError::Internal(err.to_string()))?;
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    response
        .headers_mut()
        .insert(http::header::LOCATION, location);
    // The URL is a credential for a few minutes: no cache keeps it.
    response.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// The largest file one POST may carry (S3's limit for a POST upload).
pub const MAX_POST_BYTES: u64 = 5 << 30;

const EXPECTED_POST: &str = r#"{"key": "<object key>" or "prefix": "<key prefix>", "max_size": <bytes>, "min_size": <optional bytes>, "content_type": "<optional>", "expires_in": <optional seconds>}"#;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PostRequest {
    key: Option<String>,
    prefix: Option<String>,
    content_type: Option<String>,
    max_size: u64,
    min_size: Option<u64>,
    expires_in: Option<u64>,
}

fn invalid_post(message: String) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_post_policy",
        message,
    }
}

/// `POST /presign/post`: `{"url","fields":{...},"expires_at"}`, a form a page posts as
/// `multipart/form-data` to `url` with every field and the file last (field `file`). S3
/// refuses a key outside the policy, a file outside `min_size..=max_size`, another
/// `Content-Type` when one is set, and any post after `expires_at`.
pub async fn post_form<C: HttpClient>(
    s3: &S3Call<'_, C>,
    body: Body,
) -> Result<Response<Body>, ApiError> {
    let request: PostRequest = super::read_json(body, 16 << 10, EXPECTED_POST).await?;
    let exact;
    let key = match (&request.key, &request.prefix) {
        (Some(key), None) => {
            exact = ObjectKey::new(key.clone())?;
            PostKey::Exact(&exact)
        }
        (None, Some(prefix)) => PostKey::Prefix(prefix),
        _ => return Err(invalid_post("send one of key and prefix".to_owned())),
    };
    let min_size = request.min_size.unwrap_or(0);
    if !(1..=MAX_POST_BYTES).contains(&request.max_size) || min_size > request.max_size {
        return Err(invalid_post(format!(
            "max_size must be from 1 to {MAX_POST_BYTES} bytes (5 GiB) and min_size at most max_size"
        )));
    }
    let expires_in = checked_expires_in(request.expires_in)?;
    let policy = PostPolicy {
        key,
        content_type: request.content_type.as_deref(),
        size_range: (min_size, request.max_size),
        expires_in: lifetime(s3, expires_in),
    };
    let form = policy.form(&s3.bucket, s3.signer(), s3.now());
    let fields: serde_json::Map<String, serde_json::Value> = form
        .fields
        .into_iter()
        .map(|(name, value)| (name, serde_json::Value::String(value)))
        .collect();
    let expires_at = SigningTime::from_unix_seconds(form.expires_at)
        .rfc3339()
        .to_string();
    Ok(json_response(
        StatusCode::OK,
        &json!({"url": form.url, "fields": fields, "expires_at": expires_at}),
    ))
}
