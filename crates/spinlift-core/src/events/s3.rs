//! Raw S3 event notifications: `{"Records": [...]}`.
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html>

use super::{Delivery, EventError, ObjectEvent, ObjectEventKind, OtherEvent};
use crate::sigv4::percent_decode;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Notification {
    #[serde(rename = "Records")]
    records: Vec<Record>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    #[serde(default)]
    event_version: String,
    #[serde(default)]
    event_source: String,
    event_name: String,
    s3: Entity,
}

#[derive(Deserialize)]
struct Entity {
    bucket: Bucket,
    object: Object,
}

#[derive(Deserialize)]
struct Bucket {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Object {
    key: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    e_tag: Option<String>,
    #[serde(default)]
    sequencer: Option<String>,
}

/// Keys in S3 notifications are URL-encoded form-style: a space arrives as `+`, a literal `+`
/// as `%2B`. Decoded exactly once.
fn decode_key(raw: &str) -> Result<String, EventError> {
    String::from_utf8(percent_decode(raw, true).into_owned())
        .map_err(|_| EventError::new(format!("record key {raw:?} is not UTF-8 once URL-decoded")))
}

pub(super) fn decode(value: Value) -> Result<Delivery, EventError> {
    let notification: Notification = serde_json::from_value(value)
        .map_err(|err| EventError::new(format!("not an S3 event notification: {err}")))?;
    let mut events = Vec::new();
    let mut others = Vec::new();
    for record in notification.records {
        let major = record.event_version.split('.').next().unwrap_or_default();
        if record.event_source != "aws:s3" || major != "2" {
            return Err(EventError::new(format!(
                "record {:?} is not an S3 event of version 2.x (eventSource {:?}, eventVersion {:?})",
                record.event_name, record.event_source, record.event_version
            )));
        }
        let key = decode_key(&record.s3.object.key)?;
        let kind = if record.event_name.starts_with("ObjectCreated:") {
            ObjectEventKind::Created
        } else if record.event_name.starts_with("ObjectRemoved:")
            || record.event_name.starts_with("LifecycleExpiration:")
        {
            // Lifecycle expirations remove objects too (EventBridge calls them Object Deleted).
            ObjectEventKind::Removed
        } else {
            others.push(OtherEvent {
                key,
                name: record.event_name,
            });
            continue;
        };
        events.push(ObjectEvent {
            kind,
            name: record.event_name,
            bucket: record.s3.bucket.name,
            key,
            size: record.s3.object.size,
            etag: record.s3.object.e_tag,
            sequencer: record.s3.object.sequencer,
        });
    }
    Ok(Delivery::Objects { events, others })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_form_decoded_once() {
        assert_eq!(decode_key("Happy%20Face.jpg").unwrap(), "Happy Face.jpg");
        assert_eq!(decode_key("a+b%2Bc%252B").unwrap(), "a b+c%2B");
        assert!(decode_key("%ff").is_err());
    }
}
