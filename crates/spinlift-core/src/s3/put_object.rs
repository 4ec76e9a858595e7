//! PutObject. <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html>

use super::bucket::unsigned;
use super::{Bucket, Integrity, ObjectKey, WriteCondition};
use crate::aws::AwsError;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};

/// `PUT /{key}` with a body of known length (the caller streams or buffers it).
#[derive(Debug, Clone)]
pub struct PutObject<'a> {
    /// The object.
    pub key: &'a ObjectKey,
    /// The body length; S3 needs it up front (no chunked uploads without aws-chunked signing).
    pub content_length: u64,
    /// The `Content-Type` to store.
    pub content_type: Option<&'a HeaderValue>,
    /// `x-amz-meta-*` headers to store, names included, and any of [`STORED_HEADERS`].
    pub metadata: Vec<(&'a HeaderName, &'a HeaderValue)>,
    /// Write only if the object is in this state (412 otherwise).
    pub condition: Option<WriteCondition<'a>>,
    /// `Content-MD5` and an additional checksum, for S3 to check the bytes against.
    pub integrity: Integrity<'a>,
}

/// What S3 answers to a stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutObjectOutput {
    /// The new object's ETag, quotes included.
    pub etag: String,
}

impl PutObject<'_> {
    /// The unsigned request.
    pub fn request(&self, bucket: &Bucket) -> Request<()> {
        let mut request = unsigned(Method::PUT, bucket.object_uri(self.key, &[]));
        let headers = request.headers_mut();
        headers.insert(
            http::header::CONTENT_LENGTH,
            HeaderValue::from(self.content_length),
        );
        set_stored_headers(headers, self.content_type, &self.metadata);
        if let Some(condition) = self.condition {
            condition.apply(headers);
        }
        self.integrity.apply(headers);
        request
    }

    /// The stored object's ETag.
    ///
    /// # Errors
    /// Any status but 200.
    pub fn parse_response(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<PutObjectOutput, AwsError> {
        if status != StatusCode::OK {
            return Err(AwsError::from_s3_response(status, headers, body));
        }
        Ok(PutObjectOutput {
            etag: etag_header(headers),
        })
    }
}

/// The headers S3 stores with an object and answers on GET and HEAD, besides `Content-Type`
/// and `x-amz-meta-*`: what an upload may set, and what a copy in parts carries over.
pub const STORED_HEADERS: [HeaderName; 5] = [
    http::header::CACHE_CONTROL,
    http::header::CONTENT_DISPOSITION,
    http::header::CONTENT_ENCODING,
    http::header::CONTENT_LANGUAGE,
    http::header::EXPIRES,
];

/// Sets what S3 stores with an object besides its bytes: `Content-Type`, and `metadata`
/// (`x-amz-meta-*` and any of [`STORED_HEADERS`]).
pub(crate) fn set_stored_headers(
    headers: &mut HeaderMap,
    content_type: Option<&HeaderValue>,
    metadata: &[(&HeaderName, &HeaderValue)],
) {
    if let Some(content_type) = content_type {
        headers.insert(http::header::CONTENT_TYPE, content_type.clone());
    }
    for (name, value) in metadata {
        headers.append((*name).clone(), (*value).clone());
    }
}

/// The `ETag` header as text; empty when absent (some S3-compatible stores omit it).
pub(crate) fn etag_header(headers: &HeaderMap) -> String {
    headers
        .get(http::header::ETAG)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::bucket::tests::bucket;

    #[test]
    fn sets_length_type_and_metadata() {
        let key = ObjectKey::new("a/b.txt").unwrap();
        let content_type = HeaderValue::from_static("text/plain");
        let (name, value) = (
            HeaderName::from_static("x-amz-meta-owner"),
            HeaderValue::from_static("me"),
        );
        let request = PutObject {
            key: &key,
            content_length: 5,
            content_type: Some(&content_type),
            metadata: vec![(&name, &value)],
            condition: None,
            integrity: Integrity::default(),
        }
        .request(&bucket(true));
        assert_eq!(request.method(), Method::PUT);
        assert_eq!(request.uri().path(), "/spinlift-dev/a/b.txt");
        assert_eq!(request.headers()["content-length"], "5");
        assert_eq!(request.headers()["x-amz-meta-owner"], "me");
        let mut answer = HeaderMap::new();
        answer.insert(
            "etag",
            "\"5d41402abc4b2a76b9719d911017c592\"".parse().unwrap(),
        );
        let out = PutObject::parse_response(StatusCode::OK, &answer, b"").unwrap();
        assert_eq!(out.etag, "\"5d41402abc4b2a76b9719d911017c592\"");
    }
}
