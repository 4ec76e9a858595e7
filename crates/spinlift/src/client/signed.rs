//! The one path every AWS call takes: sign for the target (a bucket, or a service endpoint),
//! send through the retrying transport, and when AWS refuses the request's time, adopt AWS's
//! time and sign again, once (see [`crate::clock`]). S3 actions and the other services'
//! operations both come through here.

use super::error::ClientError;
use crate::aws::{AwsError, Endpoint};
use crate::body::Body;
use crate::clock::{self, Clock};
use crate::outbound::{copy_request, HttpClient};
use crate::s3::{Bucket, ChecksumAlgorithm};
use crate::sigv4::{
    to_aws_chunked, Framing, Payload, Signer, SigningError, STREAMING_UNSIGNED_PAYLOAD_TRAILER,
};
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

/// An answer, and whether it refused the request's time.
enum Judged {
    /// The service refused the time (its own has been adopted); the refusal, read.
    RefusedForTime(Response<Body>),
    /// Any other answer.
    Answer(Response<Body>),
}

/// A fully read answer. Its `Debug` gives the body's length, not the body: an STS answer
/// holds session credentials.
pub struct Buffered {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Buffered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Buffered")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_bytes", &self.body.len())
            .finish()
    }
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
        match (self.judge_time(target, response).await?, replay) {
            (Judged::RefusedForTime(_), Some(replay)) => {
                self.send_once(target, request, payload, replay).await
            }
            (Judged::RefusedForTime(response) | Judged::Answer(response), _) => Ok(response),
        }
    }

    /// Sends `request` to `bucket` with `body` as a signed aws-chunked stream: the headers
    /// signed with the streaming marker, then every chunk of `chunk_size` bytes signed as it
    /// is sent, so S3 refuses a body changed or cut short on the way. The request's
    /// `Content-Length` is the body's; a body that turns out longer or shorter breaks off
    /// before its final chunk. A request naming a checksum trailer (`x-amz-trailer`) ends in
    /// it, signed, the value computed over the bytes sent. With `unsigned` and a trailer, the
    /// chunks go unsigned (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`): the checksum alone guards the
    /// bytes, as the AWS SDKs send over HTTPS. Never sent twice: a refusal for the time adopts
    /// S3's time for the next call.
    ///
    /// # Errors
    /// The request cannot be signed, or no answer came back.
    pub async fn send_chunked(
        &self,
        bucket: &Bucket,
        mut request: Request<()>,
        body: Body,
        chunk_size: usize,
        unsigned: bool,
    ) -> Result<Response<Body>, ClientError> {
        // A request that names a checksum trailer gets it computed over the framed bytes.
        let checksum =
            ChecksumAlgorithm::of_trailer(request.headers()).map_err(ClientError::Signing)?;
        let trailers: &[(&str, usize)] = match checksum {
            Some(algorithm) => &[(algorithm.header(), algorithm.encoded_len())],
            None => &[],
        };
        let framing = match checksum {
            Some(_) if unsigned => Framing::UnsignedWithTrailer,
            _ => Framing::Signed,
        };
        let headers = request.headers_mut();
        let Some(decoded) = to_aws_chunked(headers, chunk_size as u64, trailers, framing) else {
            // Without a length there is nothing to encode against: S3 needs one anyway.
            return self.send(bucket, request, Payload::Unsigned, body).await;
        };
        let framed = match checksum.map(ChecksumAlgorithm::hasher) {
            Some(checksum) if framing == Framing::UnsignedWithTrailer => {
                let marker = Payload::Sha256Hex(STREAMING_UNSIGNED_PAYLOAD_TRAILER);
                bucket
                    .sign(&mut request, marker, &self.signer, self.clock.now())
                    .map_err(ClientError::Signing)?;
                super::chunked::unsigned_aws_chunked(body, decoded, chunk_size, checksum)
            }
            checksum => {
                let chain = bucket
                    .sign_streaming(&mut request, &self.signer, self.clock.now())
                    .map_err(ClientError::Signing)?;
                super::chunked::aws_chunked(body, chain, decoded, chunk_size, checksum)
            }
        };
        let response = self.client.send(request, framed).await?;
        match self.judge_time(bucket, response).await? {
            Judged::RefusedForTime(response) | Judged::Answer(response) => Ok(response),
        }
    }

    /// Reads a 403 or 400 answer to tell whether AWS refused the request's time; if so, its
    /// time is adopted. Any other answer is passed on unread.
    async fn judge_time(
        &self,
        target: &impl SigningTarget,
        response: Response<Body>,
    ) -> Result<Judged, ClientError> {
        if !matches!(
            response.status(),
            StatusCode::FORBIDDEN | StatusCode::BAD_REQUEST
        ) {
            return Ok(Judged::Answer(response));
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
        let response = Response::from_parts(parts, Body::Bytes(bytes));
        Ok(if refused_for_time {
            Judged::RefusedForTime(response)
        } else {
            Judged::Answer(response)
        })
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
        // (copy, create upload, delete); GET and HEAD carry none. The body's own length wins
        // over a declared one: a store would wait for bytes that never come.
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::Service;
    use crate::cache::MemoryCache;
    use crate::env::FakeEnv;
    use crate::outbound::TransportError;
    use crate::s3::{S3Config, Scheme};
    use crate::sigv4::{Credentials, SigningTime};
    use futures::executor::block_on;
    use std::cell::RefCell;

    // 2026-11-23T09:00:00Z on the host; the service's clock reads an hour later.
    const HOST: u64 = 1_795_424_400;

    #[test]
    fn a_buffered_answer_is_shown_without_its_body() {
        let sts = b"<Credentials><SecretAccessKey>wJalrXUtnFEMI</SecretAccessKey></Credentials>";
        let answer = Buffered {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: sts.to_vec(),
        };
        let printed = format!("{answer:?}");
        assert!(!printed.contains("wJalr"), "{printed}");
        assert!(
            printed.contains(&format!("body_bytes: {}", sts.len())),
            "{printed}"
        );
    }
    const SERVICE_DATE: &str = "Mon, 23 Nov 2026 10:00:00 GMT";

    /// Answers from a script; records each request's `x-amz-date` and body.
    struct Scripted {
        answers: RefCell<Vec<(u16, &'static str)>>,
        sent: RefCell<Vec<(String, Vec<u8>)>>,
    }

    impl HttpClient for Scripted {
        async fn send(
            &self,
            request: Request<()>,
            body: Body,
        ) -> Result<Response<Body>, TransportError> {
            let date = request.headers()["x-amz-date"].to_str().unwrap().to_owned();
            let bytes = body.collect(usize::MAX).await.unwrap();
            self.sent.borrow_mut().push((date, bytes));
            let (status, body) = self.answers.borrow_mut().remove(0);
            Ok(Response::builder()
                .status(status)
                .header(header::DATE, SERVICE_DATE)
                .body(Body::Bytes(body.as_bytes().to_vec()))
                .unwrap())
        }
    }

    fn scripted(answers: Vec<(u16, &'static str)>) -> Scripted {
        Scripted {
            answers: RefCell::new(answers),
            sent: RefCell::default(),
        }
    }

    fn bucket() -> Bucket {
        let config = S3Config {
            bucket: "b".into(),
            scheme: Scheme::Http,
            host: "127.0.0.1:9".into(),
            path_style: true,
        };
        Bucket::new(&config, "us-east-1")
    }

    fn signer() -> Signer {
        Signer::new(Credentials {
            access_key_id: "AK".into(),
            secret_access_key: "SK".into(),
            session_token: None,
        })
    }

    const SKEWED: &str = "<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message></Error>";

    #[test]
    fn a_refusal_for_the_time_is_signed_again_once_with_the_services_time() {
        let env = FakeEnv::at(SigningTime::from_unix_seconds(HOST));
        let cache = MemoryCache::default();
        let clock = Clock::new(&env, &cache);
        let client = scripted(vec![(403, SKEWED), (200, "")]);
        let sender = Sender::new(&client, signer(), &clock);
        let request = Request::put(bucket().bucket_uri(&[]))
            .body(b"x".to_vec())
            .unwrap();
        let answer = block_on(sender.exchange(&bucket(), request, None)).unwrap();
        assert_eq!(answer.status, 200);
        let sent = client.sent.borrow();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0], ("20261123T090000Z".into(), b"x".to_vec()));
        assert_eq!(sent[1], ("20261123T100000Z".into(), b"x".to_vec()));
        // The next call signs with the service's time from the start.
        assert_eq!(clock.now().unix_seconds(), HOST + 3600);
    }

    #[test]
    fn another_refusal_or_a_stream_is_not_sent_again() {
        let env = FakeEnv::at(SigningTime::from_unix_seconds(HOST));
        let cache = MemoryCache::default();
        let clock = Clock::new(&env, &cache);
        let denied = "<Error><Code>AccessDenied</Code><Message>no</Message></Error>";
        let client = scripted(vec![(403, denied)]);
        let sender = Sender::new(&client, signer(), &clock);
        let request = Request::get(bucket().bucket_uri(&[]))
            .body(Vec::new())
            .unwrap();
        let answer = block_on(sender.exchange(&bucket(), request, None)).unwrap();
        assert_eq!(
            (answer.status.as_u16(), client.sent.borrow().len()),
            (403, 1)
        );
        assert_eq!(clock.now().unix_seconds(), HOST, "no reason to adopt");

        // A streamed body cannot be sent twice; the time is adopted for the next call.
        let client = scripted(vec![(403, SKEWED)]);
        let sender = Sender::new(&client, signer(), &clock);
        let stream = Body::stream(futures::stream::iter(vec![Ok(b"s".to_vec())]));
        let request = Request::put(bucket().bucket_uri(&[])).body(()).unwrap();
        let answer = block_on(sender.send(&bucket(), request, Payload::Unsigned, stream));
        assert_eq!(answer.unwrap().status(), 403);
        assert_eq!(client.sent.borrow().len(), 1);
        assert_eq!(clock.now().unix_seconds(), HOST + 3600);
    }

    #[test]
    fn other_services_are_re_signed_on_their_own_wording() {
        let env = FakeEnv::at(SigningTime::from_unix_seconds(HOST));
        let cache = MemoryCache::default();
        let clock = Clock::new(&env, &cache);
        let expired = r#"{"__type":"com.amazon.coral.service#InvalidSignatureException","message":"Signature expired: 20261123T090000Z is now earlier than 20261123T095500Z"}"#;
        let client = scripted(vec![(400, expired), (200, "{}")]);
        let sender = Sender::new(&client, signer(), &clock);
        let endpoint = Endpoint::new(Service::DynamoDb, "http://127.0.0.1:9", "us-east-1").unwrap();
        let request = Request::post(endpoint.uri("/"))
            .body(b"{}".to_vec())
            .unwrap();
        let answer = block_on(sender.exchange(&endpoint, request, None)).unwrap();
        assert_eq!(answer.status, 200);
        let dates: Vec<String> = client
            .sent
            .borrow()
            .iter()
            .map(|(d, _)| d.clone())
            .collect();
        assert_eq!(dates, ["20261123T090000Z", "20261123T100000Z"]);
    }
}
