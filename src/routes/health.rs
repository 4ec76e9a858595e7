//! `GET /healthz`: the readiness check.
//!
//! Public and free of configuration on purpose: it answers as soon as the
//! component is instantiated, so a platform probe never depends on secrets or
//! on AWS being reachable.

use http::{Response, StatusCode};
use serde_json::json;

use crate::body::Body;
use crate::error::json_response;

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
