//! Everything a route needs to call S3: the bucket, a signer, the client and the time.

use super::credentials::Resolved;
use crate::body::{Body, BodyError};
use crate::cache::Cache;
use crate::clock::{self, Clock};
use crate::config::{self, Variables};
use crate::env::Env;
use crate::error::ApiError;
use crate::outbound::{copy_request, HttpClient};
use crate::s3::{Bucket, S3Error};
use crate::sigv4::{Payload, Signer, SigningErrorKind, SigningTime};
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};

/// How far from S3's time a signature may be (15 minutes).
const S3_TIME_WINDOW_SECONDS: u64 = 900;

/// The most of an S3 answer read into memory (XML documents, error bodies).
const MAX_XML_BYTES: usize = 16 << 20;

/// One request's view of S3.
pub struct S3Call<'a, C> {
    /// The configured bucket.
    pub bucket: Bucket,
    /// Signs with the configured credentials.
    pub signer: Signer,
    client: &'a C,
    clock: &'a Clock<'a>,
    /// When the signing credentials end (an assumed role's session): presigned URLs cannot
    /// outlive them.
    pub credentials_expire_at: Option<u64>,
}

/// A fully read S3 answer.
pub struct Buffered {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Vec<u8>,
}

impl<'a, C: HttpClient> S3Call<'a, C> {
    /// Loads the S3 configuration and this request's credentials (the configured keys, or
    /// the assumed role's session, see [`super::credentials`]).
    ///
    /// # Errors
    /// A variable is missing or invalid, or STS refused the role.
    pub async fn load(
        vars: &dyn Variables,
        client: &'a C,
        cache: &dyn Cache,
        clock: &'a Clock<'a>,
    ) -> Result<Self, ApiError> {
        let resolved = super::credentials::resolve(vars, client, cache, clock).await?;
        Self::new(vars, client, resolved, clock)
    }

    /// S3 calls signed with `resolved` credentials.
    ///
    /// # Errors
    /// An S3 variable is missing or invalid.
    pub fn new(
        vars: &dyn Variables,
        client: &'a C,
        resolved: Resolved,
        clock: &'a Clock<'a>,
    ) -> Result<Self, ApiError> {
        let s3 = config::s3(vars)?;
        Ok(Self {
            bucket: Bucket::new(&s3, &resolved.aws.region),
            signer: Signer::new(resolved.credentials),
            client,
            clock,
            credentials_expire_at: resolved.expires_at,
        })
    }

    /// The time signatures carry (presigned URLs included).
    pub fn now(&self) -> SigningTime {
        self.clock.now()
    }

    /// The request's environment (logging, time), for what the client's users report.
    pub fn env(&self) -> &'a dyn Env {
        self.clock.env()
    }

    /// The outbound client, for calls that are not to S3 (SNS confirmations).
    pub fn client(&self) -> &'a C {
        self.client
    }

    /// Signs `request` for `payload` and sends it with `body`. A refusal for the request's
    /// time is signed again, once, with S3's time (see [`crate::clock`]), unless the body
    /// was a stream, which cannot be sent twice.
    ///
    /// # Errors
    /// The request cannot be signed (a client header S3 cannot take), or S3 is unreachable.
    pub async fn send(
        &self,
        request: Request<()>,
        payload: Payload<'_>,
        body: Body,
    ) -> Result<Response<Body>, ApiError> {
        let replay = body.try_clone();
        let response = self
            .send_once(copy_request(&request), payload, body)
            .await?;
        if !matches!(
            response.status(),
            StatusCode::FORBIDDEN | StatusCode::BAD_REQUEST
        ) {
            return Ok(response);
        }
        let (parts, body) = response.into_parts();
        let bytes = read_upstream(body).await?;
        // Adopted even when the body cannot be sent again: the next request signs right.
        let refused_for_time = if bytes.is_empty() {
            // A HEAD's refusal has no body to say why: a `Date` beyond S3's window does.
            parts.status == StatusCode::FORBIDDEN
                && self
                    .clock
                    .adopt_server_time_beyond(&parts.headers, S3_TIME_WINDOW_SECONDS)
        } else {
            let error = S3Error::from_response(parts.status, &parts.headers, &bytes);
            clock::is_time_refusal(&error.code, &error.message)
                && self.clock.adopt_server_time(&parts.headers)
        };
        if refused_for_time {
            if let Some(replay) = replay {
                return self.send_once(request, payload, replay).await;
            }
        }
        Ok(Response::from_parts(parts, Body::Bytes(bytes)))
    }

    async fn send_once(
        &self,
        mut request: Request<()>,
        payload: Payload<'_>,
        body: Body,
    ) -> Result<Response<Body>, ApiError> {
        self.bucket
            .sign(&mut request, payload, &self.signer, self.clock.now())
            .map_err(|err| match err.kind() {
                // Only the client's headers (Range, Content-Type, x-amz-meta-*) can be unsignable.
                SigningErrorKind::InvalidHeader => ApiError::BadRequest {
                    code: "invalid_header",
                    message: err.to_string(),
                },
                _ => ApiError::Internal(err.to_string()),
            })?;
        Ok(self.client.send(request, body).await?)
    }

    /// Sends a request with an in-memory body (hashed into the signature) and reads the answer.
    ///
    /// # Errors
    /// As [`S3Call::send`], or the answer is too large or breaks off.
    pub async fn send_buffered(
        &self,
        request: Request<()>,
        body: Vec<u8>,
    ) -> Result<Buffered, ApiError> {
        self.send_request(request.map(|()| body)).await
    }

    /// [`S3Call::send_buffered`] for a request that carries its own body.
    ///
    /// # Errors
    /// As [`S3Call::send_buffered`].
    pub async fn send_request(&self, request: Request<Vec<u8>>) -> Result<Buffered, ApiError> {
        let sha256 = Payload::Bytes(request.body()).hash().into_owned();
        self.send_hashed(request, &sha256).await
    }

    /// [`S3Call::send_request`] for a body whose lowercase hex SHA-256 the caller computed
    /// (while reading it, say).
    ///
    /// # Errors
    /// As [`S3Call::send_buffered`].
    pub async fn send_hashed(
        &self,
        request: Request<Vec<u8>>,
        sha256: &str,
    ) -> Result<Buffered, ApiError> {
        let (mut parts, body) = request.into_parts();
        // Stores want a length on every request that may carry a body, empty ones included
        // (copy, create upload, delete); GET and HEAD carry none.
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            parts
                .headers
                .entry(header::CONTENT_LENGTH)
                .or_insert(HeaderValue::from(body.len()));
        }
        let request = Request::from_parts(parts, ());
        let response = self
            .send(request, Payload::Sha256Hex(sha256), Body::Bytes(body))
            .await?;
        read_answer(response).await
    }

    /// Streams `body` (of the length the request declares) unsigned, and reads the answer.
    ///
    /// # Errors
    /// As [`S3Call::send_buffered`]; the client's body breaking off is a 400.
    pub async fn send_streamed(
        &self,
        request: Request<()>,
        body: Body,
    ) -> Result<Buffered, ApiError> {
        let response = self.send(request, Payload::Unsigned, body).await?;
        read_answer(response).await
    }
}

async fn read_answer(response: Response<Body>) -> Result<Buffered, ApiError> {
    let (parts, body) = response.into_parts();
    let body = read_upstream(body).await?;
    Ok(Buffered {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// Reads an S3 answer body; a broken one is S3's failure, not the client's.
///
/// # Errors
/// The body breaks off or exceeds 16 MiB.
pub async fn read_upstream(body: Body) -> Result<Vec<u8>, ApiError> {
    body.collect(MAX_XML_BYTES).await.map_err(broken_upstream)
}

/// An S3 answer whose body broke off (or outgrew its limit): S3's failure, a 502.
pub fn broken_upstream(err: BodyError) -> ApiError {
    ApiError::Upstream(S3Error {
        status: 502,
        code: "IncompleteResponse".to_owned(),
        message: format!("the store's answer broke off: {err}"),
        request_id: None,
    })
}

/// The error an S3 answer carries, reading its body.
pub async fn upstream_error(status: StatusCode, headers: &HeaderMap, body: Body) -> ApiError {
    match read_upstream(body).await {
        Ok(bytes) => ApiError::Upstream(S3Error::from_response(status, headers, &bytes)),
        Err(err) => err,
    }
}
