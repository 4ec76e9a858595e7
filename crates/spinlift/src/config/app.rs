//! The app's own settings: the bucket, the tokens clients and event senders present, the
//! default event handler's index, SNS's certificate origin and topics, CORS, and the upload
//! threshold.

use super::{invalid, number, read, require, require_visible, ConfigError, Secret, Variables};
use crate::events::sns::SnsOrigin;
use crate::s3::{is_bucket_name, ChecksumAlgorithm, S3Config, Scheme};

/// Reads `s3_bucket`, `s3_scheme`, `s3_host`, `s3_path_style`.
///
/// # Errors
///
/// The first variable that is missing, invalid or unreadable.
pub fn s3(vars: &dyn Variables) -> Result<S3Config, ConfigError> {
    let bucket = require(vars, "s3_bucket")?;
    if !is_bucket_name(&bucket) {
        return Err(invalid(
            "s3_bucket",
            "a bucket name: 3 to 63 lowercase letters, digits, dots and hyphens",
        ));
    }
    let scheme = match require(vars, "s3_scheme")?.as_str() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        _ => return Err(invalid("s3_scheme", "http or https")),
    };
    let host = require(vars, "s3_host")?;
    if !is_host_and_port(&host) {
        return Err(invalid("s3_host", "host[:port] without scheme or path"));
    }
    let path_style = match require(vars, "s3_path_style")?.as_str() {
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
    require_visible(vars, "api_token").map(Secret)
}

/// Reads `webhook_token`, the shared secret webhook senders must present.
///
/// # Errors
///
/// The variable is missing, empty or unreadable.
pub fn webhook_token(vars: &dyn Variables) -> Result<Secret, ConfigError> {
    require_visible(vars, "webhook_token").map(Secret)
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
    let table = read(vars, "index_table")?;
    let s3_manifests = match read(vars, "index_s3_manifests")?.as_deref() {
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
        prefix: require(vars, "index_prefix")?,
        table,
        queue_url: read(vars, "notify_queue_url")?,
        topic_arn: read(vars, "notify_topic_arn")?,
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
    SnsOrigin::parse(&require(vars, variable)?)
        .ok_or_else(|| invalid(variable, "http(s)://host[:port], without a path"))
}

/// Reads `sns_topic_arns`: the comma-separated topic ARNs whose SNS messages are accepted.
/// Empty accepts any topic (the webhook token still gates the endpoint).
///
/// # Errors
///
/// The variable is unreadable.
pub fn sns_topic_arns(vars: &dyn Variables) -> Result<Vec<String>, ConfigError> {
    Ok(read(vars, "sns_topic_arns")?
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|arn| !arn.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default())
}

/// Reads `lambda_base_paths`: comma-separated path prefixes (`/v1, /api`) removed from the
/// path of a request a Lambda API event carries, as a custom domain's base-path mapping puts
/// them there (the AWS Lambda Web Adapter's `AWS_LWA_REMOVE_BASE_PATH`). Empty removes none.
///
/// # Errors
///
/// The variable is unreadable, or an entry does not start with `/`.
pub fn lambda_base_paths(vars: &dyn Variables) -> Result<Vec<String>, ConfigError> {
    let paths: Vec<String> = read(vars, "lambda_base_paths")?
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|path| !path.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if paths
        .iter()
        .any(|path| !path.starts_with('/') || path == "/")
    {
        return Err(invalid(
            "lambda_base_paths",
            "comma-separated paths, each starting with / (e.g. /v1, /api)",
        ));
    }
    Ok(paths)
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

/// The methods a preflight may ask for when `cors_allowed_methods` is empty or not declared
/// (the default in spinlift's `spin.toml`): an app that declares only the origins gets a
/// policy that works, not one refusing every preflight.
pub(crate) const DEFAULT_CORS_METHODS: &str = "GET, HEAD, PUT, POST, DELETE";
/// The request headers a preflight may ask for when `cors_allowed_headers` is empty or not
/// declared.
pub(crate) const DEFAULT_CORS_HEADERS: &str =
    "authorization, content-type, range, if-none-match, if-match";

/// Reads `cors_allowed_origins` (none: CORS is off), `cors_allowed_methods` and
/// `cors_allowed_headers` (their defaults when empty).
///
/// # Errors
///
/// A variable is unreadable.
pub fn cors(vars: &dyn Variables) -> Result<CorsSettings, ConfigError> {
    let list = |name, default: &str| {
        Ok::<_, ConfigError>(read(vars, name)?.unwrap_or_else(|| default.to_owned()))
    };
    Ok(CorsSettings {
        allowed_origins: list("cors_allowed_origins", "")?,
        allowed_methods: list("cors_allowed_methods", DEFAULT_CORS_METHODS)?,
        allowed_headers: list("cors_allowed_headers", DEFAULT_CORS_HEADERS)?,
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

/// Reads `s3_copy_threshold_mib` (5–5120, default 5120): the largest source `POST
/// /objects/{key}/copy` copies with one CopyObject, in bytes. A larger one is copied in parts
/// of 512 MiB or this size when smaller (larger, to fit 10,000), four at a time: lower it
/// where one request must finish within a platform's time limit.
///
/// # Errors
///
/// The variable is unreadable or out of range.
pub fn copy_threshold(vars: &dyn Variables) -> Result<u64, ConfigError> {
    let mib = number(
        vars,
        "s3_copy_threshold_mib",
        5120,
        5..=5120,
        "MiB, 5 to 5120 (S3 copies at most 5 GiB in one request, parts of at least 5 MiB)",
    )?;
    Ok(mib << 20)
}

/// Reads `s3_redirect_over_mib`: `GET /objects/{key}` of an object larger than this many MiB
/// answers `307` to a presigned GET instead of streaming it (a hosted platform caps answers at
/// 10 MiB). Empty (the default) never redirects unasked.
///
/// # Errors
///
/// The variable is unreadable or not a whole number of MiB from 1 to 5,242,880 (5 TiB).
pub fn redirect_threshold(vars: &dyn Variables) -> Result<Option<u64>, ConfigError> {
    if read(vars, "s3_redirect_over_mib")?.is_none() {
        return Ok(None);
    }
    let mib = number(
        vars,
        "s3_redirect_over_mib",
        0,
        1..=5 << 20,
        "MiB, 1 to 5242880, or empty for never",
    )?;
    Ok(Some(mib << 20))
}

/// When S3 calls carry additional checksums (`s3_checksums`) and which algorithm uploads
/// compute (`s3_checksum_algorithm`). Some S3-compatible stores refuse the checksum headers,
/// or the trailer they travel in: those run with `when_required` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChecksumPolicy {
    /// When checksums are sent and checked.
    pub mode: ChecksumMode,
    /// What uploads compute under `when_supported` (CRC64NVME by default).
    pub algorithm: ChecksumAlgorithm,
}

/// The values of `s3_checksums`, named as the AWS SDKs name theirs
/// (`request_checksum_calculation`, `response_checksum_validation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumMode {
    /// Every upload computes a checksum and sends it in its signed trailer (or its parts'
    /// headers); every whole-object download is checked against the stored one.
    WhenSupported,
    /// Only what clients ask for: their own checksum headers are passed on, downloads are
    /// checked when the client sends `x-amz-checksum-mode: ENABLED`.
    WhenRequired,
    /// No checksum header is ever sent; a client's is refused (400) rather than dropped.
    /// `Content-MD5`, which every store takes, still goes through.
    Off,
}

impl ChecksumPolicy {
    /// The algorithm an upload computes when its client gave no value of its own.
    pub fn upload(self) -> Option<ChecksumAlgorithm> {
        (self.mode == ChecksumMode::WhenSupported).then_some(self.algorithm)
    }

    /// Whether a download is checked, `asked` being the client's `x-amz-checksum-mode:
    /// ENABLED`.
    pub fn check_download(self, asked: bool) -> bool {
        match self.mode {
            ChecksumMode::WhenSupported => true,
            ChecksumMode::WhenRequired => asked,
            ChecksumMode::Off => false,
        }
    }
}

/// Reads `s3_checksums` (`when_supported`, the default; `when_required`; `off`) and
/// `s3_checksum_algorithm` (`crc64nvme`, the default; `crc32c`, `crc32`, `sha256`).
///
/// # Errors
///
/// A variable is unreadable or not one of its values.
pub fn s3_checksums(vars: &dyn Variables) -> Result<ChecksumPolicy, ConfigError> {
    let mode = match read(vars, "s3_checksums")?.as_deref() {
        None | Some("when_supported") => ChecksumMode::WhenSupported,
        Some("when_required") => ChecksumMode::WhenRequired,
        Some("off") => ChecksumMode::Off,
        Some(_) => {
            return Err(invalid(
                "s3_checksums",
                "when_supported, when_required or off",
            ))
        }
    };
    let algorithm = match read(vars, "s3_checksum_algorithm")? {
        None => ChecksumAlgorithm::Crc64Nvme,
        Some(name) => ChecksumAlgorithm::from_name(&name).ok_or_else(|| {
            invalid(
                "s3_checksum_algorithm",
                "crc64nvme, crc32c, crc32 or sha256",
            )
        })?,
    };
    Ok(ChecksumPolicy { mode, algorithm })
}

/// Reads `s3_chunk_signing`: whether a streamed upload that carries a checksum trailer sends
/// its chunks unsigned (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`, the checksum alone guarding the
/// bytes end to end) rather than each signed. `auto` (the default) does as the AWS SDKs do:
/// unsigned over `https`, where TLS guards the bytes on the way, signed over `http`; `signed`
/// and `unsigned` choose. An upload without a checksum is always signed chunk by chunk.
///
/// # Errors
///
/// The variable is unreadable or not one of its values.
pub fn s3_unsigned_chunks(vars: &dyn Variables, scheme: Scheme) -> Result<bool, ConfigError> {
    match read(vars, "s3_chunk_signing")?.as_deref() {
        None | Some("auto") => Ok(scheme == Scheme::Https),
        Some("signed") => Ok(false),
        Some("unsigned") => Ok(true),
        Some(_) => Err(invalid("s3_chunk_signing", "auto, signed or unsigned")),
    }
}

/// `host[:port]` only: an authority with no userinfo, no path, no scheme, and no longer than
/// a DNS name (253) and a port: every URI built on it must parse.
fn is_host_and_port(value: &str) -> bool {
    if value.len() > 253 + ":65535".len() {
        return false;
    }
    match value.parse::<http::uri::Authority>() {
        Ok(authority) => {
            authority.as_str() == value && !value.contains('@') && !authority.host().is_empty()
        }
        Err(_) => false,
    }
}
