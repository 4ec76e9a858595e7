//! The IO around an SNS delivery: fetching (and caching) the signing certificate, verifying,
//! visiting `SubscribeURL` to confirm a subscription. The rules themselves are in
//! [`crate::events::sns`].

use crate::body::Body;
use crate::cache::Cache;
use crate::config::{self, Variables};
use crate::env::{Env, LogStream};
use crate::error::{json_response, ApiError};
#[cfg(feature = "sns-verify")]
use crate::events::sns::SigningCert;
use crate::events::sns::{SnsError, SnsMessage, SnsMessageType, SnsOrigin};
use crate::outbound::{HttpClient, TransportError};
use http::{Request, Response, StatusCode};
use serde_json::json;

/// What a verified SNS message leads to.
pub enum Opened<'m> {
    /// A Notification: its `Message`, to handle as an S3 notification.
    Records(&'m str),
    /// A confirmation, already acted on: the answer to send.
    Answered(Response<Body>),
}

/// Verifies `message` and, for the allowed topics (`sns_topic_arns`, empty for any), acts
/// on its type: a Notification's `Message` is handed back, a SubscriptionConfirmation is
/// confirmed, an UnsubscribeConfirmation noted.
///
/// # Errors
/// As `verify` and `confirm`; 403 `sns_topic_not_allowed` for another topic.
pub async fn open<'m, C: HttpClient>(
    client: &C,
    env: &dyn Env,
    vars: &dyn Variables,
    cache: &dyn Cache,
    message: &'m SnsMessage,
) -> Result<Opened<'m>, ApiError> {
    let origin = config::sns_cert_origin(vars)?;
    verify(client, cache, &origin, message).await?;
    // TopicArn is signed: from here on it is SNS's word.
    let topic = message.required("TopicArn").map_err(refused)?;
    let allowed = config::sns_topic_arns(vars)?;
    if !allowed.is_empty() && !allowed.iter().any(|arn| arn == topic) {
        return Err(ApiError::Forbidden {
            code: "sns_topic_not_allowed",
            message: format!("topic {topic} is not in the variable sns_topic_arns"),
        });
    }
    let answer = match message.kind() {
        SnsMessageType::Notification => {
            return Ok(Opened::Records(
                message.required("Message").map_err(refused)?,
            ))
        }
        SnsMessageType::SubscriptionConfirmation => {
            let subscription = confirm(client, &origin, message).await?;
            env.log(
                LogStream::Operator,
                &format!("spinlift: confirmed SNS subscription {subscription} to {topic}"),
            );
            json!({"confirmed": {"topic_arn": topic, "subscription_arn": subscription}})
        }
        SnsMessageType::UnsubscribeConfirmation => {
            env.log(
                LogStream::Operator,
                &format!(
                    "spinlift: SNS unsubscribed this endpoint from {topic}; not re-subscribing"
                ),
            );
            json!({"unsubscribed": {"topic_arn": topic}})
        }
    };
    Ok(Opened::Answered(json_response(StatusCode::OK, &answer)))
}

/// SNS signing certificates are about 2 KiB of PEM.
#[cfg(feature = "sns-verify")]
const MAX_CERT_BYTES: usize = 64 << 10;
/// SNS's answers to ConfirmSubscription are small XML documents.
const MAX_ANSWER_BYTES: usize = 64 << 10;
/// Key prefix of cached certificates in the key-value store.
#[cfg(feature = "sns-verify")]
const CERT_CACHE_PREFIX: &str = "sns-cert:";

#[cfg(feature = "sns-verify")]
/// Proves `message` came from SNS: its certificate URL is on `origin` and its signature
/// verifies with that certificate (cached after the first fetch).
///
/// # Errors
/// 403 for a foreign URL, a missing field, an unknown version or a bad signature; 502 when
/// the certificate cannot be fetched or read.
async fn verify<C: HttpClient>(
    client: &C,
    cache: &dyn Cache,
    origin: &SnsOrigin,
    message: &SnsMessage,
) -> Result<(), ApiError> {
    let url = message.required("SigningCertURL").map_err(refused)?;
    origin.check_cert_url(url).map_err(refused)?;
    let cert = signing_cert(client, cache, url).await?;
    message.verify(&cert).map_err(refused)
}

/// Built without `sns-verify`: no SNS message can be proven, so none is accepted.
///
/// # Errors
/// Always 403 `sns_unverifiable`.
#[cfg(not(feature = "sns-verify"))]
async fn verify<C: HttpClient>(
    _: &C,
    _: &dyn Cache,
    _: &SnsOrigin,
    _: &SnsMessage,
) -> Result<(), ApiError> {
    Err(ApiError::Forbidden {
        code: "sns_unverifiable",
        message: "this component is built without SNS signature verification (spinlift's \
                  `sns-verify` feature); deliver events through EventBridge or raw S3 instead"
            .to_owned(),
    })
}

/// Confirms a verified SubscriptionConfirmation by one GET of its `SubscribeURL`.
/// Returns the subscription ARN SNS answers with.
///
/// # Errors
/// 403 when the URL is not on `origin`; 502 with SNS's error code when SNS refuses
/// (e.g. an expired token) or cannot be reached.
async fn confirm<C: HttpClient>(
    client: &C,
    origin: &SnsOrigin,
    message: &SnsMessage,
) -> Result<String, ApiError> {
    let url = message.required("SubscribeURL").map_err(refused)?;
    origin.check_subscribe_url(url).map_err(refused)?;
    let (status, body) = get(client, url, MAX_ANSWER_BYTES, "sns_confirm_failed").await?;
    let doc = crate::xml::parse(&body).ok();
    if !status.is_success() {
        let code = doc
            .as_ref()
            .and_then(|doc| doc.find("Code"))
            .map(|code| code.text.clone())
            .unwrap_or_else(|| "sns_confirm_failed".to_owned());
        return Err(ApiError::BadGateway {
            message: format!("SNS refused the subscription confirmation ({status} {code})"),
            code,
        });
    }
    doc.as_ref()
        .and_then(|doc| doc.at(&["ConfirmSubscriptionResult", "SubscriptionArn"]))
        .map(|arn| arn.text.clone())
        .ok_or_else(|| {
            bad_gateway(
                "sns_confirm_failed",
                "SNS's confirmation answer is not the expected XML",
            )
        })
}

#[cfg(feature = "sns-verify")]
async fn signing_cert<C: HttpClient>(
    client: &C,
    cache: &dyn Cache,
    url: &str,
) -> Result<SigningCert, ApiError> {
    let key = format!("{CERT_CACHE_PREFIX}{url}");
    if let Some(cert) = cache
        .get(&key)
        .and_then(|pem| SigningCert::from_pem(&pem).ok())
    {
        return Ok(cert);
    }
    let (status, pem) = get(client, url, MAX_CERT_BYTES, "sns_cert_unavailable").await?;
    if status != StatusCode::OK {
        return Err(bad_gateway(
            "sns_cert_unavailable",
            &format!("fetching the SNS signing certificate answered {status}"),
        ));
    }
    let cert = SigningCert::from_pem(&pem)
        .map_err(|err| bad_gateway("sns_cert_unavailable", &err.to_string()))?;
    cache.set(&key, &pem);
    Ok(cert)
}

/// One unsigned GET, its body read up to `limit`.
async fn get<C: HttpClient>(
    client: &C,
    url: &str,
    limit: usize,
    code: &str,
) -> Result<(StatusCode, Vec<u8>), ApiError> {
    let request = Request::get(url)
        .body(())
        .map_err(|_| bad_gateway(code, "the SNS URL is not a valid URI"))?;
    let unreachable = |err: TransportError| {
        bad_gateway(code, &format!("SNS could not be reached ({:?})", err.kind))
    };
    let response = client
        .send(request, Body::Empty)
        .await
        .map_err(unreachable)?;
    let status = response.status();
    let body = response
        .into_body()
        .collect(limit)
        .await
        .map_err(|err| bad_gateway(code, &format!("SNS's answer could not be read: {err}")))?;
    Ok((status, body))
}

/// A message that fails verification is refused: 403. (A certificate that cannot be read is
/// SNS's side, answered 502 where it is fetched.)
fn refused(err: SnsError) -> ApiError {
    let code = match err {
        SnsError::Malformed(_) => "sns_message_malformed",
        SnsError::MissingField(_) => "sns_message_incomplete",
        SnsError::UnsupportedVersion => "sns_signature_version",
        SnsError::ForeignUrl(_) => "sns_foreign_url",
        SnsError::BadSignature => "sns_signature_invalid",
        SnsError::BadCertificate => "sns_cert_invalid",
    };
    ApiError::Forbidden {
        code,
        message: err.to_string(),
    }
}

fn bad_gateway(code: &str, message: &str) -> ApiError {
    ApiError::BadGateway {
        code: code.to_owned(),
        message: message.to_owned(),
    }
}
