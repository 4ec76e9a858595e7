//! Uploads of any length as S3 multipart uploads: the body cut into parts of [`PART_SIZE`]
//! bytes, each hashed as it arrives and sent while the next is read, the upload completed, or
//! aborted when any step fails so that no partial object is left behind. A client feature, so
//! that any route or handler can store a stream it cannot measure in advance.

use crate::body::{Body, BodyError};
use crate::client::s3::S3Call;
use crate::client::ClientError;
use crate::env::LogStream;
use crate::outbound::HttpClient;
use crate::s3::{
    AbortMultipartUpload, ChecksumAlgorithm, ChecksumValue, Checksummer, CompleteMultipartUpload,
    CompletedPart, CreateMultipartUpload, Integrity, ObjectKey, PutObject, UploadChecksum,
    UploadPart, WriteCondition,
};
use futures::StreamExt;
use http::{HeaderName, HeaderValue};
use sha2::{Digest, Sha256};

/// Bodies up to this size (when their length is known) go to S3 in one streamed PutObject;
/// larger or unknown-length bodies are uploaded in parts of this size.
pub const PART_SIZE: usize = 8 << 20;

/// The most a multipart upload through the component holds: S3's 10,000 parts of
/// [`PART_SIZE`] (78.1 GiB; more than a 32-bit `usize` counts).
pub const MAX_PARTS_BYTES: u64 = PART_SIZE as u64 * 10_000;

/// A client's body cut into parts of exactly [`PART_SIZE`] bytes (the last one shorter), each
/// hashed as its bytes arrive, so that the hashing overlaps the wait for the client's bytes
/// and the previous part's upload instead of following them.
struct PartReader {
    stream: crate::body::ChunkStream,
    /// Bytes of the last chunk read beyond the previous part.
    carry: Vec<u8>,
    /// The checksum each part carries.
    algorithm: Option<ChecksumAlgorithm>,
    /// The checksum of every byte read so far: the whole object's, at the end.
    whole: Option<Checksummer>,
}

/// One part, the lowercase hex SHA-256 of its bytes and its checksum.
struct Part {
    bytes: Vec<u8>,
    sha256: String,
    checksum: Option<String>,
}

impl PartReader {
    /// The next part; empty at the end of the body.
    async fn next_part(&mut self) -> Result<Part, UploadError> {
        let mut bytes = Vec::with_capacity(PART_SIZE);
        let mut hasher = Sha256::new();
        let mut checksum = self.algorithm.map(ChecksumAlgorithm::hasher);
        let mut pending = std::mem::take(&mut self.carry);
        loop {
            let room = PART_SIZE - bytes.len();
            if pending.len() > room {
                self.carry = pending.split_off(room);
            }
            hasher.update(&pending);
            for running in [&mut checksum, &mut self.whole].into_iter().flatten() {
                running.update(&pending);
            }
            bytes.extend_from_slice(&pending);
            if bytes.len() == PART_SIZE {
                break;
            }
            match self.stream.next().await {
                Some(chunk) => pending = chunk.map_err(UploadError::Body)?,
                None => break,
            }
        }
        Ok(Part {
            bytes,
            sha256: crate::sigv4::hex_digest(&hasher.finalize().into()),
            checksum: checksum.map(Checksummer::finish),
        })
    }
}

/// Why an upload failed.
#[derive(Debug)]
pub enum UploadError {
    /// The body to store broke off before its end (the client's upload).
    Body(BodyError),
    /// The body needs more than S3's 10,000 parts of [`PART_SIZE`].
    TooLarge {
        /// The most an upload may hold, in bytes (more than a 32-bit `usize` holds).
        limit: u64,
    },
    /// S3 refused a step, or could not be reached (the upload was then aborted).
    Client(ClientError),
    /// The bytes read do not have the checksum the caller expected (the upload was aborted).
    Mismatch {
        /// The algorithm.
        algorithm: ChecksumAlgorithm,
    },
}

impl From<ClientError> for UploadError {
    fn from(err: ClientError) -> Self {
        UploadError::Client(err)
    }
}

impl std::fmt::Display for UploadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UploadError::Body(err) => write!(f, "the body could not be read: {err}"),
            UploadError::TooLarge { limit } => write!(f, "the body is larger than {limit} bytes"),
            UploadError::Client(err) => write!(f, "{err}"),
            UploadError::Mismatch { algorithm } => write!(
                f,
                "the body's {} is not the {} sent with it",
                algorithm.name(),
                algorithm.header()
            ),
        }
    }
}

impl std::error::Error for UploadError {}

/// The checksum an upload's bytes are sent with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UploadIntegrity<'a> {
    /// The algorithm computed over the bytes (none: only the signature covers them).
    pub algorithm: Option<ChecksumAlgorithm>,
    /// The whole body's value of `algorithm`, when the caller knows it (a client sent it):
    /// S3 checks it, and a multipart upload whose bytes do not match it is aborted.
    pub expected: Option<&'a str>,
}

/// Stores `body` under `key`: one hashed PutObject when it fits in one part, else a multipart
/// upload. Returns the object's ETag and size. A `condition` is S3's to judge when the object
/// is written (the PutObject, or the completion: a multipart upload whose condition fails is
/// aborted like any other failed one). With a checksum algorithm, the PutObject carries the
/// body's value, each part its own, and the completion the whole object's (a CRC) or the
/// parts' (SHA-256, which S3 combines).
///
/// # Errors
/// The body broke off, it has more than 10,000 parts, its checksum is not the expected one,
/// or S3 refused a step (the upload is then aborted).
pub async fn put_in_parts<C: HttpClient>(
    s3: &S3Call<'_, C>,
    key: &ObjectKey,
    content_type: Option<&HeaderValue>,
    metadata: Vec<(&HeaderName, &HeaderValue)>,
    condition: Option<WriteCondition<'_>>,
    integrity: UploadIntegrity<'_>,
    body: Body,
) -> Result<(String, u64), UploadError> {
    let mut reader = PartReader {
        stream: body.into_stream(),
        carry: Vec::new(),
        algorithm: integrity.algorithm,
        whole: integrity.algorithm.map(ChecksumAlgorithm::hasher),
    };
    let first = reader.next_part().await?;
    if first.bytes.len() < PART_SIZE {
        // The whole body fit in one part: a plain PutObject, hashed and signed, with the
        // client's value when it gave one (S3 judges it), else the one computed.
        let size = first.bytes.len() as u64;
        let checksum = match (
            integrity.algorithm,
            integrity.expected,
            first.checksum.as_deref(),
        ) {
            (Some(algorithm), Some(value), _) | (Some(algorithm), None, Some(value)) => {
                Some(ChecksumValue::Header(algorithm, value))
            }
            _ => None,
        };
        let put = PutObject {
            key,
            content_length: size,
            content_type,
            metadata,
            condition,
            integrity: Integrity {
                content_md5: None,
                checksum,
            },
        };
        let stored = s3
            .call_with_body(&put, first.bytes, Some(&first.sha256))
            .await
            .map_err(|err| match integrity.expected {
                // The checksum sent was spinlift's (the client gave none): the bytes changed
                // after spinlift read them. The metadata and conditions stay the client's.
                None if err.code() == "BadDigest" => err.of_own_request(),
                _ => err,
            })?;
        return Ok((stored.etag, size));
    }
    let create = CreateMultipartUpload {
        key,
        content_type,
        metadata,
        checksum: integrity.algorithm,
    };
    let upload_id = s3.call(&create).await?;
    let completed = match upload_parts(s3, key, &upload_id, &mut reader, first).await {
        Ok((parts, size)) => {
            let whole = reader.whole.take().map(Checksummer::finish);
            complete(s3, key, &upload_id, &parts, condition, integrity, whole)
                .await
                .map(|etag| (etag, size))
        }
        Err(err) => Err(err),
    };
    if completed.is_err() {
        abort(s3, key, &upload_id).await;
    }
    completed
}

/// Aborts a failed upload. The caller reports the failure itself; a failed abort leaves parts
/// that only a bucket lifecycle rule (AbortIncompleteMultipartUpload) will clean, so it is
/// logged.
pub(super) async fn abort<C: HttpClient>(s3: &S3Call<'_, C>, key: &ObjectKey, upload_id: &str) {
    let abort = AbortMultipartUpload { key, upload_id };
    if let Err(err) = s3.call(&abort).await {
        s3.env().log(
            LogStream::Operator,
            &format!(
                "spinlift: multipart upload {upload_id} could not be aborted ({}); its parts stay until a lifecycle rule removes them",
                err.code()
            ),
        );
    }
}

/// Completes the upload when its bytes have the checksum the caller expected.
async fn complete<C: HttpClient>(
    s3: &S3Call<'_, C>,
    key: &ObjectKey,
    upload_id: &str,
    parts: &[CompletedPart],
    condition: Option<WriteCondition<'_>>,
    integrity: UploadIntegrity<'_>,
    whole: Option<String>,
) -> Result<String, UploadError> {
    let checksum = match (integrity.algorithm, integrity.expected) {
        (Some(algorithm), Some(expected)) if whole.as_deref() != Some(expected) => {
            return Err(UploadError::Mismatch { algorithm });
        }
        (Some(algorithm), _) => Some(UploadChecksum {
            algorithm,
            whole_object: whole.as_deref().filter(|_| algorithm.is_full_object()),
        }),
        (None, _) => None,
    };
    let complete = CompleteMultipartUpload {
        key,
        upload_id,
        parts,
        condition,
        checksum,
    };
    // The parts and the whole object's checksum are spinlift's (the client's expected value
    // was compared above): S3 refusing them is not the client's doing.
    Ok(s3
        .call(&complete)
        .await
        .map_err(ClientError::of_own_request)?)
}

/// Uploads `first` and the rest of the body's parts; each part is sent while the next one is
/// read from the client, so at most two parts are in memory.
async fn upload_parts<C: HttpClient>(
    s3: &S3Call<'_, C>,
    key: &ObjectKey,
    upload_id: &str,
    reader: &mut PartReader,
    first: Part,
) -> Result<(Vec<CompletedPart>, u64), UploadError> {
    let mut parts = Vec::new();
    let mut size = 0u64;
    let mut part = first;
    while !part.bytes.is_empty() {
        let part_number = u16::try_from(parts.len() + 1)
            .ok()
            .filter(|n| *n <= 10_000)
            .ok_or(UploadError::TooLarge {
                limit: MAX_PARTS_BYTES,
            })?;
        size += part.bytes.len() as u64;
        let upload = UploadPart {
            key,
            upload_id,
            part_number,
            content_length: part.bytes.len() as u64,
            checksum: reader
                .algorithm
                .zip(part.checksum.as_deref())
                .map(|(algorithm, value)| ChecksumValue::Header(algorithm, value)),
        };
        let checksum = part.checksum.clone();
        // The first failure ends both: a failed upload stops reading the client, a broken
        // client body stops the upload.
        let sent = async {
            s3.call_with_body(&upload, part.bytes, Some(&part.sha256))
                .await
                .map_err(|err| UploadError::from(err.of_own_request()))
        };
        let (etag, next) = futures::try_join!(sent, reader.next_part())?;
        parts.push(CompletedPart {
            part_number,
            etag,
            checksum,
        });
        part = next;
    }
    Ok((parts, size))
}
