//! The S3-triggered body: a metadata item and a derived object per uploaded object.

use serde_json::json;
use spinlift::aws::dynamodb::{self, DeleteItem, Item, PutItem};
use spinlift::client::services::Services;
use spinlift::client::ClientError;
use spinlift::config::{self, ConfigError, Variables};
use spinlift::events::{ObjectEvent, ObjectEventKind};
use spinlift::handler::{ObjectEventHandler, Outcome};
use spinlift::outbound::HttpClient;
use spinlift::s3::{DeleteObject, ObjectKey};

/// Describes each new object; forgets each removed one.
#[derive(Debug, Clone)]
pub struct Describe {
    /// The DynamoDB table (string partition key `pk`, the object key).
    pub table: String,
    /// Where derived objects go; objects under it are never described.
    pub prefix: String,
}

impl Describe {
    /// From the app's own variables `metadata_table` and `derived_prefix`.
    ///
    /// # Errors
    /// A variable is not set or cannot be read.
    pub fn from_variables(vars: &dyn Variables) -> Result<Self, ConfigError> {
        Ok(Self {
            table: config::require(vars, "metadata_table")?,
            prefix: config::require(vars, "derived_prefix")?,
        })
    }
}

/// The item's key.
pub(crate) fn item_key(key: &str) -> Item {
    [("pk".to_owned(), dynamodb::s(key))].into_iter().collect()
}

impl ObjectEventHandler for Describe {
    type Error = ClientError;

    async fn handle<C: HttpClient>(
        &self,
        services: &Services<'_, C>,
        event: &ObjectEvent,
    ) -> Result<Outcome, ClientError> {
        if event.key.starts_with(&self.prefix) {
            return Ok(Outcome::Skipped("a derived object".into()));
        }
        let (Ok(key), Ok(derived)) = (
            ObjectKey::new(event.key.clone()),
            ObjectKey::new(format!("{}{}.json", self.prefix, event.key)),
        ) else {
            return Ok(Outcome::Skipped("no derived key can be named".into()));
        };
        // Events come at least once and in any order, and in a versioned bucket a removal may
        // leave the object there (an old version's) or bring it back (a delete marker's, with
        // no creation event): the object as it is now decides, not the event's kind.
        let Some(head) = services.s3.head(&key).await? else {
            if event.kind == ObjectEventKind::Created {
                return Ok(Outcome::Skipped("the object is gone".into()));
            }
            services
                .s3
                .call(&DeleteObject {
                    key: &derived,
                    if_match: None,
                })
                .await?;
            let delete = DeleteItem {
                table: &self.table,
                key: &item_key(&event.key),
                condition: None,
            };
            services.aws.call(&delete).await?;
            return Ok(Outcome::Processed);
        };
        let content_type = head.content_type().unwrap_or("application/octet-stream");
        let size = head.content_length().unwrap_or(0);
        let etag = head.etag().unwrap_or_default();
        let description =
            json!({"key": event.key, "size": size, "content_type": content_type, "etag": etag});
        let body = description.to_string().into_bytes();
        let json_type = http::HeaderValue::from_static("application/json");
        services.s3.put_bytes(&derived, &json_type, body).await?;
        let mut item = item_key(&event.key);
        item.insert("size".into(), dynamodb::n(size));
        item.insert("content_type".into(), dynamodb::s(content_type));
        item.insert("etag".into(), dynamodb::s(etag));
        let put = PutItem {
            table: &self.table,
            item: &item,
            condition: None,
        };
        services.aws.call(&put).await?;
        Ok(Outcome::Processed)
    }
}
