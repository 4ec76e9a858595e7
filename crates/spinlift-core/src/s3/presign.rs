//! Presigned object URLs: a plain HTTP client can GET or PUT the object until they expire.
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
