//! The `upload_id` the API gives out: everything a later call needs about an open upload,
//! so no state is kept between requests (Spin keeps none).

use crate::client::s3::S3Call;
use crate::error::ApiError;
use crate::outbound::HttpClient;
use crate::routes::{checksum_of, invalid_checksum};
use crate::s3::{ChecksumAlgorithm, ObjectKey, PartPlan, PresignPart, MAX_UPLOAD_ID_BYTES};
use crate::sigv4::SigningTime;
use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{json, Value};

/// How many bytes of signed parts one answer carries at most. Hosted Spin cuts an answer at
/// 10 MiB (Akamai Functions, Fermyon Cloud), and one URL per part can go past that: 10,000
/// parts of a short key take 5.3 MB, and a session token adds its length to every URL
/// (`aws_role_arn`'s tokens run past 1,000 characters). Parts past this many bytes come
/// without a `url`, unsigned; `POST /uploads/{id}/parts` signs them, in as many answers as it
/// takes.
pub(super) const SIGNED_PARTS_BUDGET: usize = 8 << 20;

/// What names an open upload to the API: the object, S3's upload id, the part plan and the
/// checksum algorithm its parts carry.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct UploadHandle {
    pub(super) key: ObjectKey,
    pub(super) upload_id: String,
    pub(super) plan: PartPlan,
    pub(super) checksum: Option<ChecksumAlgorithm>,
}

impl UploadHandle {
    /// URL-safe base64 of `size`, `part_size` (with `:ALGORITHM` when the parts carry a
    /// checksum), the upload id and the key, one per line (the key last: it may hold any
    /// character). A handle given out before checksums decodes as before.
    pub(super) fn encode(&self) -> String {
        let algorithm = self
            .checksum
            .map_or(String::new(), |a| format!(":{}", a.name()));
        let text = format!(
            "{}\n{}{algorithm}\n{}\n{}",
            self.plan.size,
            self.plan.part_size,
            self.upload_id,
            self.key.as_str()
        );
        Base64UrlUnpadded::encode_string(text.as_bytes())
    }

    pub(super) fn decode(id: &str) -> Result<Self, ApiError> {
        let invalid = || ApiError::BadRequest {
            code: "invalid_upload_id",
            message: "the upload id is not one POST /uploads gave".to_owned(),
        };
        let bytes = Base64UrlUnpadded::decode_vec(id).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut fields = text.splitn(4, '\n');
        let mut next = || fields.next().ok_or_else(invalid);
        let (size, part_size, upload_id, key) = (next()?, next()?, next()?, next()?);
        let (part_size, checksum) = match part_size.split_once(':') {
            Some((part_size, name)) => (
                part_size,
                Some(ChecksumAlgorithm::from_name(name).ok_or_else(invalid)?),
            ),
            None => (part_size, None),
        };
        let plan = PartPlan::new(
            size.parse().map_err(|_| invalid())?,
            Some(part_size.parse().map_err(|_| invalid())?),
        )
        .map_err(|_| invalid())?;
        if upload_id.is_empty() || upload_id.len() > MAX_UPLOAD_ID_BYTES {
            return Err(invalid());
        }
        Ok(Self {
            key: ObjectKey::new(key).map_err(|_| invalid())?,
            upload_id: upload_id.to_owned(),
            plan,
            checksum,
        })
    }

    /// A checksum a client gave for `what` (a part, the object), as this upload takes it:
    /// one of its algorithm's shape when the upload has one, none when it has none. Checked
    /// here because a value signed into a part URL is only judged by S3 when the part is
    /// sent.
    pub(super) fn checked_checksum<'v>(
        &self,
        what: &str,
        value: Option<&'v str>,
    ) -> Result<Option<(ChecksumAlgorithm, &'v str)>, ApiError> {
        match (self.checksum, value) {
            (None, None) => Ok(None),
            (None, Some(_)) => Err(invalid_checksum(format!(
                "{what} has a checksum, but the upload was started without checksum_algorithm"
            ))),
            (Some(algorithm), None) => Err(invalid_checksum(format!(
                "{what} needs its {} checksum: the upload was started with it",
                algorithm.name()
            ))),
            (Some(algorithm), Some(value)) => checksum_of(algorithm, what, value).map(Some),
        }
    }

    /// Puts the parts `numbers` in `answer[field]`: with a URL each (up to
    /// [`SIGNED_PARTS_BUDGET`]; the rest as `{number, size}`) and `expires_at`, or, for an
    /// upload with checksums, all as `{number, size}` and the algorithm's name, their URLs
    /// waiting for their values (`POST /uploads/{id}/parts`).
    pub(super) fn offer<C: HttpClient>(
        &self,
        answer: &mut Value,
        field: &str,
        numbers: impl Iterator<Item = u16>,
        s3: &S3Call<'_, C>,
        expires_in: u64,
    ) -> Result<(), ApiError> {
        match self.checksum {
            None => {
                let numbers = numbers.map(|number| (number, None));
                let (parts, expires_at) = self.part_urls(s3, numbers, expires_in)?;
                answer[field] = parts.into();
                answer["expires_at"] = expires_at.into();
            }
            Some(algorithm) => {
                let parts: Vec<Value> = numbers
                    .map(|number| {
                        let size = self.plan.part_len(number).unwrap_or_default();
                        json!({"number": number, "size": size})
                    })
                    .collect();
                answer[field] = parts.into();
                answer["checksum_algorithm"] = algorithm.name().into();
            }
        }
        Ok(())
    }

    /// Presigned URLs for `parts` (a number and, for an upload with an algorithm, the part's
    /// checksum, signed in as a header the PUT must send), valid for `expires_in` seconds
    /// (capped by the signing session), and when they expire. Once the signed parts hold
    /// [`SIGNED_PARTS_BUDGET`] bytes, the rest come as `{number, size}` only.
    pub(super) fn part_urls<'v, C: HttpClient>(
        &self,
        s3: &S3Call<'_, C>,
        parts: impl Iterator<Item = (u16, Option<(ChecksumAlgorithm, &'v str)>)>,
        expires_in: u64,
    ) -> Result<(Vec<Value>, String), ApiError> {
        let expires_in = crate::routes::presign::lifetime(s3, expires_in);
        let now = s3.now();
        let mut signed_bytes = 0;
        let parts = parts
            .map(|(number, checksum)| {
                let size = self.plan.part_len(number).unwrap_or_default();
                if signed_bytes >= SIGNED_PARTS_BUDGET {
                    return Ok(json!({"number": number, "size": size}));
                }
                let presign = PresignPart {
                    key: &self.key,
                    upload_id: &self.upload_id,
                    part_number: number,
                    content_length: size,
                    expires_in,
                    checksum,
                };
                let url = presign
                    .url(&s3.bucket, s3.signer(), now)
                    // The lifetime is in range and the value checked: nothing left to refuse.
                    .map_err(|err| ApiError::Internal(err.to_string()))?;
                // The URL and the entry's other fields (numbers, names, quotes: under 100).
                signed_bytes += url.len() + 100;
                let mut part = json!({"number": number, "size": size, "url": url});
                if let Some((name, value)) = presign.header() {
                    signed_bytes += value.len();
                    part["headers"] = json!({ name: value });
                }
                Ok(part)
            })
            .collect::<Result<_, ApiError>>()?;
        let expires_at = SigningTime::from_unix_seconds(now.unix_seconds() + expires_in);
        Ok((parts, expires_at.rfc3339().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle(checksum: Option<ChecksumAlgorithm>) -> UploadHandle {
        UploadHandle {
            key: ObjectKey::new("dir/a\nb ü+%.bin").unwrap(),
            upload_id: "VXBsb2FkIElE.-_x".to_owned(),
            plan: PartPlan::new(64 << 20, Some(5 << 20)).unwrap(),
            checksum,
        }
    }

    #[test]
    fn a_handle_carries_key_upload_plan_and_algorithm() {
        for checksum in [None, Some(ChecksumAlgorithm::Crc32c)] {
            let handle = handle(checksum);
            let id = handle.encode();
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{id}"
            );
            assert_eq!(UploadHandle::decode(&id).unwrap(), handle);
        }
        // A handle given out before checksums, in its form then.
        let old = Base64UrlUnpadded::encode_string(b"10\n5242880\nup\nkey");
        assert_eq!(UploadHandle::decode(&old).unwrap().checksum, None);
    }

    #[test]
    fn a_handle_not_made_here_is_a_400() {
        let encoded = |text: &str| Base64UrlUnpadded::encode_string(text.as_bytes());
        for id in [
            "".to_owned(),
            "%%%".to_owned(),
            encoded("10\n8388608\nup"),
            encoded("x\n8388608\nup\nkey"),
            encoded("10\n1\nup\nkey"),
            encoded("10\n8388608\n\nkey"),
            encoded("10\n8388608:MD5\nup\nkey"),
        ] {
            let err = UploadHandle::decode(&id).unwrap_err();
            assert_eq!(err.code(), "invalid_upload_id", "{id}");
        }
    }

    #[test]
    fn a_checksum_must_match_the_uploads_algorithm_and_shape() {
        let crc32 = handle(Some(ChecksumAlgorithm::Crc32));
        assert_eq!(
            crc32.checked_checksum("part 1", Some("AAAAAA==")).unwrap(),
            Some((ChecksumAlgorithm::Crc32, "AAAAAA=="))
        );
        for wrong in [
            None,
            Some("AAAAAAAAAAA="),
            Some("AAAAAAA="),
            Some("AAAAAAAA"),
            Some("AAAA*A=="),
            Some(""),
        ] {
            let err = crc32.checked_checksum("part 1", wrong).unwrap_err();
            assert_eq!(err.code(), "invalid_checksum", "{wrong:?}");
        }
        let plain = handle(None);
        assert_eq!(plain.checked_checksum("part 1", None).unwrap(), None);
        let err = plain
            .checked_checksum("part 1", Some("AAAAAA=="))
            .unwrap_err();
        assert_eq!(err.code(), "invalid_checksum");
    }
}
