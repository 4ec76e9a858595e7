//! S3's additional checksums: a CRC or SHA-256 of an object's bytes that S3 checks when it
//! stores them and returns on request when they are read.
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>
//!
//! The AWS SDKs compute one on every upload since 2025 (CRC64NVME by default) and check it on
//! download. A value known up front (a client sent it) goes in an `x-amz-checksum-<algo>`
//! header; one computed while the body streams goes in the signed trailer of an aws-chunked
//! body ([`crate::sigv4::ChunkSigner::trailer`]). Values are base64 of the big-endian digest.

use base64ct::{Base64, Encoding};
use crc::{Crc, Table, CRC_32_ISCSI, CRC_32_ISO_HDLC, CRC_64_NVME};
use http::{HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};

use crate::sigv4::SigningError;

// The 32-bit CRCs, chosen only by a variable, keep a 1 KiB table each.
static CRC32C: Crc<u32, Table<1>> = Crc::<u32, Table<1>>::new(&CRC_32_ISCSI);
static CRC32: Crc<u32, Table<1>> = Crc::<u32, Table<1>>::new(&CRC_32_ISO_HDLC);

/// CRC64NVME, the default, runs on every byte of every upload, so it gets the 16-table
/// ("slice-by-16") form, several times faster than one table. Its 32 KiB of tables are built
/// on first use rather than stored in the component (a third of the data of an app with the S3
/// client), for about 20 µs once per instance that checksums (BENCHMARKS.md).
fn crc64nvme() -> &'static Crc<u64, Table<16>> {
    static TABLES: std::sync::OnceLock<Box<Crc<u64, Table<16>>>> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| Box::new(Crc::<u64, Table<16>>::new(&CRC_64_NVME)))
}

/// A checksum algorithm S3 computes and checks. (SHA-1, which S3 also takes, is left out:
/// nothing here would choose it.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumAlgorithm {
    /// CRC-64/NVME, S3's and the SDKs' default since 2025.
    Crc64Nvme,
    /// CRC-32C (Castagnoli).
    Crc32c,
    /// CRC-32 (ISO-HDLC, as in zip and Ethernet).
    Crc32,
    /// SHA-256.
    Sha256,
}

impl ChecksumAlgorithm {
    /// Every algorithm, the default first.
    pub const ALL: [Self; 4] = [Self::Crc64Nvme, Self::Crc32c, Self::Crc32, Self::Sha256];

    /// The name S3 uses in `x-amz-checksum-algorithm` and `x-amz-sdk-checksum-algorithm`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Crc64Nvme => "CRC64NVME",
            Self::Crc32c => "CRC32C",
            Self::Crc32 => "CRC32",
            Self::Sha256 => "SHA256",
        }
    }

    /// The header (or trailer) that carries a value: `x-amz-checksum-crc64nvme`, ...
    pub fn header(self) -> &'static str {
        match self {
            Self::Crc64Nvme => "x-amz-checksum-crc64nvme",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The element of a part in CompleteMultipartUpload: `ChecksumCRC64NVME`, ...
    pub fn xml_element(self) -> &'static str {
        match self {
            Self::Crc64Nvme => "ChecksumCRC64NVME",
            Self::Crc32c => "ChecksumCRC32C",
            Self::Crc32 => "ChecksumCRC32",
            Self::Sha256 => "ChecksumSHA256",
        }
    }

    /// The algorithm S3 names `name` (any case).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// The algorithm whose value header is `name` (lowercase, as `http` keeps names).
    pub fn from_header(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.header() == name)
    }

    /// The checksum a request's `x-amz-trailer` names, `None` without one: the trailer
    /// spinlift computes over an aws-chunked body and signs.
    ///
    /// # Errors
    /// The header names something other than a checksum spinlift computes (the body would
    /// be framed without the trailer it is signed for).
    pub fn of_trailer(headers: &HeaderMap) -> Result<Option<Self>, SigningError> {
        let Some(name) = headers.get("x-amz-trailer") else {
            return Ok(None);
        };
        match name.to_str().ok().and_then(Self::from_header) {
            Some(algorithm) => Ok(Some(algorithm)),
            None => Err(SigningError::invalid_header(
                "x-amz-trailer",
                "it names no checksum spinlift computes",
            )),
        }
    }

    /// How many bytes a value has.
    pub fn byte_len(self) -> usize {
        match self {
            Self::Crc32c | Self::Crc32 => 4,
            Self::Crc64Nvme => 8,
            Self::Sha256 => 32,
        }
    }

    /// How many base64 characters a value has: what a trailer's length is computed from.
    pub fn encoded_len(self) -> usize {
        self.byte_len().div_ceil(3) * 4
    }

    /// Whether `value` can be a value of this algorithm: padded base64 of its number of
    /// bytes. (Which value, only the bytes it is of can say.)
    pub fn is_well_formed(self, value: &str) -> bool {
        value.len() == self.encoded_len()
            && Base64::decode_vec(value).is_ok_and(|bytes| bytes.len() == self.byte_len())
    }

    /// Whether a multipart upload's checksum is of the whole object (`FULL_OBJECT`, the CRCs:
    /// they combine across parts) rather than a checksum of the parts' checksums
    /// (`COMPOSITE`, SHA-256).
    pub fn is_full_object(self) -> bool {
        self != Self::Sha256
    }

    /// A running checksum of this algorithm.
    pub fn hasher(self) -> Checksummer {
        Checksummer(match self {
            Self::Crc64Nvme => State::Crc64Nvme(crc64nvme().digest()),
            Self::Crc32c => State::Crc32c(CRC32C.digest()),
            Self::Crc32 => State::Crc32(CRC32.digest()),
            Self::Sha256 => State::Sha256(Sha256::new()),
        })
    }

    /// The value of `bytes`, base64.
    pub fn checksum(self, bytes: &[u8]) -> String {
        let mut hasher = self.hasher();
        hasher.update(bytes);
        hasher.finish()
    }
}

/// A checksum computed as bytes stream by.
pub struct Checksummer(State);

enum State {
    Crc64Nvme(crc::Digest<'static, u64, Table<16>>),
    Crc32c(crc::Digest<'static, u32, Table<1>>),
    Crc32(crc::Digest<'static, u32, Table<1>>),
    Sha256(Sha256),
}

impl Checksummer {
    /// The algorithm.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match self.0 {
            State::Crc64Nvme(_) => ChecksumAlgorithm::Crc64Nvme,
            State::Crc32c(_) => ChecksumAlgorithm::Crc32c,
            State::Crc32(_) => ChecksumAlgorithm::Crc32,
            State::Sha256(_) => ChecksumAlgorithm::Sha256,
        }
    }

    /// Adds the next bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.0 {
            State::Crc64Nvme(digest) => digest.update(bytes),
            State::Crc32c(digest) | State::Crc32(digest) => digest.update(bytes),
            State::Sha256(digest) => digest.update(bytes),
        }
    }

    /// The value of every byte added, base64 as S3 writes it.
    pub fn finish(self) -> String {
        match self.0 {
            State::Crc64Nvme(digest) => Base64::encode_string(&digest.finalize().to_be_bytes()),
            State::Crc32c(digest) | State::Crc32(digest) => {
                Base64::encode_string(&digest.finalize().to_be_bytes())
            }
            State::Sha256(digest) => Base64::encode_string(&digest.finalize()),
        }
    }
}

impl std::fmt::Debug for Checksummer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Checksummer({})", self.algorithm().name())
    }
}

/// How a request carries its body's checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumValue<'a> {
    /// Known before the body is sent (a client gave it): the `x-amz-checksum-<algo>` header.
    Header(ChecksumAlgorithm, &'a str),
    /// Computed while the body streams and sent in its signed trailer (aws-chunked only):
    /// the request names it in `x-amz-trailer`.
    Trailer(ChecksumAlgorithm),
}

impl ChecksumValue<'_> {
    /// The algorithm.
    pub fn algorithm(self) -> ChecksumAlgorithm {
        match self {
            Self::Header(algorithm, _) | Self::Trailer(algorithm) => algorithm,
        }
    }

    /// Adds the headers that announce the checksum. A value that is not a valid header
    /// value cannot be right, so it is sent as one S3 refuses rather than dropped.
    pub(crate) fn apply(self, headers: &mut HeaderMap) {
        let algorithm = self.algorithm();
        headers.insert(
            "x-amz-sdk-checksum-algorithm",
            HeaderValue::from_static(algorithm.name()),
        );
        match self {
            Self::Header(_, value) => {
                let value = HeaderValue::from_str(value)
                    .unwrap_or_else(|_| HeaderValue::from_static("invalid"));
                headers.insert(algorithm.header(), value);
            }
            Self::Trailer(_) => {
                headers.insert(
                    "x-amz-trailer",
                    HeaderValue::from_static(algorithm.header()),
                );
            }
        }
    }
}

/// What proves a body's bytes to S3 besides the signature: a client's `Content-MD5`, and one
/// additional checksum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Integrity<'a> {
    /// `Content-MD5`, base64, as a client sent it.
    pub content_md5: Option<&'a HeaderValue>,
    /// The additional checksum.
    pub checksum: Option<ChecksumValue<'a>>,
}

impl Integrity<'_> {
    pub(crate) fn apply(self, headers: &mut HeaderMap) {
        if let Some(md5) = self.content_md5 {
            headers.insert("content-md5", md5.clone());
        }
        if let Some(checksum) = self.checksum {
            checksum.apply(headers);
        }
    }
}

/// The whole-object checksum an answer to a GET carries (asked with `x-amz-checksum-mode:
/// ENABLED`), when the bytes that follow can be checked against it: not for a range, nor for
/// a composite checksum of a multipart upload's parts (`<value>-<parts>`), which no single
/// pass over the object reproduces.
pub fn object_checksum(headers: &HeaderMap) -> Option<(ChecksumAlgorithm, &str)> {
    if headers.contains_key(http::header::CONTENT_RANGE)
        || headers
            .get("x-amz-checksum-type")
            .is_some_and(|t| t.as_bytes().eq_ignore_ascii_case(b"COMPOSITE"))
    {
        return None;
    }
    ChecksumAlgorithm::ALL.into_iter().find_map(|algorithm| {
        let value = headers.get(algorithm.header())?.to_str().ok()?;
        (!value.contains('-')).then_some((algorithm, value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_well_formed_only_as_padded_base64_of_its_bytes() {
        for algorithm in ChecksumAlgorithm::ALL {
            let value = algorithm.checksum(b"spinlift");
            assert_eq!(value.len(), algorithm.encoded_len(), "{algorithm:?}");
            assert!(algorithm.is_well_formed(&value), "{algorithm:?}");
        }
        let crc32 = ChecksumAlgorithm::Crc32;
        // Eight characters, but 5 and 6 bytes; the right bytes unpadded; not base64.
        for wrong in ["AAAAAAA=", "AAAAAAAA", "AAAAAA", "AAAA*A==", ""] {
            assert!(!crc32.is_well_formed(wrong), "{wrong}");
        }
        let sha = ChecksumAlgorithm::Sha256.checksum(b"x");
        assert!(!ChecksumAlgorithm::Sha256.is_well_formed(&sha.replace('=', "A")));
    }

    #[test]
    fn each_algorithm_gives_its_catalogued_check_value() {
        // The "check" of each CRC in the CRC catalogue (reveng.sourceforge.io/crc-catalogue):
        // the CRC of the ASCII bytes "123456789".
        let check = |algorithm: ChecksumAlgorithm| {
            let value = Base64::decode_vec(&algorithm.checksum(b"123456789")).unwrap();
            hex::encode(value)
        };
        assert_eq!(check(ChecksumAlgorithm::Crc64Nvme), "ae8b14860a799888");
        assert_eq!(check(ChecksumAlgorithm::Crc32c), "e3069283");
        assert_eq!(check(ChecksumAlgorithm::Crc32), "cbf43926");
        assert_eq!(
            check(ChecksumAlgorithm::Sha256),
            "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225"
        );
    }

    #[test]
    fn values_streamed_in_pieces_equal_the_whole() {
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for algorithm in ChecksumAlgorithm::ALL {
            let mut hasher = algorithm.hasher();
            for piece in bytes.chunks(4097) {
                hasher.update(piece);
            }
            let streamed = hasher.finish();
            assert_eq!(streamed, algorithm.checksum(&bytes), "{algorithm:?}");
            assert_eq!(streamed.len(), algorithm.encoded_len(), "{algorithm:?}");
        }
    }

    #[test]
    fn names_and_headers_round_trip() {
        for algorithm in ChecksumAlgorithm::ALL {
            assert_eq!(
                ChecksumAlgorithm::from_name(algorithm.name()),
                Some(algorithm)
            );
            let lower = algorithm.name().to_ascii_lowercase();
            assert_eq!(ChecksumAlgorithm::from_name(&lower), Some(algorithm));
            assert_eq!(
                ChecksumAlgorithm::from_header(algorithm.header()),
                Some(algorithm)
            );
            assert_eq!(algorithm.header(), format!("x-amz-checksum-{lower}"));
            assert_eq!(
                algorithm.xml_element(),
                format!("Checksum{}", algorithm.name())
            );
        }
        assert_eq!(ChecksumAlgorithm::from_name("SHA1"), None);
        assert_eq!(ChecksumAlgorithm::from_header("x-amz-checksum-sha1"), None);
    }

    #[test]
    fn only_a_whole_object_checksum_is_checked_on_read() {
        let mut headers = HeaderMap::new();
        assert_eq!(object_checksum(&headers), None);
        headers.insert(
            "x-amz-checksum-crc32c",
            HeaderValue::from_static("sOO8/Q=="),
        );
        assert_eq!(
            object_checksum(&headers),
            Some((ChecksumAlgorithm::Crc32c, "sOO8/Q=="))
        );
        let mut composite = headers.clone();
        composite.insert(
            "x-amz-checksum-crc32c",
            HeaderValue::from_static("sOO8/Q==-3"),
        );
        assert_eq!(object_checksum(&composite), None);
        let mut typed = headers.clone();
        typed.insert("x-amz-checksum-type", HeaderValue::from_static("COMPOSITE"));
        assert_eq!(object_checksum(&typed), None);
        let mut range = headers;
        range.insert("content-range", HeaderValue::from_static("bytes 0-9/100"));
        assert_eq!(object_checksum(&range), None);
    }

    #[test]
    fn integrity_headers_announce_the_checksum() {
        let md5 = HeaderValue::from_static("1B2M2Y8AsgTpgAmY7PhCfg==");
        let mut headers = HeaderMap::new();
        Integrity {
            content_md5: Some(&md5),
            checksum: Some(ChecksumValue::Trailer(ChecksumAlgorithm::Crc64Nvme)),
        }
        .apply(&mut headers);
        assert_eq!(headers["content-md5"], "1B2M2Y8AsgTpgAmY7PhCfg==");
        assert_eq!(headers["x-amz-trailer"], "x-amz-checksum-crc64nvme");
        assert_eq!(headers["x-amz-sdk-checksum-algorithm"], "CRC64NVME");
        assert!(headers.get("x-amz-checksum-crc64nvme").is_none());
        let mut headers = HeaderMap::new();
        Integrity {
            content_md5: None,
            checksum: Some(ChecksumValue::Header(ChecksumAlgorithm::Crc32, "AAAAAA==")),
        }
        .apply(&mut headers);
        assert_eq!(headers["x-amz-checksum-crc32"], "AAAAAA==");
        assert!(headers.get("x-amz-trailer").is_none());
    }
}
