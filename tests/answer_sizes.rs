//! How large `POST /uploads` answers, measured through the default component's router
//! natively: hosted Spin cuts answers at 10 MiB, and this one grows with its parts (one
//! presigned URL each) until the signing budget, past which parts come unsigned for
//! `/uploads/{id}/parts` to sign. The README's figures come from here (`cargo test --test
//! answer_sizes -- --nocapture` prints them).

#[path = "support/router.rs"]
#[allow(dead_code)] // its NoSuchKey answer is for the hostile-input tests
mod router;

use router::Upstream;
use serde_json::{json, Value};
use spinlift::body::Body;

/// Hosted Spin's answer limit (Akamai Functions, Fermyon Cloud).
const HOSTED_ANSWER_BYTES: usize = 10 << 20;

/// An upload id as long as S3's usually are (the CreateMultipartUpload documentation's
/// example is 58 characters; ids seen from S3 run to about 128), URL-safe as theirs.
fn upload_id() -> String {
    "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA".repeat(3)[..128].to_owned()
}

/// S3 starts every upload, with [`upload_id`].
fn created(_: usize, _: &http::Request<()>) -> (u16, String) {
    let id = upload_id();
    let answer = format!(
        "<InitiateMultipartUploadResult><Bucket>spinlift-dev</Bucket><Key>k</Key>\
         <UploadId>{id}</UploadId></InitiateMultipartUploadResult>"
    );
    (200, answer)
}

/// A session token of `len` characters from the base64 alphabet STS tokens use, each
/// character as often as the next (so `+`, `/` and `=`, which percent-encode to three bytes,
/// as often as in a random token).
fn session_token(len: usize) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
    (0..len)
        .map(|i| alphabet[(i * 7) % alphabet.len()] as char)
        .collect()
}

/// Serves `request` (bearing the API token) with `session_token` when there is one: the
/// answer's status, JSON and size in bytes.
fn send(path: &str, body: Value, session_token: Option<&str>) -> (u16, Value, usize) {
    let mut vars = router::variables();
    if let Some(token) = session_token {
        vars.insert("aws_session_token".into(), token.into());
    }
    let request = http::Request::builder()
        .method("POST")
        .uri(path)
        .header("authorization", "Bearer t0ken")
        .body(Body::Bytes(body.to_string().into_bytes()))
        .unwrap();
    let response = router::serve(&Upstream::new(created), &vars, request);
    let status = response.status().as_u16();
    let Body::Bytes(bytes) = response.into_body() else {
        panic!("not a buffered answer")
    };
    (status, serde_json::from_slice(&bytes).unwrap(), bytes.len())
}

/// `POST /uploads` for `parts` parts of 8 MiB under `key`: its JSON and its size in bytes.
fn start(key: &str, parts: u64, session_token: Option<&str>) -> (Value, usize) {
    let body = json!({"key": key, "size": parts * (8 << 20), "part_size": 8 << 20});
    let (status, answer, bytes) = send("/uploads", body, session_token);
    assert_eq!(status, 201, "{answer}");
    assert_eq!(
        answer["parts"].as_array().map(Vec::len),
        Some(parts as usize)
    );
    (answer, bytes)
}

/// How many bytes `POST /uploads` answers for `parts` parts of 8 MiB under `key`, signed
/// with `session_token` when there is one, every part with its URL.
fn create(key: &str, parts: u64, session_token: Option<&str>) -> usize {
    let (answer, bytes) = start(key, parts, session_token);
    let unsigned = numbers(&answer["parts"], false);
    assert_eq!(unsigned, Vec::<u64>::new(), "all within the signing budget");
    bytes
}

/// The numbers of the parts in `parts` that come with a URL (`signed`) or without one.
fn numbers(parts: &Value, signed: bool) -> Vec<u64> {
    let parts = parts.as_array().unwrap().iter();
    let chosen = parts.filter(|part| part.get("url").is_some() == signed);
    chosen
        .map(|part| part["number"].as_u64().unwrap())
        .collect()
}

/// What one more part adds to the answer, in bytes.
fn per_part(key: &str, session_token: Option<&str>) -> usize {
    let small = create(key, 1_000, session_token);
    let large = create(key, 2_000, session_token);
    (large - small) / 1_000
}

#[test]
fn the_largest_upload_of_a_short_key_answers_under_hosted_spins_limit() {
    let key = "uploads/2026/12/video.mp4";
    let bytes = create(key, 10_000, None);
    println!(
        "10,000 parts, {}-byte key, no session token: {bytes} bytes, {} per part",
        key.len(),
        per_part(key, None)
    );
    assert!(bytes < HOSTED_ANSWER_BYTES, "{bytes}");
}

#[test]
fn every_part_carries_the_key_and_the_session_token_percent_encoded() {
    let short = "uploads/2026/12/video.mp4";
    let base = per_part(short, None);
    // The key is in each URL's path, its `/` kept; `+` is three bytes there.
    let long = format!("uploads/{}", "a+b".repeat(100));
    let grown = per_part(&long, None) - base;
    let expected = (long.len() - short.len()) + 2 * long.matches('+').count();
    assert_eq!(
        grown,
        expected,
        "bytes per part for a key of {}",
        long.len()
    );
    // The token is in each URL's query, once, with its parameter's name.
    let token = session_token(1_000);
    let with_token = per_part(short, Some(&token));
    let encoded = token.len() + 2 * token.matches(['+', '/', '=']).count();
    assert_eq!(with_token - base, "&X-Amz-Security-Token=".len() + encoded);
    println!(
        "per part: {base} bytes with a {}-byte key; a 1,000-character session token adds {}; \
         10 MiB would hold {} such parts, so answers sign fewer (see the last test)",
        short.len(),
        with_token - base,
        HOSTED_ANSWER_BYTES / with_token
    );
}

#[test]
fn past_the_signing_budget_parts_come_unsigned_and_the_parts_route_signs_them() {
    // The largest upload, signed with a long session token: 10,000 URLs would take 16 MB.
    let token = session_token(1_000);
    let (answer, bytes) = start("uploads/2026/12/video.mp4", 10_000, Some(&token));
    assert!(bytes < HOSTED_ANSWER_BYTES, "{bytes}");
    let signed = numbers(&answer["parts"], true);
    let mut unsigned = numbers(&answer["parts"], false);
    // The first parts signed, the rest after them unsigned, every number once in order.
    assert_eq!(
        (signed.len(), bytes),
        (4_924, 8_250_566),
        "the README's figures"
    );
    let all: Vec<u64> = signed.iter().chain(&unsigned).copied().collect();
    assert_eq!(all, (1..=10_000).collect::<Vec<u64>>());
    println!(
        "10,000 parts with a 1,000-character session token: {} signed in {bytes} bytes",
        signed.len()
    );
    // The parts route signs the rest, as many per answer as fit, in the order asked.
    let path = format!("/uploads/{}/parts", answer["upload_id"].as_str().unwrap());
    let mut answers = 0;
    while !unsigned.is_empty() {
        let asked: Vec<Value> = unsigned.iter().map(|n| json!({ "number": n })).collect();
        let (status, answer, bytes) = send(&path, json!({ "parts": asked }), Some(&token));
        assert_eq!(status, 200, "{answer}");
        assert!(bytes < HOSTED_ANSWER_BYTES, "{bytes}");
        let now_signed = numbers(&answer["parts"], true);
        assert!(!now_signed.is_empty());
        assert_eq!(now_signed[..], unsigned[..now_signed.len()]);
        unsigned = numbers(&answer["parts"], false);
        answers += 1;
    }
    // The first answer and the next sign 4,924 and 4,923 (the budget, one URL more or less),
    // the last the 153 left: the figures the README gives.
    assert_eq!(answers, 2);
    println!("the parts route signed the rest in {answers} answers");
}
