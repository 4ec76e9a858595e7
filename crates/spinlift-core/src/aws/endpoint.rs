//! Where each service is reached and how it is signed.

use crate::sigv4::{
    Payload, SignatureLocation, Signer, SigningError, SigningParams, SigningSettings, SigningTime,
};

/// The services spinlift calls besides S3, and any other a user's operation names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Amazon DynamoDB (JSON 1.0, `DynamoDB_20120810`).
    DynamoDb,
    /// Amazon SQS (JSON 1.0, `AmazonSQS`).
    Sqs,
    /// Amazon SNS (Query, `2010-03-31`).
    Sns,
    /// AWS STS (Query, `2011-06-15`).
    Sts,
    /// Any other AWS service, for an [`super::Operation`] of the user's own (Secrets Manager,
    /// EventBridge, KMS, ...): its signing name (`secretsmanager`) and the variable holding
    /// its endpoint (`secretsmanager_endpoint`), which `allowed_outbound_hosts` names too.
    Other {
        /// The name in signatures (and in the regional host name, where they agree).
        signing_name: &'static str,
        /// The variable that holds the endpoint (`https://secretsmanager.<region>.amazonaws.com`).
        endpoint_variable: &'static str,
    },
}

impl Service {
    /// The name in signatures and in the regional host name.
    pub fn signing_name(self) -> &'static str {
        match self {
            Service::DynamoDb => "dynamodb",
            Service::Sqs => "sqs",
            Service::Sns => "sns",
            Service::Sts => "sts",
            Service::Other { signing_name, .. } => signing_name,
        }
    }

    /// The variable that holds this service's endpoint (`dynamodb_endpoint`, ...).
    pub fn endpoint_variable(self) -> &'static str {
        match self {
            Service::DynamoDb => "dynamodb_endpoint",
            Service::Sqs => "sqs_endpoint",
            Service::Sns => "sns_endpoint",
            Service::Sts => "sts_endpoint",
            Service::Other {
                endpoint_variable, ..
            } => endpoint_variable,
        }
    }
}

/// A service at an origin (`https://dynamodb.eu-west-1.amazonaws.com`, or a local emulator),
/// signed for a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    service: Service,
    origin: String,
    region: String,
}

impl Endpoint {
    /// `origin` is `http(s)://host[:port]`, without a path; `None` otherwise.
    pub fn new(service: Service, origin: &str, region: &str) -> Option<Self> {
        let (scheme, authority) = origin.split_once("://")?;
        let authority_ok = !authority.is_empty()
            && authority
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
        // The characters alone let `[` or `a:b:c` through: the origin must also parse.
        let parses = format!("{origin}/").parse::<http::Uri>().is_ok();
        ((scheme == "https" || scheme == "http") && authority_ok && parses).then(|| Self {
            service,
            origin: origin.to_owned(),
            region: region.to_owned(),
        })
    }

    /// The service.
    pub fn service(&self) -> Service {
        self.service
    }

    /// The absolute URI of `path_and_query` (starting with `/`) at this endpoint.
    pub fn uri(&self, path_and_query: &str) -> http::Uri {
        format!("{}{path_and_query}", self.origin)
            .parse()
            .expect("an origin checked by Endpoint::new and a path built by an Operation")
    }

    /// Signs `request` (its body hashed into the signature) with the service's rules.
    ///
    /// # Errors
    /// A header of `request` cannot be signed.
    pub fn sign(
        &self,
        request: &mut http::Request<Vec<u8>>,
        signer: &Signer,
        time: SigningTime,
    ) -> Result<(), SigningError> {
        let hash = Payload::Bytes(request.body()).hash().into_owned();
        self.sign_payload(request, Payload::Sha256Hex(&hash), signer, time)
    }

    /// Signs `request` for `payload` (its body, hashed or described) with the service's rules.
    ///
    /// # Errors
    /// A header of `request` cannot be signed.
    pub fn sign_payload<B>(
        &self,
        request: &mut http::Request<B>,
        payload: Payload<'_>,
        signer: &Signer,
        time: SigningTime,
    ) -> Result<(), SigningError> {
        let params = SigningParams {
            region: &self.region,
            service: self.service.signing_name(),
            time,
            settings: SigningSettings::standard(),
            location: SignatureLocation::Headers,
        };
        signer.sign_headers(request, payload, &params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_service_signs_with_its_own_name_in_the_scope() {
        // Signing names from each service's API reference; moto takes them from the request,
        // so only this test pins them.
        let signer = Signer::new(crate::sigv4::Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "secret".into(),
            session_token: None,
        });
        for (service, name) in [
            (Service::DynamoDb, "dynamodb"),
            (Service::Sqs, "sqs"),
            (Service::Sns, "sns"),
            (Service::Sts, "sts"),
        ] {
            let endpoint = Endpoint::new(service, "https://example.com", "eu-west-1").unwrap();
            let mut request = http::Request::post(endpoint.uri("/"))
                .body(b"x".to_vec())
                .unwrap();
            endpoint
                .sign(
                    &mut request,
                    &signer,
                    SigningTime::from_unix_seconds(1_700_000_000),
                )
                .unwrap();
            let auth = request.headers()["authorization"].to_str().unwrap();
            assert!(
                auth.contains(&format!("/20231114/eu-west-1/{name}/aws4_request")),
                "{auth}"
            );
        }
    }

    #[test]
    fn origins_are_scheme_and_authority() {
        assert!(Endpoint::new(
            Service::Sts,
            "https://sts.us-east-1.amazonaws.com",
            "us-east-1"
        )
        .is_some());
        assert!(Endpoint::new(Service::Sqs, "http://127.0.0.1:5000", "us-east-1").is_some());
        for bad in [
            "sts.amazonaws.com",
            "https://sts.amazonaws.com/",
            "ftp://x",
            "https://a@b",
            "http://[",
            "http://a:b:c",
        ] {
            assert!(
                Endpoint::new(Service::Sts, bad, "us-east-1").is_none(),
                "{bad}"
            );
        }
    }
}
