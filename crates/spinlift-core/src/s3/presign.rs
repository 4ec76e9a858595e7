//! Presigned object URLs: a plain HTTP client can GET or PUT the object, or upload one part of
//! a multipart upload, until they expire.
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>

use super::{Bucket, ChecksumAlgorithm, ObjectKey};
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

/// A presigned URL for one object and method. A PUT's checksum is signed as a header: the
/// upload must carry `x-amz-checksum-<algo>` with that value, and S3 stores only bytes that
/// have it.
#[derive(Debug, Clone)]
pub struct PresignObject<'a> {
    /// The object.
    pub key: &'a ObjectKey,
    /// GET or PUT.
    pub method: PresignMethod,
    /// Validity in seconds, 1..=604800.
    pub expires_in: u64,
    /// The body's checksum (base64), for a PUT.
    pub checksum: Option<(ChecksumAlgorithm, &'a str)>,
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
        let headers: Vec<(&str, &str)> = self.header().into_iter().collect();
        let url = bucket.presign(
            self.method.as_str(),
            &uri,
            &headers,
            self.expires_in,
            signer,
            now,
        )?;
        Ok((url, now.unix_seconds() + self.expires_in))
    }

    /// The header the request must send, as the URL signs it: the checksum's.
    pub fn header(&self) -> Option<(&'static str, &str)> {
        checksum_header(self.checksum)
    }
}

/// A presigned URL for one part of a multipart upload: the part number and the upload id are
/// in the signed query, and the part's length is a signed header, so the URL uploads that
/// part of that upload, of its planned length, and nothing else (a part of another length
/// would shift every byte after it in the object). With a checksum, its header is signed
/// too: the PUT must carry `x-amz-checksum-<algo>` with that value, and S3 stores the part
/// only if its bytes have it.
#[derive(Debug, Clone)]
pub struct PresignPart<'a> {
    /// The object being uploaded.
    pub key: &'a ObjectKey,
    /// The upload id.
    pub upload_id: &'a str,
    /// 1 to 10,000.
    pub part_number: u16,
    /// The part's length in bytes, signed as `Content-Length` (which HTTP clients send).
    pub content_length: u64,
    /// Validity in seconds, 1..=604800.
    pub expires_in: u64,
    /// The part's checksum (base64), of the algorithm the upload was created with.
    pub checksum: Option<(ChecksumAlgorithm, &'a str)>,
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
        let length = self.content_length.to_string();
        let mut headers = vec![("content-length", length.as_str())];
        headers.extend(self.header());
        bucket.presign("PUT", &uri, &headers, self.expires_in, signer, now)
    }

    /// The header the PUT must send besides its `Content-Length`, as the URL signs it: the
    /// checksum's.
    pub fn header(&self) -> Option<(&'static str, &str)> {
        checksum_header(self.checksum)
    }
}

/// `x-amz-checksum-<algo>: <value>`, the one header a presigned URL signs.
fn checksum_header(checksum: Option<(ChecksumAlgorithm, &str)>) -> Option<(&'static str, &str)> {
    checksum.map(|(algorithm, value)| (algorithm.header(), value))
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
        let url = |part_number, upload_id, content_length| {
            PresignPart {
                key: &key,
                upload_id,
                part_number,
                content_length,
                expires_in: 900,
                checksum: None,
            }
            .url(
                &bucket(true),
                &signer,
                SigningTime::from_unix_seconds(1_700_000_000),
            )
            .unwrap()
        };
        let first = url(1, "abc", 5 << 20);
        assert!(
            first.contains("partNumber=1&uploadId=abc&X-Amz-Algorithm=AWS4-HMAC-SHA256"),
            "{first}"
        );
        assert!(
            first.contains("X-Amz-SignedHeaders=content-length%3Bhost&"),
            "{first}"
        );
        let signature = |url: &str| url.rsplit_once("X-Amz-Signature=").unwrap().1.to_owned();
        assert_ne!(signature(&first), signature(&url(2, "abc", 5 << 20)));
        assert_ne!(signature(&first), signature(&url(1, "abd", 5 << 20)));
        assert_ne!(signature(&first), signature(&url(1, "abc", (5 << 20) + 1)));
    }

    #[test]
    fn a_part_checksum_is_a_signed_header_of_the_url() {
        let signer = Signer::new(Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "secret".into(),
            session_token: None,
        });
        let key = ObjectKey::new("big/file.bin").unwrap();
        let url = |checksum| {
            PresignPart {
                key: &key,
                upload_id: "abc",
                part_number: 1,
                content_length: 5 << 20,
                expires_in: 900,
                checksum,
            }
            .url(
                &bucket(true),
                &signer,
                SigningTime::from_unix_seconds(1_700_000_000),
            )
            .unwrap()
        };
        let crc = url(Some((ChecksumAlgorithm::Crc32, "AAAAAA==")));
        assert!(
            crc.contains("X-Amz-SignedHeaders=content-length%3Bhost%3Bx-amz-checksum-crc32&"),
            "{crc}"
        );
        // The value is not in the URL: the client sends it, and the signature covers it.
        assert!(!crc.contains("AAAAAA"), "{crc}");
        let signature = |url: &str| url.rsplit_once("X-Amz-Signature=").unwrap().1.to_owned();
        let other = url(Some((ChecksumAlgorithm::Crc32, "AAAAAQ==")));
        assert_ne!(signature(&crc), signature(&other));
        assert!(url(None).contains("X-Amz-SignedHeaders=content-length%3Bhost&"));
    }
}
