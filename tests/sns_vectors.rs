//! SNS signature verification against messages signed by openssl (`tests/vectors/sns/`,
//! made by its `generate.py`): the valid ones pass, and every tampering is refused.

use serde_json::Value;
use spinlift::events::sns::{SigningCert, SnsError, SnsMessage, SnsMessageType, SnsOrigin};
use spinlift::events::{decode, decode_sns_message, Delivery};

fn vector(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/vectors/sns/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json(name: &str) -> Value {
    serde_json::from_slice(&vector(name)).unwrap()
}

fn cert() -> SigningCert {
    SigningCert::from_pem(&vector("cert.pem")).unwrap()
}

fn message(value: Value) -> SnsMessage {
    SnsMessage::from_value(value, None).unwrap()
}

const MESSAGES: [(&str, SnsMessageType); 4] = [
    ("notification-v1.json", SnsMessageType::Notification),
    (
        "notification-v2-no-subject.json",
        SnsMessageType::Notification,
    ),
    (
        "subscription-confirmation-v2.json",
        SnsMessageType::SubscriptionConfirmation,
    ),
    (
        "unsubscribe-confirmation-v1.json",
        SnsMessageType::UnsubscribeConfirmation,
    ),
];

#[test]
fn openssl_signed_messages_verify() {
    let cert = cert();
    let origin = SnsOrigin::parse("https://sns.us-east-1.amazonaws.com").unwrap();
    for (name, kind) in MESSAGES {
        let body = vector(name);
        let Delivery::Sns(message) = decode(&body, Some(kind_name(kind))).unwrap() else {
            panic!("{name} is not recognised as SNS");
        };
        assert_eq!(message.kind(), kind, "{name}");
        assert_eq!(message.verify(&cert), Ok(()), "{name}");
        let cert_url = message.required("SigningCertURL").unwrap();
        assert_eq!(origin.check_cert_url(cert_url), Ok(()), "{name}");
    }
    let confirmation = message(json("subscription-confirmation-v2.json"));
    let subscribe = confirmation.required("SubscribeURL").unwrap();
    assert_eq!(origin.check_subscribe_url(subscribe), Ok(()));
}

#[test]
fn a_notification_carries_the_s3_event() {
    let notification = message(json("notification-v1.json"));
    let (events, others) = decode_sns_message(notification.required("Message").unwrap()).unwrap();
    assert!(others.is_empty());
    // powertools s3Event.json: one ObjectCreated:Put of b21b84d653bb07b05b1e6b33684dc11b.
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].key, "b21b84d653bb07b05b1e6b33684dc11b");
    assert_eq!(events[0].bucket, "lambda-artifacts-deafc19498e3f2df");
    let test_event = message(json("notification-v2-no-subject.json"));
    let (events, others) = decode_sns_message(test_event.required("Message").unwrap()).unwrap();
    assert!(
        events.is_empty() && others.is_empty(),
        "the s3:TestEvent has no records"
    );
}

#[test]
fn any_changed_byte_breaks_the_signature() {
    let cert = cert();
    for (name, _) in MESSAGES {
        let original = json(name);
        let covered: Vec<String> = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn"]
            .into_iter()
            .chain(["Token", "SubscribeURL"])
            .filter(|field| original.get(*field).is_some())
            .map(str::to_owned)
            .collect();
        for field in covered {
            let mut tampered = original.clone();
            let value = tampered[&field].as_str().unwrap().to_owned();
            let mut bytes = value.into_bytes();
            let last = bytes.len() - 1;
            bytes[last] ^= 0x01;
            tampered[&field] = Value::String(String::from_utf8(bytes).unwrap());
            assert_eq!(
                message(tampered).verify(&cert),
                Err(SnsError::BadSignature),
                "{name}: {field}"
            );
        }
        let mut signature = original.clone();
        let mut sig = signature["Signature"].as_str().unwrap().to_owned();
        sig.replace_range(10..11, if &sig[10..11] == "A" { "B" } else { "A" });
        signature["Signature"] = Value::String(sig);
        assert_eq!(
            message(signature).verify(&cert),
            Err(SnsError::BadSignature),
            "{name}: Signature"
        );
    }
}

#[test]
fn a_signature_only_verifies_under_its_own_version() {
    let cert = cert();
    for (name, version, other) in [
        ("notification-v1.json", "1", "2"),
        ("notification-v2-no-subject.json", "2", "1"),
    ] {
        let mut swapped = json(name);
        assert_eq!(swapped["SignatureVersion"], version);
        swapped["SignatureVersion"] = Value::String(other.into());
        assert_eq!(
            message(swapped).verify(&cert),
            Err(SnsError::BadSignature),
            "{name}"
        );
    }
    for unknown in ["3", "0", ""] {
        let mut message_v = json("notification-v1.json");
        message_v["SignatureVersion"] = Value::String(unknown.into());
        assert_eq!(
            message(message_v).verify(&cert),
            Err(SnsError::UnsupportedVersion)
        );
    }
}

#[test]
fn missing_fields_are_refused_by_name() {
    let cert = cert();
    for (name, field) in [
        ("notification-v1.json", "Signature"),
        ("notification-v1.json", "SignatureVersion"),
        ("notification-v1.json", "Message"),
        ("notification-v1.json", "Timestamp"),
        ("subscription-confirmation-v2.json", "Token"),
        ("subscription-confirmation-v2.json", "SubscribeURL"),
    ] {
        let mut value = json(name);
        value.as_object_mut().unwrap().remove(field);
        assert_eq!(
            message(value).verify(&cert),
            Err(SnsError::MissingField(field)),
            "{name}: {field}"
        );
    }
    // Subject is optional, but dropping it from a message signed with it breaks the signature.
    let mut no_subject = json("notification-v1.json");
    no_subject.as_object_mut().unwrap().remove("Subject");
    assert_eq!(
        message(no_subject).verify(&cert),
        Err(SnsError::BadSignature)
    );
}

#[test]
fn a_real_sns_certificate_is_read_and_only_verifies_its_own_key() {
    // Amazon's certificate for sns.amazonaws.com (2022), with its real extensions and SCTs.
    let aws = SigningCert::from_pem(&vector("aws-sns-cert-2022.pem")).unwrap();
    let signed_by_test_key = message(json("notification-v2-no-subject.json"));
    assert_eq!(signed_by_test_key.verify(&aws), Err(SnsError::BadSignature));
}

#[test]
fn other_keys_and_non_rsa_certificates_are_refused() {
    assert_eq!(
        SigningCert::from_pem(&vector("ec-cert.pem")).unwrap_err(),
        SnsError::BadCertificate
    );
    // The key file is PEM but not a certificate.
    assert_eq!(
        SigningCert::from_pem(&vector("key.pem")).unwrap_err(),
        SnsError::BadCertificate
    );
}

fn kind_name(kind: SnsMessageType) -> &'static str {
    match kind {
        SnsMessageType::Notification => "Notification",
        SnsMessageType::SubscriptionConfirmation => "SubscriptionConfirmation",
        SnsMessageType::UnsubscribeConfirmation => "UnsubscribeConfirmation",
    }
}
