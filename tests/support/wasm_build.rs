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

/// A Spin app the host serves: its manifest and its built component.
#[derive(Clone, Debug)]
pub struct AppUnderTest {
    /// Its `spin.toml` (one component).
    pub manifest: PathBuf,
    /// Its `.wasm`, built.
    pub wasm: PathBuf,
}

impl AppUnderTest {
    /// spinlift's default component, built from the current sources, with the root spin.toml.
    pub fn spinlift() -> Self {
        Self {
            manifest: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/spin.toml")),
            wasm: component_path().to_owned(),
        }
    }
}

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

/// Builds the Spin app in `dir` as `spin build` would: its component's `[build] command`, run
/// in `dir` (in a shell-free split: the commands here are plain argument lists), then its
/// `source`. The build gets no `CARGO_TARGET_DIR`, so the `.wasm` lands where the manifest
/// says, in the app's own `target/`.
pub fn build_app(dir: &Path) -> AppUnderTest {
    let manifest = dir.join("spin.toml");
    let doc: toml::Table = std::fs::read_to_string(&manifest)
        .expect("read the app's spin.toml")
        .parse()
        .expect("the app's spin.toml is TOML");
    let components = doc["component"].as_table().expect("[component.*]");
    assert_eq!(components.len(), 1, "one component");
    let component = components.values().next().unwrap();
    let command = component["build"]["command"]
        .as_str()
        .expect("a build command");
    let source = component["source"].as_str().expect("a source path");
    let mut words = command.split_whitespace();
    let program = match words.next().expect("an empty build command") {
        // The cargo running these tests: same toolchain.
        "cargo" => std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()),
        other => other.to_owned(),
    };
    let status = Command::new(&program)
        .args(words)
        .current_dir(dir)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .status()
        .unwrap_or_else(|err| panic!("cannot run `{command}`: {err}"));
    assert!(status.success(), "`{command}` failed in {}", dir.display());
    let wasm = dir.join(source);
    assert!(wasm.exists(), "the build made no {}", wasm.display());
    AppUnderTest { manifest, wasm }
}
