//! Signing speed: spinlift's SigV4 against the `aws-sigv4` crate (the AWS SDK for Rust's signer)
//! and against the floor, the SHA-256 and HMAC work a signature cannot avoid, on the same
//! requests in one run. `scripts/bench` runs it and prints the table of BENCHMARKS.md.
//!
//! Each signer is used the way its users use it: spinlift keeps one `Signer` per credentials,
//! so its derived key is cached; aws-sigv4 takes parameters per call and derives the key each time.

use aws_sigv4::http_request::{
    sign as oracle_sign, PayloadChecksumKind, PercentEncodingMode, SignableBody,
    SignableRequest as OracleRequest, SignatureLocation as OracleLocation,
    SigningSettings as OracleSettings, UriPathNormalizationMode,
};
use criterion::{criterion_group, criterion_main, Criterion};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use spinlift::sigv4::{
    Credentials, Payload, SignableRequest, SignatureLocation, Signer, SigningParams,
    SigningSettings, SigningTime,
};
use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TIME: u64 = 1_763_856_000; // 2025-11-23T00:00:00Z

struct Case {
    name: &'static str,
    method: &'static str,
    uri: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    body: Vec<u8>,
    service: &'static str,
    presign: bool,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "s3_get_header",
            method: "GET",
            uri: "https://examplebucket.s3.us-east-1.amazonaws.com/photos/2025/11/cat%20picture.jpg",
            headers: vec![],
            body: vec![],
            service: "s3",
            presign: false,
        },
        Case {
            name: "s3_put_1kib_header",
            method: "PUT",
            uri: "https://examplebucket.s3.us-east-1.amazonaws.com/uploads/report.bin",
            headers: vec![("content-type", "application/octet-stream"), ("content-length", "1024")],
            body: vec![7; 1024],
            service: "s3",
            presign: false,
        },
        Case {
            name: "dynamodb_post_header",
            method: "POST",
            uri: "https://dynamodb.us-east-1.amazonaws.com/",
            headers: vec![
                ("content-type", "application/x-amz-json-1.0"),
                ("x-amz-target", "DynamoDB_20120810.GetItem"),
            ],
            body: br#"{"TableName":"objects","Key":{"pk":{"S":"photos/2025/11/cat picture.jpg"}},"ConsistentRead":true}"#.to_vec(),
            service: "dynamodb",
            presign: false,
        },
        Case {
            name: "s3_presign_get",
            method: "GET",
            uri: "https://examplebucket.s3.us-east-1.amazonaws.com/photos/2025/11/cat%20picture.jpg",
            headers: vec![],
            body: vec![],
            service: "s3",
            presign: true,
        },
    ]
}

fn payload(case: &Case) -> Payload<'_> {
    match (case.service, case.presign) {
        ("s3", true) => Payload::Unsigned,
        _ => Payload::Bytes(&case.body),
    }
}

fn params(case: &Case) -> SigningParams<'static> {
    SigningParams {
        region: "us-east-1",
        service: case.service,
        time: SigningTime::from_unix_seconds(TIME),
        settings: if case.service == "s3" {
            SigningSettings::s3()
        } else {
            SigningSettings::standard()
        },
        location: if case.presign {
            SignatureLocation::QueryParams { expires_in: 3600 }
        } else {
            SignatureLocation::Headers
        },
    }
}

fn sign_with_aws_sigv4(case: &Case, uri: &str) -> String {
    let identity =
        aws_credential_types::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "bench").into();
    let mut settings = OracleSettings::default();
    if case.service == "s3" {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    if case.presign {
        settings.signature_location = OracleLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(3600));
    }
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(case.service)
        .time(UNIX_EPOCH + Duration::from_secs(TIME))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let body = match payload(case) {
        Payload::Unsigned => SignableBody::UnsignedPayload,
        _ => SignableBody::Bytes(&case.body),
    };
    let request = OracleRequest::new(case.method, uri, case.headers.iter().copied(), body).unwrap();
    let (_, signature) = oracle_sign(request, &params).unwrap().into_parts();
    signature
}

fn signing(c: &mut Criterion) {
    let signer = Signer::new(Credentials {
        access_key_id: ACCESS_KEY.into(),
        secret_access_key: SECRET_KEY.into(),
        session_token: None,
    });
    for case in cases() {
        let uri: http::Uri = case.uri.parse().unwrap();
        let request = SignableRequest {
            method: case.method,
            uri: &uri,
            headers: case.headers.clone(),
            payload: payload(&case),
        };
        let params = params(&case);
        let ours = signer.sign(&request, &params).unwrap();
        // Same requests, same answers: the benchmark compares equal work.
        assert_eq!(
            ours.signature,
            sign_with_aws_sigv4(&case, case.uri),
            "{}",
            case.name
        );

        let mut group = c.benchmark_group(case.name);
        group.bench_function("spinlift", |b| {
            b.iter(|| {
                let request = SignableRequest {
                    method: case.method,
                    uri: &uri,
                    headers: case.headers.clone(),
                    payload: payload(&case),
                };
                black_box(signer.sign(black_box(&request), &params).unwrap())
            })
        });
        group.bench_function("aws_sigv4", |b| {
            b.iter(|| black_box(sign_with_aws_sigv4(&case, black_box(case.uri))))
        });
        // The floor: hashing the payload (when signed), the canonical request, and one HMAC
        // of the string to sign with an already derived key.
        let canonical = ours.canonical_request.to_string();
        let string_to_sign = ours.string_to_sign.to_string();
        let key_bytes = derive_raw(case.service);
        let hashes_payload = !matches!(payload(&case), Payload::Unsigned);
        group.bench_function("floor", |b| {
            b.iter(|| {
                if hashes_payload {
                    black_box(Sha256::digest(black_box(&case.body)));
                }
                black_box(Sha256::digest(black_box(canonical.as_bytes())));
                let mut mac = Hmac::<Sha256>::new_from_slice(&key_bytes).unwrap();
                mac.update(black_box(string_to_sign.as_bytes()));
                black_box(mac.finalize())
            })
        });
        group.finish();
    }
}

/// The derived signing key as bytes, for the floor's single HMAC.
fn derive_raw(service: &str) -> [u8; 32] {
    let hmac = |key: &[u8], data: &[u8]| -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
        mac.update(data);
        mac.finalize().into_bytes().into()
    };
    let k_date = hmac(format!("AWS4{SECRET_KEY}").as_bytes(), b"20251123");
    let k_region = hmac(&k_date, b"us-east-1");
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = signing
}
criterion_main!(benches);
