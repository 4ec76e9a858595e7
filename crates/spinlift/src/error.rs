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
use crate::aws::AwsError;
use crate::body::Body;
use crate::client::upload::UploadError;
use crate::client::ClientError;
use crate::config::{ConfigError, ConfigErrorKind};
use crate::indexer::IndexError;
use crate::outbound::{TransportError, TransportErrorKind};
use crate::s3::{KeyError, S3ErrorKind};
use crate::sigv4::SigningErrorKind;

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
    MethodNotAllowed(std::borrow::Cow<'static, str>),
    /// The request is malformed: 400 with a specific code and a message saying what to send.
    BadRequest {
        /// A stable code, e.g. `invalid_key`.
        code: &'static str,
        /// What is wrong and what is expected.
        message: String,
    },
    /// The request body is larger than the route accepts: 413.
    PayloadTooLarge(u64),
    /// The request is authenticated but what it carries is not trusted (403), e.g. an SNS
    /// message whose signature does not verify.
    Forbidden {
        /// Stable machine-readable code.
        code: &'static str,
        /// What was refused and why.
        message: String,
    },
    /// A non-S3 peer (SNS) failed or could not be reached (502). The message is ours, never
    /// the peer's, and holds no URL query (SNS tokens travel there).
    BadGateway {
        /// Stable machine-readable code, or the peer's error code.
        code: String,
        /// What failed.
        message: String,
    },
    /// Another AWS service (DynamoDB, SQS, SNS, STS) answered with an error: 502 with the AWS
    /// code and request id; the service's own message is neither sent nor logged (it may echo
    /// configuration), except ours for an answer that could not be read.
    Aws {
        /// The service's signing name, e.g. `dynamodb`.
        service: &'static str,
        /// What it answered.
        error: crate::aws::AwsError,
    },
    /// S3 answered with an error: its code, mapped to 404/409/412/416, 400/413 for the client's
    /// own input, else 502.
    Upstream(AwsError),
    /// S3 could not be reached: 504 on timeout, 400 when the client's upload broke off, else 502.
    Transport(TransportError),
    /// A fault of spinlift itself: 500, code `internal`; the detail goes to the log only.
    Internal(String),
    /// A route of the app's own failed with its own error: the status, code and message it
    /// says (see `crate::app::HttpError`); a 5xx is logged.
    Handler {
        /// The status the handler's error names.
        status: StatusCode,
        /// Its code.
        code: String,
        /// Its message.
        message: String,
    },
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
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::BadGateway { .. } | ApiError::Aws { .. } => StatusCode::BAD_GATEWAY,
            ApiError::Upstream(err) => match err.s3_kind() {
                S3ErrorKind::NotFound => StatusCode::NOT_FOUND,
                S3ErrorKind::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
                S3ErrorKind::Conflict => StatusCode::CONFLICT,
                S3ErrorKind::InvalidRange => StatusCode::RANGE_NOT_SATISFIABLE,
                S3ErrorKind::ClientInput => StatusCode::BAD_REQUEST,
                S3ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::BAD_GATEWAY,
            },
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Handler { status, .. } => *status,
            ApiError::Transport(err) => match err.kind {
                TransportErrorKind::Timeout => StatusCode::GATEWAY_TIMEOUT,
                TransportErrorKind::RequestBody => StatusCode::BAD_REQUEST,
                _ => StatusCode::BAD_GATEWAY,
            },
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
            ApiError::Forbidden { code, .. } => code,
            ApiError::BadGateway { code, .. } => code,
            ApiError::Aws { error, .. } => &error.code,
            // The AWS error code itself, e.g. `NoSuchKey`, so clients can match on it.
            ApiError::Upstream(err) => &err.code,
            ApiError::Internal(_) => "internal",
            ApiError::Handler { code, .. } => code,
            ApiError::Transport(err) => match err.kind {
                TransportErrorKind::Timeout => "upstream_timeout",
                TransportErrorKind::Denied => "outbound_denied",
                TransportErrorKind::RequestBody => "incomplete_body",
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
            ApiError::BadRequest { message, .. }
            | ApiError::Forbidden { message, .. }
            | ApiError::BadGateway { message, .. }
            | ApiError::Handler { message, .. } => message.clone(),
            ApiError::Aws { service, error } => format!("{service} answered {error}"),
            ApiError::PayloadTooLarge(limit) => {
                format!("the request body is larger than {limit} bytes")
            }
            // S3's own words only when they are about the client's input; for our side's
            // failures a store may echo configuration (key ids, bucket, region): log only.
            ApiError::Upstream(err) => {
                let mut message = match self.status().is_client_error() && !err.message.is_empty() {
                    true => format!("s3 answered {} {}: {}", err.status, err.code, err.message),
                    false => format!("s3 answered {} {}", err.status, err.code),
                };
                if let Some(id) = &err.request_id {
                    message.push_str(&format!(" (request id {id})"));
                }
                message
            }
            ApiError::Internal(_) => "spinlift failed; the log says why".to_owned(),
            ApiError::Transport(err) => match err.kind {
                TransportErrorKind::Timeout => "the AWS endpoint did not answer in time".to_owned(),
                TransportErrorKind::Denied => {
                    "the AWS endpoint is not in allowed_outbound_hosts".to_owned()
                }
                TransportErrorKind::RequestBody => "the request body broke off".to_owned(),
                _ => "the AWS endpoint could not be reached".to_owned(),
            },
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
            // The code and request id, never S3's message: a store may echo a key id there.
            // Ours, for an answer that broke off or could not be read, says why.
            ApiError::Upstream(error) if self.status().is_server_error() => {
                Some(if error.is_own() {
                    format!("upstream error: {}: {}", self.message(), error.message)
                } else {
                    format!("upstream error: {}", self.message())
                })
            }
            ApiError::Internal(detail) => Some(format!("internal error: {detail}")),
            ApiError::Handler {
                status,
                code,
                message,
            } if status.is_server_error() => Some(format!(
                "handler error: {} {code}: {message}",
                status.as_u16()
            )),
            ApiError::BadGateway { code, message } => {
                Some(format!("upstream error: {code}: {message}"))
            }
            ApiError::Aws { service, error } => Some(if error.is_own() {
                format!(
                    "upstream error: {service} answered {error}: {}",
                    error.message
                )
            } else {
                format!("upstream error: {service} answered {error}")
            }),
            ApiError::Transport(err) if self.status().is_server_error() => {
                Some(format!("upstream error: {} ({err})", self.code()))
            }
            _ => None,
        }
    }

    /// The HTTP answer: status, JSON body, and any header the status calls for.
    pub fn into_response(self) -> Response<Body> {
        let body = json!({"error": {"code": self.code(), "message": self.message()}});
        let mut response = json_response(self.status(), &body);
        // A 401 names its scheme (RFC 9110, 15.5.2), a handler's own included.
        if response.status() == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // Method names are tokens, always a valid header value.
        if let ApiError::MethodNotAllowed(allow) = self {
            if let Ok(allow) = HeaderValue::from_str(&allow) {
                response.headers_mut().insert(header::ALLOW, allow);
            }
        }
        response
    }
}

impl std::fmt::Display for ApiError {
    /// The message clients see.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
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

impl From<KeyError> for ApiError {
    fn from(err: KeyError) -> Self {
        ApiError::BadRequest {
            code: "invalid_key",
            message: err.to_string(),
        }
    }
}

impl From<ClientError> for ApiError {
    /// S3's errors keep their meaning for the client (404, 412, 416, its own input); the other
    /// services' are ours (502); an answer that broke off is the service's failure (502).
    fn from(err: ClientError) -> Self {
        match err {
            ClientError::Config(err) => ApiError::Config(err),
            // Only the client's headers (Range, Content-Type, x-amz-meta-*) can be unsignable.
            ClientError::Signing(err) if err.kind() == SigningErrorKind::InvalidHeader => {
                ApiError::BadRequest {
                    code: "invalid_header",
                    message: err.to_string(),
                }
            }
            ClientError::Signing(err) => ApiError::Internal(err.to_string()),
            ClientError::Transport(err) => ApiError::Transport(err),
            ClientError::Service {
                service: "s3",
                error,
            } => ApiError::Upstream(error),
            ClientError::Service { service, error } => ApiError::Aws { service, error },
            ClientError::OwnInputRefused(error) => ApiError::Aws {
                service: "s3",
                error,
            },
            ClientError::BrokenAnswer {
                service: "s3",
                reason,
                ..
            } => ApiError::Upstream(AwsError {
                status: 502,
                code: AwsError::INCOMPLETE_RESPONSE.to_owned(),
                message: format!("the store's answer broke off: {reason}"),
                request_id: None,
            }),
            ClientError::BrokenAnswer {
                service,
                status,
                reason,
            } => ApiError::Aws {
                service,
                error: AwsError::malformed(
                    http::StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
                    reason,
                ),
            },
        }
    }
}

impl From<IndexError> for ApiError {
    fn from(err: IndexError) -> Self {
        match err {
            IndexError::Client(err) => err.into(),
            IndexError::Conflict { attempts } => ApiError::BadGateway {
                code: "manifest_conflict".into(),
                message: format!(
                    "the manifest changed under {attempts} concurrent writes; a redelivery will retry"
                ),
            },
            IndexError::Manifest(err) => ApiError::Internal(err.to_string()),
        }
    }
}

impl From<UploadError> for ApiError {
    fn from(err: UploadError) -> Self {
        match err {
            UploadError::Body(err) => ApiError::BadRequest {
                code: "incomplete_body",
                message: format!("the request body could not be read: {err}"),
            },
            UploadError::TooLarge { limit } => ApiError::PayloadTooLarge(limit),
            UploadError::Client(err) => err.into(),
            // S3's own code for a body that is not the one its checksum describes.
            UploadError::Mismatch { .. } => ApiError::BadRequest {
                code: "BadDigest",
                message: err.to_string(),
            },
        }
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
            ApiError::Upstream(AwsError {
                status,
                code: code.into(),
                message: String::new(),
                request_id: Some("R1".into()),
            })
        };
        for (err, status, logged) in [
            (s3(404, "NoSuchKey"), 404, false),
            (s3(412, "PreconditionFailed"), 412, false),
            (s3(409, "ConditionalRequestConflict"), 409, false),
            (s3(416, "InvalidRange"), 416, false),
            (s3(403, "SignatureDoesNotMatch"), 502, true),
            (s3(404, "NoSuchBucket"), 502, true),
            (s3(503, "SlowDown"), 502, true),
            (s3(400, "MetadataTooLarge"), 400, false),
            (s3(400, "EntityTooLarge"), 413, false),
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
        let leaky = ApiError::Upstream(AwsError {
            status: 403,
            code: "InvalidAccessKeyId".into(),
            message: "The access key AKIDLEAKY does not exist".into(),
            request_id: None,
        });
        assert_eq!(leaky.message(), "s3 answered 403 InvalidAccessKeyId");
        assert!(!leaky.log_line().unwrap().contains("AKIDLEAKY"));
        // An answer spinlift could not take: the reason is its own, and logged.
        let broken = ApiError::from(ClientError::BrokenAnswer {
            service: "s3",
            status: 200,
            reason: crate::body::BodyError::io("the checksum of the bytes read does not match"),
        });
        assert_eq!(broken.code(), "IncompleteResponse");
        assert!(
            !broken.message().contains("checksum"),
            "{}",
            broken.message()
        );
        assert!(broken.log_line().unwrap().ends_with(
            ": the store's answer broke off: the checksum of the bytes read does not match"
        ));
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
