//! Bodies that flow through spinlift in chunks: objects are streamed, never held whole.

use futures::stream::{Stream, StreamExt};
use std::fmt;
use std::pin::Pin;

/// A stream of body chunks.
pub type ChunkStream = Pin<Box<dyn Stream<Item = Result<Vec<u8>, BodyError>>>>;

/// A request or response body: nothing, bytes in memory, or a stream of chunks.
pub enum Body {
    /// No body.
    Empty,
    /// A small body held in memory (JSON, XML).
    Bytes(Vec<u8>),
    /// A streamed body (object data).
    Stream(ChunkStream),
}

/// A body could not be read or written: the peer went away, or sent too much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError {
    /// What happened, without any body content.
    pub message: String,
    /// The body was larger than its limit.
    pub too_large: bool,
}

impl BodyError {
    /// A read or write failure.
    pub fn io(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            too_large: false,
        }
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BodyError {}

impl Body {
    /// Wraps any chunk stream.
    pub fn stream(stream: impl Stream<Item = Result<Vec<u8>, BodyError>> + 'static) -> Self {
        Body::Stream(Box::pin(stream))
    }

    /// Reads the whole body, refusing more than `limit` bytes.
    ///
    /// # Errors
    /// The stream failed, or the body is larger than `limit` (`too_large` is set).
    pub async fn collect(self, limit: usize) -> Result<Vec<u8>, BodyError> {
        let too_large = || BodyError {
            message: format!("the body is larger than {limit} bytes"),
            too_large: true,
        };
        match self {
            Body::Empty => Ok(Vec::new()),
            Body::Bytes(bytes) if bytes.len() > limit => Err(too_large()),
            Body::Bytes(bytes) => Ok(bytes),
            Body::Stream(mut stream) => {
                let mut out = Vec::new();
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk?;
                    if out.len() + chunk.len() > limit {
                        return Err(too_large());
                    }
                    out.extend_from_slice(&chunk);
                }
                Ok(out)
            }
        }
    }

    /// A copy, to send the same body again; a stream cannot be read twice.
    pub fn try_clone(&self) -> Option<Body> {
        match self {
            Body::Empty => Some(Body::Empty),
            Body::Bytes(bytes) => Some(Body::Bytes(bytes.clone())),
            Body::Stream(_) => None,
        }
    }

    /// The body as a chunk stream, whatever it holds. Its end is final: asked again, it ends
    /// again (readers that fill a chunk or a part ask once more after the last bytes, and
    /// some streams, `unfold`'s among them, panic when polled after their end).
    pub fn into_stream(self) -> ChunkStream {
        match self {
            Body::Empty => Box::pin(futures::stream::empty()),
            Body::Bytes(bytes) => Box::pin(futures::stream::once(async move { Ok(bytes) })),
            Body::Stream(stream) => Box::pin(stream.fuse()),
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Empty => f.write_str("Body::Empty"),
            Body::Bytes(bytes) => write!(f, "Body::Bytes({} bytes)", bytes.len()),
            Body::Stream(_) => f.write_str("Body::Stream"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn a_stream_asked_past_its_end_ends_again() {
        // `unfold` panics when polled after it returned its end.
        let once = futures::stream::unfold(true, |more| async move {
            more.then(|| (Ok(b"last".to_vec()), false))
        });
        let mut stream = Body::stream(once).into_stream();
        block_on(async {
            assert_eq!(stream.next().await.unwrap().unwrap(), b"last");
            assert!(stream.next().await.is_none());
            assert!(stream.next().await.is_none());
        });
    }

    fn chunks(parts: &[&'static [u8]]) -> Body {
        Body::stream(futures::stream::iter(
            parts.iter().map(|p| Ok(p.to_vec())).collect::<Vec<_>>(),
        ))
    }

    #[test]
    fn collect_joins_chunks_within_the_limit() {
        assert_eq!(
            block_on(chunks(&[b"ab", b"cd"]).collect(4)).unwrap(),
            b"abcd"
        );
        let err = block_on(chunks(&[b"ab", b"cde"]).collect(4)).unwrap_err();
        assert!(err.too_large);
        assert!(
            block_on(Body::Bytes(vec![0; 5]).collect(4))
                .unwrap_err()
                .too_large
        );
        assert_eq!(block_on(Body::Empty.collect(0)).unwrap(), b"");
    }

    #[test]
    fn every_body_becomes_a_stream() {
        let collect = |body: Body| block_on(body.into_stream().map(|c| c.unwrap()).concat());
        assert_eq!(collect(Body::Bytes(b"xy".to_vec())), b"xy");
        assert_eq!(collect(chunks(&[b"x", b"y"])), b"xy");
        assert_eq!(collect(Body::Empty), b"");
    }
}
