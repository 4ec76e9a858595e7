//! The signing debugger: prints our canonical request, string to sign and signature for one
//! request, to compare with what S3 returns in a `SignatureDoesNotMatch` error.
//!
//! ```text
//! cargo run --example sign < request.json
//! ```
//! Input: `{"method","url","headers":{..},"body","region","service","access_key","secret_key",
//! "session_token"?,"timestamp":"YYYYMMDDTHHMMSSZ","mode":"header"|"presign","expires"?}`.
//! Output (header): `{"canonical_request","string_to_sign","authorization","headers":{..}}`;
//! output (presign): `{"canonical_request","string_to_sign","url"}`.

use serde::Deserialize;
use serde_json::{json, Map, Value};
use spinlift::sigv4::{
    Credentials, Payload, SignableRequest, SignatureLocation, Signer, SigningParams,
    SigningSettings, SigningTime,
};
use std::collections::BTreeMap;
use std::io::Read;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    method: String,
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: String,
    region: String,
    service: String,
    access_key: String,
    secret_key: String,
    session_token: Option<String>,
    timestamp: String,
    mode: Mode,
    expires: Option<u64>,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Mode {
    Header,
    Presign,
}

/// Signs the request described by `input` (JSON) and returns the JSON report.
fn run(input: &str) -> Result<Value, String> {
    let input: Input =
        serde_json::from_str(input).map_err(|e| format!("invalid request description: {e}"))?;
    let uri: http::Uri = input.url.parse().map_err(|e| format!("invalid url: {e}"))?;
    let time = SigningTime::parse_amz_date(&input.timestamp)
        .ok_or("invalid timestamp: use YYYYMMDDTHHMMSSZ, e.g. 20130524T000000Z")?;
    let s3 = input.service == "s3";
    let location = match input.mode {
        Mode::Header => SignatureLocation::Headers,
        Mode::Presign => SignatureLocation::QueryParams {
            expires_in: input
                .expires
                .ok_or("presign mode needs \"expires\" (seconds)")?,
        },
    };
    // S3 presigned URLs do not cover the body; everything else signs its SHA-256.
    let payload = if s3 && input.mode == Mode::Presign {
        Payload::Unsigned
    } else {
        Payload::Bytes(input.body.as_bytes())
    };
    let request = SignableRequest {
        method: &input.method,
        uri: &uri,
        headers: input
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect(),
        payload,
    };
    let signer = Signer::new(Credentials {
        access_key_id: input.access_key.clone(),
        secret_access_key: input.secret_key.clone(),
        session_token: input.session_token.clone().filter(|t| !t.is_empty()),
    });
    let params = SigningParams {
        region: &input.region,
        service: &input.service,
        time,
        settings: if s3 {
            SigningSettings::s3()
        } else {
            SigningSettings::standard()
        },
        location,
    };
    let out = signer.sign(&request, &params).map_err(|e| e.to_string())?;
    let mut report = json!({
        "canonical_request": out.canonical_request.to_string(),
        "string_to_sign": out.string_to_sign.to_string(),
    });
    match input.mode {
        Mode::Header => {
            let mut headers = Map::new();
            for (name, value) in out
                .headers()
                .iter()
                .filter(|(name, _)| *name != "authorization")
            {
                headers.insert((*name).to_owned(), Value::String(value.clone()));
            }
            report["authorization"] = json!(out.authorization());
            report["headers"] = Value::Object(headers);
        }
        Mode::Presign => report["url"] = json!(out.presigned_url(&uri)),
    }
    Ok(report)
}

fn main() {
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("error: cannot read stdin: {e}");
        std::process::exit(2);
    }
    match run(&input) {
        Ok(report) => println!("{}", serde_json::to_string_pretty(&report).expect("json")),
        Err(message) => {
            eprintln!("error: {message}");
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The S3 API reference's worked examples (sig-v4-header-based-auth.html "GET Object",
    // sigv4-query-string-auth.html "An Example"), with the documentation's example keys.
    const DOC_KEYS: &str = r#""region":"us-east-1","service":"s3","access_key":"AKIAIOSFODNN7EXAMPLE",
        "secret_key":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","timestamp":"20130524T000000Z""#;

    #[test]
    fn header_mode_reports_every_stage_of_the_s3_get_example() {
        let input = format!(
            r#"{{"method":"GET","url":"https://examplebucket.s3.amazonaws.com/test.txt",
            "headers":{{"Range":"bytes=0-9"}},"body":"","mode":"header",{DOC_KEYS}}}"#
        );
        let report = run(&input).unwrap();
        assert_eq!(
            report["authorization"],
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
        assert_eq!(report["headers"]["x-amz-date"], "20130524T000000Z");
        assert_eq!(
            report["headers"]["x-amz-content-sha256"],
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(report["canonical_request"]
            .as_str()
            .unwrap()
            .starts_with("GET\n/test.txt\n\nhost:examplebucket"));
        assert!(report["string_to_sign"]
            .as_str()
            .unwrap()
            .ends_with("7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"));
    }

    #[test]
    fn presign_mode_reports_the_documented_url() {
        let input = format!(
            r#"{{"method":"GET","url":"https://examplebucket.s3.amazonaws.com/test.txt","mode":"presign","expires":86400,{DOC_KEYS}}}"#
        );
        let report = run(&input).unwrap();
        assert_eq!(
            report["url"],
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
             &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
        assert!(report.get("authorization").is_none());
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        assert!(run("{")
            .unwrap_err()
            .starts_with("invalid request description"));
        let bad_time = format!(
            r#"{{"method":"GET","url":"https://h/","mode":"header",{}}}"#,
            DOC_KEYS.replace("20130524T000000Z", "2013-05-24")
        );
        assert!(run(&bad_time).unwrap_err().starts_with("invalid timestamp"));
        let no_expiry =
            format!(r#"{{"method":"GET","url":"https://h/","mode":"presign",{DOC_KEYS}}}"#);
        assert!(run(&no_expiry).unwrap_err().contains("expires"));
        let too_long = format!(
            r#"{{"method":"GET","url":"https://h/","mode":"presign","expires":604801,{DOC_KEYS}}}"#
        );
        assert!(run(&too_long).unwrap_err().contains("1 to 604800"));
    }
}
