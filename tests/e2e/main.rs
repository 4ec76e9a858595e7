//! End-to-end suites: the built component served by the wasmtime host in `tests/support`,
//! against real peers (s3s-fs, moto, an SNS stand-in).
//!
//! One test binary, not one per suite: each binary links wasmtime (about 100 MB), and the
//! component is compiled by Cranelift once per process, so one binary keeps CI's disk use
//! and build time down.

#[path = "../support/mod.rs"]
mod support;

mod api;
mod aws_services;
mod basics;
mod browser;
mod checksums;
mod conditions;
mod cors;
mod deploy;
mod deploy_delivery;
mod dev_script;
mod events;
mod example_app;
mod faults;
mod forms;
mod indexer;
mod keys;
mod lambda;
mod objects;
mod secrets;
mod sns;
mod upload_checksums;
mod uploads;
