//! The default spinlift component, the one `spin.toml` builds: spinlift's object API, the S3
//! event webhook with the default indexer, `/lambda` and `/healthz`, served by the `spinlift`
//! edge crate. This file is the whole component; a team lifting its own Lambda writes the same
//! few lines in its own crate.
//!
//! Natively the package has no code: its tests (`tests/`) serve the built `.wasm` under
//! wasmtime and call the `spinlift` crates directly.
// Spin's export glue that `#[http_component]` generates is `unsafe` by nature (FFI exports):
// only the `entry` module, which holds nothing but that glue and one safe call, allows it.
#![deny(unsafe_code)]

#[cfg(all(target_arch = "wasm32", feature = "spin"))]
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{IncomingRequest, ResponseOutparam};

    /// The Spin entry point: one request, answered by [`spinlift::serve`].
    #[spin_sdk::http_component]
    async fn handle_request(request: IncomingRequest, out: ResponseOutparam) {
        spinlift::serve(request, out).await;
    }
}
