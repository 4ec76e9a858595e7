//! What a signature adds to a request: headers for header auth, query parameters for a
//! presigned URL. The request itself is never touched here, and `Host` is never among them.

use super::canonical::{CanonicalRequest, StringToSign, ALGORITHM};
use super::encode::encode_into;
use std::fmt;

/// The inputs [`SigningOutput::new`] assembles; borrowed from the signer's working values.
pub(super) struct Parts<'a> {
    pub(super) canonical_request: CanonicalRequest,
    pub(super) string_to_sign: StringToSign,
    pub(super) signature: String,
    pub(super) amz_date: &'a str,
    pub(super) access_key_id: &'a str,
    pub(super) signed_headers: &'a str,
    pub(super) content_sha256: Option<&'a str>,
    pub(super) session_token: Option<&'a str>,
    /// `(X-Amz-Expires, X-Amz-Credential)` when presigning.
    pub(super) presign: Option<(&'a str, &'a str)>,
}

/// A finished signature: the intermediates, and the headers or query parameters to apply.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningOutput {
    /// The canonical request that was signed.
    pub canonical_request: CanonicalRequest,
    /// The string to sign derived from it.
    pub string_to_sign: StringToSign,
    /// The hex signature.
    pub signature: String,
    headers: Vec<(&'static str, String)>,
    query: Vec<(&'static str, String)>,
}

impl SigningOutput {
    pub(super) fn new(parts: Parts<'_>) -> Self {
        let mut headers = Vec::new();
        let mut query = Vec::new();
        match parts.presign {
            None => {
                headers.push(("x-amz-date", parts.amz_date.to_owned()));
                if let Some(hash) = parts.content_sha256 {
                    headers.push(("x-amz-content-sha256", hash.to_owned()));
                }
                if let Some(token) = parts.session_token {
                    headers.push(("x-amz-security-token", token.to_owned()));
                }
                let mut authorization = String::with_capacity(
                    ALGORITHM.len() + parts.access_key_id.len() + parts.signed_headers.len() + 160,
                );
                for piece in [
                    ALGORITHM,
                    " Credential=",
                    parts.access_key_id,
                    "/",
                    parts.string_to_sign.scope(),
                    ", SignedHeaders=",
                    parts.signed_headers,
                    ", Signature=",
                    parts.signature.as_str(),
                ] {
                    authorization.push_str(piece);
                }
                headers.push(("authorization", authorization));
            }
            Some((expires, credential)) => {
                query.push(("X-Amz-Algorithm", ALGORITHM.to_owned()));
                query.push(("X-Amz-Credential", credential.to_owned()));
                query.push(("X-Amz-Date", parts.amz_date.to_owned()));
                query.push(("X-Amz-Expires", expires.to_owned()));
                query.push(("X-Amz-SignedHeaders", parts.signed_headers.to_owned()));
                query.push(("X-Amz-Signature", parts.signature.clone()));
                if let Some(token) = parts.session_token {
                    query.push(("X-Amz-Security-Token", token.to_owned()));
                }
            }
        }
        Self {
            canonical_request: parts.canonical_request,
            string_to_sign: parts.string_to_sign,
            signature: parts.signature,
            headers,
            query,
        }
    }

    /// Header auth: the headers to set, in order (`x-amz-date`, `x-amz-content-sha256`,
    /// `x-amz-security-token`, `authorization`). Empty for a presigned URL.
    pub fn headers(&self) -> &[(&'static str, String)] {
        &self.headers
    }

    /// The value of the `Authorization` header, for header auth.
    pub fn authorization(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(name, _)| *name == "authorization")
            .map(|(_, value)| value.as_str())
    }

    /// Presigning: the `X-Amz-*` query parameters (unencoded values). Empty for header auth.
    pub fn query_params(&self) -> &[(&'static str, String)] {
        &self.query
    }

    /// The presigned URL: `uri` with the signature's query parameters appended, encoded.
    pub fn presigned_url(&self, uri: &http::Uri) -> String {
        let mut url = uri.to_string();
        let mut separator = match uri.query() {
            None => Some('?'),
            Some("") => None,
            Some(_) => Some('&'),
        };
        for (name, value) in &self.query {
            if let Some(separator) = separator {
                url.push(separator);
            }
            separator = Some('&');
            url.push_str(name);
            url.push('=');
            encode_into(&mut url, value.as_bytes(), false);
        }
        url
    }

    /// Applies the signature to `request`: sets the headers (header auth) or replaces the URI
    /// with the presigned one. `Host` is left alone.
    ///
    /// # Errors
    /// Fails only if a value cannot be a header or the presigned URL does not parse, which
    /// the signer's own input checks rule out.
    pub fn apply_to<B>(&self, request: &mut http::Request<B>) -> Result<(), http::Error> {
        for (name, value) in &self.headers {
            let mut value = http::HeaderValue::from_str(value)?;
            value.set_sensitive(matches!(*name, "authorization" | "x-amz-security-token"));
            request.headers_mut().insert(*name, value);
        }
        if !self.query.is_empty() {
            *request.uri_mut() = self.presigned_url(request.uri()).parse()?;
        }
        Ok(())
    }
}

impl fmt::Debug for SigningOutput {
    /// Names what would be added, never the signature, authorization or token values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self
            .headers
            .iter()
            .chain(&self.query)
            .map(|(name, _)| *name)
            .collect();
        f.debug_struct("SigningOutput")
            .field("canonical_request", &self.canonical_request)
            .field("adds", &names)
            .finish_non_exhaustive()
    }
}
