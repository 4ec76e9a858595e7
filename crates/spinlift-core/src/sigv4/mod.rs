//! AWS Signature Version 4, hand-rolled and pure: no IO, no clock, no `spin_sdk`.
//!
//! [`Signer::sign`] takes a request description, the signing time and [`SigningParams`], and
//! returns a [`SigningOutput`]: the headers (header auth) or query parameters (presigned URL)
//! to add, plus every intermediate text. It never mutates the request and never sets `Host`:
//! the host is signed as the URL names it, and the HTTP runtime derives the header from the URL.
//!
//! Per-service differences are settings ([`SigningSettings::s3`], [`SigningSettings::standard`]),
//! not service-name branches. Spec: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>.

mod canonical;
mod chunked;
mod encode;
mod key;
mod output;
mod post;
mod time;

pub use canonical::{CanonicalRequest, StringToSign, ALGORITHM};
pub use chunked::{
    encoded_length, encoded_length_with_trailer, to_aws_chunked, unsigned_chunk_header,
    unsigned_encoded_length, unsigned_trailer, ChunkSigner, Framing, STREAMING_PAYLOAD,
    STREAMING_PAYLOAD_TRAILER, STREAMING_UNSIGNED_PAYLOAD_TRAILER,
};
pub use encode::{percent_decode, uri_encode, uri_encode_path};
pub use key::SigningKey;
pub use output::SigningOutput;
pub use post::PostCredentials;
pub use time::{Rfc3339, SigningTime};

use canonical::CanonicalHeaders;
use key::SigningKeyCache;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::fmt;

/// A 32-byte digest (SHA-256) in lowercase hex, as payload hashes and signatures are written.
pub fn hex_digest(digest: &[u8; 32]) -> String {
    let mut hex = String::with_capacity(64);
    encode::push_hex(&mut hex, digest);
    hex
}

/// The payload hash S3 accepts when the body is not hashed (streamed uploads, presigned URLs).
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The hex SHA-256 of an empty body.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The longest validity AWS allows for a presigned URL: 7 days.
pub const MAX_PRESIGN_EXPIRES_SECS: u64 = 604_800;

/// AWS credentials. `Debug` never prints them.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The access key id (`AKIA...` or `ASIA...`).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token of temporary credentials (STS), if any.
    pub session_token: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &"** redacted **")
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// How the request body enters the signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload<'a> {
    /// The whole body: its SHA-256 is computed.
    Bytes(&'a [u8]),
    /// The lowercase hex SHA-256 of the body, computed by the caller (e.g. while streaming).
    Sha256Hex(&'a str),
    /// `UNSIGNED-PAYLOAD`: the body is not covered by the signature (S3 only).
    Unsigned,
}

impl Payload<'_> {
    /// The payload hash that ends the canonical request.
    pub fn hash(&self) -> Cow<'_, str> {
        match self {
            // Most requests (GET, HEAD, DELETE) have no body: skip hashing nothing.
            Payload::Bytes([]) => Cow::Borrowed(EMPTY_SHA256),
            Payload::Bytes(bytes) => {
                let mut hash = String::with_capacity(64);
                encode::push_hex(&mut hash, &Sha256::digest(bytes).into());
                Cow::Owned(hash)
            }
            Payload::Sha256Hex(hash) => Cow::Borrowed(hash),
            Payload::Unsigned => Cow::Borrowed(UNSIGNED_PAYLOAD),
        }
    }
}

/// How the path enters the canonical request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathEncoding {
    /// S3: the path's escapes are normalized and each byte encoded once; `.`/`..`/`//` are kept.
    Single,
    /// Every other service: the (optionally normalized) wire path is percent-encoded again.
    Double {
        /// Remove dot segments and empty segments first (RFC 3986 §5.2.4).
        normalize: bool,
    },
}

/// The per-service rules of a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigningSettings {
    /// How the path is canonicalized.
    pub path_encoding: PathEncoding,
    /// Send and sign `x-amz-content-sha256` (S3 requires it on every header-signed request).
    pub content_sha256_header: bool,
    /// Sign the session token; when false it is added after signing (a few STS-style peers want that).
    pub sign_session_token: bool,
}

impl SigningSettings {
    /// Amazon S3 (and S3-compatible stores): single-encoded, unnormalized paths; `x-amz-content-sha256`.
    pub fn s3() -> Self {
        Self {
            path_encoding: PathEncoding::Single,
            content_sha256_header: true,
            sign_session_token: true,
        }
    }

    /// Every other AWS service (DynamoDB, SQS, SNS, STS, ...): normalized, double-encoded paths.
    pub fn standard() -> Self {
        Self {
            path_encoding: PathEncoding::Double { normalize: true },
            content_sha256_header: false,
            sign_session_token: true,
        }
    }
}

/// Where the signature goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureLocation {
    /// An `Authorization` header.
    Headers,
    /// A presigned URL valid for `expires_in` seconds (1..=604800).
    QueryParams {
        /// Seconds the URL stays valid.
        expires_in: u64,
    },
}

/// Everything a signature depends on besides the request and the credentials.
#[derive(Clone, Copy, Debug)]
pub struct SigningParams<'a> {
    /// The AWS region, e.g. `us-east-1`.
    pub region: &'a str,
    /// The signing name of the service, e.g. `s3`, `dynamodb`, `sqs`.
    pub service: &'a str,
    /// When the request is signed; supplied by the caller, never read from a clock here.
    pub time: SigningTime,
    /// The per-service rules.
    pub settings: SigningSettings,
    /// Header auth or presigned URL.
    pub location: SignatureLocation,
}

/// The parts of an HTTP request a signature covers. The URI is the wire form (already encoded).
#[derive(Clone, Debug)]
pub struct SignableRequest<'a> {
    /// The HTTP method, e.g. `GET`.
    pub method: &'a str,
    /// The absolute URI the request goes to.
    pub uri: &'a http::Uri,
    /// Request headers in order; repeated names allowed. `Host` may be absent (derived from `uri`).
    pub headers: Vec<(&'a str, &'a str)>,
    /// The body, or how it is hashed.
    pub payload: Payload<'a>,
}

impl<'a> SignableRequest<'a> {
    /// Describes an `http::Request`'s method, URI and headers with the given payload.
    ///
    /// # Errors
    /// Fails when a header value is not UTF-8 text.
    pub fn from_http<B>(
        request: &'a http::Request<B>,
        payload: Payload<'a>,
    ) -> Result<Self, SigningError> {
        let headers = request
            .headers()
            .iter()
            .map(|(name, value)| {
                value
                    .to_str()
                    .map(|value| (name.as_str(), value))
                    .map_err(|_| {
                        SigningError::invalid_header(
                            name.as_str(),
                            "the value is not visible ASCII text",
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            method: request.method().as_str(),
            uri: request.uri(),
            headers,
            payload,
        })
    }
}

/// Signs requests with one set of credentials, caching derived keys per (date, region, service).
#[derive(Debug)]
pub struct Signer {
    credentials: Credentials,
    keys: SigningKeyCache,
}

impl Signer {
    /// A signer for `credentials`.
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            keys: SigningKeyCache::default(),
        }
    }

    /// The same credentials, with a key cache of its own.
    pub fn fresh(&self) -> Self {
        Self::new(self.credentials.clone())
    }

    /// Signs `request` for `payload` with `params` (header auth) and adds the headers to it
    /// (`Authorization`, `x-amz-date`, ...). `Host` is never set: the URL names it.
    ///
    /// # Errors
    /// A header of `request` cannot be signed.
    pub fn sign_headers<B>(
        &self,
        request: &mut http::Request<B>,
        payload: Payload<'_>,
        params: &SigningParams<'_>,
    ) -> Result<(), SigningError> {
        let out = self.sign(&SignableRequest::from_http(request, payload)?, params)?;
        out.apply_to(request).map_err(|_| {
            SigningError::invalid_header("authorization", "the signature is not a header value")
        })
    }

    /// Signs `request`'s headers for a signed aws-chunked body and adds them to it, `marker`
    /// ([`STREAMING_PAYLOAD`] or [`STREAMING_PAYLOAD_TRAILER`]) standing for the payload hash;
    /// returns the signer of the body's chunks, seeded with that signature. The request must
    /// already carry `Content-Encoding: aws-chunked`, `x-amz-decoded-content-length` and the
    /// encoded `Content-Length` (see [`encoded_length`]), which the seed signs.
    ///
    /// # Errors
    /// As [`Signer::sign_headers`].
    pub fn sign_streaming<B>(
        &self,
        request: &mut http::Request<B>,
        marker: &str,
        params: &SigningParams<'_>,
    ) -> Result<ChunkSigner, SigningError> {
        let seed = self.sign(
            &SignableRequest::from_http(request, Payload::Sha256Hex(marker))?,
            params,
        )?;
        seed.apply_to(request).map_err(|_| {
            SigningError::invalid_header("authorization", "the signature is not a header value")
        })?;
        let scope_date = &seed.string_to_sign.scope()[..8];
        let key = self.keys.key(
            &self.credentials.secret_access_key,
            (scope_date, params.region, params.service),
        );
        Ok(ChunkSigner::new(key, &seed))
    }

    /// Signs `request` and returns what to add to it, with every intermediate text.
    ///
    /// # Errors
    /// Fails on a URI without a host, an invalid header, or a presign expiry outside 1..=604800 s.
    pub fn sign(
        &self,
        request: &SignableRequest<'_>,
        params: &SigningParams<'_>,
    ) -> Result<SigningOutput, SigningError> {
        let amz_date = params.time.amz_date();
        let amz_date = amz_date.as_str();
        let scope = (&amz_date[..8], params.region, params.service);
        let payload_hash = request.payload.hash();
        let settings = params.settings;
        let token = self.credentials.session_token.as_deref();
        let signed_token = token.filter(|_| settings.sign_session_token);

        let (headers, presign) = match params.location {
            SignatureLocation::Headers => {
                let added = [
                    Some(("x-amz-date", amz_date)),
                    settings
                        .content_sha256_header
                        .then_some(("x-amz-content-sha256", &*payload_hash)),
                    signed_token.map(|token| ("x-amz-security-token", token)),
                ];
                (
                    CanonicalHeaders::new(request, false, settings.sign_session_token, &added)?,
                    None,
                )
            }
            SignatureLocation::QueryParams { expires_in } => {
                if !(1..=MAX_PRESIGN_EXPIRES_SECS).contains(&expires_in) {
                    return Err(SigningError::invalid_expires(expires_in));
                }
                let headers =
                    CanonicalHeaders::new(request, true, settings.sign_session_token, &[None; 3])?;
                let access_key_id = &self.credentials.access_key_id;
                let mut credential = String::with_capacity(access_key_id.len() + 64);
                credential.push_str(access_key_id);
                credential.push('/');
                canonical::push_scope(&mut credential, scope);
                (headers, Some((expires_in.to_string(), credential)))
            }
        };

        let mut presign_params: Vec<(&str, &str)> = Vec::new();
        if let Some((expires, credential)) = &presign {
            presign_params.extend([
                ("X-Amz-Algorithm", ALGORITHM),
                ("X-Amz-Credential", credential.as_str()),
                ("X-Amz-Date", amz_date),
                ("X-Amz-Expires", expires.as_str()),
                ("X-Amz-SignedHeaders", headers.signed()),
            ]);
            if let Some(token) = signed_token {
                presign_params.push(("X-Amz-Security-Token", token));
            }
        }

        let canonical_request = CanonicalRequest::new(
            request,
            settings.path_encoding,
            &headers,
            &presign_params,
            &payload_hash,
        );
        let string_to_sign = StringToSign::new(amz_date, scope, &canonical_request);
        let signature = self.keys.sign(
            &self.credentials.secret_access_key,
            scope,
            string_to_sign.as_str(),
        );

        Ok(SigningOutput::new(output::Parts {
            canonical_request,
            string_to_sign,
            signature,
            amz_date,
            access_key_id: &self.credentials.access_key_id,
            signed_headers: headers.signed(),
            content_sha256: settings.content_sha256_header.then_some(&*payload_hash),
            session_token: token,
            presign: presign
                .as_ref()
                .map(|(expires, credential)| (expires.as_str(), credential.as_str())),
        }))
    }
}

/// Why a request could not be signed. Messages are lowercase and never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningError {
    kind: SigningErrorKind,
    message: String,
}

/// The kinds of [`SigningError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigningErrorKind {
    /// The URI cannot be signed (no host, user info).
    InvalidUri,
    /// A header name or value cannot be signed.
    InvalidHeader,
    /// A presign expiry outside 1..=604800 seconds.
    InvalidExpires,
}

impl SigningError {
    /// What went wrong.
    pub fn kind(&self) -> SigningErrorKind {
        self.kind
    }

    pub(crate) fn invalid_uri(reason: &str) -> Self {
        Self {
            kind: SigningErrorKind::InvalidUri,
            message: format!("cannot sign this url: {reason}"),
        }
    }

    pub(crate) fn invalid_header(name: &str, reason: &str) -> Self {
        Self {
            kind: SigningErrorKind::InvalidHeader,
            message: format!("cannot sign header {name:?}: {reason}"),
        }
    }

    fn invalid_expires(expires_in: u64) -> Self {
        Self {
            kind: SigningErrorKind::InvalidExpires,
            message: format!(
                "presign expiry {expires_in}s is out of range; use 1 to {MAX_PRESIGN_EXPIRES_SECS} seconds (7 days)"
            ),
        }
    }
}

impl fmt::Display for SigningError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SigningError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(token: Option<&str>) -> Signer {
        Signer::new(Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: token.map(str::to_owned),
        })
    }

    fn params(location: SignatureLocation) -> SigningParams<'static> {
        SigningParams {
            region: "us-east-1",
            service: "s3",
            time: SigningTime::parse_amz_date("20150830T123600Z").unwrap(),
            settings: SigningSettings::s3(),
            location,
        }
    }

    #[test]
    fn header_auth_adds_sigv4_headers_but_never_host() {
        let mut request = http::Request::put("http://127.0.0.1:8014/bucket/a%20b")
            .header("content-type", "text/plain")
            .body(b"hello".to_vec())
            .unwrap();
        let out = {
            let signable =
                SignableRequest::from_http(&request, Payload::Bytes(request.body())).unwrap();
            signer(Some("token/with+chars="))
                .sign(&signable, &params(SignatureLocation::Headers))
                .unwrap()
        };
        out.apply_to(&mut request).unwrap();
        let names: Vec<&str> = request.headers().keys().map(|n| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "content-type",
                "x-amz-date",
                "x-amz-content-sha256",
                "x-amz-security-token",
                "authorization"
            ]
        );
        assert!(out
            .canonical_request
            .as_str()
            .contains("\nhost:127.0.0.1:8014\n"));
        assert!(out.authorization().unwrap().contains(
            "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"
        ));
        assert_eq!(
            request.headers()["x-amz-content-sha256"],
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
    }

    #[test]
    fn presign_expiry_must_be_between_one_second_and_seven_days() {
        let uri: http::Uri = "https://bucket.s3.amazonaws.com/key".parse().unwrap();
        let request = SignableRequest {
            method: "GET",
            uri: &uri,
            headers: vec![],
            payload: Payload::Unsigned,
        };
        for expires_in in [0, MAX_PRESIGN_EXPIRES_SECS + 1] {
            let err = signer(None)
                .sign(
                    &request,
                    &params(SignatureLocation::QueryParams { expires_in }),
                )
                .unwrap_err();
            assert_eq!(err.kind(), SigningErrorKind::InvalidExpires);
            assert!(err.to_string().contains("1 to 604800"), "{err}");
        }
        for expires_in in [1, MAX_PRESIGN_EXPIRES_SECS] {
            let out = signer(None)
                .sign(
                    &request,
                    &params(SignatureLocation::QueryParams { expires_in }),
                )
                .unwrap();
            assert!(out
                .presigned_url(&uri)
                .contains(&format!("&X-Amz-Expires={expires_in}&")));
        }
    }

    #[test]
    fn invalid_headers_are_errors_naming_the_header() {
        let uri: http::Uri = "https://h/".parse().unwrap();
        for (name, value) in [("bad name", "v"), ("x-ok", "line\nbreak")] {
            let request = SignableRequest {
                method: "GET",
                uri: &uri,
                headers: vec![(name, value)],
                payload: Payload::Unsigned,
            };
            let err = signer(None)
                .sign(&request, &params(SignatureLocation::Headers))
                .unwrap_err();
            assert_eq!(err.kind(), SigningErrorKind::InvalidHeader);
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let signer = signer(Some("SESSIONTOKEN"));
        let uri: http::Uri = "https://h/k?a=1".parse().unwrap();
        let request = SignableRequest {
            method: "GET",
            uri: &uri,
            headers: vec![],
            payload: Payload::Unsigned,
        };
        let presigned = SignatureLocation::QueryParams { expires_in: 60 };
        for location in [SignatureLocation::Headers, presigned] {
            let out = signer.sign(&request, &params(location)).unwrap();
            let printed = format!("{signer:?} {out:?}");
            for secret in [
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI",
                "SESSIONTOKEN",
                out.signature.as_str(),
            ] {
                assert!(!printed.contains(secret), "{secret} leaked in {printed}");
            }
            // Still shown: what the request is, and that a credential and token are signed.
            assert!(printed.contains("a=1"), "{printed}");
            if location == presigned {
                assert!(printed.contains("X-Amz-Security-Token=** redacted **"));
                assert!(printed.contains("X-Amz-Credential=** redacted **"));
            }
        }
    }
}
