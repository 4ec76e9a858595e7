//! CORS for every route: preflights answered before authentication (browsers send them
//! without credentials), and allowed origins echoed on every answer, errors included, so a
//! browser client can read them. Off unless `cors_allowed_origins` lists origins.

use crate::body::Body;
use crate::config::CorsSettings;
use crate::error::ApiError;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Response, StatusCode};

/// Response headers a browser may read beyond the CORS-safelisted ones: all of them (`*`,
/// which holds for requests without credentials, and spinlift never allows credentials), so
/// a page reads back the `x-amz-meta-*` it stored and the `x-amz-checksum-*` of what it got,
/// names no list could hold in advance. The names after it are for browsers older than the
/// wildcard (2019-2020).
const EXPOSED: &str = "*, etag, content-range, accept-ranges";
/// How long a browser may cache a preflight answer, in seconds.
const MAX_AGE: &str = "600";

/// The CORS policy from the `cors_allowed_*` variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    /// Exact origins (`https://app.example.com`), or `*` for any.
    origins: Vec<String>,
    /// Methods a preflight may ask for, uppercase.
    methods: Vec<String>,
    /// Request headers a preflight may ask for, lowercase.
    headers: Vec<String>,
}

impl Cors {
    /// The policy the CORS variables set.
    pub fn from_settings(settings: &CorsSettings) -> Self {
        Self::new(
            &settings.allowed_origins,
            &settings.allowed_methods,
            &settings.allowed_headers,
        )
    }

    /// A policy from comma-separated lists; no origins means CORS is off.
    pub fn new(origins: &str, methods: &str, headers: &str) -> Self {
        let list = |text: &str, case: fn(&str) -> String| {
            text.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(case)
                .collect()
        };
        Self {
            origins: list(origins, str::to_owned),
            methods: list(methods, str::to_ascii_uppercase),
            headers: list(headers, str::to_ascii_lowercase),
        }
    }

    fn enabled(&self) -> bool {
        !self.origins.is_empty()
    }

    fn allows_origin(&self, origin: &str) -> bool {
        self.origins
            .iter()
            .any(|allowed| allowed == "*" || allowed == origin)
    }

    /// The answer to a preflight (`OPTIONS` with `Origin` and
    /// `Access-Control-Request-Method`), or `None` when the request is not one or CORS is off.
    pub fn preflight(&self, method: &Method, headers: &HeaderMap) -> Option<Response<Body>> {
        let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
        let requested = headers.get(header::ACCESS_CONTROL_REQUEST_METHOD)?;
        if method != Method::OPTIONS || !self.enabled() {
            return None;
        }
        let method_ok = requested
            .to_str()
            .is_ok_and(|m| self.methods.iter().any(|allowed| allowed == m));
        let headers_ok = headers
            .get_all(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .all(|h| self.headers.contains(&h));
        let mut response = match (self.allows_origin(origin), method_ok, headers_ok) {
            (true, true, true) => {
                let mut response = Response::new(Body::Empty);
                *response.status_mut() = StatusCode::NO_CONTENT;
                let out = response.headers_mut();
                out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, echo(origin));
                out.insert(header::ACCESS_CONTROL_ALLOW_METHODS, joined(&self.methods));
                out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, joined(&self.headers));
                out.insert(
                    header::ACCESS_CONTROL_MAX_AGE,
                    HeaderValue::from_static(MAX_AGE),
                );
                response
            }
            (origin_ok, _, _) => ApiError::Forbidden {
                code: "cors_rejected",
                message: match origin_ok {
                    false => "this origin is not in cors_allowed_origins".to_owned(),
                    true => "the method or headers asked for are not allowed by \
                             cors_allowed_methods / cors_allowed_headers"
                        .to_owned(),
                },
            }
            .into_response(),
        };
        response
            .headers_mut()
            .append(header::VARY, HeaderValue::from_static("origin"));
        Some(response)
    }

    /// Marks an answer for the browser: `Vary: Origin` whenever CORS is on, and the origin
    /// echoed (with the readable headers) only when it is allowed.
    pub fn decorate(&self, origin: Option<&HeaderValue>, headers: &mut HeaderMap) {
        if !self.enabled() {
            return;
        }
        headers.append(header::VARY, HeaderValue::from_static("origin"));
        let Some(origin) = origin.and_then(|o| o.to_str().ok()) else {
            return;
        };
        if self.allows_origin(origin) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, echo(origin));
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSED),
            );
        }
    }
}

/// An origin that came in as a valid header value goes back out as one.
fn echo(origin: &str) -> HeaderValue {
    HeaderValue::from_str(origin).unwrap_or_else(|_| HeaderValue::from_static("null"))
}

fn joined(items: &[String]) -> HeaderValue {
    HeaderValue::from_str(&items.join(", ")).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Cors {
        Cors::new(
            "https://app.example.com",
            "GET, PUT",
            "Authorization, content-type",
        )
    }

    fn preflight(origin: &str, method: &str, headers: &str) -> Response<Body> {
        let mut map = HeaderMap::new();
        map.insert(header::ORIGIN, origin.parse().unwrap());
        map.insert(
            header::ACCESS_CONTROL_REQUEST_METHOD,
            method.parse().unwrap(),
        );
        map.insert(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            headers.parse().unwrap(),
        );
        policy().preflight(&Method::OPTIONS, &map).unwrap()
    }

    #[test]
    fn preflights_from_allowed_origins_get_the_policy() {
        let ok = preflight(
            "https://app.example.com",
            "PUT",
            "authorization, Content-Type",
        );
        assert_eq!(ok.status(), 204);
        let headers = ok.headers();
        assert_eq!(
            headers["access-control-allow-origin"],
            "https://app.example.com"
        );
        assert_eq!(headers["access-control-allow-methods"], "GET, PUT");
        assert_eq!(
            headers["access-control-allow-headers"],
            "authorization, content-type"
        );
        assert_eq!(headers["vary"], "origin");
        for (origin, method, asked) in [
            ("https://evil.example", "PUT", "authorization"),
            ("https://app.example.com", "DELETE", "authorization"),
            ("https://app.example.com", "GET", "x-other"),
        ] {
            let refused = preflight(origin, method, asked);
            assert_eq!(refused.status(), 403, "{origin} {method} {asked}");
            assert!(refused
                .headers()
                .get("access-control-allow-origin")
                .is_none());
        }
    }

    #[test]
    fn only_real_preflights_with_cors_on_are_answered() {
        let mut map = HeaderMap::new();
        map.insert(header::ORIGIN, "https://app.example.com".parse().unwrap());
        assert!(
            policy().preflight(&Method::OPTIONS, &map).is_none(),
            "no requested method"
        );
        map.insert(
            header::ACCESS_CONTROL_REQUEST_METHOD,
            "GET".parse().unwrap(),
        );
        assert!(
            policy().preflight(&Method::GET, &map).is_none(),
            "not OPTIONS"
        );
        assert!(Cors::new("", "GET", "")
            .preflight(&Method::OPTIONS, &map)
            .is_none());
    }

    #[test]
    fn answers_echo_only_allowed_origins() {
        let mut headers = HeaderMap::new();
        policy().decorate(
            Some(&"https://app.example.com".parse().unwrap()),
            &mut headers,
        );
        assert_eq!(
            headers["access-control-allow-origin"],
            "https://app.example.com"
        );
        assert_eq!(headers["vary"], "origin");
        // Every header readable (`x-amz-meta-*` too): `*` holds since credentials never are.
        let exposed = headers["access-control-expose-headers"].to_str().unwrap();
        assert!(exposed.split(", ").any(|name| name == "*"), "{exposed}");
        assert!(headers.get("access-control-allow-credentials").is_none());
        let mut headers = HeaderMap::new();
        policy().decorate(Some(&"https://evil.example".parse().unwrap()), &mut headers);
        assert!(headers.get("access-control-allow-origin").is_none());
        assert_eq!(headers["vary"], "origin");
        let mut headers = HeaderMap::new();
        Cors::new("", "", "").decorate(Some(&"https://a".parse().unwrap()), &mut headers);
        assert!(headers.is_empty(), "CORS off adds nothing");
        let mut headers = HeaderMap::new();
        Cors::new("*", "", "").decorate(Some(&"https://a.b".parse().unwrap()), &mut headers);
        assert_eq!(headers["access-control-allow-origin"], "https://a.b");
    }
}
