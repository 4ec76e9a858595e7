//! The credentials every AWS call is signed with: the configured keys, or, when
//! `aws_role_arn` is set, temporary credentials from STS AssumeRole made with those keys
//! (how a Lambda execution role maps to Spin). Session credentials are kept in the cache
//! (Spin's `default` key-value store: private to the app, but stored as they are, so grant
//! that store to no other component) until 45 minutes before they expire.

use super::aws::AwsCall;
use super::error::ClientError;
use crate::aws::sts::{AssumeRole, SessionCredentials};
use crate::cache::Cache;
use crate::clock::Clock;
use crate::config::{self, AwsConfig, Variables};
use crate::env::LogStream;
use crate::outbound::HttpClient;
use crate::sigv4::{Credentials, Signer};

/// Session credentials are renewed this long before they expire. Resolved once per request,
/// they must outlast the request: a multipart upload through the component on self-hosted
/// Spin can run for many minutes, and every part is signed with the request's session. So a
/// one-hour session serves requests for its first quarter hour (an AssumeRole every 15
/// minutes: STS charges nothing for it, and it adds tens of milliseconds to the one request
/// that renews), each then holding at least 45 minutes; and if STS fails at a renewal, the
/// current session carries on for as long.
pub const REFRESH_MARGIN_SECONDS: u64 = 2700;
/// The lifetime asked of STS (its default, and every role's minimum maximum).
const SESSION_SECONDS: u32 = 3600;
/// Shown in CloudTrail as the session name.
const SESSION_NAME: &str = "spinlift";

/// What this request signs with.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The keys, or the role's session.
    pub credentials: Credentials,
    /// Region and base keys.
    pub aws: AwsConfig,
    /// When the session ends (seconds since the epoch); `None` for long-lived keys.
    pub expires_at: Option<u64>,
}

/// The credentials for this request's AWS calls.
///
/// # Errors
/// A variable is missing or invalid, or STS refused or could not be reached while no
/// cached session is still valid.
pub async fn resolve<C: HttpClient>(
    vars: &dyn Variables,
    client: &C,
    cache: &dyn Cache,
    clock: &Clock<'_>,
) -> Result<Resolved, ClientError> {
    let now = clock.now();
    let aws = AwsConfig::load(vars)?;
    let base = Credentials {
        access_key_id: aws.access_key_id.expose().to_owned(),
        secret_access_key: aws.secret_access_key.expose().to_owned(),
        session_token: aws.session_token.as_ref().map(|t| t.expose().to_owned()),
    };
    let Some(role_arn) = config::aws_role_arn(vars)? else {
        return Ok(Resolved {
            credentials: base,
            aws,
            expires_at: None,
        });
    };
    // Keyed by the base key too: new keys never inherit a session the old ones opened.
    let key = format!("sts-session:{}:{role_arn}", base.access_key_id);
    let cached = cache
        .get(&key)
        .and_then(|bytes| SessionCredentials::from_json(&bytes))
        .filter(|session| session.fresh_at(now, 0));
    let session = match cached {
        Some(session) if session.fresh_at(now, REFRESH_MARGIN_SECONDS) => session,
        cached => {
            let sts = AwsCall::new(vars, client, Signer::new(base), aws.region.clone(), clock);
            let assume = AssumeRole {
                role_arn: &role_arn,
                session_name: SESSION_NAME,
                duration_seconds: SESSION_SECONDS,
            };
            match (sts.call(&assume).await, cached) {
                (Ok(session), _) => {
                    cache.set(&key, &session.to_json());
                    session
                }
                // STS failing near the end of a session that is still valid: keep using it.
                (Err(err), Some(session)) => {
                    clock.env().log(
                        LogStream::Operator,
                        &format!("spinlift: renewing the role session failed ({}); using the current one until it expires", err.code()),
                    );
                    session
                }
                (Err(err), None) => return Err(err),
            }
        }
    };
    let expires_at = session.expires_at();
    let credentials = Credentials {
        access_key_id: session.access_key_id,
        secret_access_key: session.secret_access_key,
        session_token: Some(session.session_token),
    };
    Ok(Resolved {
        credentials,
        aws,
        expires_at,
    })
}
