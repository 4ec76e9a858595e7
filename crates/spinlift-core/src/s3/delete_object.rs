//! DeleteObject. <https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html>

use super::bucket::unsigned;
use super::{Bucket, ObjectKey, WriteCondition};
use crate::aws::AwsError;
use http::{HeaderMap, Method, Request, StatusCode};

/// `DELETE /{key}`. S3 answers 204 whether or not the key existed.
#[derive(Debug, Clone)]
pub struct DeleteObject<'a> {
    /// The object.
    pub key: &'a ObjectKey,
    /// Delete only if its ETag is this one (`If-Match`; 412 otherwise). S3 supports it on
    /// general purpose buckets since 2025; stores that do not ignore it.
    pub if_match: Option<&'a str>,
}

impl DeleteObject<'_> {
    /// The unsigned request.
    pub fn request(&self, bucket: &Bucket) -> Request<()> {
        let mut request = unsigned(Method::DELETE, bucket.object_uri(self.key, &[]));
        if let Some(etag) = self.if_match {
            WriteCondition::Matches(etag).apply(request.headers_mut());
        }
        request
    }

    /// Success, or the error.
    ///
    /// # Errors
    /// Any status but 200 or 204.
    pub fn parse_response(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), AwsError> {
        expect_no_content(status, headers, body)
    }
}

/// Success for the actions S3 answers with 204 (or 200) and no document: delete, abort.
pub(crate) fn expect_no_content(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), AwsError> {
    match status {
        StatusCode::NO_CONTENT | StatusCode::OK => Ok(()),
        _ => Err(AwsError::from_s3_response(status, headers, body)),
    }
}
