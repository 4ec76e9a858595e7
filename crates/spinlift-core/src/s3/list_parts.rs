//! ListParts: the parts S3 already holds of an open multipart upload, so that a broken upload
//! resumes with only the missing ones.
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html>

use super::bucket::unsigned;
use super::error::parse_xml;
use super::{Bucket, ObjectKey};
use crate::aws::AwsError;
use crate::xml::{Element, XmlError};
use http::{HeaderMap, Method, Request, StatusCode};

/// `GET /{key}?uploadId=ID`, from a part number on.
#[derive(Debug, Clone)]
pub struct ListParts<'a> {
    /// The object being uploaded.
    pub key: &'a ObjectKey,
    /// The upload id.
    pub upload_id: &'a str,
    /// The previous page's `NextPartNumberMarker`: only parts after it.
    pub part_number_marker: Option<u16>,
}

/// One page of parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPartsOutput {
    /// The parts of this page, in part-number order.
    pub parts: Vec<ListedPart>,
    /// Where the next page starts, when there is one.
    pub next_part_number_marker: Option<u16>,
}

/// A part S3 holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedPart {
    /// 1 to 10,000.
    pub part_number: u16,
    /// The part's ETag, quotes included (some stores list none).
    pub etag: Option<String>,
    /// Size in bytes.
    pub size: u64,
}

fn number<T: std::str::FromStr>(text: &str, what: &'static str) -> Result<T, XmlError> {
    text.trim().parse().map_err(|_| XmlError::new(what))
}

impl ListPartsOutput {
    fn read(doc: &Element) -> Result<Self, XmlError> {
        let mut parts = doc
            .children("Part")
            .map(|part| {
                Ok(ListedPart {
                    part_number: number(
                        part.required("PartNumber")?,
                        "a <PartNumber> that is not a number",
                    )?,
                    etag: part.text_of("ETag").map(str::to_owned),
                    size: number(part.required("Size")?, "a <Size> that is not a number")?,
                })
            })
            .collect::<Result<Vec<_>, XmlError>>()?;
        // S3 lists in order; a store that lists a directory may not.
        parts.sort_by_key(|part| part.part_number);
        let truncated = matches!(doc.text_of("IsTruncated").map(str::trim), Some("true"));
        let next_part_number_marker = match doc.text_of("NextPartNumberMarker") {
            Some(marker) if truncated => Some(number(
                marker,
                "a <NextPartNumberMarker> that is not a number",
            )?),
            _ => None,
        };
        Ok(Self {
            parts,
            next_part_number_marker,
        })
    }
}

impl ListParts<'_> {
    /// The unsigned request.
    pub fn request(&self, bucket: &Bucket) -> Request<()> {
        let marker = self.part_number_marker.map(|n| n.to_string());
        let mut query = vec![("uploadId", self.upload_id)];
        if let Some(marker) = marker.as_deref() {
            query.push(("part-number-marker", marker));
        }
        unsigned(Method::GET, bucket.object_uri(self.key, &query))
    }

    /// The page of parts.
    ///
    /// # Errors
    /// A non-200 status (`NoSuchUpload` for an upload completed or aborted), or a body that is
    /// not a `ListPartsResult`.
    pub fn parse_response(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<ListPartsOutput, AwsError> {
        if status != StatusCode::OK {
            return Err(AwsError::from_s3_response(status, headers, body));
        }
        parse_xml(status, headers, body, ListPartsOutput::read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::bucket::tests::bucket;

    #[test]
    fn asks_for_the_upload_from_the_marker() {
        let key = ObjectKey::new("a b").unwrap();
        let list = |marker| {
            ListParts {
                key: &key,
                upload_id: "up/1",
                part_number_marker: marker,
            }
            .request(&bucket(true))
        };
        assert_eq!(list(None).uri().query(), Some("uploadId=up%2F1"));
        assert_eq!(
            list(Some(3)).uri().query(),
            Some("uploadId=up%2F1&part-number-marker=3")
        );
        assert_eq!(list(None).method(), Method::GET);
    }

    #[test]
    fn parses_the_documented_answer() {
        // Shape of the ListParts API reference's example (ids shortened).
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>example-bucket</Bucket><Key>example-object</Key><UploadId>XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA</UploadId>
  <PartNumberMarker>1</PartNumberMarker><NextPartNumberMarker>3</NextPartNumberMarker>
  <MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>
  <Part><PartNumber>3</PartNumber><LastModified>2010-11-10T20:48:33.000Z</LastModified>
    <ETag>"aaaa18db4cc2f85cedef654fccc4a4x8"</ETag><Size>10485760</Size></Part>
  <Part><PartNumber>2</PartNumber><LastModified>2010-11-10T20:48:34.000Z</LastModified>
    <ETag>"7778aef83f66abc1fa1e8477f296d394"</ETag><Size>10485760</Size></Part>
</ListPartsResult>"#;
        let page = ListParts::parse_response(StatusCode::OK, &HeaderMap::new(), body).unwrap();
        let numbers: Vec<u16> = page.parts.iter().map(|p| p.part_number).collect();
        assert_eq!(numbers, [2, 3]);
        assert_eq!(
            page.parts[0].etag.as_deref(),
            Some("\"7778aef83f66abc1fa1e8477f296d394\"")
        );
        assert_eq!(page.parts[1].size, 10_485_760);
        assert_eq!(page.next_part_number_marker, Some(3));
    }

    #[test]
    fn malformed_answers_are_errors_not_panics() {
        for body in [
            &b"<ListPartsResult><Part><PartNumber>x</PartNumber><Size>1</Size></Part></ListPartsResult>"[..],
            b"<ListPartsResult><Part><PartNumber>1</PartNumber></Part></ListPartsResult>",
            b"<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>-</NextPartNumberMarker></ListPartsResult>",
            b"",
        ] {
            let err = ListParts::parse_response(StatusCode::OK, &HeaderMap::new(), body).unwrap_err();
            assert_eq!(err.code, "MalformedResponse", "{:?}", String::from_utf8_lossy(body));
        }
    }
}
