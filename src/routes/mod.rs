//! Route handlers: one file per group of routes, each pure over `http` types.
//!
//! A handler receives what it needs (request parts, loaded configuration,
//! later an HTTP client and a clock) and returns a response or an
//! [`ApiError`](crate::error::ApiError); the router in [`crate::app`] decides
//! which handler runs and what must be checked first.

pub mod health;
