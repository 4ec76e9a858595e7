//! Downloads checked against the checksum S3 stored with the object: the bytes are passed on
//! as they arrive and hashed on the way, except the last chunk, held back until the stream has
//! ended and the checksum matched. A mismatch ends the body in an error instead, so the edge
//! drops the answer short of its `Content-Length`: the client sees a broken body, never a
//! complete wrong one (the status and the first bytes are already on their way: S3's checksum
//! comes in the head, the proof only at the end, and a client that has every byte it was
//! promised would take the answer as complete).

use crate::body::{Body, BodyError, ChunkStream};
use crate::s3::{ChecksumAlgorithm, Checksummer};
use futures::StreamExt;

struct Verifying {
    stream: ChunkStream,
    /// `None` once the body has ended or failed.
    hasher: Option<Checksummer>,
    /// The chunk read last, not passed on yet.
    held: Option<Vec<u8>>,
    expected: String,
}

/// The body of a GET answer, checked when `check` is set and the answer is a whole object
/// with a checksum S3 can be held to ([`crate::s3::object_checksum`]); else as it is.
pub fn checked(
    body: Body,
    status: http::StatusCode,
    headers: &http::HeaderMap,
    check: bool,
) -> Body {
    match crate::s3::object_checksum(headers) {
        Some((algorithm, expected)) if check && status == http::StatusCode::OK => {
            verified(body, algorithm, expected)
        }
        _ => body,
    }
}

/// `body`, which must end with `expected`, the `algorithm` checksum S3 stored.
pub fn verified(body: Body, algorithm: ChecksumAlgorithm, expected: &str) -> Body {
    let state = Verifying {
        stream: body.into_stream(),
        hasher: Some(algorithm.hasher()),
        held: None,
        expected: expected.to_owned(),
    };
    Body::stream(futures::stream::unfold(state, |mut state| async move {
        loop {
            let hasher = state.hasher.as_mut()?;
            match state.stream.next().await {
                Some(Ok(chunk)) => {
                    hasher.update(&chunk);
                    if let Some(previous) = state.held.replace(chunk) {
                        return Some((Ok(previous), state));
                    }
                }
                Some(Err(err)) => {
                    state.hasher = None;
                    return Some((Err(err), state));
                }
                None => {
                    let hasher = state.hasher.take()?;
                    let algorithm = hasher.algorithm();
                    if hasher.finish() != state.expected {
                        return Some((Err(mismatch(algorithm)), state));
                    }
                    return state.held.take().map(|last| (Ok(last), state));
                }
            }
        }
    }))
}

/// The error of bytes that are not the ones S3 stored.
pub fn mismatch(algorithm: ChecksumAlgorithm) -> BodyError {
    BodyError::io(format!(
        "the bytes S3 sent do not have the object's {} ({}): the download was damaged on the way",
        algorithm.name(),
        algorithm.header()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    fn pieces(parts: &[&[u8]]) -> Body {
        let parts: Vec<Result<Vec<u8>, BodyError>> = parts.iter().map(|p| Ok(p.to_vec())).collect();
        Body::stream(futures::stream::iter(parts))
    }

    #[test]
    fn the_right_bytes_pass_unchanged() {
        let algorithm = ChecksumAlgorithm::Crc64Nvme;
        let value = algorithm.checksum(b"hello world");
        let body = verified(pieces(&[b"hello", b" ", b"world"]), algorithm, &value);
        assert_eq!(block_on(body.collect(1 << 10)).unwrap(), b"hello world");
    }

    #[test]
    fn damaged_bytes_end_in_an_error_in_place_of_the_last_chunk() {
        let algorithm = ChecksumAlgorithm::Crc32c;
        let value = algorithm.checksum(b"hello world");
        let mut stream =
            verified(pieces(&[b"hello", b" wOr", b"ld"]), algorithm, &value).into_stream();
        assert_eq!(block_on(stream.next()).unwrap().unwrap(), b"hello");
        assert_eq!(block_on(stream.next()).unwrap().unwrap(), b" wOr");
        // The last chunk is held back: the client never has every byte it was promised.
        let err = block_on(stream.next()).unwrap().unwrap_err();
        assert!(err.message.contains("CRC32C"), "{err}");
        assert!(block_on(stream.next()).is_none());
    }

    #[test]
    fn a_one_chunk_body_is_withheld_whole_when_damaged() {
        let algorithm = ChecksumAlgorithm::Crc64Nvme;
        let value = algorithm.checksum(b"hello");
        let mut stream = verified(pieces(&[b"hellO"]), algorithm, &value).into_stream();
        assert!(block_on(stream.next()).unwrap().is_err());
        assert!(block_on(stream.next()).is_none());
    }

    #[test]
    fn a_body_that_breaks_off_keeps_its_own_error() {
        let broken: Vec<Result<Vec<u8>, BodyError>> =
            vec![Ok(b"ab".to_vec()), Err(BodyError::io("store went away"))];
        let algorithm = ChecksumAlgorithm::Crc32;
        let body = verified(
            Body::stream(futures::stream::iter(broken)),
            algorithm,
            &algorithm.checksum(b"ab"),
        );
        assert_eq!(
            block_on(body.collect(1 << 10)).unwrap_err().message,
            "store went away"
        );
    }
}
