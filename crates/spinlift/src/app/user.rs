//! Routes of the user's own: a method and a path pattern with named parameters, served by a
//! plain async function that gets the request and a [`RouteContext`] and returns a response
//! or an error of its own type ([`HttpError`]: its status, code and message).

use crate::body::Body;
use crate::cache::Cache;
use crate::client::services::Services;
use crate::client::ClientError;
use crate::clock::Clock;
use crate::config::{ConfigError, Variables};
use crate::env::Env;
use crate::error::ApiError;
use crate::outbound::Erased;
use crate::retry::Resilient;
use crate::sigv4::percent_decode;
use http::{Method, Request, Response, StatusCode};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

/// An error a route of the user's own answers with: its status, a stable code clients can
/// match on, and its message (`Display`). 4xx and 5xx are answered as every spinlift error is:
/// `{"error":{"code","message"}}`, and a 5xx is logged.
pub trait HttpError: std::fmt::Display {
    /// The HTTP status.
    fn status(&self) -> StatusCode;
    /// The stable machine-readable code.
    fn code(&self) -> &str;

    /// The answer this error becomes; by default [`answer_of`]: its status, code and message,
    /// logged when a 5xx. spinlift's own [`ApiError`] stays itself, so its log line keeps the
    /// reason its message leaves out, and its headers (`WWW-Authenticate`, `Allow`) are sent.
    /// An error type that wraps an `ApiError` (for a variable or an AWS call that failed)
    /// answers with it the same way by returning it here.
    fn into_api_error(self) -> ApiError
    where
        Self: Sized,
    {
        answer_of(&self)
    }
}

/// The answer an app's error gives by default: its status, code and message (`Display`).
pub fn answer_of(err: &(impl HttpError + ?Sized)) -> ApiError {
    ApiError::Handler {
        status: err.status(),
        code: err.code().to_owned(),
        message: err.to_string(),
    }
}

impl HttpError for ApiError {
    fn status(&self) -> StatusCode {
        ApiError::status(self)
    }

    fn code(&self) -> &str {
        ApiError::code(self)
    }

    fn into_api_error(self) -> ApiError {
        self
    }
}

/// A path pattern: literal segments and `{name}` (one segment) or, last, `{*name}` (the rest
/// of the path, slashes included: an object key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    pattern: String,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Rest(String),
}

impl PathPattern {
    /// Parses `pattern` (`/thumbnails/{key}`, `/files/{*key}`).
    ///
    /// # Panics
    /// The pattern does not start with `/`, names a parameter twice, has an empty or
    /// unclosed `{}`, or a `{*rest}` that is not last: a programming error in the app, found
    /// when the app is built, never per request.
    pub fn new(pattern: &str) -> Self {
        assert!(
            pattern.starts_with('/'),
            "route {pattern:?} must start with /"
        );
        let mut names = Vec::new();
        let parts: Vec<&str> = pattern[1..].split('/').collect();
        let segments = parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let Some(inner) = part.strip_prefix('{') else {
                    assert!(!part.contains(['{', '}']), "route {pattern:?}: bad segment");
                    return Segment::Literal((*part).to_owned());
                };
                let inner = inner
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("route {pattern:?}: unclosed {{"));
                let (rest, name) = match inner.strip_prefix('*') {
                    Some(name) => (true, name),
                    None => (false, inner),
                };
                assert!(
                    !name.is_empty() && !names.contains(&name),
                    "route {pattern:?}: empty or repeated parameter"
                );
                assert!(
                    !rest || i == parts.len() - 1,
                    "route {pattern:?}: {{*}} must be last"
                );
                names.push(name);
                match rest {
                    true => Segment::Rest(name.to_owned()),
                    false => Segment::Param(name.to_owned()),
                }
            })
            .collect();
        Self {
            pattern: pattern.to_owned(),
            segments,
        }
    }

    /// The pattern as written: the route's label in the log line.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// The raw (still percent-encoded) parameters when `path` matches.
    pub fn matches<'p>(&self, path: &'p str) -> Option<Vec<(&str, &'p str)>> {
        let mut rest = path.strip_prefix('/')?;
        let mut params = Vec::new();
        for (i, segment) in self.segments.iter().enumerate() {
            let last = i == self.segments.len() - 1;
            if let Segment::Rest(name) = segment {
                params.push((name.as_str(), rest));
                return (!rest.is_empty()).then_some(params);
            }
            let (part, tail) = match rest.split_once('/') {
                Some((part, tail)) if !last => (part, tail),
                Some(_) => return None,
                None if last => (rest, ""),
                None => return None,
            };
            match segment {
                Segment::Literal(literal) if literal == part => {}
                Segment::Param(name) if !part.is_empty() => params.push((name.as_str(), part)),
                _ => return None,
            }
            rest = tail;
        }
        Some(params)
    }
}

/// What a user route is handed besides its request: its path parameters, the app's
/// variables, the AWS clients, the environment.
pub struct RouteContext<'a> {
    pub(super) params: Vec<(&'a str, String)>,
    pub(super) vars: &'a dyn Variables,
    pub(super) client: &'a Resilient<'a, Erased<'a>>,
    pub(super) cache: &'a dyn Cache,
    pub(super) clock: &'a Clock<'a>,
    pub(super) env: &'a dyn Env,
    pub(super) request_id: &'a str,
}

impl<'a> RouteContext<'a> {
    /// The path parameter `name`, percent-decoded once (`/thumbnails/{key}`).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The variable `name` (the app's own `[variables]` too); `None` when it is not set.
    ///
    /// # Errors
    /// The host could not read it.
    pub fn var(&self, name: &str) -> Result<Option<String>, ConfigError> {
        crate::config::read(self.vars, name)
    }

    /// The variable `name`, which must be set.
    ///
    /// # Errors
    /// It is not set, empty, or cannot be read.
    pub fn require_var(&self, name: &str) -> Result<String, ConfigError> {
        crate::config::require(self.vars, name)
    }

    /// The AWS clients: S3 for the configured bucket (`.s3`) and the other services (`.aws`),
    /// signed with the configured keys or the role's session, retried and timed out as every
    /// spinlift call is.
    ///
    /// # Errors
    /// A variable is missing or invalid, or STS refused the role.
    pub async fn services(&self) -> Result<Services<'a, Resilient<'a, Erased<'a>>>, ClientError> {
        Services::load(self.vars, self.client, self.cache, self.clock).await
    }

    /// Time, sleep, randomness and the log.
    pub fn env(&self) -> &'a dyn Env {
        self.env
    }

    /// This request's id, as a Lambda's `context.aws_request_id` was: a random UUID, also the
    /// `request_id` of its log line and the `x-request-id` of its answer, so what a handler
    /// logs with it can be found next to the request. Requests a `/lambda` event carries share
    /// the invocation's (API Gateway's own id is in `x-amzn-request-context`).
    pub fn request_id(&self) -> &str {
        self.request_id
    }
}

/// A user route, type-erased.
pub(super) struct UserRoute {
    pub(super) method: Method,
    pub(super) pattern: PathPattern,
    pub(super) public: bool,
    pub(super) handler: Box<dyn DynHandler>,
}

/// The future a stored handler returns.
pub(super) type Answer<'a> = Pin<Box<dyn Future<Output = Result<Response<Body>, ApiError>> + 'a>>;

pub(super) trait DynHandler {
    fn call<'a>(&'a self, request: Request<Body>, cx: RouteContext<'a>) -> Answer<'a>;
}

/// An async function as a stored handler.
pub(super) struct HandlerFn<F, E> {
    pub(super) function: F,
    pub(super) error: PhantomData<fn() -> E>,
}

impl<F, E> DynHandler for HandlerFn<F, E>
where
    F: AsyncFn(Request<Body>, RouteContext<'_>) -> Result<Response<Body>, E>,
    E: HttpError,
{
    fn call<'a>(&'a self, request: Request<Body>, cx: RouteContext<'a>) -> Answer<'a> {
        Box::pin(async move {
            (self.function)(request, cx)
                .await
                .map_err(HttpError::into_api_error)
        })
    }
}

/// Decodes the raw parameters once (`%2F` becomes `/`, `+` stays `+`).
///
/// # Errors
/// 400 `invalid_path_parameter` for a parameter that is not UTF-8 once decoded.
pub(super) fn decode_params<'a>(
    raw: Vec<(&'a str, &str)>,
) -> Result<Vec<(&'a str, String)>, ApiError> {
    raw.into_iter()
        .map(|(name, value)| {
            let decoded = String::from_utf8(percent_decode(value, false).into_owned());
            decoded
                .map(|value| (name, value))
                .map_err(|_| ApiError::BadRequest {
                    code: "invalid_path_parameter",
                    message: format!("path parameter {name} is not UTF-8 once percent-decoded"),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_segments_and_the_rest() {
        let one = PathPattern::new("/thumbnails/{key}");
        assert_eq!(
            one.matches("/thumbnails/a%20b"),
            Some(vec![("key", "a%20b")])
        );
        assert_eq!(one.matches("/thumbnails/a/b"), None);
        assert_eq!(one.matches("/thumbnails/"), None);
        assert_eq!(one.matches("/thumbnails"), None);
        assert_eq!(one.matches("/other/a"), None);
        let rest = PathPattern::new("/files/{*key}");
        assert_eq!(rest.matches("/files/a/b/c"), Some(vec![("key", "a/b/c")]));
        assert_eq!(rest.matches("/files/"), None);
        let two = PathPattern::new("/users/{id}/posts/{post}");
        assert_eq!(
            two.matches("/users/7/posts/x"),
            Some(vec![("id", "7"), ("post", "x")])
        );
        let fixed = PathPattern::new("/hello");
        assert_eq!(fixed.matches("/hello"), Some(vec![]));
        assert_eq!(fixed.matches("/hello/"), None);
    }

    #[test]
    #[should_panic(expected = "must be last")]
    fn a_rest_parameter_must_be_last() {
        PathPattern::new("/files/{*key}/meta");
    }

    #[test]
    fn parameters_are_decoded_once_or_refused() {
        let decoded = decode_params(vec![("key", "a%2Fb%20c+d%252F")]).unwrap();
        assert_eq!(decoded, [("key", "a/b c+d%2F".to_owned())]);
        let err = decode_params(vec![("key", "%ff")]).unwrap_err();
        assert_eq!(
            (err.status(), err.code()),
            (StatusCode::BAD_REQUEST, "invalid_path_parameter")
        );
    }
}
