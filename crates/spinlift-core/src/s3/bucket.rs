//! The bucket an S3 client talks to: endpoint, addressing style, region, and request signing.

use super::{ChecksumAlgorithm, ObjectKey};
use crate::sigv4::{
    uri_encode, ChunkSigner, Payload, SignableRequest, SignatureLocation, Signer, SigningError,
    SigningParams, SigningSettings, SigningTime, STREAMING_PAYLOAD, STREAMING_PAYLOAD_TRAILER,
};

/// A request with no body and no headers yet, for an action to complete and the bucket to sign.
pub(crate) fn unsigned(method: http::Method, uri: http::Uri) -> http::Request<()> {
    let mut request = http::Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    request
}

/// The scheme used to reach the S3 endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP (local S3-compatible stores).
    Http,
    /// HTTPS (AWS).
    Https,
}

impl Scheme {
    /// The scheme as written in a URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// Where the S3 bucket lives and how to address it: the settings the `s3_*` variables hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    /// Bucket name (`s3_bucket`).
    pub bucket: String,
    /// Endpoint scheme (`s3_scheme`).
    pub scheme: Scheme,
    /// Endpoint `host[:port]` (`s3_host`), e.g. `s3.us-east-1.amazonaws.com`.
    pub host: String,
    /// Path-style addressing (`s3_path_style`): `host/bucket/key`. When false, `s3_host` is the
    /// bucket's own virtual host (`bucket.s3.region.amazonaws.com`) and requests go to `host/key`:
    /// either way `s3_host` is exactly the host called, the one `allowed_outbound_hosts` names.
    pub path_style: bool,
}

/// An S3 bucket name: 3–63 of `a-z 0-9 . -`, starting and ending with a letter or digit.
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html>
pub fn is_bucket_name(name: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = name.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes.iter().all(|&b| alnum(b) || b == b'.' || b == b'-')
        && bytes.first().copied().is_some_and(alnum)
        && bytes.last().copied().is_some_and(alnum)
}

/// One bucket at one endpoint. Path-style (`host/bucket/key`) serves S3-compatible stores;
/// virtual-hosted style (`bucket.s3.region.amazonaws.com/key`, the host configured as is) is
/// AWS's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    scheme: Scheme,
    host: String,
    name: String,
    path_style: bool,
    region: String,
}

impl Bucket {
    /// The bucket `config` names, signed for `region`. The config is validated (bucket name,
    /// host), so every URL built from it parses.
    pub fn new(config: &S3Config, region: &str) -> Self {
        Self {
            scheme: config.scheme,
            host: config.host.clone(),
            name: config.bucket.clone(),
            path_style: config.path_style,
            region: region.to_owned(),
        }
    }

    /// Another bucket at this endpoint, signed for the same region: with path style, the same
    /// host; virtual-hosted, this bucket's name at the front of the host replaced by `name`
    /// (`photos.s3.eu-west-1.amazonaws.com` → `thumbs.s3.eu-west-1.amazonaws.com`), the host
    /// `allowed_outbound_hosts` must name. `None` when `name` is not a bucket name, or holds
    /// a dot while virtual-hosted over HTTPS (AWS's certificate covers one label only: such a
    /// bucket needs path style).
    pub fn sibling(&self, name: &str) -> Option<Bucket> {
        let uncertified = !self.path_style && self.scheme == Scheme::Https && name.contains('.');
        if !is_bucket_name(name) || uncertified {
            return None;
        }
        let host = match self.path_style {
            true => self.host.clone(),
            // S3Config::load made sure the virtual host starts with the bucket's name.
            false => format!("{name}{}", self.host.strip_prefix(&self.name)?),
        };
        Some(Bucket {
            host,
            name: name.to_owned(),
            ..self.clone()
        })
    }

    /// The bucket name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The region requests to the bucket are signed for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The URL of the bucket itself, with `query` pairs (encoded here).
    pub fn bucket_uri(&self, query: &[(&str, &str)]) -> http::Uri {
        self.uri("", query)
    }

    /// The URL of object `key`, with `query` pairs (encoded here).
    pub fn object_uri(&self, key: &ObjectKey, query: &[(&str, &str)]) -> http::Uri {
        self.uri(&key.url_path(), query)
    }

    /// The `x-amz-copy-source` value naming `key` in this bucket.
    pub fn copy_source(&self, key: &ObjectKey) -> String {
        format!("/{}/{}", self.name, key.url_path())
    }

    fn uri(&self, encoded_key: &str, query: &[(&str, &str)]) -> http::Uri {
        let scheme = self.scheme.as_str();
        let mut url = if self.path_style && encoded_key.is_empty() {
            format!("{scheme}://{}/{}", self.host, self.name)
        } else if self.path_style {
            format!("{scheme}://{}/{}/{encoded_key}", self.host, self.name)
        } else {
            // Virtual-hosted: the configured host already names the bucket.
            format!("{scheme}://{}/{encoded_key}", self.host)
        };
        for (i, (name, value)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&uri_encode(name));
            url.push('=');
            url.push_str(&uri_encode(value));
        }
        // Host and bucket are validated by S3Config::load, the key is fully encoded, and every
        // query value is bounded where it is taken (keys and prefixes at 1024 bytes, upload
        // ids at MAX_UPLOAD_ID_BYTES, tokens at MAX_CONTINUATION_TOKEN_BYTES), so the URL is
        // far below http's 64 KiB limit even with each byte encoded as three.
        url.parse()
            .expect("a validated endpoint with an encoded key and bounded query is a valid URI")
    }

    fn params(&self, time: SigningTime, location: SignatureLocation) -> SigningParams<'_> {
        SigningParams {
            region: &self.region,
            service: "s3",
            time,
            settings: SigningSettings::s3(),
            location,
        }
    }

    /// Signs `request` with header auth. Its `Host` is never set: the URL names it.
    ///
    /// # Errors
    /// A header of the request cannot be signed.
    pub fn sign<B>(
        &self,
        request: &mut http::Request<B>,
        payload: Payload<'_>,
        signer: &Signer,
        time: SigningTime,
    ) -> Result<(), SigningError> {
        signer.sign_headers(
            request,
            payload,
            &self.params(time, SignatureLocation::Headers),
        )
    }

    /// Signs `request` (already in aws-chunked form, see
    /// [`crate::sigv4::to_aws_chunked`]) for a signed streamed body, and returns the signer of
    /// its chunks. A request that names a trailer (`x-amz-trailer`) is signed for the
    /// trailer form, `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
    ///
    /// # Errors
    /// A header of the request cannot be signed, or its trailer names no checksum spinlift
    /// computes (the body would be framed without the trailer it is signed for).
    pub fn sign_streaming<B>(
        &self,
        request: &mut http::Request<B>,
        signer: &Signer,
        time: SigningTime,
    ) -> Result<ChunkSigner, SigningError> {
        let marker = match ChecksumAlgorithm::of_trailer(request.headers())? {
            None => STREAMING_PAYLOAD,
            Some(_) => STREAMING_PAYLOAD_TRAILER,
        };
        signer.sign_streaming(
            request,
            marker,
            &self.params(time, SignatureLocation::Headers),
        )
    }

    /// A presigned URL for `method` on `uri`, valid `expires_in` seconds from `time`. The
    /// `headers` are signed too: the request must carry them with these values (S3 refuses an
    /// `x-amz-*` header a presigned URL does not sign).
    ///
    /// # Errors
    /// `expires_in` is outside 1..=604800, or a header cannot be signed.
    pub fn presign(
        &self,
        method: &str,
        uri: &http::Uri,
        headers: &[(&str, &str)],
        expires_in: u64,
        signer: &Signer,
        time: SigningTime,
    ) -> Result<String, SigningError> {
        let request = SignableRequest {
            method,
            uri,
            headers: headers.to_vec(),
            payload: Payload::Unsigned,
        };
        let out = signer.sign(
            &request,
            &self.params(time, SignatureLocation::QueryParams { expires_in }),
        )?;
        Ok(out.presigned_url(uri))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn bucket(path_style: bool) -> Bucket {
        Bucket::new(
            &S3Config {
                bucket: "spinlift-dev".into(),
                scheme: if path_style {
                    Scheme::Http
                } else {
                    Scheme::Https
                },
                host: if path_style {
                    "127.0.0.1:8014".into()
                } else {
                    "spinlift-dev.s3.eu-west-1.amazonaws.com".into()
                },
                path_style,
            },
            "eu-west-1",
        )
    }

    #[test]
    fn path_style_and_virtual_hosted_urls() {
        let key = ObjectKey::new("dir/a b+c").unwrap();
        assert_eq!(
            bucket(true).object_uri(&key, &[]).to_string(),
            "http://127.0.0.1:8014/spinlift-dev/dir/a%20b%2Bc"
        );
        assert_eq!(
            bucket(false).object_uri(&key, &[("partNumber", "1"), ("uploadId", "x/y=")]).to_string(),
            "https://spinlift-dev.s3.eu-west-1.amazonaws.com/dir/a%20b%2Bc?partNumber=1&uploadId=x%2Fy%3D"
        );
        assert_eq!(
            bucket(true).bucket_uri(&[("list-type", "2")]).to_string(),
            "http://127.0.0.1:8014/spinlift-dev?list-type=2"
        );
        assert_eq!(
            bucket(true).copy_source(&key),
            "/spinlift-dev/dir/a%20b%2Bc"
        );
    }

    #[test]
    fn a_sibling_is_the_same_endpoint_for_another_bucket() {
        let key = ObjectKey::new("t/a.png").unwrap();
        let path = bucket(true).sibling("thumbs").unwrap();
        assert_eq!(
            path.object_uri(&key, &[]).to_string(),
            "http://127.0.0.1:8014/thumbs/t/a.png"
        );
        assert_eq!(path.copy_source(&key), "/thumbs/t/a.png");
        let virtual_hosted = bucket(false).sibling("spinlift-dev-thumbs").unwrap();
        assert_eq!(
            virtual_hosted.object_uri(&key, &[]).to_string(),
            "https://spinlift-dev-thumbs.s3.eu-west-1.amazonaws.com/t/a.png"
        );
        assert_eq!(virtual_hosted.region(), "eu-west-1");
        for not_a_name in ["Thumbs", "ab", "-x-", "a/b", "a b", ""] {
            assert_eq!(bucket(true).sibling(not_a_name), None, "{not_a_name}");
        }
        // A dotted name: path style only, over HTTPS (no certificate names its host).
        assert!(bucket(true).sibling("my.thumbs").is_some());
        assert_eq!(bucket(false).sibling("my.thumbs"), None);
    }

    #[test]
    fn a_streamed_trailer_must_be_a_checksum_spinlift_computes() {
        let signer = Signer::new(crate::sigv4::Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "secret".into(),
            session_token: None,
        });
        let key = ObjectKey::new("k").unwrap();
        let sign = |trailer: &str| {
            let mut request = http::Request::put(bucket(true).object_uri(&key, &[]))
                .header("x-amz-trailer", trailer)
                .body(())
                .unwrap();
            bucket(true).sign_streaming(&mut request, &signer, SigningTime::from_unix_seconds(0))
        };
        assert!(sign("x-amz-checksum-crc32").is_ok());
        let err = sign("x-amz-checksum-sha1").unwrap_err();
        assert_eq!(err.kind(), crate::sigv4::SigningErrorKind::InvalidHeader);
        assert!(err.to_string().contains("x-amz-trailer"), "{err}");
    }
}
