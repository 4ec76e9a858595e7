//! The router: method + path → handler, with authentication first.
//!
//! The app speaks `http` types only and never names `spin_sdk`, so it compiles
//! and is tested natively; `lib.rs` adapts it to Spin. Its dependencies come in
//! as arguments (for now the [`Variables`] source; later the outbound HTTP
//! client and the clock).
//!
//! Order of checks, so that a client learns nothing it is not entitled to:
//! 1. public routes (`GET /healthz`) answer without reading any configuration;
//! 2. every other request must carry `Authorization: Bearer <api_token>`,
//!    whether or not its path exists (401 otherwise, so unauthenticated probes
//!    cannot map the API);
//! 3. only then is an unknown route answered 404.

use http::{Method, Request, Response};

use crate::auth::require_bearer;
use crate::config::{self, Variables};
use crate::error::ApiError;
use crate::routes::health;

/// Answers one request; errors become their JSON response, server errors are logged.
pub fn handle(request: &Request<Vec<u8>>, vars: &dyn Variables) -> Response<Vec<u8>> {
    match route(request, vars) {
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

fn route(request: &Request<Vec<u8>>, vars: &dyn Variables) -> Result<Response<Vec<u8>>, ApiError> {
    let path = request.uri().path();
    if request.method() == Method::GET && path == "/healthz" {
        return Ok(health::healthz());
    }
    // Loaded here, per request, so a rotated token applies without a redeploy.
    let token = config::api_token(vars)?;
    require_bearer(request.headers(), &token)?;
    Err(ApiError::NotFound)
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
        let response = handle(&request.body(Vec::new()).unwrap(), vars);
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = String::from_utf8(response.body().clone()).unwrap();
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
            ("GET", "/objects", Some("Bearer t0ken"), 404, NOT_FOUND),
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
