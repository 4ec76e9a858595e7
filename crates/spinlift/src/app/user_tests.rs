//! The app builder with routes of the app's own: parameters, credentials, the handler's own
//! errors, unmounted built-ins, and `/lambda` reaching the app's routes.

use super::tests::NoNetwork;
use super::*;
use crate::cache::MemoryCache;
use crate::env::FakeEnv;
use crate::env::LogStream;
use crate::sigv4::SigningTime;
use http::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt;

/// An error type of the app's own.
#[derive(Debug)]
enum ThumbError {
    TooBig(u32),
    NotYours,
}

impl fmt::Display for ThumbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThumbError::TooBig(width) => write!(f, "width {width} is over 1024"),
            ThumbError::NotYours => f.write_str("not yours"),
        }
    }
}

impl HttpError for ThumbError {
    fn status(&self) -> StatusCode {
        match self {
            ThumbError::TooBig(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ThumbError::NotYours => StatusCode::UNAUTHORIZED,
        }
    }

    fn code(&self) -> &str {
        match self {
            ThumbError::TooBig(_) => "too_big",
            ThumbError::NotYours => "not_yours",
        }
    }
}

async fn thumbnail(
    request: Request<Body>,
    cx: RouteContext<'_>,
) -> Result<Response<Body>, ThumbError> {
    let width: u32 = request
        .uri()
        .query()
        .and_then(|q| q.strip_prefix("w="))
        .and_then(|w| w.parse().ok())
        .unwrap_or(64);
    if width > 1024 {
        return Err(ThumbError::TooBig(width));
    }
    let greeting = cx.var("greeting").unwrap_or_default().unwrap_or_default();
    let body = json!({"key": cx.param("key"), "width": width, "greeting": greeting});
    let mut response = Response::new(Body::Bytes(body.to_string().into_bytes()));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

async fn hello(_: Request<Body>, cx: RouteContext<'_>) -> Result<Response<Body>, ApiError> {
    let name = cx.param("name").unwrap_or("world").to_owned();
    Ok(Response::new(Body::Bytes(
        format!("hello, {name}").into_bytes(),
    )))
}

/// The request's id, as a handler logs it.
async fn request_id(_: Request<Body>, cx: RouteContext<'_>) -> Result<Response<Body>, ApiError> {
    Ok(Response::new(Body::Bytes(
        cx.request_id().as_bytes().to_vec(),
    )))
}

/// Who API Gateway's authorizer said the caller is, from the carried request context.
async fn whoami(request: Request<Body>, _: RouteContext<'_>) -> Result<Response<Body>, ApiError> {
    let context: Value = request
        .headers()
        .get(crate::lambda::REQUEST_CONTEXT_HEADER)
        .and_then(|v| serde_json::from_slice(v.as_bytes()).ok())
        .unwrap_or_default();
    let sub = context["authorizer"]["jwt"]["claims"]["sub"]
        .as_str()
        .unwrap_or("anonymous");
    let mut response = Response::new(Body::Bytes(sub.as_bytes().to_vec()));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain"),
    );
    Ok(response)
}

/// Nothing to say (`204`), with the headers of an upstream answer it passes on; or, asked
/// `?deny`, a caller the handler itself refuses (`401`).
async fn quiet(request: Request<Body>, _: RouteContext<'_>) -> Result<Response<Body>, ThumbError> {
    if request.uri().query() == Some("deny") {
        return Err(ThumbError::NotYours);
    }
    let mut response = Response::new(Body::Bytes(Vec::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    for (name, value) in [
        ("connection", "keep-alive"),
        ("transfer-encoding", "chunked"),
        ("x-upstream", "kept"),
    ] {
        response
            .headers_mut()
            .insert(name, http::HeaderValue::from_static(value));
    }
    Ok(response)
}

fn app() -> App {
    App::new()
        .route(Method::GET, "/quiet/{x}", quiet)
        .route(Method::GET, "/quiet/b", quiet)
        .route(Method::GET, "/whoami", whoami)
        .route(Method::GET, "/thumbnails/{*key}", thumbnail)
        .public_route(Method::GET, "/hello/{name}", hello)
        .public_route(Method::GET, "/request-id", request_id)
        .route(Method::DELETE, "/thumbnails/{*key}", thumbnail)
        .lambda()
}

fn vars() -> BTreeMap<String, String> {
    [
        ("api_token", "t0ken"),
        ("greeting", "hi"),
        ("lambda_base_paths", "/v1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

struct Answer {
    status: u16,
    body: String,
    allow: Option<String>,
    content_length: Option<String>,
    challenge: Option<String>,
    headers: http::HeaderMap,
    log: Value,
}

fn call(app: &App, method: &str, uri: &str, auth: bool, body: Vec<u8>) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if auth {
        request = request.header("authorization", "Bearer t0ken");
    }
    let request = request.body(Body::Bytes(body)).unwrap();
    let env = FakeEnv::at(SigningTime::from_unix_seconds(1_700_000_000));
    let vars = vars();
    let cx = Context {
        vars: &vars,
        client: &NoNetwork,
        cache: &MemoryCache::default(),
        env: &env,
    };
    let response = futures::executor::block_on(app.handle(request, &cx));
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (allow, content_length) = (header("allow"), header("content-length"));
    let challenge = header("www-authenticate");
    let headers = response.headers().clone();
    let body = match response.body() {
        Body::Bytes(bytes) => String::from_utf8(bytes.clone()).unwrap(),
        Body::Empty => String::new(),
        Body::Stream(_) => panic!("a stream"),
    };
    let log = serde_json::from_str(&env.lines(LogStream::Request)[0]).unwrap();
    Answer {
        status: response.status().as_u16(),
        body,
        allow,
        content_length,
        challenge,
        headers,
        log,
    }
}

#[test]
fn a_route_of_the_apps_own_gets_its_parameters_and_variables() {
    let answer = call(&app(), "GET", "/thumbnails/a%20b/c.jpg?w=128", true, vec![]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(
        body,
        json!({"key": "a b/c.jpg", "width": 128, "greeting": "hi"})
    );
    // The log line names the route's pattern, never the key.
    assert_eq!(answer.log["route"], "/thumbnails/{*key}");
    assert!(!answer.log.to_string().contains("c.jpg"));
}

#[test]
fn a_request_has_one_id_for_its_handler_its_answer_and_its_log_line() {
    let answer = call(&app(), "GET", "/request-id", false, vec![]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let id = answer.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(answer.body, id);
    assert_eq!(answer.log["request_id"], id.as_str());
    // A version 4 UUID, as Lambda's request ids are.
    let groups: Vec<usize> = id.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
    assert!(id
        .bytes()
        .all(|b| b == b'-' || b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(&id[14..15], "4");
    assert!("89ab".contains(&id[19..20]), "{id}");
    // An error's answer carries it too.
    let refused = call(&app(), "GET", "/thumbnails/x", false, vec![]);
    assert_eq!(refused.status, 401);
    assert_eq!(
        refused.headers["x-request-id"].to_str().unwrap(),
        refused.log["request_id"].as_str().unwrap()
    );
}

#[test]
fn routes_ask_for_the_api_token_unless_public() {
    let denied = call(&app(), "GET", "/thumbnails/a", false, vec![]);
    assert_eq!(denied.status, 401);
    let public = call(&app(), "GET", "/hello/spin", false, vec![]);
    assert_eq!((public.status, public.body.as_str()), (200, "hello, spin"));
}

#[test]
fn a_handlers_own_error_is_answered_with_its_status_and_code() {
    let answer = call(&app(), "GET", "/thumbnails/a?w=4096", true, vec![]);
    assert_eq!(answer.status, 422);
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(
        body,
        json!({"error": {"code": "too_big", "message": "width 4096 is over 1024"}})
    );
}

#[test]
fn bad_parameters_and_methods_are_clear_4xx() {
    let bad = call(&app(), "GET", "/thumbnails/%ff", true, vec![]);
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("invalid_path_parameter"), "{}", bad.body);
    let wrong = call(&app(), "PUT", "/thumbnails/a", true, vec![]);
    assert_eq!(
        (wrong.status, wrong.allow.as_deref()),
        (405, Some("GET, DELETE, HEAD"))
    );
    // Asked without the token, a wrong method is a 401 first.
    assert_eq!(
        call(&app(), "PUT", "/thumbnails/a", false, vec![]).status,
        401
    );
}

#[test]
fn head_runs_a_get_route_and_answers_without_its_body() {
    let head = call(&app(), "HEAD", "/hello/spin", false, vec![]);
    assert_eq!(
        (
            head.status,
            head.body.as_str(),
            head.content_length.as_deref()
        ),
        (200, "", Some("11")),
        "the length of `hello, spin`"
    );
    assert_eq!(head.log["route"], "/hello/{name}");
}

#[test]
fn headers_the_host_frames_itself_leave_a_handlers_answer() {
    let answer = call(&app(), "GET", "/quiet/x", true, vec![]);
    assert_eq!(answer.status, 204);
    assert_eq!(answer.headers["x-upstream"], "kept");
    for name in ["connection", "transfer-encoding"] {
        assert!(answer.headers.get(name).is_none(), "{name}");
    }
}

#[test]
fn head_answers_any_outcome_without_a_body_and_a_204_without_a_length() {
    let empty = call(&app(), "HEAD", "/quiet/x", true, vec![]);
    assert_eq!((empty.status, empty.body.as_str()), (204, ""));
    assert_eq!(empty.content_length, None, "a 204 has no Content-Length");
    // The handler's error: its status, head and length, not its body.
    let get = call(&app(), "GET", "/quiet/x?deny", true, vec![]);
    let head = call(&app(), "HEAD", "/quiet/x?deny", true, vec![]);
    assert_eq!((head.status, head.body.as_str()), (401, ""));
    assert_eq!(head.content_length, Some(get.body.len().to_string()));
    assert_eq!(head.challenge, get.challenge);
}

#[test]
fn a_handlers_401_names_its_scheme_and_allow_lists_each_method_once() {
    let denied = call(&app(), "GET", "/quiet/x?deny", true, vec![]);
    assert_eq!(denied.status, 401);
    assert!(denied.body.contains("not_yours"), "{}", denied.body);
    assert_eq!(denied.challenge.as_deref(), Some("Bearer"));
    // Two GET patterns match `/quiet/b`.
    let wrong = call(&app(), "POST", "/quiet/b", true, vec![]);
    assert_eq!(
        (wrong.status, wrong.allow.as_deref()),
        (405, Some("GET, HEAD"))
    );
}

#[test]
fn built_ins_not_mounted_are_unknown_paths() {
    for (method, path) in [
        ("GET", "/healthz"),
        ("GET", "/objects"),
        ("POST", "/events/s3"),
        ("POST", "/presign"),
    ] {
        assert_eq!(
            call(&app(), method, path, false, vec![]).status,
            401,
            "{path}"
        );
        let answer = call(&app(), method, path, true, vec![]);
        assert_eq!(answer.status, 404, "{path}: {}", answer.body);
        assert_eq!(answer.log["route"], "other", "{path}");
    }
}

#[test]
fn lambda_events_reach_the_apps_own_routes_and_answer_as_direct_calls() {
    let event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/thumbnails/a%20b/c.jpg",
        "rawQueryString": "w=128",
        "headers": {"accept": "application/json"},
        "requestContext": {"http": {"method": "GET", "path": "/thumbnails/a b/c.jpg"}, "stage": "$default"},
        "isBase64Encoded": false
    });
    let answer = call(
        &app(),
        "POST",
        "/lambda",
        true,
        event.to_string().into_bytes(),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let proxy: Value = serde_json::from_str(&answer.body).unwrap();
    let direct = call(&app(), "GET", "/thumbnails/a%20b/c.jpg?w=128", true, vec![]);
    assert_eq!(proxy["statusCode"], 200);
    assert_eq!(proxy["body"].as_str().unwrap(), direct.body);
    // The handler's own error travels the same way.
    let mut too_big = event.clone();
    too_big["rawQueryString"] = json!("w=4096");
    let answer = call(
        &app(),
        "POST",
        "/lambda",
        true,
        too_big.to_string().into_bytes(),
    );
    let proxy: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(proxy["statusCode"], 422);
    assert!(proxy["body"].as_str().unwrap().contains("too_big"));
}

#[test]
fn lambda_events_behind_a_stage_or_base_path_route_as_at_the_root_with_their_context() {
    let claims = json!({"jwt": {"claims": {"sub": "user-42"}}});
    let v2 = json!({
        "version": "2.0", "rawPath": "/prod/whoami", "rawQueryString": "",
        "headers": {"x-amzn-request-context": "{\"authorizer\":{\"jwt\":{\"claims\":{\"sub\":\"forged\"}}}}"},
        "requestContext": {"http": {"method": "GET"}, "stage": "prod", "authorizer": claims},
    });
    let rest = json!({
        "httpMethod": "GET", "path": "/v1/whoami", "headers": {},
        "requestContext": {"stage": "live", "authorizer": claims},
    });
    for event in [v2, rest] {
        let answer = call(
            &app(),
            "POST",
            "/lambda",
            true,
            event.to_string().into_bytes(),
        );
        let proxy: Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(
            (proxy["statusCode"].clone(), proxy["body"].clone()),
            (json!(200), json!("user-42")),
            "{event}"
        );
    }
    // A direct caller cannot pose as API Gateway.
    let request = Request::builder()
        .uri("/whoami")
        .header("authorization", "Bearer t0ken")
        .header(
            "x-amzn-request-context",
            r#"{"authorizer":{"jwt":{"claims":{"sub":"forged"}}}}"#,
        )
        .body(Body::Empty)
        .unwrap();
    let env = FakeEnv::at(SigningTime::from_unix_seconds(1_700_000_000));
    let vars = vars();
    let cx = Context {
        vars: &vars,
        client: &NoNetwork,
        cache: &MemoryCache::default(),
        env: &env,
    };
    let response = futures::executor::block_on(app().handle(request, &cx));
    match response.body() {
        Body::Bytes(bytes) => assert_eq!(bytes, b"anonymous"),
        _ => panic!("not bytes"),
    }
}

/// An event handler failing with spinlift's own error, whose reason is for the log only.
struct Unreachable;

impl crate::handler::ObjectEventHandler for Unreachable {
    type Error = ApiError;

    async fn handle<C: crate::outbound::HttpClient>(
        &self,
        _: &crate::client::services::Services<'_, C>,
        _: &crate::events::ObjectEvent,
    ) -> Result<crate::handler::Outcome, ApiError> {
        Err(ApiError::Internal(
            "the thumbnail table is unreachable".into(),
        ))
    }
}

async fn broken(_: Request<Body>, _: RouteContext<'_>) -> Result<Response<Body>, ApiError> {
    Err(ApiError::Internal(
        "the thumbnail table is unreachable".into(),
    ))
}

#[test]
fn spinlifts_own_errors_from_the_apps_code_keep_their_logged_reason() {
    let app = App::new()
        .route(Method::GET, "/broken", broken)
        .events(Unreachable);
    let mut vars = vars();
    vars.extend(
        [
            ("aws_region", "us-east-1"),
            ("aws_access_key_id", "AKIDEXAMPLE"),
            (
                "aws_secret_access_key",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            ),
            ("s3_bucket", "photos"),
            ("s3_host", "127.0.0.1:8014"),
            ("s3_scheme", "http"),
            ("s3_path_style", "true"),
            ("webhook_token", "w3bhook"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let env = FakeEnv::at(SigningTime::from_unix_seconds(1_700_000_000));
    let cx = Context {
        vars: &vars,
        client: &NoNetwork,
        cache: &MemoryCache::default(),
        env: &env,
    };
    let get = Request::get("/broken")
        .header("authorization", "Bearer t0ken")
        .body(Body::Empty)
        .unwrap();
    let response = futures::executor::block_on(app.handle(get, &cx));
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let record = json!({
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-12-04T00:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": "photos", "arn": "arn:aws:s3:::photos"},
               "object": {"key": "a.jpg", "size": 1, "eTag": "e", "sequencer": "0A"}}
    });
    let post = Request::post("/events/s3")
        .header("authorization", "Bearer w3bhook")
        .body(Body::Bytes(
            json!({"Records": [record]}).to_string().into_bytes(),
        ))
        .unwrap();
    let response = futures::executor::block_on(app.handle(post, &cx));
    let status = response.status();
    let Body::Bytes(report) = response.into_body() else {
        panic!("not bytes")
    };
    assert_eq!(
        status,
        StatusCode::BAD_GATEWAY,
        "{}",
        String::from_utf8_lossy(&report)
    );
    let report: Value = serde_json::from_slice(&report).unwrap();
    assert_eq!(report["failed"][0]["error"]["code"], "internal");
    assert!(!report.to_string().contains("unreachable"), "{report}");
    // The route's error and the record's: each reason in the operator's log.
    let operator = env.lines(LogStream::Operator);
    let reasons = operator
        .iter()
        .filter(|line| line.contains("internal error: the thumbnail table is unreachable"))
        .count();
    assert_eq!(reasons, 2, "{operator:?}");
}
