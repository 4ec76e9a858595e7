//! SNS HTTP/S deliveries: the message, the string SNS signs, and the checks that prove the
//! message came from SNS. Pure: fetching the certificate and confirming subscriptions are
//! done by the route.
//!
//! The rules are AWS's ("Verifying the signatures of Amazon SNS messages", SNS developer guide):
//! the signature covers a fixed list of fields per message type, each written `Name\nvalue\n` in
//! that order; SignatureVersion 1 is SHA1withRSA and 2 is SHA256withRSA, with the public key of
//! the X.509 certificate at `SigningCertURL`. That URL, and the `SubscribeURL` spinlift visits,
//! must be on the configured SNS origin, so a message cannot point the component anywhere else.

#[cfg(feature = "sns-verify")]
use base64ct::{Base64, Encoding};
#[cfg(feature = "sns-verify")]
use rsa::pkcs1v15::Pkcs1v15Sign;
#[cfg(feature = "sns-verify")]
use rsa::pkcs8::DecodePublicKey;
#[cfg(feature = "sns-verify")]
use rsa::PublicKey;
use serde_json::{Map, Value};
#[cfg(feature = "sns-verify")]
use sha1::Sha1;
#[cfg(feature = "sns-verify")]
use sha2::{Digest, Sha256};
use std::fmt;
#[cfg(feature = "sns-verify")]
use x509_cert::der::{DecodePem, Encode};
#[cfg(feature = "sns-verify")]
use x509_cert::Certificate;

/// The kinds of SNS message an HTTP/S subscriber receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnsMessageType {
    /// A published message; `Message` holds the payload (here, an S3 event).
    Notification,
    /// Sent once when the subscription is created; confirmed by visiting `SubscribeURL`.
    SubscriptionConfirmation,
    /// Sent when the subscription is deleted; nothing to do but note it.
    UnsubscribeConfirmation,
}

impl SnsMessageType {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "Notification" => Some(Self::Notification),
            "SubscriptionConfirmation" => Some(Self::SubscriptionConfirmation),
            "UnsubscribeConfirmation" => Some(Self::UnsubscribeConfirmation),
            _ => None,
        }
    }

    /// The fields the signature covers, in signing order. Optional ones (`Subject`) are
    /// skipped when absent; every other one must be present.
    fn signed_fields(self) -> &'static [&'static str] {
        match self {
            Self::Notification => &[
                "Message",
                "MessageId",
                "Subject",
                "Timestamp",
                "TopicArn",
                "Type",
            ],
            Self::SubscriptionConfirmation | Self::UnsubscribeConfirmation => &[
                "Message",
                "MessageId",
                "SubscribeURL",
                "Timestamp",
                "Token",
                "TopicArn",
                "Type",
            ],
        }
    }
}

/// An SNS message as delivered over HTTP/S, not yet verified.
#[derive(Debug, Clone, PartialEq)]
pub struct SnsMessage {
    kind: SnsMessageType,
    fields: Map<String, Value>,
}

/// Why an SNS delivery is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnsError {
    /// Not an SNS message at all (no or unknown `Type`, or header and body disagree): 400.
    Malformed(String),
    /// A field the signature needs is missing or not a string: 403.
    MissingField(&'static str),
    /// `SignatureVersion` is neither 1 nor 2: 403.
    UnsupportedVersion,
    /// `SigningCertURL` or `SubscribeURL` is not on the SNS origin: 403.
    ForeignUrl(&'static str),
    /// The signature does not verify with the certificate's key: 403.
    BadSignature,
    /// The certificate is not a PEM X.509 certificate with an RSA key: 502 (SNS's side).
    BadCertificate,
}

impl fmt::Display for SnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(why) => f.write_str(why),
            Self::MissingField(name) => {
                write!(f, "the SNS message has no {name}, which verification needs")
            }
            Self::UnsupportedVersion => f.write_str("SignatureVersion must be 1 or 2"),
            Self::ForeignUrl(field) => write!(
                f,
                "{field} is not an SNS URL on the configured origin (variable sns_cert_origin)"
            ),
            Self::BadSignature => f.write_str("the SNS message signature does not verify"),
            Self::BadCertificate => {
                f.write_str("the SNS signing certificate is not an X.509 RSA certificate")
            }
        }
    }
}

impl std::error::Error for SnsError {}

impl SnsMessage {
    /// Reads a delivery body. `header_type` is `x-amz-sns-message-type`, which SNS sends
    /// and which must agree with the body's `Type`.
    ///
    /// # Errors
    /// [`SnsError::Malformed`] when the body is not an object with a known `Type`.
    pub fn from_value(value: Value, header_type: Option<&str>) -> Result<Self, SnsError> {
        let Value::Object(fields) = value else {
            return Err(SnsError::Malformed(
                "an SNS message is a JSON object".into(),
            ));
        };
        let body_type = fields.get("Type").and_then(Value::as_str);
        if let (Some(header), Some(body)) = (header_type, body_type) {
            if header != body {
                return Err(SnsError::Malformed(format!(
                    "x-amz-sns-message-type {header} does not match the body's Type {body}"
                )));
            }
        }
        let name = body_type.or(header_type).unwrap_or_default();
        let kind = SnsMessageType::parse(name).ok_or_else(|| {
            SnsError::Malformed(format!(
                "unknown SNS message Type {name:?}; expected Notification, \
                 SubscriptionConfirmation or UnsubscribeConfirmation"
            ))
        })?;
        Ok(Self { kind, fields })
    }

    /// The message type.
    pub fn kind(&self) -> SnsMessageType {
        self.kind
    }

    /// A string field, if present.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str)
    }

    /// A string field that must be present.
    ///
    /// # Errors
    /// [`SnsError::MissingField`] naming it.
    pub fn required(&self, name: &'static str) -> Result<&str, SnsError> {
        self.field(name).ok_or(SnsError::MissingField(name))
    }

    /// The exact text SNS signed for this message.
    ///
    /// # Errors
    /// A covered field is missing (only a Notification's `Subject` may be).
    pub fn string_to_sign(&self) -> Result<String, SnsError> {
        let mut text = String::new();
        for &name in self.kind.signed_fields() {
            let value = match (name, self.field(name)) {
                (_, Some(value)) => value,
                ("Subject", None) => continue,
                (_, None) => return Err(SnsError::MissingField(name)),
            };
            for part in [name, "\n", value, "\n"] {
                text.push_str(part);
            }
        }
        Ok(text)
    }

    /// Checks the signature against `cert`, the certificate at `SigningCertURL`.
    ///
    /// # Errors
    /// A missing field, an unknown `SignatureVersion`, or a signature that does not verify.
    #[cfg(feature = "sns-verify")]
    pub fn verify(&self, cert: &SigningCert) -> Result<(), SnsError> {
        let version = self.required("SignatureVersion")?;
        let signature =
            Base64::decode_vec(self.required("Signature")?).map_err(|_| SnsError::BadSignature)?;
        let text = self.string_to_sign()?;
        let verified = match version {
            "1" => cert.0.verify(
                Pkcs1v15Sign::new::<Sha1>(),
                &Sha1::digest(text.as_bytes()),
                &signature,
            ),
            "2" => cert.0.verify(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(text.as_bytes()),
                &signature,
            ),
            _ => return Err(SnsError::UnsupportedVersion),
        };
        verified.map_err(|_| SnsError::BadSignature)
    }
}

/// The origin (`scheme://host[:port]`) SNS serves certificates and confirmations from, e.g.
/// `https://sns.us-east-1.amazonaws.com`. One variable feeds both this check and
/// `allowed_outbound_hosts`, so what is accepted is exactly what the component may fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsOrigin(String);

impl SnsOrigin {
    /// Parses an origin: `https`, a host, an optional port, no path. Plain `http` only for a
    /// loopback host (local tests): over a network it would let anyone on the path swap the
    /// certificate.
    pub fn parse(origin: &str) -> Option<Self> {
        let (scheme, authority) = origin.split_once("://")?;
        let authority_ok = !authority.is_empty()
            && authority
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:".contains(&b));
        let host = authority.split(':').next().unwrap_or_default();
        let loopback = host == "127.0.0.1" || host.eq_ignore_ascii_case("localhost");
        let scheme_ok = scheme == "https" || (scheme == "http" && loopback);
        (scheme_ok && authority_ok).then(|| Self(origin.to_ascii_lowercase()))
    }

    /// The origin as configured.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Accepts a `SigningCertURL`: `<origin>/<name>.pem`, the name one plain path segment.
    ///
    /// # Errors
    /// [`SnsError::ForeignUrl`] for anything else (other hosts, look-alike hosts such as
    /// `<origin>.evil.example`, user info, queries, nested paths).
    pub fn check_cert_url(&self, url: &str) -> Result<(), SnsError> {
        let name = url
            .strip_prefix(self.0.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
            .ok_or(SnsError::ForeignUrl("SigningCertURL"))?;
        let plain = name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        match plain && name.len() > ".pem".len() && name.ends_with(".pem") && !name.contains("..") {
            true => Ok(()),
            false => Err(SnsError::ForeignUrl("SigningCertURL")),
        }
    }

    /// Accepts a `SubscribeURL`: `<origin>/?Action=ConfirmSubscription&...`.
    ///
    /// # Errors
    /// [`SnsError::ForeignUrl`] for any other URL.
    pub fn check_subscribe_url(&self, url: &str) -> Result<(), SnsError> {
        let query = url
            .strip_prefix(self.0.as_str())
            .and_then(|rest| rest.strip_prefix("/?"))
            .ok_or(SnsError::ForeignUrl("SubscribeURL"))?;
        let confirms = query.split('&').any(|p| p == "Action=ConfirmSubscription");
        match confirms && !query.contains('#') {
            true => Ok(()),
            false => Err(SnsError::ForeignUrl("SubscribeURL")),
        }
    }
}

/// The public key of an SNS signing certificate.
#[cfg(feature = "sns-verify")]
#[derive(Debug, Clone)]
pub struct SigningCert(PublicKey);

#[cfg(feature = "sns-verify")]
impl SigningCert {
    /// Reads a PEM certificate. The certificate's authenticity comes from where it was fetched
    /// (HTTPS from the SNS origin), as AWS prescribes; only its key is used.
    ///
    /// # Errors
    /// [`SnsError::BadCertificate`] when it is not a PEM X.509 certificate with an RSA key.
    pub fn from_pem(pem: &[u8]) -> Result<Self, SnsError> {
        let cert = Certificate::from_pem(pem).map_err(|_| SnsError::BadCertificate)?;
        let spki = cert
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|_| SnsError::BadCertificate)?;
        PublicKey::from_public_key_der(&spki)
            .map(Self)
            .map_err(|_| SnsError::BadCertificate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn origin() -> SnsOrigin {
        SnsOrigin::parse("https://sns.us-east-1.amazonaws.com").unwrap()
    }

    #[test]
    fn the_string_to_sign_follows_the_documented_field_order() {
        let message = SnsMessage::from_value(
            json!({"Type": "Notification", "MessageId": "m", "TopicArn": "arn", "Message": "hi",
                   "Timestamp": "t", "SignatureVersion": "1", "UnsubscribeURL": "u"}),
            Some("Notification"),
        )
        .unwrap();
        assert_eq!(
            message.string_to_sign().unwrap(),
            "Message\nhi\nMessageId\nm\nTimestamp\nt\nTopicArn\narn\nType\nNotification\n"
        );
        let confirmation = SnsMessage::from_value(
            json!({"Type": "SubscriptionConfirmation", "MessageId": "m", "TopicArn": "arn",
                   "Message": "hi", "Timestamp": "t", "Token": "k", "SubscribeURL": "s"}),
            None,
        )
        .unwrap();
        assert_eq!(
            confirmation.string_to_sign().unwrap(),
            "Message\nhi\nMessageId\nm\nSubscribeURL\ns\nTimestamp\nt\nToken\nk\nTopicArn\narn\n\
             Type\nSubscriptionConfirmation\n"
        );
        let mut fields = confirmation.fields.clone();
        fields.remove("Token");
        let incomplete = SnsMessage::from_value(Value::Object(fields), None).unwrap();
        assert_eq!(
            incomplete.string_to_sign(),
            Err(SnsError::MissingField("Token"))
        );
    }

    #[test]
    fn the_type_must_be_known_and_agree_with_the_header() {
        let body = json!({"Type": "Notification"});
        assert!(matches!(
            SnsMessage::from_value(body.clone(), Some("SubscriptionConfirmation")),
            Err(SnsError::Malformed(_))
        ));
        assert!(matches!(
            SnsMessage::from_value(json!({"Type": "Nope"}), None),
            Err(SnsError::Malformed(_))
        ));
        assert!(matches!(
            SnsMessage::from_value(json!([]), Some("Notification")),
            Err(SnsError::Malformed(_))
        ));
        let from_header = SnsMessage::from_value(json!({}), Some("Notification")).unwrap();
        assert_eq!(from_header.kind(), SnsMessageType::Notification);
    }

    #[test]
    fn cert_urls_must_be_a_pem_file_on_the_origin() {
        let origin = origin();
        let good = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-01d088a6f77103d0fe307c0069e40ed6.pem";
        assert_eq!(origin.check_cert_url(good), Ok(()));
        for bad in [
            "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem",
            "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem",
            "https://sns.us-east-1.amazonaws.com@evil.example/cert.pem",
            "https://sns.us-east-1.amazonaws.com:8443/cert.pem",
            "https://sns.eu-west-1.amazonaws.com/cert.pem",
            "https://sns-us-east-1.s3.amazonaws.com/cert.pem",
            "https://sns.us-east-1.amazonaws.com/a/../cert.pem",
            "https://sns.us-east-1.amazonaws.com/dir/cert.pem",
            "https://sns.us-east-1.amazonaws.com/cert.pem?x=1",
            "https://sns.us-east-1.amazonaws.com/cert.pem#x",
            "https://sns.us-east-1.amazonaws.com/cert.txt",
            "https://sns.us-east-1.amazonaws.com/.pem",
            "https://sns.us-east-1.amazonaws.com/",
            "https://sns.us-east-1.amazonaws.com\\@evil.example/cert.pem",
            "https://sns.us-east-1.amazonaws.com/%2e%2e%2Fcert.pem",
            "https://sns.us-east-1.amazonaws.com/dir%2Fcert.pem",
            "https://sns.us-east-1.amazonaws.com/dir\\cert.pem",
            "HTTPS://SNS.US-EAST-1.AMAZONAWS.COM/cert.pem",
            "",
        ] {
            assert_eq!(
                origin.check_cert_url(bad),
                Err(SnsError::ForeignUrl("SigningCertURL")),
                "{bad}"
            );
        }
    }

    #[test]
    fn subscribe_urls_must_confirm_on_the_origin() {
        let origin = origin();
        let good = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:1:t&Token=abc";
        assert_eq!(origin.check_subscribe_url(good), Ok(()));
        for bad in [
            "https://evil.example/?Action=ConfirmSubscription&Token=abc",
            "https://sns.us-east-1.amazonaws.com.evil.example/?Action=ConfirmSubscription",
            "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
            "https://sns.us-east-1.amazonaws.com/path?Action=ConfirmSubscription",
            "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription#frag",
        ] {
            assert!(origin.check_subscribe_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn origins_are_scheme_and_authority_only() {
        assert!(SnsOrigin::parse("https://sns.us-east-1.amazonaws.com").is_some());
        assert!(SnsOrigin::parse("http://127.0.0.1:8015").is_some());
        assert!(SnsOrigin::parse("http://localhost:8015").is_some());
        for bad in [
            "http://sns.us-east-1.amazonaws.com",
            "http://127.0.0.1.evil.example",
            "sns.us-east-1.amazonaws.com",
            "ftp://sns.us-east-1.amazonaws.com",
            "https://sns.us-east-1.amazonaws.com/",
            "https://user@sns.us-east-1.amazonaws.com",
            "https://",
        ] {
            assert_eq!(SnsOrigin::parse(bad), None, "{bad}");
        }
    }

    #[test]
    #[cfg(feature = "sns-verify")]
    fn text_that_is_not_a_pem_certificate_is_refused() {
        assert_eq!(
            SigningCert::from_pem(b"not a pem").unwrap_err(),
            SnsError::BadCertificate
        );
    }
}
