//! `POST /events/s3` end to end: the component in the wasm host, the real S3 store, events
//! shaped like AWS sends them, and assertions on the manifests the store really holds.

use crate::support;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use spinlift::sigv4::{uri_encode, uri_encode_path};
use support::host::{Answer, Host};
use support::s3_store::{S3Store, ACCESS_KEY, BUCKET, SECRET_KEY};

const HOOK: &str = "dev-webhook-token";

async fn host_for(store: &S3Store) -> Host {
    Host::builder()
        .var("s3_host", &store.host())
        .var("aws_access_key_id", ACCESS_KEY)
        .var("aws_secret_access_key", SECRET_KEY)
        .start()
        .await
}

/// An S3 notification key: URL-encoded form-style, `+` for a space (as S3 sends it).
fn notification_key(key: &str) -> String {
    uri_encode(key).replace("%20", "+")
}

fn s3_record(name: &str, key: &str, sequencer: &str) -> Value {
    json!({
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-23T00:00:00.000Z", "eventName": name,
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": BUCKET, "arn": format!("arn:aws:s3:::{BUCKET}")},
               "object": {"key": notification_key(key), "size": 1, "eTag": "x", "sequencer": sequencer}}
    })
}

fn notification(records: Vec<Value>) -> Vec<u8> {
    json!({ "Records": records }).to_string().into_bytes()
}

fn eventbridge(detail_type: &str, key: &str, sequencer: &str) -> Vec<u8> {
    json!({
        "version": "0", "id": "1", "detail-type": detail_type, "source": "aws.s3", "account": "123456789012",
        "time": "2026-11-23T00:00:00Z", "region": "us-east-1", "resources": [format!("arn:aws:s3:::{BUCKET}")],
        "detail": {"version": "0", "bucket": {"name": BUCKET}, "object": {"key": key, "size": 1, "sequencer": sequencer},
                   "request-id": "R", "requester": "123456789012", "reason": "PutObject"}
    })
    .to_string()
    .into_bytes()
}

async fn post(host: &Host, path: &str, token: Option<&str>, body: Vec<u8>) -> Answer {
    let mut request = http::Request::post(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    host.send(request.body(body).unwrap()).await
}

async fn deliver(host: &Host, body: Vec<u8>) -> Value {
    let answer = post(host, "/events/s3", Some(HOOK), body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    serde_json::from_str(&answer.body).unwrap()
}

async fn put_object(host: &Host, key: &str, bytes: &[u8]) {
    let request = http::Request::put(format!("/objects/{}", uri_encode_path(key)))
        .header("authorization", "Bearer dev-api-token")
        .body(bytes.to_vec())
        .unwrap();
    assert_eq!(host.send(request).await.status, 201);
}

async fn delete_object(host: &Host, key: &str) {
    let request = http::Request::delete(format!("/objects/{}", uri_encode_path(key)))
        .header("authorization", "Bearer dev-api-token")
        .body(Vec::new())
        .unwrap();
    assert_eq!(host.send(request).await.status, 204);
}

fn manifest(store: &S3Store, key: &str) -> Option<Value> {
    let bytes = std::fs::read(store.object_path(&format!("_index/{key}.json"))).ok()?;
    Some(serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn created_and_removed_events_keep_the_manifests_right() {
    let store = S3Store::start();
    let host = host_for(&store).await;
    let objects: [(&str, &[u8]); 3] = [
        ("docs/a b.txt", b"spaces"),
        ("docs/a+b.txt", b"a literal plus"),
        ("plain.bin", &[0, 1, 2, 255]),
    ];
    for (key, bytes) in objects {
        put_object(&host, key, bytes).await;
    }
    let batch = notification(
        objects
            .iter()
            .enumerate()
            .map(|(i, (key, _))| s3_record("ObjectCreated:Put", key, &format!("00A{i}")))
            .collect(),
    );
    let answer = deliver(&host, batch.clone()).await;
    assert_eq!(answer, json!({"processed": 3, "skipped": [], "failed": []}));
    for (key, bytes) in objects {
        let manifest = manifest(&store, key).unwrap_or_else(|| panic!("no manifest for {key}"));
        assert_eq!(
            manifest["sha256"],
            hex::encode(Sha256::digest(bytes)),
            "{key}"
        );
        assert_eq!(manifest["size"], bytes.len(), "{key}");
        assert_eq!(manifest["key"], key);
    }
    let before = std::fs::read(store.object_path("_index/docs/a b.txt.json")).unwrap();

    // Redelivery changes nothing.
    let again = deliver(&host, batch).await;
    assert_eq!(
        (
            again["processed"].as_u64(),
            again["skipped"].as_array().unwrap().len()
        ),
        (Some(0), 3)
    );
    assert_eq!(
        std::fs::read(store.object_path("_index/docs/a b.txt.json")).unwrap(),
        before
    );

    // Out of order: a newer creation, then a stale creation and a stale removal.
    put_object(&host, "docs/a b.txt", b"second version").await;
    assert_eq!(
        deliver(&host, eventbridge("Object Created", "docs/a b.txt", "00B0")).await["processed"],
        1
    );
    let stale = notification(vec![
        s3_record("ObjectCreated:Put", "docs/a b.txt", "00A0"),
        s3_record("ObjectRemoved:Delete", "docs/a b.txt", "00A5"),
    ]);
    let answer = deliver(&host, stale).await;
    assert_eq!(answer["processed"], 0, "{answer}");
    // Sequencers of different lengths compare right-padded (S3's current rule): 00A0FF is
    // older than 00B0 (00B000). Left-padded (000B0), it would have won.
    let longer_but_older = notification(vec![s3_record(
        "ObjectCreated:Put",
        "docs/a b.txt",
        "00A0FF",
    )]);
    let answer = deliver(&host, longer_but_older).await;
    assert_eq!(answer["processed"], 0, "{answer}");
    assert_eq!(answer["skipped"].as_array().unwrap().len(), 1, "{answer}");
    let current = manifest(&store, "docs/a b.txt").unwrap();
    assert_eq!(
        (
            current["sha256"].as_str().unwrap(),
            current["sequencer"].as_str()
        ),
        (
            hex::encode(Sha256::digest(b"second version")).as_str(),
            Some("00B0")
        )
    );

    // A removal that leaves the object as indexed (another of its versions removed, in a
    // versioned bucket) keeps its manifest.
    let early = notification(vec![s3_record(
        "ObjectRemoved:Delete",
        "docs/a+b.txt",
        "00BF",
    )]);
    let kept = std::fs::read(store.object_path("_index/docs/a+b.txt.json")).unwrap();
    let answer = deliver(&host, early).await;
    assert_eq!(
        answer["skipped"][0]["reason"],
        "the object is still there as indexed: another of its versions was removed"
    );
    assert_eq!(
        std::fs::read(store.object_path("_index/docs/a+b.txt.json")).unwrap(),
        kept
    );

    // A removal newer than the manifest removes it; a removal with none left is skipped.
    delete_object(&host, "docs/a+b.txt").await;
    delete_object(&host, "plain.bin").await;
    let removal = notification(vec![s3_record(
        "ObjectRemoved:Delete",
        "docs/a+b.txt",
        "00C0",
    )]);
    assert_eq!(deliver(&host, removal.clone()).await["processed"], 1);
    assert!(manifest(&store, "docs/a+b.txt").is_none());
    assert_eq!(
        deliver(&host, removal).await["skipped"][0]["reason"],
        "no manifest to remove"
    );
    // An object made current again without a creation event (a delete marker removed, in a
    // versioned bucket; here written back with no event): the removal that did it finds the
    // object there, and indexes it as it is, under the removal's sequencer.
    put_object(&host, "docs/a+b.txt", b"back again").await;
    let marker_removed = notification(vec![s3_record(
        "ObjectRemoved:Delete",
        "docs/a+b.txt",
        "00C5",
    )]);
    assert_eq!(deliver(&host, marker_removed).await["processed"], 1);
    let back = manifest(&store, "docs/a+b.txt").expect("indexed again");
    assert_eq!(
        (back["sha256"].as_str(), back["sequencer"].as_str()),
        (
            Some(hex::encode(Sha256::digest(b"back again")).as_str()),
            Some("00C5")
        )
    );
    assert_eq!(
        deliver(&host, eventbridge("Object Deleted", "plain.bin", "00C1")).await["processed"],
        1
    );
    assert!(manifest(&store, "plain.bin").is_none());

    // Manifests never index themselves; other event kinds, other buckets and forged
    // sequencers are skipped, each for its reason.
    let skipped = notification(vec![
        s3_record("ObjectCreated:Put", "_index/docs/a b.txt.json", "00D0"),
        json!({"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectRestore:Completed",
               "s3": {"bucket": {"name": BUCKET}, "object": {"key": "docs/a+b.txt"}}}),
        {
            let mut r = s3_record("ObjectCreated:Put", "docs/a b.txt", "00D1");
            r["s3"]["bucket"]["name"] = json!("other-bucket");
            r
        },
        s3_record("ObjectCreated:Put", "docs/a b.txt", "ZZZZ"),
    ]);
    let answer = deliver(&host, skipped).await;
    let reasons: Vec<&str> = answer["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "ObjectRestore:Completed is not an object creation or removal",
            "a manifest itself: never indexed, or it would loop",
            "bucket other-bucket is not the configured bucket",
            "sequencer \"ZZZZ\" is not hexadecimal, of at most 32 digits",
        ],
        "{answer}"
    );
    assert_eq!(answer["processed"], 0);
    assert!(!store
        .object_path("_index/_index/docs/a b.txt.json.json")
        .exists());

    // Keys as AWS writes them: form-encoded in notifications (written by hand here), literal
    // in EventBridge events (`+` and `%2B` stay as they are).
    put_object(&host, "hand/a b+c% ü.txt", b"hand").await;
    let by_hand = br#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put",
        "s3":{"bucket":{"name":"spinlift-dev"},"object":{"key":"hand/a+b%2Bc%25+%C3%BC.txt","sequencer":"01"}}}]}"#;
    assert_eq!(deliver(&host, by_hand.to_vec()).await["processed"], 1);
    assert!(manifest(&store, "hand/a b+c% ü.txt").is_some());
    put_object(&host, "eb/a+b%2B.txt", b"eventbridge").await;
    assert_eq!(
        deliver(&host, eventbridge("Object Created", "eb/a+b%2B.txt", "01")).await["processed"],
        1
    );
    assert!(manifest(&store, "eb/a+b%2B.txt").is_some());

    // A creation whose object is already gone is skipped, not failed.
    let gone = deliver(
        &host,
        notification(vec![s3_record("ObjectCreated:Put", "never-stored", "00E0")]),
    )
    .await;
    assert_eq!(gone["skipped"][0]["reason"], "the object no longer exists");
}

#[tokio::test]
async fn a_hundred_record_batch_is_processed() {
    let store = S3Store::start();
    let host = host_for(&store).await;
    let keys: Vec<String> = (0..100).map(|i| format!("batch/{i:03} item")).collect();
    for key in &keys {
        put_object(&host, key, key.as_bytes()).await;
    }
    let batch = notification(
        keys.iter()
            .map(|key| s3_record("ObjectCreated:Put", key, "0001"))
            .collect(),
    );
    assert_eq!(deliver(&host, batch).await["processed"], 100);
    for key in &keys {
        assert_eq!(
            manifest(&store, key).unwrap()["sha256"],
            hex::encode(Sha256::digest(key.as_bytes()))
        );
    }
}

#[tokio::test]
async fn deliveries_are_authenticated_bounded_and_shaped() {
    let store = S3Store::start();
    let host = host_for(&store).await;
    let test_event = br#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-23T00:00:00.000Z","Bucket":"spinlift-dev","RequestId":"R","HostId":"H"}"#;
    assert_eq!(
        post(&host, "/events/s3", None, test_event.to_vec())
            .await
            .status,
        401
    );
    assert_eq!(
        post(
            &host,
            "/events/s3",
            Some("dev-api-token"),
            test_event.to_vec()
        )
        .await
        .status,
        401
    );
    // The URL's token is for SNS deliveries only (their signatures are verified): a raw
    // delivery with it is refused.
    let by_query = post(
        &host,
        &format!("/events/s3?token={HOOK}"),
        None,
        test_event.to_vec(),
    )
    .await;
    assert_eq!(by_query.status, 401, "{by_query:?}");

    let code = |answer: &Answer| {
        serde_json::from_str::<Value>(&answer.body).unwrap()["error"]["code"].clone()
    };
    let too_big = post(&host, "/events/s3", Some(HOOK), vec![b' '; (1 << 20) + 1]).await;
    assert_eq!(
        (too_big.status, code(&too_big)),
        (413, json!("payload_too_large"))
    );
    for body in [&b"{not json"[..], b"{\"hello\":1}"] {
        let answer = post(&host, "/events/s3", Some(HOOK), body.to_vec()).await;
        assert_eq!(
            (answer.status, code(&answer)),
            (400, json!("invalid_event")),
            "{}",
            answer.body
        );
        assert!(
            answer.body.contains("EventBridge"),
            "the error names the accepted shapes: {}",
            answer.body
        );
    }
    // An SNS envelope without a signature is never acted on (tests/e2e/sns.rs has the rest).
    let sns = br#"{"Type":"Notification","TopicArn":"arn:aws:sns:us-east-1:123456789012:t","Message":"{}"}"#;
    let answer = post(&host, "/events/s3", Some(HOOK), sns.to_vec()).await;
    assert_eq!(
        (answer.status, code(&answer)),
        (403, json!("sns_message_incomplete"))
    );
}

#[tokio::test]
async fn failed_records_answer_502_so_the_sender_retries() {
    let store = S3Store::start();
    let host = Host::builder()
        .var("s3_host", &store.host())
        .var("aws_secret_access_key", "not-the-secret")
        .start()
        .await;
    let answer = post(
        &host,
        "/events/s3",
        Some(HOOK),
        notification(vec![s3_record("ObjectCreated:Put", "k", "01")]),
    )
    .await;
    assert_eq!(answer.status, 502, "{}", answer.body);
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["processed"], 0);
    assert_eq!(body["failed"][0]["key"], "k");
    assert_eq!(body["failed"][0]["error"]["code"], "SignatureDoesNotMatch");
    assert!(!host.logs().contains("not-the-secret"));
}

#[tokio::test]
async fn a_mixed_batch_reports_each_record_truthfully() {
    let store = S3Store::start();
    let host = host_for(&store).await;
    put_object(&host, "mixed/ok.txt", b"fine").await;
    // s3s-fs keeps "mixed/dir/f" as a file in a directory "mixed/dir": reading the key
    // "mixed/dir" fails in the store with InternalError, every time.
    put_object(&host, "mixed/dir/f", b"inside").await;
    let batch = notification(vec![
        s3_record("ObjectCreated:Put", "mixed/ok.txt", "01"),
        s3_record("ObjectCreated:Put", "mixed/dir", "01"),
    ]);
    let answer = post(&host, "/events/s3", Some(HOOK), batch).await;
    assert_eq!(
        answer.status, 502,
        "one failed record makes the sender retry: {}",
        answer.body
    );
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["processed"], 1);
    assert_eq!(body["failed"].as_array().unwrap().len(), 1);
    assert_eq!(body["failed"][0]["key"], "mixed/dir");
    assert_eq!(body["failed"][0]["error"]["code"], "InternalError");
    assert!(manifest(&store, "mixed/ok.txt").is_some());
    assert!(manifest(&store, "mixed/dir").is_none());
}

#[tokio::test]
async fn manifests_go_under_the_configured_prefix() {
    let store = S3Store::start();
    let host = Host::builder()
        .s3_store(&store.host())
        .var("index_prefix", "meta/by-key/")
        .start()
        .await;
    put_object(&host, "docs/a b.txt", b"prefixed").await;
    put_object(&host, "meta/by-key/forged.json", b"{}").await;
    let batch = notification(vec![
        s3_record("ObjectCreated:Put", "docs/a b.txt", "0001"),
        s3_record("ObjectCreated:Put", "meta/by-key/forged.json", "0001"),
    ]);
    let answer = deliver(&host, batch).await;
    assert_eq!(answer["processed"], 1, "{answer}");
    assert_eq!(answer["skipped"][0]["key"], "meta/by-key/forged.json");
    let written = store.object_path("meta/by-key/docs/a b.txt.json");
    let manifest: Value = serde_json::from_slice(&std::fs::read(&written).unwrap()).unwrap();
    assert_eq!(manifest["sha256"], hex::encode(Sha256::digest(b"prefixed")));
    assert!(!store.object_path("_index/docs/a b.txt.json").exists());
}

/// "Migrating your handler" (README): a user's own Lambda body in place of the indexer,
/// written as the README shows, run through the same `events::deliver` the component runs
/// (natively, with a native transport) against the real store.
mod own_handler {
    use super::*;
    use spinlift::client::services::Services;
    use spinlift::client::ClientError;
    use spinlift::env::FakeEnv;
    use spinlift::events::ObjectEvent;
    use spinlift::handler::{ObjectEventHandler, Outcome};
    use spinlift::outbound::HttpClient;
    use spinlift::routes::events;
    use spinlift::s3::{ObjectKey, PutObject};
    use std::cell::RefCell;

    /// Writes `seen/<key>` holding the event's name; skips temporary files.
    struct Tagger {
        seen: RefCell<Vec<String>>,
    }

    impl ObjectEventHandler for Tagger {
        type Error = ClientError;

        async fn handle<C: HttpClient>(
            &self,
            services: &Services<'_, C>,
            event: &ObjectEvent,
        ) -> Result<Outcome, ClientError> {
            self.seen.borrow_mut().push(event.key.clone());
            if event.key.ends_with(".tmp") {
                return Ok(Outcome::Skipped("a temporary file".into()));
            }
            let key = ObjectKey::new(format!("seen/{}", event.key)).expect("a test key");
            let body = event.name.as_bytes().to_vec();
            let put = PutObject {
                key: &key,
                content_length: body.len() as u64,
                content_type: None,
                metadata: vec![],
                condition: None,
                integrity: Default::default(),
            };
            services.s3.call_with_body(&put, body, None).await?;
            Ok(Outcome::Processed)
        }
    }

    use spinlift::body::Body;
    use spinlift::cache::MemoryCache;
    use spinlift::clock::Clock;
    use spinlift::sigv4::SigningTime;
    use support::manifest::{Manifest, Overrides};
    use support::moto::NativeHttp;

    /// The component's variables for `store`, as spin.toml expands them.
    fn store_vars(store: &S3Store) -> std::collections::HashMap<String, String> {
        let overrides: Overrides = [
            ("s3_host", store.host()),
            ("s3_bucket", BUCKET.to_owned()),
            ("aws_access_key_id", ACCESS_KEY.to_owned()),
            ("aws_secret_access_key", SECRET_KEY.to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), Some(value)))
        .collect();
        Manifest::load().component_variables(&overrides)
    }

    fn env_now() -> FakeEnv {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        FakeEnv::at(SigningTime::from_unix_seconds(now))
    }

    #[tokio::test]
    async fn a_handler_of_your_own_replaces_the_indexer() {
        let store = S3Store::start();
        let vars = store_vars(&store);
        let cache = MemoryCache::default();
        let env = env_now();
        let clock = Clock::new(&env, &cache);
        let services = Services::load(&vars, &NativeHttp, &cache, &clock)
            .await
            .unwrap();
        let handler = Tagger {
            seen: RefCell::new(Vec::new()),
        };
        let batch = notification(vec![
            s3_record("ObjectCreated:Put", "in/a b+c.jpg", "0001"),
            s3_record("ObjectCreated:Copy", "in/scratch.tmp", "0001"),
        ]);
        let response = events::deliver(
            &services,
            &handler,
            &vars,
            &cache,
            &http::HeaderMap::new(),
            Body::Bytes(batch),
        )
        .await
        .unwrap();
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect(1 << 20).await.unwrap();
        let answer: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            answer,
            json!({"processed": 1, "skipped": [{"key": "in/scratch.tmp", "reason": "a temporary file"}], "failed": []})
        );
        assert_eq!(*handler.seen.borrow(), ["in/a b+c.jpg", "in/scratch.tmp"]);
        let tag = std::fs::read(store.object_path("seen/in/a b+c.jpg")).unwrap();
        assert_eq!(tag, b"ObjectCreated:Put");
        // The indexer did not run.
        assert!(!store.object_path("_index/in/a b+c.jpg.json").exists());
    }

    #[tokio::test]
    async fn a_handler_reaches_another_bucket_with_the_same_keys() {
        let store = S3Store::start();
        let vars = store_vars(&store);
        let cache = MemoryCache::default();
        let env = env_now();
        let clock = Clock::new(&env, &cache);
        let services = Services::load(&vars, &NativeHttp, &cache, &clock)
            .await
            .unwrap();
        // A bucket of derived objects next to the configured one (s3s-fs: a directory).
        let thumbs = "spinlift-dev-thumbs";
        std::fs::create_dir(store.bucket_path(thumbs)).unwrap();
        let other = services.s3.with_bucket(thumbs).expect("a bucket name");
        let key = ObjectKey::new("t/a b+c.png").unwrap();
        let put = PutObject {
            key: &key,
            content_length: 5,
            content_type: None,
            metadata: Vec::new(),
            condition: None,
            integrity: Default::default(),
        };
        // The store checks the signature of each call.
        other
            .call_with_body(&put, b"thumb".to_vec(), None)
            .await
            .unwrap();
        let stored = std::fs::read(store.bucket_path(thumbs).join("t/a b+c.png")).unwrap();
        assert_eq!(stored, b"thumb");
        assert!(!store.object_path("t/a b+c.png").exists());
        assert_eq!(other.get_bytes(&key).await.unwrap(), b"thumb");
        assert!(services
            .s3
            .get_bytes(&key)
            .await
            .unwrap_err()
            .is_not_found());
        for not_a_bucket in ["Thumbs", "a_b", "x"] {
            assert!(
                services.s3.with_bucket(not_a_bucket).is_none(),
                "{not_a_bucket}"
            );
        }
    }
}
