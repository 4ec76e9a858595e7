//! Everything a route or handler needs to call S3: the bucket, the signer, the client and the
//! time. Every action goes through the one signing path ([`super::signed`]).

use super::credentials::Resolved;
use super::error::ClientError;
use super::signed::{self, Buffered, Sender, SigningTarget};
use crate::body::Body;
use crate::cache::Cache;
use crate::clock::Clock;
use crate::config::{self, ChecksumPolicy, Variables};
use crate::env::Env;
use crate::outbound::HttpClient;
use crate::s3::{
    object_checksum, Bucket, ChecksumValue, GetObject, HeadObject, Integrity, ObjectHead,
    ObjectKey, PutObject, PutObjectOutput, S3Action,
};
use crate::sigv4::{Payload, Signer, SigningTime};
use http::HeaderValue;
use http::{Request, Response};

/// One request's view of S3.
pub struct S3Call<'a, C> {
    /// The configured bucket.
    pub bucket: Bucket,
    sender: Sender<'a, C>,
    /// When the signing credentials end (an assumed role's session): presigned URLs cannot
    /// outlive them.
    pub credentials_expire_at: Option<u64>,
    /// When uploads carry checksums and downloads are checked (`s3_checksums`).
    pub checksums: ChecksumPolicy,
    /// Streamed uploads with a checksum trailer go with unsigned chunks (`s3_chunk_signing`).
    unsigned_chunks: bool,
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
    ) -> Result<Self, ClientError> {
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
    ) -> Result<Self, ClientError> {
        let s3 = config::s3(vars)?;
        Ok(Self {
            bucket: Bucket::new(&s3, &resolved.aws.region),
            sender: Sender::new(client, Signer::new(resolved.credentials), clock),
            credentials_expire_at: resolved.expires_at,
            checksums: config::s3_checksums(vars)?,
            unsigned_chunks: config::s3_unsigned_chunks(vars, s3.scheme)?,
        })
    }

    /// The same calls, credentials and settings for another bucket, `name`: a handler that
    /// writes what it derives to a bucket of its own (as AWS's thumbnail tutorial does). The
    /// endpoint is the configured one ([`Bucket::sibling`]); with virtual-hosted addressing,
    /// list `https://<name>.s3.<region>.amazonaws.com` in `allowed_outbound_hosts` too.
    ///
    /// `None` when `name` is not a bucket name (3 to 63 of `a-z 0-9 . -`), or has a dot and
    /// would be virtual-hosted over HTTPS, which no certificate of AWS's covers.
    pub fn with_bucket(&self, name: &str) -> Option<S3Call<'a, C>> {
        let bucket = self.bucket.sibling(name)?;
        let clock = self.sender.clock();
        Some(Self {
            bucket,
            sender: Sender::new(self.sender.client(), self.sender.signer().fresh(), clock),
            credentials_expire_at: self.credentials_expire_at,
            checksums: self.checksums,
            unsigned_chunks: self.unsigned_chunks,
        })
    }

    /// The time signatures carry (presigned URLs included).
    pub fn now(&self) -> SigningTime {
        self.sender.clock().now()
    }

    /// The signing credentials (for presigned URLs).
    pub fn signer(&self) -> &Signer {
        self.sender.signer()
    }

    /// The request's environment (logging, time), for what the client's users report.
    pub fn env(&self) -> &'a dyn Env {
        self.sender.clock().env()
    }

    /// The outbound client, for calls that are not to AWS (SNS confirmations).
    pub fn client(&self) -> &'a C {
        self.sender.client()
    }

    /// Sends `action` and reads its answer.
    ///
    /// # Errors
    /// S3 refused it, or could not be reached or read.
    pub async fn call<A: S3Action>(&self, action: &A) -> Result<A::Output, ClientError> {
        let answer = self.exchange(action.build(&self.bucket), None).await?;
        self.read::<A>(answer)
    }

    /// The object's head (`HeadObject`), or `None` when there is no such key: for a handler
    /// deciding by what is stored now, an answer rather than a failure (a missing bucket is
    /// still one).
    ///
    /// # Errors
    /// As [`S3Call::call`].
    pub async fn head(&self, key: &ObjectKey) -> Result<Option<ObjectHead>, ClientError> {
        match self.call(&HeadObject::of(key)).await {
            Ok(head) => Ok(Some(head)),
            Err(err) if err.is_not_found() => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Sends `action` with `body` (a `PutObject` or an `UploadPart`), and reads its answer.
    /// `sha256` is the body's lowercase hex SHA-256 when the caller computed it while reading
    /// it; otherwise it is computed here.
    ///
    /// # Errors
    /// As [`S3Call::call`].
    pub async fn call_with_body<A: S3Action>(
        &self,
        action: &A,
        body: Vec<u8>,
        sha256: Option<&str>,
    ) -> Result<A::Output, ClientError> {
        let request = action.build(&self.bucket).map(|_| body);
        let answer = self.exchange(request, sha256).await?;
        self.read::<A>(answer)
    }

    /// Streams `body` (of the length the action declares) as `action`'s body, aws-chunked in
    /// chunks of [`super::chunked::CHUNK_SIZE`], each signed (or, with a checksum trailer and
    /// `s3_chunk_signing` so deciding, unsigned), and reads its answer.
    ///
    /// # Errors
    /// As [`S3Call::call`]; the client's body breaking off is a transport error of kind
    /// `RequestBody`.
    pub async fn call_streamed<A: S3Action>(
        &self,
        action: &A,
        body: Body,
    ) -> Result<A::Output, ClientError> {
        let request = action.build(&self.bucket).map(|_| ());
        // A trailer carries spinlift's own checksum of the bytes it sends (a client's own
        // checksum goes in a header): S3 finding another means they were damaged after us.
        // With the client's Content-MD5 beside it, S3's BadDigest may be about either, and
        // stays the client's.
        let own_checksum = request.headers().contains_key("x-amz-trailer")
            && !request.headers().contains_key("content-md5");
        let response = self
            .sender
            .send_chunked(
                &self.bucket,
                request,
                body,
                super::chunked::CHUNK_SIZE,
                self.unsigned_chunks,
            )
            .await?;
        let answer = signed::buffer(&self.bucket, response).await?;
        self.read::<A>(answer).map_err(|err| match err {
            ClientError::Service {
                service: "s3",
                error,
            } if own_checksum && error.code == "BadDigest" => ClientError::OwnInputRefused(error),
            other => other,
        })
    }

    /// Signs `request` for `payload` and sends it with `body`, the answer's body streamed
    /// (`GetObject`).
    ///
    /// # Errors
    /// The request cannot be signed, or S3 is unreachable.
    pub async fn send(
        &self,
        request: Request<()>,
        payload: Payload<'_>,
        body: Body,
    ) -> Result<Response<Body>, ClientError> {
        self.sender.send(&self.bucket, request, payload, body).await
    }

    /// Sends a bodiless request (a `GetObject` of a small document) and reads the whole answer,
    /// whatever its status, for the caller to judge.
    ///
    /// # Errors
    /// The request cannot be signed, S3 is unreachable, or the answer breaks off.
    pub async fn fetch(&self, request: Request<()>) -> Result<Buffered, ClientError> {
        self.exchange(request.map(|()| Vec::new()), None).await
    }

    /// Reads a whole small object (a summary, a manifest; at most [`MAX_ANSWER_BYTES`]) into
    /// memory. Larger objects are streamed with [`S3Call::send`]. Under `s3_checksums =
    /// when_supported` the bytes are checked against the object's stored checksum.
    ///
    /// # Errors
    /// S3 refused (a missing key: [`ClientError::is_not_found`]), or the answer broke off or
    /// does not have the stored checksum.
    ///
    /// [`MAX_ANSWER_BYTES`]: super::signed::MAX_ANSWER_BYTES
    pub async fn get_bytes(&self, key: &ObjectKey) -> Result<Vec<u8>, ClientError> {
        let get = GetObject {
            key,
            range: None,
            conditions: Default::default(),
            checksum_mode: self.checksums.check_download(false),
        };
        let answer = self.fetch(get.request(&self.bucket)).await?;
        if answer.status.is_success() {
            if let Some((algorithm, expected)) =
                object_checksum(&answer.headers).filter(|_| self.checksums.check_download(false))
            {
                if algorithm.checksum(&answer.body) != expected {
                    return Err(ClientError::BrokenAnswer {
                        service: "s3",
                        status: answer.status.as_u16(),
                        reason: super::verify::mismatch(algorithm),
                    });
                }
            }
            return Ok(answer.body);
        }
        Err(ClientError::Service {
            service: "s3",
            error: SigningTarget::error(&self.bucket, answer.status, &answer.headers, &answer.body),
        })
    }

    /// Stores `body`, held in memory, as the whole object `key` of `content_type`, with its
    /// checksum under `s3_checksums = when_supported`.
    ///
    /// # Errors
    /// As [`S3Call::call`].
    pub async fn put_bytes(
        &self,
        key: &ObjectKey,
        content_type: &HeaderValue,
        body: Vec<u8>,
    ) -> Result<PutObjectOutput, ClientError> {
        let checksum = self
            .checksums
            .upload()
            .map(|algorithm| (algorithm, algorithm.checksum(&body)));
        let put = PutObject {
            key,
            content_length: body.len() as u64,
            content_type: Some(content_type),
            metadata: Vec::new(),
            condition: None,
            integrity: Integrity {
                content_md5: None,
                checksum: checksum
                    .as_ref()
                    .map(|(algorithm, value)| ChecksumValue::Header(*algorithm, value)),
            },
        };
        self.call_with_body(&put, body, None)
            .await
            .map_err(ClientError::of_own_request)
    }

    /// The error a streamed answer carries, reading its body.
    pub async fn error_of(&self, response: Response<Body>) -> ClientError {
        signed::error_of(&self.bucket, response).await
    }

    async fn exchange(
        &self,
        request: Request<Vec<u8>>,
        sha256: Option<&str>,
    ) -> Result<Buffered, ClientError> {
        self.sender.exchange(&self.bucket, request, sha256).await
    }

    fn read<A: S3Action>(&self, answer: Buffered) -> Result<A::Output, ClientError> {
        A::read(answer.status, &answer.headers, &answer.body).map_err(|error| {
            ClientError::Service {
                service: "s3",
                error,
            }
        })
    }
}
