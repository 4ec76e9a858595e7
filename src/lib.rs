//! The default spinlift component, the one `spin.toml` builds: spinlift's object API, the S3
//! event webhook with the default indexer, `/lambda` and `/healthz`, mounted on a
//! [`spinlift::App`]. This file is the whole component; a team lifting its own Lambda writes
//! the same few lines in its own crate, with its own routes (`App::route`) and its own event
//! handler (`App::events`) in place of the built-ins it does not need.
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
    use spinlift::App;

    /// The Spin entry point: one request, answered by the app.
    #[spin_sdk::http_component]
    async fn handle_request(request: IncomingRequest, out: ResponseOutparam) {
        App::new()
            .health()
            .object_api()
            .lambda()
            .indexer()
            .serve(request, out)
            .await;
    }
}
