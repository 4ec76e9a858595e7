//! S3 events delivered by EventBridge (e.g. through an API destination).
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html>
//!
//! Unlike raw notifications, EventBridge carries keys as they are, not URL-encoded (a `:` in
//! a key appears literally in the events AWS sends).

use super::{Delivery, EventError, ObjectEvent, ObjectEventKind, OtherEvent};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "detail-type")]
    detail_type: String,
    detail: Detail,
}

#[derive(Deserialize)]
struct Detail {
    bucket: Bucket,
    object: Object,
}

#[derive(Deserialize)]
struct Bucket {
    name: String,
}

#[derive(Deserialize)]
struct Object {
    key: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    etag: Option<String>,
    #[serde(default)]
    sequencer: Option<String>,
}

pub(super) fn decode(value: Value) -> Result<Delivery, EventError> {
    let event: Event = serde_json::from_value(value)
        .map_err(|err| EventError::new(format!("not an EventBridge S3 event: {err}")))?;
    let kind = match event.detail_type.as_str() {
        "Object Created" => ObjectEventKind::Created,
        "Object Deleted" => ObjectEventKind::Removed,
        _ => {
            let other = OtherEvent {
                key: event.detail.object.key,
                name: event.detail_type,
            };
            return Ok(Delivery::Objects {
                events: Vec::new(),
                others: vec![other],
            });
        }
    };
    let object = event.detail.object;
    let event = ObjectEvent {
        kind,
        name: event.detail_type,
        bucket: event.detail.bucket.name,
        key: object.key,
        size: object.size,
        etag: object.etag,
        sequencer: object.sequencer,
    };
    Ok(Delivery::Objects {
        events: vec![event],
        others: Vec::new(),
    })
}
