//! Checksums through the object API, judged by s3s-fs, which computes each one itself (its own
//! CRC and SHA crates) and answers a mismatch 400 BadDigest as S3 does. Uploads carry the CRC
//! the component computes as they stream (in the signed trailer); a client's own checksum or
//! Content-MD5 goes to the store as sent; downloads are checked against the object's stored
//! checksum and break off when a byte was damaged on the way.

use crate::api::{call, error_code, request};
use crate::support;

use http::Method;
use spinlift::s3::ChecksumAlgorithm;
use support::fault_proxy::{Fault, FaultProxy};
use support::host::{Answer, Host};
use support::s3_store::S3Store;

fn header<'a>(answer: &'a Answer, name: &str) -> Option<&'a str> {
    answer.headers.get(name).map(|v| v.to_str().unwrap())
}

fn body_of(len: u32) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn uploads_carry_the_crc_the_store_verifies_and_downloads_return_it() {
    let store = S3Store::start();
    let body = body_of(300_000);
    for (algorithm, name) in [
        (ChecksumAlgorithm::Crc64Nvme, "crc64nvme"),
        (ChecksumAlgorithm::Crc32c, "crc32c"),
        (ChecksumAlgorithm::Sha256, "sha256"),
    ] {
        let host = Host::builder()
            .s3_store(&store.host())
            .var("s3_checksum_algorithm", name)
            .start()
            .await;
        let path = format!("/objects/sum/{name}.bin");
        let put = call(&host, "PUT", &path, &[], &body).await;
        assert_eq!(put.status, 201, "{name}: {put:?}");
        let stored = std::fs::read(store.object_path(&format!("sum/{name}.bin"))).unwrap();
        assert_eq!(stored, body, "{name}");
        // The store keeps the checksum it was sent and verified, and answers it on a GET that
        // asks: the component sent one, and it was the body's.
        let get = call(&host, "GET", &path, &[], b"").await;
        assert_eq!((get.status, &get.bytes), (200, &body), "{name}");
        assert_eq!(
            header(&get, algorithm.header()),
            Some(algorithm.checksum(&body).as_str()),
            "{name}: {:?}",
            get.headers
        );
    }
}

#[tokio::test]
async fn a_clients_checksum_goes_to_the_store_and_is_honoured() {
    let store = S3Store::start();
    let host = Host::builder().s3_store(&store.host()).start().await;
    let body = body_of(100_000);
    let crc32 = ChecksumAlgorithm::Crc32.checksum(&body);
    let other = ChecksumAlgorithm::Crc32.checksum(b"other bytes");

    let put = call(
        &host,
        "PUT",
        "/objects/c.bin",
        &[("x-amz-checksum-crc32", &crc32)],
        &body,
    )
    .await;
    assert_eq!(put.status, 201, "{put:?}");
    let get = call(&host, "GET", "/objects/c.bin", &[], b"").await;
    assert_eq!(header(&get, "x-amz-checksum-crc32"), Some(crc32.as_str()));
    // HEAD says what GET says.
    let head = call(&host, "HEAD", "/objects/c.bin", &[], b"").await;
    assert_eq!(header(&head, "x-amz-checksum-crc32"), Some(crc32.as_str()));

    // Refused by the store itself: a checksum or a Content-MD5 of other bytes.
    for wrong in [
        ("x-amz-checksum-crc32", other.as_str()),
        ("content-md5", "AAAAAAAAAAAAAAAAAAAAAA=="),
    ] {
        let put = call(&host, "PUT", "/objects/wrong.bin", &[wrong], &body).await;
        assert_eq!(
            (put.status, error_code(&put).as_str()),
            (400, "BadDigest"),
            "{wrong:?}: {put:?}"
        );
    }
    // Refused by the component: an algorithm S3 does not have, a value that is no CRC32, two
    // checksums, a requested algorithm that is not the one sent.
    for bad in [
        &[("x-amz-checksum-md7", "AAAA")][..],
        &[("x-amz-checksum-crc32", "!!!")],
        &[("x-amz-checksum-crc32", "AAAAAAAAAAA=")],
        &[
            ("x-amz-checksum-crc32", crc32.as_str()),
            ("x-amz-checksum-crc32c", "AAAAAA=="),
        ],
        &[
            ("x-amz-checksum-crc32", crc32.as_str()),
            ("x-amz-sdk-checksum-algorithm", "SHA256"),
        ],
    ] {
        let put = call(&host, "PUT", "/objects/bad.bin", bad, &body).await;
        assert_eq!(
            (put.status, error_code(&put).as_str()),
            (400, "invalid_checksum"),
            "{bad:?}: {put:?}"
        );
    }
    assert!(!store.object_path("bad.bin").exists());

    // Over the multipart threshold the component checks the client's checksum against the
    // bytes it sent before completing: a wrong one is 400 BadDigest, the upload aborted,
    // nothing stored.
    let big = body_of(9 << 20);
    let crc64 = ChecksumAlgorithm::Crc64Nvme.checksum(&big);
    let put = call(
        &host,
        "PUT",
        "/objects/big.bin",
        &[("x-amz-checksum-crc64nvme", &crc64)],
        &big,
    )
    .await;
    assert_eq!(put.status, 201, "{put:?}");
    assert_eq!(std::fs::read(store.object_path("big.bin")).unwrap(), big);
    let wrong = ChecksumAlgorithm::Crc64Nvme.checksum(b"other bytes");
    let put = call(
        &host,
        "PUT",
        "/objects/big-wrong.bin",
        &[("x-amz-checksum-crc64nvme", &wrong)],
        &big,
    )
    .await;
    assert_eq!(
        (put.status, error_code(&put).as_str()),
        (400, "BadDigest"),
        "{put:?}"
    );
    assert!(!store.object_path("big-wrong.bin").exists());
    assert!(
        store.open_uploads().is_empty(),
        "{:?}",
        store.open_uploads()
    );
    // A value that cannot be a CRC64NVME is refused before any byte goes up (the answer comes
    // while the client still sends, so its body may not arrive whole: the log line says it).
    let (refused, _) = host
        .send_streamed(request(
            "PUT",
            "/objects/big-malformed.bin",
            &[("x-amz-checksum-crc64nvme", "!!!")],
            &big,
        ))
        .await;
    assert_eq!(refused.status, 400);
    let logs = host.logs();
    let line = logs.lines().last().unwrap();
    assert!(line.contains(r#""status":400,"#), "{line}");
    assert!(line.contains(r#""aws_calls":0,"#), "{line}");
    assert!(!store.object_path("big-malformed.bin").exists());
}

#[tokio::test]
async fn under_off_no_checksum_goes_to_the_store() {
    let store = S3Store::start();
    let host = Host::builder()
        .s3_store(&store.host())
        .var("s3_checksums", "off")
        .start()
        .await;
    let body = body_of(100_000);
    let crc32 = ChecksumAlgorithm::Crc32.checksum(&body);
    let put = call(
        &host,
        "PUT",
        "/objects/off.bin",
        &[("x-amz-checksum-crc32", &crc32)],
        &body,
    )
    .await;
    assert_eq!(
        (put.status, error_code(&put).as_str()),
        (400, "invalid_checksum"),
        "{put:?}"
    );
    let put = call(&host, "PUT", "/objects/off.bin", &[], &body).await;
    assert_eq!(put.status, 201, "{put:?}");
    let get = call(
        &host,
        "GET",
        "/objects/off.bin",
        &[("x-amz-checksum-mode", "ENABLED")],
        b"",
    )
    .await;
    assert_eq!(get.bytes, body);
    let sums: Vec<_> = get
        .headers
        .keys()
        .filter(|n| n.as_str().starts_with("x-amz-checksum-"))
        .collect();
    assert!(sums.is_empty(), "the store holds a checksum: {sums:?}");
}

#[tokio::test]
async fn a_download_damaged_in_flight_breaks_off() {
    let store = S3Store::start();
    let proxy = FaultProxy::start(store.addr).await;
    let body = body_of(300_000);
    let checked = Host::builder().s3_store(&proxy.host()).start().await;
    let put = call(&checked, "PUT", "/objects/d.bin", &[], &body).await;
    assert_eq!(put.status, 201, "{put:?}");

    proxy.inject(Method::GET, Fault::FlipAnswerByte(200_000));
    let (head, got) = checked
        .send_streamed(request("GET", "/objects/d.bin", &[], b""))
        .await;
    assert_eq!(proxy.pending(), 0, "the fault was applied");
    // The status was on its way before the last byte; the body never completes.
    assert_eq!(head.status, 200);
    assert!(
        got.is_err(),
        "a damaged download completed: {}",
        checked.logs()
    );
    let logs = checked.logs();
    assert!(
        logs.contains("answer broken off") && logs.contains("x-amz-checksum-crc64nvme"),
        "{logs}"
    );
    // The same download undamaged completes.
    let get = call(&checked, "GET", "/objects/d.bin", &[], b"").await;
    assert_eq!(get.bytes, body);

    // The control: under when_required a client that does not ask gets the damaged bytes,
    // so it is the check that broke the body off above; one that asks is protected.
    let unchecked = Host::builder()
        .s3_store(&proxy.host())
        .var("s3_checksums", "when_required")
        .start()
        .await;
    proxy.inject(Method::GET, Fault::FlipAnswerByte(200_000));
    let (_, got) = unchecked
        .send_streamed(request("GET", "/objects/d.bin", &[], b""))
        .await;
    let got = got.expect("unchecked: the body completes");
    assert_eq!(got.len(), body.len());
    assert_ne!(got, body, "the fault did not damage the download");
    proxy.inject(Method::GET, Fault::FlipAnswerByte(200_000));
    let asking = [("x-amz-checksum-mode", "ENABLED")];
    let (_, got) = unchecked
        .send_streamed(request("GET", "/objects/d.bin", &asking, b""))
        .await;
    assert!(
        got.is_err(),
        "a damaged download completed for a client that asked"
    );
}

#[tokio::test]
async fn unsigned_chunks_are_guarded_by_their_checksum() {
    // `s3_chunk_signing = unsigned` (what `auto` does over https) on the plain-http store:
    // the chunks carry no signature, so only the trailer's CRC, which the store recomputes,
    // can catch a byte flipped on the way. The store refuses it 400 BadDigest and stores
    // nothing; the checksum was the component's own, so the damage is upstream: 502 with
    // S3's code (a client's own wrong checksum is its 400, above).
    let store = S3Store::start();
    let proxy = FaultProxy::start(store.addr).await;
    let host = Host::builder()
        .s3_store(&proxy.host())
        .var("s3_chunk_signing", "unsigned")
        .start()
        .await;
    let body = body_of(300_000);
    let put = call(&host, "PUT", "/objects/plain.bin", &[], &body).await;
    assert_eq!(put.status, 201, "{put:?}");
    assert_eq!(std::fs::read(store.object_path("plain.bin")).unwrap(), body);
    let get = call(&host, "GET", "/objects/plain.bin", &[], b"").await;
    let crc = ChecksumAlgorithm::Crc64Nvme;
    assert_eq!(
        header(&get, crc.header()),
        Some(crc.checksum(&body).as_str())
    );

    proxy.inject(Method::PUT, Fault::FlipRequestByte(100_000));
    let put = call(&host, "PUT", "/objects/flipped.bin", &[], &body).await;
    assert_eq!(proxy.pending(), 0, "the fault was applied");
    assert_eq!(
        (put.status, error_code(&put).as_str()),
        (502, "BadDigest"),
        "{put:?}"
    );
    assert!(!store.object_path("flipped.bin").exists());
}
