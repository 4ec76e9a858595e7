//! Where else the indexer records what it did: a DynamoDB table (`index_table`) and
//! notifications to an SQS queue (`notify_queue_url`) or an SNS topic (`notify_topic_arn`).
//!
//! The table write is conditional on the event's sequencer, so redelivered and reordered
//! events leave the newest state; notifications are at least once (a redelivery may repeat
//! one), identified by key and sequencer for consumers to deduplicate. A FIFO queue or topic
//! (`.fifo`) gets each key's notifications in one message group, in the order they were
//! sent, and drops a repeat sent within its five-minute deduplication window.

use crate::aws::dynamodb::{self, DeleteItem, Expression, Item, PutItem};
use crate::aws::sns::{Fifo, Publish};
use crate::aws::sqs::SendMessage;
use crate::client::aws::AwsCall;
use crate::client::ClientError;
use crate::indexer::manifest::{Manifest, MAX_SEQUENCER_DIGITS};
use crate::outbound::HttpClient;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The sequencer width the table stores: S3 sequencers are hex of varying length, compared
/// after right-padding with zeros; padded to one width they compare as plain strings. The indexer takes
/// no longer ones.
const SEQUENCER_WIDTH: usize = MAX_SEQUENCER_DIGITS;

/// The configured mirrors; all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mirrors {
    /// Table with string partition key `pk` (the object key).
    pub table: Option<String>,
    /// Queue notified of each processed object.
    pub queue_url: Option<String>,
    /// Topic notified of each processed object.
    pub topic_arn: Option<String>,
}

impl Mirrors {
    /// Records a created object: the table item, then the notifications. `false` when the
    /// table already holds a later event: nothing was changed or notified. `time` is the
    /// event's (`eventTime`): with the message, it names the event to a FIFO target.
    ///
    /// # Errors
    /// A service refused or could not be reached (the record fails and is redelivered).
    pub async fn created<C: HttpClient>(
        &self,
        aws: &AwsCall<'_, C>,
        bucket: &str,
        manifest: &Manifest,
        time: Option<&str>,
    ) -> Result<bool, ClientError> {
        if let Some(table) = &self.table {
            let item = item(bucket, manifest);
            let condition = newer_than_stored(manifest.sequencer.as_deref());
            let put = PutItem {
                table,
                item: &item,
                condition: condition.as_ref(),
            };
            if is_stale(aws.call(&put).await)? {
                return Ok(false);
            }
        }
        let sequencer = manifest.sequencer.as_deref();
        let message = notification("created", bucket, &manifest.key, Some(manifest), sequencer);
        self.notify(aws, &manifest.key, &message, time).await?;
        Ok(true)
    }

    /// Records a removed object: the table item deleted, then the notifications. `false`
    /// when the table holds a later event: nothing was changed or notified.
    ///
    /// # Errors
    /// A service refused or could not be reached.
    pub async fn removed<C: HttpClient>(
        &self,
        aws: &AwsCall<'_, C>,
        bucket: &str,
        key: &str,
        sequencer: Option<&str>,
        time: Option<&str>,
    ) -> Result<bool, ClientError> {
        if let Some(table) = &self.table {
            let key_item: Item = [("pk".to_owned(), dynamodb::s(key))].into_iter().collect();
            let condition = newer_than_stored(sequencer);
            let delete = DeleteItem {
                table,
                key: &key_item,
                condition: condition.as_ref(),
            };
            if is_stale(aws.call(&delete).await)? {
                return Ok(false);
            }
        }
        let message = notification("removed", bucket, key, None, sequencer);
        self.notify(aws, key, &message, time).await?;
        Ok(true)
    }

    async fn notify<C: HttpClient>(
        &self,
        aws: &AwsCall<'_, C>,
        key: &str,
        message: &str,
        time: Option<&str>,
    ) -> Result<(), ClientError> {
        let ids = FifoIds::of(key, message, time);
        if let Some(queue_url) = &self.queue_url {
            let send = SendMessage {
                queue_url,
                body: message,
                fifo: ids.for_target(queue_url),
            };
            aws.call(&send).await?;
        }
        if let Some(topic_arn) = &self.topic_arn {
            let publish = Publish {
                topic_arn,
                message,
                subject: None,
                fifo: ids.for_target(topic_arn),
            };
            aws.call(&publish).await?;
        }
        Ok(())
    }
}

/// A notification's ids for a FIFO queue or topic, which refuses a message without a group.
/// The group is the object key's digest (a key may be longer than the 128 characters a group
/// id takes, and hold characters it does not), so one key's notifications stay in order and
/// different keys' go in parallel; the deduplication id is the digest of the message (kind,
/// key, sequencer) and the event's time, which a redelivery repeats, so a repeat within five
/// minutes is dropped, while two events without a sequencer (made by hand) stay two.
struct FifoIds {
    group: String,
    deduplication: String,
}

impl FifoIds {
    fn of(key: &str, message: &str, time: Option<&str>) -> Self {
        let digest = |parts: &[&str]| {
            let mut hasher = Sha256::new();
            for part in parts {
                hasher.update(part);
                hasher.update(b"\n");
            }
            crate::sigv4::hex_digest(&hasher.finalize().into())
        };
        Self {
            group: digest(&[key]),
            deduplication: digest(&[message, time.unwrap_or_default()]),
        }
    }

    /// The ids when `target` (a queue URL or topic ARN) names a FIFO one.
    fn for_target(&self, target: &str) -> Option<Fifo<'_>> {
        target.ends_with(".fifo").then_some(Fifo {
            group_id: &self.group,
            deduplication_id: Some(&self.deduplication),
        })
    }
}

/// The table item of a manifest.
pub fn item(bucket: &str, manifest: &Manifest) -> Item {
    let mut item: Item = [
        ("pk".to_owned(), dynamodb::s(&manifest.key)),
        ("bucket".to_owned(), dynamodb::s(bucket)),
        ("size".to_owned(), dynamodb::n(manifest.size)),
        ("sha256".to_owned(), dynamodb::s(&manifest.sha256)),
    ]
    .into_iter()
    .collect();
    let optional = [
        ("content_type", manifest.content_type.as_deref()),
        ("etag", manifest.etag.as_deref()),
        ("sequencer", manifest.sequencer.as_deref()),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            item.insert(name.to_owned(), dynamodb::s(value));
        }
    }
    if let Some(sequencer) = &manifest.sequencer {
        item.insert("seq".to_owned(), dynamodb::s(&padded(sequencer)));
    }
    item
}

/// `attribute_not_exists(pk) OR attribute_not_exists(#seq) OR #seq <= :seq`: write only over
/// an older event's item, this event's own (a redelivery, or a retry after a later step
/// failed, records it again), or an item an event without a sequencer left (which has no
/// order to keep; without the middle term, a missing `seq` compares false and would block
/// every later event of the key). Without a sequencer: unconditional.
fn newer_than_stored(sequencer: Option<&str>) -> Option<Expression> {
    let sequencer = sequencer?;
    Some(Expression {
        text: "attribute_not_exists(pk) OR attribute_not_exists(#seq) OR #seq <= :seq".into(),
        names: [("#seq".to_owned(), json!("seq"))].into_iter().collect(),
        values: [(":seq".to_owned(), dynamodb::s(&padded(sequencer)))]
            .into_iter()
            .collect(),
    })
}

/// Whether a conditional table write failed its condition: the table already holds a later
/// event, which is no error.
fn is_stale(result: Result<(), ClientError>) -> Result<bool, ClientError> {
    match result {
        Ok(()) => Ok(false),
        Err(ClientError::Service { error, .. })
            if error.code == "ConditionalCheckFailedException" =>
        {
            Ok(true)
        }
        Err(err) => Err(err),
    }
}

/// A sequencer right-padded with zeros to `SEQUENCER_WIDTH`, uppercase: S3's comparison rule
/// (see `crate::events::compare_sequencers`) as a string the table can compare.
pub fn padded(sequencer: &str) -> String {
    format!("{:0<SEQUENCER_WIDTH$}", sequencer.to_ascii_uppercase())
}

/// The notification body: `{"event","bucket","key","sequencer"}` plus the manifest's size,
/// sha256 and content type for a creation.
fn notification(
    event: &str,
    bucket: &str,
    key: &str,
    manifest: Option<&Manifest>,
    sequencer: Option<&str>,
) -> String {
    let mut body = json!({"event": event, "bucket": bucket, "key": key, "sequencer": sequencer});
    if let Some(manifest) = manifest {
        body["size"] = manifest.size.into();
        body["sha256"] = manifest.sha256.clone().into();
        body["content_type"] = manifest
            .content_type
            .clone()
            .map_or(Value::Null, Value::String);
    }
    body.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_sequencers_order_as_strings() {
        assert_eq!(padded("0a1").len(), SEQUENCER_WIDTH);
        assert!(padded("0a1").starts_with("0A1000"));
        // The table's order is compare_sequencers' order, for every pair of lengths.
        let pairs = [
            ("FF", "0100"),
            ("0055AED6DCD90281E5", "0055aed6dcd90281e6"),
            ("B", "A0FF"),
            ("A1B", "A1B0"),
            ("0055AED6DCD90281E6", "0055AED6DCD90281E5FF"),
        ];
        for (a, b) in pairs {
            assert_eq!(
                padded(a).cmp(&padded(b)),
                crate::events::compare_sequencers(a, b),
                "{a} {b}"
            );
        }
    }

    #[test]
    fn fifo_targets_get_a_group_per_key_and_a_deduplication_id_per_event() {
        let long_key = "k/".repeat(400);
        let created = FifoIds::of(
            &long_key,
            "{\"event\":\"created\",\"sequencer\":\"0A\"}",
            None,
        );
        let removed = FifoIds::of(
            &long_key,
            "{\"event\":\"removed\",\"sequencer\":\"0B\"}",
            None,
        );
        let other = FifoIds::of(
            "other key",
            "{\"event\":\"created\",\"sequencer\":\"0A\"}",
            None,
        );
        let queue = "https://sqs.eu-west-1.amazonaws.com/1/spinlift.fifo";
        let (a, b, c) = (
            created.for_target(queue).unwrap(),
            removed.for_target(queue).unwrap(),
            other.for_target(queue).unwrap(),
        );
        assert_eq!(a.group_id, b.group_id, "one key, one group");
        assert_ne!(a.group_id, c.group_id);
        assert_ne!(a.deduplication_id, b.deduplication_id);
        // Within SQS's and SNS's limits: at most 128 characters, here hex.
        for id in [a.group_id, a.deduplication_id.unwrap()] {
            assert!(
                id.len() <= 128 && id.bytes().all(|b| b.is_ascii_hexdigit()),
                "{id}"
            );
        }
        for plain in [
            "https://sqs.eu-west-1.amazonaws.com/1/spinlift",
            "arn:aws:sns:eu-west-1:1:fifo-less",
        ] {
            assert_eq!(created.for_target(plain), None, "{plain}");
        }
        assert!(created
            .for_target("arn:aws:sns:eu-west-1:1:t.fifo")
            .is_some());
        // Without a sequencer, the event's time tells two removals of a key apart; a
        // redelivery repeats both.
        let unordered = "{\"event\":\"removed\",\"sequencer\":null}";
        let at = |time| FifoIds::of("k", unordered, Some(time)).deduplication;
        assert_ne!(
            at("2026-12-05T00:00:00.000Z"),
            at("2026-12-05T00:01:00.000Z")
        );
        assert_eq!(
            at("2026-12-05T00:00:00.000Z"),
            at("2026-12-05T00:00:00.000Z")
        );
    }

    #[test]
    fn items_carry_the_manifest_and_the_padded_sequencer() {
        let manifest = Manifest {
            key: "a b.txt".into(),
            size: 3,
            sha256: "ab".into(),
            content_type: None,
            etag: Some("\"e\"".into()),
            sequencer: Some("0A".into()),
        };
        let item = item("bkt", &manifest);
        assert_eq!(item["pk"], dynamodb::s("a b.txt"));
        assert_eq!(item["size"], dynamodb::n(3));
        assert_eq!(item["seq"], dynamodb::s(&padded("0A")));
        assert!(!item.contains_key("content_type"));
    }
}
