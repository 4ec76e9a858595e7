//! `POST /events/s3`: where AWS delivers S3 events, running the migrated Lambda logic on each.
//!
//! Answers `{"processed":n,"skipped":[{"key","reason"}],"failed":[{"key","error"}]}`: 200 when
//! nothing failed, 502 otherwise so the sender retries the batch (safe: handlers are idempotent).
//! A failed record is never reported as processed.
//!
//! SNS deliveries are verified first (signature, certificate origin); a subscription
//! confirmation is then confirmed, an unsubscribe confirmation noted, and a notification's
//! `Message` handled like a raw S3 notification.

use super::sns::{self, Opened};
use crate::body::Body;
use crate::cache::Cache;
use crate::client::services::Services;
use crate::config::Variables;
use crate::env::{Env, LogStream};
use crate::error::{json_response, ApiError};
use crate::events::{decode, decode_sns_message, Delivery, ObjectEvent, OtherEvent};
use crate::handler::{ObjectEventHandler, Outcome};
use crate::outbound::HttpClient;
use http::{HeaderMap, Response, StatusCode};
use serde_json::{json, Value};

/// The largest delivery accepted (S3 notifications are at most 64 KiB; batches stay well below).
pub const MAX_EVENT_BYTES: usize = 1 << 20;

/// Decodes the delivery and runs `handler` on each object event, in order. `vars` and
/// `cache` serve SNS deliveries only (the certificate origin, cached certificates).
pub async fn deliver<C: HttpClient, H>(
    services: &Services<'_, C>,
    handler: &H,
    vars: &dyn Variables,
    cache: &dyn Cache,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response<Body>, ApiError>
where
    H: ObjectEventHandler<Error: Into<ApiError>>,
{
    let bytes = super::read_body(body, MAX_EVENT_BYTES).await?;
    // Present at all, the header makes this an SNS delivery, as it did for the token check
    // (`auth::require_webhook_token`): one that is not text is refused, never read as absent,
    // which would let a URL token post raw S3 events unverified.
    let sns = match headers.get("x-amz-sns-message-type") {
        None => None,
        Some(value) => Some(value.to_str().map_err(|_| ApiError::BadRequest {
            code: "invalid_event",
            message: "x-amz-sns-message-type is not an SNS message type".to_owned(),
        })?),
    };
    let invalid = |err: crate::events::EventError| ApiError::BadRequest {
        code: "invalid_event",
        message: err.to_string(),
    };
    let (events, others) = match decode(&bytes, sns).map_err(invalid)? {
        Delivery::Objects { events, others } => (events, others),
        Delivery::TestEvent => (Vec::new(), Vec::new()),
        Delivery::Sns(message) => {
            match sns::open(
                services.s3.client(),
                services.s3.env(),
                vars,
                cache,
                &message,
            )
            .await?
            {
                Opened::Records(message) => decode_sns_message(message).map_err(invalid)?,
                Opened::Answered(response) => return Ok(response),
            }
        }
    };
    Ok(process(services, handler, &events, &others)
        .await
        .into_response(services.s3.env()))
}

/// What became of one batch of records.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Records applied.
    processed: usize,
    /// `{"key","reason"}` for each record that needed nothing done.
    skipped: Vec<Value>,
    /// `{"key","error":{"code","message"}}` for each record that failed.
    failed: Vec<Value>,
}

impl Report {
    /// `{"processed","skipped","failed"}`: 200, or 502 when a record failed, so the sender
    /// retries the batch (safe: handlers are idempotent).
    pub(crate) fn into_response(self, env: &dyn Env) -> Response<Body> {
        let status = match self.failed.is_empty() {
            true => StatusCode::OK,
            false => {
                env.log(
                    LogStream::Operator,
                    &format!(
                        "spinlift: event delivery: {} of {} records failed; answering 502 for a retry",
                        self.failed.len(),
                        self.processed + self.skipped.len() + self.failed.len()
                    ),
                );
                StatusCode::BAD_GATEWAY
            }
        };
        let body =
            json!({"processed": self.processed, "skipped": self.skipped, "failed": self.failed});
        json_response(status, &body)
    }
}

/// Runs `handler` on each object event of the configured bucket, in order; reports the
/// other records as skipped. A failed record is never counted as processed.
async fn process<C: HttpClient, H>(
    services: &Services<'_, C>,
    handler: &H,
    events: &[ObjectEvent],
    others: &[OtherEvent],
) -> Report
where
    H: ObjectEventHandler<Error: Into<ApiError>>,
{
    let mut report = Report {
        skipped: others
            .iter()
            .map(|other| json!({"key": other.key, "reason": format!("{} is not an object creation or removal", other.name)}))
            .collect(),
        ..Report::default()
    };
    let bucket = services.s3.bucket.name();
    for event in events {
        if event.bucket != bucket {
            let reason = format!("bucket {} is not the configured bucket", event.bucket);
            report
                .skipped
                .push(json!({"key": event.key, "reason": reason}));
            continue;
        }
        match handler.handle(services, event).await {
            Ok(Outcome::Processed) => report.processed += 1,
            Ok(Outcome::Skipped(reason)) => report
                .skipped
                .push(json!({"key": event.key, "reason": reason})),
            Err(err) => {
                let err: ApiError = err.into();
                // The report says what the sender may see; the operator gets the reason.
                if let Some(line) = err.log_line() {
                    let line = format!("spinlift: an event record failed: {line}");
                    services.s3.env().log(LogStream::Operator, &line);
                }
                report.failed.push(
                    json!({"key": event.key, "error": {"code": err.code(), "message": err.message()}}),
                );
            }
        }
    }
    report
}
