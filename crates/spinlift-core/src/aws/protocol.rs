//! The two wire protocols: AWS JSON 1.0 and 1.1 (`X-Amz-Target`, a JSON body, JSON answers)
//! and AWS Query (a form-encoded `Action=...&Version=...` body, XML answers). Public, so an
//! [`super::Operation`] of the user's own (for a [`super::Service::Other`]) is a few lines.

use super::{AwsError, Endpoint};
use crate::sigv4::uri_encode;
use crate::xml::{Element, XmlError};
use http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// `POST /` with `X-Amz-Target: <target>` (a static ASCII name such as
/// `DynamoDB_20120810.PutItem`) and a JSON 1.0 body: DynamoDB, SQS.
pub fn json_request(endpoint: &Endpoint, target: &str, body: &Value) -> Request<Vec<u8>> {
    let body = body.to_string().into_bytes();
    post(endpoint, "application/x-amz-json-1.0", Some(target), body)
}

/// [`json_request`] for the services on JSON 1.1: Secrets Manager, KMS, EventBridge, SSM,
/// CloudWatch Logs, ... (the service's API reference names its protocol).
pub fn json_1_1_request(endpoint: &Endpoint, target: &str, body: &Value) -> Request<Vec<u8>> {
    let body = body.to_string().into_bytes();
    post(endpoint, "application/x-amz-json-1.1", Some(target), body)
}

/// A JSON answer, or the error it carries.
pub fn json_answer<T: DeserializeOwned>(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, AwsError> {
    if !status.is_success() {
        return Err(AwsError::from_response(status, headers, body));
    }
    // An empty success body is `{}`.
    let body = if body.is_empty() { &b"{}"[..] } else { body };
    serde_json::from_slice(body).map_err(|err| AwsError::malformed(status, err))
}

/// `POST /` with `Action`, `Version` and `params`, form-encoded (`+` for a space, as
/// `application/x-www-form-urlencoded` has it; everything but unreserved characters escaped).
pub fn query_request(
    endpoint: &Endpoint,
    action: &str,
    version: &str,
    params: &[(String, String)],
) -> Request<Vec<u8>> {
    let mut form = format!("Action={action}&Version={version}");
    for (name, value) in params {
        form.push('&');
        form.push_str(&form_encode(name));
        form.push('=');
        form.push_str(&form_encode(value));
    }
    post(
        endpoint,
        "application/x-www-form-urlencoded; charset=utf-8",
        None,
        form.into_bytes(),
    )
}

/// An XML answer read by `read` from the element at `result` (e.g.
/// `["PublishResult"]` below the root), or the error it carries.
pub fn query_answer<T>(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    result: &str,
    read: impl FnOnce(&Element) -> Result<T, XmlError>,
) -> Result<T, AwsError> {
    if !status.is_success() {
        return Err(AwsError::from_response(status, headers, body));
    }
    crate::xml::parse(body)
        .and_then(|doc| {
            let result = doc
                .child(result)
                .ok_or_else(|| XmlError::new(format!("the answer has no <{result}>")))?;
            read(result)
        })
        .map_err(|err| AwsError::malformed(status, err))
}

fn form_encode(text: &str) -> String {
    uri_encode(text).replace("%20", "+")
}

fn post(
    endpoint: &Endpoint,
    content_type: &'static str,
    target: Option<&str>,
    body: Vec<u8>,
) -> Request<Vec<u8>> {
    let mut request = Request::new(body);
    *request.method_mut() = Method::POST;
    *request.uri_mut() = endpoint.uri("/");
    let headers = request.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let length = request.body().len();
    request
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    // A target that is no header value (a user's typo, not input) goes without one: the
    // service answers that it knows no such operation, rather than the component trapping.
    if let Some(target) = target.and_then(|t| HeaderValue::from_str(t).ok()) {
        request.headers_mut().insert("x-amz-target", target);
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::Service;

    #[test]
    fn json_requests_name_their_version_and_a_bad_target_is_left_out() {
        let service = Service::Other {
            signing_name: "secretsmanager",
            endpoint_variable: "secretsmanager_endpoint",
        };
        let endpoint = Endpoint::new(service, "http://127.0.0.1:5000", "eu-west-1").unwrap();
        let body = serde_json::json!({"SecretId": "s"});
        let v1_1 = json_1_1_request(&endpoint, "secretsmanager.GetSecretValue", &body);
        assert_eq!(v1_1.headers()["content-type"], "application/x-amz-json-1.1");
        assert_eq!(
            v1_1.headers()["x-amz-target"],
            "secretsmanager.GetSecretValue"
        );
        let v1_0 = json_request(&endpoint, "DynamoDB_20120810.GetItem", &body);
        assert_eq!(v1_0.headers()["content-type"], "application/x-amz-json-1.0");
        // A target that cannot be a header value: no header, no trap.
        let typo = json_request(&endpoint, "Bad\nTarget", &body);
        assert!(!typo.headers().contains_key("x-amz-target"));
        assert_eq!(typo.uri(), "http://127.0.0.1:5000/");
    }
}
