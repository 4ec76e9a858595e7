//! The one path every AWS call takes: sign for the target (a bucket, or a service endpoint),
//! send through the retrying transport, and when AWS refuses the request's time, adopt AWS's
//! time and sign again, once (see [`crate::clock`]). S3 actions and the other services'
//! operations both come through here.

use super::error::ClientError;
use crate::aws::{AwsError, Endpoint};
use crate::body::Body;
use crate::clock::{self, Clock};
use crate::outbound::{copy_request, HttpClient};
use crate::s3::Bucket;
use crate::sigv4::{Payload, Signer, SigningError};
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};

/// The most of an answer read into memory (XML and JSON documents, error bodies).
pub const MAX_ANSWER_BYTES: usize = 16 << 20;

/// Where a signed request goes, and how that service words its errors.
pub trait SigningTarget {
    /// The service's signing name.
    fn service(&self) -> &'static str;
    /// How far from the service's time a signature may be, in seconds: a bodyless refusal
    /// (a HEAD's 403) is blamed on the clock only beyond it.
    fn time_window(&self) -> u64;
    /// Signs `request` for `payload` with the service's rules (S3's or the standard ones).
    ///
    /// # Errors
    /// A header of the request cannot be signed.
    fn sign(
        &self,
        request: &mut Request<()>,
        payload: Payload<'_>,
        signer: &Signer,
        time: crate::sigv4::SigningTime,
    ) -> Result<(), SigningError>;
    /// Reads an error answer in the service's protocol.
    fn error(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> AwsError;
}

impl SigningTarget for Bucket {
    fn service(&self) -> &'static str {
        "s3"
    }

    fn time_window(&self) -> u64 {
        900
    }

    fn sign(
        &self,
        request: &mut Request<()>,
        payload: Payload<'_>,
        signer: &Signer,
        time: crate::sigv4::SigningTime,
    ) -> Result<(), SigningError> {
        Bucket::sign(self, request, payload, signer, time)
    }

    fn error(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> AwsError {
        AwsError::from_s3_response(status, headers, body)
    }
}

impl SigningTarget for Endpoint {
    fn service(&self) -> &'static str {
        Endpoint::service(self).signing_name()
    }

    fn time_window(&self) -> u64 {
        300
    }

    fn sign(
        &self,
        request: &mut Request<()>,
        payload: Payload<'_>,
        signer: &Signer,
        time: crate::sigv4::SigningTime,
    ) -> Result<(), SigningError> {
        self.sign_payload(request, payload, signer, time)
    }

    fn error(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> AwsError {
        AwsError::from_response(status, headers, body)
    }
}

/// A fully read answer.
#[derive(Debug)]
pub struct Buffered {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Vec<u8>,
}

/// Signs and sends for one request: the transport, the credentials and the clock.
pub struct Sender<'a, C> {
    client: &'a C,
    signer: Signer,
    clock: &'a Clock<'a>,
}

impl<'a, C: HttpClient> Sender<'a, C> {
    /// Calls through `client`, signed by `signer` at the `clock`'s time.
    pub fn new(client: &'a C, signer: Signer, clock: &'a Clock<'a>) -> Self {
        Self {
            client,
            signer,
            clock,
        }
    }

    /// The signing credentials.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The request's clock.
    pub fn clock(&self) -> &'a Clock<'a> {
        self.clock
    }

    /// The transport.
    pub fn client(&self) -> &'a C {
        self.client
    }

    /// Signs `request` for `payload` and sends it with `body`. A refusal for the request's
    /// time is signed again, once, with the service's time, unless the body was a stream,
    /// which cannot be sent twice (the time is adopted all the same, for the next call).
    ///
    /// # Errors
    /// The request cannot be signed, or no answer came back.
    pub async fn send(
        &self,
        target: &impl SigningTarget,
        request: Request<()>,
        payload: Payload<'_>,
        body: Body,
    ) -> Result<Response<Body>, ClientError> {
        let replay = body.try_clone();
        let response = self
            .send_once(target, copy_request(&request), payload, body)
            .await?;
        if !matches!(
            response.status(),
            StatusCode::FORBIDDEN | StatusCode::BAD_REQUEST
        ) {
            return Ok(response);
        }
        let (parts, body) = response.into_parts();
        let bytes = read(target, parts.status, body).await?;
        let refused_for_time = if bytes.is_empty() {
            // A HEAD's refusal has no body to say why: a `Date` beyond the window does.
            parts.status == StatusCode::FORBIDDEN
                && self
                    .clock
                    .adopt_server_time_beyond(&parts.headers, target.time_window())
        } else {
            let error = target.error(parts.status, &parts.headers, &bytes);
            clock::is_time_refusal(&error.code, &error.message)
                && self.clock.adopt_server_time(&parts.headers)
        };
        match (refused_for_time, replay) {
            (true, Some(replay)) => self.send_once(target, request, payload, replay).await,
            _ => Ok(Response::from_parts(parts, Body::Bytes(bytes))),
        }
    }

    async fn send_once(
        &self,
        target: &impl SigningTarget,
        mut request: Request<()>,
        payload: Payload<'_>,
        body: Body,
    ) -> Result<Response<Body>, ClientError> {
        target
            .sign(&mut request, payload, &self.signer, self.clock.now())
            .map_err(ClientError::Signing)?;
        Ok(self.client.send(request, body).await?)
    }

    /// Sends a request whose body is in memory and reads the whole answer. `sha256` is the
    /// body's lowercase hex SHA-256 when the caller computed it (while reading it, say);
    /// otherwise it is computed here.
    ///
    /// # Errors
    /// As [`Sender::send`], or the answer breaks off or outgrows [`MAX_ANSWER_BYTES`].
    pub async fn exchange(
        &self,
        target: &impl SigningTarget,
        request: Request<Vec<u8>>,
        sha256: Option<&str>,
    ) -> Result<Buffered, ClientError> {
        let (mut parts, body) = request.into_parts();
        // Stores want a length on every request that may carry a body, empty ones included
        // (copy, create upload, delete); GET and HEAD carry none.
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            parts
                .headers
                .entry(header::CONTENT_LENGTH)
                .or_insert(HeaderValue::from(body.len()));
        }
        let computed;
        let sha256 = match sha256 {
            Some(hash) => hash,
            None => {
                computed = Payload::Bytes(&body).hash().into_owned();
                &computed
            }
        };
        let request = Request::from_parts(parts, ());
        let response = self
            .send(
                target,
                request,
                Payload::Sha256Hex(sha256),
                Body::Bytes(body),
            )
            .await?;
        buffer(target, response).await
    }
}

/// Reads a whole answer.
///
/// # Errors
/// The answer breaks off or outgrows [`MAX_ANSWER_BYTES`].
pub async fn buffer(
    target: &impl SigningTarget,
    response: Response<Body>,
) -> Result<Buffered, ClientError> {
    let (parts, body) = response.into_parts();
    let body = read(target, parts.status, body).await?;
    Ok(Buffered {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// The error an answer carries, reading its body.
///
/// # Errors
/// Always: the service's error, or the answer broke off.
pub async fn error_of(target: &impl SigningTarget, response: Response<Body>) -> ClientError {
    match buffer(target, response).await {
        Ok(answer) => ClientError::Service {
            service: target.service(),
            error: target.error(answer.status, &answer.headers, &answer.body),
        },
        Err(err) => err,
    }
}

async fn read(
    target: &impl SigningTarget,
    status: StatusCode,
    body: Body,
) -> Result<Vec<u8>, ClientError> {
    body.collect(MAX_ANSWER_BYTES)
        .await
        .map_err(|reason| ClientError::BrokenAnswer {
            service: target.service(),
            status: status.as_u16(),
            reason,
        })
}
