//! Upstream faults, injected by a proxy in front of the real store: retries, timeouts,
//! broken connections, a host clock that is off. Each test asserts the final answer and
//! what the store holds: a success after retries, or a clean 502/504 and nothing partial.

use crate::api::{error_code, put_head};
use crate::support;

use http::Method;
use serde_json::Value;
use std::time::Duration;
use support::fault_proxy::{Fault, FaultProxy};
use support::host::{Answer, Host, HostBuilder};
use support::s3_store::S3Store;

const TOKEN: &str = "dev-api-token";
const INTERNAL: &str = "<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>";
const SLOW_DOWN: &str =
    "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
/// What S3 answers an upload whose body stopped arriving (about 20 s idle).
const REQUEST_TIMEOUT: &str = "<Error><Code>RequestTimeout</Code><Message>Your socket connection to the server was not read from or written to within the timeout period.</Message></Error>";

/// A host whose S3 calls go through `proxy` to the store, with fast retries.
fn host_via(proxy: &FaultProxy) -> HostBuilder {
    Host::builder()
        .s3_store(&proxy.host())
        .var("aws_retry_base_ms", "10")
}

async fn call(host: &Host, method: &str, path: &str, body: Vec<u8>) -> Answer {
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(body)
        .unwrap();
    host.send(request).await
}

/// The request log lines the component printed, in order.
fn log_lines(host: &Host) -> Vec<Value> {
    host.logs()
        .lines()
        .filter(|line| line.starts_with("{\"time\""))
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test]
async fn reads_are_retried_through_server_errors_and_throttling() {
    let store = S3Store::start();
    let proxy = FaultProxy::start(store.addr).await;
    let host = host_via(&proxy).start().await;
    assert_eq!(
        call(&host, "PUT", "/objects/a.txt", b"abc".to_vec())
            .await
            .status,
        201
    );

    proxy.inject(Method::GET, Fault::Answer(500, INTERNAL));
    proxy.inject(Method::GET, Fault::Answer(503, SLOW_DOWN));
    let got = call(&host, "GET", "/objects/a.txt", Vec::new()).await;
    assert_eq!(
        (got.status, got.bytes.as_slice()),
        (200, &b"abc"[..]),
        "{got:?}"
    );
    assert_eq!(proxy.count("GET /"), 3);
    let line = log_lines(&host).pop().unwrap();
    assert_eq!(
        (
            &line["route"],
            &line["status"],
            &line["aws_calls"],
            &line["retries"]
        ),
        (
            &Value::from("/objects/{key}"),
            &Value::from(200),
            &Value::from(3),
            &Value::from(2)
        ),
        "{line}"
    );
    assert!(line["aws_request_id"].is_string(), "{line}");

    // Throttled on every attempt (3 by default): a 502 with S3's code.
    for _ in 0..3 {
        proxy.inject(Method::GET, Fault::Answer(503, SLOW_DOWN));
    }
    let refused = call(&host, "GET", "/objects/a.txt", Vec::new()).await;
    assert_eq!(
        (refused.status, error_code(&refused).as_str()),
        (502, "SlowDown"),
        "{refused:?}"
    );
    assert_eq!((proxy.count("GET /"), proxy.pending()), (6, 0));
}

#[tokio::test]
async fn a_streamed_upload_is_never_resent_and_leaves_nothing() {
    let store = S3Store::start();
    let proxy = FaultProxy::start(store.addr).await;
    let host = host_via(&proxy).start().await;

    // A PUT with a length streams the client's body to S3: it cannot be sent twice.
    proxy.inject(Method::PUT, Fault::Answer(500, INTERNAL));
    let put = call(&host, "PUT", "/objects/once.bin", vec![7; 4096]).await;
    assert_eq!(
        (put.status, error_code(&put).as_str()),
        (502, "InternalError"),
        "{put:?}"
    );
    assert_eq!(proxy.count("PUT /"), 1);
    assert!(!store.object_path("once.bin").exists());

    // The connection breaks while the body is on its way to S3: 502, and S3 stored nothing.
    proxy.inject(Method::PUT, Fault::CutRequest(100_000));
    let put = call(&host, "PUT", "/objects/cut.bin", vec![9; 1 << 20]).await;
    assert_eq!(put.status, 502, "{put:?}");
    assert!(!store.object_path("cut.bin").exists());
    assert_eq!(
        call(&host, "GET", "/objects/cut.bin", Vec::new())
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn a_byte_flipped_on_its_way_to_the_store_is_refused_there() {
    let store = S3Store::start();
    let proxy = FaultProxy::start(store.addr).await;
    let host = host_via(&proxy).start().await;
    // A streamed PUT (under the multipart threshold) goes signed chunk by chunk: the byte
    // at 100,000 is in the second 64 KiB chunk's data, which no longer matches its signature.
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 239) as u8).collect();
    proxy.inject(Method::PUT, Fault::FlipRequestByte(100_000));
    let put = call(&host, "PUT", "/objects/flipped.bin", body.clone()).await;
    assert_eq!(put.status, 502, "{put:?}");
    // The store answers a chunk that fails its signature 403 SignatureDoesNotMatch, as AWS
    // does; the code is passed on.
    assert_eq!(error_code(&put), "SignatureDoesNotMatch", "{put:?}");
    assert_eq!(proxy.pending(), 0, "the fault was applied");
    assert!(
        !store.object_path("flipped.bin").exists(),
        "a damaged body was stored"
    );
    // The same body, undamaged, is stored byte for byte.
    let put = call(&host, "PUT", "/objects/flipped.bin", body.clone()).await;
    assert_eq!(put.status, 201, "{put:?}");
    assert_eq!(
        std::fs::read(store.object_path("flipped.bin")).unwrap(),
        body
    );
}

#[tokio::test]
async fn multipart_parts_are_retried_alone_and_a_failed_upload_is_aborted() {
    let store = S3Store::start();
    let proxy = FaultProxy::start(store.addr).await;
    let host = host_via(&proxy).start().await;
    // Over 8 MiB: two parts, each buffered, so each may be sent again.
    let body: Vec<u8> = (0..(9u32 << 20)).map(|i| (i % 251) as u8).collect();

    proxy.inject(Method::PUT, Fault::Answer(500, INTERNAL));
    proxy.inject(Method::PUT, Fault::CutRequest(1 << 20));
    let put = call(&host, "PUT", "/objects/big.bin", body.clone()).await;
    assert_eq!(put.status, 201, "{put:?}");
    let parts: Vec<String> = proxy
        .seen()
        .into_iter()
        .filter(|r| r.starts_with("PUT /") && r.contains("partNumber="))
        .collect();
    assert_eq!(parts.len(), 4, "part 1 three times, part 2 once: {parts:?}");
    assert_eq!(std::fs::read(store.object_path("big.bin")).unwrap(), body);
    assert!(
        store.open_uploads().is_empty(),
        "{:?}",
        store.open_uploads()
    );

    // Part 1 fails on every attempt: the upload is aborted, no parts stay behind.
    for _ in 0..3 {
        proxy.inject(Method::PUT, Fault::Answer(503, SLOW_DOWN));
    }
    let put = call(&host, "PUT", "/objects/failed.bin", body).await;
    assert_eq!(
        (put.status, error_code(&put).as_str()),
        (502, "SlowDown"),
        "{put:?}"
    );
    assert_eq!(proxy.count("DELETE /"), 1, "{:?}", proxy.seen());
    assert!(
        store.open_uploads().is_empty(),
        "{:?}",
        store.open_uploads()
    );
    assert!(!store.object_path("failed.bin").exists());
}

#[tokio::test]
async fn an_error_the_store_sends_in_a_200_is_retried_like_a_500() {
    // S3 may answer CopyObject and CompleteMultipartUpload 200 and then fail in the body:
    // the copy did not happen, so a transient error there is sent again.
    let store = S3Store::start();
    let proxy = FaultProxy::start(store.addr).await;
    let host = host_via(&proxy).start().await;
    let put = call(&host, "PUT", "/objects/source.txt", b"copied".to_vec()).await;
    assert_eq!(put.status, 201, "{put:?}");

    proxy.inject(Method::PUT, Fault::Answer(200, INTERNAL));
    let copy = call(
        &host,
        "POST",
        "/objects/source.txt/copy",
        br#"{"to": "copy.txt"}"#.to_vec(),
    )
    .await;
    assert_eq!(copy.status, 201, "{copy:?}");
    assert_eq!(
        std::fs::read(store.object_path("copy.txt")).unwrap(),
        b"copied"
    );
    let copies = proxy
        .seen()
        .into_iter()
        .filter(|r| r.starts_with("PUT /") && r.contains("copy.txt"))
        .count();
    assert_eq!(copies, 2, "{:?}", proxy.seen());
}

#[tokio::test]
async fn a_copy_in_parts_retries_a_part_and_is_aborted_when_one_is_refused() {
    // S3 answers 412 to a part copied from a source replaced since the HEAD (every part names
    // the version the HEAD saw). Neither s3s-fs nor moto judges `x-amz-copy-source-if-match`
    // on UploadPartCopy, so the proxy answers as S3 would; the header itself is checked in
    // spinlift-core's unit test of UploadPartCopy.
    const CHANGED: &str = "<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>";
    let store = S3Store::start();
    let proxy = FaultProxy::start(store.addr).await;
    let host = host_via(&proxy)
        .var("s3_copy_threshold_mib", "5")
        .start()
        .await;
    let body: Vec<u8> = (0..(11 << 20)).map(|i: u32| (i % 249) as u8).collect();
    let put = call(&host, "PUT", "/objects/src.bin", body.clone()).await;
    assert_eq!(put.status, 201, "{put:?}");
    let part_copies = |proxy: &FaultProxy| {
        proxy
            .seen()
            .into_iter()
            .filter(|r| r.starts_with("PUT /") && r.contains("partNumber="))
            .count()
    };
    let before = part_copies(&proxy);

    // An error in a 200, as S3 may send for UploadPartCopy: that part is copied again.
    proxy.inject(Method::PUT, Fault::Answer(200, INTERNAL));
    let copy = call(
        &host,
        "POST",
        "/objects/src.bin/copy",
        br#"{"to": "dst.bin"}"#.to_vec(),
    )
    .await;
    assert_eq!(copy.status, 201, "{copy:?}");
    assert!(std::fs::read(store.object_path("dst.bin")).unwrap() == body);
    assert_eq!(part_copies(&proxy) - before, 4, "3 parts, one twice");

    proxy.inject(Method::PUT, Fault::Answer(412, CHANGED));
    let copy = call(
        &host,
        "POST",
        "/objects/src.bin/copy",
        br#"{"to": "other.bin"}"#.to_vec(),
    )
    .await;
    assert_eq!(
        (copy.status, error_code(&copy).as_str()),
        (412, "PreconditionFailed"),
        "{copy:?}"
    );
    assert!(!store.object_path("other.bin").exists());
    assert!(
        store.open_uploads().is_empty(),
        "the upload is aborted: {:?}",
        store.open_uploads()
    );
}

#[tokio::test]
async fn the_store_refusing_parts_spinlift_cut_is_not_the_clients_fault() {
    // Over 8 MiB: spinlift cuts the parts, computes their checksums and lists them in the
    // completion. When the store calls any of that bad input (400), the client sent nothing
    // wrong: 502 with the store's code, and the upload is aborted.
    const BAD_DIGEST: &str = "<Error><Code>BadDigest</Code><Message>The CRC64NVME you specified did not match the calculated checksum.</Message></Error>";
    const INVALID_PART: &str = "<Error><Code>InvalidPart</Code><Message>One or more of the specified parts could not be found.</Message></Error>";
    let store = S3Store::start();
    let proxy = FaultProxy::start(store.addr).await;
    let host = host_via(&proxy).start().await;
    let body: Vec<u8> = (0..(9u32 << 20)).map(|i| (i % 251) as u8).collect();

    proxy.inject(Method::PUT, Fault::Answer(400, BAD_DIGEST));
    let put = call(&host, "PUT", "/objects/part.bin", body.clone()).await;
    assert_eq!(
        (put.status, error_code(&put).as_str()),
        (502, "BadDigest"),
        "{put:?}"
    );
    // A part the component holds, timed out by the store on every attempt: the store's
    // failure (a client's streamed body stopping is the client's 400, below).
    for _ in 0..3 {
        proxy.inject(Method::PUT, Fault::Answer(400, REQUEST_TIMEOUT));
    }
    let put = call(&host, "PUT", "/objects/slow-part.bin", body.clone()).await;
    assert_eq!(
        (put.status, error_code(&put).as_str()),
        (502, "RequestTimeout"),
        "{put:?}"
    );
    // The create passes; the completion is refused.
    proxy.inject(Method::POST, Fault::Stall(Duration::ZERO));
    proxy.inject(Method::POST, Fault::Answer(400, INVALID_PART));
    let put = call(&host, "PUT", "/objects/complete.bin", body).await;
    assert_eq!(
        (put.status, error_code(&put).as_str()),
        (502, "InvalidPart"),
        "{put:?}"
    );
    assert_eq!(proxy.pending(), 0, "every fault was applied");
    assert_eq!(proxy.count("DELETE /"), 3, "{:?}", proxy.seen());
    assert!(
        store.open_uploads().is_empty(),
        "{:?}",
        store.open_uploads()
    );
    assert!(!store.object_path("part.bin").exists());
    assert!(!store.object_path("complete.bin").exists());
}

#[tokio::test]
async fn a_stalled_answer_times_out_and_is_retried_then_answered_504() {
    let store = S3Store::start();
    let proxy = FaultProxy::start(store.addr).await;
    let host = host_via(&proxy)
        .var("aws_first_byte_timeout_ms", "300")
        .start()
        .await;
    assert_eq!(
        call(&host, "PUT", "/objects/s.txt", b"slow".to_vec())
            .await
            .status,
        201
    );

    proxy.inject(Method::GET, Fault::Stall(Duration::from_secs(2)));
    let got = call(&host, "GET", "/objects/s.txt", Vec::new()).await;
    assert_eq!((got.status, got.body.as_str()), (200, "slow"), "{got:?}");

    for _ in 0..3 {
        proxy.inject(Method::GET, Fault::Stall(Duration::from_secs(2)));
    }
    let started = std::time::Instant::now();
    let timed_out = call(&host, "GET", "/objects/s.txt", Vec::new()).await;
    assert_eq!(
        (timed_out.status, error_code(&timed_out).as_str()),
        (504, "upstream_timeout"),
        "{timed_out:?}"
    );
    // Three attempts of 300 ms, not three stalls of 2 s.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

/// Sends a PUT of `body` in `pieces`, waiting `pause` before each, as a slow client does,
/// until the component answers; returns the answer's status line.
async fn trickled_upload(
    host: &Host,
    path: &str,
    body: &[u8],
    pieces: usize,
    pause: Duration,
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = put_head(host, path, body.len()).await;
    for piece in body.chunks(body.len().div_ceil(pieces)) {
        tokio::time::sleep(pause).await;
        if stream.write_all(piece).await.is_err() {
            break; // it answered (and closed) before the body was all sent
        }
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    answer.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_slow_clients_upload_is_not_timed_as_the_stores_answer() {
    // The first-byte timeout is the store's time to answer; a streamed PUT's body arrives at
    // the client's pace, which is not the store's. Here the client takes over 1 s to send what
    // the component streams on, under a 300 ms first-byte timeout: stored, byte for byte.
    let store = S3Store::start();
    let proxy = FaultProxy::start(store.addr).await;
    let host = host_via(&proxy)
        .var("aws_first_byte_timeout_ms", "300")
        .start()
        .await;
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 241) as u8).collect();
    let status = trickled_upload(
        &host,
        "/objects/slow.bin",
        &body,
        5,
        Duration::from_millis(250),
    )
    .await;
    assert_eq!(status, "HTTP/1.1 201 Created");
    assert_eq!(std::fs::read(store.object_path("slow.bin")).unwrap(), body);

    // A client that stops sending is ended by S3 (as here, answered for it): the client's
    // 400, not a failure of the store's.
    proxy.inject(Method::PUT, Fault::Answer(400, REQUEST_TIMEOUT));
    let put = call(&host, "PUT", "/objects/idle.bin", body.clone()).await;
    assert_eq!(
        (put.status, error_code(&put).as_str()),
        (400, "RequestTimeout"),
        "{put:?}"
    );

    // Once the body is all sent, the store has the first-byte timeout to answer: a stalled
    // store is 504 (a streamed body cannot be sent again, so there is one attempt).
    proxy.inject(Method::PUT, Fault::Stall(Duration::from_secs(3)));
    let started = std::time::Instant::now();
    let put = call(&host, "PUT", "/objects/stalled.bin", body).await;
    assert_eq!(
        (put.status, error_code(&put).as_str()),
        (504, "upstream_timeout"),
        "{put:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

/// A PUT of `path` announcing `length` bytes that sends `sent` of them and then nothing, its
/// connection open, to a component that waits 1 s at most for a client's next chunk (long
/// enough that a busy machine never pauses the bytes that are sent): the answer (read within
/// 10 s, or the test fails), and the store and proxy behind it.
async fn stopped_upload(path: &str, length: usize, sent: usize) -> (String, S3Store, FaultProxy) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let store = S3Store::start();
    let proxy = FaultProxy::start(store.addr).await;
    let host = host_via(&proxy)
        .var("aws_between_bytes_timeout_ms", "1000")
        .start()
        .await;
    let mut stream = put_head(&host, path, length).await;
    stream.write_all(&vec![7u8; sent]).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("answered, not held until the host gives up")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]).into_owned();
    (answer, store, proxy)
}

#[tokio::test]
async fn a_client_that_stops_sending_is_answered_not_waited_for() {
    // The store (s3s-fs) never times out an idle upload, and the first-byte timeout no longer
    // runs while a client sends: the pause limit between chunks ends it, and nothing is stored.
    let (answer, store, _) = stopped_upload("/objects/stopped.bin", 200_000, 1000).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("incomplete_body"), "{answer}");
    assert!(!store.object_path("stopped.bin").exists());
}

#[tokio::test]
async fn a_client_that_stops_between_parts_is_answered_and_its_upload_aborted() {
    // Over the multipart threshold the body is read part by part, and no outbound request is
    // streaming it while the next part is read: the limit is on the client's body itself.
    // The first part whole and the start of the second are sent.
    let (answer, store, proxy) =
        stopped_upload("/objects/stopped-parts.bin", 20 << 20, (8 << 20) + 1000).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("incomplete_body"), "{answer}");
    // A multipart upload was begun, then aborted: nothing is left behind.
    let seen = proxy.seen();
    assert!(
        seen.iter()
            .any(|r| r.starts_with("POST /") && r.contains("uploads")),
        "{seen:?}"
    );
    assert_eq!(proxy.count("DELETE /"), 1, "{seen:?}");
    assert!(
        store.open_uploads().is_empty(),
        "{:?}",
        store.open_uploads()
    );
    assert!(!store.object_path("stopped-parts.bin").exists());
}

#[tokio::test]
async fn an_answer_cut_mid_body_is_a_clean_502() {
    let store = S3Store::start();
    let proxy = FaultProxy::start(store.addr).await;
    let host = host_via(&proxy).start().await;
    for i in 0..40 {
        let put = call(
            &host,
            "PUT",
            &format!("/objects/list/key-{i:03}"),
            b"x".to_vec(),
        )
        .await;
        assert_eq!(put.status, 201);
    }
    proxy.inject(Method::GET, Fault::CutAnswer(200));
    let listed = call(&host, "GET", "/objects?prefix=list/", Vec::new()).await;
    assert_eq!(
        (listed.status, error_code(&listed).as_str()),
        (502, "IncompleteResponse"),
        "{listed:?}"
    );
    let listed = call(&host, "GET", "/objects?prefix=list/", Vec::new()).await;
    assert_eq!(listed.status, 200, "{listed:?}");
}

#[tokio::test]
async fn a_host_clock_an_hour_off_is_corrected_from_the_stores_date() {
    let store = S3Store::start();
    let proxy = FaultProxy::start(store.addr).await;
    // The store refuses signatures more than 15 minutes from its own time.
    let host = host_via(&proxy).clock_offset(-3600).start().await;

    // A read is refused once, then signed again with the store's time.
    let missing = call(&host, "GET", "/objects/clock.txt", Vec::new()).await;
    assert_eq!(missing.status, 404, "{missing:?}");
    assert_eq!(proxy.count("GET /"), 2, "{:?}", proxy.seen());
    // Dates have whole seconds: the offset learned is an hour, give or take one.
    let logs = host.logs();
    assert!(
        ["3599", "3600", "3601"]
            .iter()
            .any(|s| logs.contains(&format!("the host clock is {s} s off"))),
        "{logs}"
    );
    // The offset is kept: the next request is signed right the first time, a streamed
    // upload included.
    let put = call(&host, "PUT", "/objects/clock.txt", b"on time".to_vec()).await;
    assert_eq!(put.status, 201, "{put:?}");
    assert_eq!(proxy.count("PUT /"), 1);

    // A HEAD's refusal has no body; the store's Date, an hour away, says why.
    let behind = host_via(&proxy).clock_offset(-3600).start().await;
    let head = call(&behind, "HEAD", "/objects/clock.txt", Vec::new()).await;
    assert_eq!(head.status, 200, "{head:?}");

    // A streamed upload cannot be sent twice: the first one fails, but teaches the offset.
    let ahead = host_via(&proxy).clock_offset(3600).start().await;
    let put = call(&ahead, "PUT", "/objects/ahead.txt", b"later".to_vec()).await;
    assert_eq!(error_code(&put), "RequestTimeTooSkewed", "{put:?}");
    let put = call(&ahead, "PUT", "/objects/ahead.txt", b"later".to_vec()).await;
    assert_eq!(put.status, 201, "{put:?}");
    assert_eq!(
        std::fs::read(store.object_path("ahead.txt")).unwrap(),
        b"later"
    );
}
