//! spinlift: an AWS Lambda function lifted onto Spin, talking to AWS through its own SigV4 signer.
//!
//! The crate builds two ways. For `wasm32-wasip2` it is a Spin HTTP component:
//! the entry point below converts the request to `http` types, calls
//! [`app::handle`], and converts the answer back. Natively it is a plain
//! library, so the whole app (routing, auth, config, signing) is unit-tested
//! without a WebAssembly runtime.
//!
//! Only this entry point and the wasm-only `spin_adapter` module name `spin_sdk`;
//! every other module is pure over `http` types and the seams in [`config`]
//! (variables) and [`outbound`] (HTTP to AWS).
// No unsafe code anywhere. `forbid` cannot be relaxed, but Spin's export glue that
// `#[http_component]` generates is `unsafe` by nature (FFI exports), so on wasm32 the
// crate `deny`s unsafe code and only the `entry` module below, which holds nothing
// but that glue and a one-line safe function, allows it. The native build, which
// compiles every other line, keeps `forbid`.
#![cfg_attr(not(target_arch = "wasm32"), forbid(unsafe_code))]
#![cfg_attr(target_arch = "wasm32", deny(unsafe_code))]
#![warn(missing_docs, unreachable_pub)]

pub use spinlift_core::{aws, events, lambda, s3, sigv4, xml};

pub mod app;
pub mod auth;
pub mod body;
pub mod cache;
pub mod clock;
pub mod config;
pub mod cors;
pub mod error;
pub mod indexer;
pub mod mirror;
pub mod outbound;
pub mod retry;
pub mod routes;

#[cfg(all(target_arch = "wasm32", feature = "spin"))]
mod spin_adapter;

/// The Spin entry point: WASI HTTP in, [`app::handle`], WASI HTTP out, bodies streamed.
#[cfg(all(target_arch = "wasm32", feature = "spin"))]
#[allow(unsafe_code)]
mod entry {
    use crate::spin_adapter::{
        incoming, log_line, now, respond, SpinCache, SpinHttp, SpinVariables,
    };
    use spin_sdk::http::{IncomingRequest, ResponseOutparam};

    #[spin_sdk::http_component]
    async fn handle_request(request: IncomingRequest, out: ResponseOutparam) {
        let response = match incoming(request) {
            Ok(request) => {
                let cx = crate::app::Context {
                    vars: &SpinVariables,
                    client: &SpinHttp,
                    cache: &SpinCache,
                    now: now(),
                    log: &log_line,
                };
                crate::app::handle(request, &cx).await
            }
            Err(err) => err.into_response(),
        };
        respond(out, response).await;
    }
}
