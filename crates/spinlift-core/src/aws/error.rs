//! One error type for every service: the code from `__type` or `x-amzn-ErrorType` (JSON
//! protocol) or `<Code>` (Query protocol, and moto's XML answers), the message, the request
//! id, and whether a retry may succeed (the retry policy lives in the `spinlift` edge crate).

use http::{HeaderMap, StatusCode};
use serde_json::Value;
use std::fmt;

/// An error answer from an AWS service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// HTTP status.
    pub status: u16,
    /// The AWS error code, e.g. `ConditionalCheckFailedException`, `InvalidParameter`.
    pub code: String,
    /// The service's message (may echo input; log it, do not forward it blindly).
    pub message: String,
    /// `x-amzn-RequestId` / `x-amz-request-id` / `<RequestId>`.
    pub request_id: Option<String>,
}

/// Codes that mean "refused before doing anything, slow down": any call may be sent again
/// (DynamoDB's `ReplicatedWriteConflictException`: another region was writing the item).
const THROTTLING: [&str; 13] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "ReplicatedWriteConflictException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
];

/// Codes of transient failures that may have happened after the call took effect.
const TRANSIENT: [&str; 5] = [
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "RequestTimeout",
    "RequestTimeoutException",
];

impl AwsError {
    /// Reads an error answer in either protocol; a body that is neither still yields a code
    /// from the status.
    pub fn from_response(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let request_id = header("x-amzn-requestid").or_else(|| header("x-amz-request-id"));
        let (code, message, body_request_id) = json_fields(body)
            .or_else(|| xml_fields(body))
            .unwrap_or_default();
        let code = header("x-amzn-errortype")
            .map(|t| short_code(&t))
            .filter(|c| !c.is_empty())
            .or(code);
        // SQS speaks JSON but keeps its query protocol's codes in `x-amzn-query-error`
        // (`AWS.SimpleQueueService.NonExistentQueue;Sender`): the SDKs report that one, so
        // code ported from them matches the same names. Not where spinlift itself decides by
        // the code (throttling, transient, refused credentials or clock): those names stay.
        let query_code = header("x-amzn-query-error")
            .and_then(|v| v.split(';').next().map(|c| c.trim().to_owned()))
            .filter(|c| !c.is_empty());
        let code = match (query_code, code) {
            (Some(query), Some(code)) if !is_decisive(&code) => Some(query),
            (query, code) => code.or(query),
        };
        let code = code.unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("UnknownError")
                .replace(' ', "")
        });
        Self {
            status: status.as_u16(),
            code,
            message: message.unwrap_or_default(),
            request_id: request_id.or(body_request_id),
        }
    }

    /// The code of an answer spinlift could not read ([`AwsError::malformed`]).
    pub const MALFORMED_RESPONSE: &'static str = "MalformedResponse";
    /// The code of an answer that broke off before its end.
    pub const INCOMPLETE_RESPONSE: &'static str = "IncompleteResponse";

    /// An answer that succeeded but cannot be read.
    pub fn malformed(status: StatusCode, what: impl fmt::Display) -> Self {
        Self {
            status: status.as_u16(),
            code: Self::MALFORMED_RESPONSE.into(),
            message: format!("the answer could not be read: {what}"),
            request_id: None,
        }
    }

    /// Whether spinlift described this failure itself (an answer it could not read, or one
    /// that broke off): the message is then its own reason, not the store's text, which may
    /// echo a key id, so a log line may carry it.
    pub fn is_own(&self) -> bool {
        [Self::MALFORMED_RESPONSE, Self::INCOMPLETE_RESPONSE].contains(&self.code.as_str())
    }

    /// Throttled: the service refused the call before doing anything, so any call may be
    /// sent again after a pause.
    pub fn is_throttling(&self) -> bool {
        self.status == 429 || THROTTLING.contains(&self.code.as_str())
    }

    /// A transient server failure (500/502/503/504, or a transient code): the same call may
    /// succeed later, but it may also have taken effect, so only idempotent calls are repeated.
    pub fn is_transient(&self) -> bool {
        matches!(self.status, 500 | 502 | 503 | 504) || TRANSIENT.contains(&self.code.as_str())
    }

    /// Whether the caller's credentials, signature or clock were refused.
    pub fn is_auth(&self) -> bool {
        matches!(
            self.code.as_str(),
            "SignatureDoesNotMatch"
                | "InvalidClientTokenId"
                | "UnrecognizedClientException"
                | "IncompleteSignature"
                | "ExpiredToken"
                | "ExpiredTokenException"
                | "AccessDenied"
                | "AccessDeniedException"
                | "InvalidSignatureException"
                | "RequestExpired"
                | "SignatureExpired"
        )
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.code)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AwsError {}

/// Whether spinlift's own decisions read `code`: the retry's lists, refused credentials, and
/// the clock's refusals (`spinlift::clock::is_time_refusal`).
fn is_decisive(code: &str) -> bool {
    let error = AwsError {
        status: 0,
        code: code.to_owned(),
        message: String::new(),
        request_id: None,
    };
    error.is_throttling()
        || error.is_transient()
        || error.is_auth()
        || ["RequestTimeTooSkewed", "RequestInTheFuture", "AuthFailure"].contains(&code)
}

/// `com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException` and
/// `ConditionalCheckFailedException:http://internal.amazon.com/...` both name
/// `ConditionalCheckFailedException`.
fn short_code(raw: &str) -> String {
    let after_hash = raw.rsplit('#').next().unwrap_or(raw);
    after_hash
        .split(':')
        .next()
        .unwrap_or(after_hash)
        .to_owned()
}

type Fields = (Option<String>, Option<String>, Option<String>);

fn json_fields(body: &[u8]) -> Option<Fields> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let text = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| value.get(*n).and_then(Value::as_str))
            .map(str::to_owned)
    };
    let code = text(&["__type", "code", "Code"]).map(|t| short_code(&t));
    Some((code, text(&["message", "Message"]), None))
}

/// The first `<Code>`, `<Message>` and `<RequestId>` anywhere in the document: AWS nests
/// them as `ErrorResponse/Error/...`, moto as `ErrorResponse/Errors/Error/...`.
fn xml_fields(body: &[u8]) -> Option<Fields> {
    let doc = crate::xml::parse(body).ok()?;
    let text = |name: &str| doc.find(name).map(|e| e.text.clone());
    let code = text("Code").filter(|code| !code.is_empty())?;
    Some((Some(code), text("Message"), text("RequestId")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(status: u16, headers: &[(&'static str, &str)], body: &str) -> AwsError {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, value.parse().unwrap());
        }
        AwsError::from_response(StatusCode::from_u16(status).unwrap(), &map, body.as_bytes())
    }

    #[test]
    fn json_protocol_errors_name_their_short_code() {
        // The shape of DynamoDB's documented error answers.
        let err = error(
            400,
            &[("x-amzn-requestid", "R1")],
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}"#,
        );
        assert_eq!(err.code, "ConditionalCheckFailedException");
        assert_eq!(err.message, "The conditional request failed");
        assert_eq!(err.request_id.as_deref(), Some("R1"));
        assert!(!err.is_throttling() && !err.is_transient());
        let throttled = error(
            400,
            &[("x-amzn-errortype", "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.availability/")],
            "{}",
        );
        assert_eq!(throttled.code, "ThrottlingException");
        assert!(throttled.is_throttling());
        // A multi-region table's write conflict: refused, and retried as the SDKs do.
        let conflict = error(
            400,
            &[],
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ReplicatedWriteConflictException"}"#,
        );
        assert!(conflict.is_throttling());
    }

    #[test]
    fn sqs_errors_carry_their_query_compatible_code() {
        // SQS's JSON answers name the error twice; the SDKs report the header's name.
        let missing = error(
            400,
            &[(
                "x-amzn-query-error",
                "AWS.SimpleQueueService.NonExistentQueue;Sender",
            )],
            r#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#,
        );
        assert_eq!(missing.code, "AWS.SimpleQueueService.NonExistentQueue");
        let throttled = error(
            403,
            &[("x-amzn-query-error", "RequestThrottled;Sender")],
            r#"{"__type":"com.amazonaws.sqs#RequestThrottled"}"#,
        );
        assert!(throttled.is_throttling());
        // A code spinlift decides by keeps its name, whatever the header says.
        let expired = error(
            400,
            &[(
                "x-amzn-query-error",
                "AWS.SimpleQueueService.Whatever;Sender",
            )],
            r#"{"__type":"com.amazon.coral.service#InvalidSignatureException","message":"Signature expired"}"#,
        );
        assert_eq!(expired.code, "InvalidSignatureException");
        // Without a body code the header's stands.
        let bare = error(400, &[("x-amzn-query-error", "InvalidAddress;Sender")], "");
        assert_eq!(bare.code, "InvalidAddress");
    }

    #[test]
    fn query_protocol_errors_are_read_however_nested() {
        let sns = error(
            400,
            &[],
            "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender</Type>\
             <Code>InvalidParameter</Code><Message>Invalid parameter: TopicArn</Message></Error>\
             <RequestId>R2</RequestId></ErrorResponse>",
        );
        assert_eq!(
            (sns.code.as_str(), sns.request_id.as_deref()),
            ("InvalidParameter", Some("R2"))
        );
        let moto = error(
            403,
            &[],
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><ErrorResponse><Errors><Error>\
             <Code>SignatureDoesNotMatch</Code><Message>no</Message></Error></Errors></ErrorResponse>",
        );
        assert_eq!(moto.code, "SignatureDoesNotMatch");
        assert!(moto.is_auth());
        let opaque = error(503, &[], "<html>busy</html>");
        assert_eq!(opaque.code, "ServiceUnavailable");
        assert!(opaque.is_transient());
    }
}
