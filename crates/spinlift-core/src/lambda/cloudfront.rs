//! CloudFront Lambda@Edge request triggers (viewer request, origin request): the request in
//! `Records[0].cf.request` routed like an API event's, answered with a response CloudFront
//! generates instead of going to the origin.
//! <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-event-structure.html>
//! <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-generating-http-responses.html>
//!
//! The request: `method`, `uri` (escaped as API paths are), `querystring` as received,
//! `headers` as `{name: [{key, value}]}`, and the body when the trigger includes it
//! (`body.data`, `base64` or `text`). The event's `config` and `clientIp` go along as JSON in
//! `x-amzn-request-context`. The answer: `status` (a string), `statusDescription`, `headers`
//! in the same shape, `body` with `bodyEncoding` `text` or `base64`.

use super::api::{assemble, escape_path, is_text};
use super::LambdaError;
use base64ct::{Base64, Encoding};
use http::header;
use serde_json::{json, Map, Value};

/// Headers a generated response may not set: CloudFront's disallowed headers and those
/// read-only in every event. One of them fails CloudFront's validation, and the viewer gets a
/// 502 instead of the answer.
/// <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-function-restrictions-all.html>
const NOT_GENERATED: [&str; 18] = [
    "connection",
    "content-length",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
    "x-accel-buffering",
    "x-accel-charset",
    "x-accel-limit-rate",
    "x-accel-redirect",
    "x-cache",
    "x-forwarded-proto",
    "x-real-ip",
];

/// Name prefixes CloudFront keeps to itself, likewise.
const NOT_GENERATED_PREFIXES: [&str; 3] = ["x-amz-cf-", "x-amzn-", "x-edge-"];

fn may_generate(name: &str) -> bool {
    !NOT_GENERATED.contains(&name) && !NOT_GENERATED_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Whether a Lambda@Edge record is a viewer-request trigger (else an origin-request one).
///
/// # Errors
/// A response trigger (`origin-response`, `viewer-response`): it carries the request too, but
/// asks to change CloudFront's answer, not to have the request served; replaying it would
/// run, say, a `PUT` without its body.
pub(super) fn is_viewer_request(record: &Value) -> Result<bool, LambdaError> {
    let event_type = record["cf"]["config"]["eventType"].as_str();
    if record["cf"].get("response").is_some()
        || event_type.is_some_and(|t| t.ends_with("-response"))
    {
        return Err(LambdaError::new(format!(
            "a CloudFront {} trigger is not handled, only viewer-request and origin-request ones",
            event_type.unwrap_or("response")
        )));
    }
    // Without a type, the smaller limit of the two.
    Ok(event_type != Some("origin-request"))
}

/// The request a Lambda@Edge record (`Records[i]`, with `cf.request`) stands for.
pub(super) fn request(record: &Value) -> Result<http::Request<Vec<u8>>, LambdaError> {
    let cf = &record["cf"];
    let request = &cf["request"];
    let text = |field: &str| {
        request[field]
            .as_str()
            .ok_or_else(|| LambdaError::new(format!("the CloudFront request has no {field}")))
    };
    let mut headers = Vec::new();
    if let Some(map) = request["headers"].as_object() {
        for (name, entries) in map {
            for entry in entries.as_array().into_iter().flatten() {
                let value = entry["value"].as_str().ok_or_else(|| {
                    LambdaError::new(format!("the CloudFront header {name} has no value"))
                })?;
                headers.push((name.clone(), value.to_owned()));
            }
        }
    }
    if request["body"]["inputTruncated"].as_bool() == Some(true) {
        // CloudFront passes at most 40 KB (viewer) or 1 MB (origin) of a body.
        return Err(LambdaError::new(
            "the CloudFront body is truncated (inputTruncated): the request cannot be served whole",
        ));
    }
    let body = match (
        &request["body"]["data"],
        request["body"]["encoding"].as_str(),
    ) {
        (Value::String(data), Some("base64")) => Base64::decode_vec(data)
            .map_err(|_| LambdaError::new("the CloudFront body is marked base64 but is not"))?,
        (Value::String(data), _) => data.as_bytes().to_vec(),
        // No body: the trigger does not include it. A request that had one cannot be served
        // without it (a PUT would store nothing in place of the object).
        _ if headers.iter().any(|(name, value)| {
            (name.eq_ignore_ascii_case("content-length") && value.trim() != "0")
                || name.eq_ignore_ascii_case("transfer-encoding")
        }) =>
        {
            return Err(LambdaError::new(
                "the CloudFront request has a body the trigger does not include: turn on the association's Include body",
            ))
        }
        _ => Vec::new(),
    };
    let context = json!({"config": cf["config"], "clientIp": request["clientIp"]});
    assemble(
        text("method")?,
        escape_path(text("uri")?),
        request["querystring"].as_str().unwrap_or_default(),
        headers,
        Some(context.to_string()),
        body,
    )
}

/// The generated response CloudFront returns to the viewer for `response`.
pub(super) fn response(response: &http::Response<Vec<u8>>) -> Value {
    let headers = response.headers();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let (body, encoding) = match is_text(content_type, response.body()) {
        true => (
            String::from_utf8_lossy(response.body()).into_owned(),
            "text",
        ),
        false => (Base64::encode_string(response.body()), "base64"),
    };
    let mut map = Map::new();
    for name in headers.keys().filter(|name| may_generate(name.as_str())) {
        // A value that is not ASCII (a UTF-8 file name) goes as its text, as API answers do.
        let entries: Vec<Value> = headers
            .get_all(name)
            .iter()
            .map(|value| json!({"key": name.as_str(), "value": String::from_utf8_lossy(value.as_bytes())}))
            .collect();
        map.insert(name.to_string(), Value::Array(entries));
    }
    let status = response.status();
    json!({
        "status": status.as_u16().to_string(),
        "statusDescription": status.canonical_reason().unwrap_or_default(),
        "headers": map,
        "body": body,
        "bodyEncoding": encoding,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_with_repeated_headers_and_a_body_is_rebuilt() {
        let record = json!({"cf": {
            "config": {"eventType": "origin-request", "distributionId": "EDFDVBD6EXAMPLE"},
            "request": {"clientIp": "203.0.113.178", "method": "POST", "uri": "/objects/a b",
                "querystring": "x=1&y=%20",
                "headers": {"accept": [{"key": "Accept", "value": "a/b"}, {"key": "Accept", "value": "c/d"}],
                    "host": [{"key": "Host", "value": "d111111abcdef8.cloudfront.net"}],
                    "x-amzn-request-context": [{"key": "X-Amzn-Request-Context", "value": "{}"}]},
                "body": {"action": "read-only", "data": "aGk=", "encoding": "base64", "inputTruncated": false}}}});
        let request = request(&record).unwrap();
        assert_eq!(request.uri(), "/objects/a%20b?x=1&y=%20");
        assert_eq!(request.headers().get_all("accept").iter().count(), 2);
        assert_eq!(request.headers()["host"], "d111111abcdef8.cloudfront.net");
        assert_eq!(request.body(), b"hi");
        assert_eq!(request.headers()["content-length"], "2");
        let context: Value = serde_json::from_slice(
            request.headers()[super::super::REQUEST_CONTEXT_HEADER].as_bytes(),
        )
        .unwrap();
        assert_eq!(context["config"]["eventType"], "origin-request");
        assert_eq!(context["clientIp"], "203.0.113.178");
    }

    #[test]
    fn answers_are_generated_responses() {
        let mut response = http::Response::new(vec![0u8, 159]);
        *response.status_mut() = http::StatusCode::NOT_FOUND;
        let headers = response.headers_mut();
        headers.insert("content-type", "image/png".parse().unwrap());
        headers.insert("content-length", "2".parse().unwrap());
        headers.append("set-cookie", "a=1".parse().unwrap());
        headers.append("set-cookie", "b=2".parse().unwrap());
        let answer = super::response(&response);
        assert_eq!(answer["status"], "404");
        assert_eq!(answer["statusDescription"], "Not Found");
        assert_eq!(
            (answer["body"].as_str(), answer["bodyEncoding"].as_str()),
            (Some("AJ8="), Some("base64"))
        );
        assert_eq!(
            answer["headers"]["set-cookie"][1],
            json!({"key": "set-cookie", "value": "b=2"})
        );
        assert!(answer["headers"].get("content-length").is_none());
    }

    #[test]
    fn headers_cloudfront_keeps_to_itself_are_left_out_and_others_kept_whole() {
        let mut response = http::Response::new(Vec::new());
        let headers = response.headers_mut();
        for (name, value) in [
            ("via", "1.1 proxy"),
            ("x-amzn-requestid", "r-1"),
            ("x-amz-cf-pop", "FRA56"),
            ("x-edge-location", "FRA"),
            ("x-forwarded-proto", "https"),
            ("x-amz-meta-owner", "me"),
        ] {
            headers.insert(name, value.parse().unwrap());
        }
        headers.insert(
            "content-disposition",
            http::HeaderValue::from_bytes("attachment; filename=\"résumé.pdf\"".as_bytes())
                .unwrap(),
        );
        let answer = super::response(&response);
        let names: Vec<&String> = answer["headers"].as_object().unwrap().keys().collect();
        assert_eq!(names, ["content-disposition", "x-amz-meta-owner"]);
        assert_eq!(
            answer["headers"]["content-disposition"][0]["value"],
            "attachment; filename=\"résumé.pdf\""
        );
    }

    #[test]
    fn a_body_the_trigger_leaves_out_is_not_taken_for_an_empty_one() {
        let record = |method: &str, length: Option<&str>| {
            let mut headers = json!({});
            if let Some(length) = length {
                headers["content-length"] = json!([{"key": "Content-Length", "value": length}]);
            }
            json!({"cf": {"config": {"eventType": "viewer-request"},
                "request": {"method": method, "uri": "/objects/report.pdf", "querystring": "",
                    "headers": headers}}})
        };
        let refused = request(&record("PUT", Some("52311"))).unwrap_err();
        assert!(refused.to_string().contains("Include body"), "{refused}");
        assert_eq!(request(&record("GET", None)).unwrap().body(), b"");
        assert_eq!(request(&record("POST", Some("0"))).unwrap().body(), b"");
    }
}
