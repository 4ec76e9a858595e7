//! The Spin side of the app's seams, over `spin_sdk`: variables, outbound HTTP, the clock,
//! and the conversions between WASI HTTP resources and `http` types with streamed bodies.
//!
//! Kept thin: all logic lives in the native, tested modules.

use crate::body::{Body, BodyError};
use crate::config::{VariableError, Variables};
use crate::error::ApiError;
use crate::outbound::{HttpClient, TransportError, TransportErrorKind};
use crate::sigv4::SigningTime;
use futures::{SinkExt, StreamExt};
use spin_sdk::http::{
    ErrorCode, Fields, IncomingRequest, IncomingResponse, Method, OutgoingRequest,
    OutgoingResponse, ResponseOutparam, Scheme,
};

/// Component variables from the Spin host (`fermyon:spin/variables`).
pub(crate) struct SpinVariables;

impl Variables for SpinVariables {
    fn get(&self, name: &str) -> Result<Option<String>, VariableError> {
        use spin_sdk::variables::{get, Error};
        match get(name) {
            Ok(value) => Ok(Some(value)),
            Err(Error::Undefined(_)) => Ok(None),
            // `Display` of the other kinds carries the provider's reason, not a value.
            Err(err) => Err(VariableError(err.to_string())),
        }
    }
}

/// The wall clock (`wasi:clocks/wall-clock`): read once per request, at the edge.
pub(crate) fn now() -> SigningTime {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    SigningTime::from_unix_seconds(since_epoch.as_secs())
}

fn fields(headers: &http::HeaderMap) -> Fields {
    let entries: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect();
    // Names and values come from `http` types, which WASI accepts; an empty set is the fallback.
    Fields::from_list(&entries).unwrap_or_else(|_| Fields::new())
}

fn chunk_error(err: impl std::fmt::Debug) -> BodyError {
    BodyError::io(format!("{err:?}"))
}

/// The incoming request as `http` types, its body streamed.
///
/// # Errors
/// 400 when the method, path or a header is not valid HTTP.
pub(crate) fn incoming(request: IncomingRequest) -> Result<http::Request<Body>, ApiError> {
    let mut builder = http::Request::builder()
        .method(method_name(&request.method()).as_str())
        .uri(request.path_with_query().unwrap_or_else(|| "/".to_owned()));
    for (name, value) in request.headers().entries() {
        builder = builder.header(name, value);
    }
    let body = Body::stream(
        request
            .into_body_stream()
            .map(|chunk| chunk.map_err(chunk_error)),
    );
    builder.body(body).map_err(|err| ApiError::BadRequest {
        code: "invalid_request",
        message: format!("the request is not valid HTTP: {err}"),
    })
}

/// The method's name; spin-sdk's own conversion panics on unusual methods, this never does.
fn method_name(method: &Method) -> String {
    match method {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(other) => other.clone(),
    }
}

/// Writes `response` to the host, streaming its body.
pub(crate) async fn respond(out: ResponseOutparam, response: http::Response<Body>) {
    let (parts, body) = response.into_parts();
    let outgoing = OutgoingResponse::new(fields(&parts.headers));
    let _ = outgoing.set_status_code(parts.status.as_u16());
    let mut sink = outgoing.take_body();
    out.set(outgoing);
    let mut stream = body.into_stream();
    while let Some(chunk) = stream.next().await {
        // A broken upstream body, or a client that went away: stop; the host ends the response.
        let Ok(chunk) = chunk else { return };
        if sink.send(chunk).await.is_err() {
            return;
        }
    }
}

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
        let outgoing = OutgoingRequest::new(fields(&parts.headers));
        let _ = outgoing.set_method(&Method::from(parts.method));
        let _ = outgoing.set_scheme(Some(&match parts.uri.scheme_str() {
            Some("https") => Scheme::Https,
            _ => Scheme::Http,
        }));
        let _ = outgoing.set_authority(parts.uri.authority().map(|a| a.as_str()));
        let _ = outgoing.set_path_with_query(parts.uri.path_and_query().map(|p| p.as_str()));

        let mut sink = outgoing.take_body();
        let write_body = async move {
            let mut stream = body.into_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|err| TransportError {
                    kind: TransportErrorKind::Unreachable,
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
        let response = spin_sdk::http::send::<_, IncomingResponse>(outgoing);
        let (response, written) = futures::join!(response, write_body);
        let response = response.map_err(send_error)?;
        written?;
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

fn send_error(err: spin_sdk::http::SendError) -> TransportError {
    let kind = match &err {
        spin_sdk::http::SendError::Http(
            ErrorCode::ConnectionTimeout
            | ErrorCode::ConnectionReadTimeout
            | ErrorCode::ConnectionWriteTimeout
            | ErrorCode::HttpResponseTimeout,
        ) => TransportErrorKind::Timeout,
        spin_sdk::http::SendError::Http(ErrorCode::HttpRequestDenied) => TransportErrorKind::Denied,
        _ => TransportErrorKind::Unreachable,
    };
    TransportError {
        kind,
        message: format!("{err}"),
    }
}
