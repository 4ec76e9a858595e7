//! Every S3 action the client sends with an in-memory body, behind one trait, so the client
//! has one path for all of them: build the request, sign, send, read the answer, parse.
//! (`GetObject` streams its answer and is sent on its own.)

use super::{
    AbortMultipartUpload, Bucket, CompleteMultipartUpload, CopyObject, CopyObjectOutput,
    CreateMultipartUpload, DeleteObject, HeadObject, ListObjectsV2, ListObjectsV2Output, ListParts,
    ListPartsOutput, ObjectHead, PutObject, PutObjectOutput, UploadPart, UploadPartCopy,
};
use crate::aws::AwsError;
use http::{HeaderMap, Request, StatusCode};

/// One S3 action: its request for a bucket, and how to read its answer.
pub trait S3Action {
    /// What a successful answer yields.
    type Output;

    /// The IAM actions an identity must be allowed to send it (`s3:PutObject` for every step
    /// of a multipart upload; `s3:GetObject` and `s3:PutObject` for a copy). [`crate::iam`]
    /// collects them.
    const IAM_ACTIONS: &'static [&'static str];

    /// The unsigned request for `bucket`, with the action's own body (empty for most; the
    /// caller may put the object's bytes in for `PutObject` and `UploadPart`).
    fn build(&self, bucket: &Bucket) -> Request<Vec<u8>>;

    /// Reads the answer.
    ///
    /// # Errors
    /// S3 answered an error, or an answer that does not parse.
    fn read(status: StatusCode, headers: &HeaderMap, body: &[u8])
        -> Result<Self::Output, AwsError>;
}

/// Actions whose request has no body of their own and whose parser reads the whole answer.
macro_rules! bodiless_action {
    ($($action:ident => $output:ty, $($iam:literal)|+;)*) => {$(
        impl S3Action for $action<'_> {
            type Output = $output;
            const IAM_ACTIONS: &'static [&'static str] = &[$($iam),+];

            fn build(&self, bucket: &Bucket) -> Request<Vec<u8>> {
                self.request(bucket).map(|()| Vec::new())
            }

            fn read(
                status: StatusCode,
                headers: &HeaderMap,
                body: &[u8],
            ) -> Result<$output, AwsError> {
                Self::parse_response(status, headers, body)
            }
        }
    )*};
}

bodiless_action! {
    AbortMultipartUpload => (), "s3:AbortMultipartUpload";
    // S3 copies the source's tags by default (`x-amz-tagging-directive: COPY`), which asks
    // for both tagging actions once the source has any.
    CopyObject => CopyObjectOutput, "s3:GetObject" | "s3:PutObject" | "s3:GetObjectTagging" | "s3:PutObjectTagging";
    CreateMultipartUpload => String, "s3:PutObject";
    DeleteObject => (), "s3:DeleteObject";
    ListObjectsV2 => ListObjectsV2Output, "s3:ListBucket";
    ListParts => ListPartsOutput, "s3:ListMultipartUploadParts";
    PutObject => PutObjectOutput, "s3:PutObject";
    UploadPart => String, "s3:PutObject";
    UploadPartCopy => String, "s3:GetObject" | "s3:PutObject";
}

impl S3Action for HeadObject<'_> {
    type Output = ObjectHead;
    const IAM_ACTIONS: &'static [&'static str] = &["s3:GetObject"];

    fn build(&self, bucket: &Bucket) -> Request<Vec<u8>> {
        self.request(bucket).map(|()| Vec::new())
    }

    fn read(status: StatusCode, headers: &HeaderMap, _: &[u8]) -> Result<ObjectHead, AwsError> {
        Self::parse_response(status, headers)
    }
}

impl S3Action for CompleteMultipartUpload<'_> {
    type Output = String;
    const IAM_ACTIONS: &'static [&'static str] = &["s3:PutObject"];

    fn build(&self, bucket: &Bucket) -> Request<Vec<u8>> {
        self.request(bucket)
    }

    fn read(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Result<String, AwsError> {
        Self::parse_response(status, headers, body)
    }
}
