//! Lambda invocation events, for `POST /lambda`: what kind of event a body is, the HTTP
//! request an API event stands for, and the Lambda proxy answer for each API shape. Pure.
//!
//! This is the AWS Lambda Web Adapter's translation run the other way: during a migration,
//! producers that still emit Lambda events reach the same router as direct HTTP clients.

mod api;
mod cloudfront;

pub use api::{ApiFormat, MAX_INVOCATION_BYTES, REQUEST_CONTEXT_HEADER};

use base64ct::{Base64, Encoding};
use serde_json::Value;
use std::fmt;

/// What an invocation event asks for.
#[derive(Debug)]
pub enum Invocation {
    /// An API event (API Gateway v1/v2, ALB, Function URL): an HTTP request to route, and
    /// the shape to answer in.
    Api {
        /// The request, with its body decoded (boxed: it dwarfs the other variants).
        request: Box<http::Request<Vec<u8>>>,
        /// How to shape the answer.
        format: ApiFormat,
    },
    /// A body `/events/s3` takes as it is: an S3 notification, an EventBridge event, or an
    /// SNS HTTP delivery (its signature is checked there).
    Webhook(Vec<u8>),
    /// A Lambda SNS event: each record's `Message`.
    Sns(Vec<String>),
    /// A Lambda SQS event: each message, answered per message.
    Sqs {
        /// The messages, in queue order.
        messages: Vec<SqsMessage>,
        /// From a FIFO queue: after a failure, the later messages must not be processed.
        fifo: bool,
    },
}

/// One SQS message of a Lambda SQS event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsMessage {
    /// `messageId`, the identifier a partial batch failure names.
    pub id: String,
    /// `body`: an S3 notification, or an SNS envelope carrying one.
    pub body: String,
}

/// Why a body is not an invocation spinlift can serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaError(String);

impl fmt::Display for LambdaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LambdaError {}

impl LambdaError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// The answer to an API event for `response`, in the event's `format`: a Lambda proxy answer
/// (API Gateway, ALB, Function URL) or a CloudFront generated response.
pub fn lambda_response(format: ApiFormat, response: &http::Response<Vec<u8>>) -> Value {
    match format {
        ApiFormat::CloudFront { .. } => cloudfront::response(response),
        _ => api::proxy_response(format, response),
    }
}

/// What is left of `path` once the first of `base_paths` it starts with is removed (`/v1` from
/// `/v1/objects/k` leaves `/objects/k`, and from `/v1` leaves `/`), as a base-path mapping
/// or an API stage puts it there; `None` when none matches at a segment boundary (`/v10`
/// does not start with `/v1`).
pub fn strip_base_path<'p>(path: &'p str, base_paths: &[&str]) -> Option<&'p str> {
    base_paths.iter().find_map(|base| {
        let base = base.trim_end_matches('/');
        if base.is_empty() {
            return None;
        }
        match path.strip_prefix(base)? {
            "" => Some("/"),
            rest if rest.starts_with('/') => Some(rest),
            _ => None,
        }
    })
}

/// The event shapes `POST /lambda` accepts, for error messages.
pub const ACCEPTED_EVENTS: &str = "an API Gateway REST (v1) or HTTP API (v2) proxy event, an ALB \
     target event, a Lambda Function URL event, a CloudFront Lambda@Edge request event, an S3 notification, an SNS, SQS or EventBridge \
     (aws.s3) event, or an SNS HTTP delivery";

/// Classifies an invocation event by shape: `requestContext` makes it an API event; otherwise
/// the records' `eventSource`, EventBridge's `source` and `detail-type`, or an SNS HTTP
/// delivery's `Type` and `TopicArn`.
///
/// # Errors
/// Not JSON, not an accepted shape, or an API event that does not make a valid request; the
/// message names the accepted shapes.
pub fn classify(body: &[u8]) -> Result<Invocation, LambdaError> {
    classify_event(body)
        .map_err(|LambdaError(reason)| LambdaError(format!("{reason}; expected {ACCEPTED_EVENTS}")))
}

fn classify_event(body: &[u8]) -> Result<Invocation, LambdaError> {
    let event: Value = serde_json::from_slice(body)
        .map_err(|err| LambdaError::new(format!("the event is not JSON ({err})")))?;
    // An authorizer's invocation (REST's `methodArn`, an HTTP API's `routeArn`) asks whether
    // a request may go on, and expects a policy: running its method on its path would act on
    // a request API Gateway has not allowed yet.
    if event.get("methodArn").is_some() || event.get("routeArn").is_some() {
        return Err(LambdaError::new(
            "an API Gateway authorizer event (it asks for a policy; spinlift answers requests)",
        ));
    }
    if event.get("requestContext").is_some() {
        let (request, format) = api::request(&event)?;
        return Ok(Invocation::Api {
            request: Box::new(request),
            format,
        });
    }
    if let Some(records) = event.get("Records").and_then(Value::as_array) {
        // CloudFront invokes a Lambda@Edge trigger with one record.
        if let [record] = records.as_slice() {
            if record["cf"]["request"].is_object() {
                let viewer = cloudfront::is_viewer_request(record)?;
                return Ok(Invocation::Api {
                    request: Box::new(cloudfront::request(record)?),
                    format: ApiFormat::CloudFront { viewer },
                });
            }
        }
        return records_invocation(records, body);
    }
    let has = |field: &str| event.get(field).is_some();
    if (has("source") && has("detail-type")) || (has("Type") && has("TopicArn")) {
        return Ok(Invocation::Webhook(body.to_vec()));
    }
    Err(LambdaError::new("unknown event shape"))
}

fn records_invocation(records: &[Value], body: &[u8]) -> Result<Invocation, LambdaError> {
    // S3 and SQS spell it `eventSource`, SNS `EventSource`.
    let source = |record: &Value| {
        record
            .get("eventSource")
            .or_else(|| record.get("EventSource"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let Some(first) = records.first().map(source) else {
        return Err(LambdaError::new("the event has no Records"));
    };
    if records.iter().any(|record| source(record) != first) {
        return Err(LambdaError::new(
            "the Records come from different event sources",
        ));
    }
    let text = |record: &Value, path: &[&str]| {
        path.iter()
            .try_fold(record, |value, key| value.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| LambdaError::new(format!("a record has no {}", path.join("."))))
    };
    match first.as_str() {
        "aws:s3" => Ok(Invocation::Webhook(body.to_vec())),
        "aws:sns" => records
            .iter()
            .map(|record| text(record, &["Sns", "Message"]))
            .collect::<Result<_, _>>()
            .map(Invocation::Sns),
        "aws:sqs" => {
            let messages = records
                .iter()
                .map(|record| {
                    Ok(SqsMessage {
                        id: text(record, &["messageId"])?,
                        body: text(record, &["body"])?,
                    })
                })
                .collect::<Result<_, _>>()?;
            // A FIFO queue's name ends in `.fifo`. A MessageGroupId alone does not make one:
            // standard queues with fair queuing carry it too, and keep no order.
            let fifo = records.iter().any(|record| {
                record["eventSourceARN"]
                    .as_str()
                    .is_some_and(|arn| arn.ends_with(".fifo"))
            });
            Ok(Invocation::Sqs { messages, fifo })
        }
        other => Err(LambdaError::new(format!(
            "records from {other:?} are not handled"
        ))),
    }
}

/// The S3 records of a Lambda SNS event's messages, as one S3 notification; `None` when
/// there are none (S3's s3:TestEvent carries no records).
///
/// # Errors
/// A message is not an S3 notification or the s3:TestEvent.
pub fn combine_sns_messages(messages: &[String]) -> Result<Option<Vec<u8>>, LambdaError> {
    let mut records = Vec::new();
    for message in messages {
        let value: Value = serde_json::from_slice(message.as_bytes()).unwrap_or(Value::Null);
        match (
            value.get("Records"),
            value.get("Event").and_then(Value::as_str),
        ) {
            (Some(Value::Array(more)), _) => records.extend(more.iter().cloned()),
            (None, Some("s3:TestEvent")) => {}
            _ => {
                return Err(LambdaError::new(
                    "an SNS record's Message is not an S3 event notification",
                ))
            }
        }
    }
    Ok((!records.is_empty()).then(|| {
        serde_json::json!({ "Records": records })
            .to_string()
            .into_bytes()
    }))
}

/// What an SQS message carries for `/events/s3`: the `Message` of an SNS envelope (a topic
/// delivering to the queue without raw delivery), else the body itself.
pub fn sqs_payload(body: &str) -> Vec<u8> {
    let envelope: Value = serde_json::from_slice(body.as_bytes()).unwrap_or(Value::Null);
    match (
        envelope.get("Type").and_then(Value::as_str),
        envelope.get("Message").and_then(Value::as_str),
    ) {
        (Some("Notification"), Some(message)) => message.as_bytes().to_vec(),
        _ => body.as_bytes().to_vec(),
    }
}

/// Decodes a Lambda event body: base64 when `isBase64Encoded`, else the text itself. A body
/// that is not a string, or a flag that is not a boolean, is refused rather than read as
/// empty or as text (an object stored empty, or as its own base64): `null` or absent is none.
fn event_body(event: &Value) -> Result<Vec<u8>, LambdaError> {
    let text = match event.get("body").unwrap_or(&Value::Null) {
        Value::Null => "",
        Value::String(text) => text,
        _ => return Err(LambdaError::new("the event's body is not a string")),
    };
    let encoded = match event.get("isBase64Encoded").unwrap_or(&Value::Null) {
        Value::Null => false,
        Value::Bool(encoded) => *encoded,
        _ => {
            return Err(LambdaError::new(
                "the event's isBase64Encoded is not a boolean",
            ))
        }
    };
    match encoded {
        true => Base64::decode_vec(text)
            .map_err(|_| LambdaError::new("isBase64Encoded is true but the body is not base64")),
        false => Ok(text.as_bytes().to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths_are_stripped_at_segment_boundaries() {
        let bases = ["/v1/", "/api/v2"];
        assert_eq!(strip_base_path("/v1/objects/k", &bases), Some("/objects/k"));
        assert_eq!(strip_base_path("/v1", &bases), Some("/"));
        assert_eq!(strip_base_path("/api/v2/x", &bases), Some("/x"));
        assert_eq!(strip_base_path("/v10/x", &bases), None);
        assert_eq!(strip_base_path("/objects/v1", &bases), None);
        assert_eq!(strip_base_path("/x", &["", "/"]), None);
    }

    #[test]
    fn records_are_classified_by_their_source() {
        let s3 = br#"{"Records":[{"eventSource":"aws:s3"}]}"#;
        assert!(matches!(classify(s3).unwrap(), Invocation::Webhook(_)));
        let sns = br#"{"Records":[{"EventSource":"aws:sns","Sns":{"Message":"m"}}]}"#;
        assert!(matches!(classify(sns).unwrap(), Invocation::Sns(m) if m == ["m"]));
        let sqs = br#"{"Records":[{"eventSource":"aws:sqs","messageId":"1","body":"b"}]}"#;
        let Invocation::Sqs { messages, fifo } = classify(sqs).unwrap() else {
            panic!("not SQS")
        };
        assert_eq!(
            (messages, fifo),
            (
                vec![SqsMessage {
                    id: "1".into(),
                    body: "b".into()
                }],
                false
            )
        );
        let delivery =
            br#"{"Type":"Notification","TopicArn":"arn:aws:sns:us-east-1:1:t","Message":"m"}"#;
        assert!(matches!(classify(delivery).unwrap(), Invocation::Webhook(b) if b == delivery));
        let fifo = br#"{"Records":[{"eventSource":"aws:sqs","messageId":"1","body":"b","eventSourceARN":"arn:aws:sqs:us-east-1:1:q.fifo"}]}"#;
        assert!(matches!(
            classify(fifo).unwrap(),
            Invocation::Sqs { fifo: true, .. }
        ));
        // A standard queue with fair queuing names message groups too, and keeps no order.
        let fair = br#"{"Records":[{"eventSource":"aws:sqs","messageId":"1","body":"b","attributes":{"MessageGroupId":"tenant-1"},"eventSourceARN":"arn:aws:sqs:us-east-1:1:q"}]}"#;
        assert!(matches!(
            classify(fair).unwrap(),
            Invocation::Sqs { fifo: false, .. }
        ));
    }

    #[test]
    fn sns_messages_combine_into_one_notification() {
        let a = r#"{"Records":[{"n":1}]}"#.to_owned();
        let b = r#"{"Records":[{"n":2},{"n":3}]}"#.to_owned();
        let test = r#"{"Service":"Amazon S3","Event":"s3:TestEvent"}"#.to_owned();
        let combined = combine_sns_messages(&[a, test.clone(), b])
            .unwrap()
            .unwrap();
        let combined: Value = serde_json::from_slice(&combined).unwrap();
        assert_eq!(
            combined,
            serde_json::json!({"Records":[{"n":1},{"n":2},{"n":3}]})
        );
        assert_eq!(combine_sns_messages(&[test]).unwrap(), None);
        assert!(combine_sns_messages(&["hello".to_owned()]).is_err());
    }

    #[test]
    fn sqs_bodies_lose_their_sns_envelope() {
        let wrapped = r#"{"Type":"Notification","TopicArn":"t","Message":"{\"Records\":[]}"}"#;
        assert_eq!(sqs_payload(wrapped), br#"{"Records":[]}"#);
        assert_eq!(sqs_payload(r#"{"Records":[]}"#), br#"{"Records":[]}"#);
        assert_eq!(sqs_payload("not json"), b"not json");
    }

    #[test]
    fn bodies_must_be_strings_and_the_base64_flag_a_boolean() {
        let event = |body: &str, flag: &str| {
            format!(
                r#"{{"requestContext":{{}},"httpMethod":"PUT","path":"/objects/k","body":{body},"isBase64Encoded":{flag}}}"#
            )
        };
        for (body, flag, error) in [
            (r#"{"a":1}"#, "false", "the event's body is not a string"),
            ("12", "null", "the event's body is not a string"),
            (
                r#""aGk=""#,
                r#""true""#,
                "the event's isBase64Encoded is not a boolean",
            ),
        ] {
            let err = classify(event(body, flag).as_bytes())
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(error), "{body} {flag}: {err}");
        }
        for (body, flag, bytes) in [
            ("null", "null", &b""[..]),
            (r#""aGk=""#, "true", b"hi"),
            (r#""aGk=""#, "false", b"aGk="),
        ] {
            match classify(event(body, flag).as_bytes()) {
                Ok(Invocation::Api { request, .. }) => assert_eq!(request.body(), bytes),
                other => panic!("{body} {flag}: {other:?}"),
            }
        }
    }

    #[test]
    fn other_shapes_name_what_is_accepted() {
        for body in [
            &br#"{"Records":[{"eventSource":"aws:kinesis"}]}"#[..],
            br#"{"Records":[{"eventSource":"aws:s3"},{"eventSource":"aws:sqs"}]}"#,
            br#"{"Records":[]}"#,
            br#"{"Records":[{"eventSource":"aws:sqs","body":"b"}]}"#,
            b"{}",
            br#"{"requestContext":{"routeKey":"$connect","eventType":"CONNECT"}}"#,
            br#"{"Type":"Notification"}"#,
            b"[]",
            b"nope",
        ] {
            let err = classify(body).unwrap_err().to_string();
            assert!(err.ends_with(ACCEPTED_EVENTS), "{err}");
        }
    }
}
