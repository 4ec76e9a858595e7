//! `POST /presign`: a presigned S3 URL for one object, for clients that up- or download directly.

use crate::body::Body;
use crate::client::s3::S3Call;
use crate::error::{json_response, ApiError};
use crate::outbound::HttpClient;
use crate::s3::{ObjectKey, PresignMethod, PresignObject};
use crate::sigv4::{SigningTime, MAX_PRESIGN_EXPIRES_SECS};
use http::{Response, StatusCode};
use serde_json::json;

const EXPECTED: &str =
    r#"{"key": "<object key>", "method": "GET" or "PUT", "expires_in": <seconds>}"#;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PresignRequest {
    key: String,
    method: String,
    expires_in: u64,
}

/// `{"key","method","expires_in"}` → `{"url","method","expires_at"}` (RFC 3339 UTC).
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
    if !(1..=MAX_PRESIGN_EXPIRES_SECS).contains(&request.expires_in) {
        return Err(ApiError::BadRequest {
            code: "invalid_expires_in",
            message: format!(
                "expires_in must be from 1 to {MAX_PRESIGN_EXPIRES_SECS} seconds (7 days)"
            ),
        });
    }
    // An assumed role's session signs the URL: it stops working when the session ends.
    let remaining = s3
        .credentials_expire_at
        .map(|end| end.saturating_sub(s3.now().unix_seconds()).max(1));
    let presign = PresignObject {
        key: &key,
        method,
        expires_in: remaining.map_or(request.expires_in, |r| r.min(request.expires_in)),
    };
    // The range was checked above, so the signer has nothing left to refuse.
    let (url, expires_at) = presign
        .url(&s3.bucket, s3.signer(), s3.now())
        .map_err(|err| ApiError::Internal(err.to_string()))?;
    let expires_at = SigningTime::from_unix_seconds(expires_at)
        .rfc3339()
        .to_string();
    Ok(json_response(
        StatusCode::OK,
        &json!({"url": url, "method": method.as_str(), "expires_at": expires_at}),
    ))
}
