//! Conditional reads: the preconditions S3 judges on GetObject and HeadObject, and
//! `If-Range`, which S3 does not take and the caller judges from the answer.
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>

use http::{header, HeaderMap, HeaderName, HeaderValue};

/// The read preconditions S3 answers itself: `412 PreconditionFailed` when `If-Match` or
/// `If-Unmodified-Since` fails, `304 Not Modified` when `If-None-Match` or
/// `If-Modified-Since` does.
const JUDGED_BY_S3: [HeaderName; 4] = [
    header::IF_MATCH,
    header::IF_NONE_MATCH,
    header::IF_MODIFIED_SINCE,
    header::IF_UNMODIFIED_SINCE,
];

/// A client's read preconditions, passed on as it sent them, so that a client resuming or
/// revalidating a download gets S3's answer for the version S3 holds now. It borrows the
/// client's headers, so its `Debug` shows the conditions alone, never `Authorization`.
#[derive(Clone, Copy, Default)]
pub struct ReadConditions<'a> {
    headers: Option<&'a HeaderMap>,
}

impl std::fmt::Debug for ReadConditions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = f.debug_map();
        for name in JUDGED_BY_S3 {
            for value in self.headers.into_iter().flat_map(|h| h.get_all(&name)) {
                shown.entry(&name, value);
            }
        }
        shown.finish()
    }
}

impl<'a> ReadConditions<'a> {
    /// The conditions among a client's request headers (the others are not read).
    pub fn from_headers(headers: &'a HeaderMap) -> Self {
        Self {
            headers: Some(headers),
        }
    }

    /// Adds the conditions' headers to a request to S3.
    pub(crate) fn apply(self, to: &mut HeaderMap) {
        let Some(headers) = self.headers else {
            return;
        };
        for name in JUDGED_BY_S3 {
            for value in headers.get_all(&name) {
                to.append(name.clone(), value.clone());
            }
        }
    }
}

/// Whether a ranged answer may be used under the client's `If-Range` (RFC 9110, 13.1.5): its
/// validator is the answer's strong ETag or its exact `Last-Modified` date. When it is not,
/// the range was asked of another version than the client holds, and the client is to get the
/// whole object instead. A weak ETag never matches.
pub fn if_range_holds(if_range: &HeaderValue, answer: &HeaderMap) -> bool {
    let validator = if_range.as_bytes();
    let field = match validator {
        [b'"', ..] => header::ETAG,
        [b'W', b'/', ..] => return false,
        _ => header::LAST_MODIFIED,
    };
    answer
        .get(field)
        .is_some_and(|value| value.as_bytes() == validator)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    #[test]
    fn the_four_conditions_s3_judges_are_passed_on_and_nothing_else() {
        let client = headers(&[
            ("if-match", "\"a\""),
            ("if-none-match", "\"b\""),
            ("if-modified-since", "Tue, 01 Dec 2026 10:00:00 GMT"),
            ("if-unmodified-since", "Wed, 02 Dec 2026 10:00:00 GMT"),
            ("if-range", "\"a\""),
            ("authorization", "Bearer secret"),
        ]);
        let mut sent = HeaderMap::new();
        ReadConditions::from_headers(&client).apply(&mut sent);
        let mut names: Vec<&str> = sent.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "if-match",
                "if-modified-since",
                "if-none-match",
                "if-unmodified-since"
            ]
        );
        assert_eq!(sent["if-match"], "\"a\"");
        let mut none = HeaderMap::new();
        ReadConditions::default().apply(&mut none);
        assert!(none.is_empty());
        let shown = format!("{:?}", ReadConditions::from_headers(&client));
        assert!(
            shown.contains("if-match") && !shown.contains("secret"),
            "{shown}"
        );
    }

    #[test]
    fn if_range_takes_the_same_strong_etag_or_the_same_date() {
        let answer = headers(&[
            ("etag", "\"v1\""),
            ("last-modified", "Wed, 02 Dec 2026 10:00:00 GMT"),
        ]);
        let holds = |value: &'static str| if_range_holds(&HeaderValue::from_static(value), &answer);
        assert!(holds("\"v1\""));
        // A Wednesday is a date, not a weak ETag (`W/"..."`).
        assert!(holds("Wed, 02 Dec 2026 10:00:00 GMT"));
        assert!(!holds("\"v2\""));
        assert!(!holds("W/\"v1\""));
        assert!(!holds("Wed, 02 Dec 2026 10:00:01 GMT"));
        assert!(!if_range_holds(
            &HeaderValue::from_static("\"v1\""),
            &HeaderMap::new()
        ));
    }
}
