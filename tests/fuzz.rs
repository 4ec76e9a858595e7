//! Bounded fuzzing, run by CI: hostile and mutated input for every parser and the router.
//!
//! Each target mutates seeds (AWS's event samples in `tests/vectors/events/`, hand-written
//! S3/STS/DynamoDB answers in `tests/fuzz_seeds/`) and also feeds plain random bytes, with a
//! fixed RNG seed so a failure reproduces. The properties: nothing panics; the router never
//! answers 500 (an internal error) to anything a client can send, and every error it answers
//! is the JSON error body; a body that is not JSON on a JSON route is a 400.
//! `SPINLIFT_FUZZ_CASES` scales the run (default 1500 per target) for longer local sessions.

#[path = "support/router.rs"]
mod router;

use router::{no_such_key, Upstream};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use spinlift::aws::AwsError;
use spinlift::body::Body;
use spinlift::config::S3Config;
use spinlift::s3::*;
use spinlift::sigv4::{Credentials, Payload, Signer, SigningTime};
use std::path::Path;

fn cases() -> u32 {
    std::env::var("SPINLIFT_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1500)
}

fn runner() -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            cases: cases(),
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    )
}

/// Every file under `dir` (recursively) whose name ends with `extension`.
fn seeds(dir: &str, extension: &str) -> Vec<Vec<u8>> {
    fn walk(dir: &Path, extension: &str, out: &mut Vec<Vec<u8>>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, extension, out);
            } else if path.to_string_lossy().ends_with(extension) {
                out.push(std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(dir),
        extension,
        &mut out,
    );
    assert!(!out.is_empty(), "no seeds in {dir}");
    out
}

/// Fragments that tend to break parsers: structure, escapes, numbers, encodings.
const TOKENS: &[&str] = &[
    "\"",
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\\",
    "\\u0000",
    "\\ud800",
    "null",
    "true",
    "-1",
    "1e999",
    "18446744073709551616",
    "%",
    "%ZZ",
    "%00",
    "%2F",
    "+",
    "..",
    "/",
    "//",
    "\u{0}",
    "é",
    "\u{202e}",
    "<",
    ">",
    "</",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "<![CDATA[",
    "]]>",
    "<?xml version=\"1.0\"?>",
    "<!DOCTYPE x [<!ENTITY a \"b\">]>",
    "\"Records\"",
    "\"requestContext\"",
    "\"eventSource\"",
    "\"Type\"",
    "\"Message\"",
    "\"body\"",
    "\"isBase64Encoded\":true",
    "\"rawPath\"",
    "\"httpMethod\"",
    "\r\n",
];

/// One edit of a seed.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Token(usize, usize),
    Delete(usize, usize),
    Truncate(usize),
    Repeat(usize, usize, u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, bit)| Edit::Flip(at, bit)),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Edit::Insert(at, bytes)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Edit::Token(at, token)),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Edit::Delete(at, len)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), 1usize..32, 1u8..6)
            .prop_map(|(at, len, times)| Edit::Repeat(at, len, times)),
    ]
}

fn apply(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for edit in edits {
        let at = |i: usize, out: &Vec<u8>| {
            if out.is_empty() {
                0
            } else {
                i % (out.len() + 1)
            }
        };
        match edit {
            Edit::Flip(i, bit) if !out.is_empty() => {
                let i = i % out.len();
                out[i] ^= 1 << (bit % 8);
            }
            Edit::Flip(..) => {}
            Edit::Insert(i, bytes) => {
                let i = at(*i, &out);
                out.splice(i..i, bytes.iter().copied());
            }
            Edit::Token(i, token) => {
                let i = at(*i, &out);
                out.splice(i..i, TOKENS[*token].bytes());
            }
            Edit::Delete(i, len) => {
                let i = at(*i, &out);
                let end = (i + len).min(out.len());
                out.drain(i..end);
            }
            Edit::Truncate(i) => {
                let i = at(*i, &out);
                out.truncate(i);
            }
            Edit::Repeat(i, len, times) => {
                let i = at(*i, &out);
                let end = (i + len).min(out.len());
                let piece = out[i..end].to_vec();
                for _ in 0..*times {
                    out.splice(end..end, piece.iter().copied());
                }
            }
        }
    }
    out
}

/// Mutated seeds, or (one case in eight) random bytes.
fn input(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let count = seeds.len();
    prop_oneof![
        7 => (0..count, proptest::collection::vec(edit(), 0..6))
            .prop_map(move |(seed, edits)| apply(&seeds[seed], &edits)),
        1 => proptest::collection::vec(any::<u8>(), 0..512),
    ]
}

fn event_seeds() -> Vec<Vec<u8>> {
    seeds("tests/vectors/events", ".json")
}

#[test]
fn event_and_lambda_decoding_never_panics() {
    runner()
        .run(&input(event_seeds()), |body| {
            let json = serde_json::from_slice::<serde_json::Value>(&body).is_ok();
            for sns in [None, Some("Notification"), Some("SubscriptionConfirmation")] {
                let decoded = spinlift::events::decode(&body, sns);
                prop_assert!(json || decoded.is_err());
            }
            let classified = spinlift::lambda::classify(&body);
            prop_assert!(json || classified.is_err());
            if let Ok(text) = std::str::from_utf8(&body) {
                let _ = spinlift::events::decode_sns_message(text);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn s3_and_aws_answers_never_panic_the_parsers() {
    let mut seeds = seeds("tests/fuzz_seeds", ".xml");
    seeds.extend(self::seeds("tests/fuzz_seeds", ".json"));
    runner()
        .run(&input(seeds), |body| {
            let headers = http::HeaderMap::new();
            let _ = spinlift::xml::parse(&body);
            for status in [
                http::StatusCode::OK,
                http::StatusCode::FORBIDDEN,
                http::StatusCode::SERVICE_UNAVAILABLE,
            ] {
                let _ = ListObjectsV2::parse_response(status, &headers, &body);
                let _ = CreateMultipartUpload::parse_response(status, &headers, &body);
                let _ = CompleteMultipartUpload::parse_response(status, &headers, &body);
                let _ = CopyObject::parse_response(status, &headers, &body);
                let _ = AwsError::from_s3_response(status, &headers, &body);
                let error = AwsError::from_response(status, &headers, &body);
                prop_assert!(!error.code.is_empty());
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn signing_any_request_the_http_crate_accepts_never_panics() {
    let signer = Signer::new(Credentials {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        session_token: Some("token".into()),
    });
    let s3 = S3Config {
        bucket: "spinlift-dev".into(),
        scheme: spinlift::config::Scheme::Http,
        host: "127.0.0.1:8014".into(),
        path_style: true,
    };
    let bucket = Bucket::new(&s3, "us-east-1");
    let dynamodb = spinlift::aws::Endpoint::new(
        spinlift::aws::Service::DynamoDb,
        "http://127.0.0.1:5000",
        "us-east-1",
    )
    .unwrap();
    let text = || proptest::collection::vec(any::<char>(), 0..40).prop_map(String::from_iter);
    let strategy = (
        "[A-Z]{1,8}",
        text(),
        text(),
        proptest::collection::vec(
            (
                "[a-zA-Z0-9-]{1,12}",
                proptest::collection::vec(any::<u8>(), 0..24),
            ),
            0..5,
        ),
        any::<u32>(),
    );
    runner()
        .run(&strategy, |(method, path, query, headers, time)| {
            let time = SigningTime::from_unix_seconds(u64::from(time));
            let uri = format!("http://127.0.0.1:8014/{path}?{query}");
            let mut builder = http::Request::builder()
                .method(method.as_str())
                .uri(uri.as_str());
            for (name, value) in &headers {
                builder = builder.header(name.as_str(), value.as_slice());
            }
            let Ok(request) = builder.body(b"{}".to_vec()) else {
                return Ok(());
            };
            let mut s3_request = request.clone();
            let _ = bucket.sign(&mut s3_request, Payload::Unsigned, &signer, time);
            let mut dynamodb_request = request;
            let _ = dynamodb.sign(&mut dynamodb_request, &signer, time);
            let _ = bucket.presign(&method, &s3_request.uri().clone(), &[], 900, &signer, time);
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_router_answers_hostile_requests_with_json_errors_never_500() {
    let mut bodies = event_seeds();
    bodies.extend(seeds("tests/fuzz_seeds", ".json"));
    let vars = router::variables();
    let path_piece = || proptest::collection::vec(any::<u8>(), 0..24);
    let strategy = (
        prop::sample::select(vec![
            "GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH", "X-Y",
        ]),
        prop::sample::select(vec![
            "/objects/",
            "/objects",
            "/presign",
            "/events/s3",
            "/lambda",
            "/healthz",
            "/",
            "/objects/a/copy",
        ]),
        path_piece(),
        path_piece(),
        prop::sample::select(vec![
            "Bearer t0ken",
            "Bearer w3bhook",
            "Bearer x",
            "",
            "Basic t0ken",
        ]),
        proptest::collection::vec(
            (
                prop::sample::select(vec![
                    "content-type",
                    "content-length",
                    "range",
                    "origin",
                    "x-amz-sns-message-type",
                    "if-none-match",
                    "x-amz-meta-a",
                    "access-control-request-method",
                ]),
                proptest::collection::vec(any::<u8>(), 0..16),
            ),
            0..3,
        ),
        input(bodies),
    );
    runner()
        .run(
            &strategy,
            |(method, route, piece, query, auth, headers, body)| {
                let mut path = route.as_bytes().to_vec();
                path.extend(piece);
                let mut uri = String::from_utf8_lossy(&path).into_owned();
                uri.push('?');
                uri.push_str(&String::from_utf8_lossy(&query));
                let mut builder = http::Request::builder().method(method).uri(uri.as_str());
                if !auth.is_empty() {
                    builder = builder.header("authorization", auth);
                }
                for (name, value) in &headers {
                    builder = builder.header(*name, value.as_slice());
                }
                let Ok(request) = builder.body(Body::Bytes(body.clone())) else {
                    return Ok(());
                };
                let json_route =
                    matches!(request.uri().path(), "/lambda" | "/events/s3" | "/presign");
                let response = router::serve(&Upstream::new(no_such_key), &vars, request);
                let status = response.status();
                prop_assert_ne!(status, http::StatusCode::INTERNAL_SERVER_ERROR);
                let is_head = method == "HEAD";
                prop_assert!(
                    !is_head || matches!(response.body(), Body::Empty),
                    "a HEAD answered with a body"
                );
                let text = match response.into_body() {
                    Body::Bytes(bytes) => bytes,
                    _ => Vec::new(),
                };
                // A HEAD's errors have their head only (the JSON body's length included).
                if (status.is_client_error() || status.is_server_error()) && !is_head {
                    let error: serde_json::Value = serde_json::from_slice(&text)
                        .map_err(|_| TestCaseError::fail(format!("{status}: not JSON")))?;
                    prop_assert!(error["error"]["code"].is_string(), "{status}: {error}");
                }
                let not_json = serde_json::from_slice::<serde_json::Value>(&body).is_err();
                let authorized = auth == "Bearer t0ken" || auth == "Bearer w3bhook";
                if json_route
                    && method == "POST"
                    && not_json
                    && authorized
                    && status != http::StatusCode::UNAUTHORIZED
                {
                    prop_assert_eq!(status, http::StatusCode::BAD_REQUEST);
                }
                Ok(())
            },
        )
        .unwrap();
}
