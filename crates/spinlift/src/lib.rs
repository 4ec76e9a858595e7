//! spinlift, the Spin edge: what turns the pure core ([`spinlift_core`], re-exported as
//! [`sigv4`], [`s3`], [`aws`], [`events`], [`lambda`], [`iam`], [`xml`]) into a component that
//! answers HTTP and talks to AWS.
//!
//! Here live the client that signs, sends, retries and re-signs on clock skew, role sessions,
//! typed configuration from Spin variables, the router, CORS, auth, the default event handler
//! (the indexer), and the one mapping from errors to HTTP answers ([`error`]).
//!
//! Everything but the `spin_adapter` module and `App::serve` (wasm32 with the `spin` feature)
//! is plain Rust over `http` types and the seams in [`config`] (variables), [`outbound`] (HTTP
//! to AWS), [`cache`] (the key-value store) and [`env`](mod@env) (time, sleep, randomness,
//! logging), so the whole app is unit-tested natively. A component builds an [`App`] and
//! calls its `serve` method from its `#[http_component]` entry.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub use app::App;
pub use spinlift_core::{aws, events, iam, lambda, s3, sigv4, xml};

pub mod app;
pub mod auth;
pub mod body;
pub mod cache;
pub mod client;
pub mod clock;
pub mod config;
pub mod cors;
pub mod env;
pub mod error;
pub mod handler;
pub mod indexer;
pub mod outbound;
pub mod retry;
pub mod router;
pub mod routes;

#[cfg(all(target_arch = "wasm32", feature = "spin"))]
mod spin_adapter;
