//! The router: method + path → handler, with authentication first.
//!
//! The app speaks `http` types only and never names `spin_sdk`, so it compiles
//! and is tested natively; `lib.rs` adapts it to Spin. Its dependencies come in
//! as arguments: the [`Variables`] source, the outbound [`HttpClient`] and the
//! request's time (read once, at the edge).
//!
//! Order of checks, so that a client learns nothing it is not entitled to:
//! 1. public routes (`GET /healthz`) answer without reading any configuration;
//! 2. every other request must carry `Authorization: Bearer <api_token>`,
//!    whether or not its path exists (401 otherwise, so unauthenticated probes
//!    cannot map the API);
//! 3. only then is an unknown route answered 404.

use http::{Method, Request, Response};

use crate::auth::{require_bearer, require_webhook_token};
use crate::body::Body;
use crate::cache::Cache;
use crate::config::{self, Variables};
use crate::error::ApiError;
use crate::indexer::Indexer;
use crate::outbound::HttpClient;
use crate::routes::s3_call::S3Call;
use crate::routes::{events, health, objects, presign};
use crate::sigv4::SigningTime;

/// Answers one request; errors become their JSON response, server errors are logged.
///
/// `cache` outlives the request (Spin's key-value store in the component).
/// `now` is read once by the caller (the component's clock seam) and signs every S3 call
/// this request makes.
pub async fn handle<C: HttpClient>(
    request: Request<Body>,
    vars: &dyn Variables,
    client: &C,
    cache: &dyn Cache,
    now: SigningTime,
) -> Response<Body> {
    match route(request, vars, client, cache, now).await {
        Ok(response) => response,
        Err(err) => {
            if let Some(line) = err.log_line() {
                // One line on stderr: Spin keeps component output as the app's log.
                eprintln!("spinlift: {line}");
            }
            err.into_response()
        }
    }
}

async fn route<C: HttpClient>(
    request: Request<Body>,
    vars: &dyn Variables,
    client: &C,
    cache: &dyn Cache,
    now: SigningTime,
) -> Result<Response<Body>, ApiError> {
    let (parts, body) = request.into_parts();
    let (method, path) = (&parts.method, parts.uri.path());
    if method == Method::GET && path == "/healthz" {
        return Ok(health::healthz());
    }
    // The webhook has its own secret: event senders never hold the API token.
    if path == "/events/s3" {
        let token = config::webhook_token(vars)?;
        require_webhook_token(&parts.headers, parts.uri.query(), &token)?;
        if method != Method::POST {
            return Err(ApiError::MethodNotAllowed("POST"));
        }
        let s3 = S3Call::load(vars, client, now)?;
        let indexer = Indexer::new(config::index_prefix(vars)?);
        return events::deliver(&s3, &indexer, vars, cache, &parts.headers, body).await;
    }
    // Loaded here, per request, so a rotated token applies without a redeploy.
    let token = config::api_token(vars)?;
    require_bearer(&parts.headers, &token)?;

    if path == "/objects" {
        if method != Method::GET {
            return Err(ApiError::MethodNotAllowed("GET"));
        }
        let s3 = S3Call::load(vars, client, now)?;
        return objects::list(&s3, parts.uri.query()).await;
    }
    if path == "/presign" {
        if method != Method::POST {
            return Err(ApiError::MethodNotAllowed("POST"));
        }
        return presign::presign(&S3Call::load(vars, client, now)?, body).await;
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
        return objects::copy(&S3Call::load(vars, client, now)?, &source, body).await;
    }
    let key = objects::parse_key(raw_key)?;
    let s3 = S3Call::load(vars, client, now)?;
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
        let response = futures::executor::block_on(handle(
            request,
            vars,
            &NoNetwork,
            &crate::cache::MemoryCache::default(),
            now,
        ));
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
