//! The app: which routes are mounted (the user's own, and any of spinlift's built-ins), and
//! how a request is answered: CORS first, then the route parsed from the request, its
//! credentials checked, its handler run, and one log line.
//!
//! A component builds an [`App`] in its `#[http_component]` entry and serves each request
//! with it (`App::serve` on Spin; [`App::handle`] over `http` types anywhere, which is how
//! it is tested natively). Order of checks, so that a client learns nothing it is not
//! entitled to:
//! 1. CORS preflights are answered from the CORS variables alone;
//! 2. public routes (`GET /healthz`, routes mounted with [`App::public_route`]) answer without
//!    reading any other configuration;
//! 3. every other request must carry `Authorization: Bearer <api_token>` (the webhook:
//!    `webhook_token`), whether or not its path exists (401 otherwise, so unauthenticated
//!    probes cannot map the API);
//! 4. only then is an unknown route answered 404.

mod builtin;
mod dispatch;
mod request;
mod user;

pub use user::{answer_of, HttpError, PathPattern, RouteContext};

use crate::body::Body;
use crate::cache::Cache;
use crate::config::{self, ConfigError, Variables};
use crate::env::Env;
use crate::error::ApiError;
use crate::handler::ObjectEventHandler;
use crate::indexer::Indexer;
use crate::outbound::{Erased, HttpClient};
use builtin::DynEvents;
use http::{Method, Request, Response};
use std::marker::PhantomData;
use std::rc::Rc;
use user::{HandlerFn, UserRoute};

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

/// The context every route runs in once the client is erased (one type for any host).
type ErasedContext<'a> = Context<'a, Erased<'a>>;

/// The routes a component serves. Nothing is mounted until asked for: the app's own routes
/// ([`App::route`]), its object-event handler ([`App::events`]) and any of spinlift's
/// built-ins.
///
/// ```
/// use spinlift::app::{App, RouteContext};
/// use spinlift::body::Body;
/// use spinlift::error::ApiError;
/// use http::{Method, Request, Response};
///
/// async fn hello(_: Request<Body>, cx: RouteContext<'_>) -> Result<Response<Body>, ApiError> {
///     let name = cx.param("name").unwrap_or("world");
///     Ok(Response::new(Body::Bytes(format!("hello, {name}").into_bytes())))
/// }
///
/// let app = App::new()
///     .route(Method::GET, "/hello/{name}", hello)
///     .health()
///     .lambda();
/// # let _ = app;
/// ```
///
/// A built-in is reached only through what its builder method stores, so a component that
/// never mounts one does not carry its code (the linker drops it).
#[derive(Default)]
pub struct App {
    routes: Vec<UserRoute>,
    events: Option<EventSource>,
    health: bool,
    object_api: Option<builtin::Runner>,
    lambda: Option<builtin::LambdaRunner>,
}

/// Builds the event handler for a request, from the variables.
type EventSource = Box<dyn Fn(&dyn Variables) -> Result<Box<dyn DynEvents>, ConfigError>>;

impl App {
    /// An app with nothing mounted.
    pub fn new() -> Self {
        Self::default()
    }

    /// spinlift's default component: `/healthz`, the object API, `/lambda`, and the default
    /// indexer behind `/events/s3`.
    pub fn spinlift() -> Self {
        Self::new().health().object_api().lambda().indexer()
    }

    /// Mounts `handler` for `method` on `pattern` (`/thumbnails/{key}`; `{*key}` last takes
    /// the rest of the path), behind the API token. `handler` is any
    /// `async fn(Request<Body>, RouteContext<'_>) -> Result<Response<Body>, E>` whose error
    /// says its status and code ([`HttpError`]). Routes are matched in the order mounted,
    /// before the built-ins. A `GET` route also answers `HEAD` (run as is, its body left
    /// out) unless a `HEAD` route is mounted for the path; a path mounted for other methods
    /// only answers 405 with an `Allow` that names them.
    ///
    /// # Panics
    /// `pattern` is malformed (see [`PathPattern::new`]).
    pub fn route<F, E>(self, method: Method, pattern: &str, handler: F) -> Self
    where
        F: AsyncFn(Request<Body>, RouteContext<'_>) -> Result<Response<Body>, E> + 'static,
        E: HttpError + 'static,
    {
        self.mount(method, pattern, false, handler)
    }

    /// As [`App::route`], without the API token: for routes anyone may call (a public page,
    /// a webhook that checks its own signature).
    ///
    /// # Panics
    /// `pattern` is malformed (see [`PathPattern::new`]).
    pub fn public_route<F, E>(self, method: Method, pattern: &str, handler: F) -> Self
    where
        F: AsyncFn(Request<Body>, RouteContext<'_>) -> Result<Response<Body>, E> + 'static,
        E: HttpError + 'static,
    {
        self.mount(method, pattern, true, handler)
    }

    fn mount<F, E>(mut self, method: Method, pattern: &str, public: bool, handler: F) -> Self
    where
        F: AsyncFn(Request<Body>, RouteContext<'_>) -> Result<Response<Body>, E> + 'static,
        E: HttpError + 'static,
    {
        self.routes.push(UserRoute {
            method,
            pattern: PathPattern::new(pattern),
            public,
            handler: Box::new(HandlerFn {
                function: handler,
                error: PhantomData,
            }),
        });
        self
    }

    /// Runs `handler` (the S3-triggered Lambda body) for the object events delivered to
    /// `POST /events/s3`: raw S3 notifications, SNS (verified) and EventBridge, behind
    /// `webhook_token`.
    pub fn events<H>(mut self, handler: H) -> Self
    where
        H: ObjectEventHandler<Error: Into<ApiError>> + 'static,
    {
        let handler = Rc::new(handler);
        self.events = Some(Box::new(move |_: &dyn Variables| {
            Ok(Box::new(Rc::clone(&handler)) as Box<dyn DynEvents>)
        }));
        self
    }

    /// As [`App::events`], with a handler made for each request from the variables (its
    /// table, its prefix): `make` is called before the delivery is read, and its error is
    /// the answer (a 500 naming the variable).
    pub fn events_with<H, F>(mut self, make: F) -> Self
    where
        H: ObjectEventHandler<Error: Into<ApiError>> + 'static,
        F: Fn(&dyn Variables) -> Result<H, ConfigError> + 'static,
    {
        self.events = Some(Box::new(move |vars: &dyn Variables| {
            Ok(Box::new(Rc::new(make(vars)?)) as Box<dyn DynEvents>)
        }));
        self
    }

    /// spinlift's default event handler, the indexer, configured by the `index_*` and
    /// `notify_*` variables.
    pub fn indexer(self) -> Self {
        self.events_with(|vars| Ok(Indexer::from_settings(config::index(vars)?)))
    }

    /// `GET /healthz` (public) and `GET /healthz?deep=1` (who the keys are, as STS sees them).
    pub fn health(mut self) -> Self {
        self.health = true;
        self
    }

    /// The object API over the configured bucket: `/objects`, `/objects/{key}`,
    /// `/objects/{key}/copy`, `/presign`, `/presign/post`, and the presigned multipart uploads
    /// (`/uploads`, `/uploads/{id}`, `/uploads/{id}/parts`, `/uploads/{id}/complete`).
    pub fn object_api(mut self) -> Self {
        self.object_api = Some(builtin::run_object_api);
        self
    }

    /// `POST /lambda`: Lambda invocation events, routed into every mounted route (the app's
    /// own included) and answered as the Lambda answered them.
    pub fn lambda(mut self) -> Self {
        self.lambda = Some(builtin::run_lambda);
        self
    }

    /// Answers one request. Errors become their JSON response; server errors are logged.
    /// Every request ends with one log line on stdout (see `log_line`).
    pub async fn handle<C: HttpClient>(
        &self,
        request: Request<Body>,
        cx: &Context<'_, C>,
    ) -> Response<Body> {
        let client = Erased(cx.client);
        let cx = Context {
            vars: cx.vars,
            client: &client,
            cache: cx.cache,
            env: cx.env,
        };
        self.handle_erased(request, &cx).await
    }
}

/// Answers one request with spinlift's default component ([`App::spinlift`]).
pub async fn handle<C: HttpClient>(request: Request<Body>, cx: &Context<'_, C>) -> Response<Body> {
    App::spinlift().handle(request, cx).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::FakeEnv;
    use crate::env::LogStream;
    use crate::sigv4::SigningTime;
    use std::collections::BTreeMap;

    fn vars(api_token: Option<&str>) -> BTreeMap<String, String> {
        api_token
            .map(|t| ("api_token".to_owned(), t.to_owned()))
            .into_iter()
            .collect()
    }

    /// A client for routes that must not reach S3: every call is refused.
    pub(super) struct NoNetwork;

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
            Body::Empty if method == "HEAD" => String::new(),
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
        // An uptime check's HEAD: the same answer, no body.
        assert_eq!(
            call("HEAD", "/healthz", None, &vars(None)),
            (200, String::new(), None)
        );
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
        assert!(lines[0].starts_with(r#"{"time":"2023-11-14T22:13:20Z","request_id":""#));
        assert_eq!(parsed[1]["aws_calls"], 0);
        // Each request has an id of its own.
        let ids: Vec<&str> = parsed
            .iter()
            .map(|v| v["request_id"].as_str().unwrap())
            .collect();
        assert!(
            ids[0].len() == 36 && ids[0] != ids[1] && ids[1] != ids[2],
            "{ids:?}"
        );
        assert!(parsed[1]["aws_request_id"].is_null());
        assert!(!lines[1].contains("secret") && !lines[1].contains("Signature"));
    }

    #[test]
    fn full_urls_route_by_path() {
        let uri = "http://127.0.0.1:3000/healthz?probe=1";
        assert_eq!(call("GET", uri, None, &vars(None)).0, 200);
    }
}

#[cfg(test)]
mod user_tests;
