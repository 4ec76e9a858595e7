//! The steps every request takes around its route: CORS, the credentials a route asks for,
//! the outbound client and clock, the answer for an error, and the request's log line.

use super::ErasedContext;
use crate::auth::{require_bearer, require_webhook_token};
use crate::body::Body;
use crate::clock::Clock;
use crate::config::{self, Variables};
use crate::cors::Cors;
use crate::env::{Env, LogStream};
use crate::error::ApiError;
use crate::outbound::Erased;
use crate::retry::{CallStats, Resilient};
use crate::router::Access;
use crate::sigv4::SigningTime;
use http::{header, HeaderValue, Method, Request, Response};
use std::time::Duration;

/// A request's id, as a Lambda invocation had one: a random UUID (version 4), for the log
/// line, the answer's `x-request-id` and the handler ([`super::RouteContext::request_id`]).
pub(super) fn new_request_id(env: &dyn Env) -> String {
    uuid_v4(env.random_u64(), env.random_u64())
}

/// The version 4 UUID of 128 random bits (six of them replaced by the version and variant).
fn uuid_v4(high: u64, low: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0x0fff,
        8 | (low >> 62),
        (low >> 48) & 0x0fff,
        low & 0xffff_ffff_ffff,
    )
}

/// The request's environment as its code sees it: the host's, with each operator line
/// (stderr: a server error, a retry, a clock correction, a handler's own) ending in the
/// request's id, so the reason for a failure is found next to the request's log line.
pub(super) struct RequestEnv<'a> {
    pub(super) host: &'a dyn Env,
    pub(super) id: &'a str,
}

impl Env for RequestEnv<'_> {
    fn wall_time(&self) -> SigningTime {
        self.host.wall_time()
    }

    fn monotonic(&self) -> Duration {
        self.host.monotonic()
    }

    fn sleep(&self, duration: Duration) -> crate::env::Sleep<'_> {
        self.host.sleep(duration)
    }

    fn random_u64(&self) -> u64 {
        self.host.random_u64()
    }

    fn log(&self, stream: LogStream, line: &str) {
        match stream {
            LogStream::Operator => self
                .host
                .log(stream, &format!("{line} (request {})", self.id)),
            LogStream::Request => self.host.log(stream, line),
        }
    }
}

/// The request's log line, JSON (the CloudWatch line of the Lambda it replaces): when, which
/// request (its id), what route, the status, how long until the answer's head, how many AWS
/// calls and retries it took, and the last AWS request id (what AWS support asks for).
/// Nothing from the request itself beyond its method and route.
pub(super) fn log_line(
    now: SigningTime,
    method: &Method,
    route: &str,
    status: http::StatusCode,
    duration: Duration,
    stats: &CallStats,
) -> String {
    let text = |value: &str| serde_json::Value::from(value).to_string();
    format!(
        r#"{{"time":"{}","request_id":{},"method":{},"route":{},"status":{},"duration_ms":{},"aws_calls":{},"retries":{},"aws_request_id":{}}}"#,
        now.rfc3339(),
        text(stats.request_id()),
        text(method.as_str()),
        text(route),
        status.as_u16(),
        Tenths::of(duration),
        stats.calls(),
        stats.retries(),
        stats
            .aws_request_id()
            .map_or_else(|| "null".to_owned(), |id| text(&id)),
    )
}

/// Milliseconds to one decimal, from tenths, in integers: formatting an `f64` would link
/// core's float printing (about 14 KB of code) into every component for one log field.
struct Tenths(u128);

impl Tenths {
    /// Rounded half up.
    fn of(duration: Duration) -> Self {
        Self((duration.as_micros() + 50) / 100)
    }
}

impl std::fmt::Display for Tenths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

/// What a route that calls AWS sends with: the client with retries and timeouts (from their
/// variables), and the signing clock.
pub(super) fn outbound<'a>(
    cx: &'a ErasedContext<'a>,
    stats: &'a CallStats,
) -> Result<(Resilient<'a, Erased<'a>>, Clock<'a>), ApiError> {
    let policy = config::retry_policy(cx.vars)?;
    let timeouts = config::timeouts(cx.vars)?;
    Ok((
        Resilient::new(cx.client, policy, timeouts, stats, cx.env),
        Clock::new(cx.env, cx.cache),
    ))
}

/// The CORS policy and origin to mark the answer with; `Err` is the whole answer: a
/// preflight's, or the configuration error when a browser's request (one with an `Origin`)
/// meets CORS variables that cannot be read. Without an `Origin`, unreadable CORS variables
/// are no error (`/healthz` must answer whatever they hold), but an answer still says
/// `Vary: Origin` when CORS is on, so a shared cache never serves it to a browser.
pub(super) fn cors_for(
    request: &Request<Body>,
    cx: &ErasedContext<'_>,
) -> Result<Option<BrowserCors>, Box<Response<Body>>> {
    let vars = cx.vars;
    let Some(origin) = request.headers().get(header::ORIGIN).cloned() else {
        return Ok(config::cors(vars)
            .ok()
            .map(|cors| (Cors::from_settings(&cors), None)));
    };
    let cors = config::cors(vars)
        .map(|cors| Cors::from_settings(&cors))
        .map_err(|err| Box::new(answer(cx.env, Err(err.into()))))?;
    match cors.preflight(request.method(), request.headers()) {
        Some(preflight) => Err(Box::new(preflight)),
        None => Ok(Some((cors, Some(origin)))),
    }
}

/// The CORS policy, and the request's `Origin` when it has one.
pub(super) type BrowserCors = (Cors, Option<HeaderValue>);

pub(super) fn with_cors(cors: Option<BrowserCors>, mut response: Response<Body>) -> Response<Body> {
    if let Some((cors, origin)) = cors {
        cors.decorate(origin.as_ref(), response.headers_mut());
    }
    response
}

/// A route's result as a response; a server error's log line goes to stderr, which Spin
/// keeps as the app's log.
pub(super) fn answer(env: &dyn Env, result: Result<Response<Body>, ApiError>) -> Response<Body> {
    result.unwrap_or_else(|err| {
        if let Some(line) = err.log_line() {
            env.log(LogStream::Operator, &format!("spinlift: {line}"));
        }
        err.into_response()
    })
}

/// Checks what a route asks of a direct caller. Tokens are read here, per request, so a
/// rotated token applies without a redeploy.
pub(super) fn authorize(
    access: Access,
    parts: &http::request::Parts,
    vars: &dyn Variables,
) -> Result<(), ApiError> {
    match access {
        Access::Public => Ok(()),
        Access::Webhook => {
            let token = config::webhook_token(vars)?;
            Ok(require_webhook_token(
                &parts.headers,
                parts.uri.query(),
                &token,
            )?)
        }
        Access::Api => {
            let token = config::api_token(vars)?;
            Ok(require_bearer(&parts.headers, &token)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{uuid_v4, RequestEnv, Tenths};
    use crate::env::{Env, FakeEnv, LogStream};
    use crate::sigv4::SigningTime;
    use std::time::Duration;

    #[test]
    fn request_ids_are_version_4_uuids_padded_whatever_the_bits() {
        assert_eq!(uuid_v4(0, 0), "00000000-0000-4000-8000-000000000000");
        assert_eq!(
            uuid_v4(u64::MAX, u64::MAX),
            "ffffffff-ffff-4fff-bfff-ffffffffffff"
        );
        assert_eq!(
            uuid_v4(0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210),
            "01234567-89ab-4def-bedc-ba9876543210"
        );
    }

    #[test]
    fn a_requests_operator_lines_end_in_its_id_and_its_log_line_does_not() {
        let host = FakeEnv::at(SigningTime::from_unix_seconds(0));
        let env = RequestEnv {
            host: &host,
            id: "the-id",
        };
        env.log(LogStream::Operator, "spinlift: retry 1");
        env.log(LogStream::Request, "{}");
        assert_eq!(
            host.lines(LogStream::Operator),
            ["spinlift: retry 1 (request the-id)"]
        );
        assert_eq!(host.lines(LogStream::Request), ["{}"]);
    }

    #[test]
    fn durations_are_milliseconds_to_one_decimal_rounded_half_up() {
        let tenths = |d: Duration| Tenths::of(d).to_string();
        assert_eq!(tenths(Duration::ZERO), "0.0");
        assert_eq!(tenths(Duration::from_micros(3_249)), "3.2");
        assert_eq!(tenths(Duration::from_micros(3_250)), "3.3");
        assert_eq!(tenths(Duration::from_millis(12_345)), "12345.0");
        // A JSON number, as the float was.
        let parsed: serde_json::Value =
            serde_json::from_str(&tenths(Duration::from_micros(7_960))).unwrap();
        assert_eq!(parsed.as_f64(), Some(8.0));
    }
}
