//! The S3-triggered body, as the Lambda had it: for each new object, a small JSON summary
//! (`<summary_prefix><key>.json`: size, content type, ETag) next to it in the bucket; for a
//! removed object, its summary removed. Replace it with your function's logic.

use serde_json::json;
use spinlift::client::services::Services;
use spinlift::client::ClientError;
use spinlift::config::{self, ConfigError, Variables};
use spinlift::events::{ObjectEvent, ObjectEventKind};
use spinlift::handler::{ObjectEventHandler, Outcome};
use spinlift::outbound::HttpClient;
use spinlift::s3::{DeleteObject, ObjectKey};

/// Summarizes each new object; forgets the summary of each removed one.
#[derive(Debug, Clone)]
pub struct Summarize {
    /// Where summaries go. Objects under it are not summarized (a summary's own event would
    /// otherwise summarize the summary).
    pub prefix: String,
}

impl Summarize {
    /// From the app's own variable `summary_prefix`.
    ///
    /// # Errors
    /// The variable is not set or cannot be read.
    pub fn from_variables(vars: &dyn Variables) -> Result<Self, ConfigError> {
        Ok(Self {
            prefix: config::require(vars, "summary_prefix")?,
        })
    }

    /// The summary's key for an object key, `None` for the summaries themselves.
    pub fn summary_key(&self, key: &str) -> Option<String> {
        (!key.starts_with(&self.prefix)).then(|| format!("{}{key}.json", self.prefix))
    }
}

impl ObjectEventHandler for Summarize {
    type Error = ClientError;

    /// Runs once per event, possibly more than once for one (delivery is at least once), so
    /// it must be idempotent. An error makes the whole delivery fail and be sent again.
    async fn handle<C: HttpClient>(
        &self,
        services: &Services<'_, C>,
        event: &ObjectEvent,
    ) -> Result<Outcome, ClientError> {
        let Some(summary) = self.summary_key(&event.key) else {
            return Ok(Outcome::Skipped("a summary".into()));
        };
        let (Ok(key), Ok(summary)) = (ObjectKey::new(event.key.clone()), ObjectKey::new(summary))
        else {
            return Ok(Outcome::Skipped("too long a key to summarize".into()));
        };
        let s3 = &services.s3;
        // Events come at least once and in any order, and in a versioned bucket a removal may
        // leave the object there (an old version's) or bring it back (a delete marker's, with
        // no creation event): the object as it is now decides, not the event's kind.
        let Some(head) = s3.head(&key).await? else {
            if event.kind == ObjectEventKind::Created {
                // Removed since: its removal event will follow.
                return Ok(Outcome::Skipped("gone".into()));
            }
            let delete = DeleteObject {
                key: &summary,
                if_match: None,
            };
            s3.call(&delete).await?;
            return Ok(Outcome::Processed);
        };
        let content_type = head.content_type().unwrap_or("application/octet-stream");
        let body = json!({
            "key": event.key,
            "size": head.content_length(),
            "content_type": content_type,
            "etag": head.etag(),
        });
        let json_type = http::HeaderValue::from_static("application/json");
        s3.put_bytes(&summary, &json_type, body.to_string().into_bytes())
            .await?;
        Ok(Outcome::Processed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_are_named_after_their_object_and_never_summarized() {
        let summarize = Summarize {
            prefix: "summaries/".into(),
        };
        assert_eq!(
            summarize.summary_key("photos/cat.jpg").as_deref(),
            Some("summaries/photos/cat.jpg.json")
        );
        assert_eq!(summarize.summary_key("summaries/photos/cat.jpg.json"), None);
    }
}
