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

/// Headers a generated response may not set (CloudFront's list of disallowed and read-only
/// headers that a proxied answer could carry).
const NOT_GENERATED: [&str; 5] = [
    "connection",
    "content-length",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
];

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
    for name in headers.keys() {
        if NOT_GENERATED.contains(&name.as_str()) {
            continue;
        }
        let entries: Vec<Value> = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|value| json!({"key": name.as_str(), "value": value}))
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
        assert!(request.headers().get("host").is_none());
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
}
