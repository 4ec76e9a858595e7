//! Test-only support: a Spin-like wasm host for end-to-end tests.
//!
//! - [`wasm_build`]: builds the component from the current sources, once per process;
//! - [`manifest`]: variables and `allowed_outbound_hosts` from `spin.toml`;
//! - [`outbound`]: the `allowed_outbound_hosts` matcher and the hook that applies it;
//! - [`host`]: the wasmtime host serving the component on `127.0.0.1:0`;
//! - [`fault_proxy`]: a proxy in front of the store that injects faults a test scripts;
//! - [`s3_store`]: a real, signature-verifying S3 store (s3s-fs) and a plain HTTP client;
//! - [`load`]: a keep-alive load generator and the process's resident memory;
//! - [`moto`]: moto's server, a signature-verifying DynamoDB/SQS/SNS/STS, bootstrapped;
//! - [`sns_peer`]: SNS's HTTP side (certificate, confirmations) and SNS-style message signing.
//! - [`spin_stand_in`]: `scripts/dev` run with a stand-in `spin`, as far as Spin.
//! - [`sns_front`]: where moto's SNS delivers over HTTPS, forwarding to the component as SNS would.
//! - [`router`]: the variables the default router runs with natively (fuzz, hostile input);
//! - [`template`]: `spin new`: a template of `templates/` rendered as Spin renders it.
//!
//! Each test crate uses a different part of this module, so what one crate leaves unused
//! is not dead code.
#![allow(dead_code)]

pub mod fault_proxy;
pub mod host;
pub mod load;
pub mod manifest;
pub mod moto;
pub mod outbound;
pub mod router;
pub mod s3_store;
pub mod sns_front;
pub mod sns_peer;
pub mod spin_stand_in;
pub mod template;
pub mod wasm_build;

/// A new, empty directory under the system's temp dir for one server of one test: named by
/// `kind`, the process and a counter, so tests running at once in one binary never share one.
/// (`s3_store` keeps its own: some test crates include that file without this module.)
pub fn scratch_dir(kind: &str) -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("spinlift-{kind}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
