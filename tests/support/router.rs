//! The default component's router driven natively, with no wasm and no peers (`tests/fuzz.rs`,
//! `tests/hostile.rs`, `tests/answer_sizes.rs`): the variables it runs with, the upstream its
//! AWS calls reach, and one request served.

use futures::executor::block_on;
use spinlift::app::{handle, Context};
use spinlift::body::Body;
use spinlift::cache::MemoryCache;
use spinlift::env::FakeEnv;
use spinlift::outbound::{HttpClient, TransportError};
use spinlift::sigv4::SigningTime;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What spin.toml would give a router whose AWS calls go to a test upstream: the API token
/// `t0ken`, the webhook token `w3bhook`, CORS for `https://app.example.com`, and retries
/// that do not wait.
pub fn variables() -> BTreeMap<String, String> {
    [
        ("aws_region", "us-east-1"),
        ("aws_access_key_id", "spinlift-dev"),
        ("aws_secret_access_key", "spinlift-dev-secret"),
        ("s3_bucket", "spinlift-dev"),
        ("s3_scheme", "http"),
        ("s3_host", "127.0.0.1:8014"),
        ("s3_path_style", "true"),
        ("api_token", "t0ken"),
        ("webhook_token", "w3bhook"),
        ("index_prefix", "_index/"),
        ("sns_cert_origin", "http://127.0.0.1:9911"),
        ("cors_allowed_origins", "https://app.example.com"),
        ("aws_retry_base_ms", "0"),
        ("sts_endpoint", "http://127.0.0.1:5000"),
        ("dynamodb_endpoint", "http://127.0.0.1:5000"),
        ("sqs_endpoint", "http://127.0.0.1:5000"),
        ("sns_endpoint", "http://127.0.0.1:5000"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The router's answer to `request`, run with `vars` against `upstream`, at one fixed time and
/// with an empty cache.
pub fn serve(
    upstream: &Upstream,
    vars: &BTreeMap<String, String>,
    request: http::Request<Body>,
) -> http::Response<Body> {
    let env = FakeEnv::at(SigningTime::from_unix_seconds(1_795_424_400));
    let cx = Context {
        vars,
        client: upstream,
        cache: &MemoryCache::default(),
        env: &env,
    };
    block_on(handle(request, &cx))
}

/// Answers every call from `answer`, counting them.
pub struct Upstream {
    /// How many calls it has answered.
    pub calls: AtomicUsize,
    answer: fn(usize, &http::Request<()>) -> (u16, String),
}

impl Upstream {
    pub fn new(answer: fn(usize, &http::Request<()>) -> (u16, String)) -> Self {
        Self {
            calls: AtomicUsize::new(0),
            answer,
        }
    }
}

impl HttpClient for Upstream {
    async fn send(
        &self,
        request: http::Request<()>,
        _: Body,
    ) -> Result<http::Response<Body>, TransportError> {
        let call = self.calls.fetch_add(1, Ordering::Relaxed);
        let (status, body) = (self.answer)(call, &request);
        Ok(http::Response::builder()
            .status(status)
            .body(Body::Bytes(body.into_bytes()))
            .unwrap())
    }
}

/// Every object is missing.
pub fn no_such_key(_: usize, _: &http::Request<()>) -> (u16, String) {
    let error = "<Error><Code>NoSuchKey</Code><Message>none</Message></Error>";
    (404, error.to_owned())
}
