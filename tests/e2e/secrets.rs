//! Secret hygiene: with distinctive values in every secret variable, a run over every route
//! (successes, client errors, upstream refusals, a missing variable) must leave none of them,
//! and no signature, in any answer or in the component's log. The one exception is by design:
//! a presigned URL carries the access key id and its signature, so that answer's body is
//! only checked for the other secrets.

use crate::support;

use serde_json::json;
use spinlift::sigv4::uri_encode;
use support::host::{Answer, Host};
use support::s3_store::{S3Store, BUCKET};

const KEY_ID: &str = "AKIDHYGIENE0KEYID0001";
const SECRET: &str = "hygiene-secret-access-key-0001";
const SESSION: &str = "hygiene-session-token-0001";
const API: &str = "hygiene-api-token-0001";
const HOOK: &str = "hygiene-webhook-token-0001";

fn request(method: &str, path: &str, token: Option<&str>, body: &[u8]) -> http::Request<Vec<u8>> {
    let mut builder = http::Request::builder().method(method).uri(path);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(body.to_vec()).unwrap()
}

/// Everything a client could see of an answer: status line parts, headers and body.
fn visible(answer: &Answer) -> String {
    let headers: String = answer
        .headers
        .iter()
        .map(|(name, value)| format!("{name}: {}\n", String::from_utf8_lossy(value.as_bytes())))
        .collect();
    format!("{}\n{headers}{}", answer.status, answer.body)
}

/// The first secret or signature marker `text` shows, if any.
fn leak(text: &str, allow_key_id_and_signature: bool) -> Option<&'static str> {
    let mut secrets = vec![SECRET, SESSION, API, HOOK];
    if !allow_key_id_and_signature {
        secrets.extend([
            KEY_ID,
            "X-Amz-Signature",
            "Signature=",
            "x-amz-security-token",
        ]);
    }
    secrets.into_iter().find(|secret| text.contains(secret))
}

fn assert_clean(what: &str, text: &str, allow_key_id_and_signature: bool) {
    if let Some(secret) = leak(text, allow_key_id_and_signature) {
        panic!("{what} shows {secret}: {text}");
    }
}

#[tokio::test]
async fn no_secret_or_signature_leaves_through_answers_or_logs() {
    let store = S3Store::start_with(KEY_ID, SECRET);
    let vars = |host: support::host::HostBuilder| {
        host.var("s3_host", &store.host())
            .var("aws_access_key_id", KEY_ID)
            .var("aws_secret_access_key", SECRET)
            .var("api_token", API)
            .var("webhook_token", HOOK)
    };
    let host = vars(Host::builder()).start().await;
    let mut answers = Vec::new();
    let notification = json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-23T00:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": BUCKET}, "object": {"key": uri_encode("a b.txt"), "size": 1, "sequencer": "01"}}
    }]})
    .to_string();
    let lambda_event =
        json!({"version": "2.0", "rawPath": "/objects/a%20b.txt", "rawQueryString": "",
        "headers": {"authorization": format!("Bearer {API}")},
        "requestContext": {"http": {"method": "GET"}}, "isBase64Encoded": false})
        .to_string();
    for (method, path, token, body) in [
        ("GET", "/healthz", None, &b""[..]),
        ("PUT", "/objects/a%20b.txt", Some(API), b"hello"),
        ("GET", "/objects/a%20b.txt", Some(API), b""),
        ("HEAD", "/objects/a%20b.txt", Some(API), b""),
        ("GET", "/objects?prefix=a", Some(API), b""),
        (
            "POST",
            "/objects/a%20b.txt/copy",
            Some(API),
            br#"{"to":"c.txt"}"#,
        ),
        ("GET", "/objects/missing", Some(API), b""),
        ("GET", "/objects/a%20b.txt", Some("wrong-token"), b""),
        ("GET", "/objects/a%20b.txt", Some(HOOK), b""),
        ("POST", "/events/s3", Some(HOOK), notification.as_bytes()),
        ("POST", "/events/s3", Some(API), notification.as_bytes()),
        (
            "POST",
            "/events/s3",
            Some(HOOK),
            br#"{"Type":"Notification","TopicArn":"t","Message":"{}"}"#,
        ),
        ("POST", "/lambda", Some(API), lambda_event.as_bytes()),
        (
            "POST",
            "/presign",
            Some(API),
            br#"{"key":"x","method":"PUT","expires_in":0}"#,
        ),
        ("DELETE", "/objects/c.txt", Some(API), b""),
    ] {
        let answer = host.send(request(method, path, token, body)).await;
        answers.push((format!("{method} {path}"), answer));
    }
    let presign = host
        .send(request(
            "POST",
            "/presign",
            Some(API),
            br#"{"key":"a b.txt","method":"GET","expires_in":60}"#,
        ))
        .await;
    assert_eq!(presign.status, 200);

    // S3 refusing our signature (the store knows another secret) is a 502 that must not echo it.
    let refused = Host::builder()
        .var("s3_host", &store.host())
        .var("aws_access_key_id", KEY_ID)
        .var("aws_secret_access_key", "hygiene-wrong-secret-0001")
        .var("aws_session_token", SESSION)
        .var("api_token", API)
        .start()
        .await;
    let answer = refused
        .send(request("GET", "/objects/a%20b.txt", Some(API), b""))
        .await;
    assert_eq!(answer.status, 502, "{}", answer.body);
    answers.push(("refused signature".into(), answer));
    // A missing secret variable names the variable, never a value.
    let unconfigured = vars(Host::builder())
        .unset("aws_secret_access_key")
        .start()
        .await;
    let answer = unconfigured
        .send(request("GET", "/objects/a%20b.txt", Some(API), b""))
        .await;
    assert_eq!(answer.status, 500, "{}", answer.body);
    answers.push(("missing variable".into(), answer));

    assert!(
        answers.iter().any(|(_, a)| a.status == 200),
        "the run reached S3"
    );
    // The failures were logged (so the logs checked below are not empty by accident).
    assert!(
        refused.logs().contains("SignatureDoesNotMatch"),
        "{}",
        refused.logs()
    );
    assert!(
        unconfigured.logs().contains("aws_secret_access_key"),
        "{}",
        unconfigured.logs()
    );
    for (what, answer) in &answers {
        assert_clean(what, &visible(answer), false);
    }
    assert_clean("the presigned URL", &visible(&presign), true);
    // The check bites: the presigned URL does carry the key id and a signature.
    assert_eq!(leak(&visible(&presign), false), Some(KEY_ID));
    for (what, log) in [
        ("the log", host.logs()),
        ("the refused host's log", refused.logs()),
        ("the unconfigured host's log", unconfigured.logs()),
    ] {
        assert_clean(what, &log, false);
    }
}
