//! API events to HTTP requests, and HTTP responses to Lambda proxy answers.
//!
//! The formats, per AWS's documentation:
//! - API Gateway REST API (payload 1.0): `httpMethod`, `path`, `headers` /
//!   `multiValueHeaders`, `queryStringParameters` / `multiValueQueryStringParameters`
//!   (URL-decoded); answered with `statusCode`, `headers`, `multiValueHeaders`, `body`,
//!   `isBase64Encoded`.
//! - API Gateway HTTP API (payload 2.0) and Lambda Function URLs: `requestContext.http.method`,
//!   `rawPath`, `rawQueryString`, `headers` (repeated values comma-joined), `cookies`;
//!   answered with `statusCode`, `headers`, `cookies`, `body`, `isBase64Encoded`.
//! - ALB target (`requestContext.elb`): `httpMethod`, `path`, query parameters as received
//!   (not decoded), `headers`, or `multiValueHeaders` and `multiValueQueryStringParameters`
//!   when multi-value headers are on; answered in the same mode, with `statusDescription`.
//!
//! An HTTP API stage other than `$default` is in `rawPath` (`/prod/objects/k`): it is removed,
//! so the request routes as it would at the root (a REST API's `path` never has it). The
//! event's `requestContext` goes with the request as JSON in `x-amzn-request-context`, as the
//! AWS Lambda Web Adapter passes it; one the original client sent is dropped first.
//!
//! Whether the path arrives percent-encoded differs by service, and AWS does not document it:
//! captures published by other adapters show REST APIs, Function URLs and ALBs keeping the
//! encoding and HTTP APIs decoding it. So a path is never decoded or re-encoded as a whole:
//! only what cannot appear in an encoded path (spaces, non-ASCII, `?`, `#`, a `%` that starts
//! no escape, ...) is escaped, which leaves encoded paths byte for byte and makes decoded
//! ones valid.

use super::{event_body, LambdaError};
use crate::sigv4::uri_encode;
use base64ct::{Base64, Encoding};
use http::header::{self, HeaderName, HeaderValue};
use http::uri::PathAndQuery;
use serde_json::{json, Map, Value};

/// The answer shape an API event expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiFormat {
    /// API Gateway REST API proxy integration (payload format 1.0).
    RestV1,
    /// API Gateway HTTP API (payload format 2.0) or a Lambda Function URL.
    HttpV2,
    /// An ALB target group, with or without multi-value headers.
    Alb {
        /// Multi-value headers are enabled on the target group.
        multi_value: bool,
    },
    /// A CloudFront Lambda@Edge viewer- or origin-request trigger: answered with a response
    /// CloudFront generates.
    CloudFront {
        /// A viewer-request trigger (else origin-request), whose generated answers are
        /// smaller.
        viewer: bool,
    },
}

/// Lambda's limit for a synchronous invocation's payload, and for its answer.
pub const MAX_INVOCATION_BYTES: usize = 6 << 20;

impl ApiFormat {
    /// The largest answer (the JSON, base64 included) the caller takes: Lambda's 6 MiB for a
    /// synchronous invocation, an ALB's 1 MB, CloudFront's 40 KB for a response generated at
    /// a viewer-request trigger and 1 MB at an origin-request one. AWS's KB and MB are taken
    /// as thousands, inside either reading. A larger one is refused by the caller (an ALB
    /// answers 502, CloudFront an error page), so it is refused here first, saying why.
    pub fn max_answer_bytes(self) -> usize {
        match self {
            ApiFormat::RestV1 | ApiFormat::HttpV2 => MAX_INVOCATION_BYTES,
            ApiFormat::Alb { .. } | ApiFormat::CloudFront { viewer: false } => 1_000_000,
            ApiFormat::CloudFront { viewer: true } => 40_000,
        }
    }
}

/// Headers the event may carry that describe the original connection, not this request: the
/// body is re-framed here. `host` stays (the API's domain, which a handler building absolute
/// URLs needs, as lambda_http and the Lambda Web Adapter keep it).
const DROPPED: [&str; 4] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
];

/// The header a routed request carries the event's `requestContext` in, as JSON.
pub const REQUEST_CONTEXT_HEADER: &str = "x-amzn-request-context";

/// `path` without the HTTP API stage it starts with (`/prod/x` → `/x`), at a segment boundary.
fn without_stage(path: String, stage: Option<&str>) -> String {
    let Some(stage) = stage.filter(|s| !s.is_empty() && *s != "$default") else {
        return path;
    };
    match super::strip_base_path(&path, &[&format!("/{stage}")]) {
        Some(rest) => rest.to_owned(),
        None => path,
    }
}

/// The HTTP request an API event stands for.
pub(super) fn request(event: &Value) -> Result<(http::Request<Vec<u8>>, ApiFormat), LambdaError> {
    let context = &event["requestContext"];
    let (format, method, path, query, headers) = if context.get("elb").is_some() {
        let multi_value = event.get("multiValueHeaders").is_some_and(Value::is_object);
        let (query, headers) = match multi_value {
            true => (
                pairs(&event["multiValueQueryStringParameters"]),
                pairs(&event["multiValueHeaders"]),
            ),
            false => (
                pairs(&event["queryStringParameters"]),
                pairs(&event["headers"]),
            ),
        };
        // ALB passes the query as received: already encoded.
        let query = join_query(&query, |text| text.to_owned());
        let path = escape_path(text(event, "path")?);
        (
            ApiFormat::Alb { multi_value },
            text(event, "httpMethod")?,
            path,
            query,
            headers,
        )
    } else if event.get("version").and_then(Value::as_str) == Some("2.0") {
        let method = context["http"]["method"]
            .as_str()
            .ok_or_else(|| LambdaError::new("the event has no requestContext.http.method"))?;
        let query = event["rawQueryString"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mut headers = pairs(&event["headers"]);
        if let Some(cookies) = event["cookies"].as_array() {
            let cookies: Vec<&str> = cookies.iter().filter_map(Value::as_str).collect();
            if !cookies.is_empty() {
                headers.push(("cookie".to_owned(), cookies.join("; ")));
            }
        }
        let path = escape_path(text(event, "rawPath")?);
        let path = without_stage(path, context["stage"].as_str());
        (ApiFormat::HttpV2, method, path, query, headers)
    } else {
        // The multi-value map when it holds anything (an empty one next to a filled
        // single-value map, as hand-made events have, is no answer), as `lambda_http` reads
        // queries (its headers merge both maps; AWS's own events fill both alike).
        let filled = |multi: &str, single: &str| match event[multi]
            .as_object()
            .is_some_and(|map| !map.is_empty())
        {
            true => pairs(&event[multi]),
            false => pairs(&event[single]),
        };
        let query = filled("multiValueQueryStringParameters", "queryStringParameters");
        let headers = filled("multiValueHeaders", "headers");
        // REST APIs hand over query parameters decoded: encode them again.
        let query = join_query(&query, uri_encode);
        let mut path = escape_path(text(event, "path")?);
        // An HTTP API's payload format 1.0 (REST events carry no `version`) keeps a named
        // stage at the front of `path`, as 2.0 does in `rawPath`; a REST API's path has none.
        if event.get("version").and_then(Value::as_str) == Some("1.0") {
            path = without_stage(path, context["stage"].as_str());
        }
        (
            ApiFormat::RestV1,
            text(event, "httpMethod")?,
            path,
            query,
            headers,
        )
    };
    let body = event_body(event)?;
    let context = context.is_object().then(|| context.to_string());
    let request = assemble(method, path, &query, headers, context, body)?;
    Ok((request, format))
}

/// The most headers an event's request may carry. API Gateway takes 10 KiB of headers and an
/// HTTP server about a hundred; a hostile event could name tens of thousands, and every
/// request spinlift makes from it (a PUT copies `x-amz-meta-*`) adds its own to that map,
/// which `http` caps.
const MAX_EVENT_HEADERS: usize = 1000;

/// The request for `method`, `path` (escaped) and `query` (as received: what a URI cannot
/// hold is escaped here, as the Lambda Web Adapter's URL parser does), with `headers` less those
/// of the original connection and any request context a client sent, the event's `context`
/// (JSON) in their place, and `body`, re-framed with its own `Content-Length`.
pub(super) fn assemble(
    method: &str,
    path: String,
    query: &str,
    mut headers: Vec<(String, String)>,
    context: Option<String>,
    body: Vec<u8>,
) -> Result<http::Request<Vec<u8>>, LambdaError> {
    headers.retain(|(name, _)| {
        let name = name.to_ascii_lowercase();
        !DROPPED.contains(&name.as_str()) && name != REQUEST_CONTEXT_HEADER
    });
    // Counted before the request context joins them: the event's own (cookies as one).
    if headers.len() > MAX_EVENT_HEADERS {
        return Err(LambdaError::new(format!(
            "the event has more than {MAX_EVENT_HEADERS} headers"
        )));
    }
    if let Some(context) = context {
        headers.push((REQUEST_CONTEXT_HEADER.to_owned(), context));
    }
    let target = match query.is_empty() {
        true => path,
        false => format!("{path}?{}", escape(query, true)),
    };
    // Not quoted back: the query may hold a token.
    let target: PathAndQuery = target
        .parse()
        .map_err(|_| LambdaError::new("the event's path and query are not a valid URI"))?;
    let mut request = http::Request::builder()
        .method(method)
        .uri(target)
        .body(body)
        .map_err(|err| LambdaError::new(format!("the event is not a valid HTTP request: {err}")))?;
    let map = request.headers_mut();
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes());
        let value = HeaderValue::from_bytes(value.as_bytes());
        let (Ok(name), Ok(mut value)) = (name, value) else {
            return Err(LambdaError::new(
                "the event has a header that is not valid HTTP",
            ));
        };
        // Credentials the caller sent are never shown by `Debug` (see `Invocation`).
        value.set_sensitive(matches!(
            name,
            header::AUTHORIZATION | header::PROXY_AUTHORIZATION | header::COOKIE
        ));
        // At most MAX_EVENT_HEADERS: far below the map's limit.
        map.append(name, value);
    }
    let length = request.body().len();
    if length > 0 || ["PUT", "POST", "PATCH"].contains(&request.method().as_str()) {
        request
            .headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    Ok(request)
}

fn text<'a>(event: &'a Value, field: &str) -> Result<&'a str, LambdaError> {
    event[field]
        .as_str()
        .ok_or_else(|| LambdaError::new(format!("the event has no {field}")))
}

/// The path with every byte that cannot appear in an encoded path escaped, and nothing else
/// touched: encoded paths pass unchanged, decoded ones become valid.
pub(super) fn escape_path(path: &str) -> String {
    match path.starts_with('/') {
        true => escape(path, false),
        false => format!("/{}", escape(path, false)),
    }
}

/// `text` with every byte escaped that cannot appear in an encoded path (`query`: a query,
/// where `?` may).
fn escape(text: &str, query: bool) -> String {
    let bytes = text.as_bytes();
    let is_hex = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_hexdigit);
    let mut out = String::with_capacity(text.len());
    for (i, &b) in bytes.iter().enumerate() {
        let literal = match b {
            b'%' => is_hex(i + 1) && is_hex(i + 2),
            b'?' => query,
            b'#' | b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}' => false,
            0x21..=0x7e => true,
            _ => false,
        };
        match literal {
            true => out.push(char::from(b)),
            false => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Name/value pairs from `{name: value}` or `{name: [values]}`; other values are skipped.
fn pairs(map: &Value) -> Vec<(String, String)> {
    let Some(map) = map.as_object() else {
        return Vec::new();
    };
    let mut pairs = Vec::new();
    for (name, value) in map {
        match value {
            Value::String(value) => pairs.push((name.clone(), value.clone())),
            Value::Array(values) => pairs.extend(
                values
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|value| (name.clone(), value.to_owned())),
            ),
            _ => {}
        }
    }
    pairs
}

fn join_query(pairs: &[(String, String)], encode: impl Fn(&str) -> String) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Whether a body of this content type travels as text (else base64), as API Gateway and
/// Function URLs treat it: text types, JSON, XML, YAML, JavaScript and forms, if valid UTF-8;
/// a body with no content type, if valid UTF-8.
pub(super) fn is_text(content_type: Option<&str>, body: &[u8]) -> bool {
    // Without a content type, text when it is (as lambda_http passes such a body through).
    let Some(content_type) = content_type else {
        return std::str::from_utf8(body).is_ok();
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let textual = essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || essence.ends_with("+yaml")
        || matches!(
            essence.as_str(),
            "application/json"
                | "application/xml"
                | "application/yaml"
                | "application/x-yaml"
                | "application/javascript"
                | "application/x-www-form-urlencoded"
        );
    textual && std::str::from_utf8(body).is_ok()
}

/// The Lambda proxy answer for `response` in an API Gateway or ALB `format`. Header names are
/// lowercase.
pub(super) fn proxy_response(format: ApiFormat, response: &http::Response<Vec<u8>>) -> Value {
    let headers = response.headers();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let body = response.body();
    let (body, base64) = match is_text(content_type, body) {
        true => (String::from_utf8_lossy(body).into_owned(), false),
        false => (Base64::encode_string(body), true),
    };
    let status = response.status();
    let mut answer = json!({
        "statusCode": status.as_u16(),
        "body": body,
        "isBase64Encoded": base64,
    });
    // JSON carries text: a value with bytes beyond visible ASCII (a UTF-8 file name in
    // Content-Disposition) goes as read as UTF-8, never dropped or emptied.
    let values = |name: &HeaderName| -> Vec<Value> {
        headers
            .get_all(name)
            .iter()
            .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect()
    };
    let joined = |name: &HeaderName| {
        let texts: Vec<String> = values(name)
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        Value::String(texts.join(", "))
    };
    let mut single = Map::new();
    let mut multi = Map::new();
    let mut cookies = Vec::new();
    for name in headers.keys() {
        if format == ApiFormat::HttpV2 && name == header::SET_COOKIE {
            cookies = values(name);
            continue;
        }
        multi.insert(name.to_string(), Value::Array(values(name)));
        match format {
            // REST: a header with several values lives in multiValueHeaders only.
            ApiFormat::RestV1 if headers.get_all(name).iter().count() > 1 => {}
            // One Set-Cookie per header: joined they would be one broken cookie.
            ApiFormat::Alb { multi_value: false } if name == header::SET_COOKIE => {
                let last = values(name).pop().unwrap_or(Value::Null);
                single.insert(name.to_string(), last);
            }
            _ => {
                single.insert(name.to_string(), joined(name));
            }
        }
    }
    let fields = answer.as_object_mut().expect("an object");
    match format {
        ApiFormat::RestV1 => {
            fields.insert("headers".into(), Value::Object(single));
            fields.insert("multiValueHeaders".into(), Value::Object(multi));
        }
        ApiFormat::HttpV2 => {
            fields.insert("headers".into(), Value::Object(single));
            fields.insert("cookies".into(), Value::Array(cookies));
        }
        ApiFormat::CloudFront { .. } => {}
        ApiFormat::Alb { multi_value } => {
            let description = match status.canonical_reason() {
                Some(reason) => format!("{} {reason}", status.as_u16()),
                None => status.as_u16().to_string(),
            };
            fields.insert("statusDescription".into(), Value::String(description));
            match multi_value {
                true => fields.insert("multiValueHeaders".into(), Value::Object(multi)),
                false => fields.insert("headers".into(), Value::Object(single)),
            };
        }
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_or_base64_follows_the_content_type_and_the_bytes() {
        assert!(is_text(Some("application/json"), b"{}"));
        assert!(is_text(Some("text/plain; charset=utf-8"), "é".as_bytes()));
        assert!(is_text(Some("application/problem+json"), b"{}"));
        assert!(is_text(None, b""));
        assert!(is_text(None, b"ok"));
        assert!(!is_text(None, b"\x89PNG"));
        assert!(is_text(Some("application/yaml"), b"a: 1"));
        assert!(!is_text(Some("image/png"), b"\x89PNG"));
        assert!(!is_text(Some("application/octet-stream"), b"abc"));
        assert!(!is_text(Some("text/plain"), b"\xff\xfe"));
    }

    #[test]
    fn encoded_paths_pass_unchanged_and_decoded_ones_are_escaped() {
        for (given, sent) in [
            ("/objects/a%20b%2Bc", "/objects/a%20b%2Bc"),
            ("/objects/a b+c", "/objects/a%20b+c"),
            ("/objects/what?#", "/objects/what%3F%23"),
            ("/objects/100%", "/objects/100%25"),
            ("/objects/caf\u{e9}", "/objects/caf%C3%A9"),
            ("objects", "/objects"),
        ] {
            assert_eq!(escape_path(given), sent, "{given}");
        }
    }

    #[test]
    fn carried_credentials_are_kept_but_never_shown() {
        let event = json!({"requestContext": {}, "httpMethod": "GET", "path": "/objects",
            "headers": {"Authorization": "Bearer s3cr3t-api-token", "Cookie": "session=s3cr3t-cookie",
                        "Accept": "application/json"}});
        let (request, _) = request(&event).unwrap();
        assert_eq!(
            request.headers()["authorization"],
            "Bearer s3cr3t-api-token"
        );
        assert_eq!(request.headers()["cookie"], "session=s3cr3t-cookie");
        let printed = format!("{request:?}");
        assert!(!printed.contains("s3cr3t"), "{printed}");
        assert!(printed.contains("application/json"), "{printed}");
    }

    #[test]
    fn too_many_headers_are_an_error_not_a_trap() {
        // Near 24,576 names the map itself would be full, and a PUT made from the request
        // copies its x-amz-meta-* headers into a map that spinlift's own headers then join.
        // The event's request context is one header more, not counted.
        for (count, accepted) in [(999, true), (1000, true), (1001, false), (24_577, false)] {
            let headers: serde_json::Map<String, Value> = (0..count)
                .map(|i| (format!("x-amz-meta-h{i}"), Value::from("v")))
                .collect();
            let event = json!({"requestContext": {}, "httpMethod": "PUT", "path": "/objects/k",
                "headers": headers, "body": "x"});
            match request(&event) {
                Ok((request, _)) => {
                    assert!(accepted, "{count}");
                    assert_eq!(request.headers().len(), count + 2);
                    assert!(request.headers().contains_key(REQUEST_CONTEXT_HEADER));
                    assert_eq!(request.headers()["content-length"], "1");
                }
                Err(err) => {
                    assert!(!accepted, "{count}");
                    assert_eq!(err.to_string(), "the event has more than 1000 headers");
                }
            }
        }
    }

    #[test]
    fn an_empty_multi_value_map_gives_way_to_a_filled_single_value_one() {
        let event = json!({"requestContext": {}, "httpMethod": "GET", "path": "/objects",
            "queryStringParameters": {"prefix": "a"}, "multiValueQueryStringParameters": {},
            "headers": {"x-one": "1"}, "multiValueHeaders": {}});
        let (request, _) = request(&event).unwrap();
        assert_eq!(request.uri(), "/objects?prefix=a");
        assert_eq!(request.headers()["x-one"], "1");
    }

    #[test]
    fn rest_queries_are_encoded_again_and_alb_ones_kept() {
        let rest = json!({"requestContext": {}, "httpMethod": "GET", "path": "/objects/a%20b%2Bc",
            "multiValueQueryStringParameters": {"prefix": ["x y"], "k": ["1", "2"]}});
        let (rest, format) = request(&rest).unwrap();
        assert_eq!(format, ApiFormat::RestV1);
        assert_eq!(rest.uri().path(), "/objects/a%20b%2Bc");
        assert_eq!(rest.uri().query(), Some("k=1&k=2&prefix=x%20y"));
        let alb = json!({"requestContext": {"elb": {}}, "httpMethod": "GET", "path": "/objects/a%20b",
            "queryStringParameters": {"prefix": "x%20y"}, "headers": {"host": "h", "x-a": "1"}});
        let (request, format) = request(&alb).unwrap();
        assert_eq!(format, ApiFormat::Alb { multi_value: false });
        assert_eq!(request.uri().to_string(), "/objects/a%20b?prefix=x%20y");
        assert_eq!(request.headers()["host"], "h");
        assert_eq!(request.headers()["x-a"], "1");
    }

    #[test]
    fn a_v2_stage_is_removed_from_the_path_and_the_context_goes_along() {
        let event = |stage: &str, raw_path: &str| {
            json!({"version": "2.0", "rawPath": raw_path, "rawQueryString": "a=1",
                "headers": {"x-amzn-request-context": "{\"forged\":true}"},
                "requestContext": {"stage": stage, "http": {"method": "GET"},
                    "authorizer": {"jwt": {"claims": {"sub": "ü-1"}}}}})
        };
        let routed = |stage, raw_path| request(&event(stage, raw_path)).unwrap().0;
        assert_eq!(routed("prod", "/prod/objects/k").uri(), "/objects/k?a=1");
        assert_eq!(routed("prod", "/prod").uri().path(), "/");
        assert_eq!(
            routed("prod", "/production/x").uri().path(),
            "/production/x"
        );
        assert_eq!(
            routed("$default", "/$default/x").uri().path(),
            "/$default/x"
        );
        assert_eq!(
            routed("prod", "/objects/prod").uri().path(),
            "/objects/prod"
        );

        let request = routed("prod", "/prod/x");
        let carried = request.headers().get_all(REQUEST_CONTEXT_HEADER);
        assert_eq!(carried.iter().count(), 1, "the client's own was dropped");
        let context: Value =
            serde_json::from_slice(carried.iter().next().unwrap().as_bytes()).unwrap();
        assert_eq!(context, event("prod", "/prod/x")["requestContext"]);
    }

    #[test]
    fn a_raw_query_a_uri_cannot_hold_is_escaped_not_refused() {
        // What a client sent unencoded reaches rawQueryString as sent; escaping it names the
        // same parameters, and what was encoded stays as it was.
        let event = json!({"version": "2.0", "rawPath": "/objects",
            "rawQueryString": "q=\"x y\"&r=%41+b?#f", "requestContext": {"http": {"method": "GET"}}});
        let (request, _) = request(&event).unwrap();
        assert_eq!(request.uri().query(), Some("q=%22x%20y%22&r=%41+b?%23f"));
    }

    #[test]
    fn an_http_api_stage_is_removed_in_payload_format_1_0_too() {
        // HTTP APIs put a named stage in front of payload 1.0's `path` as in 2.0's `rawPath`;
        // REST events (no `version`) never carry it, so a path that starts like the stage is
        // theirs.
        let event = |version: Option<&str>| {
            let mut event = json!({"httpMethod": "GET", "path": "/dev/objects/k",
                "requestContext": {"stage": "dev"}});
            if let Some(version) = version {
                event["version"] = json!(version);
            }
            event
        };
        let (http_api, format) = request(&event(Some("1.0"))).unwrap();
        assert_eq!(format, ApiFormat::RestV1);
        assert_eq!(http_api.uri().path(), "/objects/k");
        let (rest, _) = request(&event(None)).unwrap();
        assert_eq!(rest.uri().path(), "/dev/objects/k");
    }

    #[test]
    fn v2_cookies_become_one_cookie_header_and_bodies_are_reframed() {
        let v2 = json!({"version": "2.0", "requestContext": {"http": {"method": "PUT"}},
            "rawPath": "/objects/k", "rawQueryString": "", "cookies": ["a=1", "b=2"],
            "headers": {"content-length": "999", "content-type": "image/png"},
            "body": "AAEC/w==", "isBase64Encoded": true});
        let (request, format) = request(&v2).unwrap();
        assert_eq!(format, ApiFormat::HttpV2);
        assert_eq!(request.body(), &[0, 1, 2, 255]);
        assert_eq!(request.headers()["content-length"], "4");
        assert_eq!(request.headers()["cookie"], "a=1; b=2");
        let bad = json!({"version": "2.0", "requestContext": {"http": {"method": "PUT"}},
            "rawPath": "/x", "body": "***", "isBase64Encoded": true});
        assert!(super::request(&bad).is_err());
    }

    #[test]
    fn answers_take_each_documented_shape() {
        let response = http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .header("set-cookie", "a=1")
            .header("set-cookie", "b=2")
            .body(b"{}".to_vec())
            .unwrap();
        assert_eq!(
            proxy_response(ApiFormat::RestV1, &response),
            json!({"statusCode": 200, "body": "{}", "isBase64Encoded": false,
                   "headers": {"content-type": "application/json"},
                   "multiValueHeaders": {"content-type": ["application/json"], "set-cookie": ["a=1", "b=2"]}})
        );
        assert_eq!(
            proxy_response(ApiFormat::HttpV2, &response),
            json!({"statusCode": 200, "body": "{}", "isBase64Encoded": false,
                   "headers": {"content-type": "application/json"}, "cookies": ["a=1", "b=2"]})
        );
        assert_eq!(
            proxy_response(ApiFormat::Alb { multi_value: true }, &response),
            json!({"statusCode": 200, "statusDescription": "200 OK", "body": "{}", "isBase64Encoded": false,
                   "multiValueHeaders": {"content-type": ["application/json"], "set-cookie": ["a=1", "b=2"]}})
        );
        let alb = proxy_response(ApiFormat::Alb { multi_value: false }, &response);
        assert_eq!(alb["headers"]["set-cookie"], "b=2", "one cookie, the last");
        let binary = http::Response::builder()
            .status(404)
            .header("content-type", "image/png")
            .body(vec![0, 1, 2, 255])
            .unwrap();
        assert_eq!(
            proxy_response(ApiFormat::Alb { multi_value: false }, &binary),
            json!({"statusCode": 404, "statusDescription": "404 Not Found", "body": "AAEC/w==",
                   "isBase64Encoded": true, "headers": {"content-type": "image/png"}})
        );
    }

    #[test]
    fn header_values_beyond_ascii_are_carried_not_emptied() {
        let disposition = "attachment; filename=\"r\u{e9}sum\u{e9}.pdf\"";
        let response = http::Response::builder()
            .status(200)
            .header("content-disposition", disposition.as_bytes())
            .body(Vec::new())
            .unwrap();
        for format in [
            ApiFormat::RestV1,
            ApiFormat::HttpV2,
            ApiFormat::Alb { multi_value: false },
        ] {
            let answer = proxy_response(format, &response);
            assert_eq!(
                answer["headers"]["content-disposition"], disposition,
                "{format:?}"
            );
        }
        let multi = proxy_response(ApiFormat::Alb { multi_value: true }, &response);
        assert_eq!(
            multi["multiValueHeaders"]["content-disposition"],
            json!([disposition])
        );
    }
}
