//! Our S3 actions and signer against a real store that verifies every signature (s3s-fs).
//!
//! First the store proves it judges: the same request signed with a wrong secret, a tampered
//! or expired presigned URL get 403. Then every action round-trips with assertions on the
//! stored bytes. A signer bug fails here because a real server said 403.

// Shared with the end-to-end suites, which use more of it.
#[allow(dead_code)]
#[path = "../support/s3_store.rs"]
mod s3_store;
// Signed streams (aws-chunked), trailers and checksums.
mod streaming;

use base64ct::Encoding;
use http::{HeaderValue, StatusCode};
use s3_store::{send, S3Store, ACCESS_KEY, BUCKET, SECRET_KEY};
use spinlift::aws::AwsError;
use spinlift::config::{S3Config, Scheme};
use spinlift::s3::*;
use spinlift::sigv4::{Credentials, Payload, Signer, SigningTime};
use std::time::{SystemTime, UNIX_EPOCH};

fn now() -> SigningTime {
    SigningTime::from_unix_seconds(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
}

fn signer(secret: &str) -> Signer {
    Signer::new(Credentials {
        access_key_id: ACCESS_KEY.into(),
        secret_access_key: secret.into(),
        session_token: None,
    })
}

fn bucket(store: &S3Store) -> Bucket {
    Bucket::new(
        &S3Config {
            bucket: BUCKET.into(),
            scheme: Scheme::Http,
            host: store.host(),
            path_style: true,
        },
        "us-east-1",
    )
}

/// Signs and sends `request` with `body`, hashing the body into the signature.
async fn call(
    bucket: &Bucket,
    signer: &Signer,
    request: http::Request<()>,
    body: &[u8],
) -> http::Response<Vec<u8>> {
    let mut request = request.map(|()| body.to_vec());
    let payload = request.body().clone();
    bucket
        .sign(&mut request, Payload::Bytes(&payload), signer, now())
        .unwrap();
    send(request).await
}

#[tokio::test]
async fn the_store_rejects_bad_signatures_so_it_can_judge_ours() {
    let store = S3Store::start();
    let bucket = bucket(&store);
    let key = ObjectKey::new("proof/a b+c.txt").unwrap();
    let put = PutObject {
        key: &key,
        content_length: 5,
        content_type: None,
        metadata: vec![],
        condition: None,
        integrity: Default::default(),
    };

    let forged = call(
        &bucket,
        &signer("not-the-secret"),
        put.request(&bucket),
        b"hello",
    )
    .await;
    let err =
        PutObject::parse_response(forged.status(), forged.headers(), forged.body()).unwrap_err();
    assert_eq!(
        (err.status, err.code.as_str()),
        (403, "SignatureDoesNotMatch"),
        "{err}"
    );
    assert!(
        !store.object_path(key.as_str()).exists(),
        "a forged PUT stored nothing"
    );

    let ok = call(&bucket, &signer(SECRET_KEY), put.request(&bucket), b"hello").await;
    PutObject::parse_response(ok.status(), ok.headers(), ok.body()).unwrap();
    assert_eq!(
        std::fs::read(store.object_path(key.as_str())).unwrap(),
        b"hello"
    );

    // Presigned: valid, tampered, expired.
    let presign = PresignObject {
        key: &key,
        method: PresignMethod::Get,
        expires_in: 60,
        checksum: None,
    };
    let (url, _) = presign.url(&bucket, &signer(SECRET_KEY), now()).unwrap();
    let plain = |url: &str| http::Request::get(url).body(Vec::new()).unwrap();
    let got = send(plain(&url)).await;
    assert_eq!(
        (got.status(), got.body().as_slice()),
        (StatusCode::OK, &b"hello"[..])
    );

    let tampered = url.replace("X-Amz-Expires=60", "X-Amz-Expires=61");
    assert_eq!(send(plain(&tampered)).await.status(), StatusCode::FORBIDDEN);
    let forged_url = presign
        .url(&bucket, &signer("not-the-secret"), now())
        .unwrap()
        .0;
    assert_eq!(
        send(plain(&forged_url)).await.status(),
        StatusCode::FORBIDDEN
    );
    let long_ago = SigningTime::from_unix_seconds(now().unix_seconds() - 3600);
    let expired = presign
        .url(&bucket, &signer(SECRET_KEY), long_ago)
        .unwrap()
        .0;
    assert_eq!(send(plain(&expired)).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_action_round_trips() {
    let store = S3Store::start();
    let (bucket, signer) = (bucket(&store), signer(SECRET_KEY));
    let key = ObjectKey::new("dir/日本 (1)+~'*.txt").unwrap();
    let body = b"0123456789 spinlift";

    let content_type = HeaderValue::from_static("text/plain");
    let meta = (
        http::HeaderName::from_static("x-amz-meta-owner"),
        HeaderValue::from_static("team a"),
    );
    let put = PutObject {
        key: &key,
        content_length: body.len() as u64,
        content_type: Some(&content_type),
        metadata: vec![(&meta.0, &meta.1)],
        condition: None,
        integrity: Default::default(),
    };
    let answer = call(&bucket, &signer, put.request(&bucket), body).await;
    let etag = PutObject::parse_response(answer.status(), answer.headers(), answer.body())
        .unwrap()
        .etag;
    assert!(etag.starts_with('"') && etag.len() > 2, "{etag}");

    let range = HeaderValue::from_static("bytes=0-9");
    let get = GetObject {
        key: &key,
        range: Some(&range),
        conditions: Default::default(),
        checksum_mode: false,
    };
    let answer = call(&bucket, &signer, get.request(&bucket), b"").await;
    let head = ObjectHead::from_parts(answer.status(), answer.headers()).expect("206");
    assert_eq!(
        (head.status, answer.body().as_slice()),
        (StatusCode::PARTIAL_CONTENT, &body[..10])
    );

    let answer = call(&bucket, &signer, HeadObject::of(&key).request(&bucket), b"").await;
    let head = HeadObject::parse_response(answer.status(), answer.headers()).unwrap();
    assert_eq!(head.content_length(), Some(body.len() as u64));
    assert_eq!(head.headers["content-type"], "text/plain");
    assert_eq!(head.headers["x-amz-meta-owner"], "team a");
    assert_eq!(head.etag(), Some(etag.as_str()));

    let copy_key = ObjectKey::new("dir/copy of 日本").unwrap();
    let answer = call(
        &bucket,
        &signer,
        CopyObject {
            from: &key,
            to: &copy_key,
            source_etag: None,
        }
        .request(&bucket),
        b"",
    )
    .await;
    CopyObject::parse_response(answer.status(), answer.headers(), answer.body()).unwrap();
    assert_eq!(
        std::fs::read(store.object_path(copy_key.as_str())).unwrap(),
        body
    );

    let list = ListObjectsV2 {
        prefix: Some("dir/"),
        delimiter: Some("/"),
        continuation_token: None,
        max_keys: Some(1),
    };
    let answer = call(&bucket, &signer, list.request(&bucket), b"").await;
    let page =
        ListObjectsV2::parse_response(answer.status(), answer.headers(), answer.body()).unwrap();
    assert_eq!(page.objects.len(), 1);
    assert!(page.is_truncated);
    let token = page.next_continuation_token.clone().expect("a second page");
    let next = ListObjectsV2 {
        continuation_token: Some(&token),
        ..list
    };
    let answer = call(&bucket, &signer, next.request(&bucket), b"").await;
    let second =
        ListObjectsV2::parse_response(answer.status(), answer.headers(), answer.body()).unwrap();
    let mut keys: Vec<String> = page
        .objects
        .iter()
        .chain(&second.objects)
        .map(|o| o.key.clone())
        .collect();
    keys.sort();
    assert_eq!(keys, [copy_key.as_str(), key.as_str()]);

    for gone in [&key, &copy_key] {
        let answer = call(
            &bucket,
            &signer,
            DeleteObject {
                key: gone,
                if_match: None,
            }
            .request(&bucket),
            b"",
        )
        .await;
        DeleteObject::parse_response(answer.status(), answer.headers(), answer.body()).unwrap();
        let answer = call(&bucket, &signer, HeadObject::of(gone).request(&bucket), b"").await;
        let err = HeadObject::parse_response(answer.status(), answer.headers()).unwrap_err();
        assert_eq!(err.s3_kind(), S3ErrorKind::NotFound);
    }
}

#[tokio::test]
async fn multipart_upload_completes_and_aborts() {
    let store = S3Store::start();
    let (bucket, signer) = (bucket(&store), signer(SECRET_KEY));
    let key = ObjectKey::new("multi part.bin").unwrap();
    let data: Vec<u8> = (0..(5 << 20) + 1234)
        .map(|i: u32| (i % 251) as u8)
        .collect();

    let answer = call(
        &bucket,
        &signer,
        CreateMultipartUpload {
            key: &key,
            content_type: None,
            metadata: vec![],
            checksum: None,
        }
        .request(&bucket),
        b"",
    )
    .await;
    let upload_id =
        CreateMultipartUpload::parse_response(answer.status(), answer.headers(), answer.body())
            .unwrap();
    let mut parts = Vec::new();
    for (i, chunk) in data.chunks(5 << 20).enumerate() {
        let part_number = u16::try_from(i + 1).unwrap();
        let part = UploadPart {
            key: &key,
            upload_id: &upload_id,
            part_number,
            content_length: chunk.len() as u64,
            checksum: None,
        };
        let answer = call(&bucket, &signer, part.request(&bucket), chunk).await;
        let etag =
            UploadPart::parse_response(answer.status(), answer.headers(), answer.body()).unwrap();
        parts.push(CompletedPart {
            part_number,
            etag,
            checksum: None,
        });
    }
    let complete = CompleteMultipartUpload {
        key: &key,
        upload_id: &upload_id,
        parts: &parts,
        condition: None,
        checksum: None,
    }
    .request(&bucket);
    let body = complete.body().clone();
    let answer = call(&bucket, &signer, complete.map(|_| ()), &body).await;
    CompleteMultipartUpload::parse_response(answer.status(), answer.headers(), answer.body())
        .unwrap();
    assert_eq!(
        std::fs::read(store.object_path(key.as_str())).unwrap(),
        data
    );

    // An aborted upload leaves no object behind.
    let other = ObjectKey::new("aborted.bin").unwrap();
    let answer = call(
        &bucket,
        &signer,
        CreateMultipartUpload {
            key: &other,
            content_type: None,
            metadata: vec![],
            checksum: None,
        }
        .request(&bucket),
        b"",
    )
    .await;
    let upload_id =
        CreateMultipartUpload::parse_response(answer.status(), answer.headers(), answer.body())
            .unwrap();
    let part = UploadPart {
        key: &other,
        upload_id: &upload_id,
        part_number: 1,
        content_length: 3,
        checksum: None,
    };
    let answer = call(&bucket, &signer, part.request(&bucket), b"abc").await;
    UploadPart::parse_response(answer.status(), answer.headers(), answer.body()).unwrap();
    let answer = call(
        &bucket,
        &signer,
        AbortMultipartUpload {
            key: &other,
            upload_id: &upload_id,
        }
        .request(&bucket),
        b"",
    )
    .await;
    AbortMultipartUpload::parse_response(answer.status(), answer.headers(), answer.body()).unwrap();
    assert!(!store.object_path(other.as_str()).exists());
}

#[tokio::test]
async fn conditional_writes_are_compare_and_swap() {
    let store = S3Store::start();
    let bucket = bucket(&store);
    let signer = signer(SECRET_KEY);
    let key = ObjectKey::new("_index/cas.json").unwrap();
    let put = |condition| PutObject {
        key: &key,
        content_length: 2,
        content_type: None,
        metadata: vec![],
        condition,
        integrity: Default::default(),
    };
    let outcome = |response: http::Response<Vec<u8>>| {
        PutObject::parse_response(response.status(), response.headers(), response.body())
            .map_err(|err| err.s3_kind())
    };

    let created = call(
        &bucket,
        &signer,
        put(Some(WriteCondition::Absent)).request(&bucket),
        b"v1",
    )
    .await;
    let v1 = outcome(created).unwrap().etag;
    let again = call(
        &bucket,
        &signer,
        put(Some(WriteCondition::Absent)).request(&bucket),
        b"v2",
    )
    .await;
    assert_eq!(outcome(again), Err(S3ErrorKind::PreconditionFailed));

    let swapped = call(
        &bucket,
        &signer,
        put(Some(WriteCondition::Matches(&v1))).request(&bucket),
        b"v2",
    )
    .await;
    outcome(swapped).unwrap();
    // A second writer that read v1 too loses: the object is v2 now.
    let stale = call(
        &bucket,
        &signer,
        put(Some(WriteCondition::Matches(&v1))).request(&bucket),
        b"v3",
    )
    .await;
    assert_eq!(outcome(stale), Err(S3ErrorKind::PreconditionFailed));
    assert_eq!(
        std::fs::read(store.object_path(key.as_str())).unwrap(),
        b"v2"
    );
}
