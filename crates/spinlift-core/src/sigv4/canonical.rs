//! The intermediate texts of a signature: canonical request, credential scope, string to sign.
//!
//! Each is a type whose `Display` is the exact text AWS specifies, so a test (or a user
//! comparing with S3's `SignatureDoesNotMatch` answer) can check every stage.
//! Spec: <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>.

use super::encode::{
    push_hex, write_canonical_query, write_double_encoded_path, write_single_encoded_path,
};
use super::{PathEncoding, SignableRequest, SigningError};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::fmt;

/// The algorithm name that opens every string to sign and Authorization header.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Headers never signed: computed by signing itself, or rewritten by proxies on the way.
const UNSIGNED_HEADERS: [&str; 4] = [
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "transfer-encoding",
];

/// Headers AWS SDKs leave out of presigned URLs, since a browser will not send them.
const UNSIGNED_PRESIGN_HEADERS: [&str; 2] = ["x-amz-user-agent", "x-amz-checksum-mode"];

/// Lowercased, trimmed, merged and sorted headers, and their names joined by `;`. Names and
/// values are borrowed from the request unless canonicalizing changes them.
#[derive(Debug)]
pub(crate) struct CanonicalHeaders<'a> {
    entries: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    signed: String,
}

impl<'a> CanonicalHeaders<'a> {
    /// Collects the headers to sign. `added` are the SigV4 headers this signature sets
    /// (`x-amz-date`, ...; `None` where one is not set): they replace any copy already in
    /// the request.
    pub(crate) fn new(
        request: &SignableRequest<'a>,
        presigning: bool,
        sign_session_token: bool,
        added: &[Option<(&'a str, &'a str)>],
    ) -> Result<Self, SigningError> {
        let added = added.iter().flatten();
        let mut entries: Vec<(Cow<'a, str>, Cow<'a, str>)> =
            Vec::with_capacity(request.headers.len() + 4);
        let mut has_host = false;
        for &(name, value) in &request.headers {
            let name = checked_header_name(name)?;
            let skip = UNSIGNED_HEADERS.contains(&&*name)
                || (presigning && UNSIGNED_PRESIGN_HEADERS.contains(&&*name))
                || (!sign_session_token && name == "x-amz-security-token")
                || added.clone().any(|(added_name, _)| *added_name == name);
            if skip {
                continue;
            }
            has_host |= name == "host";
            let value = trim_and_collapse_spaces(checked_header_value(&name, value)?);
            entries.push((name, value));
        }
        if !has_host {
            entries.push((Cow::Borrowed("host"), host_of(request.uri)?));
        }
        for &(name, value) in added {
            entries.push((Cow::Borrowed(name), Cow::Borrowed(value)));
        }
        // Stable sort: repeated headers keep their order when joined with commas.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, earlier| {
            if later.0 != earlier.0 {
                return false;
            }
            let merged = earlier.1.to_mut();
            merged.push(',');
            merged.push_str(&later.1);
            true
        });
        let mut signed = String::with_capacity(entries.len() * 16);
        for (i, (name, _)) in entries.iter().enumerate() {
            if i > 0 {
                signed.push(';');
            }
            signed.push_str(name);
        }
        Ok(Self { entries, signed })
    }

    /// The `SignedHeaders` value: lowercase names joined by `;`.
    pub(crate) fn signed(&self) -> &str {
        &self.signed
    }
}

/// The `Host` the server will see: the URI authority, without a port that is the scheme's default.
fn host_of(uri: &http::Uri) -> Result<Cow<'_, str>, SigningError> {
    let authority = uri
        .authority()
        .ok_or_else(|| SigningError::invalid_uri("the url has no host; give an absolute url"))?;
    if authority.as_str().contains('@') {
        return Err(SigningError::invalid_uri(
            "the url must not carry user info",
        ));
    }
    let default_port = match uri.scheme_str() {
        Some("http") => Some(80),
        Some("https") => Some(443),
        _ => None,
    };
    Ok(Cow::Borrowed(match authority.port_u16() {
        Some(port) if Some(port) == default_port => authority.host(),
        _ => authority.as_str(),
    }))
}

fn checked_header_name(name: &str) -> Result<Cow<'_, str>, SigningError> {
    let is_token_char = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(is_token_char) {
        return Err(SigningError::invalid_header(
            name,
            "the name is not a valid HTTP header name",
        ));
    }
    Ok(if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    })
}

fn checked_header_value<'v>(name: &str, value: &'v str) -> Result<&'v str, SigningError> {
    if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(SigningError::invalid_header(
            name,
            "the value holds a control character",
        ));
    }
    Ok(value)
}

/// Trims spaces at both ends and collapses inner runs of spaces into one (only U+0020,
/// as AWS does: tabs and other whitespace are kept).
fn trim_and_collapse_spaces(value: &str) -> Cow<'_, str> {
    let value = value.trim_matches(' ');
    if !value.contains("  ") {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut previous_was_space = false;
    for c in value.chars() {
        if c == ' ' && previous_was_space {
            continue;
        }
        previous_was_space = c == ' ';
        out.push(c);
    }
    Cow::Owned(out)
}

/// The canonical request: method, canonical URI, canonical query, headers, signed headers, payload hash.
#[derive(Clone, PartialEq, Eq)]
pub struct CanonicalRequest {
    text: String,
}

impl CanonicalRequest {
    /// Writes the canonical request. `presign_params` are the `X-Amz-*` query parameters of
    /// a presigned URL (empty for header auth); they are signed along with the URL's own query.
    pub(crate) fn new(
        request: &SignableRequest<'_>,
        path_encoding: PathEncoding,
        headers: &CanonicalHeaders,
        presign_params: &[(&str, &str)],
        payload_hash: &str,
    ) -> Self {
        // Sized up front (escapes aside) so the text is written without growing.
        let headers_len: usize = headers
            .entries
            .iter()
            .map(|(name, value)| name.len() + value.len() + 2)
            .sum();
        let presign_len: usize = presign_params
            .iter()
            .map(|(name, value)| name.len() + value.len() + 16)
            .sum();
        let mut text = String::with_capacity(
            request.method.len()
                + request.uri.path().len()
                + request.uri.query().map_or(0, str::len)
                + presign_len
                + headers_len
                + headers.signed.len()
                + payload_hash.len()
                + 32,
        );
        text.push_str(request.method);
        text.push('\n');
        let path = match request.uri.path() {
            "" => "/",
            path => path,
        };
        match path_encoding {
            PathEncoding::Single => write_single_encoded_path(&mut text, path),
            PathEncoding::Double { normalize } => {
                write_double_encoded_path(&mut text, path, normalize)
            }
        }
        text.push('\n');
        write_canonical_query(&mut text, request.uri.query().unwrap_or(""), presign_params);
        text.push('\n');
        for (name, value) in &headers.entries {
            text.push_str(name);
            text.push(':');
            text.push_str(value);
            text.push('\n');
        }
        text.push('\n');
        text.push_str(&headers.signed);
        text.push('\n');
        text.push_str(payload_hash);
        Self { text }
    }

    /// The exact text that is hashed into the string to sign.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for CanonicalRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for CanonicalRequest {
    /// Shown in full: it names headers and values, but the session token (a header, or in a
    /// presigned URL's query) and a presigned URL's credential are redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const QUERY_LINE: usize = 2;
        let redacted: Vec<String> = self
            .text
            .lines()
            .enumerate()
            .map(
                |(i, line)| match line.strip_prefix("x-amz-security-token:") {
                    Some(_) => "x-amz-security-token:** redacted **".to_owned(),
                    None if i == QUERY_LINE => line
                        .split('&')
                        .map(|pair| match pair.split_once('=') {
                            Some((name @ ("X-Amz-Credential" | "X-Amz-Security-Token"), _)) => {
                                format!("{name}=** redacted **")
                            }
                            _ => pair.to_owned(),
                        })
                        .collect::<Vec<_>>()
                        .join("&"),
                    None => line.to_owned(),
                },
            )
            .collect();
        f.debug_tuple("CanonicalRequest")
            .field(&redacted.join("\n"))
            .finish()
    }
}

/// Appends the credential scope `YYYYMMDD/region/service/aws4_request` of a
/// `(scope date, region, service)`.
pub(crate) fn push_scope(out: &mut String, (scope_date, region, service): (&str, &str, &str)) {
    for piece in [scope_date, "/", region, "/", service, "/aws4_request"] {
        out.push_str(piece);
    }
}

/// The string to sign: algorithm, request time, scope and the hex SHA-256 of the canonical request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StringToSign {
    text: String,
    /// Where the credential scope is in `text`.
    scope: std::ops::Range<usize>,
}

impl StringToSign {
    /// Builds the string to sign for `canonical`, made at `amz_date` within `scope`
    /// (`(scope date, region, service)`).
    pub(crate) fn new(
        amz_date: &str,
        scope: (&str, &str, &str),
        canonical: &CanonicalRequest,
    ) -> Self {
        let digest = Sha256::digest(canonical.as_str().as_bytes());
        let mut text = String::with_capacity(
            ALGORITHM.len() + amz_date.len() + scope.1.len() + scope.2.len() + 92,
        );
        text.push_str(ALGORITHM);
        text.push('\n');
        text.push_str(amz_date);
        text.push('\n');
        let scope_start = text.len();
        push_scope(&mut text, scope);
        let scope = scope_start..text.len();
        text.push('\n');
        push_hex(&mut text, &digest.into());
        Self { text, scope }
    }

    /// The credential scope, `YYYYMMDD/region/service/aws4_request`.
    pub fn scope(&self) -> &str {
        &self.text[self.scope.clone()]
    }

    /// The exact text the signing key signs.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for StringToSign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_lose_only_outer_and_repeated_spaces() {
        assert_eq!(trim_and_collapse_spaces("  a   b \t c  "), "a b \t c");
        assert_eq!(trim_and_collapse_spaces(""), "");
    }

    #[test]
    fn host_keeps_only_non_default_ports() {
        let host = |uri: &str| host_of(&uri.parse().unwrap()).unwrap().into_owned();
        assert_eq!(host("https://s3.amazonaws.com:443/b"), "s3.amazonaws.com");
        assert_eq!(host("http://127.0.0.1:80/b"), "127.0.0.1");
        assert_eq!(host("http://127.0.0.1:8014/b"), "127.0.0.1:8014");
        assert_eq!(host("https://[::1]:9000/"), "[::1]:9000");
        assert!(host_of(&"/relative".parse().unwrap()).is_err());
        assert!(host_of(&"http://user@h/".parse().unwrap()).is_err());
    }
}
