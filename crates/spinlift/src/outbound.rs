//! The outbound-HTTP seam: how spinlift reaches AWS.
//!
//! The app builds plain `http` requests (signed by [`crate::sigv4`]) and hands them to an
//! [`HttpClient`]. In the component that is Spin's outbound HTTP (`spin_adapter`); in native
//! tests it can be any HTTP client. The client never adds a `Host` header: the runtime derives
//! it from the URL, which is what was signed.

use crate::body::Body;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

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

/// How long an outbound call may wait (`aws_connect_timeout_ms`, `aws_first_byte_timeout_ms`,
/// `aws_between_bytes_timeout_ms`). They travel with each request as an extension, and the
/// transport hands them to the host (WASI HTTP request options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To establish the connection.
    pub connect: Duration,
    /// From the request sent to the answer's first byte.
    pub first_byte: Duration,
    /// Between two chunks of the answer's body.
    pub between_bytes: Duration,
}

impl Default for Timeouts {
    /// The defaults of the `aws_*_timeout_ms` variables in spin.toml.
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            first_byte: Duration::from_secs(60),
            between_bytes: Duration::from_secs(30),
        }
    }
}

/// A copy of a bodiless request (method, URI, version, headers, extensions), to send it again.
pub fn copy_request(request: &http::Request<()>) -> http::Request<()> {
    let mut copy = http::Request::new(());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    copy
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
    /// Connection reset, or a broken answer: the request may have arrived.
    Unreachable,
    /// No connection was made (refused, DNS failure, a TLS handshake that failed): nothing
    /// was sent, so any call may be sent again.
    Unconnected,
    /// The body being sent, the client's own upload, broke off before its end.
    RequestBody,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransportError {}

/// [`HttpClient`] as a trait object: the future boxed, so one type serves any client. User
/// routes and event handlers are stored type-erased and reach AWS through it.
pub trait DynHttpClient {
    /// [`HttpClient::send`], boxed.
    fn send_boxed(
        &self,
        request: http::Request<()>,
        body: Body,
    ) -> Pin<Box<dyn Future<Output = Result<http::Response<Body>, TransportError>> + '_>>;
}

impl<C: HttpClient> DynHttpClient for C {
    fn send_boxed(
        &self,
        request: http::Request<()>,
        body: Body,
    ) -> Pin<Box<dyn Future<Output = Result<http::Response<Body>, TransportError>> + '_>> {
        Box::pin(self.send(request, body))
    }
}

/// Any client, erased: what user routes and event handlers are given.
#[derive(Clone, Copy)]
pub struct Erased<'a>(pub &'a dyn DynHttpClient);

impl HttpClient for Erased<'_> {
    async fn send(
        &self,
        request: http::Request<()>,
        body: Body,
    ) -> Result<http::Response<Body>, TransportError> {
        self.0.send_boxed(request, body).await
    }
}

impl fmt::Debug for Erased<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Erased")
    }
}
