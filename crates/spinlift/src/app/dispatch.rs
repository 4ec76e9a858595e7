//! How the app answers one request: the route found (the app's own first, then the mounted
//! built-ins), its credentials checked, and its handler run; `/lambda`'s carried requests
//! through the same routes.

use super::builtin;
use super::request::{
    answer, authorize, cors_for, log_line, new_request_id, outbound, with_cors, RequestEnv,
};
use super::user::{decode_params, RouteContext, UserRoute};
use super::{App, Context, ErasedContext};
use crate::body::Body;
use crate::env::LogStream;
use crate::error::ApiError;
use crate::lambda::REQUEST_CONTEXT_HEADER;
use crate::retry::CallStats;
use crate::router::{Access, Resource, Route};
use http::{Method, Request, Response};
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

impl App {
    pub(super) async fn handle_erased(
        &self,
        request: Request<Body>,
        cx: &ErasedContext<'_>,
    ) -> Response<Body> {
        let now = cx.env.wall_time();
        let started = cx.env.monotonic();
        let method = request.method().clone();
        let label = self.label(&method, request.uri());
        let stats = CallStats::for_request(new_request_id(cx.env));
        let env = RequestEnv {
            host: cx.env,
            id: stats.request_id(),
        };
        let cx = &Context {
            vars: cx.vars,
            client: cx.client,
            cache: cx.cache,
            env: &env,
        };
        let response = match cors_for(&request, cx) {
            Ok(cors) => with_cors(
                cors,
                answer(cx.env, self.dispatch(request, cx, &stats).await),
            ),
            Err(answer) => *answer,
        };
        let mut response = for_the_host(&method, response);
        // What a client quotes when it reports a failure: the log line's id.
        if let Ok(id) = http::HeaderValue::from_str(stats.request_id()) {
            response.headers_mut().insert("x-request-id", id);
        }
        let line = log_line(
            now,
            &method,
            &label,
            response.status(),
            cx.env.monotonic().saturating_sub(started),
            &stats,
        );
        cx.env.log(LogStream::Request, &line);
        response
    }

    /// The log line's route: a user route's pattern, a built-in's, or `other`; never a key
    /// or a query.
    fn label(&self, method: &Method, uri: &http::Uri) -> Cow<'_, str> {
        match self.find(method, uri.path()) {
            Found::Route(route, _) => Cow::Borrowed(route.pattern.as_str()),
            Found::Methods(route, _) => Cow::Borrowed(route.pattern.as_str()),
            Found::None => Cow::Borrowed(self.builtin(method, uri).label()),
        }
    }

    /// The built-in route of the request, or `NotFound` when that built-in is not mounted.
    fn builtin<'p>(&self, method: &Method, uri: &'p http::Uri) -> Route<'p> {
        let route = Route::parse(method, uri.path(), uri.query());
        let mounted = match route.resource() {
            Some(Resource::Health) => self.health,
            Some(Resource::Lambda) => self.lambda.is_some(),
            Some(Resource::Events) => self.events.is_some(),
            Some(
                Resource::Objects
                | Resource::Presign
                | Resource::PresignPost
                | Resource::Object
                | Resource::ObjectCopy
                | Resource::Uploads
                | Resource::Upload
                | Resource::UploadParts
                | Resource::UploadComplete,
            ) => self.object_api.is_some(),
            None => true,
        };
        match mounted {
            true => route,
            false => Route::NotFound,
        }
    }

    /// The user route for `method` on `path`: the first whose pattern and method match (for
    /// `HEAD` without a route of its own, the first `GET` one, as HTTP asks of every server),
    /// or the methods the matching patterns take.
    fn find<'p>(&self, method: &Method, path: &'p str) -> Found<'_, 'p> {
        let mut allowed: Option<(&UserRoute, Vec<&str>)> = None;
        let mut get = None;
        for route in &self.routes {
            let Some(params) = route.pattern.matches(path) else {
                continue;
            };
            if route.method == *method {
                return Found::Route(route, params);
            }
            if route.method == Method::GET && get.is_none() {
                get = Some((route, params));
            }
            let methods = &mut allowed.get_or_insert_with(|| (route, Vec::new())).1;
            if !methods.contains(&route.method.as_str()) {
                methods.push(route.method.as_str());
            }
        }
        match (allowed, get) {
            (_, Some((route, params))) if *method == Method::HEAD => Found::Route(route, params),
            (Some((route, mut methods)), get) => {
                if get.is_some() && !methods.contains(&"HEAD") {
                    methods.push("HEAD");
                }
                Found::Methods(route, methods.join(", "))
            }
            (None, _) => Found::None,
        }
    }

    /// A direct request: its credentials checked, then its route run. `POST /lambda` unwraps
    /// an invocation event and routes what it carries (see `forwarded`).
    async fn dispatch(
        &self,
        request: Request<Body>,
        cx: &ErasedContext<'_>,
        stats: &CallStats,
    ) -> Result<Response<Body>, ApiError> {
        let (mut parts, body) = request.into_parts();
        // Only a Lambda event carries an API Gateway request context: a direct client's own
        // is not passed to a handler that may trust it.
        parts.headers.remove(REQUEST_CONTEXT_HEADER);
        let found = self.find(&parts.method, parts.uri.path());
        if !matches!(found, Found::None) {
            if !matches!(&found, Found::Route(route, _) if route.public) {
                authorize(Access::Api, &parts, cx.vars)?;
            }
            let (route, params) = found.resolve()?;
            return self.run_user(route, params, parts, body, cx, stats).await;
        }
        let route = self.builtin(&parts.method, &parts.uri);
        authorize(route.access(), &parts, cx.vars)?;
        match (route, self.lambda) {
            (Route::Lambda, Some(invoke)) => invoke(self, body, cx, stats).await,
            (route, _) => builtin::run(self, route, &parts, body, cx, stats).await,
        }
    }

    /// A request carried by a Lambda event, answered as a direct one is, CORS included, but
    /// without its own credentials: the `POST /lambda` call that carried it was authenticated
    /// with `api_token`, as API Gateway or an ALB authenticates before invoking a Lambda
    /// (`api_token` therefore also grants what `webhook_token` does). Events do not nest: a
    /// carried request for `/lambda` finds nothing.
    pub(super) fn forwarded<'s>(
        &'s self,
        request: Request<Body>,
        cx: &'s ErasedContext<'s>,
        stats: &'s CallStats,
    ) -> Pin<Box<dyn Future<Output = Response<Body>> + 's>> {
        Box::pin(async move {
            let cors = match cors_for(&request, cx) {
                Ok(cors) => cors,
                Err(answer) => return *answer,
            };
            let (parts, body) = request.into_parts();
            let method = parts.method.clone();
            let result = match self.find(&parts.method, parts.uri.path()) {
                Found::None => {
                    let route = match self.builtin(&parts.method, &parts.uri) {
                        Route::Lambda | Route::WrongMethod(Resource::Lambda) => Route::NotFound,
                        route => route,
                    };
                    builtin::run(self, route, &parts, body, cx, stats).await
                }
                found => match found.resolve() {
                    Ok((route, params)) => {
                        self.run_user(route, params, parts, body, cx, stats).await
                    }
                    Err(err) => Err(err),
                },
            };
            for_the_host(&method, with_cors(cors, answer(cx.env, result)))
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_user(
        &self,
        route: &UserRoute,
        params: Params<'_>,
        parts: http::request::Parts,
        body: Body,
        cx: &ErasedContext<'_>,
        stats: &CallStats,
    ) -> Result<Response<Body>, ApiError> {
        let (client, clock) = outbound(cx, stats)?;
        let context = RouteContext {
            params,
            vars: cx.vars,
            client: &client,
            cache: cx.cache,
            clock: &clock,
            env: cx.env,
            request_id: stats.request_id(),
        };
        let request = Request::from_parts(parts, body);
        route.handler.call(request, context).await
    }
}

/// Headers of the connection, not of the answer, which the host frames itself: WASI HTTP
/// refuses them in a response (wasmtime's `DEFAULT_FORBIDDEN_HEADERS`, which Spin uses), and
/// one left in would turn the whole answer into a bare 500. A handler that passes an
/// upstream answer's headers on (`transfer-encoding`, `connection`) loses only them.
const HOST_FRAMED: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "host",
    "http2-settings",
];

/// The answer as the host can send it: without the headers it frames itself and, to a
/// `HEAD` (of any route, errors included), with the same status and headers, the length of a
/// body held in memory kept as its `Content-Length`, and no body. A `204` or `304` gets no
/// length of its own (RFC 9110, 8.6).
fn for_the_host(method: &Method, mut response: Response<Body>) -> Response<Body> {
    for name in HOST_FRAMED {
        response.headers_mut().remove(name);
    }
    if method != Method::HEAD {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Not `entry`: that API alone is a kilobyte of code in every component.
    let length = http::header::CONTENT_LENGTH;
    let bodiless = matches!(parts.status.as_u16(), 204 | 304);
    if let (Body::Bytes(bytes), false) = (&body, bodiless || parts.headers.contains_key(&length)) {
        parts
            .headers
            .insert(length, http::HeaderValue::from(bytes.len()));
    }
    Response::from_parts(parts, Body::Empty)
}

/// A route's path parameters by name, decoded.
type Params<'r> = Vec<(&'r str, String)>;

/// What the user routes say of a request.
enum Found<'r, 'p> {
    /// This route, with its raw parameters.
    Route(&'r UserRoute, Vec<(&'r str, &'p str)>),
    /// A pattern matches, but not for this method: the methods it takes.
    Methods(&'r UserRoute, String),
    /// No pattern matches.
    None,
}

impl<'r> Found<'r, '_> {
    /// The route and its parameters, decoded; a 405 or 404 when there is none.
    ///
    /// # Errors
    /// 405 with the methods the path takes; 404; 400 for a parameter that is not UTF-8.
    fn resolve(self) -> Result<(&'r UserRoute, Params<'r>), ApiError> {
        match self {
            Found::Route(route, params) => Ok((route, decode_params(params)?)),
            Found::Methods(_, allow) => Err(ApiError::MethodNotAllowed(allow.into())),
            Found::None => Err(ApiError::NotFound),
        }
    }
}
