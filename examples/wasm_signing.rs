//! Signing and hashing inside WebAssembly: runs `examples/sign_bench.rs`, built for
//! wasm32-wasip2, under wasmtime (Cranelift, optimized for speed, as Spin runs components),
//! and the same example built natively, and prints both medians and their ratio for each case
//! (an S3 GET signed; SHA-256 and CRC64NVME over 1 MiB, an upload's per-byte work).
//!
//! `scripts/bench` builds both first (`cargo build --release --example sign_bench`, and the
//! same with `--target wasm32-wasip2 --no-default-features`, without the Spin entry point),
//! and the wasm build again with `opt-level = "z"` (the template's profile) into
//! `target/opt-z`, then runs this with `cargo run --example wasm_signing`. The last column
//! is that build's median: what the smaller code costs in speed.
//! An example rather than a bench: benches build with the release profile's LTO, which
//! would take many minutes over wasmtime.

use std::path::Path;
use std::process::Command;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, OptLevel, Store};
use wasmtime_wasi::p2::bindings::Command as WasiCommand;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Each case: its name, sign_bench's arguments (calls per round, then the case).
const CASES: [(&str, &[&str]); 3] = [
    ("s3_get_header", &["20000"]),
    ("sha256, per MiB", &["8", "sha256"]),
    ("crc64nvme, per MiB", &["8", "crc64nvme"]),
];

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

async fn run_wasm(path: &Path, args: &[&str]) -> f64 {
    let mut config = Config::new();
    config.cranelift_opt_level(OptLevel::Speed);
    let engine = Engine::new(&config).unwrap();
    let component = Component::from_file(&engine, path)
        .unwrap_or_else(|err| panic!("{}: {err} (run scripts/bench)", path.display()));
    let mut linker = Linker::<State>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
    let stdout = MemoryOutputPipe::new(1 << 10);
    let wasi = WasiCtx::builder()
        .args(&[&["sign_bench"], args].concat())
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

fn run_native(path: &Path, args: &[&str]) -> f64 {
    let output = Command::new(path)
        .args(args)
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
    let wasm = target.join("wasm32-wasip2/release/examples/sign_bench.wasm");
    let wasm_z = target.join("opt-z/wasm32-wasip2/release/examples/sign_bench.wasm");
    let native = target.join("release/examples/sign_bench");
    println!("| case | native | wasm (wasmtime) | wasm / native | wasm, `opt-level = \"z\"` |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (case, args) in CASES {
        let in_wasm = run_wasm(&wasm, args).await;
        let natively = run_native(&native, args);
        let z = match wasm_z.exists() {
            true => format!("{:.2} µs", run_wasm(&wasm_z, args).await / 1000.0),
            false => "not built".into(),
        };
        println!(
            "| {case} | {:.2} µs | {:.2} µs | {:.2}x | {z} |",
            natively / 1000.0,
            in_wasm / 1000.0,
            in_wasm / natively
        );
    }
}
