//! The indexer (the default component's object-event handler) against moto with auth on:
//! each stored object mirrored to a DynamoDB table and announced to an SQS queue and an SNS
//! topic, removals and older events of the same key applied in S3's order, and the index kept
//! in the table alone when no manifest is stored in the bucket.

use crate::aws_services::{call, drain_queue, item};
use crate::support;

use serde_json::{json, Value};
use sha2::Digest;
use spinlift::aws::dynamodb::{self, GetItem, Item};
use spinlift::sigv4::{uri_encode, uri_encode_path};
use support::host::{Host, HostBuilder};
use support::moto::Moto;
use support::s3_store::{S3Store, BUCKET};

/// The index table's item for `key`, read consistently.
async fn index_row(moto: &Moto, secret: &str, key: &str) -> Option<Item> {
    let row_key = item(&[("pk", dynamodb::s(key))]);
    let get = GetItem {
        table: &moto.fixtures.index_table,
        key: &row_key,
        consistent: true,
    };
    call(moto, secret, &get).await.unwrap()
}

/// The component against `store` and moto's table, notifying `queue` and `topic`.
fn notifying_host(moto: &Moto, store: &S3Store, queue: &str, topic: &str) -> HostBuilder {
    let (fx, origin) = (&moto.fixtures, moto.origin());
    Host::builder()
        .var("s3_host", &store.host())
        .var("aws_access_key_id", &fx.access_key_id)
        .var("aws_secret_access_key", &fx.secret_access_key)
        .var("dynamodb_endpoint", &origin)
        .var("sqs_endpoint", &origin)
        .var("sns_endpoint", &origin)
        .var("index_table", &fx.index_table)
        .var("notify_queue_url", queue)
        .var("notify_topic_arn", topic)
}

#[tokio::test]
async fn the_indexer_mirrors_to_dynamodb_and_notifies_queue_and_topic() {
    let moto = Moto::start();
    let fx = moto.fixtures.clone();
    // One key pair for both servers: the component signs every call with the same one.
    let store = S3Store::start_with(&fx.access_key_id, &fx.secret_access_key);
    let host = notifying_host(&moto, &store, &fx.queue_url, &fx.topic_arn)
        .start()
        .await;
    let key = "photos/a b+c.jpg";
    let bytes = b"not really a jpeg";
    let put = http::Request::put(format!("/objects/{}", uri_encode_path(key)))
        .header("authorization", "Bearer dev-api-token")
        .body(bytes.to_vec())
        .unwrap();
    assert_eq!(host.send(put).await.status, 201);
    let event = |name: &str, sequencer: &str| {
        let record = json!({
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2026-11-23T00:00:00.000Z", "eventName": name,
            "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": BUCKET, "arn": format!("arn:aws:s3:::{BUCKET}")},
                   "object": {"key": uri_encode(key).replace("%20", "+"), "size": 17, "eTag": "x", "sequencer": sequencer}}
        });
        http::Request::post("/events/s3")
            .header("authorization", "Bearer dev-webhook-token")
            .body(json!({"Records": [record]}).to_string().into_bytes())
            .unwrap()
    };
    let secret = fx.secret_access_key.clone();

    let answer = host.send(event("ObjectCreated:Put", "00A1")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let row = index_row(&moto, &secret, key).await.expect("an index item");
    let digest = hex::encode(sha2::Sha256::digest(bytes));
    assert_eq!(row["sha256"], dynamodb::s(&digest));
    assert_eq!(row["size"], dynamodb::n(bytes.len()));
    assert_eq!(row["sequencer"], dynamodb::s("00A1"));
    for queue in [fx.queue_url.clone(), fx.topic_sink_url.clone()] {
        let notes = drain_queue(&moto, &secret, &queue).await;
        assert_eq!(notes.len(), 1, "{queue}: {notes:?}");
        assert_eq!(notes[0]["event"], "created");
        assert_eq!(notes[0]["key"], key);
        assert_eq!(notes[0]["sha256"], digest);
    }

    // Redelivered, or older: nothing changes and nobody is notified again.
    for (name, sequencer) in [("ObjectCreated:Put", "00A1"), ("ObjectCreated:Put", "0099")] {
        let answer = host.send(event(name, sequencer)).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let body: Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(body["processed"], 0, "{sequencer}");
    }
    for queue in [fx.queue_url.clone(), fx.topic_sink_url.clone()] {
        assert!(
            drain_queue(&moto, &secret, &queue).await.is_empty(),
            "{queue}"
        );
    }
    let row_again = index_row(&moto, &secret, key).await.unwrap();
    assert_eq!(row_again, row);

    // Without the S3 manifest to compare with, the table's condition alone refuses an older
    // event: no manifest is written, nobody is notified, the item stays.
    let manifest = store.object_path(&format!("_index/{key}.json"));
    std::fs::remove_file(&manifest).unwrap();
    let answer = host.send(event("ObjectCreated:Put", "0098")).await;
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(
        (
            answer.status,
            &body["processed"],
            &body["skipped"][0]["reason"]
        ),
        (
            200,
            &json!(0),
            &json!("the index table holds a later event")
        ),
        "{body}"
    );
    assert!(!manifest.exists());
    assert!(drain_queue(&moto, &secret, &fx.queue_url).await.is_empty());
    let row_again = index_row(&moto, &secret, key).await.unwrap();
    assert_eq!(row_again, row);

    let delete = http::Request::delete(format!("/objects/{}", uri_encode_path(key)))
        .header("authorization", "Bearer dev-api-token")
        .body(Vec::new())
        .unwrap();
    assert_eq!(host.send(delete).await.status, 204);
    // The S3 manifest is gone (above), but the table's item is removed all the same.
    let answer = host.send(event("ObjectRemoved:Delete", "00A2")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(index_row(&moto, &secret, key).await, None);
    let notes = drain_queue(&moto, &secret, &fx.queue_url).await;
    assert_eq!((notes.len(), &notes[0]["event"]), (1, &json!("removed")));
    assert!(!manifest.exists());
}

#[tokio::test]
async fn the_index_can_live_in_the_table_alone() {
    let moto = Moto::start();
    let fx = moto.fixtures.clone();
    let store = S3Store::start_with(&fx.access_key_id, &fx.secret_access_key);
    let host = Host::builder()
        .var("s3_host", &store.host())
        .var("aws_access_key_id", &fx.access_key_id)
        .var("aws_secret_access_key", &fx.secret_access_key)
        .var("dynamodb_endpoint", &moto.origin())
        .var("index_table", &fx.index_table)
        .var("index_s3_manifests", "false")
        .start()
        .await;
    let key = "tables/only.txt";
    let put_at = |key: &str, bytes: &[u8]| {
        http::Request::put(format!("/objects/{key}"))
            .header("authorization", "Bearer dev-api-token")
            .body(bytes.to_vec())
            .unwrap()
    };
    let put = |bytes: &[u8]| put_at(key, bytes);
    let event_at = |key: &str, name: &str, sequencer: Option<&str>| {
        let mut record = json!({
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2026-11-23T00:00:00.000Z", "eventName": name,
            "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": BUCKET, "arn": format!("arn:aws:s3:::{BUCKET}")},
                   "object": {"key": key}}
        });
        if let Some(sequencer) = sequencer {
            record["s3"]["object"]["sequencer"] = sequencer.into();
        }
        http::Request::post("/events/s3")
            .header("authorization", "Bearer dev-webhook-token")
            .body(json!({"Records": [record]}).to_string().into_bytes())
            .unwrap()
    };
    let event = |name: &str, sequencer: &str| event_at(key, name, Some(sequencer));
    let processed = |answer: support::host::Answer| {
        assert_eq!(answer.status, 200, "{}", answer.body);
        let body: Value = serde_json::from_str(&answer.body).unwrap();
        body["processed"].as_u64().unwrap()
    };
    let secret = fx.secret_access_key.clone();
    let sha256 = |bytes: &[u8]| dynamodb::s(&hex::encode(sha2::Sha256::digest(bytes)));

    assert_eq!(host.send(put(b"second")).await.status, 201);
    assert_eq!(
        processed(host.send(event("ObjectCreated:Put", "00B2")).await),
        1
    );
    // An older creation arrives late: the table refuses it.
    assert_eq!(
        processed(host.send(event("ObjectCreated:Put", "00B1")).await),
        0
    );
    let row = index_row(&moto, &secret, key).await.unwrap();
    assert_eq!(
        (&row["sequencer"], &row["sha256"]),
        (&dynamodb::s("00B2"), &sha256(b"second"))
    );
    assert!(!store.object_path(&format!("_index/{key}.json")).exists());
    // The same event again (a redelivery, or the retry of a record whose later step failed)
    // records itself again: same item.
    assert_eq!(
        processed(host.send(event("ObjectCreated:Put", "00B2")).await),
        1
    );
    let again = index_row(&moto, &secret, key).await;
    assert_eq!(again, Some(row));

    // A removal older than the item changes nothing; a newer one removes it.
    let delete = http::Request::delete(format!("/objects/{key}"))
        .header("authorization", "Bearer dev-api-token")
        .body(Vec::new())
        .unwrap();
    assert_eq!(host.send(delete).await.status, 204);
    assert_eq!(
        processed(host.send(event("ObjectRemoved:Delete", "00B0")).await),
        0
    );
    assert!(index_row(&moto, &secret, key).await.is_some());
    assert_eq!(
        processed(host.send(event("ObjectRemoved:Delete", "00B3")).await),
        1
    );
    assert_eq!(index_row(&moto, &secret, key).await, None);

    // An event without a sequencer (a delivery made by hand, a backfill) has no order to
    // keep: it is applied, and a sequenced event still applies over the item it left.
    assert_eq!(host.send(put(b"third")).await.status, 201);
    let unordered = event_at(key, "ObjectCreated:Put", None);
    assert_eq!(processed(host.send(unordered).await), 1);
    let row = index_row(&moto, &secret, key).await.unwrap();
    assert!(!row.contains_key("seq"), "{row:?}");
    assert_eq!(
        processed(host.send(event("ObjectCreated:Put", "00B5")).await),
        1
    );
    let row = index_row(&moto, &secret, key).await.unwrap();
    assert_eq!(row["sequencer"], dynamodb::s("00B5"));

    // No manifest is named in this mode, so a key under the manifests' prefix is indexed
    // like any other (as is one too long for a manifest name, which s3s-fs cannot store).
    let listed = "_index/listed.txt";
    assert_eq!(host.send(put_at(listed, b"x")).await.status, 201);
    let created = event_at(listed, "ObjectCreated:Put", Some("00C1"));
    assert_eq!(processed(host.send(created).await), 1);
    assert!(index_row(&moto, &secret, listed).await.is_some());

    // Without a table, leaving out the S3 manifests is a configuration error.
    let bare = Host::builder()
        .var("s3_host", &store.host())
        .var("aws_access_key_id", &fx.access_key_id)
        .var("aws_secret_access_key", &fx.secret_access_key)
        .var("index_s3_manifests", "false")
        .start()
        .await;
    let answer = bare.send(event("ObjectCreated:Put", "00B4")).await;
    assert_eq!(answer.status, 500, "{}", answer.body);
    assert!(
        answer.body.contains("index_s3_manifests"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn fifo_queues_and_topics_get_each_notification_once() {
    let moto = Moto::start();
    let fx = moto.fixtures.clone();
    let store = S3Store::start_with(&fx.access_key_id, &fx.secret_access_key);
    // In the table alone, a redelivered event is recorded (and so announced) again.
    let host = notifying_host(&moto, &store, &fx.fifo_queue_url, &fx.fifo_topic_arn)
        .var("index_s3_manifests", "false")
        .start()
        .await;
    let keys = ["fifo/a b.txt", "fifo/b.txt"];
    for key in keys {
        let put = http::Request::put(format!("/objects/{}", uri_encode_path(key)))
            .header("authorization", "Bearer dev-api-token")
            .body(key.as_bytes().to_vec())
            .unwrap();
        assert_eq!(host.send(put).await.status, 201);
    }
    let event = |key: &str| {
        let record = json!({
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2026-11-23T00:00:00.000Z", "eventName": "ObjectCreated:Put",
            "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": BUCKET, "arn": format!("arn:aws:s3:::{BUCKET}")},
                   "object": {"key": uri_encode(key).replace("%20", "+"), "sequencer": "00C1"}}
        });
        http::Request::post("/events/s3")
            .header("authorization", "Bearer dev-webhook-token")
            .body(json!({"Records": [record]}).to_string().into_bytes())
            .unwrap()
    };
    // A FIFO queue or topic refuses a message without a group id: each of these would be a
    // 502 without one.
    for key in [keys[0], keys[0], keys[1]] {
        let answer = host.send(event(key)).await;
        assert_eq!(answer.status, 200, "{key}: {}", answer.body);
        let body: Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(body["processed"], 1, "{key}: {body}");
    }
    let secret = fx.secret_access_key.clone();
    for queue in [fx.fifo_queue_url.clone(), fx.fifo_topic_sink_url.clone()] {
        let notes = drain_queue(&moto, &secret, &queue).await;
        let mut announced: Vec<&str> = notes.iter().filter_map(|n| n["key"].as_str()).collect();
        announced.sort_unstable();
        // The repeat carried the same deduplication id: the queue kept one.
        assert_eq!(announced, keys, "{queue}: {notes:?}");
    }
}
