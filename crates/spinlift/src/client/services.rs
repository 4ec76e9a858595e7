//! What the event handler may call: the bucket, and the other AWS services.

use super::aws::AwsCall;
use super::error::ClientError;
use super::s3::S3Call;
use crate::cache::Cache;
use crate::clock::Clock;
use crate::config::Variables;
use crate::outbound::HttpClient;
use crate::sigv4::Signer;

/// One request's AWS clients, signed with the same credentials.
pub struct Services<'a, C> {
    /// The configured bucket.
    pub s3: S3Call<'a, C>,
    /// DynamoDB, SQS, SNS, STS.
    pub aws: AwsCall<'a, C>,
}

impl<'a, C: HttpClient> Services<'a, C> {
    /// Resolves the credentials once (the role's session, when one is configured) for both.
    ///
    /// # Errors
    /// A variable is missing or invalid, or STS refused the role.
    pub async fn load(
        vars: &'a dyn Variables,
        client: &'a C,
        cache: &dyn Cache,
        clock: &'a Clock<'a>,
    ) -> Result<Self, ClientError> {
        let resolved = super::credentials::resolve(vars, client, cache, clock).await?;
        let signer = Signer::new(resolved.credentials.clone());
        let region = resolved.aws.region.clone();
        let s3 = S3Call::new(vars, client, resolved, clock)?;
        let aws = AwsCall::new(vars, client, signer, region, clock);
        Ok(Self { s3, aws })
    }
}
