//! `POST /events/s3`: where AWS delivers S3 events, running the migrated Lambda logic on each.
//!
//! Answers `{"processed":n,"skipped":[{"key","reason"}],"failed":[{"key","error"}]}`: 200 when
//! nothing failed, 502 otherwise so the sender retries the batch (safe: handlers are idempotent).
//! A failed record is never reported as processed.

use super::s3_call::S3Call;
use crate::body::Body;
use crate::error::{json_response, ApiError};
use crate::events::{decode, Delivery};
use crate::indexer::{ObjectEventHandler, Outcome};
use crate::outbound::HttpClient;
use http::{HeaderMap, Response, StatusCode};
use serde_json::json;

/// The largest delivery accepted (S3 notifications are at most 64 KiB; batches stay well below).
pub const MAX_EVENT_BYTES: usize = 1 << 20;

/// Decodes the delivery and runs `handler` on each object event, in order.
pub async fn deliver<C: HttpClient, H: ObjectEventHandler>(
    s3: &S3Call<'_, C>,
    handler: &H,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response<Body>, ApiError> {
    let bytes = super::read_body(body, MAX_EVENT_BYTES).await?;
    let sns = headers
        .get("x-amz-sns-message-type")
        .and_then(|v| v.to_str().ok());
    let delivery = decode(&bytes, sns).map_err(|err| ApiError::BadRequest {
        code: "invalid_event",
        message: err.to_string(),
    })?;
    let (events, others) = match delivery {
        Delivery::TestEvent => (Vec::new(), Vec::new()),
        Delivery::Sns(kind) => {
            return Err(ApiError::NotImplemented(format!(
                "SNS deliveries ({kind}) need signature verification, which is not available yet; \
                 deliver raw S3 notifications or EventBridge events"
            )))
        }
        Delivery::Objects { events, others } => (events, others),
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
