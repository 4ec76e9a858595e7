//! `GET /healthz`: the readiness check, and `GET /healthz?deep=1`, the credentials check.
//!
//! The plain check is public and free of configuration on purpose: it answers as soon as
//! the component is instantiated, so a platform probe never depends on secrets or on AWS
//! being reachable. The deep one (authenticated) asks STS who the credentials are: the
//! quickest way to see that keys, role and clock are right after `spin deploy`.

use http::{Response, StatusCode};
use serde_json::json;

use crate::aws::sts::GetCallerIdentity;
use crate::body::Body;
use crate::client::aws::AwsCall;
use crate::error::{json_response, ApiError};
use crate::outbound::HttpClient;

/// `200 {"status":"ok","version","aws":{"account","arn"}}` from STS GetCallerIdentity
/// (never the keys).
///
/// # Errors
/// 502 with the AWS code when STS refuses (bad keys, clock skew), or cannot be reached.
pub async fn deep<C: HttpClient>(aws: &AwsCall<'_, C>) -> Result<Response<Body>, ApiError> {
    let identity = aws.call(&GetCallerIdentity).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "aws": {"account": identity.account, "arn": identity.arn},
        }),
    ))
}

/// `200 {"status":"ok","version":"<crate version>"}`.
pub fn healthz() -> Response<Body> {
    json_response(
        StatusCode::OK,
        &json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthz_reports_ok_and_the_crate_version() {
        let response = healthz();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        let expected = format!(
            r#"{{"status":"ok","version":"{}"}}"#,
            env!("CARGO_PKG_VERSION")
        );
        assert!(matches!(response.body(), Body::Bytes(bytes) if bytes == expected.as_bytes()));
    }
}
