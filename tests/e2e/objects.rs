//! The object API end to end: the built component in the wasm host, talking to a real
//! signature-verifying S3 store (s3s-fs). Assertions are on what the store really holds.

use crate::api::{error_code, json_of, put_head};
use crate::support;

use serde_json::json;
use spinlift::s3::{Bucket, ObjectKey, S3Config, Scheme};
use spinlift::sigv4::{Credentials, Payload, Signer, SigningTime};
use support::host::{Answer, Host};
use support::s3_store::{S3Store, ACCESS_KEY, BUCKET, SECRET_KEY};

const TOKEN: &str = "dev-api-token";

/// A host whose S3 variables point at `store`, with the store's key pair.
async fn host_for(store: &S3Store) -> Host {
    Host::builder().s3_store(&store.host()).start().await
}

fn request(method: &str, path: &str) -> http::request::Builder {
    http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {TOKEN}"))
}

async fn call(host: &Host, method: &str, path: &str, body: &[u8]) -> Answer {
    host.send(request(method, path).body(body.to_vec()).unwrap())
        .await
}

#[tokio::test]
async fn objects_round_trip_through_the_component() {
    let store = S3Store::start();
    let host = host_for(&store).await;
    let key = "docs/日本語 ü+%~*'()!$&,;=@ #.txt";
    let path = format!("/objects/{}", spinlift::sigv4::uri_encode_path(key));
    let body = b"hello from spinlift".to_vec();

    let put = host
        .send(
            request("PUT", &path)
                .header("content-type", "text/plain; charset=utf-8")
                .header("x-amz-meta-origin", "e2e")
                .body(body.clone())
                .unwrap(),
        )
        .await;
    assert_eq!(put.status, 201, "{put:?}");
    let created = json_of(&put);
    assert_eq!(
        (created["key"].as_str(), created["size"].as_u64()),
        (Some(key), Some(body.len() as u64))
    );
    let etag = created["etag"].as_str().unwrap().to_owned();
    assert_eq!(
        std::fs::read(store.object_path(key)).unwrap(),
        body,
        "the store holds the bytes"
    );

    let got = call(&host, "GET", &path, b"").await;
    assert_eq!((got.status, got.bytes.as_slice()), (200, body.as_slice()));
    assert_eq!(got.headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(got.headers["etag"], etag.as_str());
    assert_eq!(
        got.headers["content-length"],
        body.len().to_string().as_str()
    );
    assert!(got.headers.contains_key("last-modified"));

    let ranged = host
        .send(
            request("GET", &path)
                .header("range", "bytes=6-9")
                .body(vec![])
                .unwrap(),
        )
        .await;
    assert_eq!(
        (ranged.status, ranged.bytes.as_slice()),
        (206, &body[6..10])
    );

    let head = call(&host, "HEAD", &path, b"").await;
    assert_eq!(head.status, 200, "{head:?}");
    assert_eq!(head.headers["x-amz-meta-origin"], "e2e");
    assert_eq!(
        head.headers["content-length"],
        body.len().to_string().as_str()
    );
    assert!(head.bytes.is_empty());

    let copy_path = format!("{path}/copy");
    let copied = call(&host, "POST", &copy_path, br#"{"to":"docs/copy.txt"}"#).await;
    assert_eq!(copied.status, 201, "{copied:?}");
    assert_eq!(
        std::fs::read(store.object_path("docs/copy.txt")).unwrap(),
        body
    );

    let listed = call(&host, "GET", "/objects?prefix=docs%2F&limit=1", b"").await;
    assert_eq!(listed.status, 200, "{listed:?}");
    let page = json_of(&listed);
    assert_eq!(page["objects"].as_array().unwrap().len(), 1);
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let next = call(
        &host,
        "GET",
        &format!(
            "/objects?prefix=docs%2F&limit=1&cursor={}",
            spinlift::sigv4::uri_encode(&cursor)
        ),
        b"",
    )
    .await;
    let mut keys: Vec<String> = [&page, &json_of(&next)]
        .iter()
        .flat_map(|p| {
            p["objects"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["key"].as_str().unwrap().to_owned())
        })
        .collect();
    keys.sort();
    assert_eq!(keys, ["docs/copy.txt", key]);
    let grouped = json_of(&call(&host, "GET", "/objects?delimiter=%2F", b"").await);
    assert_eq!(grouped["prefixes"], json!(["docs/"]));

    for doomed in [path.as_str(), "/objects/docs%2Fcopy.txt"] {
        let deleted = call(&host, "DELETE", doomed, b"").await;
        assert_eq!(deleted.status, 204, "{deleted:?}");
    }
    assert!(!store.object_path(key).exists());
    let gone = call(&host, "GET", &path, b"").await;
    assert_eq!(
        (gone.status, error_code(&gone)),
        (404, "NoSuchKey".to_owned()),
        "{gone:?}"
    );
    let gone = call(&host, "HEAD", &path, b"").await;
    assert_eq!(gone.status, 404);

    let logs = host.logs();
    for secret in [SECRET_KEY, TOKEN, "Signature="] {
        assert!(
            !logs.contains(secret),
            "{secret} leaked into the log: {logs}"
        );
    }
}

#[tokio::test]
async fn large_bodies_go_up_in_parts() {
    let store = S3Store::start();
    let host = host_for(&store).await;
    let body: Vec<u8> = (0..(8 << 20) + 100_000)
        .map(|i: u32| (i % 253) as u8)
        .collect();
    let put = call(&host, "PUT", "/objects/big%20one.bin", &body).await;
    assert_eq!(put.status, 201, "{put:?}");
    let etag = json_of(&put)["etag"].as_str().unwrap().to_owned();
    assert!(
        etag.ends_with("-2\""),
        "a 2-part multipart ETag, got {etag}"
    );
    assert_eq!(
        std::fs::read(store.object_path("big one.bin")).unwrap(),
        body
    );
    let ranged = host
        .send(
            request("GET", "/objects/big%20one.bin")
                .header("range", "bytes=8388600-8388615")
                .body(vec![])
                .unwrap(),
        )
        .await;
    assert_eq!(
        (ranged.status, ranged.bytes.as_slice()),
        (206, &body[8_388_600..=8_388_615])
    );

    // Under a raised threshold, the same known-length body streams as one PUT: a plain ETag.
    let streaming = Host::builder()
        .s3_store(&store.host())
        .var("s3_multipart_threshold_mib", "16")
        .start()
        .await;
    let put = call(&streaming, "PUT", "/objects/big%20two.bin", &body).await;
    assert_eq!(put.status, 201, "{put:?}");
    let etag = json_of(&put)["etag"].as_str().unwrap().to_owned();
    assert!(!etag.contains('-'), "a single-PUT ETag, got {etag}");
    assert_eq!(
        std::fs::read(store.object_path("big two.bin")).unwrap(),
        body
    );
    let refused = Host::builder()
        .s3_store(&store.host())
        .var("s3_multipart_threshold_mib", "6000")
        .start()
        .await;
    let put = call(&refused, "PUT", "/objects/x", b"x").await;
    assert_eq!(put.status, 500, "{put:?}");
    assert!(
        put.body.contains("s3_multipart_threshold_mib"),
        "{}",
        put.body
    );
}

#[tokio::test]
async fn uploads_store_the_headers_downloads_answer() {
    // Streamed (aws-chunked, whose own Content-Encoding goes first: `aws-chunked,gzip`) and
    // in parts: the same headers stored, and answered on GET and HEAD.
    let store = S3Store::start();
    let host = host_for(&store).await;
    const STORED: [(&str, &str); 6] = [
        ("cache-control", "max-age=60"),
        ("content-disposition", "attachment; filename=\"report.csv\""),
        ("content-encoding", "gzip"),
        ("content-language", "pt"),
        ("expires", "Thu, 01 Dec 2033 16:00:00 GMT"),
        ("x-amz-meta-owner", "ana"),
    ];
    for (key, size) in [("streamed.gz", 1000), ("parts.gz", (8 << 20) + 1)] {
        let mut put = request("PUT", &format!("/objects/{key}"));
        for (name, value) in STORED {
            put = put.header(name, value);
        }
        let put = host.send(put.body(vec![1u8; size]).unwrap()).await;
        assert_eq!(put.status, 201, "{put:?}");
        for method in ["GET", "HEAD"] {
            let got = call(&host, method, &format!("/objects/{key}"), b"").await;
            assert_eq!(got.status, 200, "{got:?}");
            let expected = if method == "GET" { size } else { 0 };
            assert!(got.bytes.len() == expected && got.bytes.iter().all(|b| *b == 1));
            for (name, value) in STORED {
                assert_eq!(got.headers[name], value, "{method} {key}: {name}");
            }
        }
    }
    // A streamed upload of no encoding of its own has none: s3s-fs stores the `aws-chunked`
    // it came in, which is the upload's framing, not the object's. `identity` is no coding.
    let put = host
        .send(
            request("PUT", "/objects/plain.txt")
                .header("content-encoding", "identity")
                .body(b"plain".to_vec())
                .unwrap(),
        )
        .await;
    assert_eq!(put.status, 201, "{put:?}");
    let got = call(&host, "GET", "/objects/plain.txt", b"").await;
    assert_eq!(got.body, "plain");
    assert_eq!(got.headers.get("content-encoding"), None, "{got:?}");

    // Values S3 would not take as sent are refused before anything is stored.
    for (name, value) in [
        (
            "content-disposition",
            "attachment; filename=\"relatório.pdf\"",
        ),
        ("x-amz-meta-note", "olá"),
        ("content-encoding", "aws-chunked"),
        ("content-encoding", "gzip, aws-chunked"),
        ("expires", "tomorrow"),
    ] {
        let put = host
            .send(
                request("PUT", "/objects/refused.txt")
                    .header(
                        name,
                        http::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
                    )
                    .body(b"x".to_vec())
                    .unwrap(),
            )
            .await;
        assert_eq!(
            (put.status, error_code(&put).as_str()),
            (400, "invalid_header"),
            "{name}: {value}: {put:?}"
        );
    }
    assert!(!store.object_path("refused.txt").exists());
}

#[tokio::test]
async fn sources_over_the_copy_threshold_are_copied_in_parts_by_the_store() {
    // 12 MiB and a byte over a threshold of 5 MiB: three UploadPartCopy parts (5, 5 and
    // 2 MiB + 1), which s3s-fs copies from byte ranges of the source file.
    let store = S3Store::start();
    let host = Host::builder()
        .s3_store(&store.host())
        .var("s3_copy_threshold_mib", "5")
        .start()
        .await;
    let body: Vec<u8> = (0..(12 << 20) + 1).map(|i: u32| (i % 251) as u8).collect();
    // The source is written straight to the store, signed here, with the headers the object
    // API's PUT does not take.
    const STORED: [(&str, &str); 7] = [
        ("content-type", "application/x-test"),
        ("cache-control", "max-age=60"),
        ("content-disposition", "attachment; filename=\"src.bin\""),
        ("content-language", "pt"),
        ("content-encoding", "gzip"),
        ("expires", "Thu, 01 Dec 2033 16:00:00 GMT"),
        ("x-amz-meta-owner", "ana"),
    ];
    let bucket = Bucket::new(
        &S3Config {
            bucket: BUCKET.into(),
            scheme: Scheme::Http,
            host: store.host(),
            path_style: true,
        },
        "us-east-1",
    );
    let mut put = http::Request::put(bucket.object_uri(&ObjectKey::new("src.bin").unwrap(), &[]));
    for (name, value) in STORED {
        put = put.header(name, value);
    }
    let mut put = put.body(body.clone()).unwrap();
    let signer = Signer::new(Credentials {
        access_key_id: ACCESS_KEY.into(),
        secret_access_key: SECRET_KEY.into(),
        session_token: None,
    });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    bucket
        .sign(
            &mut put,
            Payload::Bytes(&body),
            &signer,
            SigningTime::from_unix_seconds(now),
        )
        .unwrap();
    let put = support::s3_store::send(put).await;
    assert_eq!(
        put.status(),
        200,
        "{:?}",
        String::from_utf8_lossy(put.body())
    );
    let source = call(&host, "HEAD", "/objects/src.bin", b"").await;
    for (name, value) in STORED {
        assert_eq!(source.headers[name], value, "{name} of the source");
    }

    let copied = call(
        &host,
        "POST",
        "/objects/src.bin/copy",
        br#"{"to":"dst.bin"}"#,
    )
    .await;
    assert_eq!(copied.status, 201, "{copied:?}");
    let etag = json_of(&copied)["etag"].as_str().unwrap().to_owned();
    assert!(etag.ends_with("-3\""), "a 3-part ETag, got {etag}");
    assert!(std::fs::read(store.object_path("dst.bin")).unwrap() == body);
    assert!(
        store.open_uploads().is_empty(),
        "{:?}",
        store.open_uploads()
    );
    // The source's headers and metadata, which a multipart upload does not copy by itself.
    let got = call(&host, "GET", "/objects/dst.bin", b"").await;
    assert_eq!(got.status, 200);
    for (name, value) in STORED {
        assert_eq!(got.headers[name], value, "{name} of the copy");
    }
    assert_eq!(got.headers["etag"], etag.as_str());
    // A condition on the source is judged before any upload exists: by S3 at the HEAD, and
    // by spinlift against the HEAD's ETag for a store that does not (s3s-fs judges it neither
    // there nor on the parts).
    let stale = host
        .send(
            request("POST", "/objects/src.bin/copy")
                .header("if-match", "\"0123\"")
                .body(br#"{"to":"stale.bin"}"#.to_vec())
                .unwrap(),
        )
        .await;
    assert_eq!(
        (stale.status, error_code(&stale).as_str()),
        (412, "PreconditionFailed"),
        "{stale:?}"
    );
    assert!(!store.object_path("stale.bin").exists());
    assert!(
        store.open_uploads().is_empty(),
        "{:?}",
        store.open_uploads()
    );

    // At the threshold or under it: one CopyObject, whose ETag is the source's MD5.
    let small = vec![7u8; 5 << 20];
    assert_eq!(
        call(&host, "PUT", "/objects/small.bin", &small)
            .await
            .status,
        201
    );
    let copied = call(
        &host,
        "POST",
        "/objects/small.bin/copy",
        br#"{"to":"s2.bin"}"#,
    )
    .await;
    assert_eq!(copied.status, 201, "{copied:?}");
    assert!(!json_of(&copied)["etag"].as_str().unwrap().contains('-'));
    assert!(std::fs::read(store.object_path("s2.bin")).unwrap() == small);
    // A missing source is S3's CopyObject answer, as before the HEAD.
    let missing = call(&host, "POST", "/objects/none.bin/copy", br#"{"to":"x"}"#).await;
    assert_eq!(
        (missing.status, error_code(&missing).as_str()),
        (404, "NoSuchKey"),
        "{missing:?}"
    );
}

#[tokio::test]
async fn presigned_urls_work_from_a_plain_client() {
    let store = S3Store::start();
    let host = host_for(&store).await;
    let presign = |method: &str, expires_in: i64| {
        let body = json!({"key": "shared/file 1.txt", "method": method, "expires_in": expires_in})
            .to_string();
        let request = request("POST", "/presign").body(body.into_bytes()).unwrap();
        host.send(request)
    };
    let put = presign("PUT", 300).await;
    assert_eq!(put.status, 200, "{put:?}");
    let answer = json_of(&put);
    assert_eq!(answer["method"], "PUT");
    assert!(answer["expires_at"].as_str().unwrap().ends_with('Z'));
    let url = answer["url"].as_str().unwrap().to_owned();
    let uploaded = support::s3_store::send(
        http::Request::put(&url)
            .body(b"via presigned put".to_vec())
            .unwrap(),
    )
    .await;
    assert_eq!(
        uploaded.status(),
        200,
        "{:?}",
        String::from_utf8_lossy(uploaded.body())
    );
    assert_eq!(
        std::fs::read(store.object_path("shared/file 1.txt")).unwrap(),
        b"via presigned put"
    );

    let url = json_of(&presign("GET", 60).await)["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let fetched = support::s3_store::send(http::Request::get(&url).body(vec![]).unwrap()).await;
    assert_eq!(
        (fetched.status().as_u16(), fetched.body().as_slice()),
        (200, &b"via presigned put"[..])
    );
    let tampered = url.replace("file%201.txt", "file%202.txt");
    assert_eq!(
        support::s3_store::send(http::Request::get(&tampered).body(vec![]).unwrap())
            .await
            .status(),
        403
    );

    // Expired: S3 itself refuses the URL once its time is up.
    let url = json_of(&presign("GET", 1).await)["url"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let expired = support::s3_store::send(http::Request::get(&url).body(vec![]).unwrap()).await;
    assert_eq!(expired.status(), 403);

    for (expires_in, method) in [(0, "GET"), (604_801, "GET"), (60, "POST")] {
        let refused = presign(method, expires_in).await;
        assert_eq!(refused.status, 400, "{refused:?}");
    }
}

#[tokio::test]
async fn bad_input_gets_a_4xx_json_error() {
    let store = S3Store::start();
    let host = host_for(&store).await;
    let long = format!("/objects/{}", "k".repeat(1025));
    let cases: [(&str, &str, &[u8], u16, &str); 9] = [
        ("GET", "/objects/", b"", 400, "invalid_key"),
        ("GET", "/objects/%ff%fe", b"", 400, "invalid_key"),
        ("GET", &long, b"", 400, "invalid_key"),
        ("GET", "/objects?limit=0", b"", 400, "invalid_limit"),
        ("GET", "/objects?prefix=%ff", b"", 400, "invalid_query"),
        ("POST", "/objects/a/copy", b"{not json", 400, "invalid_json"),
        ("POST", "/objects/a", b"", 405, "method_not_allowed"),
        ("POST", "/presign", br#"{"key":"a"}"#, 400, "invalid_json"),
        ("GET", "/objects/never-written", b"", 404, "NoSuchKey"),
    ];
    for (method, path, body, status, code) in cases {
        let answer = call(&host, method, path, body).await;
        assert_eq!(
            (answer.status, error_code(&answer)),
            (status, code.to_owned()),
            "{method} {path}: {answer:?}"
        );
    }
}

#[tokio::test]
async fn upstream_failures_are_502_with_the_aws_code() {
    let store = S3Store::start();
    let wrong_secret = Host::builder()
        .var("s3_host", &store.host())
        .var("aws_secret_access_key", "not-the-secret")
        .start()
        .await;
    let answer = call(&wrong_secret, "GET", "/objects/x", b"").await;
    assert_eq!(
        (answer.status, error_code(&answer)),
        (502, "SignatureDoesNotMatch".to_owned()),
        "{answer:?}"
    );
    assert!(!answer.body.contains("not-the-secret"));
    let logs = wrong_secret.logs();
    assert!(
        logs.contains("SignatureDoesNotMatch") && !logs.contains("not-the-secret"),
        "{logs}"
    );

    // S3 refuses a streamed upload before taking its body and hangs up: the client gets a 502
    // and nothing is stored. (Whether S3's code survives depends on the HTTP client: the
    // wasi-http host reports the early close as a protocol error, so it is not asserted.)
    let big = vec![7u8; 1 << 20];
    let answer = call(&wrong_secret, "PUT", "/objects/refused.bin", &big).await;
    assert_eq!(answer.status, 502, "{}", answer.body);
    assert!(!store.object_path("refused.bin").exists());

    // Nothing listens there: the store is unreachable.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_host = closed.local_addr().unwrap().to_string();
    drop(closed);
    let unreachable = Host::builder().var("s3_host", &closed_host).start().await;
    let answer = call(&unreachable, "GET", "/objects/x", b"").await;
    assert_eq!(
        (answer.status, error_code(&answer)),
        (502, "upstream_unreachable".to_owned()),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_missing_s3_variable_is_a_500_naming_it() {
    let host = Host::builder().unset("s3_bucket").start().await;
    let answer = call(&host, "GET", "/objects", b"").await;
    assert_eq!(answer.status, 500);
    assert_eq!(
        json_of(&answer),
        json!({"error": {"code": "config", "message": "variable s3_bucket is not set"}})
    );
    // The error's line on stderr, then the request's line, both naming the request's id,
    // which the answer carries.
    let logs = host.logs();
    let lines: Vec<&str> = logs.lines().collect();
    assert_eq!(lines.len(), 2, "{logs}");
    let id = answer.headers["x-request-id"].to_str().unwrap();
    assert_eq!(
        lines[0],
        format!("spinlift: config error: variable s3_bucket is not set (request {id})")
    );
    assert!(
        lines[1].contains(&format!(
            r#""request_id":"{id}","method":"GET","route":"/objects","status":500"#
        )),
        "{logs}"
    );
}

#[tokio::test]
async fn streaming_256_mib_keeps_the_component_under_64_mib() {
    const SIZE: usize = 256 << 20;
    const LIMIT: usize = 64 << 20;
    let store = S3Store::start();
    let body: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    let mib = |bytes: usize| bytes as f64 / f64::from(1 << 20);

    let uploader = host_for(&store).await;
    let put = call(&uploader, "PUT", "/objects/huge.bin", &body).await;
    assert_eq!(put.status, 201, "{}", put.body);
    assert!(
        std::fs::read(store.object_path("huge.bin")).unwrap() == body,
        "the store holds other bytes"
    );

    let downloader = host_for(&store).await;
    let got = call(&downloader, "GET", "/objects/huge.bin", b"").await;
    assert_eq!(got.status, 200);
    assert!(
        got.bytes == body,
        "GET returned other bytes ({} of {SIZE})",
        got.bytes.len()
    );

    let (put_peak, get_peak) = (uploader.peak_memory(), downloader.peak_memory());
    println!(
        "256 MiB through the component: peak linear memory {:.1} MiB for PUT, {:.1} MiB for GET (limit {:.0} MiB)",
        mib(put_peak),
        mib(get_peak),
        mib(LIMIT)
    );
    assert!(put_peak < LIMIT && get_peak < LIMIT);
}

/// Sends a PUT that announces `announced` bytes but sends only `sent`, then hangs up.
async fn broken_upload(host: &Host, path: &str, announced: usize, sent: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = put_head(host, path, announced).await;
    stream.write_all(&vec![1u8; sent]).await.unwrap();
    stream.shutdown().await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        stream.read_to_end(&mut answer),
    )
    .await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn an_upload_that_breaks_off_stores_nothing() {
    let store = S3Store::start();
    let host = host_for(&store).await;
    // Streamed straight to S3 (a known length under the part size), and multipart (larger).
    for (key, announced, sent) in [
        ("cut-small.bin", 100_000, 1_000),
        ("cut-large.bin", 20 << 20, 9 << 20),
    ] {
        let answer = broken_upload(&host, &format!("/objects/{key}"), announced, sent).await;
        assert!(
            !answer.starts_with("HTTP/1.1 201"),
            "a broken upload was acknowledged: {answer}"
        );
        assert!(
            !store.object_path(key).exists(),
            "{key} was stored from a broken upload"
        );
    }
    // The component still serves.
    let put = call(&host, "PUT", "/objects/after.bin", b"fine").await;
    assert_eq!(put.status, 201);
}
