//! DeleteObject. <https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html>

use super::bucket::unsigned;
use super::{Bucket, ObjectKey, S3Error};
use http::{HeaderMap, Method, Request, StatusCode};

/// `DELETE /{key}`. S3 answers 204 whether or not the key existed.
#[derive(Debug, Clone)]
pub struct DeleteObject<'a> {
    /// The object.
    pub key: &'a ObjectKey,
}

impl DeleteObject<'_> {
    /// The unsigned request.
    pub fn request(&self, bucket: &Bucket) -> Request<()> {
        unsigned(Method::DELETE, bucket.object_uri(self.key, &[]))
    }

    /// Success, or the error.
    ///
    /// # Errors
    /// Any status but 200 or 204.
    pub fn parse_response(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), S3Error> {
        expect_no_content(status, headers, body)
    }
}

/// Success for the actions S3 answers with 204 (or 200) and no document: delete, abort.
pub(crate) fn expect_no_content(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), S3Error> {
    match status {
        StatusCode::NO_CONTENT | StatusCode::OK => Ok(()),
        _ => Err(S3Error::from_response(status, headers, body)),
    }
}
