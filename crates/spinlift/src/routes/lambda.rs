//! `POST /lambda`: a Lambda invocation event in, the answer a Lambda would give out.
//!
//! API events become HTTP requests to the same routes direct clients use, answered in the
//! event's proxy format. Other events go to the `/events/s3` handler: S3 notifications,
//! EventBridge events and SNS HTTP deliveries as they are (a delivery's signature is checked
//! there, as for one SNS posts itself), the S3 notifications inside SNS records combined into
//! one delivery, and each SQS message on its own, answered with the SQS partial batch
//! response. The `/lambda` call was authenticated, so the requests it carries are not
//! authenticated again, as a Lambda trusts what API Gateway, an ALB, SNS or SQS hands it.

use super::events::Report;
use crate::body::Body;
use crate::env::{Env, LogStream};
use crate::error::{json_response, ApiError};
use crate::lambda::{
    classify, combine_sns_messages, lambda_response, sqs_payload, strip_base_path, Invocation,
};
use http::{Method, Request, Response, StatusCode};
use serde_json::json;
use std::future::Future;

pub use crate::lambda::MAX_INVOCATION_BYTES;

fn too_large(limit: usize) -> ApiError {
    ApiError::BadGateway {
        code: "lambda_response_too_large".into(),
        message: format!(
            "the answer is larger than its caller takes from a Lambda ({limit} bytes); \
             call the route directly"
        ),
    }
}

/// Answers one invocation event; `forward` routes a request carried by the event, with the
/// first of `base_paths` its path starts with removed.
///
/// # Errors
/// 413 over [`MAX_INVOCATION_BYTES`]; 400 for an event that is not an accepted shape; 502
/// when a routed answer is larger than the event's caller takes from a Lambda
/// ([`crate::lambda::ApiFormat::max_answer_bytes`]).
pub async fn invoke<F, Fut>(
    body: Body,
    env: &dyn Env,
    base_paths: &[String],
    forward: F,
) -> Result<Response<Body>, ApiError>
where
    F: Fn(Request<Body>) -> Fut,
    Fut: Future<Output = Response<Body>>,
{
    let bytes = super::read_body(body, MAX_INVOCATION_BYTES).await?;
    let invalid = |err: crate::lambda::LambdaError| ApiError::BadRequest {
        code: "invalid_event",
        message: err.to_string(),
    };
    let to_events = |body: Vec<u8>| {
        Request::builder()
            .method(Method::POST)
            .uri("/events/s3")
            .body(Body::Bytes(body))
            .expect("a static request")
    };
    match classify(&bytes).map_err(invalid)? {
        Invocation::Api {
            mut request,
            format,
        } => {
            without_base_path(&mut request, base_paths);
            let (parts, body) = forward((*request).map(Body::Bytes)).await.into_parts();
            let body =
                body.collect(MAX_INVOCATION_BYTES)
                    .await
                    .map_err(|err| match err.too_large {
                        true => too_large(MAX_INVOCATION_BYTES),
                        // The routed answer's body (an object streamed from S3) broke off.
                        false => ApiError::BadGateway {
                            code: "IncompleteResponse".into(),
                            message: format!("the routed answer broke off: {err}"),
                        },
                    })?;
            let answer = lambda_response(format, &Response::from_parts(parts, body));
            // The limit is on what a Lambda returns: the JSON, base64 included.
            let response = json_response(StatusCode::OK, &answer);
            let limit = format.max_answer_bytes();
            match response.body() {
                Body::Bytes(json) if json.len() > limit => Err(too_large(limit)),
                _ => Ok(response),
            }
        }
        Invocation::Webhook(body) => Ok(forward(to_events(body)).await),
        Invocation::Sns(messages) => match combine_sns_messages(&messages).map_err(invalid)? {
            Some(notification) => Ok(forward(to_events(notification)).await),
            None => Ok(Report::default().into_response(env)),
        },
        Invocation::Sqs { messages, fifo } => {
            let mut failures = Vec::new();
            for message in &messages {
                // FIFO order: once one fails, the rest wait for its retry.
                if fifo && !failures.is_empty() {
                    failures.push(json!({"itemIdentifier": message.id}));
                    continue;
                }
                let answer = forward(to_events(sqs_payload(&message.body))).await;
                if !answer.status().is_success() {
                    failures.push(json!({"itemIdentifier": message.id}));
                }
            }
            if !failures.is_empty() {
                env.log(
                    LogStream::Operator,
                    &format!(
                        "spinlift: SQS batch: {} of {} messages failed and stay on the queue",
                        failures.len(),
                        messages.len()
                    ),
                );
            }
            Ok(json_response(
                StatusCode::OK,
                &json!({"batchItemFailures": failures}),
            ))
        }
    }
}

/// Removes the first of `base_paths` the request's path starts with, keeping the query.
fn without_base_path(request: &mut Request<Vec<u8>>, base_paths: &[String]) {
    let bases: Vec<&str> = base_paths.iter().map(String::as_str).collect();
    let Some(rest) = strip_base_path(request.uri().path(), &bases) else {
        return;
    };
    let target = match request.uri().query() {
        Some(query) => format!("{rest}?{query}"),
        None => rest.to_owned(),
    };
    // A suffix of a valid path and its query are a valid target.
    if let Ok(uri) = target.parse() {
        *request.uri_mut() = uri;
    }
}
