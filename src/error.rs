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
use crate::config::{ConfigError, ConfigErrorKind};

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
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::NotFound => StatusCode::NOT_FOUND,
        }
    }

    /// The stable error code clients can match on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Config(_) => "config",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::NotFound => "not_found",
        }
    }

    /// The message sent to the client: never a secret, never a provider's detail.
    pub fn message(&self) -> String {
        match self {
            ApiError::Config(err) => err.to_string(),
            // One message for every auth failure: don't tell a prober which part was wrong.
            ApiError::Unauthorized(_) => "a valid bearer token is required".to_owned(),
            ApiError::NotFound => "no such route".to_owned(),
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
            ApiError::Unauthorized(_) | ApiError::NotFound => None,
        }
    }

    /// The HTTP answer: status, JSON body, and any header the status calls for.
    pub fn into_response(self) -> Response<Vec<u8>> {
        let body = json!({"error": {"code": self.code(), "message": self.message()}});
        let mut response = json_response(self.status(), &body);
        if let ApiError::Unauthorized(_) = self {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
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

/// A response with a JSON body and `content-type: application/json`.
pub fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Vec<u8>> {
    let mut response = Response::new(body.to_string().into_bytes());
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

    fn body(response: &Response<Vec<u8>>) -> &str {
        std::str::from_utf8(response.body()).unwrap()
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
