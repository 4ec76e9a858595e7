//! The layering the workspace promises, checked on what cargo resolves: `spinlift-core` is the
//! pure core, so neither the Spin SDK nor any WASI binding may enter its dependency tree, for
//! the native target or for `wasm32-wasip2`. A dependency that would let the core name Spin (or
//! reach the host some other way) fails here before it can be used.

use std::process::Command;

/// Crates that would give the core a way to the host: Spin's SDK and executor, WASI bindings.
const FORBIDDEN_PREFIXES: [&str; 3] = ["spin-", "wasi", "wit-bindgen"];

/// The packages in `package`'s normal and build dependency tree for `target` (`None`: the
/// host, cargo tree's default).
fn dependencies(package: &str, target: Option<&str>) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command.args(["tree", "-p", package, "--edges", "normal,build"]);
    if let Some(target) = target {
        command.args(["--target", target]);
    }
    let output = command
        .args(["--prefix", "none", "--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cannot run cargo tree");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("cargo tree prints UTF-8")
        .lines()
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[test]
fn the_core_depends_on_neither_spin_nor_wasi() {
    for target in [None, Some("wasm32-wasip2")] {
        let packages = dependencies("spinlift-core", target);
        // The tree really was read: the core itself and its signing stack are in it.
        assert!(
            packages.iter().any(|p| p == "spinlift-core"),
            "{target:?}: {packages:?}"
        );
        assert!(
            packages.iter().any(|p| p == "sha2"),
            "{target:?}: {packages:?}"
        );
        let forbidden: Vec<&String> = packages
            .iter()
            .filter(|p| FORBIDDEN_PREFIXES.iter().any(|f| p.starts_with(f)))
            .collect();
        assert!(
            forbidden.is_empty(),
            "{target:?}: spinlift-core must stay pure, but depends on {forbidden:?}"
        );
    }
}

#[test]
fn the_edge_does_depend_on_spin_for_wasm() {
    // The check above can fail: the same query on the Spin edge finds Spin's SDK.
    let packages = dependencies("spinlift", Some("wasm32-wasip2"));
    assert!(packages.iter().any(|p| p == "spin-sdk"), "{packages:?}");
}
