//! S3's errors, read into the one [`AwsError`] every service's answers decode into: the
//! REST-XML `<Error>` body, the code S3 would name for a bodyless answer (HEAD), and what an
//! error means for the caller ([`S3ErrorKind`]).
//!
//! Only the code, message and request id are kept. A `SignatureDoesNotMatch` body also echoes
//! the access key id and the string to sign; those are dropped here so they can never reach
//! a client or a log.

use crate::aws::AwsError;
use http::{HeaderMap, StatusCode};

/// Marks a request S3 may answer `200 OK` and still fail (CopyObject, UploadPartCopy,
/// CompleteMultipartUpload: the status goes out before the work ends, and the error comes in
/// the body). Such an error means the action did not happen, so a transient one (S3's
/// `InternalError`, `SlowDown`) may be sent again, whatever the method, as the AWS SDKs do.
#[derive(Debug, Clone, Copy)]
pub struct ErrorsIn200;

/// What an S3 error means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum S3ErrorKind {
    /// No such object (404).
    NotFound,
    /// An `If-*` condition failed (412).
    PreconditionFailed,
    /// A concurrent write to the same key won while a conditional one was in flight (409
    /// `ConditionalRequestConflict`): the caller may retry.
    Conflict,
    /// The requested range is not satisfiable (416).
    InvalidRange,
    /// The client's own input was refused (metadata, arguments): a 400 for the client.
    ClientInput,
    /// The object is too large for the store.
    TooLarge,
    /// The store rejected our credentials, signature, clock or bucket, or failed: our side.
    Upstream,
}

impl AwsError {
    /// Reads an S3 error answer; a body that is not S3 error XML still yields a code from the
    /// status, as S3 names it (`NotFound`, `PreconditionFailed`, `SlowDown`, ...).
    pub fn from_s3_response(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        let header_request_id = request_id(headers);
        let parsed = crate::xml::parse(body)
            .ok()
            .filter(|doc| doc.name == "Error" && doc.child("Code").is_some());
        match parsed {
            Some(doc) => Self {
                status: status.as_u16(),
                code: doc.text_of("Code").unwrap_or_default().to_owned(),
                message: doc.text_of("Message").unwrap_or_default().to_owned(),
                request_id: header_request_id.or(doc.text_of("RequestId").map(str::to_owned)),
            },
            None => Self {
                status: status.as_u16(),
                code: code_for_status(status).to_owned(),
                message: String::new(),
                request_id: header_request_id,
            },
        }
    }

    /// Parses `body` as an S3 `<Error>` document, for the actions that can fail with a 200
    /// (CopyObject, UploadPartCopy, CompleteMultipartUpload: [`ErrorsIn200`]). `None` when
    /// the document is something else.
    pub fn from_s3_embedded(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Option<Self> {
        // The same reader as every other answer's: a second quick-xml API (the streaming
        // reader) would be 9 KB more in every component, since the retries look here too.
        let is_error = crate::xml::parse(body).ok()?.name == "Error";
        is_error.then(|| Self::from_s3_response(status, headers, body))
    }

    /// What an S3 error means for the caller: only errors about the client's own input are
    /// the client's; credentials, signatures, clock, bucket and server faults are ours.
    pub fn s3_kind(&self) -> S3ErrorKind {
        match self.code.as_str() {
            "NoSuchKey" | "NotFound" | "NoSuchUpload" => S3ErrorKind::NotFound,
            "PreconditionFailed" => S3ErrorKind::PreconditionFailed,
            "ConditionalRequestConflict" => S3ErrorKind::Conflict,
            "InvalidRange" => S3ErrorKind::InvalidRange,
            "EntityTooLarge" => S3ErrorKind::TooLarge,
            // RequestTimeout: the body stopped arriving. Only a client's upload streamed on at
            // its pace can do that; for a body spinlift holds, the caller makes it its own.
            "MetadataTooLarge" | "KeyTooLongError" | "InvalidArgument" | "InvalidDigest"
            | "BadDigest" | "IncompleteBody" | "InvalidRequest" | "EntityTooSmall"
            | "InvalidPart" | "InvalidPartOrder" | "RequestTimeout" => S3ErrorKind::ClientInput,
            _ => S3ErrorKind::Upstream,
        }
    }
}

/// The `x-amz-request-id` header, when S3 sent one.
fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-amz-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Reads a successful answer's XML body with `read`; a body that is not the expected document
/// is an error with code `MalformedResponse` (the store, not the client, is at fault).
pub(crate) fn parse_xml<T>(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    read: impl FnOnce(&crate::xml::Element) -> Result<T, crate::xml::XmlError>,
) -> Result<T, AwsError> {
    crate::xml::parse(body)
        .and_then(|doc| read(&doc))
        .map_err(|reason| AwsError {
            status: status.as_u16(),
            code: AwsError::MALFORMED_RESPONSE.to_owned(),
            message: format!("the store's answer is not the expected xml: {reason}"),
            request_id: request_id(headers),
        })
}

/// Reads the answer of an action S3 may fail inside a `200` ([`ErrorsIn200`]: CopyObject,
/// UploadPartCopy, CompleteMultipartUpload): another status, or an `<Error>` document, is the
/// error; any other document goes to `read`, as in [`parse_xml`].
pub(crate) fn parse_xml_in_200<T>(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    read: impl FnOnce(&crate::xml::Element) -> Result<T, crate::xml::XmlError>,
) -> Result<T, AwsError> {
    if status != StatusCode::OK {
        return Err(AwsError::from_s3_response(status, headers, body));
    }
    if let Some(err) = AwsError::from_s3_embedded(status, headers, body) {
        return Err(err);
    }
    parse_xml(status, headers, body, read)
}

/// The code S3 would name for a body-less answer (HEAD requests carry no error body).
fn code_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        301 => "PermanentRedirect",
        304 => "NotModified",
        400 => "BadRequest",
        403 => "Forbidden",
        404 => "NotFound",
        412 => "PreconditionFailed",
        416 => "InvalidRange",
        503 => "SlowDown",
        s if s >= 500 => "InternalError",
        _ => "UnexpectedStatus",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_error_body_and_drops_echoed_credentials() {
        // Shape from https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message>
<AWSAccessKeyId>AKIDSECRETISH</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256...</StringToSign>
<RequestId>4442587FB7D0A2F9</RequestId></Error>"#;
        let err = AwsError::from_s3_response(StatusCode::FORBIDDEN, &HeaderMap::new(), body);
        assert_eq!(err.code, "SignatureDoesNotMatch");
        assert_eq!(err.request_id.as_deref(), Some("4442587FB7D0A2F9"));
        assert_eq!(err.s3_kind(), S3ErrorKind::Upstream);
        assert!(!format!("{err:?} {err}").contains("AKIDSECRETISH"));
    }

    #[test]
    fn bodyless_answers_get_a_code_from_the_status() {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-request-id", "REQ1".parse().unwrap());
        let err = AwsError::from_s3_response(StatusCode::NOT_FOUND, &headers, b"");
        assert_eq!(
            (err.code.as_str(), err.s3_kind()),
            ("NotFound", S3ErrorKind::NotFound)
        );
        assert_eq!(err.request_id.as_deref(), Some("REQ1"));
        let err = AwsError::from_s3_response(StatusCode::BAD_GATEWAY, &HeaderMap::new(), b"<html>");
        assert_eq!(
            (err.code.as_str(), err.s3_kind()),
            ("InternalError", S3ErrorKind::Upstream)
        );
    }

    #[test]
    fn an_error_inside_a_200_is_recognised() {
        let body = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>";
        let err = AwsError::from_s3_embedded(StatusCode::OK, &HeaderMap::new(), body).unwrap();
        assert_eq!(err.code, "InternalError");
        let ok = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyObjectResult><ETag>\"x\"</ETag></CopyObjectResult>";
        assert!(AwsError::from_s3_embedded(StatusCode::OK, &HeaderMap::new(), ok).is_none());
        // A completion that took a while: S3 sent spaces to keep the connection open first.
        let kept_open = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n   \n   <Error><Code>SlowDown</Code></Error>";
        let err = AwsError::from_s3_embedded(StatusCode::OK, &HeaderMap::new(), kept_open);
        assert_eq!(err.map(|err| err.code).as_deref(), Some("SlowDown"));
        assert!(AwsError::from_s3_embedded(StatusCode::OK, &HeaderMap::new(), b"").is_none());
    }
}
