//! Hostile requests, events and store answers, through the default component's router
//! natively: each is answered (a 4xx JSON error), never a trap and never a bypass. Found by
//! reading the code (2026-12-04):
//! - a listing prefix of 22,000 `+` percent-encoded to a URL over `http`'s 64 KiB, and an
//!   upload id as long did the same to every part URL;
//! - a Lambda event naming thousands of headers overflowed the header map of the PUT made
//!   from it;
//! - a store handing back earlier part-number markers kept an upload's status listing forever;
//! - an upload declaring more than 10,000 parts' worth was sent part by part before refused;
//! - an `x-amz-sns-message-type` header that is not text let the SNS URL token post raw S3
//!   events without any signature.

#[path = "support/router.rs"]
mod router;

use router::{no_such_key, Upstream};
use serde_json::{json, Value};
use spinlift::body::Body;
use std::sync::atomic::Ordering;

/// The router's answer to `method uri` with `body`: status and JSON body.
fn send(upstream: &Upstream, method: &str, uri: &str, body: Vec<u8>) -> (u16, Value) {
    send_with(upstream, method, uri, &[], body)
}

/// As [`send`], with `headers` too.
fn send_with(
    upstream: &Upstream,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, Value) {
    let mut request = http::Request::builder().method(method).uri(uri);
    if !headers
        .iter()
        .any(|(name, _)| *name == "x-amz-sns-message-type")
    {
        request = request.header("authorization", "Bearer t0ken");
    }
    for (name, value) in headers {
        request = request.header(*name, value.as_bytes());
    }
    let request = request.body(Body::Bytes(body)).unwrap();
    let response = router::serve(upstream, &router::variables(), request);
    let status = response.status().as_u16();
    let Body::Bytes(bytes) = response.into_body() else {
        panic!("not a buffered answer")
    };
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The id `POST /uploads` hands out for an upload of 10 MiB in 5 MiB parts.
fn upload_handle(upload_id: &str) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::encode_string(format!("10485760\n5242880\n{upload_id}\nk").as_bytes())
}

#[test]
fn listing_parameters_past_their_bounds_are_refused() {
    let upstream = Upstream::new(no_such_key);
    for (name, at_bound, code) in [
        ("prefix", 1024, "invalid_prefix"),
        ("delimiter", 1024, "invalid_delimiter"),
        ("cursor", 4096, "invalid_cursor"),
    ] {
        // `+` is a space, which goes out as `%20`: three bytes for one.
        let query = |n: usize| format!("/objects?{name}={}", "+".repeat(n));
        let calls = || upstream.calls.load(Ordering::Relaxed);
        let before = calls();
        let (status, body) = send(&upstream, "GET", &query(at_bound), Vec::new());
        assert_eq!(calls(), before + 1, "{name} at its bound reaches the store");
        assert_ne!(status, 400, "{body}");
        for past in [at_bound + 1, 22_000] {
            let (status, body) = send(&upstream, "GET", &query(past), Vec::new());
            assert_eq!(status, 400, "{name} of {past}");
            assert_eq!(body["error"]["code"], code);
        }
        assert_eq!(calls(), before + 1, "refused before any call");
    }
}

#[test]
fn upload_ids_past_their_bound_are_refused_before_any_call() {
    let upstream = Upstream::new(no_such_key);
    for (method, suffix, body) in [
        ("DELETE", "", Vec::new()),
        ("GET", "", Vec::new()),
        ("POST", "/parts", br#"{"parts":[{"number":1}]}"#.to_vec()),
        ("POST", "/complete", br#"{"parts":[]}"#.to_vec()),
    ] {
        let id = upload_handle(&"!".repeat(22_000));
        let uri = format!("/uploads/{id}{suffix}");
        let (status, answer) = send(&upstream, method, &uri, body.clone());
        assert_eq!(status, 400, "{method} {suffix}: {answer}");
        assert_eq!(answer["error"]["code"], "invalid_upload_id");
        // At the bound, the id is used: the store is asked.
        let id = upload_handle(&"!".repeat(1024));
        let (status, answer) = send(&upstream, method, &format!("/uploads/{id}{suffix}"), body);
        assert_ne!(answer["error"]["code"], "invalid_upload_id", "{status}");
    }
    assert!(upstream.calls.load(Ordering::Relaxed) > 0);
}

#[test]
fn lambda_events_with_long_queries_or_thousands_of_headers_are_answered() {
    let upstream = Upstream::new(no_such_key);
    let invoke = |event: Value| {
        let (status, answer) = send(&upstream, "POST", "/lambda", event.to_string().into_bytes());
        (status, answer)
    };
    let (status, answer) = invoke(json!({
        "version": "2.0", "rawPath": "/objects", "rawQueryString": format!("prefix={}", "+".repeat(22_000)),
        "headers": {"authorization": "Bearer t0ken"},
        "requestContext": {"http": {"method": "GET"}}, "isBase64Encoded": false
    }));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["statusCode"], 400, "{answer}");
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "invalid_prefix");

    let mut headers: serde_json::Map<String, Value> = (0..24_572)
        .map(|i| (format!("x-amz-meta-h{i:05}"), Value::from("v")))
        .collect();
    headers.insert("authorization".into(), "Bearer t0ken".into());
    let (status, answer) = invoke(json!({
        "httpMethod": "PUT", "path": "/objects/k", "requestContext": {},
        "headers": headers, "body": "x"
    }));
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid_event");
}

#[test]
fn an_upload_status_stops_when_the_store_repeats_an_earlier_marker() {
    // Pages whose NextPartNumberMarker goes 1, 2, 1, 2, ... as a broken store might send.
    let upstream = Upstream::new(|call, request| {
        assert!(call < 10, "still listing: {}", request.uri());
        let marker = 1 + call % 2;
        let page = format!(
            "<ListPartsResult><IsTruncated>true</IsTruncated>\
             <NextPartNumberMarker>{marker}</NextPartNumberMarker></ListPartsResult>"
        );
        (200, page)
    });
    let (status, answer) = send(
        &upstream,
        "GET",
        &format!("/uploads/{}", upload_handle("U")),
        Vec::new(),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["missing"].as_array().unwrap().len(), 2);
    assert_eq!(upstream.calls.load(Ordering::Relaxed), 3);
}

#[test]
fn an_upload_larger_than_ten_thousand_parts_is_refused_before_any_call() {
    let upstream = Upstream::new(no_such_key);
    let limit = 10_000 * (8u64 << 20);
    let too_large = (limit + 1).to_string();
    let headers = [("content-length", too_large.as_str())];
    let (status, answer) = send_with(&upstream, "PUT", "/objects/k", &headers, Vec::new());
    assert_eq!(status, 413, "{answer}");
    assert_eq!(answer["error"]["code"], "payload_too_large");
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&limit.to_string()));
    assert_eq!(upstream.calls.load(Ordering::Relaxed), 0);
}

#[test]
fn the_sns_url_token_never_carries_an_unverified_event() {
    let upstream = Upstream::new(no_such_key);
    let record = json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put", "eventTime": "2026-12-04T00:00:00.000Z",
        "awsRegion": "us-east-1",
        "s3": {"bucket": {"name": "spinlift-dev"}, "object": {"key": "a.jpg",
            "sequencer": "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"}}}]});
    let body = record.to_string().into_bytes();
    // The header is what lets a URL token in; any value of it, text or not, means SNS, and
    // a body that is no signed SNS message is refused.
    for (value, expected, code) in [
        ("\u{ff}", 400, "invalid_event"),
        ("Notification", 403, "sns_message_incomplete"),
    ] {
        let headers = [("x-amz-sns-message-type", value)];
        let uri = "/events/s3?token=w3bhook";
        let (status, answer) = send_with(&upstream, "POST", uri, &headers, body.clone());
        assert_eq!(status, expected, "{value:?}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{value:?}: {answer}");
    }
    assert_eq!(
        upstream.calls.load(Ordering::Relaxed),
        0,
        "nothing was processed"
    );
}
