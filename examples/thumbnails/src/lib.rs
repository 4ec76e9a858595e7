//! An example of a team's own Lambda lifted onto Spin with spinlift, written as a user of the
//! `spinlift` crate would: nothing here comes from spinlift's default component.
//!
//! The Lambda it replaces kept a metadata record for every image uploaded to a bucket and
//! served it over API Gateway:
//! - `POST /events/s3` (S3 notifications, SNS or EventBridge): for a new object, its size,
//!   content type and ETag become an item in the `metadata_table` DynamoDB table and a derived
//!   object `<derived_prefix><key>.json` in the bucket; a removal deletes both.
//! - `GET /metadata/{*key}`: the item, as JSON, or `404 not_found`.
//! - `POST /lambda` and `GET /healthz` from spinlift's built-ins, so API Gateway's events reach
//!   the same route during the migration.
#![deny(unsafe_code)]

mod describe;
mod metadata;

pub use describe::Describe;
pub use metadata::MetadataError;

use http::Method;
use spinlift::App;

/// The app: one route of its own, its event handler, and two of spinlift's built-ins.
pub fn app() -> App {
    App::new()
        .route(Method::GET, "/metadata/{*key}", metadata::get)
        .events_with(Describe::from_variables)
        .lambda()
        .health()
}

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{IncomingRequest, ResponseOutparam};

    /// The Spin entry point.
    #[spin_sdk::http_component]
    async fn handle_request(request: IncomingRequest, out: ResponseOutparam) {
        super::app().serve(request, out).await;
    }
}
