//! Conditional writes and deletes: compare-and-swap on an object.
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-requests.html>
//!
//! S3 answers 412 `PreconditionFailed` when the condition does not hold, so two writers that
//! read the same version cannot both replace it.

use http::{header, HeaderMap, HeaderValue};

/// The state the object must be in for the write or delete to happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteCondition<'a> {
    /// Its current ETag is this one (`If-Match`, quotes included).
    Matches(&'a str),
    /// It does not exist (`If-None-Match: *`; PutObject only).
    Absent,
}

impl WriteCondition<'_> {
    /// Adds the condition's header. An ETag that is not a valid header value cannot match
    /// anything S3 holds, so it is sent as one that never matches rather than dropped.
    pub(crate) fn apply(self, headers: &mut HeaderMap) {
        match self {
            WriteCondition::Matches(etag) => {
                let value = HeaderValue::from_str(etag)
                    .unwrap_or_else(|_| HeaderValue::from_static("\"invalid-etag\""));
                headers.insert(header::IF_MATCH, value);
            }
            WriteCondition::Absent => {
                headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
            }
        }
    }
}
