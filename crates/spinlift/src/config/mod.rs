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
//! AWS read the retry and timeout settings, S3 routes read [`AwsConfig`] and [`S3Config`].
//! A missing S3 setting therefore cannot take down authentication or the readiness check.
//!
//! Errors name the variable and what is expected, never the value read. This module holds
//! the seam, the errors and the readers every setting shares; `aws` reads the credentials,
//! endpoints, retries and timeouts, `app` the bucket, the tokens and the routes' settings.

mod app;
mod aws;

pub use crate::s3::{S3Config, Scheme};
pub use app::{
    api_token, copy_threshold, cors, index, lambda_base_paths, multipart_threshold,
    redirect_threshold, s3, s3_checksums, s3_unsigned_chunks, sns_cert_origin, sns_topic_arns,
    webhook_token, ChecksumMode, ChecksumPolicy, CorsSettings, IndexSettings,
};
pub use aws::{
    aws_endpoint, aws_role_arn, between_bytes_timeout, retry_policy, timeouts, AwsConfig,
};

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

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
    variable: Cow<'static, str>,
    kind: ConfigErrorKind,
}

impl ConfigError {
    /// The name of the variable at fault.
    pub fn variable(&self) -> &str {
        &self.variable
    }

    /// What is wrong with it.
    pub fn kind(&self) -> &ConfigErrorKind {
        &self.kind
    }
}

impl fmt::Display for ConfigError {
    /// The public message: safe to send to clients, so no provider detail.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = &self.variable;
        match &self.kind {
            ConfigErrorKind::NotSet => write!(f, "variable {name} is not set"),
            ConfigErrorKind::Invalid(expected) => write!(f, "variable {name} must be {expected}"),
            ConfigErrorKind::Unreadable(_) => write!(f, "variable {name} could not be read"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// A whole number in `range`, `default` when unset.
fn number(
    vars: &dyn Variables,
    variable: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
    expected: &'static str,
) -> Result<u64, ConfigError> {
    match read(vars, variable)? {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| invalid(variable, expected)),
    }
}

fn invalid(variable: &'static str, expected: &'static str) -> ConfigError {
    ConfigError {
        variable: variable.into(),
        kind: ConfigErrorKind::Invalid(expected),
    }
}

/// Keys and tokens are visible ASCII. A key pasted from a secret store with a line end or a
/// space would otherwise sign every call wrong (AWS answers 403, blamed on AWS), or make the
/// signed headers unsendable; a token of spaces could never be sent as a bearer credential,
/// only matched in a URL. Refused here, by name, never echoing the value.
pub(crate) fn visible(value: String, name: &'static str) -> Result<String, ConfigError> {
    match value.bytes().all(|b| b.is_ascii_graphic()) {
        true => Ok(value),
        false => Err(invalid(
            name,
            "visible ASCII characters only (no spaces or line ends)",
        )),
    }
}

/// Reads a key or token that must be set, of visible ASCII only (see [`visible`]).
pub(crate) fn require_visible(
    vars: &dyn Variables,
    name: &'static str,
) -> Result<String, ConfigError> {
    visible(require(vars, name)?, name)
}

/// Reads a variable that must be set: spinlift's or the app's own.
///
/// # Errors
/// It is not set, empty, or cannot be read.
pub fn require(vars: &dyn Variables, name: &str) -> Result<String, ConfigError> {
    read(vars, name)?.ok_or_else(|| ConfigError {
        variable: name.to_owned().into(),
        kind: ConfigErrorKind::NotSet,
    })
}

/// Reads a variable, spinlift's or the app's own (its `[variables]` in `spin.toml`); `None`
/// when it is not set or empty.
///
/// # Errors
/// The host could not read it.
pub fn read(vars: &dyn Variables, name: &str) -> Result<Option<String>, ConfigError> {
    match vars.get(name) {
        Ok(value) => Ok(value.filter(|v| !v.is_empty())),
        Err(VariableError(reason)) => Err(ConfigError {
            variable: name.to_owned().into(),
            kind: ConfigErrorKind::Unreadable(reason),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{Endpoint, Service};
    use crate::outbound::Timeouts;
    use crate::retry::RetryPolicy;
    use std::time::Duration;

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
    fn cors_lists_left_out_take_the_documented_defaults() {
        let only_origins: BTreeMap<String, String> = [(
            "cors_allowed_origins".to_owned(),
            "https://app.example.com".to_owned(),
        )]
        .into();
        let settings = cors(&only_origins).unwrap();
        assert_eq!(settings.allowed_methods, "GET, HEAD, PUT, POST, DELETE");
        assert_eq!(
            settings.allowed_headers,
            "authorization, content-type, range, if-none-match, if-match"
        );
        let mut narrow = only_origins.clone();
        narrow.insert("cors_allowed_methods".into(), "GET".into());
        assert_eq!(cors(&narrow).unwrap().allowed_methods, "GET");
        assert_eq!(cors(&BTreeMap::new()).unwrap().allowed_origins, "");
    }

    #[test]
    fn tokens_of_spaces_or_line_ends_are_refused_by_name() {
        // A token of spaces could never be sent as a bearer credential, only in a URL.
        for value in [" ", "t0ken\n", "two words"] {
            for (name, read) in [
                ("api_token", api_token as fn(&dyn Variables) -> _),
                ("webhook_token", webhook_token),
            ] {
                let err = read(&with(name, Some(value))).unwrap_err();
                assert_eq!(
                    err.to_string(),
                    format!("variable {name} must be visible ASCII characters only (no spaces or line ends)")
                );
            }
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
                "s3_host",
                &"h".repeat(70_000),
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
            (
                "aws_secret_access_key",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n",
                "variable aws_secret_access_key must be visible ASCII characters only (no spaces or line ends)",
            ),
            (
                "aws_access_key_id",
                " AKIDEXAMPLE",
                "variable aws_access_key_id must be visible ASCII characters only (no spaces or line ends)",
            ),
            (
                "aws_session_token",
                "FwoGZXIvYXdzEJr\r\n",
                "variable aws_session_token must be visible ASCII characters only (no spaces or line ends)",
            ),
        ];
        for (name, value, message) in cases {
            let vars = with(name, Some(value));
            let err = match name {
                name if name.starts_with("aws_") => AwsConfig::load(&vars).unwrap_err(),
                _ => s3(&vars).unwrap_err(),
            };
            assert_eq!(err.to_string(), message);
            assert!(!err.to_string().contains(value), "{value} leaked");
        }
    }

    #[test]
    fn chunks_go_unsigned_over_https_unless_told() {
        use crate::s3::Scheme::{Http, Https};
        assert!(s3_unsigned_chunks(&dev(), Https).unwrap());
        assert!(!s3_unsigned_chunks(&dev(), Http).unwrap());
        let signed = with("s3_chunk_signing", Some("signed"));
        assert!(!s3_unsigned_chunks(&signed, Https).unwrap());
        let unsigned = with("s3_chunk_signing", Some("unsigned"));
        assert!(s3_unsigned_chunks(&unsigned, Http).unwrap());
        let wrong = with("s3_chunk_signing", Some("sometimes"));
        let err = s3_unsigned_chunks(&wrong, Http).unwrap_err().to_string();
        assert_eq!(
            err,
            "variable s3_chunk_signing must be auto, signed or unsigned"
        );
    }

    #[test]
    fn checksum_policy_defaults_to_crc64nvme_on_every_call() {
        let policy = s3_checksums(&dev()).unwrap();
        assert_eq!(
            policy.upload(),
            Some(crate::s3::ChecksumAlgorithm::Crc64Nvme)
        );
        assert!(policy.check_download(false));
        let required = s3_checksums(&with("s3_checksums", Some("when_required"))).unwrap();
        assert_eq!(required.upload(), None);
        assert_eq!(
            (
                required.check_download(false),
                required.check_download(true)
            ),
            (false, true)
        );
        let off = s3_checksums(&with("s3_checksums", Some("off"))).unwrap();
        assert_eq!(off.mode, ChecksumMode::Off);
        assert!(!off.check_download(true));
        let sha = s3_checksums(&with("s3_checksum_algorithm", Some("sha256"))).unwrap();
        assert_eq!(sha.upload(), Some(crate::s3::ChecksumAlgorithm::Sha256));
        for (name, value, message) in [
            (
                "s3_checksums",
                "always",
                "variable s3_checksums must be when_supported, when_required or off",
            ),
            (
                "s3_checksum_algorithm",
                "md5",
                "variable s3_checksum_algorithm must be crc64nvme, crc32c, crc32 or sha256",
            ),
        ] {
            let err = s3_checksums(&with(name, Some(value))).unwrap_err();
            assert_eq!(err.to_string(), message);
        }
    }

    #[test]
    fn redirects_and_base_paths_are_off_unless_set() {
        assert_eq!(redirect_threshold(&dev()).unwrap(), None);
        let ten = with("s3_redirect_over_mib", Some("10"));
        assert_eq!(redirect_threshold(&ten).unwrap(), Some(10 << 20));
        for bad in ["0", "ten", "-1"] {
            assert!(redirect_threshold(&with("s3_redirect_over_mib", Some(bad))).is_err());
        }
        assert!(lambda_base_paths(&dev()).unwrap().is_empty());
        let paths = with("lambda_base_paths", Some(" /v1, ,/api/v2 "));
        assert_eq!(lambda_base_paths(&paths).unwrap(), ["/v1", "/api/v2"]);
        for bad in ["v1", "/", "/v1,api"] {
            assert!(
                lambda_base_paths(&with("lambda_base_paths", Some(bad))).is_err(),
                "{bad}"
            );
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
        // HTTPS's own port written out names the same host.
        assert!(endpoint("https://sqs.eu-west-1.amazonaws.com:443").is_ok());
        let spelled_out = endpoint("https://sqs.us-east-1.amazonaws.com:443").unwrap_err();
        assert_eq!(spelled_out.variable(), "sqs_endpoint");
        for origin in ["https://sts.amazonaws.com", "https://sts.amazonaws.com:443"] {
            let global = aws_endpoint(
                &vars(&[("sts_endpoint", origin)]),
                Service::Sts,
                "eu-west-1",
            );
            assert_eq!(
                global.unwrap(),
                Endpoint::new(Service::Sts, origin, "us-east-1").unwrap(),
                "{origin}: the global STS host signs as us-east-1"
            );
        }
    }
}
