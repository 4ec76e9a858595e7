//! A streamed body framed as S3's aws-chunked encoding: the client's bytes, however they
//! arrive, regrouped into chunks of one size, each signed by the chain the request's seed
//! signature started ([`crate::sigv4::ChunkSigner`]), then the signed final chunk; or, in the
//! unsigned form, the same chunks without signatures and a trailer that must carry a checksum.
//!
//! The final chunk is what tells S3 the body is complete, so it is sent only when exactly the
//! declared number of bytes came: a body that breaks off, or runs longer, ends in an error
//! instead, and S3 stores nothing. With a checksum, the final chunk carries it as the signed
//! trailer, computed over the bytes as they were framed.

use crate::body::{Body, BodyError, ChunkStream};
use crate::s3::Checksummer;
use crate::sigv4::{unsigned_chunk_header, unsigned_trailer, ChunkSigner};
use futures::StreamExt;

/// The size of every chunk but the last: 64 KiB, the AWS SDKs' default. Each chunk costs a
/// frame line of about 90 bytes and one HMAC, on top of the SHA-256 of its bytes.
pub const CHUNK_SIZE: usize = 64 << 10;

struct Framing {
    stream: ChunkStream,
    /// `None` for the unsigned form.
    chain: Option<ChunkSigner>,
    /// Bytes read from the client and not yet framed, from `start` on.
    pending: Vec<u8>,
    start: usize,
    /// Bytes still owed to the declared length.
    remaining: u64,
    chunk_size: usize,
    /// The checksum the trailer carries.
    checksum: Option<Checksummer>,
    done: bool,
}

impl Framing {
    /// The next frame on the wire, or the error that ends the body.
    async fn next_frame(&mut self) -> Result<Vec<u8>, BodyError> {
        if self.start > 0 {
            self.pending.drain(..self.start);
            self.start = 0;
        }
        while self.pending.len() < self.chunk_size {
            match self.stream.next().await {
                Some(bytes) => self.pending.extend_from_slice(&bytes?),
                None => break,
            }
        }
        let take = self.pending.len().min(self.chunk_size);
        if take == 0 {
            self.done = true;
            return if self.remaining == 0 {
                let trailer = self
                    .checksum
                    .take()
                    .map(|checksum| (checksum.algorithm().header(), checksum.finish()));
                Ok(match (&mut self.chain, trailer) {
                    (Some(chain), None) => chain.final_chunk(),
                    (Some(chain), Some((header, value))) => {
                        chain.final_chunk_with_trailer(&[(header, &value)])
                    }
                    (None, Some((header, value))) => unsigned_trailer(&[(header, &value)]),
                    (None, None) => unreachable!("aws_chunked: the unsigned form has a checksum"),
                }
                .into_bytes())
            } else {
                Err(BodyError::io(format!(
                    "the body ended {} bytes short of its Content-Length",
                    self.remaining
                )))
            };
        }
        if take as u64 > self.remaining {
            return Err(BodyError::io("the body is longer than its Content-Length"));
        }
        let chunk = &self.pending[..take];
        if let Some(checksum) = &mut self.checksum {
            checksum.update(chunk);
        }
        let mut frame = match &mut self.chain {
            Some(chain) => chain.chunk_header(chunk),
            None => unsigned_chunk_header(take),
        }
        .into_bytes();
        frame.reserve(take + 2);
        frame.extend_from_slice(chunk);
        frame.extend_from_slice(b"\r\n");
        self.start = take;
        self.remaining -= take as u64;
        Ok(frame)
    }
}

/// `body`, of `decoded` bytes, framed and signed in chunks of `chunk_size` bytes by `chain`,
/// ending in a signed trailer of `checksum`'s value when there is one.
pub fn aws_chunked(
    body: Body,
    chain: ChunkSigner,
    decoded: u64,
    chunk_size: usize,
    checksum: Option<Checksummer>,
) -> Body {
    framed(body, Some(chain), decoded, chunk_size, checksum)
}

/// `body`, of `decoded` bytes, framed unsigned in chunks of `chunk_size` bytes and ended by
/// the trailer of `checksum`'s value (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`).
pub fn unsigned_aws_chunked(
    body: Body,
    decoded: u64,
    chunk_size: usize,
    checksum: Checksummer,
) -> Body {
    framed(body, None, decoded, chunk_size, Some(checksum))
}

fn framed(
    body: Body,
    chain: Option<ChunkSigner>,
    decoded: u64,
    chunk_size: usize,
    checksum: Option<Checksummer>,
) -> Body {
    let framing = Framing {
        stream: body.into_stream(),
        chain,
        pending: Vec::with_capacity(chunk_size),
        start: 0,
        remaining: decoded,
        chunk_size,
        checksum,
        done: false,
    };
    Body::stream(futures::stream::unfold(framing, |mut framing| async move {
        if framing.done {
            return None;
        }
        let frame = framing.next_frame().await;
        framing.done |= frame.is_err();
        Some((frame, framing))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::ChecksumAlgorithm;
    use crate::sigv4::{Credentials, Signer, SigningParams, SigningSettings, SigningTime};
    use futures::executor::block_on;

    fn chain() -> ChunkSigner {
        let signer = Signer::new(Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "secret".into(),
            session_token: None,
        });
        let mut request = http::Request::put("https://s3.amazonaws.com/b/k")
            .body(())
            .unwrap();
        let params = SigningParams {
            region: "us-east-1",
            service: "s3",
            time: SigningTime::from_unix_seconds(1_369_353_600),
            settings: SigningSettings::s3(),
            location: crate::sigv4::SignatureLocation::Headers,
        };
        signer
            .sign_streaming(&mut request, crate::sigv4::STREAMING_PAYLOAD, &params)
            .unwrap()
    }

    fn pieces(parts: &[&[u8]]) -> Body {
        let parts: Vec<Result<Vec<u8>, BodyError>> = parts.iter().map(|p| Ok(p.to_vec())).collect();
        Body::stream(futures::stream::iter(parts))
    }

    #[test]
    fn bytes_are_regrouped_into_signed_chunks_of_one_size() {
        // 10 bytes arriving as 3 + 1 + 6, framed in chunks of 4: 4, 4, 2, then the final one.
        let body = aws_chunked(pieces(&[b"abc", b"d", b"efghij"]), chain(), 10, 4, None);
        let wire = block_on(body.collect(1 << 20)).unwrap();
        let mut expected_chain = chain();
        let mut expected = Vec::new();
        for chunk in [&b"abcd"[..], b"efgh", b"ij"] {
            expected.extend_from_slice(expected_chain.chunk_header(chunk).as_bytes());
            expected.extend_from_slice(chunk);
            expected.extend_from_slice(b"\r\n");
        }
        expected.extend_from_slice(expected_chain.final_chunk().as_bytes());
        assert_eq!(
            String::from_utf8(wire.clone()).unwrap(),
            String::from_utf8(expected).unwrap()
        );
        assert_eq!(
            wire.len() as u64,
            crate::sigv4::encoded_length(10, 4),
            "the encoded length the request declares"
        );
    }

    #[test]
    fn a_body_of_another_length_never_gets_its_final_chunk() {
        for (parts, declared) in [(&[&b"abc"[..]][..], 5), (&[&b"abcdef"[..]][..], 5)] {
            let body = aws_chunked(pieces(parts), chain(), declared, 4, None);
            let err = block_on(body.collect(1 << 20)).unwrap_err();
            assert!(err.message.contains("Content-Length"), "{err}");
        }
        let broken: Vec<Result<Vec<u8>, BodyError>> =
            vec![Ok(b"ab".to_vec()), Err(BodyError::io("client went away"))];
        let body = aws_chunked(
            Body::stream(futures::stream::iter(broken)),
            chain(),
            5,
            4,
            Some(ChecksumAlgorithm::Crc32.hasher()),
        );
        let err = block_on(body.collect(1 << 20)).unwrap_err();
        assert_eq!(err.message, "client went away");
    }

    #[test]
    fn a_checksum_ends_the_body_as_its_signed_trailer() {
        let algorithm = ChecksumAlgorithm::Crc64Nvme;
        let body = aws_chunked(
            pieces(&[b"abcdef", b"ghij"]),
            chain(),
            10,
            4,
            Some(algorithm.hasher()),
        );
        let wire = block_on(body.collect(1 << 20)).unwrap();
        let mut expected_chain = chain();
        let mut expected = Vec::new();
        for chunk in [&b"abcd"[..], b"efgh", b"ij"] {
            expected.extend_from_slice(expected_chain.chunk_header(chunk).as_bytes());
            expected.extend_from_slice(chunk);
            expected.extend_from_slice(b"\r\n");
        }
        let value = algorithm.checksum(b"abcdefghij");
        let trailer = [(algorithm.header(), value.as_str())];
        expected.extend_from_slice(expected_chain.final_chunk_with_trailer(&trailer).as_bytes());
        assert_eq!(
            String::from_utf8(wire.clone()).unwrap(),
            String::from_utf8(expected).unwrap()
        );
        assert_eq!(
            wire.len() as u64,
            crate::sigv4::encoded_length_with_trailer(10, 4, &[(algorithm.header(), 12)]),
        );
    }
}
