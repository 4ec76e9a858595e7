//! The migrated Lambda logic: what runs for each object event. Replaceable.
//!
//! [`ObjectEventHandler`] is the seam a user implements to drop in their own Lambda body;
//! [`Indexer`] is the default: it keeps a JSON manifest per object (size, SHA-256, content
//! type, ETag, sequencer) under an index prefix in the same bucket. S3 delivers at least once
//! and out of order, so every step is idempotent and ordered by the event's sequencer.

mod error;
pub mod manifest;
pub mod mirror;
mod store;

pub use error::IndexError;
pub use manifest::{Manifest, MAX_SEQUENCER_DIGITS};
use store::Step;

use crate::client::services::Services;
use crate::config::IndexSettings;
use crate::events::{compare_sequencers, ObjectEvent, ObjectEventKind};
use crate::handler::{ObjectEventHandler, Outcome};
use crate::outbound::HttpClient;
use crate::s3::ObjectKey;
use mirror::Mirrors;
use std::cmp::Ordering;

/// The default handler: a manifest per object at `<prefix><key>.json`, mirrored to a
/// DynamoDB table and notified to a queue or topic when those are configured. With the
/// table configured, the S3 manifests can be left out: the table is then the index.
#[derive(Debug, Clone)]
pub struct Indexer {
    prefix: String,
    mirrors: Mirrors,
    s3_manifests: bool,
}

impl Indexer {
    /// An indexer writing manifests under `prefix` (e.g. `_index/`).
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            mirrors: Mirrors::default(),
            s3_manifests: true,
        }
    }

    /// The indexer the `index_*` and `notify_*` variables describe.
    pub fn from_settings(settings: IndexSettings) -> Self {
        let indexer = Self::new(settings.prefix).with_mirrors(Mirrors {
            table: settings.table,
            queue_url: settings.queue_url,
            topic_arn: settings.topic_arn,
        });
        match settings.s3_manifests {
            true => indexer,
            false => indexer.without_s3_manifests(),
        }
    }

    /// Also records each change in `mirrors` (before the manifest, which is written last:
    /// a failure anywhere leaves no manifest, so the redelivery redoes every step).
    pub fn with_mirrors(self, mirrors: Mirrors) -> Self {
        Self { mirrors, ..self }
    }

    /// Keeps the index in the mirrors' table only, without S3 manifests: the table's
    /// conditional writes then keep the order alone. Only meaningful with a table.
    pub fn without_s3_manifests(self) -> Self {
        Self {
            s3_manifests: false,
            ..self
        }
    }

    fn manifest_key(&self, key: &str) -> Result<ObjectKey, Outcome> {
        ObjectKey::new(format!("{}{key}.json", self.prefix)).map_err(|err| {
            Outcome::Skipped(format!("no manifest can be named for this key: {err}"))
        })
    }
}

/// S3 sequencers are hexadecimal strings.
fn is_sequencer(sequencer: &str) -> bool {
    (1..=MAX_SEQUENCER_DIGITS).contains(&sequencer.len())
        && sequencer.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether an event with `incoming` may overwrite what a manifest from `stored` recorded.
fn is_newer(incoming: Option<&str>, stored: Option<&str>) -> bool {
    match (incoming, stored) {
        (Some(incoming), Some(stored)) => compare_sequencers(incoming, stored) == Ordering::Greater,
        // Without sequencers there is no order to keep: apply (idempotently).
        _ => true,
    }
}

impl ObjectEventHandler for Indexer {
    type Error = IndexError;

    async fn handle<C: HttpClient>(
        &self,
        services: &Services<'_, C>,
        event: &ObjectEvent,
    ) -> Result<Outcome, IndexError> {
        let s3 = &services.s3;
        let key = match ObjectKey::new(event.key.clone()) {
            Ok(key) => key,
            Err(err) => return Ok(Outcome::Skipped(format!("not an object key: {err}"))),
        };
        let sequencer = event.sequencer.as_deref();
        if let Some(sequencer) = sequencer.filter(|s| !is_sequencer(s)) {
            // Order is decided by this value: a forged one could block every later event.
            return Ok(Outcome::Skipped(format!(
                "sequencer {sequencer:?} is not hexadecimal, of at most {MAX_SEQUENCER_DIGITS} digits"
            )));
        }
        if !self.s3_manifests {
            // No manifest is named or written: every key is indexed.
            return self.handle_in_table(services, event, &key).await;
        }
        if event.key.starts_with(&self.prefix) {
            return Ok(Outcome::Skipped(
                "a manifest itself: never indexed, or it would loop".into(),
            ));
        }
        let manifest_key = match self.manifest_key(&event.key) {
            Ok(key) => key,
            Err(skipped) => return Ok(skipped),
        };
        // Compare-and-swap: every write or delete of the manifest is conditional on the
        // version read, so concurrent deliveries for one key cannot let an older event win.
        // On a conflict the decision is made again from what is stored now, the object
        // included: it may have been deleted or replaced meanwhile.
        for _ in 0..MAX_CONFLICTS {
            let stored = store::stored(s3, &manifest_key).await?;
            // Creations and removals alike: a removal that found the object there wrote it.
            if stored
                .as_ref()
                .is_some_and(|s| !is_newer(sequencer, s.sequencer.as_deref()))
            {
                return Ok(Outcome::Skipped(
                    "the manifest is from this or a later event".into(),
                ));
            }
            let step = match event.kind {
                ObjectEventKind::Created => {
                    let manifest = match self.record_created(services, event, &key).await? {
                        Ok(manifest) => manifest,
                        Err(skipped) => return Ok(skipped),
                    };
                    store::write(s3, &manifest_key, &manifest, stored.as_ref()).await?
                }
                ObjectEventKind::Removed => {
                    match (s3.head(&key).await?, &stored) {
                        // Another version was removed (a noncurrent one, in a versioned
                        // bucket): the object the manifest describes is still current.
                        (Some(head), Some(stored)) if stored.describes(&head) => {
                            return Ok(Outcome::Skipped(UNCHANGED.into()));
                        }
                        // The object is there but not as indexed: written again since (its
                        // creation event may still come), or made current again by removing a
                        // delete marker or the current version, which sends no creation event.
                        // Indexed as it is now, under this event's sequencer.
                        (Some(_), _) => {
                            let manifest = match self.record_created(services, event, &key).await? {
                                Ok(manifest) => manifest,
                                Err(skipped) => return Ok(skipped),
                            };
                            store::write(s3, &manifest_key, &manifest, stored.as_ref()).await?
                        }
                        (None, Some(stored)) => {
                            if let Some(skipped) = self.record_removed(services, event).await? {
                                return Ok(skipped);
                            }
                            store::remove(s3, &manifest_key, stored).await?
                        }
                        // The table is written first, so it may hold an item all the same.
                        (None, None) if self.mirrors.table.is_some() => {
                            let skipped = self.record_removed(services, event).await?;
                            return Ok(skipped.unwrap_or(Outcome::Processed));
                        }
                        (None, None) => {
                            return Ok(Outcome::Skipped("no manifest to remove".into()))
                        }
                    }
                }
            };
            if step == Step::Done {
                return Ok(Outcome::Processed);
            }
        }
        Err(IndexError::Conflict {
            attempts: MAX_CONFLICTS,
        })
    }
}

impl Indexer {
    /// One event with the index in the table only: the table's conditional write alone
    /// decides whether the event is newer.
    async fn handle_in_table<C: HttpClient>(
        &self,
        services: &Services<'_, C>,
        event: &ObjectEvent,
        key: &ObjectKey,
    ) -> Result<Outcome, IndexError> {
        let skipped = match event.kind {
            ObjectEventKind::Created => self.record_created(services, event, key).await?.err(),
            // A removal that finds the object there (another version's, or a delete marker's
            // that made it current again) records it as it is now; the table's conditional
            // write keeps the order.
            ObjectEventKind::Removed if services.s3.head(key).await?.is_some() => {
                self.record_created(services, event, key).await?.err()
            }
            ObjectEventKind::Removed => self.record_removed(services, event).await?,
        };
        Ok(skipped.unwrap_or(Outcome::Processed))
    }

    /// Reads the created object and records it in the mirrors: the manifest to keep, or why
    /// the event is skipped (the object is gone, or the table holds a later event).
    async fn record_created<C: HttpClient>(
        &self,
        services: &Services<'_, C>,
        event: &ObjectEvent,
        key: &ObjectKey,
    ) -> Result<Result<Manifest, Outcome>, IndexError> {
        let s3 = &services.s3;
        let manifest = match store::read_object(s3, key, event.sequencer.clone()).await? {
            store::Read::Object(manifest) => manifest,
            store::Read::Gone => {
                return Ok(Err(Outcome::Skipped("the object no longer exists".into())))
            }
            store::Read::Archived => {
                return Ok(Err(Outcome::Skipped(
                    "the object is archived (InvalidObjectState): restore it and send its event again to index it".into(),
                )))
            }
        };
        let bucket = s3.bucket.name();
        match self
            .mirrors
            .created(
                &services.aws,
                bucket,
                &manifest,
                event.origin.time.as_deref(),
            )
            .await?
        {
            true => Ok(Ok(manifest)),
            false => Ok(Err(Outcome::Skipped(TABLE_IS_NEWER.into()))),
        }
    }

    /// Records the removal of an object found gone in the mirrors; why the event is skipped,
    /// if it is (the table holds a later event).
    async fn record_removed<C: HttpClient>(
        &self,
        services: &Services<'_, C>,
        event: &ObjectEvent,
    ) -> Result<Option<Outcome>, IndexError> {
        let s3 = &services.s3;
        let (bucket, sequencer) = (s3.bucket.name(), event.sequencer.as_deref());
        let recorded = self
            .mirrors
            .removed(
                &services.aws,
                bucket,
                &event.key,
                sequencer,
                event.origin.time.as_deref(),
            )
            .await?;
        Ok((!recorded).then(|| Outcome::Skipped(TABLE_IS_NEWER.into())))
    }
}

const TABLE_IS_NEWER: &str = "the index table holds a later event";

const UNCHANGED: &str = "the object is still there as indexed: another of its versions was removed";

/// How many times a conflicting manifest write is decided again before the record fails
/// (and the batch is redelivered).
const MAX_CONFLICTS: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::Body;
    use crate::error::ApiError;
    use crate::outbound::TransportError;
    use crate::sigv4::SigningTime;
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    /// A scripted answer: status, headers, body.
    type Answer = (u16, Vec<(&'static str, &'static str)>, &'static str);

    /// Answers S3 calls from a script and records each request's method, path and
    /// conditional header. What a real store does with the conditions (412) is proven
    /// against s3s-fs in `tests/s3_native.rs`; this checks the indexer's decisions.
    struct Scripted {
        answers: RefCell<Vec<Answer>>,
        seen: RefCell<Vec<String>>,
    }

    impl HttpClient for Scripted {
        async fn send(
            &self,
            request: http::Request<()>,
            _: Body,
        ) -> Result<http::Response<Body>, TransportError> {
            let condition = ["if-match", "if-none-match"]
                .iter()
                .filter_map(|name| {
                    Some(format!(
                        " {name}={}",
                        request.headers().get(*name)?.to_str().ok()?
                    ))
                })
                .collect::<String>();
            self.seen.borrow_mut().push(format!(
                "{} {}{condition}",
                request.method(),
                request.uri().path()
            ));
            let (status, headers, body) = self.answers.borrow_mut().remove(0);
            let mut response = http::Response::builder().status(status);
            for (name, value) in headers {
                response = response.header(name, value);
            }
            Ok(response
                .body(Body::Bytes(body.as_bytes().to_vec()))
                .unwrap())
        }
    }

    fn run(event: ObjectEvent, answers: Vec<Answer>) -> (Result<Outcome, IndexError>, Vec<String>) {
        let vars: BTreeMap<String, String> = [
            ("aws_region", "us-east-1"),
            ("aws_access_key_id", "AK"),
            ("aws_secret_access_key", "SK"),
            ("s3_bucket", "spinlift-dev"),
            ("s3_scheme", "http"),
            ("s3_host", "127.0.0.1:8014"),
            ("s3_path_style", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let client = Scripted {
            answers: RefCell::new(answers),
            seen: RefCell::default(),
        };
        let cache = crate::cache::MemoryCache::default();
        let env = crate::env::FakeEnv::at(SigningTime::from_unix_seconds(1_700_000_000));
        let clock = crate::clock::Clock::new(&env, &cache);
        let outcome = futures::executor::block_on(async {
            let services = Services::load(&vars, &client, &cache, &clock)
                .await
                .unwrap();
            Indexer::new("_index/").handle(&services, &event).await
        });
        (outcome, client.seen.take())
    }

    fn event(kind: ObjectEventKind, sequencer: &str) -> ObjectEvent {
        ObjectEvent {
            kind,
            name: "test".into(),
            bucket: "spinlift-dev".into(),
            key: "k".into(),
            size: Some(3),
            etag: None,
            sequencer: Some(sequencer.into()),
            version_id: None,
            deletion: None,
            origin: Default::default(),
        }
    }

    const MISSING: Answer = (404, Vec::new(), "<Error><Code>NoSuchKey</Code></Error>");
    const CONFLICT: Answer = (
        412,
        Vec::new(),
        "<Error><Code>PreconditionFailed</Code></Error>",
    );

    #[test]
    fn a_lost_race_is_decided_again_from_the_newer_manifest() {
        let older = r#"{"key":"k","size":1,"sha256":"00","content_type":null,"etag":null,"sequencer":"0A"}"#;
        let newer = r#"{"key":"k","size":1,"sha256":"00","content_type":null,"etag":null,"sequencer":"0C"}"#;
        let (outcome, seen) = run(
            event(ObjectEventKind::Created, "0B"),
            vec![
                (200, vec![("etag", "\"e1\"")], older),
                (200, vec![("etag", "\"o\"")], "abc"),
                CONFLICT,
                (200, vec![("etag", "\"e2\"")], newer),
            ],
        );
        assert_eq!(
            outcome.unwrap(),
            Outcome::Skipped("the manifest is from this or a later event".into())
        );
        assert_eq!(
            seen,
            [
                "GET /spinlift-dev/_index/k.json",
                "GET /spinlift-dev/k",
                "PUT /spinlift-dev/_index/k.json if-match=\"e1\"",
                "GET /spinlift-dev/_index/k.json",
            ]
        );
    }

    #[test]
    fn a_first_manifest_is_created_only_if_still_absent_and_retried_on_conflict() {
        let (outcome, seen) = run(
            event(ObjectEventKind::Created, "0B"),
            vec![
                MISSING,
                (200, vec![("etag", "\"o\"")], "abc"),
                CONFLICT,
                (
                    200,
                    vec![("etag", "\"e2\"")],
                    r#"{"key":"k","size":1,"sha256":"00","content_type":null,"etag":null,"sequencer":"0A"}"#,
                ),
                (200, vec![("etag", "\"o2\"")], "abcd"),
                (200, vec![("etag", "\"e3\"")], ""),
            ],
        );
        assert_eq!(outcome.unwrap(), Outcome::Processed);
        // The retry reads the object again and writes on the version it found.
        assert_eq!(
            seen,
            [
                "GET /spinlift-dev/_index/k.json",
                "GET /spinlift-dev/k",
                "PUT /spinlift-dev/_index/k.json if-none-match=*",
                "GET /spinlift-dev/_index/k.json",
                "GET /spinlift-dev/k",
                "PUT /spinlift-dev/_index/k.json if-match=\"e2\"",
            ]
        );
    }

    #[test]
    fn an_archived_object_is_skipped_not_failed_forever() {
        let archived = (
            403,
            Vec::new(),
            "<Error><Code>InvalidObjectState</Code><Message>The operation is not valid for the object's storage class</Message></Error>",
        );
        let (outcome, seen) = run(
            event(ObjectEventKind::Created, "0B"),
            vec![MISSING, archived],
        );
        match outcome.unwrap() {
            Outcome::Skipped(reason) => assert!(reason.contains("archived"), "{reason}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            seen,
            ["GET /spinlift-dev/_index/k.json", "GET /spinlift-dev/k"]
        );
        // Any other refusal still fails the record, for a redelivery.
        let denied = (403, Vec::new(), "<Error><Code>AccessDenied</Code></Error>");
        let (outcome, _) = run(event(ObjectEventKind::Created, "0B"), vec![MISSING, denied]);
        assert!(outcome.is_err());
    }

    #[test]
    fn a_retry_never_writes_a_manifest_for_an_object_deleted_meanwhile() {
        let (outcome, seen) = run(
            event(ObjectEventKind::Created, "0B"),
            vec![
                MISSING,
                (200, vec![("etag", "\"o\"")], "abc"),
                // A removal won the race: the manifest is still absent, the object gone.
                CONFLICT,
                MISSING,
                MISSING,
            ],
        );
        assert_eq!(
            outcome.unwrap(),
            Outcome::Skipped("the object no longer exists".into())
        );
        assert_eq!(seen.len(), 5);
        assert_eq!(seen[4], "GET /spinlift-dev/k");
    }

    #[test]
    fn removals_are_conditional_and_endless_conflicts_fail_the_record() {
        let stored = r#"{"key":"k","size":1,"sha256":"00","content_type":null,"etag":null,"sequencer":"0A"}"#;
        let mut answers = Vec::new();
        for _ in 0..MAX_CONFLICTS {
            answers.extend([(200, vec![("etag", "\"e1\"")], stored), MISSING, CONFLICT]);
        }
        let (outcome, seen) = run(event(ObjectEventKind::Removed, "0B"), answers);
        assert_eq!(
            ApiError::from(outcome.unwrap_err()).code(),
            "manifest_conflict"
        );
        assert_eq!(seen.len(), 3 * MAX_CONFLICTS);
        assert_eq!(
            seen[2],
            "DELETE /spinlift-dev/_index/k.json if-match=\"e1\""
        );
    }

    #[test]
    fn a_removal_that_leaves_the_object_there_keeps_or_renews_its_manifest() {
        let stored = r#"{"key":"k","size":3,"sha256":"00","content_type":null,"etag":"\"o\"","sequencer":"0A"}"#;
        let manifest = (200, vec![("etag", "\"m1\"")], stored);
        // A noncurrent version removed: the object is still the one indexed.
        let (outcome, seen) = run(
            event(ObjectEventKind::Removed, "0B"),
            vec![manifest.clone(), (200, vec![("etag", "\"o\"")], "")],
        );
        assert_eq!(outcome.unwrap(), Outcome::Skipped(UNCHANGED.into()));
        assert_eq!(
            seen,
            ["GET /spinlift-dev/_index/k.json", "HEAD /spinlift-dev/k"]
        );

        // The current version (or a delete marker) removed made another one current, with no
        // creation event: indexed as it is now, over the manifest read.
        let (outcome, seen) = run(
            event(ObjectEventKind::Removed, "0B"),
            vec![
                manifest,
                (200, vec![("etag", "\"n\"")], ""),
                (200, vec![("etag", "\"n\"")], "new"),
                (200, vec![("etag", "\"m2\"")], ""),
            ],
        );
        assert_eq!(outcome.unwrap(), Outcome::Processed);
        assert_eq!(seen[2], "GET /spinlift-dev/k");
        assert_eq!(seen[3], "PUT /spinlift-dev/_index/k.json if-match=\"m1\"");

        // No manifest (removed with the delete marker's creation) and the object back.
        let (outcome, seen) = run(
            event(ObjectEventKind::Removed, "0C"),
            vec![
                MISSING,
                (200, vec![("etag", "\"n\"")], ""),
                (200, vec![("etag", "\"n\"")], "new"),
                (200, Vec::new(), ""),
            ],
        );
        assert_eq!(outcome.unwrap(), Outcome::Processed);
        assert_eq!(seen[3], "PUT /spinlift-dev/_index/k.json if-none-match=*");
    }

    #[test]
    fn only_hex_sequencers_order_events() {
        assert!(is_sequencer("0055AED6DCD90281E5"));
        assert!(is_sequencer(&"F".repeat(32)));
        assert!(!is_sequencer(&"F".repeat(33)));
        assert!(!is_sequencer("Happy Sequencer"));
        assert!(!is_sequencer(""));
    }

    #[test]
    fn order_is_kept_only_when_both_sides_have_a_sequencer() {
        assert!(is_newer(Some("0B"), Some("0A")));
        assert!(!is_newer(Some("0A"), Some("0A")));
        // Different lengths compare right-padded: 0A is 0A00, after 000B, and equal to 0A00.
        assert!(is_newer(Some("0A"), Some("000B")));
        assert!(!is_newer(Some("0A"), Some("0A00")));
        assert!(!is_newer(Some("00A0FF"), Some("00B0")));
        assert!(is_newer(None, Some("0A")));
        assert!(is_newer(Some("0A"), None));
    }
}
