//! S3 events delivered by EventBridge (e.g. through an API destination).
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html>
//!
//! Keys are taken as written, not URL-decoded as raw notifications' are. AWS's page shows
//! plain keys only and says nothing of encoding; AWS's Powertools decode them as raw ones.
//! Unsettled until a real event with a space or `+` in its key is captured (README).

use super::fields;
use super::{
    Deletion, Delivery, EventError, EventOrigin, ObjectEvent, ObjectEventKind, OtherEvent,
};
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
        origin: EventOrigin {
            time: fields::text_at(value, &["time"]),
            region: fields::text_at(value, &["region"]),
            requester: fields::text_at(value, &["detail", "requester"]),
            source_ip: fields::text_at(value, &["detail", "source-ip-address"]),
            configuration_id: None,
        },
    };
    Ok(Delivery::Objects {
        events: vec![event],
        others: Vec::new(),
    })
}
