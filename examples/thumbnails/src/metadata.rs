//! `GET /metadata/{*key}`: what the event handler recorded for an object.

use crate::describe::item_key;
use http::{header, HeaderValue, Request, Response, StatusCode};
use serde_json::{json, Value};
use spinlift::app::{HttpError, RouteContext};
use spinlift::aws::dynamodb::GetItem;
use spinlift::body::Body;
use spinlift::client::ClientError;
use spinlift::config::ConfigError;
use std::fmt;

/// What the route answers when it cannot answer the metadata.
#[derive(Debug)]
pub enum MetadataError {
    /// No item for the key: 404 `not_found`.
    NotFound(String),
    /// The app is misconfigured: 500 `config`.
    Config(ConfigError),
    /// DynamoDB failed or refused: 502 `upstream`.
    Upstream(ClientError),
}

impl fmt::Display for MetadataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetadataError::NotFound(key) => write!(f, "no metadata for {key}"),
            MetadataError::Config(err) => write!(f, "{err}"),
            MetadataError::Upstream(err) => write!(f, "the metadata table failed ({})", err.code()),
        }
    }
}

impl HttpError for MetadataError {
    fn status(&self) -> StatusCode {
        match self {
            MetadataError::NotFound(_) => StatusCode::NOT_FOUND,
            MetadataError::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
            MetadataError::Upstream(_) => StatusCode::BAD_GATEWAY,
        }
    }

    fn code(&self) -> &str {
        match self {
            MetadataError::NotFound(_) => "not_found",
            MetadataError::Config(_) => "config",
            MetadataError::Upstream(_) => "upstream",
        }
    }
}

impl From<ConfigError> for MetadataError {
    fn from(err: ConfigError) -> Self {
        MetadataError::Config(err)
    }
}

impl From<ClientError> for MetadataError {
    fn from(err: ClientError) -> Self {
        MetadataError::Upstream(err)
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
