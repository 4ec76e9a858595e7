//! AWS services beyond S3, through the same signer and no SDK: DynamoDB and SQS speak the
//! AWS JSON protocol, SNS and STS the AWS Query protocol. Sans-IO: an [`Operation`] builds
//! its unsigned `http` request for an [`Endpoint`] and parses the answer; sending is the
//! caller's (the `spinlift` edge crate's client).

pub mod dynamodb;
mod endpoint;
mod error;
pub mod protocol;
pub mod sns;
pub mod sqs;
pub mod sts;

pub use endpoint::{Endpoint, Service};
pub use error::AwsError;

use http::{HeaderMap, Request, StatusCode};

/// One AWS API call: its request, and how to read its answer.
pub trait Operation {
    /// What a successful answer yields.
    type Output;

    /// The service the operation belongs to: its endpoint and signing name. A constant of the
    /// operation, so a request cannot be sent to, or signed for, another service.
    const SERVICE: Service;

    /// The IAM actions an identity must be allowed to send it (`dynamodb:PutItem`); empty for
    /// the calls IAM never refuses (`sts:GetCallerIdentity`). [`crate::iam`] collects them, so
    /// a deployment's policy can be checked against what the code can call.
    const IAM_ACTIONS: &'static [&'static str];

    /// Whether sending it twice has the effect of sending it once (reads, full-item puts,
    /// deletes), so that a server error or a lost connection may be retried.
    const IDEMPOTENT: bool = false;

    /// The unsigned request for `endpoint`.
    fn request(&self, endpoint: &Endpoint) -> Request<Vec<u8>>;

    /// Reads the answer.
    ///
    /// # Errors
    /// The service answered an error, or an answer that does not parse.
    fn parse(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Self::Output, AwsError>;
}
