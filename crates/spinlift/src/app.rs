//! The default app: CORS, then the [`Route`] parsed from the request, its credentials
//! checked, its handler run, and one log line.
//!
//! The app speaks `http` types only and never names `spin_sdk`, so it compiles
//! and is tested natively; `lib.rs` adapts it to Spin. Its dependencies come in
//! through a [`Context`]: the [`Variables`] source, the outbound [`HttpClient`],
//! the cache and the [`Env`] (time, sleep, randomness, logging).
//!
//! Order of checks, so that a client learns nothing it is not entitled to:
//! 1. CORS preflights are answered from the CORS variables alone;
//! 2. public routes (`GET /healthz`) answer without reading any other configuration;
//! 3. every other request must carry `Authorization: Bearer <api_token>` (the
//!    webhook: `webhook_token`), whether or not its path exists (401 otherwise,
//!    so unauthenticated probes cannot map the API);
//! 4. only then is an unknown route answered 404.

use http::{header, HeaderValue, Method, Request, Response};

use crate::auth::{require_bearer, require_webhook_token};
use crate::body::Body;
use crate::cache::Cache;
use crate::client::aws::AwsCall;
use crate::client::credentials;
use crate::client::s3::S3Call;
use crate::client::services::Services;
use crate::clock::Clock;
use crate::config::{self, Variables};
use crate::cors::Cors;
use crate::env::{Env, LogStream};
use crate::error::ApiError;
use crate::indexer::Indexer;
use crate::outbound::HttpClient;
use crate::retry::{CallStats, Resilient};
use crate::router::{Access, ObjectMethod, Resource, Route};
use crate::routes::{events, health, lambda, objects, presign};
use crate::sigv4::{Signer, SigningTime};
use std::time::Duration;

/// What a request is served with: the seams to the host, read at the edge.
pub struct Context<'a, C> {
    /// Configuration and secrets.
    pub vars: &'a dyn Variables,
    /// Outbound HTTP (to AWS).
    pub client: &'a C,
    /// A cache that outlives the request (Spin's key-value store in the component).
    pub cache: &'a dyn Cache,
    /// Time, sleep, randomness and logging.
    pub env: &'a dyn Env,
}

/// Answers one request: CORS first (preflights need no credentials), then the routes.
/// Errors become their JSON response; server errors are logged. Every request ends with
/// one log line on stdout (see `log_line`).
pub async fn handle<C: HttpClient>(request: Request<Body>, cx: &Context<'_, C>) -> Response<Body> {
    let now = cx.env.wall_time();
    let started = cx.env.monotonic();
    let method = request.method().clone();
    let label = Route::parse(&method, request.uri().path(), request.uri().query()).label();
    let stats = CallStats::default();
    let response = match cors_for(&request, cx) {
        Ok(cors) => with_cors(cors, answer(cx.env, dispatch(request, cx, &stats).await)),
        Err(answer) => *answer,
    };
    let line = log_line(
        now,
        &method,
        label,
        response.status(),
        cx.env.monotonic().saturating_sub(started),
        &stats,
    );
    cx.env.log(LogStream::Request, &line);
    response
}

/// A request carried by a Lambda event, answered as a direct one is, CORS included, but
/// without its own credentials: the `POST /lambda` call that carried it was authenticated
/// with `api_token`, as API Gateway or an ALB authenticates before invoking a Lambda
/// (`api_token` therefore also grants what `webhook_token` does). Events do not nest: a
/// carried request for `/lambda` finds nothing.
async fn forwarded<C: HttpClient>(
    request: Request<Body>,
    cx: &Context<'_, C>,
    stats: &CallStats,
) -> Response<Body> {
    let cors = match cors_for(&request, cx) {
        Ok(cors) => cors,
        Err(answer) => return *answer,
    };
    let (parts, body) = request.into_parts();
    let route = match Route::parse(&parts.method, parts.uri.path(), parts.uri.query()) {
        Route::Lambda | Route::WrongMethod(Resource::Lambda) => Route::NotFound,
        route => route,
    };
    with_cors(
        cors,
        answer(cx.env, run(route, &parts, body, cx, stats).await),
    )
}

/// The request's log line, JSON (the CloudWatch line of the Lambda it replaces): when, what
/// route, the status, how long until the answer's head, how many AWS calls and retries it
/// took, and the last AWS request id (what AWS support asks for). Nothing from the request
/// itself beyond its method and route.
fn log_line(
    now: SigningTime,
    method: &Method,
    route: &'static str,
    status: http::StatusCode,
    duration: Duration,
    stats: &CallStats,
) -> String {
    let text = |value: &str| serde_json::Value::from(value).to_string();
    format!(
        r#"{{"time":"{}","method":{},"route":"{route}","status":{},"duration_ms":{},"aws_calls":{},"retries":{},"aws_request_id":{}}}"#,
        now.rfc3339(),
        text(method.as_str()),
        status.as_u16(),
        (duration.as_secs_f64() * 10_000.0).round() / 10.0,
        stats.calls(),
        stats.retries(),
        stats
            .aws_request_id()
            .map_or_else(|| "null".to_owned(), |id| text(&id)),
    )
}

/// What a route that calls AWS sends with: the client with retries and timeouts (from their
/// variables), and the signing clock.
fn outbound<'a, C>(
    cx: &'a Context<'a, C>,
    stats: &'a CallStats,
) -> Result<(Resilient<'a, C>, Clock<'a>), ApiError> {
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
fn cors_for<C>(
    request: &Request<Body>,
    cx: &Context<'_, C>,
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
type BrowserCors = (Cors, Option<HeaderValue>);

fn with_cors(cors: Option<BrowserCors>, mut response: Response<Body>) -> Response<Body> {
    if let Some((cors, origin)) = cors {
        cors.decorate(origin.as_ref(), response.headers_mut());
    }
    response
}

/// A route's result as a response; a server error's log line goes to stderr, which Spin
/// keeps as the app's log.
fn answer(env: &dyn Env, result: Result<Response<Body>, ApiError>) -> Response<Body> {
    result.unwrap_or_else(|err| {
        if let Some(line) = err.log_line() {
            env.log(LogStream::Operator, &format!("spinlift: {line}"));
        }
        err.into_response()
    })
}

/// Checks what `route` asks of a direct caller. Tokens are read here, per request, so a
/// rotated token applies without a redeploy.
fn authorize(
    route: &Route<'_>,
    parts: &http::request::Parts,
    vars: &dyn Variables,
) -> Result<(), ApiError> {
    match route.access() {
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

/// A direct request: its credentials checked, then its route run. `POST /lambda` unwraps an
/// invocation event and routes what it carries (see [`forwarded`]).
async fn dispatch<C: HttpClient>(
    request: Request<Body>,
    cx: &Context<'_, C>,
    stats: &CallStats,
) -> Result<Response<Body>, ApiError> {
    let (parts, body) = request.into_parts();
    let route = Route::parse(&parts.method, parts.uri.path(), parts.uri.query());
    authorize(&route, &parts, cx.vars)?;
    match route {
        Route::Lambda => lambda::invoke(body, cx.env, |inner| forwarded(inner, cx, stats)).await,
        route => run(route, &parts, body, cx, stats).await,
    }
}

/// Runs a route whose caller is settled (checked, or carried by an invocation event).
async fn run<C: HttpClient>(
    route: Route<'_>,
    parts: &http::request::Parts,
    body: Body,
    cx: &Context<'_, C>,
    stats: &CallStats,
) -> Result<Response<Body>, ApiError> {
    let vars = cx.vars;
    match route {
        Route::Health => Ok(health::healthz()),
        Route::DeepHealth => {
            let (client, clock) = outbound(cx, stats)?;
            let client = &client;
            let resolved = credentials::resolve(vars, client, cx.cache, &clock).await?;
            let signer = Signer::new(resolved.credentials);
            let sts = AwsCall::new(vars, client, signer, resolved.aws.region, &clock);
            health::deep(&sts).await
        }
        // Only `dispatch` unwraps invocation events.
        Route::Lambda | Route::NotFound => Err(ApiError::NotFound),
        Route::Events => {
            let (client, clock) = outbound(cx, stats)?;
            let services = Services::load(vars, &client, cx.cache, &clock).await?;
            let indexer = Indexer::from_settings(config::index(vars)?);
            events::deliver(&services, &indexer, vars, cx.cache, &parts.headers, body).await
        }
        Route::ListObjects => {
            let (client, clock) = outbound(cx, stats)?;
            let s3 = S3Call::load(vars, &client, cx.cache, &clock).await?;
            objects::list(&s3, parts.uri.query()).await
        }
        Route::Presign => {
            let (client, clock) = outbound(cx, stats)?;
            presign::presign(&S3Call::load(vars, &client, cx.cache, &clock).await?, body).await
        }
        Route::CopyObject(source) => {
            let source = objects::parse_key(source)?;
            let (client, clock) = outbound(cx, stats)?;
            let s3 = S3Call::load(vars, &client, cx.cache, &clock).await?;
            objects::copy(&s3, &source, body).await
        }
        Route::Object(method, raw_key) => {
            let key = objects::parse_key(raw_key)?;
            let (client, clock) = outbound(cx, stats)?;
            let s3 = S3Call::load(vars, &client, cx.cache, &clock).await?;
            match method {
                ObjectMethod::Get => objects::get(&s3, &key, &parts.headers).await,
                ObjectMethod::Head => objects::head(&s3, &key).await,
                ObjectMethod::Put => {
                    let threshold = config::multipart_threshold(vars)?;
                    objects::put(&s3, &key, &parts.headers, body, threshold).await
                }
                ObjectMethod::Delete => objects::delete(&s3, &key).await,
            }
        }
        Route::WrongMethod(resource) => Err(resource
            .allow()
            .map_or(ApiError::NotFound, ApiError::MethodNotAllowed)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::FakeEnv;
    use std::collections::BTreeMap;

    fn vars(api_token: Option<&str>) -> BTreeMap<String, String> {
        api_token
            .map(|t| ("api_token".to_owned(), t.to_owned()))
            .into_iter()
            .collect()
    }

    /// A client for routes that must not reach S3: every call is refused.
    struct NoNetwork;

    impl HttpClient for NoNetwork {
        async fn send(
            &self,
            _: Request<()>,
            _: Body,
        ) -> Result<Response<Body>, crate::outbound::TransportError> {
            panic!("this route must not call out")
        }
    }

    fn call(
        method: &str,
        uri: &str,
        auth: Option<&str>,
        vars: &dyn Variables,
    ) -> (u16, String, Option<String>) {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let request = request.body(Body::Empty).unwrap();
        let env = FakeEnv::at(SigningTime::from_unix_seconds(1_700_000_000));
        let cx = Context {
            vars,
            client: &NoNetwork,
            cache: &crate::cache::MemoryCache::default(),
            env: &env,
        };
        let response = futures::executor::block_on(handle(request, &cx));
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = match response.body() {
            Body::Bytes(bytes) => String::from_utf8(bytes.clone()).unwrap(),
            other => panic!("expected a JSON body, got {other:?}"),
        };
        (response.status().as_u16(), body, challenge)
    }

    const UNAUTHORIZED: &str =
        r#"{"error":{"code":"unauthorized","message":"a valid bearer token is required"}}"#;
    const NOT_FOUND: &str = r#"{"error":{"code":"not_found","message":"no such route"}}"#;

    #[test]
    fn healthz_needs_neither_auth_nor_config() {
        let (status, body, _) = call("GET", "/healthz", None, &vars(None));
        assert_eq!(status, 200);
        assert!(body.starts_with(r#"{"status":"ok","version":""#), "{body}");
    }

    #[test]
    fn other_paths_require_the_bearer_token_before_404() {
        let vars = vars(Some("t0ken"));
        let cases = [
            ("GET", "/objects", None, 401, UNAUTHORIZED),
            ("GET", "/objects", Some("Bearer wrong"), 401, UNAUTHORIZED),
            ("GET", "/elsewhere", Some("Bearer t0ken"), 404, NOT_FOUND),
            ("POST", "/healthz", None, 401, UNAUTHORIZED),
            ("POST", "/healthz", Some("Bearer t0ken"), 404, NOT_FOUND),
            ("GET", "/healthz/", Some("Bearer t0ken"), 404, NOT_FOUND),
            ("GET", "/", Some("Bearer t0ken"), 404, NOT_FOUND),
        ];
        for (method, uri, auth, status, body) in cases {
            let (got_status, got_body, challenge) = call(method, uri, auth, &vars);
            assert_eq!(
                (got_status, got_body.as_str()),
                (status, body),
                "{method} {uri}"
            );
            let expected_challenge = (status == 401).then(|| "Bearer".to_owned());
            assert_eq!(challenge, expected_challenge, "{method} {uri}");
        }
    }

    #[test]
    fn a_missing_api_token_is_a_config_error_not_an_open_door() {
        let (status, body, _) = call("GET", "/objects", Some("Bearer "), &vars(None));
        assert_eq!(status, 500);
        assert_eq!(
            body,
            r#"{"error":{"code":"config","message":"variable api_token is not set"}}"#
        );
    }

    #[test]
    fn every_request_logs_one_json_line_naming_the_route_not_the_key() {
        let env = FakeEnv::at(SigningTime::from_unix_seconds(1_700_000_000));
        let vars = vars(Some("t0ken"));
        for (method, uri) in [
            ("GET", "/healthz"),
            ("PUT", "/objects/secret%20plans.txt?X-Amz-Signature=abc"),
            ("POST", "/objects/a/copy"),
        ] {
            let request = Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::Empty)
                .unwrap();
            let cx = Context {
                vars: &vars,
                client: &NoNetwork,
                cache: &crate::cache::MemoryCache::default(),
                env: &env,
            };
            futures::executor::block_on(handle(request, &cx));
        }
        let lines = env.lines(LogStream::Request);
        assert_eq!(lines.len(), 3);
        let parsed: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let summary: Vec<(&str, &str, u64)> = parsed
            .iter()
            .map(|v| {
                (
                    v["method"].as_str().unwrap(),
                    v["route"].as_str().unwrap(),
                    v["status"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("GET", "/healthz", 200),
                ("PUT", "/objects/{key}", 401),
                ("POST", "/objects/{key}/copy", 401)
            ]
        );
        assert!(lines[0].starts_with(r#"{"time":"2023-11-14T22:13:20Z","method":"GET""#));
        assert_eq!(parsed[1]["aws_calls"], 0);
        assert!(parsed[1]["aws_request_id"].is_null());
        assert!(!lines[1].contains("secret") && !lines[1].contains("Signature"));
    }

    #[test]
    fn full_urls_route_by_path() {
        let uri = "http://127.0.0.1:3000/healthz?probe=1";
        assert_eq!(call("GET", uri, None, &vars(None)).0, 200);
    }
}
