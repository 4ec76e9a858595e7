//! The outbound-HTTP seam: how spinlift reaches AWS.
//!
//! The app builds plain `http` requests (signed by [`crate::sigv4`]) and hands them to an
//! [`HttpClient`]. In the component that is Spin's outbound HTTP (`spin_adapter`); in native
//! tests it can be any HTTP client. The client never adds a `Host` header: the runtime derives
//! it from the URL, which is what was signed.

use crate::body::Body;
use std::fmt;
use std::future::Future;

/// Sends requests and returns responses whose bodies stream.
pub trait HttpClient {
    /// Sends `request` with `body`; resolves once the response head has arrived.
    ///
    /// # Errors
    /// The request could not be sent or no response came back.
    fn send(
        &self,
        request: http::Request<()>,
        body: Body,
    ) -> impl Future<Output = Result<http::Response<Body>, TransportError>>;
}

/// Why no response came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    /// What kind of failure.
    pub kind: TransportErrorKind,
    /// A description without secrets (no URL query, no headers).
    pub message: String,
}

/// The kinds of [`TransportError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The peer did not answer in time.
    Timeout,
    /// The host is not in `allowed_outbound_hosts`.
    Denied,
    /// Connection refused, reset, DNS failure, or a broken answer.
    Unreachable,
    /// The body being sent, the client's own upload, broke off before its end.
    RequestBody,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransportError {}
