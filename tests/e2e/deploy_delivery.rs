//! The stack's event paths as moto runs them, with moto's own S3 events rather than ones this
//! file writes: SNS delivering over HTTPS to the stack's subscription, signed by moto, and the
//! EventBridge rule choosing which events pass. The stacks are deployed as `deploy.rs` deploys
//! them.

use serde_json::{json, Value};

use crate::api::{call, json_of};
use crate::aws_services::drain_queue;
use crate::deploy::{delivery, deploy, host_for, params, TOKEN};
use crate::support::moto::Moto;
use crate::support::sns_front::{Delivery, SnsFront};

/// The object key of an S3 notification SNS delivered, decoded (S3 writes it form-encoded;
/// moto's encodes `/` as well, which accounts of S3 differ on).
fn delivered_key(delivery: &Delivery) -> Option<String> {
    let event: Value = serde_json::from_str(delivery.message.as_deref()?).ok()?;
    let key = event["Records"][0]["s3"]["object"]["key"].as_str()?;
    String::from_utf8(spinlift::sigv4::percent_decode(key, true).into_owned()).ok()
}

/// The delivery of `key`'s event among `deliveries`.
fn delivery_of<'d>(deliveries: &'d [Delivery], key: &str) -> &'d Delivery {
    let found = deliveries
        .iter()
        .find(|d| delivered_key(d).as_deref() == Some(key));
    found.unwrap_or_else(|| panic!("no delivery of {key}: {deliveries:#?}"))
}

/// S3 → SNS → the webhook as moto runs them, not as this file writes them. The stack's bucket
/// notification publishes moto's own S3 event to the stack's topic; moto's SNS posts it over
/// HTTPS to the stack's subscription URL, token in the query, signed with a key of moto's
/// (an independent signer: Python's `cryptography`, SignatureVersion 2); the component fetches
/// moto's certificate, verifies the message and indexes the object, whose manifest write is
/// delivered in turn and skipped. The same delivery with its `Message` changed is refused.
/// (`tests/tools/sns_front.py` stands where SNS's front door would: it adds three of the
/// `x-amz-sns-*` headers SNS sends and moto leaves out (message type, message id, topic) and
/// serves the certificate moto names under `sns.<region>.amazonaws.com`; the signed fields
/// stay moto's.)
#[tokio::test]
async fn the_stacks_topic_delivers_moto_signed_events_to_the_webhook() {
    let front = SnsFront::start();
    let moto = Moto::start_with(&[("REQUESTS_CA_BUNDLE", &front.ca())]);
    let mut asked = params("sns-live", "sns", "user", "");
    asked["AppUrl"] = json!(front.https_origin());
    let held = deploy(&moto, asked);
    let topic = held["outputs"]["EventTopicArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let host = host_for(&moto, &held)
        .var("sns_cert_origin", &front.cert_origin())
        .start()
        .await;
    front.forward(&format!("http://{}", host.addr()), &moto.origin(), false);

    let put = call(&host, "PUT", "/objects/reports/q1+q2.txt", &[], b"hello").await;
    assert_eq!(put.status, 201, "{put:?}");
    let deliveries = front.deliveries();
    // First came S3's test event, sent when the stack configured the bucket's notification
    // (before the component was up, so it was not forwarded).
    let test_event = deliveries.first().and_then(|d| d.message.as_deref());
    assert!(
        test_event.is_some_and(|m| m.contains("\"s3:TestEvent\"")),
        "{deliveries:#?}"
    );
    let object = delivery_of(&deliveries, "reports/q1+q2.txt");
    assert_eq!(
        (object.kind.as_str(), object.topic.as_str()),
        ("Notification", topic.as_str())
    );
    assert_eq!(
        object.path,
        format!("/events/s3?token={TOKEN}"),
        "the stack's subscription URL"
    );
    assert_eq!(object.status, Some(200), "{object:?}");
    let answer: Value = serde_json::from_str(object.answer.as_deref().unwrap()).unwrap();
    assert_eq!(answer["processed"], 1, "{answer}");
    // The manifest the indexer wrote was itself announced, and skipped.
    let manifest = delivery_of(&deliveries, "_index/reports/q1+q2.txt.json");
    assert_eq!(manifest.status, Some(200), "{manifest:?}");
    let answer: Value = serde_json::from_str(manifest.answer.as_deref().unwrap()).unwrap();
    assert_eq!(
        (
            answer["processed"].clone(),
            answer["skipped"].as_array().map(Vec::len)
        ),
        (json!(0), Some(1)),
        "{answer}"
    );

    // One character of the signed message changed on the way: refused, nothing processed.
    front.forward(&format!("http://{}", host.addr()), &moto.origin(), true);
    let put = call(&host, "PUT", "/objects/changed.txt", &[], b"hello").await;
    assert_eq!(put.status, 201, "{put:?}");
    let deliveries = front.deliveries();
    let changed = delivery_of(&deliveries, "changed.txt");
    assert_eq!(changed.status, Some(403), "{changed:?}");
    let answer = changed.answer.as_deref().unwrap_or_default();
    assert!(answer.contains("sns_signature_invalid"), "{changed:?}");
    let manifest = call(&host, "GET", "/objects/_index/changed.txt.json", &[], b"").await;
    assert_eq!(manifest.status, 404, "nothing indexed: {manifest:?}");
}

/// The keys and kinds of the EventBridge events `events` holds.
fn object_events(events: &[Value]) -> Vec<(String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let pair = |e: &Value| (text(&e["detail-type"]), text(&e["detail"]["object"]["key"]));
    events.iter().map(pair).collect()
}

/// S3 → EventBridge as moto runs them, through the stack's rule for a whole bucket: moto's S3
/// puts its own events on the bus and the rule passes them (seen on a queue the test adds as
/// the rule's second target: moto's API destinations send no body); the component, given one
/// as the API destination gives it, indexes or un-indexes the object. The writes and deletes
/// of the manifest that follow are events too, which the rule does not pass (`_index/` is left
/// out of its pattern), so the app is not invoked for them.
#[tokio::test]
async fn the_stacks_rule_passes_object_events_but_not_the_indexers_own() {
    let moto = Moto::start();
    let mut asked = params("eb-whole", "eventbridge", "user", "");
    asked["_tap"] = json!(true);
    let held = deploy(&moto, asked);
    let eventbridge = &held["eventbridge"];
    let tap = eventbridge["tap_queue_url"].as_str().unwrap();
    let secret = &moto.fixtures.secret_access_key;
    let key_pattern = &eventbridge["pattern"]["detail"]["object"]["key"];
    assert_eq!(
        key_pattern,
        &json!([{"anything-but": {"prefix": "_index/"}}])
    );
    let host = host_for(&moto, &held).start().await;
    // The component given an event as the API destination gives it; then the manifest's status.
    let apply = async |event: &Value| {
        let answer = host.send(delivery(event.to_string().into_bytes())).await;
        let outcome = (answer.status, json_of(&answer)["processed"].clone());
        assert_eq!(outcome, (200, json!(1)), "{answer:?}");
        let manifest = "/objects/_index/reports/q1.txt.json";
        call(&host, "GET", manifest, &[], b"").await.status
    };

    let put = call(&host, "PUT", "/objects/reports/q1.txt", &[], b"hello").await;
    assert_eq!(put.status, 201, "{put:?}");
    let passed = drain_queue(&moto, secret, tap).await;
    let created = ("Object Created".to_owned(), "reports/q1.txt".to_owned());
    assert_eq!(object_events(&passed), [created], "{passed:#?}");
    assert_eq!(apply(&passed[0]).await, 200, "the manifest written");
    assert_eq!(drain_queue(&moto, secret, tap).await, Vec::<Value>::new());

    let delete = call(&host, "DELETE", "/objects/reports/q1.txt", &[], b"").await;
    assert_eq!(delete.status, 204, "{delete:?}");
    let passed = drain_queue(&moto, secret, tap).await;
    let deleted = ("Object Deleted".to_owned(), "reports/q1.txt".to_owned());
    assert_eq!(object_events(&passed), [deleted], "{passed:#?}");
    // moto writes one constant sequencer into every event; S3's grow with each change to a key,
    // and the indexer applies only a later one, so the removal gets a later one here.
    let mut removal = passed[0].clone();
    let sequencer = &mut removal["detail"]["object"]["sequencer"];
    assert_eq!(sequencer, "617f08299329d189", "moto's constant");
    *sequencer = json!("617f08299329d18a");
    assert_eq!(apply(&removal).await, 404, "the manifest deleted");
    assert_eq!(drain_queue(&moto, secret, tap).await, Vec::<Value>::new());
}
