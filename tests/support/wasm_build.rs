//! The component under test, always built from the current sources.
//!
//! Instead of trusting whatever `.wasm` lies in `target/`, the first test that
//! needs the component runs `cargo build --target wasm32-wasip2 --release` (the
//! manifest's build command) once per test process. When nothing changed this
//! is a no-op that takes well under a second. Running cargo inside `cargo test`
//! is safe: the outer cargo holds the target-directory lock only while it
//! compiles, not while it runs the test binaries.
//!
//! The path of the `.wasm` comes from cargo's own JSON messages, so it is right
//! whatever `CARGO_TARGET_DIR` or `build.target-dir` says.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Builds the component if needed (once per process) and returns its path.
pub fn component_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(build)
}

fn build() -> PathBuf {
    // `CARGO` is the cargo running this test, so both use the same toolchain.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["build", "--target", "wasm32-wasip2", "--release"])
        .args(["--message-format", "json-render-diagnostics"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(Stdio::inherit())
        .output()
        .expect("cannot run cargo to build the component");
    assert!(
        output.status.success(),
        "`cargo build --target wasm32-wasip2 --release` failed (is the wasm32-wasip2 target installed?)"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|msg| {
            msg["reason"] == "compiler-artifact" && msg["target"]["name"] == "spinlift_app"
        })
        .flat_map(|msg| msg["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|name| name.as_str().map(PathBuf::from))
        .find(|path| path.extension().is_some_and(|ext| ext == "wasm"))
        .expect("cargo reported no spinlift_app.wasm artifact")
}
