//! Signing inside WebAssembly: runs `examples/sign_bench.rs`, built for wasm32-wasip2, under
//! wasmtime (Cranelift, optimized for speed, as Spin runs components), and the same example
//! built natively, and prints both medians and their ratio.
//!
//! `scripts/bench` builds both first (`cargo build --release --example sign_bench`, and the
//! same with `--target wasm32-wasip2 --no-default-features`, without the Spin entry point),
//! then runs this with `cargo run --example wasm_signing`.
//! An example rather than a bench: benches build with the release profile's LTO, which
//! would take many minutes over wasmtime.

use std::path::Path;
use std::process::Command;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, OptLevel, Store};
use wasmtime_wasi::p2::bindings::Command as WasiCommand;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

const PER_ROUND: &str = "20000";

struct State {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

async fn run_wasm(path: &Path) -> f64 {
    let mut config = Config::new();
    config.cranelift_opt_level(OptLevel::Speed);
    let engine = Engine::new(&config).unwrap();
    let component = Component::from_file(&engine, path)
        .unwrap_or_else(|err| panic!("{}: {err} (run scripts/bench)", path.display()));
    let mut linker = Linker::<State>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
    let stdout = MemoryOutputPipe::new(1 << 10);
    let wasi = WasiCtx::builder()
        .args(&["sign_bench", PER_ROUND])
        .stdout(stdout.clone())
        .build();
    let mut store = Store::new(
        &engine,
        State {
            wasi,
            table: ResourceTable::new(),
        },
    );
    let command = WasiCommand::instantiate_async(&mut store, &component, &linker)
        .await
        .unwrap();
    command
        .wasi_cli_run()
        .call_run(&mut store)
        .await
        .unwrap()
        .expect("sign_bench failed");
    parse(&stdout.contents())
}

fn run_native(path: &Path) -> f64 {
    let output = Command::new(path)
        .arg(PER_ROUND)
        .output()
        .unwrap_or_else(|err| panic!("{}: {err} (run scripts/bench)", path.display()));
    assert!(output.status.success());
    parse(&output.stdout)
}

fn parse(stdout: &[u8]) -> f64 {
    String::from_utf8_lossy(stdout)
        .trim()
        .parse()
        .expect("sign_bench prints nanoseconds")
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    let wasm = run_wasm(&target.join("wasm32-wasip2/release/examples/sign_bench.wasm")).await;
    let native = run_native(&target.join("release/examples/sign_bench"));
    println!("| case | native | wasm (wasmtime) | wasm / native |");
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| s3_get_header | {:.2} µs | {:.2} µs | {:.2}x |",
        native / 1000.0,
        wasm / 1000.0,
        wasm / native
    );
}
