//! Signed streams and checksums against s3s-fs, which verifies every chunk's signature and
//! computes every checksum itself: what it refuses proves it judges, what it stores is
//! compared byte for byte and checksum for checksum.

use super::*;
use spinlift::sigv4::{
    to_aws_chunked, unsigned_chunk_header, unsigned_trailer, Framing,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER,
};

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
        conditions: Default::default(),
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
