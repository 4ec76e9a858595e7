//! Presigned multipart uploads (`/uploads`): the component signs, a plain HTTP client with no
//! credentials PUTs the parts straight to s3s-fs, which verifies every part URL's signature,
//! its expiry and what it is signed for. The object's bytes never pass through the component.

use crate::api::{self, error_code, json_of, TOKEN};
use crate::support;

use serde_json::{json, Value};
use std::time::Duration;
use support::host::{Answer, Host};
use support::s3_store::{send, S3Store};

const MIB: usize = 1 << 20;

/// Calls the API with a JSON body (none for `Value::Null`).
pub(crate) async fn call(host: &Host, method: &str, path: &str, body: &Value) -> Answer {
    let body = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    api::call(host, method, path, &[], &body).await
}

/// PUTs `bytes` to a presigned part URL, as a browser or curl would: no credentials, no
/// signing. The part's ETag, or the store's status.
async fn put_part(url: &str, bytes: &[u8]) -> Result<String, u16> {
    put_part_with(url, &[], bytes)
        .await
        .map_err(|(status, _)| status)
}

/// PUTs `bytes` to a presigned URL with `headers` (those it was signed with): the ETag, or
/// the store's status and body.
pub(crate) async fn put_part_with(
    url: &str,
    headers: &[(&str, &str)],
    bytes: &[u8],
) -> Result<String, (u16, String)> {
    let mut request = http::Request::builder()
        .method("PUT")
        .uri(url)
        .header("content-length", bytes.len());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let answer = send(request.body(bytes.to_vec()).unwrap()).await;
    match answer.status().as_u16() {
        200 => Ok(answer.headers()["etag"].to_str().unwrap().to_owned()),
        status => Err((status, String::from_utf8_lossy(answer.body()).into_owned())),
    }
}

fn url_of(part: &Value) -> &str {
    part["url"].as_str().unwrap()
}

#[tokio::test]
async fn a_large_object_goes_to_the_store_in_presigned_parts_and_resumes() {
    let store = S3Store::start();
    let host = Host::builder().s3_store(&store.host()).start().await;
    let body: Vec<u8> = (0..64 * MIB).map(|i| (i % 253) as u8).collect();

    let created = call(
        &host,
        "POST",
        "/uploads",
        &json!({"key": "big/video.mp4", "size": body.len(), "content_type": "video/mp4"}),
    )
    .await;
    assert_eq!(created.status, 201, "{created:?}");
    let created = json_of(&created);
    let id = created["upload_id"].as_str().unwrap().to_owned();
    let parts = created["parts"].as_array().unwrap().clone();
    assert_eq!(
        (created["part_size"].as_u64(), parts.len()),
        (Some(8 * MIB as u64), 8)
    );
    assert!(
        url_of(&parts[0]).starts_with(&format!("http://{}/", store.host())),
        "{}",
        url_of(&parts[0])
    );

    // Every part but the third, then the upload "breaks".
    let mut etags = vec![String::new(); parts.len()];
    for (i, part) in parts.iter().enumerate().filter(|(i, _)| *i != 2) {
        let bytes = &body[i * 8 * MIB..(i + 1) * 8 * MIB];
        assert_eq!(part["size"].as_u64(), Some(bytes.len() as u64));
        etags[i] = put_part(url_of(part), bytes).await.unwrap();
    }
    // Resuming: S3 holds seven parts; the eighth comes with a fresh URL.
    let status = call(&host, "GET", &format!("/uploads/{id}"), &Value::Null).await;
    assert_eq!(status.status, 200, "{status:?}");
    let status = json_of(&status);
    let held: Vec<u64> = status["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["number"].as_u64().unwrap())
        .collect();
    assert_eq!(held, [1, 2, 4, 5, 6, 7, 8]);
    let missing = status["missing"].as_array().unwrap();
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0]["number"], 3);
    etags[2] = put_part(url_of(&missing[0]), &body[16 * MIB..24 * MIB])
        .await
        .unwrap();

    let listed: Vec<Value> = etags
        .iter()
        .enumerate()
        .map(|(i, etag)| json!({"number": i + 1, "etag": etag}))
        .collect();
    let done = call(
        &host,
        "POST",
        &format!("/uploads/{id}/complete"),
        &json!({ "parts": listed }),
    )
    .await;
    assert_eq!(done.status, 201, "{done:?}");
    assert_eq!(json_of(&done)["key"], "big/video.mp4");
    assert!(std::fs::read(store.object_path("big/video.mp4")).unwrap() == body);
    assert!(
        store.open_uploads().is_empty(),
        "{:?}",
        store.open_uploads()
    );
    let head = call(&host, "HEAD", "/objects/big/video.mp4", &Value::Null).await;
    assert_eq!(head.headers["content-type"], "video/mp4");
}

#[tokio::test]
async fn part_urls_are_signed_for_their_part_upload_and_time() {
    let store = S3Store::start();
    let host = Host::builder().s3_store(&store.host()).start().await;
    let create = |key: &str, expires_in: u64| json!({"key": key, "size": 12 * MIB, "part_size": 5 * MIB, "expires_in": expires_in});
    let started = |answer: Answer| {
        assert_eq!(answer.status, 201, "{answer:?}");
        json_of(&answer)
    };
    let a = started(call(&host, "POST", "/uploads", &create("a.bin", 3600)).await);
    let b = started(call(&host, "POST", "/uploads", &create("b.bin", 3600)).await);
    let short = started(call(&host, "POST", "/uploads", &create("c.bin", 1)).await);
    let five = vec![7u8; 5 * MIB];
    let a_parts = a["parts"].as_array().unwrap();
    assert_eq!(a_parts.len(), 3);
    assert_eq!(a_parts[2]["size"], 2 * MIB);

    // A part URL used for another part number, or for another upload, fails its signature.
    // The URL signs its part's length too, so these attempts use an upload whose last part
    // is a few bytes: the store refuses before reading a body, and a large one would break
    // the connection mid-send.
    let few = b"few bytes";
    let tiny = json!({"key": "d.bin", "size": 5 * MIB + few.len(), "part_size": 5 * MIB});
    let tiny = started(call(&host, "POST", "/uploads", &tiny).await);
    let last = url_of(&tiny["parts"][1]);
    assert_eq!(tiny["parts"][1]["size"], few.len());
    let renumbered = last.replace("partNumber=2&", "partNumber=1&");
    assert_ne!(renumbered, last);
    assert_eq!(put_part(&renumbered, few).await, Err(403));
    let upload_of = |url: &str| {
        let query = url.split_once('?').unwrap().1;
        let pair = query
            .split('&')
            .find(|p| p.starts_with("uploadId="))
            .unwrap();
        pair.to_owned()
    };
    let b_first = url_of(&b["parts"][0]);
    let moved = last.replace(&upload_of(last), &upload_of(b_first));
    assert_ne!(moved, last);
    assert_eq!(put_part(&moved, few).await, Err(403));
    // A body longer or shorter than its part would shift the rest of the object.
    assert_eq!(put_part(last, b"few byte").await, Err(403));
    assert_eq!(put_part(last, b"few bytes!").await, Err(403));
    // The URLs as signed work.
    put_part(last, few).await.unwrap();
    put_part(url_of(&a_parts[0]), &five).await.unwrap();

    // Past its expiry, the store refuses it.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(put_part(url_of(&short["parts"][0]), few).await, Err(403));

    // Aborting removes the parts S3 held.
    assert!(!store.open_uploads().is_empty());
    for upload in [&a, &b, &short, &tiny] {
        let id = upload["upload_id"].as_str().unwrap();
        let aborted = call(&host, "DELETE", &format!("/uploads/{id}"), &Value::Null).await;
        assert_eq!(aborted.status, 204, "{aborted:?}");
    }
    assert!(
        store.open_uploads().is_empty(),
        "{:?}",
        store.open_uploads()
    );
    assert!(!store.object_path("a.bin").exists());
}

#[tokio::test]
async fn bad_upload_requests_are_4xx_before_any_s3_call() {
    let store = S3Store::start();
    let host = Host::builder().s3_store(&store.host()).start().await;
    for (body, code) in [
        // Over S3's largest object: 10,000 parts of 5 GiB (48.8 TiB).
        (
            json!({"key": "k", "size": 10_000 * (5u64 << 30) + 1}),
            "invalid_size",
        ),
        (
            json!({"key": "k", "size": 64 * MIB, "part_size": MIB}),
            "invalid_size",
        ),
        (
            json!({"key": "k", "size": 1, "expires_in": 0}),
            "invalid_expires_in",
        ),
        (json!({"key": "", "size": 1}), "invalid_key"),
        (json!({"key": "k"}), "invalid_json"),
    ] {
        let answer = call(&host, "POST", "/uploads", &body).await;
        assert_eq!(
            (answer.status, error_code(&answer)),
            (400, code.to_owned()),
            "{body}"
        );
    }
    let answer = call(&host, "GET", "/uploads/not-an-id", &Value::Null).await;
    assert_eq!(
        (answer.status, error_code(&answer).as_str()),
        (400, "invalid_upload_id")
    );

    let created = call(
        &host,
        "POST",
        "/uploads",
        &json!({"key": "k", "size": 12 * MIB}),
    )
    .await;
    let id = json_of(&created)["upload_id"].as_str().unwrap().to_owned();
    let answer = call(
        &host,
        "POST",
        &format!("/uploads/{id}/complete"),
        &json!({"parts": [{"number": 2, "etag": "\"x\""}]}),
    )
    .await;
    assert_eq!(
        (answer.status, error_code(&answer).as_str()),
        (400, "invalid_parts")
    );
    assert!(
        !store.object_path("k").exists(),
        "an upload with a part missing completed"
    );
}

#[tokio::test]
async fn a_redirected_download_is_served_by_the_store() {
    let store = S3Store::start();
    let host = Host::builder().s3_store(&store.host()).start().await;
    let body: Vec<u8> = (0..3 * MIB).map(|i| (i % 249) as u8).collect();
    let request = http::Request::builder()
        .method("PUT")
        .uri("/objects/dl/big.bin")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(body.clone())
        .unwrap();
    assert_eq!(host.send(request).await.status, 201);

    let answer = call(&host, "GET", "/objects/dl/big.bin?redirect=1", &Value::Null).await;
    assert_eq!(answer.status, 307, "{answer:?}");
    assert_eq!(answer.headers["cache-control"], "no-store");
    assert!(answer.bytes.is_empty());
    let location = answer.headers["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!("http://{}/", store.host())),
        "{location}"
    );
    // A plain client, as a browser following the redirect: the store checks the signature.
    let fetched = send(
        http::Request::builder()
            .uri(location)
            .body(Vec::new())
            .unwrap(),
    )
    .await;
    assert_eq!(fetched.status(), 200);
    assert!(fetched.body() == &body);
    let tampered = location.replace("dl/big.bin", "dl/other.bin");
    let refused = send(
        http::Request::builder()
            .uri(tampered)
            .body(Vec::new())
            .unwrap(),
    )
    .await;
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn objects_over_the_redirect_threshold_are_redirected_unasked() {
    let store = S3Store::start();
    let host = Host::builder()
        .s3_store(&store.host())
        .var("s3_redirect_over_mib", "1")
        .start()
        .await;
    for (key, size) in [("big.bin", 3 * MIB), ("small.bin", 100_000)] {
        let request = http::Request::builder()
            .method("PUT")
            .uri(format!("/objects/{key}"))
            .header("authorization", format!("Bearer {TOKEN}"))
            .body(vec![5u8; size])
            .unwrap();
        assert_eq!(host.send(request).await.status, 201);
    }
    let big = call(&host, "GET", "/objects/big.bin", &Value::Null).await;
    assert_eq!(big.status, 307, "{big:?}");
    let fetched = send(
        http::Request::builder()
            .uri(big.headers["location"].to_str().unwrap())
            .body(Vec::new())
            .unwrap(),
    )
    .await;
    assert_eq!(
        (fetched.status().as_u16(), fetched.body().len()),
        (200, 3 * MIB)
    );
    let small = call(&host, "GET", "/objects/small.bin", &Value::Null).await;
    assert_eq!((small.status, small.bytes.len()), (200, 100_000));
    let missing = call(&host, "GET", "/objects/none.bin", &Value::Null).await;
    assert_eq!(
        (missing.status, error_code(&missing).as_str()),
        (404, "NoSuchKey")
    );
}
