//! GetObject. <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>
//!
//! The body is streamed by the caller; this type builds the request and reads the head
//! through [`ObjectHead::from_parts`](super::ObjectHead::from_parts).

use super::bucket::unsigned;
use super::{Bucket, ObjectKey, ReadConditions};
use http::{HeaderValue, Method, Request};

/// `GET /{key}`, optionally for a byte range, under the client's preconditions.
#[derive(Debug, Clone)]
pub struct GetObject<'a> {
    /// The object.
    pub key: &'a ObjectKey,
    /// A `Range` header value, e.g. `bytes=0-9`, passed through as the client sent it.
    pub range: Option<&'a HeaderValue>,
    /// The client's `If-Match`, `If-None-Match`, `If-Modified-Since` and
    /// `If-Unmodified-Since`: S3 answers 412 or 304 when they fail.
    pub conditions: ReadConditions<'a>,
    /// Ask for the object's stored checksum (`x-amz-checksum-mode: ENABLED`), to check the
    /// bytes against as they stream ([`super::object_checksum`]).
    pub checksum_mode: bool,
}

impl GetObject<'_> {
    /// What IAM must allow (see [`crate::iam`]); a `HEAD` needs the same.
    pub const IAM_ACTIONS: &'static [&'static str] = &["s3:GetObject"];

    /// The unsigned request.
    pub fn request(&self, bucket: &Bucket) -> Request<()> {
        let mut request = unsigned(Method::GET, bucket.object_uri(self.key, &[]));
        let headers = request.headers_mut();
        if let Some(range) = self.range {
            headers.insert(http::header::RANGE, range.clone());
        }
        self.conditions.apply(headers);
        if self.checksum_mode {
            headers.insert("x-amz-checksum-mode", HeaderValue::from_static("ENABLED"));
        }
        request
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::bucket::tests::bucket;

    #[test]
    fn passes_range_and_the_clients_conditions() {
        let key = ObjectKey::new("k").unwrap();
        let mut client = http::HeaderMap::new();
        client.insert("if-none-match", HeaderValue::from_static("\"abc\""));
        client.insert("if-match", HeaderValue::from_static("\"def\""));
        let conditional = GetObject {
            key: &key,
            range: None,
            conditions: ReadConditions::from_headers(&client),
            checksum_mode: true,
        }
        .request(&bucket(true));
        assert_eq!(conditional.headers()["if-none-match"], "\"abc\"");
        assert_eq!(conditional.headers()["if-match"], "\"def\"");
        assert_eq!(conditional.headers()["x-amz-checksum-mode"], "ENABLED");
        // s3s-fs ignores If-None-Match, so the 304 path is checked here rather than end to end.
        let not_modified = crate::s3::ObjectHead::from_parts(
            http::StatusCode::NOT_MODIFIED,
            conditional.headers(),
        );
        assert_eq!(
            not_modified.map(|head| head.status),
            Some(http::StatusCode::NOT_MODIFIED)
        );
        let range = HeaderValue::from_static("bytes=0-9");
        let request = GetObject {
            key: &key,
            range: Some(&range),
            conditions: ReadConditions::default(),
            checksum_mode: false,
        }
        .request(&bucket(true));
        assert_eq!(request.method(), http::Method::GET);
        assert_eq!(request.headers()["range"], "bytes=0-9");
        assert!(request.headers().get("if-none-match").is_none());
        assert!(request.headers().get("x-amz-checksum-mode").is_none());
        assert!(request.headers().get("host").is_none());
    }
}
