//! Multipart upload: create, upload parts, complete, and abort on failure.
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html>

use super::bucket::unsigned;
use super::delete_object::expect_no_content;
use super::error::parse_xml;
use super::put_object::{etag_header, set_stored_headers};
use super::{Bucket, ChecksumAlgorithm, ChecksumValue, ObjectKey, WriteCondition};
use crate::aws::AwsError;
use crate::xml::XmlError;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};

/// The longest upload id taken, from S3 or from a client. S3's are about 100 bytes; the bound
/// keeps every URL the id goes into (each part, the listing, completion, abort) well inside
/// `http`'s 64 KiB, since an id is percent-encoded into the query.
pub const MAX_UPLOAD_ID_BYTES: usize = 1024;

/// `POST /{key}?uploads`: starts an upload and names it.
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html>
#[derive(Debug, Clone)]
pub struct CreateMultipartUpload<'a> {
    /// The object being uploaded.
    pub key: &'a ObjectKey,
    /// The `Content-Type` to store.
    pub content_type: Option<&'a HeaderValue>,
    /// `x-amz-meta-*` headers to store, and any of [`super::STORED_HEADERS`].
    pub metadata: Vec<(&'a HeaderName, &'a HeaderValue)>,
    /// The checksum every part carries: of the whole object for a CRC (`FULL_OBJECT`), of
    /// the parts' checksums for SHA-256 (`COMPOSITE`).
    pub checksum: Option<ChecksumAlgorithm>,
}

impl CreateMultipartUpload<'_> {
    /// The unsigned request.
    pub fn request(&self, bucket: &Bucket) -> Request<()> {
        let mut request = unsigned(
            Method::POST,
            bucket.object_uri(self.key, &[("uploads", "")]),
        );
        let headers = request.headers_mut();
        set_stored_headers(headers, self.content_type, &self.metadata);
        if let Some(algorithm) = self.checksum {
            headers.insert(
                "x-amz-checksum-algorithm",
                HeaderValue::from_static(algorithm.name()),
            );
            headers.insert("x-amz-checksum-type", checksum_type(algorithm));
        }
        request
    }

    /// The upload id.
    ///
    /// # Errors
    /// A non-200 status or a body without an `UploadId`.
    pub fn parse_response(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<String, AwsError> {
        if status != StatusCode::OK {
            return Err(AwsError::from_s3_response(status, headers, body));
        }
        parse_xml(status, headers, body, |doc| {
            let id = doc.required("UploadId")?;
            match id.len() <= MAX_UPLOAD_ID_BYTES {
                true => Ok(id.to_owned()),
                false => Err(XmlError::new("an <UploadId> longer than 1024 bytes")),
            }
        })
    }
}

/// `PUT /{key}?partNumber=N&uploadId=ID`: one part (5 MiB at least, but the last).
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html>
#[derive(Debug, Clone)]
pub struct UploadPart<'a> {
    /// The object being uploaded.
    pub key: &'a ObjectKey,
    /// The upload id.
    pub upload_id: &'a str,
    /// 1..=10000.
    pub part_number: u16,
    /// The part's length.
    pub content_length: u64,
    /// The part's checksum, of the upload's algorithm.
    pub checksum: Option<ChecksumValue<'a>>,
}

impl UploadPart<'_> {
    /// The unsigned request.
    pub fn request(&self, bucket: &Bucket) -> Request<()> {
        let part_number = self.part_number.to_string();
        let mut request = unsigned(
            Method::PUT,
            bucket.object_uri(
                self.key,
                &[("partNumber", &part_number), ("uploadId", self.upload_id)],
            ),
        );
        request.headers_mut().insert(
            http::header::CONTENT_LENGTH,
            HeaderValue::from(self.content_length),
        );
        if let Some(checksum) = self.checksum {
            checksum.apply(request.headers_mut());
        }
        request
    }

    /// The part's ETag, needed to complete the upload.
    ///
    /// # Errors
    /// Any status but 200.
    pub fn parse_response(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<String, AwsError> {
        if status != StatusCode::OK {
            return Err(AwsError::from_s3_response(status, headers, body));
        }
        Ok(etag_header(headers))
    }
}

/// A finished part: its number and ETag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    /// 1..=10000.
    pub part_number: u16,
    /// The ETag UploadPart returned.
    pub etag: String,
    /// The checksum the part was sent with, base64.
    pub checksum: Option<String>,
}

/// The checksum of an upload whose parts carry one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadChecksum<'a> {
    /// The algorithm CreateMultipartUpload named.
    pub algorithm: ChecksumAlgorithm,
    /// The whole object's value, for a `FULL_OBJECT` algorithm: S3 checks the parts it
    /// joined against it.
    pub whole_object: Option<&'a str>,
}

fn checksum_type(algorithm: ChecksumAlgorithm) -> HeaderValue {
    HeaderValue::from_static(if algorithm.is_full_object() {
        "FULL_OBJECT"
    } else {
        "COMPOSITE"
    })
}

/// `POST /{key}?uploadId=ID` with the list of parts.
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html>
#[derive(Debug, Clone)]
pub struct CompleteMultipartUpload<'a> {
    /// The object being uploaded.
    pub key: &'a ObjectKey,
    /// The upload id.
    pub upload_id: &'a str,
    /// Every part, in order.
    pub parts: &'a [CompletedPart],
    /// Complete only if the key is in this state (412 otherwise, and the upload stays open
    /// for the caller to abort).
    pub condition: Option<WriteCondition<'a>>,
    /// The upload's checksum, when its parts carry one.
    pub checksum: Option<UploadChecksum<'a>>,
}

impl CompleteMultipartUpload<'_> {
    /// The unsigned request and its XML body.
    pub fn request(&self, bucket: &Bucket) -> Request<Vec<u8>> {
        let mut body = String::from("<CompleteMultipartUpload>");
        for part in self.parts {
            body.push_str(&format!(
                "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag>",
                part.part_number,
                quick_xml::escape::escape(part.etag.as_str())
            ));
            if let (Some(checksum), Some(value)) = (self.checksum, &part.checksum) {
                let element = checksum.algorithm.xml_element();
                let value = quick_xml::escape::escape(value.as_str());
                body.push_str(&format!("<{element}>{value}</{element}>"));
            }
            body.push_str("</Part>");
        }
        body.push_str("</CompleteMultipartUpload>");
        let mut request = Request::new(body.into_bytes());
        *request.method_mut() = Method::POST;
        *request.uri_mut() = bucket.object_uri(self.key, &[("uploadId", self.upload_id)]);
        let length = HeaderValue::from(request.body().len());
        request
            .headers_mut()
            .insert(http::header::CONTENT_LENGTH, length);
        if let Some(condition) = self.condition {
            condition.apply(request.headers_mut());
        }
        request.extensions_mut().insert(super::ErrorsIn200);
        if let Some(UploadChecksum {
            algorithm,
            whole_object: Some(value),
        }) = self.checksum
        {
            let headers = request.headers_mut();
            headers.insert("x-amz-checksum-type", checksum_type(algorithm));
            ChecksumValue::Header(algorithm, value).apply(headers);
            // The SDK header names the body's checksum; here the value is the object's.
            headers.remove("x-amz-sdk-checksum-algorithm");
        }
        request
    }

    /// The final object's ETag, or the error (which S3 may send with status 200).
    ///
    /// # Errors
    /// A non-200 status, an `<Error>` document, or a body without an ETag.
    pub fn parse_response(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<String, AwsError> {
        super::error::parse_xml_in_200(status, headers, body, |doc| {
            Ok(doc.required("ETag")?.to_owned())
        })
    }
}

/// `DELETE /{key}?uploadId=ID`: frees the parts of an upload that will not complete.
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html>
#[derive(Debug, Clone)]
pub struct AbortMultipartUpload<'a> {
    /// The object being uploaded.
    pub key: &'a ObjectKey,
    /// The upload id.
    pub upload_id: &'a str,
}

impl AbortMultipartUpload<'_> {
    /// The unsigned request.
    pub fn request(&self, bucket: &Bucket) -> Request<()> {
        unsigned(
            Method::DELETE,
            bucket.object_uri(self.key, &[("uploadId", self.upload_id)]),
        )
    }

    /// Success, or the error.
    ///
    /// # Errors
    /// Any status but 200 or 204.
    pub fn parse_response(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), AwsError> {
        expect_no_content(status, headers, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::bucket::tests::bucket;

    #[test]
    fn builds_each_step_of_an_upload() {
        let key = ObjectKey::new("big.bin").unwrap();
        let bucket = bucket(true);
        let create = CreateMultipartUpload {
            key: &key,
            content_type: None,
            metadata: vec![],
            checksum: Some(ChecksumAlgorithm::Crc64Nvme),
        }
        .request(&bucket);
        assert_eq!(
            (create.method(), create.uri().query()),
            (&Method::POST, Some("uploads="))
        );
        assert_eq!(create.headers()["x-amz-checksum-algorithm"], "CRC64NVME");
        assert_eq!(create.headers()["x-amz-checksum-type"], "FULL_OBJECT");
        let part = UploadPart {
            key: &key,
            upload_id: "u/1",
            part_number: 2,
            content_length: 9,
            checksum: Some(ChecksumValue::Header(
                ChecksumAlgorithm::Crc64Nvme,
                "AAAAAAAAAAA=",
            )),
        }
        .request(&bucket);
        assert_eq!(part.uri().query(), Some("partNumber=2&uploadId=u%2F1"));
        assert_eq!(part.headers()["x-amz-checksum-crc64nvme"], "AAAAAAAAAAA=");
        let parts = [CompletedPart {
            part_number: 1,
            etag: "\"a\"".into(),
            checksum: Some("AAAAAAAAAAA=".into()),
        }];
        let complete = |checksum| {
            CompleteMultipartUpload {
                key: &key,
                upload_id: "u/1",
                parts: &parts,
                condition: Some(WriteCondition::Absent),
                checksum,
            }
            .request(&bucket)
        };
        let plain = complete(None);
        assert_eq!(plain.headers()["if-none-match"], "*");
        assert_eq!(
            std::str::from_utf8(plain.body()).unwrap(),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;a&quot;</ETag></Part></CompleteMultipartUpload>"
        );
        let checked = complete(Some(UploadChecksum {
            algorithm: ChecksumAlgorithm::Crc64Nvme,
            whole_object: Some("BBBBBBBBBBB="),
        }));
        assert_eq!(
            std::str::from_utf8(checked.body()).unwrap(),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;a&quot;</ETag><ChecksumCRC64NVME>AAAAAAAAAAA=</ChecksumCRC64NVME></Part></CompleteMultipartUpload>"
        );
        assert_eq!(
            checked.headers()["x-amz-checksum-crc64nvme"],
            "BBBBBBBBBBB="
        );
        assert_eq!(checked.headers()["x-amz-checksum-type"], "FULL_OBJECT");
        assert!(checked
            .headers()
            .get("x-amz-sdk-checksum-algorithm")
            .is_none());
        let abort = AbortMultipartUpload {
            key: &key,
            upload_id: "u/1",
        }
        .request(&bucket);
        assert_eq!(abort.method(), Method::DELETE);
    }

    #[test]
    fn an_upload_id_too_long_for_a_url_is_a_malformed_answer() {
        let created = |id: &str| {
            format!("<InitiateMultipartUploadResult><UploadId>{id}</UploadId></InitiateMultipartUploadResult>")
        };
        let parse = |body: String| {
            CreateMultipartUpload::parse_response(
                StatusCode::OK,
                &HeaderMap::new(),
                body.as_bytes(),
            )
        };
        let at_bound = "!".repeat(MAX_UPLOAD_ID_BYTES);
        assert_eq!(parse(created(&at_bound)).unwrap(), at_bound);
        let err = parse(created(&"!".repeat(22_000))).unwrap_err();
        assert_eq!(err.code, "MalformedResponse");
    }

    #[test]
    fn parses_the_documented_answers() {
        let created = br#"<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><Key>k</Key>
<UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId></InitiateMultipartUploadResult>"#;
        assert_eq!(
            CreateMultipartUpload::parse_response(StatusCode::OK, &HeaderMap::new(), created)
                .unwrap(),
            "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"
        );
        let done = br#"<CompleteMultipartUploadResult><Location>l</Location><Bucket>b</Bucket><Key>k</Key><ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag></CompleteMultipartUploadResult>"#;
        assert_eq!(
            CompleteMultipartUpload::parse_response(StatusCode::OK, &HeaderMap::new(), done)
                .unwrap(),
            "\"3858f62230ac3c915f300c664312c11f-9\""
        );
        let failed = b"<Error><Code>InvalidPart</Code><Message>m</Message></Error>";
        let err =
            CompleteMultipartUpload::parse_response(StatusCode::OK, &HeaderMap::new(), failed)
                .unwrap_err();
        assert_eq!(err.code, "InvalidPart");
    }
}
