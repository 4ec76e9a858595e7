//! Bodies that flow through spinlift in chunks: objects are streamed, never held whole.

use futures::stream::{Stream, StreamExt};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

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

impl Body {
    /// The same body, except that a wait of `limit` for the next chunk ends it with an error:
    /// a client that stops sending is answered (400) instead of holding the request until the
    /// host gives up, which on `spin up` is 10 minutes and on a store that never times out an
    /// idle upload could be longer. The wait only runs while a reader asks for a chunk, so a
    /// reader busy elsewhere (sending the previous part) is not the client's delay. `sleep`
    /// is the environment's timer.
    pub fn idle_limited<F, S>(self, limit: Duration, sleep: F) -> Body
    where
        F: Fn(Duration) -> S + Unpin + 'static,
        S: Future<Output = ()> + 'static,
    {
        match self {
            Body::Stream(inner) => Body::stream(IdleLimited {
                inner,
                limit,
                sleep,
                timer: None,
                expired: false,
            }),
            held => held,
        }
    }
}

/// A chunk stream whose waits are bounded (see [`Body::idle_limited`]).
struct IdleLimited<F, S> {
    inner: ChunkStream,
    limit: Duration,
    sleep: F,
    /// Runs from the first wait since the last chunk.
    timer: Option<Pin<Box<S>>>,
    expired: bool,
}

impl<F, S> Stream for IdleLimited<F, S>
where
    F: Fn(Duration) -> S + Unpin,
    S: Future<Output = ()>,
{
    type Item = Result<Vec<u8>, BodyError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = this.inner.as_mut().poll_next(cx) {
            this.timer = None;
            return Poll::Ready(item);
        }
        let (sleep, limit) = (&this.sleep, this.limit);
        let timer = this.timer.get_or_insert_with(|| Box::pin(sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.expired = true;
                this.timer = None;
                Poll::Ready(Some(Err(BodyError::io(format!(
                    "nothing arrived for {} ms",
                    limit.as_millis()
                )))))
            }
            Poll::Pending => Poll::Pending,
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

    /// Pending once (waking itself at once), then ready: a chunk that keeps a reader waiting.
    struct Later(bool);

    impl Future for Later {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if std::mem::replace(&mut self.0, true) {
                return Poll::Ready(());
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    #[test]
    fn a_client_that_stops_sending_ends_the_body_with_an_error() {
        let stalled = Body::stream(
            futures::stream::iter([Ok(b"ab".to_vec()), Ok(b"cd".to_vec())])
                .chain(futures::stream::pending()),
        );
        // A timer that has always run out: the chunks that are there still come first.
        let mut stream = stalled
            .idle_limited(Duration::from_millis(300), |_| async {})
            .into_stream();
        block_on(async {
            assert_eq!(stream.next().await.unwrap().unwrap(), b"ab");
            assert_eq!(stream.next().await.unwrap().unwrap(), b"cd");
            let err = stream.next().await.unwrap().unwrap_err();
            assert_eq!(err.message, "nothing arrived for 300 ms");
            assert!(!err.too_large);
            assert!(stream.next().await.is_none());
        });
    }

    #[test]
    fn each_wait_for_a_chunk_gets_its_own_timer_and_bodies_held_are_untouched() {
        let timers = std::rc::Rc::new(std::cell::Cell::new(0));
        let counted = timers.clone();
        let slow = Body::stream(
            futures::stream::iter([b"a", b"b", b"c"]).then(|chunk| async {
                Later(false).await;
                Ok(chunk.to_vec())
            }),
        );
        let body = slow.idle_limited(Duration::from_secs(30), move |_| {
            counted.set(counted.get() + 1);
            futures::future::pending::<()>()
        });
        let collected = block_on(body.collect(16)).unwrap();
        assert_eq!(collected, b"abc");
        // One timer per chunk waited for; the end came at once.
        assert_eq!(timers.get(), 3);

        let held = Body::Bytes(b"held".to_vec()).idle_limited(Duration::ZERO, |_| async {});
        assert_eq!(block_on(held.collect(4)).unwrap(), b"held");
    }
}
