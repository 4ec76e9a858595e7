//! S3 events delivered by EventBridge (e.g. through an API destination).
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html>
//!
//! Unlike raw notifications, EventBridge carries keys as they are, not URL-encoded (a `:` in
//! a key appears literally in the events AWS sends).

use super::fields;
use super::{Delivery, EventError, ObjectEvent, ObjectEventKind, OtherEvent};
use serde_json::Value;

pub(super) fn decode(value: Value) -> Result<Delivery, EventError> {
    let event = read(&value)
        .map_err(|err| EventError::new(format!("not an EventBridge S3 event: {err}")))?;
    let kind = match event.name.as_str() {
        "Object Created" => ObjectEventKind::Created,
        "Object Deleted" => ObjectEventKind::Removed,
        _ => {
            let other = OtherEvent {
                key: event.key,
                name: event.name,
            };
            return Ok(Delivery::Objects {
                events: Vec::new(),
                others: vec![other],
            });
        }
    };
    let event = ObjectEvent { kind, ..event };
    Ok(Delivery::Objects {
        events: vec![event],
        others: Vec::new(),
    })
}

/// The event's `detail-type` and the fields of its `detail` spinlift reads, as an object
/// event whose kind is decided by the caller.
fn read(value: &Value) -> Result<ObjectEvent, String> {
    let event = value.as_object().ok_or("the body is not a JSON object")?;
    let detail = fields::nested(event, "detail")?;
    let object = fields::nested(detail, "object")?;
    Ok(ObjectEvent {
        kind: ObjectEventKind::Created,
        name: fields::string(event, "detail-type")?,
        bucket: fields::string(fields::nested(detail, "bucket")?, "name")?,
        key: fields::string(object, "key")?,
        size: fields::optional_u64(object, "size")?,
        etag: fields::optional_string(object, "etag")?,
        sequencer: fields::optional_string(object, "sequencer")?,
    })
}
