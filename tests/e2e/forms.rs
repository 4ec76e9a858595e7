//! Browser form uploads (`POST /presign/post`): the component signs a POST policy, a plain
//! client posts `multipart/form-data` straight to s3s-fs, which verifies the policy's
//! signature, expiry and every condition itself (s3s 0.14's POST policy support).

use crate::api::{call, json_of};
use crate::support;

use serde_json::{json, Value};
use std::time::Duration;
use support::host::Host;
use support::s3_store::{send, S3Store};

const BOUNDARY: &str = "----spinlift-form-boundary";

/// Posts `file` with the form's fields (in its order), the file last, as a browser does.
async fn post(form: &Value, key: Option<&str>, content_type: &str, file: &[u8]) -> (u16, String) {
    let mut body = Vec::new();
    let mut field = |name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    for (name, value) in form["fields"].as_object().unwrap() {
        let value = match (name.as_str(), key) {
            ("key", Some(key)) => key,
            _ => value.as_str().unwrap(),
        };
        field(name, value);
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.png\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let request = http::Request::post(form["url"].as_str().unwrap())
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header("content-length", body.len())
        .body(body)
        .unwrap();
    let answer = send(request).await;
    let text = String::from_utf8_lossy(answer.body()).into_owned();
    // The store's error code, when it refused.
    let code = text
        .split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map_or(String::new(), |(code, _)| code.to_owned());
    (answer.status().as_u16(), code)
}

async fn form(host: &Host, policy: Value) -> Value {
    let answer = call(
        host,
        "POST",
        "/presign/post",
        &[],
        policy.to_string().as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    json_of(&answer)
}

#[tokio::test]
async fn the_store_holds_a_form_post_to_its_policy() {
    let store = S3Store::start();
    let host = Host::builder().s3_store(&store.host()).start().await;
    let png = vec![0x89u8; 2000];
    let stored = |key: &str| std::fs::read(store.object_path(key)).ok();

    let by_prefix = form(
        &host,
        json!({"prefix": "photos/", "max_size": 4096, "content_type": "image/png"}),
    )
    .await;
    assert_eq!(by_prefix["fields"]["key"], "photos/${filename}");
    // Within the policy: a key the page chose under the prefix. (S3 also replaces
    // `${filename}` in the key field with the file's name; s3s-fs 0.14 stores it literally.)
    let (status, _) = post(&by_prefix, Some("photos/photo.png"), "image/png", &png).await;
    assert!((200..300).contains(&status), "{status}");
    assert_eq!(stored("photos/photo.png"), Some(png.clone()));
    // Refused by the store: a key outside the prefix, a file over max_size.
    let refused = post(&by_prefix, Some("elsewhere/photo.png"), "image/png", &png).await;
    // (AWS answers 403 AccessDenied "Invalid according to Policy"; s3s 400.)
    assert_eq!(
        refused,
        (400, "InvalidPolicyDocument".to_owned()),
        "a key outside the prefix"
    );
    assert_eq!(stored("elsewhere/photo.png"), None);
    let refused = post(
        &by_prefix,
        Some("photos/big.png"),
        "image/png",
        &vec![1; 5000],
    )
    .await;
    assert_eq!(
        refused,
        (400, "EntityTooLarge".to_owned()),
        "a file over content-length-range"
    );
    assert_eq!(stored("photos/big.png"), None);

    // An exact key, and a policy that has expired.
    let exact = form(
        &host,
        json!({"key": "one/file.bin", "max_size": 4096, "expires_in": 1}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let refused = post(&exact, None, "application/octet-stream", &png).await;
    assert_eq!(
        refused,
        (403, "AccessDenied".to_owned()),
        "an expired policy"
    );
    assert_eq!(stored("one/file.bin"), None);
    let fresh = form(&host, json!({"key": "one/file.bin", "max_size": 4096})).await;
    let (status, _) = post(&fresh, None, "application/octet-stream", &png).await;
    assert!((200..300).contains(&status), "{status}");
    assert_eq!(stored("one/file.bin"), Some(png));
}

#[tokio::test]
async fn a_policy_must_name_its_keys_and_sizes() {
    let store = S3Store::start();
    let host = Host::builder().s3_store(&store.host()).start().await;
    for policy in [
        json!({"max_size": 10}),
        json!({"key": "a", "prefix": "b/", "max_size": 10}),
        json!({"key": "a", "max_size": 0}),
        json!({"key": "a", "max_size": 10, "min_size": 11}),
        json!({"key": "a", "max_size": 6u64 << 30}),
    ] {
        let answer = call(
            &host,
            "POST",
            "/presign/post",
            &[],
            policy.to_string().as_bytes(),
        )
        .await;
        assert_eq!(answer.status, 400, "{policy}: {answer:?}");
        assert_eq!(
            json_of(&answer)["error"]["code"],
            "invalid_post_policy",
            "{policy}"
        );
    }
}
