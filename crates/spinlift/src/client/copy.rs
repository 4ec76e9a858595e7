//! Copies within the bucket of any size S3 holds: one CopyObject up to a threshold (at most
//! CopyObject's 5 GiB), else a multipart upload whose parts S3 copies from ranges of the
//! source (UploadPartCopy), a few at a time. No byte passes through the component either way.
//! As the AWS CLI copies: a HEAD for the size, then one or the other. A client feature, so a
//! handler can copy an object it has not measured as the object API does.

use crate::aws::AwsError;
use crate::client::s3::S3Call;
use crate::client::upload::abort;
use crate::client::ClientError;
use crate::outbound::HttpClient;
use crate::s3::{
    CompleteMultipartUpload, CompletedPart, CopyObject, CreateMultipartUpload, HeadObject,
    ObjectHead, ObjectKey, PartPlan, ReadConditions, UploadPartCopy, MAX_OBJECT_SIZE, MAX_PARTS,
    MAX_PART_SIZE, STORED_HEADERS,
};
use futures::stream::{FuturesUnordered, StreamExt};
use http::{header, HeaderMap, HeaderValue};

/// The largest object one CopyObject copies; S3 refuses a larger source
/// (`400 InvalidRequest`).
pub const MAX_COPY_OBJECT_SIZE: u64 = MAX_PART_SIZE;

/// The size of a copy's parts, unless the threshold is smaller or 10,000 parts need them
/// larger: parts small enough that [`PARTS_AT_ONCE`] of them share a large copy's work and a
/// retried part repeats little of it.
pub const COPY_PART_SIZE: u64 = 512 << 20;

/// How many parts are copied at once. S3 copies each part on its own, as the AWS CLI has it
/// copy ten at once; four keep fewer of a hosted platform's outbound requests in flight. The
/// component holds nothing meanwhile, whatever the parts' size. (Not measured against S3.)
pub const PARTS_AT_ONCE: usize = 4;

/// Copies the object `from` to `to` within the bucket, whatever its size (as boto3's `copy`):
/// one CopyObject up to S3's 5 GiB, else a copy in parts ([`copy_object`]). Returns the new
/// object's ETag. For a handler; the object API's copy route takes a condition and a
/// threshold.
///
/// # Errors
/// As [`S3Call::call`]: a missing source is [`ClientError::is_not_found`].
pub async fn copy<C: HttpClient>(
    s3: &S3Call<'_, C>,
    from: &ObjectKey,
    to: &ObjectKey,
) -> Result<String, ClientError> {
    copy_object(s3, from, to, None, MAX_COPY_OBJECT_SIZE).await
}

/// Copies `from` to `to` and returns the new object's ETag. `source_etag` is the version of
/// the source to copy (`*`: any; S3 answers 412 `PreconditionFailed` when it is not the
/// source's). Sources up to `threshold` bytes (capped at 5 GiB) are one CopyObject, which
/// keeps everything S3 copies (headers, metadata, tags, checksum). Larger ones are a multipart
/// upload with the source's `Content-Type`, `x-amz-meta-*`, `Cache-Control`,
/// `Content-Disposition`, `Content-Encoding`, `Content-Language` and `Expires` (not its tags
/// or checksum), its parts copied from the version the HEAD saw: a source replaced meanwhile
/// fails the copy (412). A failed copy waits for the parts under way and is aborted, leaving
/// no object.
///
/// # Errors
/// S3 refused a step (the source is missing, a condition failed) or could not be reached.
pub async fn copy_object<C: HttpClient>(
    s3: &S3Call<'_, C>,
    from: &ObjectKey,
    to: &ObjectKey,
    source_etag: Option<&str>,
    threshold: u64,
) -> Result<String, ClientError> {
    let threshold = threshold.min(MAX_COPY_OBJECT_SIZE);
    // The client's condition is judged at the HEAD, before any upload exists.
    let mut conditions = HeaderMap::new();
    if let Some(value) = source_etag.and_then(|etag| HeaderValue::from_str(etag).ok()) {
        conditions.insert(header::IF_MATCH, value);
    }
    let head = HeadObject {
        key: from,
        conditions: ReadConditions::from_headers(&conditions),
        checksum_mode: false,
    };
    let head = match s3.call(&head).await {
        Ok(head) => Some(head),
        Err(err) if err.is_not_found() => None,
        Err(err) => return Err(err),
    };
    // The one version every part is copied from: the one the HEAD saw.
    let version = head.as_ref().and_then(ObjectHead::etag);
    match (&head, version) {
        (Some(head), Some(version))
            if from != to
                && head
                    .content_length()
                    .is_some_and(|size| size > threshold && size <= MAX_OBJECT_SIZE) =>
        {
            if source_etag.is_some_and(|asked| !if_match_names(asked, version)) {
                // S3 judges the client's ETag at the HEAD; a store that does not (s3s-fs), nor
                // on the parts, would copy the version the client did not ask for.
                return Err(precondition_failed());
            }
            copy_in_parts(s3, from, to, version, threshold, head).await
        }
        // The rest go to CopyObject, whose answer is S3's own: a missing source (S3 says
        // whether the key or the bucket is missing, which a HEAD cannot), a copy onto itself
        // (refused `400 InvalidRequest` whatever its size), a store sending no ETag to pin or
        // a size larger than S3 holds.
        _ => {
            let copy = CopyObject {
                from,
                to,
                source_etag,
            };
            Ok(s3.call(&copy).await?.etag)
        }
    }
}

/// Whether an `If-Match` value names `etag`: `*`, or one of its comma-separated ETags, quotes
/// optional, compared strongly (a weak `W/"..."` names nothing), as RFC 9110 has it.
fn if_match_names(if_match: &str, etag: &str) -> bool {
    let bare = |tag: &str| tag.trim().trim_matches('"').to_owned();
    if_match.trim() == "*"
        || if_match
            .split(',')
            .any(|asked| !asked.trim().starts_with("W/") && bare(asked) == bare(etag))
}

/// S3's answer to a source that is not the version asked for.
fn precondition_failed() -> ClientError {
    ClientError::Service {
        service: "s3",
        error: AwsError {
            status: 412,
            code: "PreconditionFailed".to_owned(),
            message: "At least one of the pre-conditions you specified did not hold".to_owned(),
            request_id: None,
        },
    }
}

/// The multipart copy of the version `version` of a source of `head`'s size.
async fn copy_in_parts<C: HttpClient>(
    s3: &S3Call<'_, C>,
    from: &ObjectKey,
    to: &ObjectKey,
    version: &str,
    threshold: u64,
    head: &ObjectHead,
) -> Result<String, ClientError> {
    let size = head.content_length().unwrap_or_default();
    let needed = size.div_ceil(MAX_PARTS).div_ceil(1 << 20) << 20;
    let plan = PartPlan {
        size,
        part_size: threshold.min(COPY_PART_SIZE).max(needed),
    };
    let content_type = head.headers.get(header::CONTENT_TYPE);
    let metadata = head
        .headers
        .iter()
        .filter(|(name, _)| {
            STORED_HEADERS.contains(name) || name.as_str().starts_with("x-amz-meta-")
        })
        .collect();
    // No checksum algorithm: the bytes never leave S3, which gives the new object its default
    // checksum (CRC64NVME on AWS), not necessarily the source's.
    let create = CreateMultipartUpload {
        key: to,
        content_type,
        metadata,
        checksum: None,
    };
    let upload_id = s3
        .call(&create)
        .await
        .map_err(ClientError::of_own_request)?;
    let completed = match copy_parts(s3, from, to, &upload_id, plan, version).await {
        Ok(parts) => {
            let complete = CompleteMultipartUpload {
                key: to,
                upload_id: &upload_id,
                parts: &parts,
                condition: None,
                checksum: None,
            };
            s3.call(&complete)
                .await
                .map_err(ClientError::of_own_request)
        }
        Err(err) => Err(err),
    };
    if completed.is_err() {
        abort(s3, to, &upload_id).await;
    }
    completed
}

/// Has S3 copy every part of `plan`, [`PARTS_AT_ONCE`] at a time. After a failure no part is
/// started and those under way are waited for, so that the abort that follows finds every
/// part S3 will ever store (one still copying could be stored after it).
async fn copy_parts<C: HttpClient>(
    s3: &S3Call<'_, C>,
    from: &ObjectKey,
    to: &ObjectKey,
    upload_id: &str,
    plan: PartPlan,
    version: &str,
) -> Result<Vec<CompletedPart>, ClientError> {
    let mut waiting = (1..=plan.count()).filter_map(|part_number| {
        let range = plan.part_range(part_number)?;
        Some(async move {
            let part = UploadPartCopy {
                from,
                to,
                upload_id,
                part_number,
                range,
                source_etag: Some(version),
            };
            let etag = s3.call(&part).await.map_err(ClientError::of_own_request)?;
            Ok::<_, ClientError>(CompletedPart {
                part_number,
                etag,
                checksum: None,
            })
        })
    });
    // Unordered: a slot frees as soon as any part is done, not only the oldest one.
    let mut running = FuturesUnordered::new();
    let mut parts = Vec::new();
    let mut failed = None;
    loop {
        while failed.is_none() && running.len() < PARTS_AT_ONCE {
            match waiting.next() {
                Some(part) => running.push(part),
                None => break,
            }
        }
        match running.next().await {
            Some(Ok(part)) => parts.push(part),
            Some(Err(err)) => {
                failed.get_or_insert(err);
            }
            None => break,
        }
    }
    match failed {
        Some(err) => Err(err),
        None => {
            parts.sort_by_key(|part| part.part_number);
            Ok(parts)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::Body;
    use crate::outbound::TransportError;
    use crate::sigv4::SigningTime;
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    /// Answers like S3 from the request alone, and records what each request asked: method,
    /// path and query, and the copy's headers.
    struct Store {
        /// The source's HEAD headers.
        source: Vec<(&'static str, &'static str)>,
        seen: RefCell<Vec<String>>,
    }

    impl HttpClient for Store {
        async fn send(
            &self,
            request: http::Request<()>,
            _: Body,
        ) -> Result<http::Response<Body>, TransportError> {
            let shown = [
                "x-amz-copy-source",
                "x-amz-copy-source-range",
                "x-amz-copy-source-if-match",
                "if-match",
                "content-type",
                "content-disposition",
                "x-amz-meta-a",
                "x-amz-checksum-algorithm",
            ]
            .iter()
            .filter_map(|name| {
                Some(format!(
                    " {name}={}",
                    request.headers().get(*name)?.to_str().ok()?
                ))
            })
            .collect::<String>();
            let uri = request.uri().path_and_query().unwrap().to_string();
            let line = format!("{} {uri}{shown}", request.method());
            let (status, headers, body): (u16, Vec<(&str, &str)>, &str) =
                match (request.method().as_str(), uri.contains("?")) {
                    ("HEAD", _) => (200, self.source.clone(), ""),
                    ("POST", _) if uri.contains("?uploads") => (
                        200,
                        vec![],
                        "<InitiateMultipartUploadResult><UploadId>U</UploadId></InitiateMultipartUploadResult>",
                    ),
                    ("PUT", true) => (200, vec![], "<CopyPartResult><ETag>\"p\"</ETag></CopyPartResult>"),
                    ("PUT", false) => (200, vec![], "<CopyObjectResult><ETag>\"one\"</ETag></CopyObjectResult>"),
                    ("POST", true) => (
                        200,
                        vec![],
                        "<CompleteMultipartUploadResult><ETag>\"all-13\"</ETag></CompleteMultipartUploadResult>",
                    ),
                    _ => (500, vec![], ""),
                };
            self.seen.borrow_mut().push(line);
            let mut response = http::Response::builder().status(status);
            for (name, value) in headers {
                response = response.header(name, value);
            }
            Ok(response
                .body(Body::Bytes(body.as_bytes().to_vec()))
                .unwrap())
        }
    }

    /// Copies `a` to `b` with [`copy`] from a source with `source`'s HEAD headers.
    fn copy(source: Vec<(&'static str, &'static str)>) -> (String, Vec<String>) {
        let vars: BTreeMap<String, String> = [
            ("aws_region", "us-east-1"),
            ("aws_access_key_id", "AK"),
            ("aws_secret_access_key", "SK"),
            ("s3_bucket", "bkt"),
            ("s3_scheme", "http"),
            ("s3_host", "127.0.0.1:8014"),
            ("s3_path_style", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let store = Store {
            source,
            seen: RefCell::default(),
        };
        let cache = crate::cache::MemoryCache::default();
        let env = crate::env::FakeEnv::at(SigningTime::from_unix_seconds(1_700_000_000));
        let clock = crate::clock::Clock::new(&env, &cache);
        let etag = futures::executor::block_on(async {
            let s3 = S3Call::load(&vars, &store, &cache, &clock).await.unwrap();
            let (a, b) = (ObjectKey::new("a").unwrap(), ObjectKey::new("b").unwrap());
            super::copy(&s3, &a, &b).await.unwrap()
        });
        (etag, store.seen.take())
    }

    #[test]
    fn a_source_over_5_gib_is_copied_in_512_mib_parts_of_the_version_the_head_saw() {
        // 6 GiB and a byte: 12 parts of 512 MiB and one of a byte.
        let (etag, seen) = copy(vec![
            ("content-length", "6442450945"),
            ("etag", "\"src\""),
            ("content-type", "image/png"),
            ("content-disposition", "inline"),
            ("x-amz-meta-a", "1"),
        ]);
        assert_eq!(etag, "\"all-13\"");
        assert_eq!(seen.len(), 1 + 1 + 13 + 1, "{seen:#?}");
        assert_eq!(seen[0], "HEAD /bkt/a");
        assert_eq!(
            seen[1],
            "POST /bkt/b?uploads= content-type=image/png content-disposition=inline x-amz-meta-a=1"
        );
        let part = |n: usize, first: u64, last: u64| {
            format!(
                "PUT /bkt/b?partNumber={n}&uploadId=U x-amz-copy-source=/bkt/a x-amz-copy-source-range=bytes={first}-{last} x-amz-copy-source-if-match=\"src\""
            )
        };
        assert_eq!(seen[2], part(1, 0, (512 << 20) - 1));
        assert_eq!(seen[13], part(12, 11 * (512 << 20), 6 * (1 << 30) - 1));
        assert_eq!(seen[14], part(13, 6 * (1 << 30), 6 * (1 << 30)));
        assert_eq!(seen[15], "POST /bkt/b?uploadId=U");
    }

    #[test]
    fn if_match_names_an_etag_as_rfc_9110_compares() {
        assert!(if_match_names("*", "\"a\""));
        assert!(if_match_names("\"a\"", "\"a\""));
        assert!(if_match_names("a", "\"a\""));
        assert!(if_match_names("\"b\", \"a\"", "\"a\""));
        assert!(!if_match_names("W/\"a\"", "\"a\""));
        assert!(!if_match_names("\"b\"", "\"a\""));
    }

    #[test]
    fn a_source_of_5_gib_is_one_copy_object() {
        let (etag, seen) = copy(vec![("content-length", "5368709120"), ("etag", "\"src\"")]);
        assert_eq!(etag, "\"one\"");
        assert_eq!(seen, ["HEAD /bkt/a", "PUT /bkt/b x-amz-copy-source=/bkt/a"]);
    }
}
