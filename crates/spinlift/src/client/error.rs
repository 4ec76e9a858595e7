//! The client's error: what went wrong calling AWS, told apart so the HTTP edge can decide
//! the status (`crate::error`) and an event handler can decide whether to skip or fail.

use crate::aws::AwsError;
use crate::body::BodyError;
use crate::config::ConfigError;
use crate::outbound::{TransportError, TransportErrorKind};
use crate::s3::S3ErrorKind;
use crate::sigv4::SigningError;
use std::fmt;

/// A failed AWS call.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// A variable the call needs is missing or invalid.
    Config(ConfigError),
    /// The request could not be signed: a header the caller passed on cannot be signed (see
    /// [`SigningError::kind`]), or a fault of spinlift's.
    Signing(SigningError),
    /// No answer: the endpoint could not be reached, timed out or is not allowed, or the body
    /// being sent (the client's upload) broke off.
    Transport(TransportError),
    /// The service answered an error.
    Service {
        /// The service's signing name (`s3`, `dynamodb`, ...).
        service: &'static str,
        /// What it answered.
        error: AwsError,
    },
    /// S3 called bad input what spinlift chose itself, not the client: the checksum it
    /// computed (`BadDigest`: the bytes were damaged on the way from spinlift), the parts it
    /// cut and listed (`InvalidPart`, `EntityTooSmall`), the object a handler wrote. Answered
    /// 502 with S3's code, since the client can do nothing about it.
    OwnInputRefused(AwsError),
    /// The service's answer broke off, or outgrew what is read into memory.
    BrokenAnswer {
        /// The service's signing name.
        service: &'static str,
        /// The answer's status.
        status: u16,
        /// Why it could not be read.
        reason: BodyError,
    },
}

impl ClientError {
    /// A short name of what failed, for log lines: the service's error code when it answered
    /// one, else the kind of failure.
    pub fn code(&self) -> &str {
        match self {
            ClientError::Config(_) => "config",
            ClientError::Signing(_) => "signing",
            ClientError::Transport(err) => match err.kind {
                TransportErrorKind::Timeout => "timeout",
                TransportErrorKind::Denied => "denied",
                TransportErrorKind::RequestBody => "request_body",
                _ => "unreachable",
            },
            ClientError::Service { error, .. } | ClientError::OwnInputRefused(error) => &error.code,
            ClientError::BrokenAnswer { .. } => "IncompleteResponse",
        }
    }

    /// S3 said there is no such key (a missing bucket is no such answer: it is a failure).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ClientError::Service { service: "s3", error }
            if error.s3_kind() == S3ErrorKind::NotFound)
    }

    /// The service's error, when it answered one.
    pub fn service_error(&self) -> Option<&AwsError> {
        match self {
            ClientError::Service { error, .. } | ClientError::OwnInputRefused(error) => Some(error),
            _ => None,
        }
    }

    /// The error of an S3 request whose every part spinlift chose (a part it cut and
    /// checksummed, a completion listing the parts it sent, an object a handler wrote): S3
    /// calling its input bad blames spinlift, not the client who made the request.
    pub(crate) fn of_own_request(self) -> Self {
        match self {
            ClientError::Service {
                service: "s3",
                error,
            } if error.s3_kind() == S3ErrorKind::ClientInput => ClientError::OwnInputRefused(error),
            other => other,
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Config(err) => write!(f, "{err}"),
            ClientError::Signing(err) => write!(f, "the request cannot be signed: {err}"),
            ClientError::Transport(err) => write!(f, "{err}"),
            ClientError::Service { service, error } => write!(f, "{service} answered {error}"),
            ClientError::OwnInputRefused(error) => {
                write!(f, "s3 refused a request spinlift made itself: {error}")
            }
            ClientError::BrokenAnswer {
                service,
                status,
                reason,
            } => write!(f, "{service}'s {status} answer broke off: {reason}"),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<ConfigError> for ClientError {
    fn from(err: ConfigError) -> Self {
        ClientError::Config(err)
    }
}

impl From<TransportError> for ClientError {
    fn from(err: TransportError) -> Self {
        ClientError::Transport(err)
    }
}
