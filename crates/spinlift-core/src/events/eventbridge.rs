//! S3 events delivered by EventBridge (e.g. through an API destination).
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html>
//!
//! Unlike raw notifications, EventBridge carries keys as they are, not URL-encoded (a `:` in
//! a key appears literally in the events AWS sends).

use super::fields;
use super::{Deletion, Delivery, EventError, ObjectEvent, ObjectEventKind, OtherEvent};
use serde_json::Value;

pub(super) fn decode(value: Value) -> Result<Delivery, EventError> {
    read(&value).map_err(|err| EventError::new(format!("not an EventBridge S3 event: {err}")))
}

/// The event's `detail-type` and the fields of its `detail` spinlift reads: an object event
/// for a creation or a removal, any other S3 event (restores, tags, ...) as skipped.
fn read(value: &Value) -> Result<Delivery, String> {
    let event = value.as_object().ok_or("the body is not a JSON object")?;
    let detail = fields::nested(event, "detail")?;
    let name = fields::string(event, "detail-type")?;
    let kind = match name.as_str() {
        "Object Created" => ObjectEventKind::Created,
        "Object Deleted" => ObjectEventKind::Removed,
        // Restores, tags, ACLs, storage classes, and whatever else a rule on `aws.s3` lets
        // through (CloudTrail's API calls have no `detail.object`): skipped, not refused.
        _ => {
            let key = detail
                .get("object")
                .and_then(|object| object.get("key"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            return Ok(Delivery::Objects {
                events: Vec::new(),
                others: vec![OtherEvent { key, name }],
            });
        }
    };
    let object = fields::nested(detail, "object")?;
    let bucket = fields::string(fields::nested(detail, "bucket")?, "name")?;
    let key = fields::string(object, "key")?;
    let event = ObjectEvent {
        kind,
        name,
        bucket,
        key,
        size: fields::optional_u64(object, "size")?,
        etag: fields::optional_string(object, "etag")?,
        sequencer: fields::optional_string(object, "sequencer")?,
        version_id: fields::optional_string(object, "version-id")?,
        deletion: match fields::optional_string(detail, "deletion-type")?.as_deref() {
            Some("Delete Marker Created") => Some(Deletion::DeleteMarker),
            Some("Permanently Deleted") => Some(Deletion::Permanent),
            _ => None,
        },
    };
    Ok(Delivery::Objects {
        events: vec![event],
        others: Vec::new(),
    })
}
