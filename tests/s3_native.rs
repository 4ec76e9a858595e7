//! Our S3 actions and signer against a real store that verifies every signature (s3s-fs).
//!
//! First the store proves it judges: the same request signed with a wrong secret, a tampered
//! or expired presigned URL get 403. Then every action round-trips with assertions on the
//! stored bytes. A signer bug fails here because a real server said 403.

// Shared with the end-to-end suites, which use more of it.
#[allow(dead_code)]
#[path = "support/s3_store.rs"]
mod s3_store;

use base64ct::Encoding;
use http::{HeaderValue, StatusCode};
use s3_store::{send, S3Store, ACCESS_KEY, BUCKET, SECRET_KEY};
use spinlift::aws::AwsError;
use spinlift::config::{S3Config, Scheme};
use spinlift::s3::*;
use spinlift::sigv4::{
    to_aws_chunked, unsigned_chunk_header, unsigned_trailer, Credentials, Framing, Payload, Signer,
    SigningTime, STREAMING_UNSIGNED_PAYLOAD_TRAILER,
};
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
        if_none_match: None,
        checksum_mode: false,
    };
    let answer = call(&bucket, &signer, get.request(&bucket), b"").await;
    let head = ObjectHead::from_parts(answer.status(), answer.headers()).expect("206");
    assert_eq!(
        (head.status, answer.body().as_slice()),
        (StatusCode::PARTIAL_CONTENT, &body[..10])
    );

    let answer = call(
        &bucket,
        &signer,
        HeadObject { key: &key }.request(&bucket),
        b"",
    )
    .await;
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
        let answer = call(
            &bucket,
            &signer,
            HeadObject { key: gone }.request(&bucket),
            b"",
        )
        .await;
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

/// A PutObject of `body` sent aws-chunked in chunks of `chunk` bytes, each frame passed
/// through `tamper` (index, frame) before it goes on the wire; the declared lengths are the
/// untampered body's.
async fn put_aws_chunked(
    bucket: &Bucket,
    key: &ObjectKey,
    body: &[u8],
    chunk: usize,
    tamper: impl Fn(usize, Vec<u8>) -> Vec<u8>,
) -> http::Response<Vec<u8>> {
    let put = PutObject {
        key,
        content_length: body.len() as u64,
        content_type: None,
        metadata: vec![],
        condition: None,
        integrity: Default::default(),
    };
    let mut request = put.request(bucket);
    to_aws_chunked(request.headers_mut(), chunk as u64, &[], Framing::Signed).unwrap();
    let mut chain = bucket
        .sign_streaming(&mut request, &signer(SECRET_KEY), now())
        .unwrap();
    let mut wire = Vec::new();
    for (i, piece) in body.chunks(chunk).enumerate() {
        let mut frame = chain.chunk_header(piece).into_bytes();
        frame.extend_from_slice(piece);
        frame.extend_from_slice(b"\r\n");
        wire.extend(tamper(i, frame));
    }
    wire.extend(tamper(usize::MAX, chain.final_chunk().into_bytes()));
    let mut request = request.map(|()| wire);
    let length = request.body().len();
    request
        .headers_mut()
        .insert(http::header::CONTENT_LENGTH, length.into());
    send(request).await
}

/// The store refused a PUT: s3s-fs reads a signed stream chunk by chunk as it stores it, and
/// a chunk that fails its check fails the body's read (403 SignatureDoesNotMatch for a bad
/// signature, as AWS answers; 400 IncompleteBody for a stream cut short); no success.
fn refused(answer: &http::Response<Vec<u8>>) {
    let err = PutObject::parse_response(answer.status(), answer.headers(), answer.body())
        .expect_err("the store accepted a damaged stream");
    println!("refused: {} {}", err.status, err.code);
}

#[tokio::test]
async fn the_store_judges_every_chunk_of_a_signed_stream() {
    let store = S3Store::start();
    let bucket = bucket(&store);
    let body: Vec<u8> = (0..150_000u32).map(|i| (i % 241) as u8).collect();
    let stored = |key: &ObjectKey| std::fs::read(store.object_path(key.as_str())).ok();

    // Refused by the store: a byte of the second chunk's data flipped; the second chunk's
    // signature replaced by the first's; the body ended before its declared length.
    let flipped = ObjectKey::new("chunked/flipped").unwrap();
    let answer = put_aws_chunked(&bucket, &flipped, &body, 65_536, |i, mut frame| {
        if i == 1 {
            let last = frame.len() - 3;
            frame[last] ^= 1;
        }
        frame
    })
    .await;
    refused(&answer);
    assert_eq!(stored(&flipped), None, "a flipped byte was stored");

    let first_signature = std::sync::Mutex::new(Vec::new());
    let swapped = ObjectKey::new("chunked/swapped").unwrap();
    let answer = put_aws_chunked(&bucket, &swapped, &body, 65_536, |i, frame| {
        let line_end = frame.windows(2).position(|w| w == b"\r\n").unwrap();
        match i {
            0 => {
                *first_signature.lock().unwrap() = frame[line_end - 64..line_end].to_vec();
                frame
            }
            1 => {
                let mut frame = frame;
                frame[line_end - 64..line_end].copy_from_slice(&first_signature.lock().unwrap());
                frame
            }
            _ => frame,
        }
    })
    .await;
    refused(&answer);
    assert_eq!(
        stored(&swapped),
        None,
        "a chunk with another's signature was stored"
    );

    let cut = ObjectKey::new("chunked/cut").unwrap();
    let answer = put_aws_chunked(&bucket, &cut, &body, 65_536, |i, frame| {
        if i == 2 {
            Vec::new()
        } else {
            frame
        }
    })
    .await;
    refused(&answer);
    assert_eq!(stored(&cut), None, "a body cut short was stored");

    // Untouched, in chunks of the component's size and of odd sizes: stored byte for byte.
    for (name, chunk) in [
        ("whole-64k", 65_536),
        ("whole-8k", 8_192),
        ("whole-odd", 10_007),
    ] {
        let key = ObjectKey::new(format!("chunked/{name}")).unwrap();
        let answer = put_aws_chunked(&bucket, &key, &body, chunk, |_, frame| frame).await;
        PutObject::parse_response(answer.status(), answer.headers(), answer.body())
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_eq!(stored(&key).as_deref(), Some(&body[..]), "{name}");
    }
}

/// A PutObject of `body` sent aws-chunked with its `algorithm` checksum in the trailer, the
/// chunks and trailer signed (`Framing::Signed`) or plain, only the headers signed
/// (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`, the checksum then the only guard of the bytes); the
/// trailer claims `claimed` instead of the body's checksum when given.
async fn put_with_trailer(
    bucket: &Bucket,
    key: &ObjectKey,
    body: &[u8],
    algorithm: ChecksumAlgorithm,
    claimed: Option<&str>,
    framing: Framing,
) -> http::Response<Vec<u8>> {
    let put = PutObject {
        key,
        content_length: body.len() as u64,
        content_type: None,
        metadata: vec![],
        condition: None,
        integrity: Integrity {
            content_md5: None,
            checksum: Some(ChecksumValue::Trailer(algorithm)),
        },
    };
    let mut request = put.request(bucket);
    let trailer = [(algorithm.header(), algorithm.encoded_len())];
    to_aws_chunked(request.headers_mut(), 65_536, &trailer, framing).unwrap();
    let mut chain = match framing {
        Framing::Signed => Some(
            bucket
                .sign_streaming(&mut request, &signer(SECRET_KEY), now())
                .unwrap(),
        ),
        Framing::UnsignedWithTrailer => {
            let payload = Payload::Sha256Hex(STREAMING_UNSIGNED_PAYLOAD_TRAILER);
            bucket
                .sign(&mut request, payload, &signer(SECRET_KEY), now())
                .unwrap();
            None
        }
    };
    let mut wire = Vec::new();
    for piece in body.chunks(65_536) {
        let header = match &mut chain {
            Some(chain) => chain.chunk_header(piece),
            None => unsigned_chunk_header(piece.len()),
        };
        wire.extend(header.into_bytes());
        wire.extend_from_slice(piece);
        wire.extend_from_slice(b"\r\n");
    }
    let value = claimed.map_or_else(|| algorithm.checksum(body), str::to_owned);
    let trailers = [(algorithm.header(), value.as_str())];
    let last = match &mut chain {
        Some(chain) => chain.final_chunk_with_trailer(&trailers),
        None => unsigned_trailer(&trailers),
    };
    wire.extend(last.into_bytes());
    let request = request.map(|()| wire);
    let length = request.body().len();
    assert_eq!(
        request.headers()[http::header::CONTENT_LENGTH],
        length.to_string(),
        "the announced length is the wire's"
    );
    send(request).await
}

/// The stored object's checksum, as a GET asking for it answers.
async fn stored_checksum(bucket: &Bucket, key: &ObjectKey) -> Option<(ChecksumAlgorithm, String)> {
    let get = GetObject {
        key,
        range: None,
        if_none_match: None,
        checksum_mode: true,
    };
    let answer = call(bucket, &signer(SECRET_KEY), get.request(bucket), b"").await;
    assert_eq!(answer.status(), StatusCode::OK);
    object_checksum(answer.headers()).map(|(algorithm, value)| (algorithm, value.to_owned()))
}

/// s3s-fs computes every checksum itself (its own CRC and SHA crates) and compares it with the
/// trailer's or header's: it is the independent judge of ours. It answers a mismatch 400
/// BadDigest as S3 does, but only after it has written the file, so "nothing stored" is shown
/// through the signed chunks (above and tests/e2e/faults.rs), not here.
#[tokio::test]
async fn the_store_judges_checksums_in_trailers_and_headers() {
    let store = S3Store::start();
    let (bucket, signer) = (bucket(&store), signer(SECRET_KEY));
    let body: Vec<u8> = (0..150_000u32).map(|i| (i % 233) as u8).collect();
    let kind = |answer: http::Response<Vec<u8>>| {
        PutObject::parse_response(answer.status(), answer.headers(), answer.body())
            .map(|_| ())
            .map_err(|err| {
                let kind = err.s3_kind();
                (err.code, kind)
            })
    };
    let bad_digest = Err(("BadDigest".to_owned(), S3ErrorKind::ClientInput));

    for algorithm in ChecksumAlgorithm::ALL {
        let name = algorithm.name();
        // In the signed trailer, as the component sends an upload it streams.
        let key = ObjectKey::new(format!("sum/trailer-{name}")).unwrap();
        let answer = put_with_trailer(&bucket, &key, &body, algorithm, None, Framing::Signed).await;
        assert_eq!(kind(answer), Ok(()), "{name}");
        assert_eq!(
            stored_checksum(&bucket, &key).await,
            Some((algorithm, algorithm.checksum(&body))),
            "{name}: the store's own checksum is ours"
        );
        let wrong = algorithm.checksum(b"other bytes");
        let answer = put_with_trailer(
            &bucket,
            &key,
            &body,
            algorithm,
            Some(&wrong),
            Framing::Signed,
        )
        .await;
        assert_eq!(
            kind(answer),
            bad_digest,
            "{name}: a wrong trailer was taken"
        );

        // In the unsigned form's trailer, as the component sends it over HTTPS.
        let unsigned = Framing::UnsignedWithTrailer;
        let key = ObjectKey::new(format!("sum/unsigned-{name}")).unwrap();
        let answer = put_with_trailer(&bucket, &key, &body, algorithm, None, unsigned).await;
        assert_eq!(kind(answer), Ok(()), "{name} unsigned");
        assert_eq!(
            stored_checksum(&bucket, &key).await,
            Some((algorithm, algorithm.checksum(&body))),
            "{name}: the store's own checksum is ours (unsigned)"
        );
        let answer =
            put_with_trailer(&bucket, &key, &body, algorithm, Some(&wrong), unsigned).await;
        assert_eq!(
            kind(answer),
            bad_digest,
            "{name}: a wrong unsigned trailer was taken"
        );

        // In a header, as a client of the object API may send it.
        for (value, expected) in [
            (algorithm.checksum(&body), Ok(())),
            (wrong, bad_digest.clone()),
        ] {
            let header = ChecksumValue::Header(algorithm, &value);
            let put = PutObject {
                key: &key,
                content_length: body.len() as u64,
                content_type: None,
                metadata: vec![],
                condition: None,
                integrity: Integrity {
                    content_md5: None,
                    checksum: Some(header),
                },
            };
            let answer = call(&bucket, &signer, put.request(&bucket), &body).await;
            assert_eq!(kind(answer), expected, "{name}: header {value}");
        }
    }

    // Content-MD5: the right one is the single PUT's ETag (the hex MD5) in base64.
    let key = ObjectKey::new("sum/md5").unwrap();
    let request = |md5: Option<&HeaderValue>| {
        PutObject {
            key: &key,
            content_length: body.len() as u64,
            content_type: None,
            metadata: vec![],
            condition: None,
            integrity: Integrity {
                content_md5: md5,
                checksum: None,
            },
        }
        .request(&bucket)
    };
    let answer = call(&bucket, &signer, request(None), &body).await;
    let etag = PutObject::parse_response(answer.status(), answer.headers(), answer.body())
        .unwrap()
        .etag;
    let md5 = hex::decode(etag.trim_matches('"')).unwrap();
    let right = HeaderValue::from_str(&base64ct::Base64::encode_string(&md5)).unwrap();
    let wrong = HeaderValue::from_static("AAAAAAAAAAAAAAAAAAAAAA==");
    let answer = call(&bucket, &signer, request(Some(&right)), &body).await;
    assert_eq!(kind(answer), Ok(()));
    let answer = call(&bucket, &signer, request(Some(&wrong)), &body).await;
    assert_eq!(kind(answer), bad_digest);
}

/// A multipart upload's checksums, judged by the store as S3 judges `FULL_OBJECT` uploads
/// (s3s-fs from 0.15): each part against the checksum it was sent with (400 BadDigest), each
/// part's value in the completion against the one stored with it (400 InvalidPart), and the
/// joined object against the completion's whole-object value (400 BadDigest), which is what
/// `GetObject` then answers. These are the requests `client::upload` makes for the CRCs.
/// SHA-256 uploads are `COMPOSITE`, which s3s-fs does not implement: unit-tested only.
#[tokio::test]
async fn the_store_judges_multipart_checksums() {
    let store = S3Store::start();
    let (bucket, signer) = (bucket(&store), signer(SECRET_KEY));
    let data: Vec<u8> = (0..(5 << 20) + 4321)
        .map(|i: u32| (i % 241) as u8)
        .collect();
    let (first, second) = data.split_at(5 << 20);
    let code = |err: AwsError| err.code;
    for algorithm in [
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc32,
    ] {
        let name = algorithm.name();
        let key = ObjectKey::new(format!("multi/{name}.bin")).unwrap();
        let create = CreateMultipartUpload {
            key: &key,
            content_type: None,
            metadata: vec![],
            checksum: Some(algorithm),
        };
        let answer = call(&bucket, &signer, create.request(&bucket), b"").await;
        let upload_id =
            CreateMultipartUpload::parse_response(answer.status(), answer.headers(), answer.body())
                .unwrap();
        let mut parts = Vec::new();
        for (part_number, bytes) in [(1u16, first), (2, second)] {
            let right = algorithm.checksum(bytes);
            let wrong = algorithm.checksum(b"other bytes");
            for value in [&wrong, &right] {
                let part = UploadPart {
                    key: &key,
                    upload_id: &upload_id,
                    part_number,
                    content_length: bytes.len() as u64,
                    checksum: Some(ChecksumValue::Header(algorithm, value)),
                };
                let answer = call(&bucket, &signer, part.request(&bucket), bytes).await;
                let etag =
                    UploadPart::parse_response(answer.status(), answer.headers(), answer.body());
                if value == &wrong {
                    assert_eq!(etag.map_err(code), Err("BadDigest".into()), "{name}");
                } else {
                    parts.push(CompletedPart {
                        part_number,
                        etag: etag.unwrap(),
                        checksum: Some(right.clone()),
                    });
                }
            }
        }
        let whole = algorithm.checksum(&data);
        let complete = |parts: &[CompletedPart], whole_object: &str| {
            let request = CompleteMultipartUpload {
                key: &key,
                upload_id: &upload_id,
                parts,
                condition: None,
                checksum: Some(UploadChecksum {
                    algorithm,
                    whole_object: Some(whole_object),
                }),
            }
            .request(&bucket);
            let body = request.body().clone();
            (request.map(|_| ()), body)
        };
        let mut swapped = parts.clone();
        swapped[0].checksum.clone_from(&parts[1].checksum);
        let wrong_whole = algorithm.checksum(b"other bytes");
        for (parts, whole_object, expected) in [
            (&swapped[..], whole.as_str(), Err("InvalidPart".to_owned())),
            (
                &parts[..],
                wrong_whole.as_str(),
                Err("BadDigest".to_owned()),
            ),
            (&parts[..], whole.as_str(), Ok(())),
        ] {
            let (request, body) = complete(parts, whole_object);
            let answer = call(&bucket, &signer, request, &body).await;
            let completed = CompleteMultipartUpload::parse_response(
                answer.status(),
                answer.headers(),
                answer.body(),
            );
            assert_eq!(completed.map(|_| ()).map_err(code), expected, "{name}");
            if expected.is_err() {
                assert!(!store.object_path(key.as_str()).exists(), "{name}");
            }
        }
        assert_eq!(
            std::fs::read(store.object_path(key.as_str())).unwrap(),
            data
        );
        assert_eq!(
            stored_checksum(&bucket, &key).await,
            Some((algorithm, whole)),
            "{name}: the store's whole-object checksum is ours"
        );
    }
}
