//! ListObjectsV2. <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>

use super::bucket::unsigned;
use super::error::parse_xml;
use super::Bucket;
use crate::aws::AwsError;
use crate::xml::{Element, XmlError};
use http::{HeaderMap, Method, Request, StatusCode};

/// The longest continuation token taken or passed on. S3's are a few hundred bytes; the
/// bound keeps every listing URL well inside `http`'s 64 KiB (a token is percent-encoded
/// into the query, up to three bytes for one).
pub const MAX_CONTINUATION_TOKEN_BYTES: usize = 4096;

/// `GET /?list-type=2` with the optional listing parameters. A prefix or delimiter longer
/// than [`super::MAX_KEY_BYTES`] or a token longer than [`MAX_CONTINUATION_TOKEN_BYTES`] is
/// the caller's to refuse: no key has such a prefix, and the URL must stay parseable.
#[derive(Debug, Clone, Default)]
pub struct ListObjectsV2<'a> {
    /// Only keys that start with this.
    pub prefix: Option<&'a str>,
    /// Group keys sharing a prefix up to this delimiter into `CommonPrefixes`.
    pub delimiter: Option<&'a str>,
    /// The `NextContinuationToken` of the previous page.
    pub continuation_token: Option<&'a str>,
    /// At most this many entries (S3 caps it at 1000).
    pub max_keys: Option<u32>,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListObjectsV2Output {
    /// The objects of this page.
    pub objects: Vec<ListedObject>,
    /// The common prefixes of this page (with a delimiter).
    common_prefixes: Vec<String>,
    /// Whether more pages follow.
    pub is_truncated: bool,
    /// The token for the next page.
    pub next_continuation_token: Option<String>,
}

/// One object in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    /// The key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// ETag, quotes included.
    pub etag: String,
    /// Last modification (ISO 8601).
    pub last_modified: String,
}

impl ListObjectsV2Output {
    /// The common prefixes, in S3's order.
    pub fn prefixes(&self) -> impl Iterator<Item = &str> {
        self.common_prefixes.iter().map(String::as_str)
    }

    /// Reads a `ListBucketResult`.
    fn read(doc: &Element) -> Result<Self, XmlError> {
        let objects = doc
            .children("Contents")
            .map(|entry| {
                Ok(ListedObject {
                    key: entry.required("Key")?.to_owned(),
                    size: match entry.text_of("Size") {
                        Some(size) => size
                            .trim()
                            .parse()
                            .map_err(|_| XmlError::new("a <Size> that is not a number"))?,
                        None => 0,
                    },
                    etag: entry.text_of("ETag").unwrap_or_default().to_owned(),
                    last_modified: entry.text_of("LastModified").unwrap_or_default().to_owned(),
                })
            })
            .collect::<Result<_, XmlError>>()?;
        let common_prefixes = doc
            .children("CommonPrefixes")
            .map(|p| p.required("Prefix").map(str::to_owned))
            .collect::<Result<_, _>>()?;
        let is_truncated = match doc.text_of("IsTruncated").map(str::trim) {
            None | Some("false" | "0") => false,
            Some("true" | "1") => true,
            Some(_) => return Err(XmlError::new("an <IsTruncated> that is not true or false")),
        };
        let next_continuation_token = doc.text_of("NextContinuationToken");
        if next_continuation_token.is_some_and(|t| t.len() > MAX_CONTINUATION_TOKEN_BYTES) {
            return Err(XmlError::new(
                "a <NextContinuationToken> longer than 4096 bytes",
            ));
        }
        Ok(Self {
            objects,
            common_prefixes,
            is_truncated,
            next_continuation_token: next_continuation_token.map(str::to_owned),
        })
    }
}

impl ListObjectsV2<'_> {
    /// The unsigned request.
    pub fn request(&self, bucket: &Bucket) -> Request<()> {
        let max_keys = self.max_keys.map(|n| n.to_string());
        // No `encoding-type=url`: s3s-fs echoes it but sends keys raw, so decoding would corrupt
        // `+` and `%`. Keys with characters XML 1.0 cannot carry do not list faithfully.
        let mut query: Vec<(&str, &str)> = vec![("list-type", "2")];
        let optional = [
            ("prefix", self.prefix),
            ("delimiter", self.delimiter),
            ("continuation-token", self.continuation_token),
            ("max-keys", max_keys.as_deref()),
        ];
        query.extend(
            optional
                .iter()
                .filter_map(|(name, value)| Some((*name, (*value)?))),
        );
        unsigned(Method::GET, bucket.bucket_uri(&query))
    }

    /// The page of results.
    ///
    /// # Errors
    /// A non-200 status, or a body that is not a `ListBucketResult`.
    pub fn parse_response(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<ListObjectsV2Output, AwsError> {
        if status != StatusCode::OK {
            return Err(AwsError::from_s3_response(status, headers, body));
        }
        parse_xml(status, headers, body, ListObjectsV2Output::read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::bucket::tests::bucket;

    #[test]
    fn encodes_only_the_given_parameters() {
        let request = ListObjectsV2 {
            prefix: Some("a b/"),
            delimiter: Some("/"),
            continuation_token: None,
            max_keys: Some(2),
        }
        .request(&bucket(true));
        assert_eq!(
            request.uri().query(),
            Some("list-type=2&prefix=a%20b%2F&delimiter=%2F&max-keys=2")
        );
    }

    #[test]
    fn parses_the_documented_listing() {
        // Shape of the ListObjectsV2 API reference's example, with a delimiter and a next page.
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix></Prefix><KeyCount>3</KeyCount><MaxKeys>3</MaxKeys><Delimiter>/</Delimiter>
  <IsTruncated>true</IsTruncated>
  <Contents><Key>ExampleObject.txt</Key><LastModified>2013-09-17T18:07:53.000Z</LastModified>
    <ETag>"599bab3ed2c697f1d26842727561fd94"</ETag><Size>857</Size><StorageClass>REDUCED_REDUNDANCY</StorageClass></Contents>
  <Contents><Key>a &amp; b.txt</Key><LastModified>2013-09-17T18:07:53.000Z</LastModified><ETag>"x"</ETag><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>photos/</Prefix></CommonPrefixes>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>"#;
        let page = ListObjectsV2::parse_response(StatusCode::OK, &HeaderMap::new(), body).unwrap();
        assert_eq!(page.objects.len(), 2);
        assert_eq!(page.objects[0].size, 857);
        assert_eq!(page.objects[1].key, "a & b.txt");
        assert_eq!(page.prefixes().collect::<Vec<_>>(), ["photos/"]);
        assert!(page.is_truncated);
        assert_eq!(
            page.next_continuation_token.as_deref(),
            Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        );
    }

    #[test]
    fn malformed_answers_are_errors_not_panics() {
        for body in [
            &b"<ListBucketResult><Contents><Size>x</Size>"[..],
            b"<ListBucketResult><Contents><Key>k</Key><Size>x</Size></Contents></ListBucketResult>",
            b"<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
            b"<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>",
            b"\xff",
            b"",
        ] {
            let err =
                ListObjectsV2::parse_response(StatusCode::OK, &HeaderMap::new(), body).unwrap_err();
            assert_eq!(err.code, "MalformedResponse");
        }
    }

    #[test]
    fn a_token_too_long_to_send_back_is_a_malformed_answer() {
        let page = |token: &str| {
            format!("<ListBucketResult><NextContinuationToken>{token}</NextContinuationToken></ListBucketResult>")
        };
        let at_bound = page(&"t".repeat(MAX_CONTINUATION_TOKEN_BYTES));
        let ok =
            ListObjectsV2::parse_response(StatusCode::OK, &HeaderMap::new(), at_bound.as_bytes());
        assert_eq!(ok.unwrap().next_continuation_token.unwrap().len(), 4096);
        let past = page(&"t".repeat(MAX_CONTINUATION_TOKEN_BYTES + 1));
        let err = ListObjectsV2::parse_response(StatusCode::OK, &HeaderMap::new(), past.as_bytes())
            .unwrap_err();
        assert_eq!(err.code, "MalformedResponse");
    }
}
