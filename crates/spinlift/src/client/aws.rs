//! Calls to AWS services other than S3: the endpoint from its variable, and the operation
//! sent through the one signing path ([`super::signed`]) and parsed.

use super::error::ClientError;
use super::signed::Sender;
use crate::aws::{Endpoint, Operation, Service};
use crate::clock::Clock;
use crate::config::{self, Variables};
use crate::outbound::HttpClient;
use crate::retry::Idempotent;
use crate::sigv4::Signer;

/// One request's view of the other AWS services.
pub struct AwsCall<'a, C> {
    vars: &'a dyn Variables,
    sender: Sender<'a, C>,
    region: String,
}

impl<'a, C: HttpClient> AwsCall<'a, C> {
    /// Calls signed by `signer` for `region` at the `clock`'s time; endpoints come from `vars`.
    pub fn new(
        vars: &'a dyn Variables,
        client: &'a C,
        signer: Signer,
        region: String,
        clock: &'a Clock<'a>,
    ) -> Self {
        Self {
            vars,
            sender: Sender::new(client, signer, clock),
            region,
        }
    }

    /// The endpoint of `service`, from its variable (`dynamodb_endpoint`, ...).
    ///
    /// # Errors
    /// The variable is missing or not an origin.
    pub fn endpoint(&self, service: Service) -> Result<Endpoint, ClientError> {
        Ok(config::aws_endpoint(self.vars, service, &self.region)?)
    }

    /// Signs, sends and parses `operation`, at the endpoint of its service. A refusal for
    /// the request's time is signed again, once, with the service's time.
    ///
    /// # Errors
    /// The service refused it, or could not be reached or read.
    pub async fn call<O: Operation>(&self, operation: &O) -> Result<O::Output, ClientError> {
        let endpoint = self.endpoint(O::SERVICE)?;
        let mut request = operation.request(&endpoint);
        if O::IDEMPOTENT {
            request.extensions_mut().insert(Idempotent);
        }
        let answer = self.sender.exchange(&endpoint, request, None).await?;
        O::parse(answer.status, &answer.headers, &answer.body).map_err(|error| {
            ClientError::Service {
                service: O::SERVICE.signing_name(),
                error,
            }
        })
    }
}
