//! `POST /events/s3`: where AWS delivers S3 events, running the migrated Lambda logic on each.
//!
//! Answers `{"processed":n,"skipped":[{"key","reason"}],"failed":[{"key","error"}]}`: 200 when
//! nothing failed, 502 otherwise so the sender retries the batch (safe: handlers are idempotent).
//! A failed record is never reported as processed.
//!
//! SNS deliveries are verified first (signature, certificate origin); a subscription
//! confirmation is then confirmed, an unsubscribe confirmation noted, and a notification's
//! `Message` handled like a raw S3 notification.

use super::s3_call::S3Call;
use super::sns::{self, Opened};
use crate::body::Body;
use crate::cache::Cache;
use crate::config::Variables;
use crate::error::{json_response, ApiError};
use crate::events::{decode, decode_sns_message, Delivery};
use crate::indexer::{ObjectEventHandler, Outcome};
use crate::outbound::HttpClient;
use http::{HeaderMap, Response, StatusCode};
use serde_json::json;

/// The largest delivery accepted (S3 notifications are at most 64 KiB; batches stay well below).
pub const MAX_EVENT_BYTES: usize = 1 << 20;

/// Decodes the delivery and runs `handler` on each object event, in order. `vars` and
/// `cache` serve SNS deliveries only (the certificate origin, cached certificates).
pub async fn deliver<C: HttpClient, H: ObjectEventHandler>(
    s3: &S3Call<'_, C>,
    handler: &H,
    vars: &dyn Variables,
    cache: &dyn Cache,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response<Body>, ApiError> {
    let bytes = super::read_body(body, MAX_EVENT_BYTES).await?;
    let sns = headers
        .get("x-amz-sns-message-type")
        .and_then(|v| v.to_str().ok());
    let invalid = |err: crate::events::EventError| ApiError::BadRequest {
        code: "invalid_event",
        message: err.to_string(),
    };
    let (events, others) = match decode(&bytes, sns).map_err(invalid)? {
        Delivery::Objects { events, others } => (events, others),
        Delivery::TestEvent => (Vec::new(), Vec::new()),
        Delivery::Sns(message) => match sns::open(s3.client(), vars, cache, &message).await? {
            Opened::Records(message) => decode_sns_message(message).map_err(invalid)?,
            Opened::Answered(response) => return Ok(response),
        },
    };
    let mut processed = 0;
    let mut skipped: Vec<serde_json::Value> = others
        .iter()
        .map(|other| json!({"key": other.key, "reason": format!("{} is not an object creation or removal", other.name)}))
        .collect();
    let mut failed = Vec::new();
    let bucket = s3.bucket.name();
    for event in &events {
        if event.bucket != bucket {
            let reason = format!("bucket {} is not the configured bucket", event.bucket);
            skipped.push(json!({"key": event.key, "reason": reason}));
            continue;
        }
        match handler.handle(s3, event).await {
            Ok(Outcome::Processed) => processed += 1,
            Ok(Outcome::Skipped(reason)) => {
                skipped.push(json!({"key": event.key, "reason": reason}))
            }
            Err(err) => failed.push(
                json!({"key": event.key, "error": {"code": err.code(), "message": err.message()}}),
            ),
        }
    }
    let status = match failed.is_empty() {
        true => StatusCode::OK,
        false => {
            eprintln!(
                "spinlift: event delivery: {} of {} records failed; answering 502 for a retry",
                failed.len(),
                events.len()
            );
            StatusCode::BAD_GATEWAY
        }
    };
    Ok(json_response(
        status,
        &json!({"processed": processed, "skipped": skipped, "failed": failed}),
    ))
}
