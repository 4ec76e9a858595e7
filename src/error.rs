//! The one mapping from error kinds to HTTP answers.
//!
//! Every failure a client can see is an [`ApiError`]. Its status, its stable
//! machine-readable `code` and its lowercase `message` are decided here and
//! nowhere else, and every error body has the same shape:
//!
//! ```json
//! {"error":{"code":"config","message":"variable s3_bucket is not set"}}
//! ```

use http::{header, HeaderValue, Response, StatusCode};
use serde_json::json;

use crate::auth::AuthError;
use crate::body::Body;
use crate::config::{ConfigError, ConfigErrorKind};
use crate::outbound::{TransportError, TransportErrorKind};
use crate::s3::{S3Error, S3ErrorKind};

/// An error answered to the client.
#[derive(Debug)]
#[non_exhaustive]
pub enum ApiError {
    /// The component is misconfigured: 500, code `config`.
    Config(ConfigError),
    /// Missing or wrong credentials: 401, code `unauthorized`, `WWW-Authenticate: Bearer`.
    Unauthorized(AuthError),
    /// No route for this method and path: 404, code `not_found`.
    NotFound,
    /// The path exists but not for this method: 405, code `method_not_allowed`, `Allow`.
    MethodNotAllowed(&'static str),
    /// The request is malformed: 400 with a specific code and a message saying what to send.
    BadRequest {
        /// A stable code, e.g. `invalid_key`.
        code: &'static str,
        /// What is wrong and what is expected.
        message: String,
    },
    /// The request body is larger than the route accepts: 413.
    PayloadTooLarge(usize),
    /// S3 answered with an error: its code, mapped to 404/412/416, else 502.
    Upstream(S3Error),
    /// S3 could not be reached: 504 on timeout, else 502.
    Transport(TransportError),
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Upstream(err) => match err.kind() {
                S3ErrorKind::NotFound => StatusCode::NOT_FOUND,
                S3ErrorKind::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
                S3ErrorKind::InvalidRange => StatusCode::RANGE_NOT_SATISFIABLE,
                _ => StatusCode::BAD_GATEWAY,
            },
            ApiError::Transport(err) if err.kind == TransportErrorKind::Timeout => {
                StatusCode::GATEWAY_TIMEOUT
            }
            ApiError::Transport(_) => StatusCode::BAD_GATEWAY,
        }
    }

    /// The stable error code clients can match on.
    pub fn code(&self) -> &str {
        match self {
            ApiError::Config(_) => "config",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::BadRequest { code, .. } => code,
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            // The AWS error code itself, e.g. `NoSuchKey`, so clients can match on it.
            ApiError::Upstream(err) => &err.code,
            ApiError::Transport(err) => match err.kind {
                TransportErrorKind::Timeout => "upstream_timeout",
                TransportErrorKind::Denied => "outbound_denied",
                _ => "upstream_unreachable",
            },
        }
    }

    /// The message sent to the client: never a secret, never a provider's detail.
    pub fn message(&self) -> String {
        match self {
            ApiError::Config(err) => err.to_string(),
            // One message for every auth failure: don't tell a prober which part was wrong.
            ApiError::Unauthorized(_) => "a valid bearer token is required".to_owned(),
            ApiError::NotFound => "no such route".to_owned(),
            ApiError::MethodNotAllowed(allow) => format!("this route accepts {allow}"),
            ApiError::BadRequest { message, .. } => message.clone(),
            ApiError::PayloadTooLarge(limit) => {
                format!("the request body is larger than {limit} bytes")
            }
            ApiError::Upstream(err) => match &err.request_id {
                Some(id) => format!("{err} (request id {id})"),
                None => err.to_string(),
            },
            ApiError::Transport(err) => format!("s3 could not be reached: {err}"),
        }
    }

    /// The operator's log line for server-side errors (`None` for client errors).
    ///
    /// It may carry more than the client sees (a provider's reason) but, like the
    /// message, never a variable's value.
    pub fn log_line(&self) -> Option<String> {
        match self {
            ApiError::Config(err) => Some(match err.kind() {
                ConfigErrorKind::Unreadable(reason) => format!("config error: {err}: {reason}"),
                _ => format!("config error: {err}"),
            }),
            ApiError::Upstream(_) | ApiError::Transport(_) if self.status().is_server_error() => {
                Some(format!(
                    "upstream error: {} {}",
                    self.code(),
                    self.message()
                ))
            }
            _ => None,
        }
    }

    /// The HTTP answer: status, JSON body, and any header the status calls for.
    pub fn into_response(self) -> Response<Body> {
        let body = json!({"error": {"code": self.code(), "message": self.message()}});
        let mut response = json_response(self.status(), &body);
        match self {
            ApiError::Unauthorized(_) => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::MethodNotAllowed(allow) => {
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            _ => {}
        }
        response
    }
}

impl From<ConfigError> for ApiError {
    fn from(err: ConfigError) -> Self {
        ApiError::Config(err)
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        ApiError::Unauthorized(err)
    }
}

impl From<S3Error> for ApiError {
    fn from(err: S3Error) -> Self {
        ApiError::Upstream(err)
    }
}

impl From<TransportError> for ApiError {
    fn from(err: TransportError) -> Self {
        ApiError::Transport(err)
    }
}

/// A response with a JSON body and `content-type: application/json`.
pub fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    let mut response = Response::new(Body::Bytes(body.to_string().into_bytes()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{api_token, Variables};
    use std::collections::BTreeMap;

    fn body(response: &Response<Body>) -> &str {
        match response.body() {
            Body::Bytes(bytes) => std::str::from_utf8(bytes).unwrap(),
            other => panic!("not a JSON body: {other:?}"),
        }
    }

    #[test]
    fn config_error_is_a_500_naming_the_variable() {
        let vars: &dyn Variables = &BTreeMap::new();
        let err = ApiError::from(api_token(vars).unwrap_err());
        assert_eq!(
            err.log_line().as_deref(),
            Some("config error: variable api_token is not set")
        );
        let response = err.into_response();
        assert_eq!(response.status(), 500);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(
            body(&response),
            r#"{"error":{"code":"config","message":"variable api_token is not set"}}"#
        );
    }

    #[test]
    fn unauthorized_is_a_401_with_a_bearer_challenge() {
        let response = ApiError::from(AuthError::Missing).into_response();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_eq!(
            body(&response),
            r#"{"error":{"code":"unauthorized","message":"a valid bearer token is required"}}"#
        );
    }

    #[test]
    fn s3_codes_map_to_client_statuses_or_502() {
        let s3 = |status: u16, code: &str| {
            ApiError::from(S3Error {
                status,
                code: code.into(),
                message: String::new(),
                request_id: Some("R1".into()),
            })
        };
        for (err, status, logged) in [
            (s3(404, "NoSuchKey"), 404, false),
            (s3(412, "PreconditionFailed"), 412, false),
            (s3(416, "InvalidRange"), 416, false),
            (s3(403, "SignatureDoesNotMatch"), 502, true),
            (s3(404, "NoSuchBucket"), 502, true),
            (s3(503, "SlowDown"), 502, true),
        ] {
            assert_eq!(
                (err.status().as_u16(), err.log_line().is_some()),
                (status, logged),
                "{err:?}"
            );
            let code = err.code().to_owned();
            let response = err.into_response();
            let json: serde_json::Value = serde_json::from_str(body(&response)).unwrap();
            assert_eq!(json["error"]["code"], code);
            assert!(json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("request id R1"));
        }
        let timeout = TransportError {
            kind: TransportErrorKind::Timeout,
            message: "no answer".into(),
        };
        assert_eq!(
            ApiError::from(timeout).status(),
            StatusCode::GATEWAY_TIMEOUT
        );
    }

    #[test]
    fn not_found_is_a_404_without_log_line() {
        let err = ApiError::NotFound;
        assert_eq!(err.log_line(), None);
        let response = err.into_response();
        assert_eq!(response.status(), 404);
        assert_eq!(
            body(&response),
            r#"{"error":{"code":"not_found","message":"no such route"}}"#
        );
    }
}
