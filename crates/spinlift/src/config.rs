//! Typed configuration read from Spin variables.
//!
//! spinlift never reads `std::env`: every setting is a Spin variable, declared in
//! `spin.toml` and resolved by the host (manifest defaults, `SPIN_VARIABLE_*`,
//! `spin deploy --variable`, or a provider from `runtime-config.toml`). The
//! [`Variables`] trait is the seam: the component implements it over
//! `spin_sdk::variables`, tests implement it with a map.
//!
//! Configuration is loaded lazily, per request, and only the part a route needs:
//! `/healthz` reads nothing, the bearer check reads only `api_token`, routes that call
//! AWS read the retry and timeout settings, S3 routes read [`AwsConfig`] and [`S3Config`]. A missing S3 setting therefore cannot
//! take down authentication or the readiness check.
//!
//! Errors name the variable and what is expected, never the value read.

use crate::aws::{Endpoint, Service};
use crate::events::sns::SnsOrigin;
use crate::outbound::Timeouts;
use crate::retry::RetryPolicy;
pub use crate::s3::{S3Config, Scheme};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::Duration;

/// Source of variable values, by lower_snake name.
pub trait Variables {
    /// Returns the value of `name`, or `None` when the variable is not defined.
    ///
    /// # Errors
    ///
    /// The provider could not answer (e.g. a secret store is unreachable).
    fn get(&self, name: &str) -> Result<Option<String>, VariableError>;
}

/// A provider's failure to read a variable; its message never holds a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableError(pub String);

impl<S: std::hash::BuildHasher> Variables for HashMap<String, String, S> {
    fn get(&self, name: &str) -> Result<Option<String>, VariableError> {
        Ok(HashMap::get(self, name).cloned())
    }
}

impl Variables for BTreeMap<String, String> {
    fn get(&self, name: &str) -> Result<Option<String>, VariableError> {
        Ok(BTreeMap::get(self, name).cloned())
    }
}

/// A secret value: usable through [`Secret::expose`], redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Returns the secret value; call it only where the value is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Why a variable could not be turned into configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// The variable is undefined or empty.
    NotSet,
    /// The value does not have the expected shape; the text says what is expected.
    Invalid(&'static str),
    /// The variables provider failed; the text is the provider's message.
    Unreadable(String),
}

/// A configuration error naming the variable, never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    variable: &'static str,
    kind: ConfigErrorKind,
}

impl ConfigError {
    /// The name of the variable at fault.
    pub fn variable(&self) -> &'static str {
        self.variable
    }

    /// What is wrong with it.
    pub fn kind(&self) -> &ConfigErrorKind {
        &self.kind
    }
}

impl fmt::Display for ConfigError {
    /// The public message: safe to send to clients, so no provider detail.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.variable;
        match &self.kind {
            ConfigErrorKind::NotSet => write!(f, "variable {name} is not set"),
            ConfigErrorKind::Invalid(expected) => write!(f, "variable {name} must be {expected}"),
            ConfigErrorKind::Unreadable(_) => write!(f, "variable {name} could not be read"),
        }
    }
}

impl std::error::Error for ConfigError {}

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
        let region = required(vars, "aws_region")?;
        let region_ok = region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !region_ok {
            return Err(invalid("aws_region", "a region name such as us-east-1"));
        }
        Ok(Self {
            region,
            access_key_id: Secret(required(vars, "aws_access_key_id")?),
            secret_access_key: Secret(required(vars, "aws_secret_access_key")?),
            session_token: optional(vars, "aws_session_token")?.map(Secret),
        })
    }
}

/// Reads `s3_bucket`, `s3_scheme`, `s3_host`, `s3_path_style`.
///
/// # Errors
///
/// The first variable that is missing, invalid or unreadable.
pub fn s3(vars: &dyn Variables) -> Result<S3Config, ConfigError> {
    let bucket = required(vars, "s3_bucket")?;
    if !is_bucket_name(&bucket) {
        return Err(invalid(
            "s3_bucket",
            "a bucket name: 3 to 63 lowercase letters, digits, dots and hyphens",
        ));
    }
    let scheme = match required(vars, "s3_scheme")?.as_str() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        _ => return Err(invalid("s3_scheme", "http or https")),
    };
    let host = required(vars, "s3_host")?;
    if !is_host_and_port(&host) {
        return Err(invalid("s3_host", "host[:port] without scheme or path"));
    }
    let path_style = match required(vars, "s3_path_style")?.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(invalid("s3_path_style", "true or false")),
    };
    if !path_style && !host.starts_with(&format!("{bucket}.")) {
        return Err(invalid(
            "s3_host",
            "the bucket's own host (<s3_bucket>.s3.<region>.amazonaws.com) when s3_path_style is false",
        ));
    }
    Ok(S3Config {
        bucket,
        scheme,
        host,
        path_style,
    })
}

/// Reads `api_token`, the bearer token API clients must send.
///
/// # Errors
///
/// The variable is missing, empty or unreadable: an empty token must never authorize.
pub fn api_token(vars: &dyn Variables) -> Result<Secret, ConfigError> {
    required(vars, "api_token").map(Secret)
}

/// Reads `webhook_token`, the shared secret webhook senders must present.
///
/// # Errors
///
/// The variable is missing, empty or unreadable.
pub fn webhook_token(vars: &dyn Variables) -> Result<Secret, ConfigError> {
    required(vars, "webhook_token").map(Secret)
}

/// The default event handler's settings (the indexer's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSettings {
    /// Where manifests are kept (`index_prefix`, e.g. `_index/`).
    pub prefix: String,
    /// A DynamoDB table keeping one item per object (`index_table`).
    pub table: Option<String>,
    /// An SQS queue notified of each processed object (`notify_queue_url`).
    pub queue_url: Option<String>,
    /// An SNS topic notified of each processed object (`notify_topic_arn`).
    pub topic_arn: Option<String>,
    /// Whether manifests are written to S3 (`index_s3_manifests`); `false` keeps the index
    /// in the table alone.
    pub s3_manifests: bool,
}

/// Reads the default event handler's settings: `index_prefix`, where it keeps its manifests
/// (e.g. `_index/`), `index_table`, `notify_queue_url` and `notify_topic_arn` (each optional;
/// empty means off), and `index_s3_manifests` (`true`, the default, or `false` to keep the
/// index in `index_table` only).
///
/// # Errors
///
/// A variable is unreadable; `index_prefix` is missing or empty (an empty prefix would index
/// the index); `index_s3_manifests` is not `true` or `false`, or `false` without a table.
pub fn index(vars: &dyn Variables) -> Result<IndexSettings, ConfigError> {
    let table = optional(vars, "index_table")?;
    let s3_manifests = match optional(vars, "index_s3_manifests")?.as_deref() {
        None | Some("true") => true,
        Some("false") if table.is_some() => false,
        Some(_) => {
            return Err(invalid(
                "index_s3_manifests",
                "true, or false with index_table set",
            ))
        }
    };
    Ok(IndexSettings {
        prefix: required(vars, "index_prefix")?,
        table,
        queue_url: optional(vars, "notify_queue_url")?,
        topic_arn: optional(vars, "notify_topic_arn")?,
        s3_manifests,
    })
}

/// Reads `sns_cert_origin`, the `scheme://host[:port]` SNS messages may point at for their
/// signing certificate and subscription confirmation (e.g. `https://sns.us-east-1.amazonaws.com`).
/// The same variable is the SNS entry of `allowed_outbound_hosts`.
///
/// # Errors
///
/// The variable is missing, unreadable, or not an origin.
pub fn sns_cert_origin(vars: &dyn Variables) -> Result<SnsOrigin, ConfigError> {
    let variable = "sns_cert_origin";
    SnsOrigin::parse(&required(vars, variable)?)
        .ok_or_else(|| invalid(variable, "http(s)://host[:port], without a path"))
}

/// Reads `sns_topic_arns`: the comma-separated topic ARNs whose SNS messages are accepted.
/// Empty accepts any topic (the webhook token still gates the endpoint).
///
/// # Errors
///
/// The variable is unreadable.
pub fn sns_topic_arns(vars: &dyn Variables) -> Result<Vec<String>, ConfigError> {
    Ok(optional(vars, "sns_topic_arns")?
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|arn| !arn.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default())
}

/// The CORS variables, as comma-separated lists (no origins means CORS is off).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsSettings {
    /// `cors_allowed_origins`: exact origins, or `*`.
    pub allowed_origins: String,
    /// `cors_allowed_methods`.
    pub allowed_methods: String,
    /// `cors_allowed_headers`.
    pub allowed_headers: String,
}

/// Reads `cors_allowed_origins`, `cors_allowed_methods`, `cors_allowed_headers`.
///
/// # Errors
///
/// A variable is unreadable.
pub fn cors(vars: &dyn Variables) -> Result<CorsSettings, ConfigError> {
    let list = |name| Ok::<_, ConfigError>(optional(vars, name)?.unwrap_or_default());
    Ok(CorsSettings {
        allowed_origins: list("cors_allowed_origins")?,
        allowed_methods: list("cors_allowed_methods")?,
        allowed_headers: list("cors_allowed_headers")?,
    })
}

/// Reads `aws_role_arn`: the role to assume with the configured keys; empty means none.
///
/// # Errors
///
/// The variable is unreadable or not an IAM role ARN.
pub fn aws_role_arn(vars: &dyn Variables) -> Result<Option<String>, ConfigError> {
    match optional(vars, "aws_role_arn")? {
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
    let origin = required(vars, variable)?;
    let host = origin.split_once("://").map_or("", |(_, rest)| rest);
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
    let read = |variable, default: Duration| {
        number(
            vars,
            variable,
            default.as_millis() as u64,
            1..=600_000,
            "milliseconds, 1 to 600000",
        )
        .map(Duration::from_millis)
    };
    Ok(Timeouts {
        connect: read("aws_connect_timeout_ms", defaults.connect)?,
        first_byte: read("aws_first_byte_timeout_ms", defaults.first_byte)?,
        between_bytes: read("aws_between_bytes_timeout_ms", defaults.between_bytes)?,
    })
}

/// Reads `s3_multipart_threshold_mib` (8–5120, default 8): the largest upload of known length
/// that goes to S3 as one streamed PUT, in bytes. Larger ones, and uploads of unknown length,
/// go as a multipart upload of 8 MiB parts, each retried alone.
///
/// # Errors
///
/// The variable is unreadable or out of range.
pub fn multipart_threshold(vars: &dyn Variables) -> Result<u64, ConfigError> {
    let mib = number(
        vars,
        "s3_multipart_threshold_mib",
        8,
        8..=5120,
        "MiB, 8 to 5120 (S3 takes at most 5 GiB in one PUT)",
    )?;
    Ok(mib << 20)
}

/// A whole number in `range`, `default` when unset.
fn number(
    vars: &dyn Variables,
    variable: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
    expected: &'static str,
) -> Result<u64, ConfigError> {
    match optional(vars, variable)? {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| invalid(variable, expected)),
    }
}

/// A variable that must be present and non-empty.
fn required(vars: &dyn Variables, variable: &'static str) -> Result<String, ConfigError> {
    optional(vars, variable)?.ok_or(ConfigError {
        variable,
        kind: ConfigErrorKind::NotSet,
    })
}

/// A variable where undefined and empty both mean "none" (Spin cannot unset a default).
fn optional(vars: &dyn Variables, variable: &'static str) -> Result<Option<String>, ConfigError> {
    match vars.get(variable) {
        Ok(value) => Ok(value.filter(|v| !v.is_empty())),
        Err(VariableError(reason)) => Err(ConfigError {
            variable,
            kind: ConfigErrorKind::Unreadable(reason),
        }),
    }
}

fn invalid(variable: &'static str, expected: &'static str) -> ConfigError {
    ConfigError {
        variable,
        kind: ConfigErrorKind::Invalid(expected),
    }
}

/// An S3 bucket name: 3–63 of `a-z 0-9 . -`, starting and ending with a letter or digit.
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html>
fn is_bucket_name(name: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = name.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes.iter().all(|&b| alnum(b) || b == b'.' || b == b'-')
        && bytes.first().copied().is_some_and(alnum)
        && bytes.last().copied().is_some_and(alnum)
}

/// `host[:port]` only: an authority with no userinfo, no path, no scheme.
fn is_host_and_port(value: &str) -> bool {
    match value.parse::<http::uri::Authority>() {
        Ok(authority) => {
            authority.as_str() == value && !value.contains('@') && !authority.host().is_empty()
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `[variables]` defaults of spin.toml.
    fn dev() -> BTreeMap<String, String> {
        [
            ("aws_region", "us-east-1"),
            ("aws_access_key_id", "spinlift-dev"),
            ("aws_secret_access_key", "spinlift-dev-secret"),
            ("aws_session_token", ""),
            ("s3_bucket", "spinlift-dev"),
            ("s3_scheme", "http"),
            ("s3_host", "127.0.0.1:8014"),
            ("s3_path_style", "true"),
            ("api_token", "dev-api-token"),
            ("webhook_token", "dev-webhook-token"),
            ("index_prefix", "_index/"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    fn with(name: &str, value: Option<&str>) -> BTreeMap<String, String> {
        let mut vars = dev();
        match value {
            Some(v) => vars.insert(name.to_owned(), v.to_owned()),
            None => vars.remove(name),
        };
        vars
    }

    struct Failing;

    impl Variables for Failing {
        fn get(&self, _: &str) -> Result<Option<String>, VariableError> {
            Err(VariableError("vault: connection refused".to_owned()))
        }
    }

    #[test]
    fn dev_defaults_load() {
        let aws = AwsConfig::load(&dev()).unwrap();
        assert_eq!(aws.region, "us-east-1");
        assert_eq!(aws.access_key_id.expose(), "spinlift-dev");
        assert_eq!(aws.session_token, None, "empty session token means none");
        let s3 = s3(&dev()).unwrap();
        assert_eq!(
            (
                s3.bucket.as_str(),
                s3.scheme,
                s3.host.as_str(),
                s3.path_style
            ),
            ("spinlift-dev", Scheme::Http, "127.0.0.1:8014", true)
        );
        assert_eq!(api_token(&dev()).unwrap().expose(), "dev-api-token");
        assert_eq!(webhook_token(&dev()).unwrap().expose(), "dev-webhook-token");
    }

    #[test]
    fn session_token_is_kept_when_set() {
        let aws = AwsConfig::load(&with("aws_session_token", Some("tok"))).unwrap();
        assert_eq!(
            aws.session_token.map(|s| s.expose().to_owned()),
            Some("tok".into())
        );
    }

    #[test]
    fn missing_or_empty_variables_are_named() {
        for value in [None, Some("")] {
            let err = s3(&with("s3_bucket", value)).unwrap_err();
            assert_eq!(err.to_string(), "variable s3_bucket is not set");
            assert_eq!(err.variable(), "s3_bucket");
            let err = api_token(&with("api_token", value)).unwrap_err();
            assert_eq!(err.to_string(), "variable api_token is not set");
        }
    }

    #[test]
    fn invalid_values_say_what_is_expected_but_not_the_value() {
        let cases = [
            (
                "s3_scheme",
                "ftp",
                "variable s3_scheme must be http or https",
            ),
            (
                "s3_path_style",
                "yes",
                "variable s3_path_style must be true or false",
            ),
            (
                "s3_host",
                "http://h",
                "variable s3_host must be host[:port] without scheme or path",
            ),
            (
                "s3_host",
                "h/p",
                "variable s3_host must be host[:port] without scheme or path",
            ),
            (
                "s3_host",
                "u@h",
                "variable s3_host must be host[:port] without scheme or path",
            ),
            (
                "s3_bucket",
                "My_Bucket",
                "variable s3_bucket must be a bucket name: 3 to 63 lowercase letters, digits, dots and hyphens",
            ),
            (
                "s3_bucket",
                "xy",
                "variable s3_bucket must be a bucket name: 3 to 63 lowercase letters, digits, dots and hyphens",
            ),
            (
                "s3_bucket",
                "-bucket",
                "variable s3_bucket must be a bucket name: 3 to 63 lowercase letters, digits, dots and hyphens",
            ),
            (
                "s3_bucket",
                "bucket.",
                "variable s3_bucket must be a bucket name: 3 to 63 lowercase letters, digits, dots and hyphens",
            ),
            (
                "s3_bucket",
                "b/x",
                "variable s3_bucket must be a bucket name: 3 to 63 lowercase letters, digits, dots and hyphens",
            ),
            (
                "aws_region",
                "US East",
                "variable aws_region must be a region name such as us-east-1",
            ),
        ];
        for (name, value, message) in cases {
            let vars = with(name, Some(value));
            let err = match name {
                "aws_region" => AwsConfig::load(&vars).unwrap_err(),
                _ => s3(&vars).unwrap_err(),
            };
            assert_eq!(err.to_string(), message);
            assert!(!err.to_string().contains(value), "{value} leaked");
        }
    }

    #[test]
    fn virtual_hosted_style_needs_the_buckets_own_host() {
        let mut vars = with("s3_path_style", Some("false"));
        let err = s3(&vars).unwrap_err();
        assert_eq!(err.variable(), "s3_host");
        vars.insert(
            "s3_host".into(),
            "spinlift-dev.s3.eu-west-1.amazonaws.com".into(),
        );
        assert!(!s3(&vars).unwrap().path_style);
    }

    #[test]
    fn provider_failures_keep_the_reason_out_of_the_message() {
        let err = api_token(&Failing).unwrap_err();
        assert_eq!(err.to_string(), "variable api_token could not be read");
        assert_eq!(
            err.kind(),
            &ConfigErrorKind::Unreadable("vault: connection refused".into())
        );
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let text = format!(
            "{:?}",
            AwsConfig::load(&with("aws_session_token", Some("sess-t0k3n")))
        );
        for secret in ["spinlift-dev-secret", "sess-t0k3n", "\"spinlift-dev\""] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
        assert!(text.contains("Secret(<redacted>)"));
    }

    #[test]
    fn retries_and_timeouts_default_parse_and_refuse_out_of_range_values() {
        let none = BTreeMap::<String, String>::new();
        assert_eq!(
            retry_policy(&none).unwrap(),
            RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::from_millis(100)
            }
        );
        assert_eq!(timeouts(&none).unwrap(), Timeouts::default());
        let set = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let tuned = set(&[
            ("aws_max_attempts", "5"),
            ("aws_retry_base_ms", "0"),
            ("aws_first_byte_timeout_ms", " 250 "),
        ]);
        assert_eq!(retry_policy(&tuned).unwrap().max_attempts, 5);
        assert_eq!(retry_policy(&tuned).unwrap().base_delay, Duration::ZERO);
        assert_eq!(
            timeouts(&tuned).unwrap().first_byte,
            Duration::from_millis(250)
        );
        for (name, value) in [
            ("aws_max_attempts", "0"),
            ("aws_max_attempts", "11"),
            ("aws_retry_base_ms", "-1"),
            ("aws_retry_base_ms", "fast"),
            ("aws_connect_timeout_ms", "0"),
            ("aws_between_bytes_timeout_ms", "600001"),
        ] {
            let vars = set(&[(name, value)]);
            let err = retry_policy(&vars)
                .err()
                .or_else(|| timeouts(&vars).err())
                .unwrap_or_else(|| panic!("{name}={value} accepted"));
            assert_eq!(err.variable(), name, "{name}={value}");
        }
    }

    #[test]
    fn role_arns_and_endpoints_are_checked_against_the_region() {
        let vars = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let role = vars(&[("aws_role_arn", "arn:aws:iam::123456789012:role/exec")]);
        assert_eq!(
            aws_role_arn(&role).unwrap().as_deref(),
            Some("arn:aws:iam::123456789012:role/exec")
        );
        assert_eq!(aws_role_arn(&vars(&[("aws_role_arn", "")])).unwrap(), None);
        let user = vars(&[("aws_role_arn", "arn:aws:iam::123456789012:user/me")]);
        assert_eq!(aws_role_arn(&user).unwrap_err().variable(), "aws_role_arn");

        let endpoint = |origin: &str| {
            aws_endpoint(
                &vars(&[("sqs_endpoint", origin)]),
                Service::Sqs,
                "eu-west-1",
            )
        };
        assert!(endpoint("https://sqs.eu-west-1.amazonaws.com").is_ok());
        assert!(endpoint("http://127.0.0.1:5000").is_ok());
        let other_region = endpoint("https://sqs.us-east-1.amazonaws.com").unwrap_err();
        assert_eq!(other_region.variable(), "sqs_endpoint");
        assert!(endpoint("https://sqs.eu-west-1.amazonaws.com/path").is_err());
        let global = aws_endpoint(
            &vars(&[("sts_endpoint", "https://sts.amazonaws.com")]),
            Service::Sts,
            "eu-west-1",
        );
        assert!(global.is_ok(), "the global STS host signs as us-east-1");
    }
}
