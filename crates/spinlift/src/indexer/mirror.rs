//! Where else the indexer records what it did: a DynamoDB table (`index_table`) and
//! notifications to an SQS queue (`notify_queue_url`) or an SNS topic (`notify_topic_arn`).
//!
//! The table write is conditional on the event's sequencer, so redelivered and reordered
//! events leave the newest state; notifications are at least once (a redelivery may repeat
//! one), identified by key and sequencer for consumers to deduplicate.

use crate::aws::dynamodb::{self, DeleteItem, Expression, Item, PutItem};
use crate::aws::sns::Publish;
use crate::aws::sqs::SendMessage;
use crate::client::aws::AwsCall;
use crate::client::ClientError;
use crate::indexer::manifest::{Manifest, MAX_SEQUENCER_DIGITS};
use crate::outbound::HttpClient;
use serde_json::{json, Value};

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
    /// table already holds a later event: nothing was changed or notified.
    ///
    /// # Errors
    /// A service refused or could not be reached (the record fails and is redelivered).
    pub async fn created<C: HttpClient>(
        &self,
        aws: &AwsCall<'_, C>,
        bucket: &str,
        manifest: &Manifest,
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
        self.notify(
            aws,
            &notification(
                "created",
                bucket,
                &manifest.key,
                Some(manifest),
                manifest.sequencer.as_deref(),
            ),
        )
        .await?;
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
        self.notify(aws, &notification("removed", bucket, key, None, sequencer))
            .await?;
        Ok(true)
    }

    async fn notify<C: HttpClient>(
        &self,
        aws: &AwsCall<'_, C>,
        message: &str,
    ) -> Result<(), ClientError> {
        if let Some(queue_url) = &self.queue_url {
            let send = SendMessage {
                queue_url,
                body: message,
            };
            aws.call(&send).await?;
        }
        if let Some(topic_arn) = &self.topic_arn {
            let publish = Publish {
                topic_arn,
                message,
                subject: None,
            };
            aws.call(&publish).await?;
        }
        Ok(())
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
