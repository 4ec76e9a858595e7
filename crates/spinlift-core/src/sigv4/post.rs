//! Signing a browser form's POST policy (SigV4): the string to sign is the base64 policy
//! document itself, signed with the key of the credential scope the form names.
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-authentication-HTTPPOST.html>

use super::canonical::{push_scope, ALGORITHM};
use super::{Signer, SigningTime};

/// The form fields that name the signing credentials. The policy must hold each as an exact
/// condition, so they are known before the policy is written and signed.
#[derive(Clone, PartialEq, Eq)]
pub struct PostCredentials {
    /// `x-amz-algorithm`: `AWS4-HMAC-SHA256`.
    pub algorithm: &'static str,
    /// `x-amz-credential`: `<access key id>/<date>/<region>/s3/aws4_request`.
    pub credential: String,
    /// `x-amz-date`: `YYYYMMDDTHHMMSSZ`.
    pub date: String,
    /// `x-amz-security-token`, for temporary credentials.
    pub security_token: Option<String>,
}

impl std::fmt::Debug for PostCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostCredentials")
            .field("date", &self.date)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// The credential fields of a form signed at `time` for S3 in `region`.
    pub fn post_credentials(&self, time: SigningTime, region: &str) -> PostCredentials {
        let date = time.amz_date();
        let date = date.as_str();
        let credentials = &self.credentials;
        let mut credential = String::with_capacity(credentials.access_key_id.len() + 64);
        credential.push_str(&credentials.access_key_id);
        credential.push('/');
        push_scope(&mut credential, (&date[..8], region, "s3"));
        PostCredentials {
            algorithm: ALGORITHM,
            credential,
            date: date.to_owned(),
            security_token: credentials.session_token.clone(),
        }
    }

    /// `x-amz-signature` of the base64 policy document `policy`, for a form signed at `time`
    /// for S3 in `region`: lowercase hex.
    pub fn sign_post_policy(&self, time: SigningTime, region: &str, policy: &str) -> String {
        let date = time.amz_date();
        let scope = (&date.as_str()[..8], region, "s3");
        self.keys
            .sign(&self.credentials.secret_access_key, scope, policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::Credentials;

    /// The S3 documentation's POST example ("Example: Browser-Based Upload using HTTP POST
    /// (Using AWS Signature Version 4)"): its base64 policy and the signature it states.
    #[test]
    fn the_documented_post_policy_signature() {
        let policy =
            "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6\
            IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRo\
            IiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAg\
            IHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5h\
            bWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwg\
            IiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUx\
            MjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0s\
            DQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16\
            LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3\
            czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwN\
            CiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";
        let signer = Signer::new(Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        });
        // 2015-12-29T00:00:00Z, the example's x-amz-date.
        let time = SigningTime::from_unix_seconds(1_451_347_200);
        let fields = signer.post_credentials(time, "us-east-1");
        assert_eq!(
            fields.credential,
            "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"
        );
        assert_eq!(
            (fields.algorithm, fields.date.as_str()),
            ("AWS4-HMAC-SHA256", "20151229T000000Z")
        );
        assert_eq!(
            signer.sign_post_policy(time, "us-east-1", policy),
            "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
        );
        assert!(!format!("{fields:?}").contains("AKIA"));
    }
}
