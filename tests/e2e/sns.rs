//! SNS deliveries to `POST /events/s3` end to end: the component in the wasm host, the real
//! S3 store, and a local SNS stand-in serving the test certificate and confirmations.
//! Messages are signed with the test key as SNS signs them; tampered ones must get 403
//! and leave nothing behind.

use crate::support;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use spinlift::sigv4::{uri_encode, uri_encode_path};
use support::host::{Answer, Host};
use support::s3_store::{S3Store, ACCESS_KEY, BUCKET, SECRET_KEY};
use support::sns_peer::{SnsPeer, CERT_NAME, GOOD_TOKEN, TOPIC};

/// SNS cannot send headers, so the subscription URL carries the webhook token.
const HOOK_PATH: &str = "/events/s3?token=dev-webhook-token";

async fn host_for(store: &S3Store, peer: &SnsPeer) -> Host {
    Host::builder()
        .var("s3_host", &store.host())
        .var("aws_access_key_id", ACCESS_KEY)
        .var("aws_secret_access_key", SECRET_KEY)
        .var("sns_cert_origin", &peer.origin())
        .start()
        .await
}

/// Posts `message` as SNS does: text/plain JSON with `x-amz-sns-message-type`.
async fn sns_post(host: &Host, message: &Value) -> Answer {
    let request = http::Request::post(HOOK_PATH)
        .header("content-type", "text/plain; charset=UTF-8")
        .header("x-amz-sns-message-type", message["Type"].as_str().unwrap())
        .header("x-amz-sns-topic-arn", TOPIC)
        .body(message.to_string().into_bytes())
        .unwrap();
    host.send(request).await
}

fn s3_event(name: &str, key: &str, sequencer: &str) -> String {
    json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-23T00:00:00.000Z", "eventName": name,
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": BUCKET, "arn": format!("arn:aws:s3:::{BUCKET}")},
               "object": {"key": uri_encode(key).replace("%20", "+"), "size": 1, "eTag": "x", "sequencer": sequencer}}
    }]})
    .to_string()
}

async fn put_object(host: &Host, key: &str, bytes: &[u8]) {
    let request = http::Request::put(format!("/objects/{}", uri_encode_path(key)))
        .header("authorization", "Bearer dev-api-token")
        .body(bytes.to_vec())
        .unwrap();
    assert_eq!(host.send(request).await.status, 201);
}

fn manifest(store: &S3Store, key: &str) -> Option<Value> {
    let bytes = std::fs::read(store.object_path(&format!("_index/{key}.json"))).ok()?;
    Some(serde_json::from_slice(&bytes).unwrap())
}

fn error_code(answer: &Answer) -> String {
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    body["error"]["code"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn notifications_run_the_indexer_and_the_certificate_is_fetched_once() {
    let (store, peer) = (S3Store::start(), SnsPeer::start().await);
    let host = host_for(&store, &peer).await;
    let objects: [(&str, &[u8]); 2] = [("docs/a b.txt", b"spaces"), ("docs/a+b.txt", b"plus")];
    for (i, (key, bytes)) in objects.iter().enumerate() {
        put_object(&host, key, bytes).await;
        let event = s3_event("ObjectCreated:Put", key, &format!("00B{i}"));
        let answer = sns_post(&host, &peer.notification(&event, ["1", "2"][i])).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let answer: Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(answer, json!({"processed": 1, "skipped": [], "failed": []}));
        let manifest = manifest(&store, key).unwrap_or_else(|| panic!("no manifest for {key}"));
        assert_eq!(manifest["sha256"], hex::encode(Sha256::digest(bytes)));
        assert_eq!(manifest["key"], *key);
    }
    // The key-value store kept the certificate: two verified messages, one fetch.
    assert_eq!(
        peer.count(&format!("/{CERT_NAME}")),
        1,
        "{:?}",
        peer.requests()
    );

    let removal = s3_event("ObjectRemoved:Delete", "docs/a b.txt", "00C0");
    let request = http::Request::delete(format!("/objects/{}", uri_encode_path("docs/a b.txt")))
        .header("authorization", "Bearer dev-api-token")
        .body(Vec::new())
        .unwrap();
    assert_eq!(host.send(request).await.status, 204);
    let answer = sns_post(&host, &peer.notification(&removal, "2")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(manifest(&store, "docs/a b.txt"), None);
    assert!(manifest(&store, "docs/a+b.txt").is_some());

    // S3's test event, published through the topic when notifications are configured.
    let test_event = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": BUCKET});
    let answer = sns_post(&host, &peer.notification(&test_event.to_string(), "1")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[tokio::test]
async fn a_subscription_is_confirmed_with_exactly_one_get() {
    let (store, peer) = (S3Store::start(), SnsPeer::start().await);
    let host = host_for(&store, &peer).await;
    let confirm = "/?Action=ConfirmSubscription";

    let answer = sns_post(&host, &peer.subscription_confirmation(GOOD_TOKEN)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(
        body,
        json!({"confirmed": {"topic_arn": TOPIC, "subscription_arn": format!("{TOPIC}:c9135db0")}})
    );
    assert_eq!(peer.count(confirm), 1, "{:?}", peer.requests());
    assert!(host.logs().contains("confirmed SNS subscription"));
    assert!(
        !host.logs().contains(GOOD_TOKEN),
        "the token stays out of the log"
    );

    // SNS refusing (an expired token) is a 502 with SNS's own code, so the sender retries.
    let answer = sns_post(&host, &peer.subscription_confirmation("expired")).await;
    assert_eq!(answer.status, 502, "{}", answer.body);
    assert_eq!(error_code(&answer), "InvalidParameter");
    assert!(!answer.body.contains("expired"), "{}", answer.body);
    assert_eq!(peer.count(confirm), 2);

    // An unsubscribe confirmation is verified and noted, never acted on.
    let answer = sns_post(&host, &peer.unsubscribe_confirmation()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(peer.count(confirm), 2, "{:?}", peer.requests());
    assert!(host.logs().contains("SNS unsubscribed this endpoint"));
}

#[tokio::test]
async fn tampered_incomplete_or_foreign_messages_get_403_and_change_nothing() {
    let (store, peer) = (S3Store::start(), SnsPeer::start().await);
    let host = host_for(&store, &peer).await;
    put_object(&host, "k.txt", b"bytes").await;
    let good = peer.notification(&s3_event("ObjectCreated:Put", "k.txt", "0001"), "2");

    let mut flipped = good.clone();
    flipped["Message"] = s3_event("ObjectCreated:Put", "k.txt", "0002").into();
    let mut foreign = good.clone();
    foreign["SigningCertURL"] = format!("https://evil.example/{CERT_NAME}").into();
    let mut lookalike = good.clone();
    let peer_host = peer.origin();
    lookalike["SigningCertURL"] = format!("{peer_host}.evil.example/{CERT_NAME}").into();
    let mut unsigned = good.clone();
    unsigned.as_object_mut().unwrap().remove("Signature");
    let mut version = good.clone();
    version["SignatureVersion"] = "3".into();
    let mut other_signature = good.clone();
    other_signature["Signature"] = peer.notification("other", "2")["Signature"].clone();

    for (case, message, code) in [
        ("flipped byte", &flipped, "sns_signature_invalid"),
        ("foreign cert host", &foreign, "sns_foreign_url"),
        ("look-alike cert host", &lookalike, "sns_foreign_url"),
        ("missing Signature", &unsigned, "sns_message_incomplete"),
        ("unknown version", &version, "sns_signature_version"),
        (
            "another message's signature",
            &other_signature,
            "sns_signature_invalid",
        ),
    ] {
        let answer = sns_post(&host, message).await;
        assert_eq!(answer.status, 403, "{case}: {}", answer.body);
        assert_eq!(error_code(&answer), code, "{case}");
    }
    assert_eq!(manifest(&store, "k.txt"), None, "nothing was indexed");
    assert!(
        !host.logs().contains("evil.example"),
        "foreign URLs are refused before any request: {}",
        host.logs()
    );
    assert!(peer
        .requests()
        .iter()
        .all(|r| r == &format!("/{CERT_NAME}")));

    // A validly signed confirmation whose SubscribeURL points elsewhere is never visited.
    let mut elsewhere = peer.subscription_confirmation(GOOD_TOKEN);
    let moved = elsewhere["SubscribeURL"]
        .as_str()
        .unwrap()
        .replace(&peer.origin(), "http://127.0.0.1:9");
    elsewhere["SubscribeURL"] = moved.into();
    let answer = sns_post(&host, &peer.signed(elsewhere, "2")).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_eq!(error_code(&answer), "sns_foreign_url");
    assert!(!host.logs().contains("127.0.0.1:9/"), "{}", host.logs());

    // The genuine message still works, and without the token nothing does.
    assert_eq!(sns_post(&host, &good).await.status, 200);
    assert!(manifest(&store, "k.txt").is_some());
    let no_token = http::Request::post("/events/s3")
        .header("x-amz-sns-message-type", "Notification")
        .body(good.to_string().into_bytes())
        .unwrap();
    assert_eq!(host.send(no_token).await.status, 401);
}

#[tokio::test]
async fn only_the_allowed_topics_are_accepted_when_a_list_is_set() {
    let (store, peer) = (S3Store::start(), SnsPeer::start().await);
    let other = "arn:aws:sns:us-east-1:123456789012:someone-elses-topic";
    let test_event = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": BUCKET});
    let message = peer.notification(&test_event.to_string(), "2");

    let strict = Host::builder()
        .var("s3_host", &store.host())
        .var("sns_cert_origin", &peer.origin())
        .var("sns_topic_arns", other)
        .start()
        .await;
    let answer = sns_post(&strict, &message).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_eq!(error_code(&answer), "sns_topic_not_allowed");

    let listed = Host::builder()
        .var("s3_host", &store.host())
        .var("sns_cert_origin", &peer.origin())
        .var("sns_topic_arns", &format!("{other}, {TOPIC}"))
        .start()
        .await;
    assert_eq!(sns_post(&listed, &message).await.status, 200);
}
