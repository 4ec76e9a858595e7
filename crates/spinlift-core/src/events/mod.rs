//! Event deliveries to `POST /events/s3`, decoded into object events. Pure: no IO.
//!
//! Detection parses the body once and tries each accepted shape in a fixed order:
//! 1. an SNS HTTP delivery (`x-amz-sns-message-type`, or a body with `Type` and `TopicArn`),
//! 2. a raw S3 event notification `{"Records": [...]}`,
//! 3. the `s3:TestEvent` S3 sends when notifications are configured,
//! 4. an EventBridge event from `aws.s3` (as an API destination sends it).
//!
//! Anything else fails with one error naming every accepted shape.

mod eventbridge;
mod fields;
mod s3;
pub mod sns;

use serde_json::Value;
use std::cmp::Ordering;
use std::fmt;

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectEventKind {
    /// `ObjectCreated:*` / `Object Created`.
    Created,
    /// `ObjectRemoved:*`, `LifecycleExpiration:*` / `Object Deleted`. Not always the key's
    /// end: in a versioned bucket, removing a noncurrent version leaves the object as it was,
    /// and removing a delete marker or the current version makes another version current
    /// with no creation event. Look at the object (a HEAD) before dropping what was derived
    /// from it, as the indexer does.
    Removed,
}

/// What a removal did, as the event says (S3's `ObjectRemoved:Delete` or
/// `:DeleteMarkerCreated`, likewise `LifecycleExpiration:*`; EventBridge's `deletion-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    /// A version (or, unversioned, the object) was deleted for good. When it was the current
    /// one the key now shows the previous version, if any; when it was not, nothing changed.
    Permanent,
    /// A delete marker was created (a versioned bucket): the key reads as missing, its
    /// versions stay.
    DeleteMarker,
}

/// One object event, whatever envelope it came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEvent {
    /// Created or removed.
    pub kind: ObjectEventKind,
    /// The event's own name, e.g. `ObjectCreated:Put` or `Object Deleted`.
    pub name: String,
    /// The bucket.
    pub bucket: String,
    /// The object key, decoded.
    pub key: String,
    /// Size in bytes, for created objects.
    pub size: Option<u64>,
    /// The object's ETag, as S3 reported it.
    pub etag: Option<String>,
    /// S3's per-key ordering token (hex), when the event has one.
    pub sequencer: Option<String>,
    /// The version the event is about, in a versioned bucket.
    pub version_id: Option<String>,
    /// For a removal, what it did, when the event says.
    pub deletion: Option<Deletion>,
    /// When, where and by whom, as the event says.
    pub origin: EventOrigin,
}

/// What an event says of its making, for handlers that log or branch on it as their Lambda
/// did; each is `None` where the envelope has no such field. Passed on as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventOrigin {
    /// ISO 8601, e.g. `2026-11-23T00:00:00.000Z`: `eventTime`, or EventBridge's `time`.
    pub time: Option<String>,
    /// The bucket's region: `awsRegion`, or EventBridge's `region`.
    pub region: Option<String>,
    /// Who made the request: `userIdentity.principalId`, or EventBridge's `requester`.
    pub requester: Option<String>,
    /// `requestParameters.sourceIPAddress`, or EventBridge's `source-ip-address`.
    pub source_ip: Option<String>,
    /// The notification configuration's id (`s3.configurationId`), which tells apart the
    /// bucket's notifications to one endpoint; EventBridge events have none.
    pub configuration_id: Option<String>,
}

/// A record that is valid but not an object creation or removal (restores, lifecycle
/// transitions, tagging...): reported as skipped, never failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherEvent {
    /// The key, when the record names one.
    pub key: String,
    /// The event name.
    pub name: String,
}

/// A decoded delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// Object events and the records that are something else.
    Objects {
        /// Creations and removals, in delivery order.
        events: Vec<ObjectEvent>,
        /// Other records, to report as skipped.
        others: Vec<OtherEvent>,
    },
    /// S3's `s3:TestEvent`: nothing to process.
    TestEvent,
    /// An SNS HTTP/S delivery, to verify before anything else; a Notification's `Message`
    /// is then decoded with [`decode_sns_message`].
    Sns(sns::SnsMessage),
}

/// Why a body is not an accepted delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    message: String,
}

/// The shapes `POST /events/s3` accepts, for error messages.
pub const ACCEPTED_SHAPES: &str =
    "an S3 event notification {\"Records\": [...]}, the s3:TestEvent, \
     an SNS message (Type, TopicArn) carrying one of those, \
     or an EventBridge event with \"source\": \"aws.s3\"";

impl EventError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EventError {}

/// Decodes a delivery. `sns_header` is the `x-amz-sns-message-type` header, if any.
///
/// # Errors
/// The body is not JSON, or not one of the accepted shapes, or a record lacks a field it needs.
pub fn decode(body: &[u8], sns_header: Option<&str>) -> Result<Delivery, EventError> {
    let value: Value = serde_json::from_slice(body).map_err(|err| {
        EventError::new(format!(
            "the body is not JSON ({err}); expected {ACCEPTED_SHAPES}"
        ))
    })?;
    if sns_header.is_some() || (value.get("Type").is_some() && value.get("TopicArn").is_some()) {
        return sns::SnsMessage::from_value(value, sns_header)
            .map(Delivery::Sns)
            .map_err(|err| EventError::new(err.to_string()));
    }
    decode_s3_shapes(value)
}

/// Decodes the `Message` of a verified SNS Notification: S3 records, or none for the
/// s3:TestEvent. Never another SNS envelope or an EventBridge event.
///
/// # Errors
/// The message is not JSON or not one of those shapes.
pub fn decode_sns_message(
    message: &str,
) -> Result<(Vec<ObjectEvent>, Vec<OtherEvent>), EventError> {
    // from_slice, as `decode` parses: one instance of serde_json's parser, not two.
    let value: Value = serde_json::from_slice(message.as_bytes()).map_err(|err| {
        EventError::new(format!(
            "the SNS Message is not JSON ({err}); expected an S3 event notification"
        ))
    })?;
    let not_s3 =
        || EventError::new("the SNS Message is not an S3 event notification or the s3:TestEvent");
    if value.get("source").is_some() {
        return Err(not_s3());
    }
    match decode_s3_shapes(value)? {
        Delivery::Objects { events, others } => Ok((events, others)),
        Delivery::TestEvent => Ok((Vec::new(), Vec::new())),
        Delivery::Sns(_) => Err(not_s3()),
    }
}

fn decode_s3_shapes(value: Value) -> Result<Delivery, EventError> {
    if value.get("Records").is_some() {
        return s3::decode(value);
    }
    if value.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Delivery::TestEvent);
    }
    if value.get("source").and_then(Value::as_str) == Some("aws.s3") {
        return eventbridge::decode(value);
    }
    Err(EventError::new(format!(
        "unknown event shape; expected {ACCEPTED_SHAPES}"
    )))
}

/// Orders two S3 sequencers of the same key. S3's User Guide ("Event message structure")
/// documents them as hex strings of varying length: "to compare these values, first right pad
/// the shorter value with zeros, and then do a lexicographical comparison" (older copies of
/// the page said left; the current one, and the AWS SDKs' event types, say right).
pub fn compare_sequencers(a: &str, b: &str) -> Ordering {
    let width = a.len().max(b.len());
    let pad = |s: &str| format!("{s:0<width$}").to_ascii_uppercase();
    pad(a).cmp(&pad(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequencers_compare_as_right_padded_hex() {
        // Same length: plain hex order, case aside.
        assert_eq!(
            compare_sequencers("0055AED6DCD90281E5", "0055aed6dcd90281e6"),
            Ordering::Less
        );
        // Different lengths: the shorter is padded with zeros on the right.
        assert_eq!(compare_sequencers("A1B", "A1B0"), Ordering::Equal);
        assert_eq!(compare_sequencers("0A1B", "A1B"), Ordering::Less);
        assert_eq!(compare_sequencers("FF", "0100"), Ordering::Greater);
        assert_eq!(compare_sequencers("B", "A0FF"), Ordering::Greater);
        assert_eq!(
            compare_sequencers("0055AED6DCD90281E5", "0055AED6DCD90281E500"),
            Ordering::Equal
        );
        assert_eq!(
            compare_sequencers("0055AED6DCD90281E6", "0055AED6DCD90281E5FF"),
            Ordering::Greater
        );
    }

    #[test]
    fn unknown_shapes_name_what_is_accepted() {
        for body in [&b"{}"[..], b"[1,2]", b"{\"source\":\"aws.ec2\"}"] {
            let err = decode(body, None).unwrap_err();
            assert!(err.to_string().contains("EventBridge event"), "{err}");
        }
        assert!(decode(b"not json", None)
            .unwrap_err()
            .to_string()
            .starts_with("the body is not JSON"));
    }

    #[test]
    fn sns_deliveries_are_recognised_by_header_or_body() {
        let Delivery::Sns(message) = decode(b"{}", Some("Notification")).unwrap() else {
            panic!("not SNS");
        };
        assert_eq!(message.kind(), sns::SnsMessageType::Notification);
        let body = br#"{"Type":"SubscriptionConfirmation","TopicArn":"arn:aws:sns:us-east-1:1:t"}"#;
        let Delivery::Sns(message) = decode(body, None).unwrap() else {
            panic!("not SNS");
        };
        assert_eq!(
            message.kind(),
            sns::SnsMessageType::SubscriptionConfirmation
        );
        let unknown = br#"{"Type":"Other","TopicArn":"arn:aws:sns:us-east-1:1:t"}"#;
        assert!(decode(unknown, None).is_err());
    }

    #[test]
    fn sns_messages_carry_s3_shapes_only() {
        let test_event = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}"#;
        assert_eq!(decode_sns_message(test_event).unwrap(), (vec![], vec![]));
        for nested in [
            r#"{"Type":"Notification","TopicArn":"arn","Message":"{}"}"#,
            r#"{"source":"aws.s3","detail-type":"Object Created","detail":{}}"#,
            "not json",
        ] {
            assert!(decode_sns_message(nested).is_err(), "{nested}");
        }
    }

    #[test]
    fn the_test_event_is_recognised() {
        let body = br#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2014-10-13T15:57:02.089Z","Bucket":"b","RequestId":"R","HostId":"H"}"#;
        assert_eq!(decode(body, None).unwrap(), Delivery::TestEvent);
    }
}
