//! Route handlers: one file per group of routes.
//!
//! A handler receives what it needs (request parts, an
//! [`S3Call`](crate::client::s3::S3Call) with the loaded configuration, client and time) and
//! returns a response or an [`crate::error::ApiError`]; the app ([`crate::app`], with
//! [`crate::router`]) decides which handler runs and what must be checked first.

pub mod events;
pub mod health;
pub mod lambda;
pub mod objects;
pub mod presign;
pub mod sns;
pub mod uploads;

use crate::body::Body;
use crate::config::{ChecksumMode, ChecksumPolicy};
use crate::error::ApiError;
use crate::s3::ChecksumAlgorithm;
use crate::sigv4::percent_decode;
use serde::de::DeserializeOwned;

/// 400 `invalid_checksum`: a checksum that cannot be right, or one this deployment takes none of.
pub(crate) fn invalid_checksum(message: String) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_checksum",
        message,
    }
}

/// The algorithm a request names in `checksum_algorithm`. Refused under `s3_checksums = off`
/// (this deployment's store takes no checksum headers), saying what to send `instead`.
pub(crate) fn asked_algorithm(
    name: &str,
    policy: ChecksumPolicy,
    instead: &str,
) -> Result<ChecksumAlgorithm, ApiError> {
    let algorithm = ChecksumAlgorithm::from_name(name).ok_or_else(|| {
        invalid_checksum("checksum_algorithm must be CRC64NVME, CRC32C, CRC32 or SHA256".into())
    })?;
    match policy.mode {
        ChecksumMode::Off => Err(invalid_checksum(format!(
            "this deployment's store takes no checksums (s3_checksums = off): {instead}"
        ))),
        _ => Ok(algorithm),
    }
}

/// `value`, the checksum of `what`, if it is of `algorithm`'s shape (padded base64 of its
/// bytes). Checked before it is signed into a URL, where S3 would only judge it when the
/// bytes are sent.
pub(crate) fn checksum_of<'v>(
    algorithm: ChecksumAlgorithm,
    what: &str,
    value: &'v str,
) -> Result<(ChecksumAlgorithm, &'v str), ApiError> {
    match algorithm.is_well_formed(value) {
        true => Ok((algorithm, value)),
        false => Err(invalid_checksum(format!(
            "{what}: a {} checksum is the base64 of {} bytes",
            algorithm.name(),
            algorithm.byte_len()
        ))),
    }
}

/// Reads a JSON request body of at most `limit` bytes into `T`.
///
/// # Errors
/// 413 when too large; 400 `invalid_json` naming the `expected` shape otherwise.
pub async fn read_json<T: DeserializeOwned>(
    body: Body,
    limit: usize,
    expected: &str,
) -> Result<T, ApiError> {
    let bytes = read_body(body, limit).await?;
    serde_json::from_slice(&bytes).map_err(|err| ApiError::BadRequest {
        code: "invalid_json",
        message: format!("the body must be JSON like {expected}: {err}"),
    })
}

/// Reads a request body of at most `limit` bytes.
///
/// # Errors
/// 413 when too large; 400 `incomplete_body` when it breaks off.
pub async fn read_body(body: Body, limit: usize) -> Result<Vec<u8>, ApiError> {
    body.collect(limit)
        .await
        .map_err(|err| match err.too_large {
            true => ApiError::PayloadTooLarge(limit as u64),
            false => ApiError::BadRequest {
                code: "incomplete_body",
                message: err.to_string(),
            },
        })
}

/// Decodes a query string form-style (`+` is a space) into name/value pairs.
///
/// # Errors
/// 400 `invalid_query` when a name or value is not UTF-8 once decoded.
pub fn query_params(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    let decode = |text: &str| {
        String::from_utf8(percent_decode(text, true).into_owned()).map_err(|_| {
            ApiError::BadRequest {
                code: "invalid_query",
                message: "the query string is not valid UTF-8 once percent-decoded".to_owned(),
            }
        })
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn query_params_are_form_decoded() {
        let params = query_params("prefix=a+b%2Fc&&cursor=x%3D&flag").unwrap();
        assert_eq!(
            params,
            [
                ("prefix".into(), "a b/c".into()),
                ("cursor".into(), "x=".into()),
                ("flag".into(), String::new())
            ]
        );
        assert_eq!(query_params("p=%ff").unwrap_err().code(), "invalid_query");
    }

    #[test]
    fn json_bodies_are_bounded_and_shaped() {
        #[derive(serde::Deserialize, Debug)]
        struct Shape {
            #[allow(dead_code)]
            to: String,
        }
        let read = |bytes: &[u8], limit| {
            block_on(read_json::<Shape>(
                Body::Bytes(bytes.to_vec()),
                limit,
                r#"{"to": "key"}"#,
            ))
        };
        assert!(read(br#"{"to":"k"}"#, 64).is_ok());
        assert_eq!(
            read(br#"{"to":"k"}"#, 4).unwrap_err().code(),
            "payload_too_large"
        );
        let err = read(b"{nope", 64).unwrap_err();
        assert_eq!(err.code(), "invalid_json");
        assert!(err.message().contains(r#"{"to": "key"}"#));
    }
}
