//! Presigned uploads with checksums (`checksum_algorithm`): each part's URL (or a single
//! PUT's) is signed with the checksum its client computed, so s3s-fs (which verifies
//! presigned signatures and computes every checksum itself) refuses bytes that do not have
//! it, a PUT that leaves the header out or changes it, and a completion whose whole-object
//! value is not the joined parts'.

use crate::api::{self, error_code, json_of};
use crate::support;
use crate::uploads::{call, put_part_with};

use serde_json::{json, Value};
use spinlift::s3::ChecksumAlgorithm;
use support::host::Host;
use support::s3_store::S3Store;

const MIB: usize = 1 << 20;

/// The headers a part's answer says its PUT must send.
fn signed_headers(part: &Value) -> Vec<(&str, &str)> {
    part["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str().unwrap()))
        .collect()
}

#[tokio::test]
async fn part_urls_are_signed_with_checksums_the_store_checks() {
    let store = S3Store::start();
    let host = Host::builder().s3_store(&store.host()).start().await;
    let crc = ChecksumAlgorithm::Crc64Nvme;
    let body: Vec<u8> = (0..12 * MIB).map(|i| (i % 241) as u8).collect();
    let chunks: Vec<&[u8]> = body.chunks(5 * MIB).collect();

    let created = call(
        &host,
        "POST",
        "/uploads",
        &json!({"key": "sums/big.bin", "size": body.len(), "part_size": 5 * MIB, "checksum_algorithm": "crc64nvme"}),
    )
    .await;
    assert_eq!(created.status, 201, "{created:?}");
    let created = json_of(&created);
    assert_eq!(created["checksum_algorithm"], "CRC64NVME");
    // No URL yet: each waits for its part's checksum.
    let parts = created["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 3);
    assert!(
        parts.iter().all(|part| part.get("url").is_none()),
        "{parts:?}"
    );
    let id = created["upload_id"].as_str().unwrap().to_owned();

    let checksums: Vec<String> = chunks.iter().map(|chunk| crc.checksum(chunk)).collect();
    let asked: Vec<Value> = checksums
        .iter()
        .zip(1..)
        .map(|(checksum, number)| json!({"number": number, "checksum": checksum}))
        .collect();
    let signed = call(
        &host,
        "POST",
        &format!("/uploads/{id}/parts"),
        &json!({ "parts": asked }),
    )
    .await;
    assert_eq!(signed.status, 200, "{signed:?}");
    let signed = json_of(&signed)["parts"].as_array().unwrap().clone();
    assert_eq!(
        signed_headers(&signed[0]),
        [("x-amz-checksum-crc64nvme", checksums[0].as_str())]
    );
    let url = |i: usize| signed[i]["url"].as_str().unwrap();

    // The store computes the part's checksum: a damaged part is refused although its
    // header is the one signed.
    let mut damaged = chunks[1].to_vec();
    damaged[77] ^= 1;
    let refused = put_part_with(url(1), &signed_headers(&signed[1]), &damaged).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|(status, body)| *status == 400 && body.contains("BadDigest")),
        "{refused:?}"
    );
    // The header is part of the signature: leaving it out, or sending another value (here
    // the right one for the bytes sent), is refused before the body counts. (Refused
    // attempts send a few bytes: the store answers before reading a body.)
    let few = b"few bytes";
    let without = put_part_with(url(1), &[], few).await;
    assert!(
        without.as_ref().is_err_and(|(status, _)| *status == 403),
        "{without:?}"
    );
    let other = crc.checksum(few);
    let swapped = put_part_with(url(1), &[("x-amz-checksum-crc64nvme", &other)], few).await;
    assert!(
        swapped.as_ref().is_err_and(|(status, _)| *status == 403),
        "{swapped:?}"
    );

    let mut etags = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        etags.push(
            put_part_with(url(i), &signed_headers(&signed[i]), chunk)
                .await
                .unwrap(),
        );
    }
    let status = call(&host, "GET", &format!("/uploads/{id}"), &Value::Null).await;
    let status = json_of(&status);
    assert_eq!(status["parts"].as_array().unwrap().len(), 3, "{status}");
    assert_eq!(status["missing"], json!([]), "{status}");

    let listed: Vec<Value> = (0..3)
        .map(|i| json!({"number": i + 1, "etag": etags[i], "checksum": checksums[i]}))
        .collect();
    // A whole-object value that is not the joined parts' is refused by the store, and the
    // upload stays open to complete.
    let wrong = crc.checksum(b"other bytes");
    let path = format!("/uploads/{id}/complete");
    let refused = call(
        &host,
        "POST",
        &path,
        &json!({"parts": listed, "checksum": wrong}),
    )
    .await;
    assert_eq!(
        (refused.status, error_code(&refused).as_str()),
        (400, "BadDigest"),
        "{refused:?}"
    );
    assert!(!store.object_path("sums/big.bin").exists());

    let whole = crc.checksum(&body);
    let done = call(
        &host,
        "POST",
        &path,
        &json!({"parts": listed, "checksum": whole}),
    )
    .await;
    assert_eq!(done.status, 201, "{done:?}");
    assert!(std::fs::read(store.object_path("sums/big.bin")).unwrap() == body);
    let got = api::call(&host, "GET", "/objects/sums/big.bin", &[], b"").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.headers[crc.header()].to_str().unwrap(), whole);
}

#[tokio::test]
async fn checksums_that_cannot_be_right_are_4xx_before_any_part_is_sent() {
    let store = S3Store::start();
    let host = Host::builder().s3_store(&store.host()).start().await;
    let create =
        |algorithm: &str| json!({"key": "k", "size": 12 * MIB, "checksum_algorithm": algorithm});
    let md5 = call(&host, "POST", "/uploads", &create("MD5")).await;
    assert_eq!(
        (md5.status, error_code(&md5).as_str()),
        (400, "invalid_checksum")
    );

    let created = json_of(&call(&host, "POST", "/uploads", &create("CRC32")).await);
    let id = created["upload_id"].as_str().unwrap().to_owned();
    let parts_path = format!("/uploads/{id}/parts");
    for (parts, code) in [
        (json!([{"number": 1}]), "invalid_checksum"),
        (
            json!([{"number": 1, "checksum": "AAAAAAAAAAA="}]),
            "invalid_checksum",
        ),
        (
            json!([{"number": 1, "checksum": "AAAA*A=="}]),
            "invalid_checksum",
        ),
        (
            json!([{"number": 1, "checksum": "AAAAAAA="}]),
            "invalid_checksum",
        ),
        (
            json!([{"number": 3, "checksum": "AAAAAA=="}]),
            "invalid_parts",
        ),
        (json!([]), "invalid_parts"),
    ] {
        let answer = call(&host, "POST", &parts_path, &json!({ "parts": parts })).await;
        assert_eq!(
            (answer.status, error_code(&answer)),
            (400, code.to_owned()),
            "{parts}"
        );
    }
    // A completion without the parts' checksums cannot be checked: refused here.
    let complete = format!("/uploads/{id}/complete");
    let unchecked =
        json!({"parts": [{"number": 1, "etag": "\"a\""}, {"number": 2, "etag": "\"b\""}]});
    let answer = call(&host, "POST", &complete, &unchecked).await;
    assert_eq!(
        (answer.status, error_code(&answer).as_str()),
        (400, "invalid_checksum")
    );

    // An upload without an algorithm takes no checksums, and gets plain fresh URLs.
    let plain = json_of(
        &call(
            &host,
            "POST",
            "/uploads",
            &json!({"key": "p", "size": 12 * MIB}),
        )
        .await,
    );
    let plain_id = plain["upload_id"].as_str().unwrap();
    let path = format!("/uploads/{plain_id}/parts");
    let answer = call(
        &host,
        "POST",
        &path,
        &json!({"parts": [{"number": 1, "checksum": "AAAAAA=="}]}),
    )
    .await;
    assert_eq!(
        (answer.status, error_code(&answer).as_str()),
        (400, "invalid_checksum")
    );
    let fresh = call(&host, "POST", &path, &json!({"parts": [{"number": 2}]})).await;
    assert_eq!(fresh.status, 200, "{fresh:?}");
    let fresh = json_of(&fresh);
    assert!(fresh["parts"][0]["url"]
        .as_str()
        .unwrap()
        .contains("partNumber=2&"));
    assert!(fresh["parts"][0].get("headers").is_none());

    // Under s3_checksums = off the store takes none: refused, not dropped.
    let off = Host::builder()
        .s3_store(&store.host())
        .var("s3_checksums", "off")
        .start()
        .await;
    let answer = call(&off, "POST", "/uploads", &create("CRC32")).await;
    assert_eq!(
        (answer.status, error_code(&answer).as_str()),
        (400, "invalid_checksum")
    );
}

#[tokio::test]
async fn a_presigned_put_is_signed_with_its_bodys_checksum() {
    let store = S3Store::start();
    let host = Host::builder().s3_store(&store.host()).start().await;
    let crc = ChecksumAlgorithm::Crc32c;
    let body = b"a presigned upload the store checks".to_vec();
    let value = crc.checksum(&body);
    let presign = |method: &str, algorithm: Option<&str>, checksum: Option<&str>| {
        json!({"key": "sums/one.txt", "method": method, "expires_in": 600,
               "checksum_algorithm": algorithm, "checksum": checksum})
    };
    let answer = call(
        &host,
        "POST",
        "/presign",
        &presign("PUT", Some("crc32c"), Some(&value)),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let answer = json_of(&answer);
    assert_eq!(
        signed_headers(&answer),
        [("x-amz-checksum-crc32c", value.as_str())]
    );
    let url = answer["url"].as_str().unwrap();

    let mut damaged = body.clone();
    damaged[3] ^= 1;
    let refused = put_part_with(url, &signed_headers(&answer), &damaged).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|(status, body)| *status == 400 && body.contains("BadDigest")),
        "{refused:?}"
    );
    let without = put_part_with(url, &[], &body).await;
    assert!(
        without.as_ref().is_err_and(|(status, _)| *status == 403),
        "{without:?}"
    );
    assert!(!store.object_path("sums/one.txt").exists());
    put_part_with(url, &signed_headers(&answer), &body)
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(store.object_path("sums/one.txt")).unwrap(),
        body
    );

    for (asked, what) in [
        (presign("GET", Some("CRC32C"), Some(&value)), "a GET"),
        (presign("PUT", Some("CRC32C"), None), "no value"),
        (presign("PUT", None, Some(&value)), "no algorithm"),
        (
            presign("PUT", Some("CRC32"), Some("AAAAAAA=")),
            "five bytes",
        ),
        (presign("PUT", Some("MD5"), Some(&value)), "not S3's"),
    ] {
        let answer = call(&host, "POST", "/presign", &asked).await;
        assert_eq!(
            (answer.status, error_code(&answer).as_str()),
            (400, "invalid_checksum"),
            "{what}: {answer:?}"
        );
    }
}
