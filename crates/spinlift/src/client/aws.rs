//! Calls to AWS services other than S3: the endpoint from its variable, the request signed,
//! sent, and the answer parsed; AWS errors become 502 with the AWS code.

use crate::aws::{AwsError, Endpoint, Operation, Service};
use crate::clock::{self, Clock};
use crate::config::{self, Variables};
use crate::error::ApiError;
use crate::outbound::HttpClient;
use crate::retry::Idempotent;
use crate::sigv4::Signer;

/// The most of an AWS answer read into memory.
const MAX_ANSWER_BYTES: usize = 16 << 20;

/// One request's view of the other AWS services.
pub struct AwsCall<'a, C> {
    vars: &'a dyn Variables,
    client: &'a C,
    signer: Signer,
    region: String,
    clock: &'a Clock<'a>,
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
            client,
            signer,
            region,
            clock,
        }
    }

    /// The endpoint of `service`, from its variable (`dynamodb_endpoint`, ...).
    ///
    /// # Errors
    /// The variable is missing or not an origin.
    pub fn endpoint(&self, service: Service) -> Result<Endpoint, ApiError> {
        Ok(config::aws_endpoint(self.vars, service, &self.region)?)
    }

    /// Signs, sends and parses `operation`. A refusal for the request's time is signed
    /// again, once, with the service's time (see [`crate::clock`]).
    ///
    /// # Errors
    /// 502 with the AWS code when the service refuses; 502/504 when it cannot be reached.
    pub async fn call<O: Operation>(&self, operation: &O) -> Result<O::Output, ApiError> {
        let service = O::SERVICE;
        let endpoint = self.endpoint(service)?;
        let mut corrected = false;
        loop {
            let (status, headers, body) = self.send(&endpoint, operation).await?;
            match O::parse(status, &headers, &body) {
                Err(err)
                    if !corrected
                        && clock::is_time_refusal(&err.code, &err.message)
                        && self.clock.adopt_server_time(&headers) =>
                {
                    corrected = true;
                }
                result => return result.map_err(|err| aws_error(service, err)),
            }
        }
    }

    async fn send<O: Operation>(
        &self,
        endpoint: &Endpoint,
        operation: &O,
    ) -> Result<(http::StatusCode, http::HeaderMap, Vec<u8>), ApiError> {
        let mut request = operation.request(endpoint);
        if O::IDEMPOTENT {
            request.extensions_mut().insert(Idempotent);
        }
        endpoint
            .sign(&mut request, &self.signer, self.clock.now())
            .map_err(|err| {
                ApiError::Internal(format!(
                    "signing a {} call: {err}",
                    O::SERVICE.signing_name()
                ))
            })?;
        let (request, body) = request.into_parts();
        let response = self
            .client
            .send(
                http::Request::from_parts(request, ()),
                crate::body::Body::Bytes(body),
            )
            .await?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect(MAX_ANSWER_BYTES)
            .await
            .map_err(|err| aws_error(O::SERVICE, AwsError::malformed(parts.status, err)))?;
        Ok((parts.status, parts.headers, body))
    }
}

/// An AWS service's refusal, as the client sees it.
pub fn aws_error(service: Service, error: AwsError) -> ApiError {
    ApiError::Aws {
        service: service.signing_name(),
        error,
    }
}
