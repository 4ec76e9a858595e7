//! Presigned object URLs: a plain HTTP client can GET or PUT the object, or upload one part of
//! a multipart upload, until they expire.
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>

use super::{Bucket, ObjectKey};
use crate::sigv4::{Signer, SigningError, SigningTime};

/// The methods a presigned object URL can be made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresignMethod {
    /// Download the object.
    Get,
    /// Upload the object (the client sends the body; its hash is not signed).
    Put,
}

impl PresignMethod {
    /// The IAM action a URL of this method is refused without: S3 judges a presigned request
    /// with the permissions of the keys that signed it, when it arrives.
    pub const fn iam_action(self) -> &'static str {
        match self {
            PresignMethod::Get => "s3:GetObject",
            PresignMethod::Put => "s3:PutObject",
        }
    }

    /// The HTTP method name.
    pub fn as_str(self) -> &'static str {
        match self {
            PresignMethod::Get => "GET",
            PresignMethod::Put => "PUT",
        }
    }
}

/// A presigned URL for one object and method.
#[derive(Debug, Clone)]
pub struct PresignObject<'a> {
    /// The object.
    pub key: &'a ObjectKey,
    /// GET or PUT.
    pub method: PresignMethod,
    /// Validity in seconds, 1..=604800.
    pub expires_in: u64,
}

impl PresignObject<'_> {
    /// The URL, and the Unix time it expires at.
    ///
    /// # Errors
    /// `expires_in` is outside 1..=604800.
    pub fn url(
        &self,
        bucket: &Bucket,
        signer: &Signer,
        now: SigningTime,
    ) -> Result<(String, u64), SigningError> {
        let uri = bucket.object_uri(self.key, &[]);
        let url = bucket.presign(self.method.as_str(), &uri, self.expires_in, signer, now)?;
        Ok((url, now.unix_seconds() + self.expires_in))
    }
}

/// A presigned URL for one part of a multipart upload: the part number and the upload id are
/// in the signed query, so the URL uploads that part of that upload and nothing else.
#[derive(Debug, Clone)]
pub struct PresignPart<'a> {
    /// The object being uploaded.
    pub key: &'a ObjectKey,
    /// The upload id.
    pub upload_id: &'a str,
    /// 1 to 10,000.
    pub part_number: u16,
    /// Validity in seconds, 1..=604800.
    pub expires_in: u64,
}

impl PresignPart<'_> {
    /// What IAM must allow the signing keys (see [`crate::iam`]).
    pub const IAM_ACTIONS: &'static [&'static str] = &["s3:PutObject"];

    /// The URL (`PUT`).
    ///
    /// # Errors
    /// `expires_in` is outside 1..=604800.
    pub fn url(
        &self,
        bucket: &Bucket,
        signer: &Signer,
        now: SigningTime,
    ) -> Result<String, SigningError> {
        let number = self.part_number.to_string();
        let query = [
            ("partNumber", number.as_str()),
            ("uploadId", self.upload_id),
        ];
        let uri = bucket.object_uri(self.key, &query);
        bucket.presign("PUT", &uri, self.expires_in, signer, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::bucket::tests::bucket;
    use crate::sigv4::Credentials;

    #[test]
    fn a_part_url_signs_its_part_number_and_upload() {
        let signer = Signer::new(Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "secret".into(),
            session_token: None,
        });
        let key = ObjectKey::new("big/file.bin").unwrap();
        let url = |part_number, upload_id| {
            PresignPart {
                key: &key,
                upload_id,
                part_number,
                expires_in: 900,
            }
            .url(
                &bucket(true),
                &signer,
                SigningTime::from_unix_seconds(1_700_000_000),
            )
            .unwrap()
        };
        let first = url(1, "abc");
        assert!(
            first.contains("partNumber=1&uploadId=abc&X-Amz-Algorithm=AWS4-HMAC-SHA256"),
            "{first}"
        );
        let signature = |url: &str| url.rsplit_once("X-Amz-Signature=").unwrap().1.to_owned();
        assert_ne!(signature(&first), signature(&url(2, "abc")));
        assert_ne!(signature(&first), signature(&url(1, "abd")));
    }
}
