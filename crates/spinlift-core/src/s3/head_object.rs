//! HeadObject, and the object metadata GET and HEAD share.
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html>

use super::bucket::unsigned;
use super::{Bucket, ObjectKey, ReadConditions};
use crate::aws::AwsError;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};

/// The response headers of an object that are passed on to clients.
const OBJECT_HEADERS: [&str; 11] = [
    "content-type",
    "content-length",
    "content-range",
    "etag",
    "last-modified",
    "accept-ranges",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
];

/// An object's metadata as S3 reports it on GET and HEAD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHead {
    /// 200, 206 (a range) or 304 (not modified).
    pub status: StatusCode,
    /// The headers clients get: content type and length, range, ETag, Last-Modified, the
    /// stored `Cache-Control`, `Content-Disposition`, `Content-Encoding`, `Content-Language`
    /// and `Expires`, `x-amz-meta-*`, `x-amz-checksum-*`.
    pub headers: HeaderMap,
}

impl ObjectHead {
    /// Reads an object answer's head; any status but 200, 206 and 304 is an error whose body
    /// the caller reads and gives to [`AwsError::from_s3_response`].
    pub fn from_parts(status: StatusCode, headers: &HeaderMap) -> Option<Self> {
        if !matches!(status.as_u16(), 200 | 206 | 304) {
            return None;
        }
        let mut kept = HeaderMap::new();
        for (name, value) in headers {
            let name_str = name.as_str();
            // The object's checksum (`x-amz-checksum-<algo>`, `-type`) too, when asked for:
            // a client can check the bytes it got end to end.
            if name == http::header::CONTENT_ENCODING {
                if let Some(own) = without_aws_chunked(value) {
                    kept.append(name.clone(), own);
                }
            } else if OBJECT_HEADERS.contains(&name_str)
                || name_str.starts_with("x-amz-meta-")
                || name_str.starts_with("x-amz-checksum-")
            {
                kept.append(name.clone(), value.clone());
            }
        }
        Some(Self {
            status,
            headers: kept,
        })
    }

    /// The object's size in bytes (of the range, for a 206), when S3 said it.
    pub fn content_length(&self) -> Option<u64> {
        self.header("content-length")?.parse().ok()
    }

    /// The ETag, quotes included, as S3 sent it.
    pub fn etag(&self) -> Option<&str> {
        self.header("etag")
    }

    /// The object's `Content-Type`, when S3 sent one.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(HeaderName::from_bytes(name.as_bytes()).ok()?)?
            .to_str()
            .ok()
    }
}

/// The object's own content codings, without `identity` (no coding, which RFC 9110 keeps for
/// `Accept-Encoding`) and `aws-chunked`: the framing of a streamed upload
/// (`Content-Encoding: aws-chunked,gzip`), which S3 is to drop but some stores keep (s3s-fs;
/// S3 itself over `http`, aws/aws-sdk-java-v2#4746). A client told `aws-chunked` could not
/// decode the bytes. `None` when no other coding is left.
fn without_aws_chunked(value: &HeaderValue) -> Option<HeaderValue> {
    let Ok(text) = value.to_str() else {
        return Some(value.clone());
    };
    let own: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|coding| {
            !coding.is_empty()
                && !coding.eq_ignore_ascii_case("aws-chunked")
                && !coding.eq_ignore_ascii_case("identity")
        })
        .collect();
    match own.len() {
        0 => None,
        _ if own.len() == text.split(',').count() => Some(value.clone()),
        _ => HeaderValue::from_str(&own.join(", ")).ok(),
    }
}

/// `HEAD /{key}`, under the client's preconditions.
#[derive(Debug, Clone)]
pub struct HeadObject<'a> {
    /// The object.
    pub key: &'a ObjectKey,
    /// As on GET: S3 answers 412 or 304 when they fail.
    pub conditions: ReadConditions<'a>,
    /// Ask for the object's stored checksum (`x-amz-checksum-mode: ENABLED`), so that HEAD
    /// says what GET would.
    pub checksum_mode: bool,
}

impl<'a> HeadObject<'a> {
    /// The object's metadata, unconditionally.
    pub fn of(key: &'a ObjectKey) -> Self {
        Self {
            key,
            conditions: ReadConditions::default(),
            checksum_mode: false,
        }
    }

    /// The unsigned request.
    pub fn request(&self, bucket: &Bucket) -> Request<()> {
        let mut request = unsigned(Method::HEAD, bucket.object_uri(self.key, &[]));
        let headers = request.headers_mut();
        self.conditions.apply(headers);
        if self.checksum_mode {
            headers.insert(
                "x-amz-checksum-mode",
                http::HeaderValue::from_static("ENABLED"),
            );
        }
        request
    }

    /// The object's metadata (a 304 when a condition said not modified), or the error (HEAD
    /// answers carry no body, so the code comes from the status).
    ///
    /// # Errors
    /// Any status but 200 and 304.
    pub fn parse_response(status: StatusCode, headers: &HeaderMap) -> Result<ObjectHead, AwsError> {
        match ObjectHead::from_parts(status, headers) {
            Some(head) if status != StatusCode::PARTIAL_CONTENT => Ok(head),
            _ => Err(AwsError::from_s3_response(status, headers, b"")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::S3ErrorKind;

    #[test]
    fn keeps_object_headers_and_user_metadata_only() {
        let mut headers = HeaderMap::new();
        for (n, v) in [
            ("content-type", "text/plain"),
            ("content-length", "11"),
            ("etag", "\"abc\""),
            ("x-amz-meta-owner", "me"),
            ("x-amz-request-id", "R"),
            ("server", "AmazonS3"),
        ] {
            headers.insert(n, v.parse().unwrap());
        }
        let head = HeadObject::parse_response(StatusCode::OK, &headers).unwrap();
        assert_eq!(head.content_length(), Some(11));
        assert_eq!(head.etag(), Some("\"abc\""));
        let names: Vec<&str> = head.headers.keys().map(|n| n.as_str()).collect();
        assert_eq!(
            names,
            ["content-type", "content-length", "etag", "x-amz-meta-owner"]
        );
        let err = HeadObject::parse_response(StatusCode::NOT_FOUND, &HeaderMap::new()).unwrap_err();
        assert_eq!(err.s3_kind(), S3ErrorKind::NotFound);
    }

    #[test]
    fn a_streamed_uploads_framing_is_not_the_objects_encoding() {
        let encoding = |stored: &str| {
            let mut headers = HeaderMap::new();
            headers.insert("content-encoding", stored.parse().unwrap());
            let head = HeadObject::parse_response(StatusCode::OK, &headers).unwrap();
            head.headers
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_owned())
        };
        assert_eq!(encoding("aws-chunked"), None);
        assert_eq!(encoding("aws-chunked,gzip").as_deref(), Some("gzip"));
        assert_eq!(
            encoding("AWS-Chunked, br, gzip").as_deref(),
            Some("br, gzip")
        );
        assert_eq!(encoding("gzip").as_deref(), Some("gzip"));
        assert_eq!(encoding("identity"), None);
    }
}
