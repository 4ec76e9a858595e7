//! The AWS side of the configuration: region and keys, the role to assume, each service's
//! endpoint (checked against the region), and how calls are retried and timed out.

use super::{
    invalid, number, read, require, require_visible, visible, ConfigError, Secret, Variables,
};
use crate::aws::{Endpoint, Service};
use crate::outbound::Timeouts;
use crate::retry::RetryPolicy;
use std::time::Duration;

/// AWS region and credentials, shared by every AWS service client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsConfig {
    /// Region, e.g. `us-east-1` (`aws_region`).
    pub region: String,
    /// Access key id (`aws_access_key_id`).
    pub access_key_id: Secret,
    /// Secret access key (`aws_secret_access_key`).
    pub secret_access_key: Secret,
    /// Session token for temporary credentials (`aws_session_token`; empty means none).
    pub session_token: Option<Secret>,
}

impl AwsConfig {
    /// Reads `aws_region`, `aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`.
    ///
    /// # Errors
    ///
    /// The first variable that is missing, invalid or unreadable.
    pub fn load(vars: &dyn Variables) -> Result<Self, ConfigError> {
        let region = require(vars, "aws_region")?;
        let region_ok = region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !region_ok {
            return Err(invalid("aws_region", "a region name such as us-east-1"));
        }
        Ok(Self {
            region,
            access_key_id: Secret(require_visible(vars, "aws_access_key_id")?),
            secret_access_key: Secret(require_visible(vars, "aws_secret_access_key")?),
            session_token: read(vars, "aws_session_token")?
                .map(|token| visible(token, "aws_session_token").map(Secret))
                .transpose()?,
        })
    }
}

/// Reads `aws_role_arn`: the role to assume with the configured keys; empty means none.
///
/// # Errors
///
/// The variable is unreadable or not an IAM role ARN.
pub fn aws_role_arn(vars: &dyn Variables) -> Result<Option<String>, ConfigError> {
    match read(vars, "aws_role_arn")? {
        Some(arn) if !(arn.starts_with("arn:") && arn.contains(":role/")) => Err(invalid(
            "aws_role_arn",
            "an IAM role ARN such as arn:aws:iam::123456789012:role/name",
        )),
        arn => Ok(arn),
    }
}

/// Reads the endpoint variable of `service` (`dynamodb_endpoint`, `sqs_endpoint`,
/// `sns_endpoint`, `sts_endpoint`): `https://<service>.<region>.amazonaws.com`, or a local
/// emulator's origin. Each is also an entry of `allowed_outbound_hosts`.
///
/// # Errors
///
/// The variable is missing, unreadable, or not `http(s)://host[:port]`.
pub fn aws_endpoint(
    vars: &dyn Variables,
    service: Service,
    region: &str,
) -> Result<Endpoint, ConfigError> {
    let variable = service.endpoint_variable();
    let origin = require(vars, variable)?;
    let host = origin.split_once("://").map_or("", |(_, rest)| rest);
    // `:443` is HTTPS's own port: `https://sqs.eu-west-1.amazonaws.com:443` is that host.
    let host = match origin.starts_with("https://") {
        true => host.strip_suffix(":443").unwrap_or(host),
        false => host,
    };
    let name = service.signing_name();
    // An AWS regional host names its region: it must be the one signatures are scoped to.
    let named_region = host
        .strip_prefix(name)
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|rest| {
            rest.strip_suffix(".amazonaws.com")
                .or(rest.strip_suffix(".amazonaws.com.cn"))
        });
    let region = match (host, named_region) {
        // The global STS endpoint signs as us-east-1.
        ("sts.amazonaws.com", _) => "us-east-1",
        (_, Some(named)) if named != region => {
            return Err(invalid(
                variable,
                "the endpoint of the service in aws_region",
            ))
        }
        _ => region,
    };
    Endpoint::new(service, &origin, region)
        .ok_or_else(|| invalid(variable, "http(s)://host[:port], without a path"))
}

/// Reads `aws_max_attempts` (1–10, default 3) and `aws_retry_base_ms` (0–10000, default
/// 100): how AWS calls are retried.
///
/// # Errors
///
/// A variable is unreadable or out of range.
pub fn retry_policy(vars: &dyn Variables) -> Result<RetryPolicy, ConfigError> {
    Ok(RetryPolicy {
        max_attempts: number(
            vars,
            "aws_max_attempts",
            3,
            1..=10,
            "a number of attempts, 1 to 10",
        )? as u32,
        base_delay: Duration::from_millis(number(
            vars,
            "aws_retry_base_ms",
            100,
            0..=10_000,
            "milliseconds, 0 to 10000",
        )?),
    })
}

/// Reads `aws_connect_timeout_ms`, `aws_first_byte_timeout_ms` and
/// `aws_between_bytes_timeout_ms` (1–600000 ms each; defaults 5 s, 60 s, 30 s).
///
/// # Errors
///
/// A variable is unreadable or out of range.
pub fn timeouts(vars: &dyn Variables) -> Result<Timeouts, ConfigError> {
    let defaults = Timeouts::default();
    Ok(Timeouts {
        connect: timeout(vars, "aws_connect_timeout_ms", defaults.connect)?,
        first_byte: timeout(vars, "aws_first_byte_timeout_ms", defaults.first_byte)?,
        between_bytes: between_bytes_timeout(vars)?,
    })
}

/// Reads `aws_between_bytes_timeout_ms` alone: the longest pause in an answer, and in a
/// client's body (which the edge bounds before any route reads the other timeouts).
///
/// # Errors
///
/// The variable is unreadable or out of range.
pub fn between_bytes_timeout(vars: &dyn Variables) -> Result<Duration, ConfigError> {
    let default = Timeouts::default().between_bytes;
    timeout(vars, "aws_between_bytes_timeout_ms", default)
}

fn timeout(
    vars: &dyn Variables,
    variable: &'static str,
    default: Duration,
) -> Result<Duration, ConfigError> {
    number(
        vars,
        variable,
        default.as_millis() as u64,
        1..=600_000,
        "milliseconds, 1 to 600000",
    )
    .map(Duration::from_millis)
}
