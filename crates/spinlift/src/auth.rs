//! Bearer-token authentication for the API routes.
//!
//! Every route except the public readiness check requires
//! `Authorization: Bearer <api_token>` ([RFC 6750 §2.1]). The check never panics
//! on malformed input (non-UTF-8 bytes, odd spacing, repeated headers): anything
//! that is not exactly one well-formed bearer credential is rejected.
//!
//! The token comparison must not tell an attacker how many leading bytes were
//! right, so both sides are hashed with SHA-256 and the digests are compared
//! with an XOR fold that visits every byte: the time taken depends neither on
//! where the first difference is nor on the lengths of the tokens.
//!
//! [RFC 6750 §2.1]: https://www.rfc-editor.org/rfc/rfc6750#section-2.1

use http::{header, HeaderMap};
use sha2::{Digest, Sha256};

use crate::config::Secret;

/// Why a request was not authenticated; all kinds answer the same 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// No `Authorization` header.
    Missing,
    /// More than one `Authorization` header.
    Repeated,
    /// The header is not `Bearer <token>`.
    Malformed,
    /// A bearer token that is not the configured one.
    WrongToken,
}

/// Accepts the request when it carries exactly one `Authorization: Bearer <expected>`.
///
/// # Errors
///
/// The header is missing, repeated, not a bearer credential, or has the wrong token.
pub fn require_bearer(headers: &HeaderMap, expected: &Secret) -> Result<(), AuthError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = values.next().ok_or(AuthError::Missing)?;
    if values.next().is_some() {
        return Err(AuthError::Repeated);
    }
    let token = bearer_token(value.as_bytes()).ok_or(AuthError::Malformed)?;
    if constant_time_eq(token, expected.expose().as_bytes()) {
        Ok(())
    } else {
        Err(AuthError::WrongToken)
    }
}

/// Accepts a webhook delivery carrying the webhook token: as a bearer credential, or as
/// `?token=` in the URL of an SNS delivery (`x-amz-sns-message-type`; SNS cannot add headers,
/// so its subscription URL holds it). The URL token is taken only there because whoever may
/// read the topic's subscriptions can read it; an SNS delivery's envelope is then decoded
/// and its signature verified before anything in it is acted on, so that token alone lets
/// no one post raw S3 or EventBridge events.
///
/// # Errors
/// A `token` parameter that does not match, or no valid bearer credential.
pub fn require_webhook_token(
    headers: &HeaderMap,
    query: Option<&str>,
    expected: &Secret,
) -> Result<(), AuthError> {
    let from_sns = headers.contains_key("x-amz-sns-message-type");
    let from_query = query
        .filter(|_| from_sns)
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="));
    match from_query {
        Some(raw) => {
            let token = crate::sigv4::percent_decode(raw, true);
            match constant_time_eq(&token, expected.expose().as_bytes()) {
                true => Ok(()),
                false => Err(AuthError::WrongToken),
            }
        }
        None => require_bearer(headers, expected),
    }
}

/// The token of a `Bearer <token>` credential, as raw bytes.
///
/// The scheme name is case-insensitive (RFC 9110 §11.1); one or more spaces
/// separate it from the token, which must be non-empty and contain no space.
fn bearer_token(value: &[u8]) -> Option<&[u8]> {
    const SCHEME: &[u8] = b"bearer";
    let (scheme, rest) = value.split_at_checked(SCHEME.len())?;
    if !scheme.eq_ignore_ascii_case(SCHEME) || rest.first() != Some(&b' ') {
        return None;
    }
    let start = rest.iter().position(|&b| b != b' ')?;
    let token = &rest[start..];
    if token.contains(&b' ') {
        return None;
    }
    Some(token)
}

/// Compares two byte strings in time independent of their contents and lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    let diff = a
        .iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn check(values: &[&[u8]]) -> Result<(), AuthError> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                header::AUTHORIZATION,
                HeaderValue::from_bytes(value).unwrap(),
            );
        }
        require_bearer(&headers, &Secret::new("s3cr3t-token"))
    }

    #[test]
    fn the_configured_token_is_accepted() {
        assert_eq!(check(&[b"Bearer s3cr3t-token"]), Ok(()));
        assert_eq!(check(&[b"bearer s3cr3t-token"]), Ok(()));
        assert_eq!(check(&[b"BEARER   s3cr3t-token"]), Ok(()));
    }

    #[test]
    fn anything_else_is_rejected() {
        let cases: &[(&[&[u8]], AuthError)] = &[
            (&[], AuthError::Missing),
            (
                &[b"Bearer s3cr3t-token", b"Bearer s3cr3t-token"],
                AuthError::Repeated,
            ),
            (&[b"Bearer s3cr3t-toke"], AuthError::WrongToken),
            (&[b"Bearer s3cr3t-token2"], AuthError::WrongToken),
            (&[b"Bearer S3CR3T-TOKEN"], AuthError::WrongToken),
            (&[b"Bearer "], AuthError::Malformed),
            (&[b"Bearer"], AuthError::Malformed),
            (&[b""], AuthError::Malformed),
            (&[b"Bearers3cr3t-token"], AuthError::Malformed),
            (&[b"Basic czNjcjN0LXRva2Vu"], AuthError::Malformed),
            (&[b"s3cr3t-token"], AuthError::Malformed),
            (&[b"Bearer s3cr3t-token extra"], AuthError::Malformed),
            (&[b"Bearer s3cr3t-token\xff"], AuthError::WrongToken),
            (&[b"Bearer \xc3\x28\xa0\xa1"], AuthError::WrongToken),
            (&[b"\xffBearer s3cr3t-token"], AuthError::Malformed),
        ];
        for (values, expected) in cases {
            assert_eq!(check(values), Err(*expected), "{values:?}");
        }
    }

    #[test]
    fn an_empty_expected_token_never_matches_a_well_formed_header() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(
            require_bearer(&headers, &Secret::new("")),
            Err(AuthError::WrongToken)
        );
    }

    #[test]
    fn webhook_tokens_come_from_an_sns_url_or_the_header() {
        let secret = Secret::new("hook+tok/en");
        let mut sns = HeaderMap::new();
        sns.insert(
            "x-amz-sns-message-type",
            HeaderValue::from_static("Notification"),
        );
        assert_eq!(
            require_webhook_token(&sns, Some("a=1&token=hook%2Btok%2Fen"), &secret),
            Ok(())
        );
        assert_eq!(
            require_webhook_token(&sns, Some("token=wrong"), &secret),
            Err(AuthError::WrongToken)
        );
        assert_eq!(
            require_webhook_token(&sns, None, &secret),
            Err(AuthError::Missing)
        );
        // Anything but an SNS delivery must bring the token as a bearer credential.
        let empty = HeaderMap::new();
        assert_eq!(
            require_webhook_token(&empty, Some("token=hook%2Btok%2Fen"), &secret),
            Err(AuthError::Missing)
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer hook+tok/en"),
        );
        assert_eq!(
            require_webhook_token(&headers, Some("other=1"), &secret),
            Ok(())
        );
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
