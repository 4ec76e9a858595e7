//! Property test: on random requests our Authorization header and presigned URL equal, byte for
//! byte, those of the `aws-sigv4` crate (smithy-rs, the AWS SDK for Rust's signer), for S3 and
//! for a non-S3 service, with and without a session token.

use aws_sigv4::http_request::{
    sign as oracle_sign, PayloadChecksumKind, PercentEncodingMode, SignableBody,
    SignableRequest as OracleRequest, SignatureLocation as OracleLocation,
    SigningSettings as OracleSettings, UriPathNormalizationMode,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use spinlift::sigv4::{
    uri_encode, uri_encode_path, Credentials, Payload, SignableRequest, SignatureLocation, Signer,
    SigningParams, SigningSettings, SigningTime,
};
use std::time::{Duration, UNIX_EPOCH};

const CASES: u32 = 10_000;

#[derive(Debug, Clone)]
struct Case {
    https: bool,
    host: &'static str,
    key: String,
    strict_path_encoding: bool,
    query: Vec<(String, Option<String>)>,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    method: &'static str,
    region: &'static str,
    session_token: Option<String>,
    unix_seconds: u64,
    expires_in: u64,
}

/// Object keys with the characters that break signers: unicode, spaces, `+ % ~ * ' ( )`,
/// `//`, trailing `/`, dot segments, emoji.
fn key() -> impl Strategy<Value = String> {
    prop::string::string_regex("[a-zA-Z0-9 é日ሴ🚀😀+%~*'()!$&,;=:@._/-]{0,40}").unwrap()
}

fn text() -> impl Strategy<Value = String> {
    prop::string::string_regex("[a-zA-Z0-9 é日🚀+%~*'()/=&?#._-]{0,16}").unwrap()
}

/// Header values with odd whitespace: leading, trailing and inner runs of spaces, tabs.
fn header_value() -> impl Strategy<Value = String> {
    prop::string::string_regex(
        "[ \t]{0,3}[a-zA-Z0-9é;=,:/\"-]{0,6}( {1,4}[a-zA-Z0-9\t]{1,6}){0,3}[ \t]{0,3}",
    )
    .unwrap()
}

fn case() -> impl Strategy<Value = Case> {
    let query_name = prop::sample::select(vec![
        "a",
        "A",
        "prefix",
        "list-type",
        "x y",
        "ሴ",
        "",
        "max-keys",
        "continuation-token",
    ]);
    let header_name = prop::sample::select(vec![
        "x-amz-meta-a",
        "X-Amz-Meta-B",
        "content-type",
        "Content-Type",
        "x-custom",
        "range",
        "user-agent",
        "x-amz-meta-emoji",
    ]);
    (
        (
            any::<bool>(),
            prop::sample::select(vec![
                "examplebucket.s3.amazonaws.com",
                "127.0.0.1:9000",
                "dynamodb.eu-west-1.amazonaws.com",
                "localhost:443",
                "localhost:80",
            ]),
            key(),
            any::<bool>(),
        ),
        prop::collection::vec(
            (
                query_name.prop_map(str::to_owned),
                prop::option::weighted(0.85, text()),
            ),
            0..5,
        ),
        prop::collection::vec((header_name, header_value()), 0..5),
        prop::collection::vec(any::<u8>(), 0..64),
        (
            prop::sample::select(vec!["GET", "PUT", "POST", "DELETE", "HEAD"]),
            prop::sample::select(vec!["us-east-1", "eu-west-1", "ap-southeast-2"]),
        ),
        prop::option::of(prop::string::string_regex("[A-Za-z0-9/+=]{1,64}").unwrap()),
        (946_684_800u64..4_102_444_800, 1u64..=604_800),
    )
        .prop_map(
            |(
                (https, host, key, strict),
                query,
                headers,
                body,
                (method, region),
                session_token,
                (unix_seconds, expires_in),
            )| Case {
                https,
                host,
                key,
                strict_path_encoding: strict,
                query,
                headers,
                body,
                method,
                region,
                session_token,
                unix_seconds,
                expires_in,
            },
        )
}

/// Encodes only what a URI path cannot hold, leaving sub-delims, `:` and `@` raw, as many
/// clients do. Only used for the non-S3 service: S3 paths go on the wire strictly encoded.
fn lightly_encode_path(key: &str) -> String {
    let mut out = String::new();
    for c in key.chars() {
        if c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/".contains(c) {
            out.push(c);
        } else {
            out.push_str(&uri_encode(c.encode_utf8(&mut [0; 4])));
        }
    }
    out
}

impl Case {
    fn uri(&self, s3: bool) -> http::Uri {
        let path = if s3 || self.strict_path_encoding {
            uri_encode_path(&self.key)
        } else {
            lightly_encode_path(&self.key)
        };
        let query: Vec<String> = self
            .query
            .iter()
            .map(|(name, value)| match value {
                Some(value) => format!("{}={}", uri_encode(name), uri_encode(value)),
                None => uri_encode(name),
            })
            .collect();
        let scheme = if self.https { "https" } else { "http" };
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{}", query.join("&"))
        };
        format!("{scheme}://{}/{path}{query}", self.host)
            .parse()
            .expect("generated uri parses")
    }
}

/// Signs `case` with both signers and compares; `s3` picks the service and its rules.
fn compare(case: &Case, s3: bool, presign: bool) -> Result<(), TestCaseError> {
    let uri = case.uri(s3);
    let service = if s3 { "s3" } else { "dynamodb" };
    let headers: Vec<(&str, &str)> = case.headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let payload = if s3 && presign {
        Payload::Unsigned
    } else {
        Payload::Bytes(&case.body)
    };

    let ours = Signer::new(Credentials {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        session_token: case.session_token.clone(),
    })
    .sign(
        &SignableRequest {
            method: case.method,
            uri: &uri,
            headers: headers.clone(),
            payload,
        },
        &SigningParams {
            region: case.region,
            service,
            time: SigningTime::from_unix_seconds(case.unix_seconds),
            settings: if s3 {
                SigningSettings::s3()
            } else {
                SigningSettings::standard()
            },
            location: if presign {
                SignatureLocation::QueryParams {
                    expires_in: case.expires_in,
                }
            } else {
                SignatureLocation::Headers
            },
        },
    )
    .map_err(|e| TestCaseError::fail(format!("our signer refused: {e}")))?;

    let identity = aws_credential_types::Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        case.session_token.clone(),
        None,
        "oracle",
    )
    .into();
    let mut settings = OracleSettings::default();
    if s3 {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    if presign {
        settings.signature_location = OracleLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(case.expires_in));
    }
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(case.region)
        .name(service)
        .time(UNIX_EPOCH + Duration::from_secs(case.unix_seconds))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let body = match payload {
        Payload::Unsigned => SignableBody::UnsignedPayload,
        _ => SignableBody::Bytes(&case.body),
    };
    let oracle_request =
        OracleRequest::new(case.method, uri.to_string(), headers.into_iter(), body).unwrap();
    let (instructions, signature) = oracle_sign(oracle_request, &params).unwrap().into_parts();
    let mut signed = http::Request::builder().uri(uri.clone()).body(()).unwrap();
    instructions.apply_to_request_http1x(&mut signed);

    prop_assert_eq!(
        &ours.signature,
        &signature,
        "signature; canonical request:\n{}",
        ours.canonical_request
    );
    if presign {
        prop_assert_eq!(ours.presigned_url(&uri), signed.uri().to_string());
    } else {
        for (name, value) in ours.headers() {
            let oracle_value = signed.headers().get(*name).map(|v| v.to_str().unwrap());
            prop_assert_eq!(Some(value.as_str()), oracle_value, "header {}", name);
        }
        prop_assert_eq!(
            ours.headers().len(),
            signed.headers().len(),
            "same headers added"
        );
    }
    Ok(())
}

fn run(s3: bool) {
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let checked = std::sync::atomic::AtomicU32::new(0);
    runner
        .run(&case(), |case| {
            compare(&case, s3, false)?;
            compare(&case, s3, true)?;
            checked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let checked = checked.into_inner();
    assert!(checked >= CASES, "only {checked} cases ran");
    let service = if s3 { "s3" } else { "dynamodb (non-S3 rules)" };
    println!("aws-sigv4 oracle, {service}: {checked} random requests, Authorization header and presigned URL identical");
}

#[test]
fn matches_aws_sigv4_for_s3() {
    run(true);
}

#[test]
fn matches_aws_sigv4_for_a_non_s3_service() {
    run(false);
}
