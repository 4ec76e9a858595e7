//! How large `POST /uploads` answers, measured through the default component's router
//! natively: hosted Spin cuts answers at 10 MiB, and this one grows with its parts (one
//! presigned URL each). The README's figures come from here (`cargo test --test
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

/// How many bytes `POST /uploads` answers for `parts` parts of 8 MiB under `key`, signed
/// with `session_token` when there is one.
fn create(key: &str, parts: u64, session_token: Option<&str>) -> usize {
    let mut vars = router::variables();
    if let Some(token) = session_token {
        vars.insert("aws_session_token".into(), token.into());
    }
    let body = json!({"key": key, "size": parts * (8 << 20), "part_size": 8 << 20});
    let request = http::Request::builder()
        .method("POST")
        .uri("/uploads")
        .header("authorization", "Bearer t0ken")
        .body(Body::Bytes(body.to_string().into_bytes()))
        .unwrap();
    let response = router::serve(&Upstream::new(created), &vars, request);
    assert_eq!(response.status(), 201);
    let Body::Bytes(bytes) = response.into_body() else {
        panic!("not a buffered answer")
    };
    let answer: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        answer["parts"].as_array().map(Vec::len),
        Some(parts as usize)
    );
    bytes.len()
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
         hosted Spin's 10 MiB then holds {} parts",
        short.len(),
        with_token - base,
        HOSTED_ANSWER_BYTES / with_token
    );
}
