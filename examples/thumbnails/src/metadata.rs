//! `GET /metadata/{*key}`: what the event handler recorded for an object.

use crate::describe::item_key;
use http::{header, HeaderValue, Request, Response, StatusCode};
use serde_json::{json, Value};
use spinlift::app::{answer_of, HttpError, RouteContext};
use spinlift::aws::dynamodb::GetItem;
use spinlift::body::Body;
use spinlift::client::ClientError;
use spinlift::config::ConfigError;
use spinlift::error::ApiError;
use std::fmt;

/// What the route answers when it cannot answer the metadata.
#[derive(Debug)]
pub enum MetadataError {
    /// No item for the key: 404 `not_found`.
    NotFound(String),
    /// A variable or a call to AWS failed: answered as spinlift answers it (500 `config`,
    /// 504 on a timeout, 502 with the AWS error code, ...), its log line saying why.
    Spinlift(ApiError),
}

impl fmt::Display for MetadataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetadataError::NotFound(key) => write!(f, "no metadata for {key}"),
            MetadataError::Spinlift(err) => f.write_str(&err.message()),
        }
    }
}

impl HttpError for MetadataError {
    fn status(&self) -> StatusCode {
        match self {
            MetadataError::NotFound(_) => StatusCode::NOT_FOUND,
            MetadataError::Spinlift(err) => err.status(),
        }
    }

    fn code(&self) -> &str {
        match self {
            MetadataError::NotFound(_) => "not_found",
            MetadataError::Spinlift(err) => err.code(),
        }
    }

    fn into_api_error(self) -> ApiError {
        match self {
            MetadataError::Spinlift(err) => err,
            other => answer_of(&other),
        }
    }
}

impl From<ConfigError> for MetadataError {
    fn from(err: ConfigError) -> Self {
        MetadataError::Spinlift(err.into())
    }
}

impl From<ClientError> for MetadataError {
    fn from(err: ClientError) -> Self {
        MetadataError::Spinlift(err.into())
    }
}

/// The object's recorded size, content type and ETag.
pub(crate) async fn get(
    _: Request<Body>,
    cx: RouteContext<'_>,
) -> Result<Response<Body>, MetadataError> {
    let key = cx.param("key").unwrap_or_default().to_owned();
    let table = cx.require_var("metadata_table")?;
    let services = cx.services().await?;
    let get = GetItem {
        table: &table,
        key: &item_key(&key),
        consistent: true,
    };
    let item = services
        .aws
        .call(&get)
        .await?
        .ok_or(MetadataError::NotFound(key))?;
    let text = |name: &str| item.get(name).and_then(|v| v.get("S")).cloned();
    let size = item
        .get("size")
        .and_then(|v| v.get("N"))
        .and_then(Value::as_str)
        .and_then(|n| n.parse::<u64>().ok());
    let body = json!({"key": text("pk"), "size": size, "content_type": text("content_type"), "etag": text("etag")});
    let mut response = Response::new(Body::Bytes(body.to_string().into_bytes()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}
