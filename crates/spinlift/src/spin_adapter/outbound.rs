//! Outbound HTTP through Spin: `wasi:http/outgoing-handler` with the request's timeouts as
//! WASI request options, the body written while the answer is awaited, the answer's body
//! streamed back.

use super::{chunk_error, fields};
use crate::body::Body;
use crate::env::Env;
use crate::outbound::{HttpClient, Timeouts, TransportError, TransportErrorKind};
use futures::{SinkExt, StreamExt};
use spin_sdk::http::{ErrorCode, IncomingResponse, Method, OutgoingRequest, Scheme};
use spin_sdk::wit::wasi::http0_2_0::types::RequestOptions;
use std::future::Future;
use std::task::Poll;

/// Outbound HTTP through Spin (`wasi:http/outgoing-handler`), checked against
/// `allowed_outbound_hosts` by the host.
pub(crate) struct SpinHttp;

impl HttpClient for SpinHttp {
    async fn send(
        &self,
        request: http::Request<()>,
        body: Body,
    ) -> Result<http::Response<Body>, TransportError> {
        let (parts, ()) = request.into_parts();
        // No Host header: the runtime derives it from the authority, which is what was signed.
        let headers = fields(&parts.headers).map_err(|message| TransportError {
            kind: TransportErrorKind::Unreachable,
            message,
        })?;
        let outgoing = OutgoingRequest::new(headers);
        let _ = outgoing.set_method(&Method::from(parts.method));
        let _ = outgoing.set_scheme(Some(&match parts.uri.scheme_str() {
            Some("https") => Scheme::Https,
            _ => Scheme::Http,
        }));
        let _ = outgoing.set_authority(parts.uri.authority().map(|a| a.as_str()));
        let _ = outgoing.set_path_with_query(parts.uri.path_and_query().map(|p| p.as_str()));

        // The host's first-byte timeout runs from the start of the request, so it would also
        // time a streamed body (a client's upload, at the client's pace): a slow client's PUT
        // would be answered 504 as if S3 had not answered. For those the host keeps its own
        // (long) default, and the timeout runs here from the body's last byte.
        let streamed = matches!(body, Body::Stream(_));
        let timeouts = parts
            .extensions
            .get::<Timeouts>()
            .copied()
            .unwrap_or_default();
        // Every request with a body carries a Content-Length, so a body that ends early (the
        // sink finishes it when dropped) is refused by the host rather than sent short.
        let mut sink = outgoing.take_body();
        let write_body = async move {
            let mut stream = body.into_stream();
            // A client's body ends itself when the client pauses too long (see `serve`).
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|err| TransportError {
                    kind: TransportErrorKind::RequestBody,
                    message: format!("the request body broke off: {err}"),
                })?;
                sink.send(chunk).await.map_err(|err| TransportError {
                    kind: TransportErrorKind::Unreachable,
                    message: format!("the request body could not be sent: {err:?}"),
                })?;
            }
            // Dropping the sink finishes the body.
            drop(sink);
            Ok::<(), TransportError>(())
        };
        let mut response = std::pin::pin!(send_with_timeouts(outgoing, timeouts, !streamed));
        let mut write_body = std::pin::pin!(write_body);
        let mut written = None;
        let mut first_byte = None;
        // The body is written until it ends or S3 answers: an answer before the body is all
        // sent (an early 403, S3's RequestTimeout for a stalled client) ends the request, and
        // the rest of the client's body is not waited for.
        let answer = futures::future::poll_fn(|cx| {
            if written.is_none() {
                if let Poll::Ready(result) = write_body.as_mut().poll(cx) {
                    // Ended or broken off, the body is done: the answer is timed from here.
                    if streamed {
                        first_byte = Some(super::SpinEnv.sleep(timeouts.first_byte));
                    }
                    written = Some(result);
                }
            }
            if let Poll::Ready(answer) = response.as_mut().poll(cx) {
                return Poll::Ready(answer);
            }
            match first_byte.as_mut().map(|timer| timer.as_mut().poll(cx)) {
                Some(Poll::Ready(())) => Poll::Ready(Err(ErrorCode::ConnectionReadTimeout)),
                _ => Poll::Pending,
            }
        })
        .await;
        let response = match (answer, written.unwrap_or(Ok(()))) {
            // S3's answer wins: an early 403 explains why the rest of the body was not taken.
            (Ok(response), _) => response,
            (Err(_), Err(written)) if written.kind == TransportErrorKind::RequestBody => {
                return Err(written)
            }
            (Err(code), _) => return Err(send_error(code)),
        };
        let mut builder = http::Response::builder().status(response.status());
        for (name, value) in response.headers().entries() {
            builder = builder.header(name, value);
        }
        let stream = response
            .take_body_stream()
            .map(|chunk| chunk.map_err(chunk_error));
        // The response resource must outlive its body stream, or the host cancels the transfer.
        let stream = KeepAlive {
            stream: Box::pin(stream),
            _response: response,
        };
        builder
            .body(Body::stream(stream))
            .map_err(|err| TransportError {
                kind: TransportErrorKind::Unreachable,
                message: format!("the store's answer is not valid HTTP: {err}"),
            })
    }
}

/// A body stream that keeps its response resource alive.
struct KeepAlive<S> {
    stream: std::pin::Pin<Box<S>>,
    _response: IncomingResponse,
}

impl<S: futures::Stream> futures::Stream for KeepAlive<S> {
    type Item = S::Item;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<S::Item>> {
        self.get_mut().stream.as_mut().poll_next(cx)
    }
}

/// `wasi:http/outgoing-handler.handle` with request options, awaited on spin-sdk's executor
/// (`spin_sdk::http::send` always passes no options, leaving the host's 10-minute defaults).
/// The host applies the timeouts: connect, first byte (which includes sending the body; left
/// to the host's default unless `time_first_byte`), and between bytes of the answer.
fn send_with_timeouts(
    request: OutgoingRequest,
    timeouts: Timeouts,
    time_first_byte: bool,
) -> impl Future<Output = Result<IncomingResponse, ErrorCode>> {
    use spin_sdk::wit::wasi::http0_2_0::{outgoing_handler, types::FutureIncomingResponse};

    /// Drops the waker token (which holds a pollable) before the future it watches.
    struct Pending {
        token: Option<spin_executor::CancelOnDropToken>,
        response: Option<Result<FutureIncomingResponse, ErrorCode>>,
    }
    impl Drop for Pending {
        fn drop(&mut self) {
            drop(self.token.take());
            drop(self.response.take());
        }
    }

    let nanos = |d: std::time::Duration| Some(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let options = RequestOptions::new();
    // The setters fail only for a timeout the host does not support; it then keeps its own.
    let _ = options.set_connect_timeout(nanos(timeouts.connect));
    if time_first_byte {
        let _ = options.set_first_byte_timeout(nanos(timeouts.first_byte));
    }
    let _ = options.set_between_bytes_timeout(nanos(timeouts.between_bytes));
    let mut pending = Pending {
        token: None,
        response: Some(outgoing_handler::handle(request, Some(options))),
    };
    futures::future::poll_fn(move |cx| match pending.response.as_ref() {
        Some(Ok(future)) => match future.get() {
            Some(Ok(result)) => Poll::Ready(result),
            Some(Err(())) => Poll::Ready(Err(ErrorCode::InternalError(Some(
                "the response was already taken".into(),
            )))),
            None => {
                pending.token = Some(
                    spin_executor::push_waker_and_get_token(future.subscribe(), cx.waker().clone())
                        .into(),
                );
                Poll::Pending
            }
        },
        Some(Err(code)) => Poll::Ready(Err(code.clone())),
        None => Poll::Pending,
    })
}

fn send_error(code: ErrorCode) -> TransportError {
    let kind = match &code {
        ErrorCode::ConnectionTimeout
        | ErrorCode::DnsTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout => TransportErrorKind::Timeout,
        ErrorCode::HttpRequestDenied => TransportErrorKind::Denied,
        ErrorCode::ConnectionRefused
        | ErrorCode::DnsError(_)
        | ErrorCode::DestinationNotFound
        | ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpProhibited
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::ConnectionLimitReached
        | ErrorCode::TlsProtocolError
        | ErrorCode::TlsCertificateError => TransportErrorKind::Unconnected,
        _ => TransportErrorKind::Unreachable,
    };
    TransportError {
        kind,
        message: format!("{code}"),
    }
}
