//! CopyObject within the bucket. <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html>

use super::bucket::unsigned;
use super::{Bucket, ObjectKey};
use crate::aws::AwsError;
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};

/// `PUT /{to}` with `x-amz-copy-source: /bucket/{from}`.
#[derive(Debug, Clone)]
pub struct CopyObject<'a> {
    /// The source object.
    pub from: &'a ObjectKey,
    /// The destination object.
    pub to: &'a ObjectKey,
    /// Copy only if the source's ETag is this one (`x-amz-copy-source-if-match`; 412
    /// `PreconditionFailed` otherwise): the copy is of the version the caller read.
    pub source_etag: Option<&'a str>,
}

/// Names the source (`x-amz-copy-source`) and its version (`x-amz-copy-source-if-match`) of a
/// copy, whole or a part of one, and marks the request as one S3 may fail inside a `200`.
pub(crate) fn set_copy_source(
    request: &mut Request<()>,
    bucket: &Bucket,
    from: &ObjectKey,
    source_etag: Option<&str>,
) {
    let source = HeaderValue::from_str(&bucket.copy_source(from))
        .expect("an encoded key is a valid header value");
    request.headers_mut().insert("x-amz-copy-source", source);
    if let Some(etag) = source_etag {
        // Like WriteCondition: an ETag no header can carry matches nothing S3 holds.
        let value = HeaderValue::from_str(etag)
            .unwrap_or_else(|_| HeaderValue::from_static("\"invalid-etag\""));
        request
            .headers_mut()
            .insert("x-amz-copy-source-if-match", value);
    }
    request.extensions_mut().insert(super::ErrorsIn200);
}

/// The copy's ETag and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyObjectOutput {
    /// ETag of the new object, quotes included.
    pub etag: String,
    /// When the copy was made (ISO 8601).
    pub last_modified: String,
}

impl CopyObject<'_> {
    /// The unsigned request.
    pub fn request(&self, bucket: &Bucket) -> Request<()> {
        let mut request = unsigned(Method::PUT, bucket.object_uri(self.to, &[]));
        set_copy_source(&mut request, bucket, self.from, self.source_etag);
        request
    }

    /// The `CopyObjectResult`, or the error (which S3 may send with status 200).
    ///
    /// # Errors
    /// A non-200 status, an `<Error>` document, or a body that is not a `CopyObjectResult`.
    pub fn parse_response(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<CopyObjectOutput, AwsError> {
        super::error::parse_xml_in_200(status, headers, body, |doc| {
            Ok(CopyObjectOutput {
                etag: doc.required("ETag")?.to_owned(),
                last_modified: doc.text_of("LastModified").unwrap_or_default().to_owned(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::bucket::tests::bucket;

    #[test]
    fn copy_source_names_the_bucket_and_encoded_key() {
        let (from, to) = (ObjectKey::new("a b").unwrap(), ObjectKey::new("c").unwrap());
        let request = CopyObject {
            from: &from,
            to: &to,
            source_etag: None,
        }
        .request(&bucket(true));
        assert_eq!(
            request.headers()["x-amz-copy-source"],
            "/spinlift-dev/a%20b"
        );
        assert!(request
            .headers()
            .get("x-amz-copy-source-if-match")
            .is_none());
        let conditional = CopyObject {
            from: &from,
            to: &to,
            source_etag: Some("\"abc\""),
        }
        .request(&bucket(true));
        assert_eq!(
            conditional.headers()["x-amz-copy-source-if-match"],
            "\"abc\""
        );
        assert_eq!(request.uri().path(), "/spinlift-dev/c");
    }

    #[test]
    fn parses_the_result_and_the_error_inside_a_200() {
        // From the CopyObject API reference's example response.
        let ok = br#"<?xml version="1.0" encoding="UTF-8"?>
<CopyObjectResult><LastModified>2009-10-28T22:32:00</LastModified><ETag>"9b2cf535f27731c974343645a3985328"</ETag></CopyObjectResult>"#;
        let out = CopyObject::parse_response(StatusCode::OK, &HeaderMap::new(), ok).unwrap();
        assert_eq!(out.etag, "\"9b2cf535f27731c974343645a3985328\"");
        let failed = b"<Error><Code>InternalError</Code><Message>x</Message></Error>";
        assert_eq!(
            CopyObject::parse_response(StatusCode::OK, &HeaderMap::new(), failed)
                .unwrap_err()
                .code,
            "InternalError"
        );
    }
}
