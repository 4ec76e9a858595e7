//! `GET /summaries/{*key}`: an API route of your own, with its own errors. Each route is a
//! plain async function over `http` types; `cx` gives its path parameters, the app's
//! variables, and S3 and the other AWS services, signed with the app's credentials.

use http::{header, HeaderValue, Request, Response, StatusCode};
use spinlift::app::{answer_of, HttpError, RouteContext};
use spinlift::body::Body;
use spinlift::client::ClientError;
use spinlift::config::ConfigError;
use spinlift::error::ApiError;
use spinlift::s3::ObjectKey;
use std::fmt;

/// What the route answers when it has no summary to give. spinlift turns it into
/// `{"error": {"code": ..., "message": ...}}` with the status it names.
#[derive(Debug)]
pub enum SummaryError {
    /// No summary (yet) for the key: 404 `not_found`.
    NotFound(String),
    /// A variable or a call to AWS failed: answered as spinlift answers it (500 `config`
    /// naming the variable, 504 on a timeout, 502 with the AWS error code, ...), with its
    /// log line saying why.
    Spinlift(ApiError),
}

impl fmt::Display for SummaryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SummaryError::NotFound(key) => write!(f, "no summary of {key}"),
            SummaryError::Spinlift(err) => f.write_str(&err.message()),
        }
    }
}

impl HttpError for SummaryError {
    fn status(&self) -> StatusCode {
        match self {
            SummaryError::NotFound(_) => StatusCode::NOT_FOUND,
            SummaryError::Spinlift(err) => err.status(),
        }
    }

    fn code(&self) -> &str {
        match self {
            SummaryError::NotFound(_) => "not_found",
            SummaryError::Spinlift(err) => err.code(),
        }
    }

    fn into_api_error(self) -> ApiError {
        match self {
            SummaryError::Spinlift(err) => err,
            other => answer_of(&other),
        }
    }
}

impl From<ConfigError> for SummaryError {
    fn from(err: ConfigError) -> Self {
        SummaryError::Spinlift(err.into())
    }
}

impl From<ClientError> for SummaryError {
    fn from(err: ClientError) -> Self {
        SummaryError::Spinlift(err.into())
    }
}

/// spinlift's request helpers (`spinlift::routes::read_json`, `read_body`, `query_params`)
/// fail with an `ApiError` (413, 400 `invalid_json`, ...): with this, `?` passes it on.
impl From<ApiError> for SummaryError {
    fn from(err: ApiError) -> Self {
        SummaryError::Spinlift(err)
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
