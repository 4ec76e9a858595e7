//! STS: GetCallerIdentity (who the credentials are) and AssumeRole (temporary credentials,
//! the Spin equivalent of a Lambda execution role). Query protocol, version 2011-06-15.

use super::protocol::{query_answer, query_request};
use super::{AwsError, Endpoint, Operation, Service};
use crate::sigv4::SigningTime;
use crate::xml::XmlError;
use http::{HeaderMap, Request, StatusCode};

const VERSION: &str = "2011-06-15";

/// `GetCallerIdentity`.
#[derive(Debug, Clone, Copy, Default)]
pub struct GetCallerIdentity;

/// Who signed the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    /// The account id.
    pub account: String,
    /// The ARN of the user or assumed role.
    pub arn: String,
    /// The unique id of the principal.
    pub user_id: String,
}

impl Operation for GetCallerIdentity {
    const SERVICE: Service = Service::Sts;
    const IAM_ACTIONS: &'static [&'static str] = &[];
    type Output = CallerIdentity;
    const IDEMPOTENT: bool = true;

    fn request(&self, endpoint: &Endpoint) -> Request<Vec<u8>> {
        query_request(endpoint, "GetCallerIdentity", VERSION, &[])
    }

    fn parse(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<CallerIdentity, AwsError> {
        query_answer(status, headers, body, "GetCallerIdentityResult", |result| {
            Ok(CallerIdentity {
                account: result.required("Account")?.to_owned(),
                arn: result.required("Arn")?.to_owned(),
                user_id: result.required("UserId")?.to_owned(),
            })
        })
    }
}

/// `AssumeRole`.
#[derive(Debug, Clone)]
pub struct AssumeRole<'a> {
    /// The role to assume.
    pub role_arn: &'a str,
    /// A name for the session, shown in CloudTrail.
    pub session_name: &'a str,
    /// Lifetime in seconds (900 to the role's maximum).
    pub duration_seconds: u32,
}

/// Temporary credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionCredentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token, sent with every signed call.
    pub session_token: String,
    /// When they expire, as STS writes it (`2026-11-23T07:00:00Z`).
    pub expiration: String,
}

impl std::fmt::Debug for SessionCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

impl SessionCredentials {
    /// The form they are cached in: a JSON object with STS's element names.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::json!({
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "SessionToken": self.session_token,
            "Expiration": self.expiration,
        })
        .to_string()
        .into_bytes()
    }

    /// Reads [`Self::to_json`]'s form; `None` for anything else. By hand, not serde's derive:
    /// a derived type decoded from JSON costs a component tens of KB (`events::fields`).
    pub fn from_json(bytes: &[u8]) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
        let field = |name: &str| value.get(name)?.as_str().map(str::to_owned);
        Some(Self {
            access_key_id: field("AccessKeyId")?,
            secret_access_key: field("SecretAccessKey")?,
            session_token: field("SessionToken")?,
            expiration: field("Expiration")?,
        })
    }

    /// The expiry as seconds since the epoch; `None` when STS wrote something else.
    pub fn expires_at(&self) -> Option<u64> {
        // `YYYY-MM-DDTHH:MM:SS` then `Z` or fractions: the same instant as `YYYYMMDDTHHMMSSZ`.
        let head = self.expiration.get(..19)?;
        let compact: String = head.chars().filter(|c| !matches!(c, '-' | ':')).collect();
        SigningTime::parse_amz_date(&format!("{compact}Z")).map(SigningTime::unix_seconds)
    }

    /// Whether they are still good at `now` with `margin` seconds to spare.
    pub fn fresh_at(&self, now: SigningTime, margin: u64) -> bool {
        self.expires_at()
            .is_some_and(|expiry| now.unix_seconds() + margin < expiry)
    }
}

impl Operation for AssumeRole<'_> {
    const SERVICE: Service = Service::Sts;
    const IAM_ACTIONS: &'static [&'static str] = &["sts:AssumeRole"];
    type Output = SessionCredentials;
    const IDEMPOTENT: bool = true;

    fn request(&self, endpoint: &Endpoint) -> Request<Vec<u8>> {
        let params = [
            ("RoleArn", self.role_arn.to_owned()),
            ("RoleSessionName", self.session_name.to_owned()),
            ("DurationSeconds", self.duration_seconds.to_string()),
        ]
        .map(|(name, value)| (name.to_owned(), value));
        query_request(endpoint, "AssumeRole", VERSION, &params)
    }

    fn parse(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<SessionCredentials, AwsError> {
        query_answer(status, headers, body, "AssumeRoleResult", |result| {
            let credentials = result
                .child("Credentials")
                .ok_or_else(|| XmlError::new("the answer has no <Credentials>"))?;
            Ok(SessionCredentials {
                access_key_id: credentials.required("AccessKeyId")?.to_owned(),
                secret_access_key: credentials.required("SecretAccessKey")?.to_owned(),
                session_token: credentials.required("SessionToken")?.to_owned(),
                expiration: credentials.required("Expiration")?.to_owned(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::Service;

    fn endpoint() -> Endpoint {
        Endpoint::new(
            Service::Sts,
            "https://sts.us-east-1.amazonaws.com",
            "us-east-1",
        )
        .unwrap()
    }

    #[test]
    fn parses_the_documented_answers() {
        // The examples of the STS API reference.
        let identity =
            br#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
   <Arn>arn:aws:iam::123456789012:user/Alice</Arn>
    <UserId>AKIAI44QH8DHBEXAMPLE</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>"#;
        let identity =
            GetCallerIdentity::parse(StatusCode::OK, &HeaderMap::new(), identity).unwrap();
        assert_eq!(identity.account, "123456789012");
        assert_eq!(identity.arn, "arn:aws:iam::123456789012:user/Alice");
        let assumed = br#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>Alice</SourceIdentity>
    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn><AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId></AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764</SessionToken>
      <Expiration>2019-11-09T13:34:41Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>"#;
        let creds = AssumeRole::parse(StatusCode::OK, &HeaderMap::new(), assumed).unwrap();
        assert_eq!(creds.access_key_id, "ASIAIOSFODNN7EXAMPLE");
        assert_eq!(creds.expires_at(), Some(1_573_306_481));
        let before = SigningTime::from_unix_seconds(1_573_306_481 - 600);
        assert!(creds.fresh_at(before, 300));
        assert!(!creds.fresh_at(before, 600));
        assert!(
            !format!("{creds:?}").contains("wJalr"),
            "Debug hides the secret"
        );
    }

    #[test]
    fn cached_sessions_read_back_and_anything_else_is_none() {
        let session = SessionCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "secret".into(),
            session_token: "token".into(),
            expiration: "2026-11-23T07:00:00Z".into(),
        };
        assert_eq!(
            SessionCredentials::from_json(&session.to_json()),
            Some(session.clone())
        );
        // The form serde's derive wrote before (STS's names), still in caches after an upgrade.
        let earlier = br#"{"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"secret","SessionToken":"token","Expiration":"2026-11-23T07:00:00Z"}"#;
        assert_eq!(SessionCredentials::from_json(earlier), Some(session));
        for other in [
            &b"not json"[..],
            b"{}",
            br#"{"AccessKeyId":"A","SecretAccessKey":"s","SessionToken":7,"Expiration":"e"}"#,
        ] {
            assert_eq!(SessionCredentials::from_json(other), None);
        }
    }

    #[test]
    fn builds_query_requests() {
        let request = AssumeRole {
            role_arn: "arn:aws:iam::123456789012:role/demo",
            session_name: "spinlift",
            duration_seconds: 900,
        }
        .request(&endpoint());
        assert_eq!(request.uri(), "https://sts.us-east-1.amazonaws.com/");
        assert_eq!(
            String::from_utf8(request.body().clone()).unwrap(),
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo\
             &RoleSessionName=spinlift&DurationSeconds=900"
        );
        assert_eq!(
            request.headers()["content-type"],
            "application/x-www-form-urlencoded; charset=utf-8"
        );
    }
}
