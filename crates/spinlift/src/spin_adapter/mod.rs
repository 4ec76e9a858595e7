//! The Spin side of the app's seams, over `spin_sdk`: variables, outbound HTTP, the clock,
//! and the conversions between WASI HTTP resources and `http` types with streamed bodies.
//!
//! Kept thin: all logic lives in the native, tested modules.

use crate::body::{Body, BodyError};
use crate::cache::Cache;
use crate::config::{VariableError, Variables};
use crate::env::{Env, LogStream, Sleep};
use crate::error::ApiError;
use crate::sigv4::SigningTime;

mod outbound;
use futures::StreamExt;
use outbound::SpinHttp;
use spin_sdk::http::{
    Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
};

/// Component variables from the Spin host (`fermyon:spin/variables`).
struct SpinVariables;

impl Variables for SpinVariables {
    fn get(&self, name: &str) -> Result<Option<String>, VariableError> {
        use spin_sdk::variables::{get, Error};
        match get(name) {
            Ok(value) => Ok(Some(value)),
            Err(Error::Undefined(_)) => Ok(None),
            // `Display` of the other kinds carries the provider's reason, not a value.
            Err(err) => Err(VariableError(err.to_string())),
        }
    }
}

/// Spin's default key-value store (`fermyon:spin/key-value`), granted in `spin.toml` by
/// `key_value_stores = ["default"]`. Best effort: a store that is missing or failing is
/// logged and treated as empty, so the worst case is a refetch.
struct SpinCache;

impl SpinCache {
    fn store() -> Option<spin_sdk::key_value::Store> {
        spin_sdk::key_value::Store::open_default()
            .inspect_err(|err| eprintln!("spinlift: key-value store unavailable: {err}"))
            .ok()
    }
}

impl Cache for SpinCache {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        Self::store()?
            .get(key)
            .inspect_err(|err| eprintln!("spinlift: key-value read failed: {err}"))
            .ok()
            .flatten()
    }

    fn set(&self, key: &str, value: &[u8]) {
        if let Some(Err(err)) = Self::store().map(|store| store.set(key, value)) {
            eprintln!("spinlift: key-value write failed: {err}");
        }
    }
}

/// The environment over WASI 0.2: `wasi:clocks` for time and sleep (a pollable the Spin
/// executor waits on, so other futures of the request run meanwhile), `wasi:random` for
/// jitter, stdout and stderr for the log, which Spin keeps as the app's log.
struct SpinEnv;

impl Env for SpinEnv {
    fn wall_time(&self) -> SigningTime {
        SigningTime::from_unix_seconds(wasi::clocks::wall_clock::now().seconds)
    }

    fn monotonic(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(wasi::clocks::monotonic_clock::now())
    }

    fn sleep(&self, duration: std::time::Duration) -> Sleep<'_> {
        use wasi::clocks::monotonic_clock;
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        let deadline = monotonic_clock::now().saturating_add(nanos);
        // Dropping the token (when done, or when the future is dropped) withdraws the waker.
        let mut token: Option<spin_executor::CancelOnDropToken> = None;
        Box::pin(futures::future::poll_fn(move |cx| {
            drop(token.take());
            if monotonic_clock::now() >= deadline {
                return std::task::Poll::Ready(());
            }
            let pollable = monotonic_clock::subscribe_instant(deadline);
            token =
                Some(spin_executor::push_waker_and_get_token(pollable, cx.waker().clone()).into());
            std::task::Poll::Pending
        }))
    }

    fn random_u64(&self) -> u64 {
        wasi::random::random::get_random_u64()
    }

    /// Not `println!`, which panics when the stream fails: a log line is never worth the answer.
    fn log(&self, stream: LogStream, line: &str) {
        use std::io::Write;
        let _ = match stream {
            LogStream::Request => writeln!(std::io::stdout().lock(), "{line}"),
            LogStream::Operator => writeln!(std::io::stderr().lock(), "{line}"),
        };
    }
}

/// WASI header fields from `http` headers. The host may refuse some (forbidden names);
/// dropping headers silently could drop `authorization` or `content-length`, so that is an error.
pub(super) fn fields(headers: &http::HeaderMap) -> Result<Fields, String> {
    let entries: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect();
    Fields::from_list(&entries).map_err(|err| format!("the host refused the headers: {err:?}"))
}

pub(super) fn chunk_error(err: impl std::fmt::Debug) -> BodyError {
    BodyError::io(format!("{err:?}"))
}

/// The incoming request as `http` types, its body streamed.
///
/// # Errors
/// 400 when the method, path or a header is not valid HTTP.
fn incoming(request: IncomingRequest) -> Result<http::Request<Body>, ApiError> {
    let mut builder = http::Request::builder()
        .method(method_name(&request.method()).as_str())
        .uri(request.path_with_query().unwrap_or_else(|| "/".to_owned()));
    for (name, value) in request.headers().entries() {
        builder = builder.header(name, value);
    }
    let body = Body::stream(
        request
            .into_body_stream()
            .map(|chunk| chunk.map_err(chunk_error)),
    );
    builder.body(body).map_err(|err| ApiError::BadRequest {
        code: "invalid_request",
        message: format!("the request is not valid HTTP: {err}"),
    })
}

/// How long a client's body may pause: `aws_between_bytes_timeout_ms`, the limit S3's
/// answers have too. An unreadable value is the default here; every route that calls AWS
/// reads it again and answers the configuration error.
fn client_pause() -> std::time::Duration {
    crate::config::between_bytes_timeout(&SpinVariables)
        .unwrap_or(crate::outbound::Timeouts::default().between_bytes)
}

/// A WASI timer that borrows nothing, for a body that outlives the request's context.
fn spin_sleep(duration: std::time::Duration) -> Sleep<'static> {
    const ENV: &SpinEnv = &SpinEnv;
    ENV.sleep(duration)
}

/// The method's name; spin-sdk's own conversion panics on unusual methods, this never does.
fn method_name(method: &Method) -> String {
    match method {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(other) => other.clone(),
    }
}

/// Writes `response` to the host, streaming its body. If the body breaks off (an upstream
/// answer cut short), the body is dropped unfinished, which WASI reports to the client as a
/// broken response rather than a complete, truncated one.
async fn respond(out: ResponseOutparam, response: http::Response<Body>) {
    let (parts, body) = response.into_parts();
    let headers = match fields(&parts.headers) {
        Ok(headers) => headers,
        Err(reason) => {
            eprintln!("spinlift: cannot answer: {reason}");
            return respond_plain_500(out);
        }
    };
    let outgoing = OutgoingResponse::new(headers);
    let _ = outgoing.set_status_code(parts.status.as_u16());
    let Ok(outgoing_body) = outgoing.body() else {
        return;
    };
    out.set(outgoing);
    let Ok(stream) = outgoing_body.write() else {
        return;
    };
    // Each chunk goes out in writes as large as the host's buffer takes (not 4 KiB blocking
    // writes), waiting only while that buffer is full; one flush ends the body.
    let mut chunks = body.into_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(err) => {
                // Dropping the body unfinished is how the client learns the answer is
                // broken; the operator learns why (a download failing its checksum, a store
                // connection lost mid-body).
                SpinEnv.log(
                    LogStream::Operator,
                    &format!("spinlift: answer broken off: {err}"),
                );
                return;
            }
        };
        let mut rest = &chunk[..];
        while !rest.is_empty() {
            let Ok(permitted) = stream.check_write() else {
                return;
            };
            if permitted == 0 {
                stream.subscribe().block();
                continue;
            }
            let permitted = usize::try_from(permitted).unwrap_or(usize::MAX);
            let (now, later) = rest.split_at(permitted.min(rest.len()));
            if stream.write(now).is_err() {
                return;
            }
            rest = later;
        }
    }
    if stream.blocking_flush().is_err() {
        return;
    }
    drop(stream);
    let _ = OutgoingBody::finish(outgoing_body, None);
}

fn respond_plain_500(out: ResponseOutparam) {
    let outgoing = OutgoingResponse::new(Fields::new());
    let _ = outgoing.set_status_code(500);
    out.set(outgoing);
}

impl crate::app::App {
    /// Serves one Spin request: WASI HTTP in, [`App::handle`](crate::app::App::handle) with
    /// Spin's variables, key-value store, outbound HTTP and the WASI environment, WASI HTTP
    /// out, bodies streamed. A component's `#[http_component]` entry calls it.
    pub async fn serve(&self, request: IncomingRequest, out: ResponseOutparam) {
        let response = match incoming(request) {
            Ok(request) => {
                let request = request.map(|body| body.idle_limited(client_pause(), spin_sleep));
                let cx = crate::app::Context {
                    vars: &SpinVariables,
                    client: &SpinHttp,
                    cache: &SpinCache,
                    env: &SpinEnv,
                };
                self.handle(request, &cx).await
            }
            Err(err) => err.into_response(),
        };
        respond(out, response).await;
    }
}
