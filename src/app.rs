//! The router: method + path → handler, with authentication first.
//!
//! The app speaks `http` types only and never names `spin_sdk`, so it compiles
//! and is tested natively; `lib.rs` adapts it to Spin. Its dependencies come in
//! through a [`Context`]: the [`Variables`] source, the outbound [`HttpClient`],
//! the cache and the request's time (read once, at the edge).
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
use crate::config::{self, Variables};
use crate::cors::Cors;
use crate::error::ApiError;
use crate::indexer::Indexer;
use crate::outbound::HttpClient;
use crate::routes::aws_call::AwsCall;
use crate::routes::credentials;
use crate::routes::s3_call::S3Call;
use crate::routes::services::Services;
use crate::routes::{events, health, lambda, objects, presign};
use crate::sigv4::{Signer, SigningTime};

/// What a request is served with: the seams to the host, read at the edge.
pub struct Context<'a, C> {
    /// Configuration and secrets.
    pub vars: &'a dyn Variables,
    /// Outbound HTTP (to AWS).
    pub client: &'a C,
    /// A cache that outlives the request (Spin's key-value store in the component).
    pub cache: &'a dyn Cache,
    /// The request's time, read once: it signs every AWS call this request makes.
    pub now: SigningTime,
}

/// Who sent the request a route sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// A client over HTTP: every route checks its credentials.
    Direct,
    /// A request unwrapped from a Lambda event: the `POST /lambda` call that carried it
    /// was authenticated with `api_token`, as API Gateway or an ALB authenticates before
    /// invoking a Lambda. `api_token` therefore also grants what `webhook_token` does.
    Forwarded,
}

/// Answers one request: CORS first (preflights need no credentials), then the routes.
/// Errors become their JSON response; server errors are logged.
pub async fn handle<C: HttpClient>(request: Request<Body>, cx: &Context<'_, C>) -> Response<Body> {
    let cors = match cors_for(&request, cx.vars) {
        Ok(cors) => cors,
        Err(answer) => return *answer,
    };
    with_cors(cors, answer(dispatch(request, cx).await))
}

/// A request carried by a Lambda event, answered as a direct one is, CORS included.
async fn forwarded<C: HttpClient>(request: Request<Body>, cx: &Context<'_, C>) -> Response<Body> {
    let cors = match cors_for(&request, cx.vars) {
        Ok(cors) => cors,
        Err(answer) => return *answer,
    };
    with_cors(cors, answer(route(request, cx, Caller::Forwarded).await))
}

/// The CORS policy and origin to mark the answer with, when the request comes from a
/// browser (has an `Origin`); `Err` is the whole answer: a preflight's, or the
/// configuration error when the CORS variables cannot be read. Requests without an
/// `Origin` read no CORS variable, so `/healthz` still reads nothing.
fn cors_for(
    request: &Request<Body>,
    vars: &dyn Variables,
) -> Result<Option<(Cors, HeaderValue)>, Box<Response<Body>>> {
    let Some(origin) = request.headers().get(header::ORIGIN).cloned() else {
        return Ok(None);
    };
    let cors = config::cors(vars).map_err(|err| Box::new(answer(Err(err.into()))))?;
    match cors.preflight(request.method(), request.headers()) {
        Some(preflight) => Err(Box::new(preflight)),
        None => Ok(Some((cors, origin))),
    }
}

fn with_cors(cors: Option<(Cors, HeaderValue)>, mut response: Response<Body>) -> Response<Body> {
    if let Some((cors, origin)) = cors {
        cors.decorate(Some(&origin), response.headers_mut());
    }
    response
}

/// A route's result as a response; a server error's log line goes to stderr, which Spin
/// keeps as the app's log.
fn answer(result: Result<Response<Body>, ApiError>) -> Response<Body> {
    result.unwrap_or_else(|err| {
        if let Some(line) = err.log_line() {
            eprintln!("spinlift: {line}");
        }
        err.into_response()
    })
}

/// `POST /lambda` unwraps an invocation event and routes what it carries; everything else
/// goes to the routes directly.
async fn dispatch<C: HttpClient>(
    request: Request<Body>,
    cx: &Context<'_, C>,
) -> Result<Response<Body>, ApiError> {
    if request.uri().path() != "/lambda" {
        return route(request, cx, Caller::Direct).await;
    }
    let token = config::api_token(cx.vars)?;
    require_bearer(request.headers(), &token)?;
    if request.method() != Method::POST {
        return Err(ApiError::MethodNotAllowed("POST"));
    }
    lambda::invoke(request.into_body(), |inner| forwarded(inner, cx)).await
}

async fn route<C: HttpClient>(
    request: Request<Body>,
    cx: &Context<'_, C>,
    caller: Caller,
) -> Result<Response<Body>, ApiError> {
    let (vars, client, now) = (cx.vars, cx.client, cx.now);
    let (parts, body) = request.into_parts();
    let (method, path) = (&parts.method, parts.uri.path());
    let deep = parts
        .uri
        .query()
        .is_some_and(|q| q.split('&').any(|p| p == "deep=1"));
    if method == Method::GET && path == "/healthz" && !deep {
        return Ok(health::healthz());
    }
    // The webhook has its own secret, so event senders never need the API token.
    if path == "/events/s3" {
        if caller == Caller::Direct {
            let token = config::webhook_token(vars)?;
            require_webhook_token(&parts.headers, parts.uri.query(), &token)?;
        }
        if method != Method::POST {
            return Err(ApiError::MethodNotAllowed("POST"));
        }
        let services = Services::load(vars, client, cx.cache, now).await?;
        let indexer =
            Indexer::new(config::index_prefix(vars)?).with_mirrors(config::mirrors(vars)?);
        return events::deliver(&services, &indexer, vars, cx.cache, &parts.headers, body).await;
    }
    if caller == Caller::Direct {
        // Loaded here, per request, so a rotated token applies without a redeploy.
        let token = config::api_token(vars)?;
        require_bearer(&parts.headers, &token)?;
    }

    if method == Method::GET && path == "/healthz" {
        let resolved = credentials::resolve(vars, client, cx.cache, now).await?;
        let signer = Signer::new(resolved.credentials);
        let sts = AwsCall::new(vars, client, signer, resolved.aws.region, now);
        return health::deep(&sts).await;
    }
    if path == "/objects" {
        if method != Method::GET {
            return Err(ApiError::MethodNotAllowed("GET"));
        }
        let s3 = S3Call::load(vars, client, cx.cache, now).await?;
        return objects::list(&s3, parts.uri.query()).await;
    }
    if path == "/presign" {
        if method != Method::POST {
            return Err(ApiError::MethodNotAllowed("POST"));
        }
        return presign::presign(&S3Call::load(vars, client, cx.cache, now).await?, body).await;
    }
    let Some(raw_key) = path.strip_prefix("/objects/") else {
        return Err(ApiError::NotFound);
    };
    // POST has one meaning under /objects/: copy. Every other method names the whole key.
    if method == Method::POST {
        let source = raw_key
            .strip_suffix("/copy")
            .ok_or(ApiError::MethodNotAllowed("GET, HEAD, PUT, DELETE"))?;
        let source = objects::parse_key(source)?;
        return objects::copy(
            &S3Call::load(vars, client, cx.cache, now).await?,
            &source,
            body,
        )
        .await;
    }
    let key = objects::parse_key(raw_key)?;
    let s3 = S3Call::load(vars, client, cx.cache, now).await?;
    match *method {
        Method::GET => objects::get(&s3, &key, &parts.headers).await,
        Method::HEAD => objects::head(&s3, &key).await,
        Method::PUT => objects::put(&s3, &key, &parts.headers, body).await,
        Method::DELETE => objects::delete(&s3, &key).await,
        _ => Err(ApiError::MethodNotAllowed("GET, HEAD, PUT, DELETE")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let now = SigningTime::from_unix_seconds(1_700_000_000);
        let cx = Context {
            vars,
            client: &NoNetwork,
            cache: &crate::cache::MemoryCache::default(),
            now,
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
    fn full_urls_route_by_path() {
        let uri = "http://127.0.0.1:3000/healthz?probe=1";
        assert_eq!(call("GET", uri, None, &vars(None)).0, 200);
    }
}
