//! {{project-description}}
//!
//! A Lambda function of your own on Spin, built with spinlift:
//! - `summarize.rs` is the S3-triggered body, run for each object event delivered to
//!   `POST /events/s3` (S3 notifications through SNS, EventBridge, or raw);
//! - `summaries.rs` is an API route of your own, `GET /summaries/{*key}`, with its own errors;
//! - `app()` mounts them, with spinlift's `/healthz`. Add your routes there.
#![deny(unsafe_code)]

mod summaries;
mod summarize;

pub use summaries::SummaryError;
pub use summarize::Summarize;

use http::Method;
use spinlift::App;

/// The app: what this component serves.
pub fn app() -> App {
    App::new()
        .route(Method::GET, "/summaries/{*key}", summaries::get)
        .events_with(Summarize::from_variables)
        .health()
}

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{IncomingRequest, ResponseOutparam};

    /// The Spin entry point: every request goes to the app.
    #[spin_sdk::http_component]
    async fn handle_request(request: IncomingRequest, out: ResponseOutparam) {
        super::app().serve(request, out).await;
    }
}
