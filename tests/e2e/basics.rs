//! End to end: the built component, in a Spin-like host, over real HTTP.
//!
//! Each case reads as (request, expected response). The host takes variables
//! from `spin.toml` defaults, so these tests also prove that the manifest maps
//! every variable the component reads, and that the component reads them
//! through `fermyon:spin/variables` at request time.

use crate::support;

use serde_json::{json, Value};
use support::host::{Answer, Host};

fn get(path: &str, token: Option<&str>) -> http::Request<Vec<u8>> {
    let mut request = http::Request::get(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(Vec::new()).unwrap()
}

/// Asserts status, JSON body, and that error answers are JSON.
fn expect(answer: &Answer, status: u16, body: Value) {
    let parsed: Value =
        serde_json::from_str(&answer.body).unwrap_or_else(|_| panic!("not JSON: {answer:?}"));
    assert_eq!((answer.status, parsed), (status, body), "{answer:?}");
    assert_eq!(answer.headers["content-type"], "application/json");
    assert_eq!(
        answer.body.as_bytes(),
        answer.bytes,
        "JSON bodies are UTF-8"
    );
    if status == 401 {
        assert_eq!(answer.headers["www-authenticate"], "Bearer");
    }
}

fn unauthorized() -> Value {
    json!({"error": {"code": "unauthorized", "message": "a valid bearer token is required"}})
}

fn not_found() -> Value {
    json!({"error": {"code": "not_found", "message": "no such route"}})
}

#[tokio::test]
async fn routes_with_the_manifest_defaults() {
    let host = Host::builder().start().await;
    let cases = [
        (
            get("/healthz", None),
            200,
            json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}),
        ),
        (get("/objects", None), 401, unauthorized()),
        (get("/objects", Some("wrong-token")), 401, unauthorized()),
        (get("/elsewhere", Some("dev-api-token")), 404, not_found()),
        (get("/", Some("dev-api-token")), 404, not_found()),
    ];
    for (request, status, body) in cases {
        let path = request.uri().to_string();
        let answer = host.send(request).await;
        eprintln!("GET {path} -> {}", answer.status);
        expect(&answer, status, body);
    }
    // Client errors log nothing but each request's line.
    let logs = host.logs();
    let lines: Vec<&str> = logs.lines().collect();
    assert_eq!(lines.len(), 5, "{logs}");
    assert!(
        lines.iter().all(|l| l.starts_with(r#"{"time":""#)),
        "{logs}"
    );
    assert!(
        lines[1].contains(r#""route":"/objects","status":401"#),
        "{logs}"
    );
}

#[tokio::test]
async fn a_header_that_is_not_utf8_never_reaches_the_component() {
    // Spin 4.0.2 answers an empty 500 before any component runs; the component's own answer to
    // such a token (401, never a trap) is `auth`'s unit test.
    let host = Host::builder().start().await;
    let mut request = get("/objects", None);
    let value = http::HeaderValue::from_bytes(b"Bearer dev-api-token\xff").unwrap();
    request.headers_mut().insert("authorization", value);
    let answer = host.send(request).await;
    assert_eq!((answer.status, answer.body.as_str()), (500, ""));
    assert!(!host.logs().contains(r#""route":"#), "{}", host.logs());
}

#[tokio::test]
async fn api_token_is_read_from_the_variable_at_request_time() {
    let host = Host::builder().var("api_token", "abc").start().await;
    expect(
        &host.send(get("/elsewhere", Some("abc"))).await,
        404,
        not_found(),
    );
    let answer = host.send(get("/elsewhere", Some("dev-api-token"))).await;
    expect(&answer, 401, unauthorized());
}

#[tokio::test]
async fn a_missing_variable_is_a_500_naming_it_and_one_log_line() {
    let host = Host::builder().unset("api_token").start().await;
    let answer = host.send(get("/objects", Some("dev-api-token"))).await;
    expect(
        &answer,
        500,
        json!({"error": {"code": "config", "message": "variable api_token is not set"}}),
    );
    // The error's line on stderr, then the request's line, both naming the request's id,
    // which the answer carries.
    let logs = host.logs();
    let lines: Vec<&str> = logs.lines().collect();
    assert_eq!(lines.len(), 2, "{logs}");
    let id = answer.headers["x-request-id"].to_str().unwrap();
    assert_eq!(
        lines[0],
        format!("spinlift: config error: variable api_token is not set (request {id})")
    );
    assert!(
        lines[1].contains(&format!(
            r#""request_id":"{id}","method":"GET","route":"/objects","status":500"#
        )),
        "{logs}"
    );
    // The readiness check needs no configuration at all.
    let answer = host.send(get("/healthz", None)).await;
    assert_eq!(answer.status, 200, "{answer:?}");
}

/// Every application variable of the default app and of the example app reaches its
/// component: one declared in `[variables]` but not passed in `[component.<id>.variables]`
/// is accepted by Spin, and a value deployed for it is silently never read (as
/// `s3_chunk_signing` once was). The template's rendered manifest is checked in
/// tests/template_app.rs.
#[test]
fn every_application_variable_reaches_the_component() {
    use std::path::Path;
    use support::manifest::Manifest;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for manifest in ["spin.toml", "examples/thumbnails/spin.toml"] {
        let unused = Manifest::load_from(&root.join(manifest))
            .unused_app_variables()
            .join(", ");
        assert_eq!(unused, "", "{manifest}: never passed to the component");
    }
}
