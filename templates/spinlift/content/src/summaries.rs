//! `GET /summaries/{*key}`: an API route of your own, with its own errors. Each route is a
//! plain async function over `http` types; `cx` gives its path parameters, the app's
//! variables, and S3 and the other AWS services, signed with the app's credentials.

use http::{header, HeaderValue, Request, Response, StatusCode};
use spinlift::app::{HttpError, RouteContext};
use spinlift::body::Body;
use spinlift::client::ClientError;
use spinlift::config::ConfigError;
use spinlift::s3::ObjectKey;
use std::fmt;

/// What the route answers when it has no summary to give. spinlift turns it into
/// `{"error": {"code": ..., "message": ...}}` with the status it names.
#[derive(Debug)]
pub enum SummaryError {
    /// No summary (yet) for the key: 404 `not_found`.
    NotFound(String),
    /// The app is misconfigured: 500 `config`.
    Config(ConfigError),
    /// S3 failed or refused: 502 `upstream`.
    Upstream(ClientError),
}

impl fmt::Display for SummaryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SummaryError::NotFound(key) => write!(f, "no summary of {key}"),
            SummaryError::Config(err) => write!(f, "{err}"),
            // The code only: an error's text never carries a credential, but keep it short.
            SummaryError::Upstream(err) => write!(f, "the bucket failed ({})", err.code()),
        }
    }
}

impl HttpError for SummaryError {
    fn status(&self) -> StatusCode {
        match self {
            SummaryError::NotFound(_) => StatusCode::NOT_FOUND,
            SummaryError::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
            SummaryError::Upstream(_) => StatusCode::BAD_GATEWAY,
        }
    }

    fn code(&self) -> &str {
        match self {
            SummaryError::NotFound(_) => "not_found",
            SummaryError::Config(_) => "config",
            SummaryError::Upstream(_) => "upstream",
        }
    }
}

impl From<ConfigError> for SummaryError {
    fn from(err: ConfigError) -> Self {
        SummaryError::Config(err)
    }
}

impl From<ClientError> for SummaryError {
    fn from(err: ClientError) -> Self {
        SummaryError::Upstream(err)
    }
}

/// The summary the event handler wrote for the object `key`.
pub(crate) async fn get(
    _: Request<Body>,
    cx: RouteContext<'_>,
) -> Result<Response<Body>, SummaryError> {
    let key = cx.param("key").unwrap_or_default().to_owned();
    let prefix = cx.require_var("summary_prefix")?;
    let summary = ObjectKey::new(format!("{prefix}{key}.json"))
        .map_err(|_| SummaryError::NotFound(key.clone()))?;
    let services = cx.services().await?;
    let body = match services.s3.get_bytes(&summary).await {
        Ok(body) => body,
        Err(err) if err.is_not_found() => return Err(SummaryError::NotFound(key)),
        Err(err) => return Err(err.into()),
    };
    let mut response = Response::new(Body::Bytes(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}
