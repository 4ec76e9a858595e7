//! UploadPartCopy: a part of a multipart upload copied from a range of an object in the
//! bucket, the bytes never leaving S3. How an object larger than CopyObject takes (5 GiB) is
//! copied. <https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html>

use super::bucket::unsigned;
use super::copy_object::set_copy_source;
use super::{Bucket, ObjectKey};
use crate::aws::AwsError;
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};

/// `PUT /{to}?partNumber=N&uploadId=ID` with `x-amz-copy-source` and
/// `x-amz-copy-source-range`.
#[derive(Debug, Clone)]
pub struct UploadPartCopy<'a> {
    /// The source object.
    pub from: &'a ObjectKey,
    /// The object being uploaded.
    pub to: &'a ObjectKey,
    /// The upload id.
    pub upload_id: &'a str,
    /// 1..=10000.
    pub part_number: u16,
    /// The source's bytes this part holds, first and last included
    /// ([`super::PartPlan::part_range`]).
    pub range: (u64, u64),
    /// Copy only from the source whose ETag is this one (412 `PreconditionFailed`
    /// otherwise): every part of one copy comes from the same version.
    pub source_etag: Option<&'a str>,
}

impl UploadPartCopy<'_> {
    /// The unsigned request.
    pub fn request(&self, bucket: &Bucket) -> Request<()> {
        let part_number = self.part_number.to_string();
        let mut request = unsigned(
            Method::PUT,
            bucket.object_uri(
                self.to,
                &[("partNumber", &part_number), ("uploadId", self.upload_id)],
            ),
        );
        set_copy_source(&mut request, bucket, self.from, self.source_etag);
        let (first, last) = self.range;
        request.headers_mut().insert(
            "x-amz-copy-source-range",
            HeaderValue::from_str(&format!("bytes={first}-{last}"))
                .expect("digits are a valid header value"),
        );
        request
    }

    /// The part's ETag (quotes included), needed to complete the upload.
    ///
    /// # Errors
    /// A non-200 status, an `<Error>` document (which S3 may send with status 200), or a body
    /// that is not a `CopyPartResult`.
    pub fn parse_response(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<String, AwsError> {
        super::error::parse_xml_in_200(status, headers, body, |doc| {
            Ok(doc.required("ETag")?.to_owned())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::bucket::tests::bucket;

    #[test]
    fn names_the_source_its_range_and_its_version() {
        let (from, to) = (
            ObjectKey::new("big file").unwrap(),
            ObjectKey::new("c").unwrap(),
        );
        let request = UploadPartCopy {
            from: &from,
            to: &to,
            upload_id: "up/1",
            part_number: 2,
            range: (5_242_880, 10_485_759),
            source_etag: Some("\"abc-3\""),
        }
        .request(&bucket(true));
        assert_eq!(request.method(), Method::PUT);
        assert_eq!(
            request.uri().to_string(),
            "http://127.0.0.1:8014/spinlift-dev/c?partNumber=2&uploadId=up%2F1"
        );
        let headers = request.headers();
        assert_eq!(headers["x-amz-copy-source"], "/spinlift-dev/big%20file");
        assert_eq!(headers["x-amz-copy-source-range"], "bytes=5242880-10485759");
        assert_eq!(headers["x-amz-copy-source-if-match"], "\"abc-3\"");
        assert!(request
            .extensions()
            .get::<crate::s3::ErrorsIn200>()
            .is_some());
    }

    #[test]
    fn parses_the_result_and_the_error_inside_a_200() {
        // From the UploadPartCopy API reference's example response.
        let ok = br#"<CopyPartResult>
   <LastModified>2009-10-28T22:32:00</LastModified>
   <ETag>"9b2cf535f27731c974343645a3985328"</ETag>
</CopyPartResult>"#;
        let etag = UploadPartCopy::parse_response(StatusCode::OK, &HeaderMap::new(), ok);
        assert_eq!(etag.unwrap(), "\"9b2cf535f27731c974343645a3985328\"");
        let failed = b"<Error><Code>SlowDown</Code><Message>x</Message></Error>";
        let err = UploadPartCopy::parse_response(StatusCode::OK, &HeaderMap::new(), failed);
        assert_eq!(err.unwrap_err().code, "SlowDown");
        let refused = b"<Error><Code>PreconditionFailed</Code><Message>x</Message></Error>";
        let err = UploadPartCopy::parse_response(
            StatusCode::PRECONDITION_FAILED,
            &HeaderMap::new(),
            refused,
        );
        assert_eq!(err.unwrap_err().code, "PreconditionFailed");
    }
}
