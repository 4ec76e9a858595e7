//! Raw S3 event notifications: `{"Records": [...]}`.
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html>

use super::fields::{self, Object};
use super::{
    Deletion, Delivery, EventError, EventOrigin, ObjectEvent, ObjectEventKind, OtherEvent,
};
use crate::sigv4::percent_decode;
use serde_json::Value;

/// The fields of one record spinlift reads; any others are ignored.
struct Record {
    event_version: String,
    event_source: String,
    event_name: String,
    bucket: String,
    key: String,
    size: Option<u64>,
    e_tag: Option<String>,
    sequencer: Option<String>,
    version_id: Option<String>,
    origin: EventOrigin,
}

impl Record {
    fn read(value: &Value) -> Result<Self, String> {
        let record: &Object = value.as_object().ok_or("a record is not a JSON object")?;
        let s3 = fields::nested(record, "s3")?;
        let object = fields::nested(s3, "object")?;
        Ok(Self {
            event_version: fields::optional_string(record, "eventVersion")?.unwrap_or_default(),
            event_source: fields::optional_string(record, "eventSource")?.unwrap_or_default(),
            event_name: fields::string(record, "eventName")?,
            bucket: fields::string(fields::nested(s3, "bucket")?, "name")?,
            key: fields::string(object, "key")?,
            size: fields::optional_u64(object, "size")?,
            e_tag: fields::optional_string(object, "eTag")?,
            sequencer: fields::optional_string(object, "sequencer")?,
            version_id: fields::optional_string(object, "versionId")?,
            origin: EventOrigin {
                time: fields::text_at(value, &["eventTime"]),
                region: fields::text_at(value, &["awsRegion"]),
                requester: fields::text_at(value, &["userIdentity", "principalId"]),
                source_ip: fields::text_at(value, &["requestParameters", "sourceIPAddress"]),
                configuration_id: fields::text_at(value, &["s3", "configurationId"]),
            },
        })
    }
}

/// Keys in S3 notifications are URL-encoded form-style: a space arrives as `+`, a literal `+`
/// as `%2B`. Decoded exactly once.
fn decode_key(raw: &str) -> Result<String, EventError> {
    String::from_utf8(percent_decode(raw, true).into_owned())
        .map_err(|_| EventError::new(format!("record key {raw:?} is not UTF-8 once URL-decoded")))
}

pub(super) fn decode(value: Value) -> Result<Delivery, EventError> {
    let records = value
        .as_object()
        .ok_or_else(|| "the body is not a JSON object".to_owned())
        .and_then(|notification| fields::array(notification, "Records"))
        .and_then(|records| {
            records
                .iter()
                .map(Record::read)
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|err| EventError::new(format!("not an S3 event notification: {err}")))?;
    let mut events = Vec::new();
    let mut others = Vec::new();
    for record in records {
        let major = record.event_version.split('.').next().unwrap_or_default();
        if record.event_source != "aws:s3" || major != "2" {
            return Err(EventError::new(format!(
                "record {:?} is not an S3 event of version 2.x (eventSource {:?}, eventVersion {:?})",
                record.event_name, record.event_source, record.event_version
            )));
        }
        let key = decode_key(&record.key)?;
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
        let deletion = match record.event_name.rsplit(':').next() {
            _ if kind == ObjectEventKind::Created => None,
            Some("DeleteMarkerCreated") => Some(Deletion::DeleteMarker),
            Some("Delete") => Some(Deletion::Permanent),
            _ => None,
        };
        events.push(ObjectEvent {
            kind,
            name: record.event_name,
            bucket: record.bucket,
            key,
            size: record.size,
            etag: record.e_tag,
            sequencer: record.sequencer,
            version_id: record.version_id,
            deletion,
            origin: record.origin,
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
