//! The worked SigV4 examples of the Amazon S3 API reference (`tests/vectors/s3-doc-examples.json`;
//! sources: sig-v4-header-based-auth.html, sigv4-query-string-auth.html, sigv4-streaming*.html),
//! checked stage by stage with `SigningSettings::s3()`.

use serde_json::Value;
use sha2::{Digest, Sha256};
use spinlift::sigv4::{
    ChunkSigner, Credentials, Payload, SignableRequest, SignatureLocation, Signer, SigningParams,
    SigningSettings, SigningTime,
};

const EXAMPLES: &str = "tests/vectors/s3-doc-examples.json";

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("missing string {key}"))
}

/// Checks each documented chunk's string to sign and signature, the trailer's when there is
/// one, and the whole encoded body against its documented (or rendered) length and hash.
fn check_chunks(name: &str, expected: &Value, mut chain: ChunkSigner) {
    let chunks = expected["chunks"].as_array().unwrap();
    let trailer = expected.get("trailer");
    let mut body = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let data = vec![b'a'; usize::try_from(chunk["size"].as_u64().unwrap()).unwrap()];
        assert_eq!(
            chain.chunk_string_to_sign(&data),
            text(chunk, "string_to_sign"),
            "{name}: chunk {i}"
        );
        let signature = text(chunk, "signature");
        let framed = match (data.is_empty(), trailer) {
            (false, _) => chain.chunk_header(&data),
            (true, None) => chain.final_chunk(),
            (true, Some(trailer)) => {
                let (field, value) = text(trailer, "canonical_trailer")
                    .trim_end()
                    .split_once(':')
                    .unwrap();
                let trailers = [(field, value)];
                let mut last = chain.chunk_header(b"");
                assert_eq!(
                    chain.trailer_string_to_sign(&trailers),
                    text(trailer, "string_to_sign"),
                    "{name}: trailer"
                );
                let rest = chain.trailer(&trailers);
                assert_eq!(
                    rest,
                    format!(
                        "{field}:{value}\r\nx-amz-trailer-signature:{}\r\n\r\n",
                        text(trailer, "signature")
                    ),
                    "{name}: trailer"
                );
                last.push_str(&rest);
                last
            }
        };
        assert!(
            framed.starts_with(&format!("{:x};chunk-signature={signature}\r\n", data.len())),
            "{name}: chunk {i}: {framed}"
        );
        body.extend_from_slice(framed.as_bytes());
        if !data.is_empty() {
            body.extend_from_slice(&data);
            body.extend_from_slice(b"\r\n");
        }
    }
    let length = expected
        .get("encoded_body_length")
        .and_then(Value::as_u64)
        .unwrap_or(66_824);
    assert_eq!(body.len() as u64, length, "{name}: encoded length");
    match trailer {
        None => assert_eq!(spinlift::sigv4::encoded_length(66_560, 65_536), length),
        Some(trailer) => {
            let (field, value) = text(trailer, "canonical_trailer")
                .trim_end()
                .split_once(':')
                .unwrap();
            assert_eq!(
                spinlift::sigv4::encoded_length_with_trailer(
                    66_560,
                    65_536,
                    &[(field, value.len())]
                ),
                length,
                "{name}: the Content-Length a trailer's request declares"
            );
            // The trailer's value is the CRC32C of the example's 66,560 bytes of `a`: our
            // checksum agrees with the documentation's.
            assert_eq!(field, "x-amz-checksum-crc32c");
            assert_eq!(
                spinlift::s3::ChecksumAlgorithm::Crc32c.checksum(&[b'a'; 66_560]),
                value
            );
        }
    }
    if let Some(hash) = expected.get("encoded_body_sha256") {
        assert_eq!(
            hex(&Sha256::digest(&body)),
            hash.as_str().unwrap(),
            "{name}: encoded body"
        );
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn s3_documentation_examples() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLES);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let examples = doc["examples"].as_array().unwrap();
    assert_eq!(
        examples.len(),
        7,
        "the file holds the 7 documented examples"
    );
    for example in examples {
        let name = text(example, "name");
        let request = &example["request"];
        let expected = &example["expected"];
        let uri: http::Uri = text(request, "url").parse().unwrap();
        let headers: Vec<(&str, &str)> = request["headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str().unwrap()))
            .collect();
        let mode = text(example, "mode");
        // aws-chunked uploads sign the literal STREAMING-* marker; presigned URLs sign UNSIGNED-PAYLOAD.
        let marker = headers
            .iter()
            .find(|(n, _)| *n == "x-amz-content-sha256")
            .map(|(_, v)| *v);
        let payload = match mode {
            "presign" => Payload::Unsigned,
            "header-aws-chunked" => Payload::Sha256Hex(marker.unwrap()),
            _ => Payload::Bytes(text(request, "body").as_bytes()),
        };
        let location = match mode {
            "presign" => SignatureLocation::QueryParams {
                expires_in: example["expires"].as_u64().unwrap(),
            },
            _ => SignatureLocation::Headers,
        };
        let signer = Signer::new(Credentials {
            access_key_id: text(example, "access_key_id").into(),
            secret_access_key: text(example, "secret_access_key").into(),
            session_token: None,
        });
        let params = SigningParams {
            region: text(example, "region"),
            service: text(example, "service"),
            time: SigningTime::parse_amz_date(text(example, "timestamp")).unwrap(),
            settings: SigningSettings::s3(),
            location,
        };
        let signable = SignableRequest {
            method: text(request, "method"),
            uri: &uri,
            headers: headers.clone(),
            payload,
        };
        let out = signer.sign(&signable, &params).unwrap();

        assert_eq!(
            out.canonical_request.to_string(),
            text(expected, "canonical_request"),
            "{name}"
        );
        assert_eq!(
            out.string_to_sign.to_string(),
            text(expected, "string_to_sign"),
            "{name}"
        );
        let signature = expected
            .get("signature")
            .or(expected.get("seed_signature"))
            .unwrap();
        assert_eq!(out.signature, signature.as_str().unwrap(), "{name}");
        match mode {
            "presign" => {
                assert_eq!(
                    out.presigned_url(&uri),
                    text(expected, "presigned_url"),
                    "{name}"
                );
                println!(
                    "ok   {name}: canonical request, string to sign, signature, presigned url"
                );
            }
            _ => {
                // The documents print the header without a space after each comma; S3 accepts both.
                let ours = out.authorization().unwrap().replace(", ", ",");
                assert_eq!(ours, text(expected, "authorization"), "{name}");
                let what = if mode == "header-aws-chunked" {
                    let mut request = http::Request::builder()
                        .method(text(request, "method"))
                        .uri(&uri);
                    for (name, value) in &headers {
                        if *name != "x-amz-content-sha256" && *name != "x-amz-date" {
                            request = request.header(*name, *value);
                        }
                    }
                    let mut request = request.body(()).unwrap();
                    let chain = signer
                        .sign_streaming(&mut request, marker.unwrap(), &params)
                        .unwrap();
                    assert_eq!(
                        request.headers()["authorization"]
                            .to_str()
                            .unwrap()
                            .replace(", ", ","),
                        text(expected, "authorization"),
                        "{name}: sign_streaming's seed"
                    );
                    check_chunks(name, expected, chain);
                    "seed signature, every chunk signature, the trailer's, the encoded body"
                } else {
                    "authorization header"
                };
                println!("ok   {name}: canonical request, string to sign, {what}");
            }
        }
    }
    println!("S3 documentation examples: {} of 7 passed", examples.len());
}
