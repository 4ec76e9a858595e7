//! Signed streaming uploads: S3's `aws-chunked` content encoding with
//! `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` (S3 API reference, "Signature calculations for the
//! Authorization header: transferring payload in multiple chunks", and its trailer variant).
//!
//! The request's headers are signed once, with the streaming marker in place of the payload
//! hash: that signature is the *seed*. Every chunk of the body then carries its own signature,
//! computed over the previous one and the chunk's SHA-256, so S3 refuses a body that was
//! changed, reordered or cut short in flight, chunk by chunk, without the sender knowing the
//! whole body's hash up front. Pure: the caller cuts the body and sends the frames.
//!
//! On the wire each chunk is `hex(size);chunk-signature=<sig>\r\n<bytes>\r\n`, and the body
//! ends with a zero-size chunk; with a trailer, the last chunk is followed by the trailing
//! headers and `x-amz-trailer-signature:<sig>`.
//!
//! The unsigned form, `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (what the AWS SDKs send over
//! HTTPS), frames the same bytes without signatures, `hex(size)\r\n<bytes>\r\n`, and ends
//! with `0\r\n`, the trailing checksum headers and a blank line: TLS guards the bytes on the
//! way and the checksum, which S3 recomputes, guards them end to end, at the cost of a CRC
//! instead of a SHA-256 and an HMAC per chunk.

use super::encode::push_hex;
use super::{SigningKey, SigningOutput, EMPTY_SHA256};
use sha2::{Digest, Sha256};

/// The payload marker of a signed aws-chunked body.
pub const STREAMING_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// The payload marker of a signed aws-chunked body with a signed trailer.
pub const STREAMING_PAYLOAD_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";

/// The payload marker of an unsigned aws-chunked body ending in a trailer (its checksum).
pub const STREAMING_UNSIGNED_PAYLOAD_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

const CHUNK_ALGORITHM: &str = "AWS4-HMAC-SHA256-PAYLOAD";
const TRAILER_ALGORITHM: &str = "AWS4-HMAC-SHA256-TRAILER";
/// `;chunk-signature=` plus the hex signature.
const SIGNATURE_FIELD_LEN: u64 = 17 + 64;

/// Signs the chunks of one aws-chunked body in order, each signature chaining from the last.
#[derive(Clone)]
pub struct ChunkSigner {
    key: SigningKey,
    /// `AWS4-HMAC-SHA256-PAYLOAD\n<amz date>\n<scope>\n`: what every chunk's string to sign
    /// starts with (the trailer's differs only in its first line).
    prefix: String,
    previous: String,
}

impl std::fmt::Debug for ChunkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The previous signature would let a reader forge nothing, but signatures stay out of
        // logs all the same.
        f.write_str("ChunkSigner(** redacted **)")
    }
}

impl ChunkSigner {
    /// The chain that starts from `seed`, the signature of the request's headers, made with
    /// `key` (the signing key of the seed's scope).
    pub fn new(key: SigningKey, seed: &SigningOutput) -> Self {
        let string_to_sign = seed.string_to_sign.as_str();
        let amz_date = string_to_sign.split('\n').nth(1).unwrap_or_default();
        let scope = seed.string_to_sign.scope();
        let mut prefix =
            String::with_capacity(CHUNK_ALGORITHM.len() + amz_date.len() + scope.len() + 3);
        for part in [CHUNK_ALGORITHM, "\n", amz_date, "\n", scope, "\n"] {
            prefix.push_str(part);
        }
        Self {
            key,
            prefix,
            previous: seed.signature.clone(),
        }
    }

    /// The string to sign for the next chunk, `chunk` being its bytes.
    pub fn chunk_string_to_sign(&self, chunk: &[u8]) -> String {
        let mut text = String::with_capacity(self.prefix.len() + 64 * 3 + 2);
        text.push_str(&self.prefix);
        text.push_str(&self.previous);
        text.push('\n');
        text.push_str(EMPTY_SHA256);
        text.push('\n');
        push_hex(&mut text, &Sha256::digest(chunk).into());
        text
    }

    /// Signs the next chunk and returns the line that goes before its bytes,
    /// `hex(size);chunk-signature=<sig>\r\n`. The bytes follow, then `\r\n`.
    pub fn chunk_header(&mut self, chunk: &[u8]) -> String {
        self.previous = self.key.sign(&self.chunk_string_to_sign(chunk));
        format!("{:x};chunk-signature={}\r\n", chunk.len(), self.previous)
    }

    /// The zero-size chunk that ends a body without a trailer.
    pub fn final_chunk(&mut self) -> String {
        let mut last = self.chunk_header(b"");
        last.push_str("\r\n");
        last
    }

    /// The string to sign for the trailer, after the zero-size chunk: the hash of its
    /// canonical form, each header `name:value\n` (LF, where the wire has CRLF).
    pub fn trailer_string_to_sign(&self, trailers: &[(&str, &str)]) -> String {
        let mut canonical = String::new();
        for (name, value) in trailers {
            for part in [*name, ":", value.trim(), "\n"] {
                canonical.push_str(part);
            }
        }
        let mut text = String::with_capacity(self.prefix.len() + 64 * 2 + 1);
        text.push_str(TRAILER_ALGORITHM);
        text.push_str(&self.prefix[CHUNK_ALGORITHM.len()..]);
        text.push_str(&self.previous);
        text.push('\n');
        push_hex(&mut text, &Sha256::digest(canonical.as_bytes()).into());
        text
    }

    /// The zero-size chunk, the trailing headers and their signature that end a body with a
    /// trailer (`x-amz-trailer` names the headers in the request).
    pub fn final_chunk_with_trailer(&mut self, trailers: &[(&str, &str)]) -> String {
        let mut last = self.chunk_header(b"");
        last.push_str(&self.trailer(trailers));
        last
    }

    /// What follows the zero-size chunk's line in a body with a trailer: the trailing
    /// headers, their signature and the body's end.
    pub fn trailer(&mut self, trailers: &[(&str, &str)]) -> String {
        let mut last = String::new();
        for (name, value) in trailers {
            for part in [*name, ":", value.trim(), "\r\n"] {
                last.push_str(part);
            }
        }
        let signature = self.key.sign(&self.trailer_string_to_sign(trailers));
        for part in ["x-amz-trailer-signature:", &signature, "\r\n\r\n"] {
            last.push_str(part);
        }
        self.previous = signature;
        last
    }
}

/// The line that opens an unsigned chunk of `size` bytes: `hex(size)\r\n`.
pub fn unsigned_chunk_header(size: usize) -> String {
    format!("{size:x}\r\n")
}

/// The end of an unsigned aws-chunked body: the zero-size chunk, `name:value\r\n` for each
/// trailing header, and the blank line.
pub fn unsigned_trailer(trailers: &[(&str, &str)]) -> String {
    let mut last = String::from("0\r\n");
    for (name, value) in trailers {
        for part in [*name, ":", value.trim(), "\r\n"] {
            last.push_str(part);
        }
    }
    last.push_str("\r\n");
    last
}

/// The length on the wire of `decoded` bytes framed unsigned in chunks of `chunk_size` bytes
/// and ended by [`unsigned_trailer`] of `trailers` (each header's name and its value's length).
///
/// # Panics
/// `chunk_size` is zero.
pub fn unsigned_encoded_length(decoded: u64, chunk_size: u64, trailers: &[(&str, usize)]) -> u64 {
    assert!(chunk_size > 0, "chunks have a size");
    let framed = |size: u64| hex_digits(size) + 2 + size + 2;
    let full = decoded / chunk_size;
    let rest = decoded % chunk_size;
    let mut length = full * framed(chunk_size);
    if rest > 0 {
        length += framed(rest);
    }
    let headers: u64 = trailers
        .iter()
        .map(|(name, value_len)| name.len() as u64 + 1 + *value_len as u64 + 2)
        .sum();
    // `0\r\n`, the headers, `\r\n`.
    length + 3 + headers + 2
}

/// How a body is framed by [`to_aws_chunked`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Every chunk signed (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, `...-TRAILER` with a trailer).
    Signed,
    /// No chunk signed, a trailer required (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`).
    UnsignedWithTrailer,
}

/// Turns the headers of a request whose `Content-Length` is its body's into those of the same
/// body sent aws-chunked in chunks of `chunk_size` bytes: `Content-Encoding: aws-chunked`,
/// `x-amz-decoded-content-length` the body's length, `Content-Length` the encoded one, which
/// counts the trailer when `trailers` (each header's name and its value's length) are sent.
/// Returns the body's length; `None` (headers untouched) without a readable
/// `Content-Length`.
///
/// # Panics
/// `chunk_size` is zero.
pub fn to_aws_chunked(
    headers: &mut http::HeaderMap,
    chunk_size: u64,
    trailers: &[(&str, usize)],
    framing: Framing,
) -> Option<u64> {
    let decoded: u64 = headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()?;
    let encoded = match framing {
        Framing::UnsignedWithTrailer => unsigned_encoded_length(decoded, chunk_size, trailers),
        Framing::Signed if trailers.is_empty() => encoded_length(decoded, chunk_size),
        Framing::Signed => encoded_length_with_trailer(decoded, chunk_size, trailers),
    };
    headers.insert(http::header::CONTENT_LENGTH, encoded.into());
    headers.insert("x-amz-decoded-content-length", decoded.into());
    // The object's own encoding (gzip, ...) follows ours, which S3 removes before it stores
    // the object: `aws-chunked,gzip`.
    let own: Vec<&[u8]> = headers
        .get_all(http::header::CONTENT_ENCODING)
        .iter()
        .map(http::HeaderValue::as_bytes)
        .collect();
    let encoding = match own.is_empty() {
        true => http::HeaderValue::from_static("aws-chunked"),
        false => http::HeaderValue::from_bytes(&[&b"aws-chunked,"[..], &own.join(&b',')].concat())
            .expect("header values joined by commas are a header value"),
    };
    headers.insert(http::header::CONTENT_ENCODING, encoding);
    Some(decoded)
}

/// The length on the wire of a body like [`encoded_length`]'s that ends in a signed trailer
/// of `trailers` (each header's name and the length of its value): the zero-size chunk's line,
/// then `name:value\r\n` for each, then `x-amz-trailer-signature:<sig>\r\n\r\n`.
///
/// # Panics
/// `chunk_size` is zero.
pub fn encoded_length_with_trailer(
    decoded: u64,
    chunk_size: u64,
    trailers: &[(&str, usize)],
) -> u64 {
    let headers: u64 = trailers
        .iter()
        .map(|(name, value_len)| name.len() as u64 + 1 + *value_len as u64 + 2)
        .sum();
    // The final chunk's closing CRLF gives way to the trailer.
    let signature = "x-amz-trailer-signature:".len() as u64 + 64 + 4;
    encoded_length(decoded, chunk_size) - 2 + headers + signature
}

/// The length on the wire of a body of `decoded` bytes sent in chunks of `chunk_size` bytes
/// (the last one shorter) and the final zero-size chunk, without a trailer: the request's
/// `Content-Length`, which S3 needs up front.
///
/// # Panics
/// `chunk_size` is zero.
pub fn encoded_length(decoded: u64, chunk_size: u64) -> u64 {
    assert!(chunk_size > 0, "chunks have a size");
    let framed = |size: u64| hex_digits(size) + SIGNATURE_FIELD_LEN + 2 + size + 2;
    let full = decoded / chunk_size;
    let rest = decoded % chunk_size;
    let mut length = full * framed(chunk_size);
    if rest > 0 {
        length += framed(rest);
    }
    // The final chunk: `0;chunk-signature=<sig>\r\n\r\n`.
    length + framed(0)
}

fn hex_digits(mut n: u64) -> u64 {
    let mut digits = 1;
    while n >= 16 {
        n /= 16;
        digits += 1;
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_say_both_lengths() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(
            to_aws_chunked(&mut headers, 65_536, &[], Framing::Signed),
            None
        );
        headers.insert(http::header::CONTENT_LENGTH, 66_560.into());
        assert_eq!(
            to_aws_chunked(&mut headers, 65_536, &[], Framing::Signed),
            Some(66_560)
        );
        assert_eq!(headers["content-length"], "66824");
        assert_eq!(headers["x-amz-decoded-content-length"], "66560");
        assert_eq!(headers["content-encoding"], "aws-chunked");
        let mut gzipped = http::HeaderMap::new();
        gzipped.insert(http::header::CONTENT_LENGTH, 1.into());
        gzipped.insert(http::header::CONTENT_ENCODING, "gzip".parse().unwrap());
        to_aws_chunked(&mut gzipped, 65_536, &[], Framing::Signed);
        assert_eq!(gzipped["content-encoding"], "aws-chunked,gzip");
        // Codings on two lines are one list.
        gzipped.append(http::header::CONTENT_ENCODING, "br".parse().unwrap());
        gzipped.insert(http::header::CONTENT_LENGTH, 1.into());
        gzipped.insert(http::header::CONTENT_ENCODING, "gzip".parse().unwrap());
        gzipped.append(http::header::CONTENT_ENCODING, "br".parse().unwrap());
        to_aws_chunked(&mut gzipped, 65_536, &[], Framing::Signed);
        assert_eq!(gzipped["content-encoding"], "aws-chunked,gzip,br");
        assert_eq!(gzipped.get_all("content-encoding").iter().count(), 1);
        headers.insert(http::header::CONTENT_LENGTH, 66_560.into());
        let trailer = [("x-amz-checksum-crc32c", 8)];
        assert_eq!(
            to_aws_chunked(&mut headers, 65_536, &trailer, Framing::Signed),
            Some(66_560)
        );
        assert_eq!(
            headers["content-length"],
            encoded_length_with_trailer(66_560, 65_536, &trailer).to_string()
        );
    }

    #[test]
    fn unsigned_frames_are_sized_and_counted() {
        assert_eq!(unsigned_chunk_header(65_536), "10000\r\n");
        let trailer = unsigned_trailer(&[("x-amz-checksum-crc32", "AAAAAA==")]);
        assert_eq!(trailer, "0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n");
        // The wire, built frame by frame, is as long as announced.
        let body = vec![7u8; 150_000];
        let mut wire = Vec::new();
        for chunk in body.chunks(65_536) {
            wire.extend(unsigned_chunk_header(chunk.len()).into_bytes());
            wire.extend_from_slice(chunk);
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend(trailer.into_bytes());
        let lengths = [("x-amz-checksum-crc32", 8)];
        assert_eq!(
            unsigned_encoded_length(150_000, 65_536, &lengths),
            wire.len() as u64
        );
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::CONTENT_LENGTH, 150_000.into());
        let framing = Framing::UnsignedWithTrailer;
        assert_eq!(
            to_aws_chunked(&mut headers, 65_536, &lengths, framing),
            Some(150_000)
        );
        assert_eq!(headers["content-length"], wire.len().to_string());
    }

    #[test]
    fn encoded_lengths_count_every_frame() {
        // The S3 documentation's example: 66,560 bytes in 64 KiB chunks is 66,824 on the wire.
        assert_eq!(encoded_length(66_560, 65_536), 66_824);
        // An empty body is the final chunk alone.
        assert_eq!(encoded_length(0, 65_536), 86);
        // Exact multiples have no short chunk.
        assert_eq!(
            encoded_length(2 * 65_536, 65_536),
            2 * (5 + 81 + 2 + 65_536 + 2) + 86
        );
        assert_eq!(hex_digits(0), 1);
        assert_eq!(hex_digits(15), 1);
        assert_eq!(hex_digits(16), 2);
        assert_eq!(hex_digits(0x10000), 5);
    }
}
