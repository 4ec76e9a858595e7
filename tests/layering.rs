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

/// A source file's module path (`routes::objects` for `routes/objects.rs`, `routes` for
/// `routes/mod.rs`, the empty path for `lib.rs`).
fn module_of(relative: &std::path::Path) -> String {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts.join("::")
}

/// The `crate::` and `super::` paths a file's production code names (its `#[cfg(test)]` module,
/// which comes last in every file here, is left out: tests may reach anywhere), each made
/// absolute (`a::b::Item`).
fn named_paths(module: &str, source: &str) -> Vec<String> {
    let code = source.split("#[cfg(test)]").next().unwrap_or(source);
    let code: String = code
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut paths = Vec::new();
    for (anchor, base) in [("crate::", String::new()), ("super::", parent(module))] {
        for (at, _) in code.match_indices(anchor) {
            // `super::` inside a `crate::a::super::` never occurs; skip `xcrate::`-like words.
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let rest = &code[at + anchor.len()..];
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            if rest[path.len()..].starts_with('{') {
                // `use crate::{a, b::C}`: every listed path.
                let group = &rest[path.len() + 1..rest.find('}').unwrap_or(rest.len())];
                for item in group.split(',') {
                    paths.push(join(&base, &format!("{path}{}", item.trim())));
                }
            } else {
                paths.push(join(&base, &path));
            }
        }
    }
    paths
}

fn parent(module: &str) -> String {
    module
        .rsplit_once("::")
        .map_or(String::new(), |(p, _)| p.to_owned())
}

fn join(base: &str, path: &str) -> String {
    let path = path.trim_end_matches(':');
    match base.is_empty() {
        true => path.to_owned(),
        false => format!("{base}::{path}"),
    }
}

/// Module → the other modules of the same crate its production code imports from.
fn import_graph(src: &std::path::Path) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut files = Vec::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let modules: Vec<(String, String)> = files
        .iter()
        .map(|f| {
            let module = module_of(f.strip_prefix(src).expect("under src"));
            (module, std::fs::read_to_string(f).expect("read source"))
        })
        .collect();
    let known: std::collections::BTreeSet<&str> = modules.iter().map(|(m, _)| m.as_str()).collect();
    let mut graph = std::collections::BTreeMap::new();
    for (module, source) in &modules {
        let mut targets: Vec<String> = named_paths(module, source)
            .iter()
            .filter_map(|path| {
                // The longest prefix of the path that is a module of this crate (not the root:
                // `crate::Item` names the crate root's re-exports).
                let segments: Vec<&str> = path.split("::").collect();
                (1..=segments.len())
                    .rev()
                    .map(|n| segments[..n].join("::"))
                    .find(|prefix| known.contains(prefix.as_str()))
            })
            .filter(|target| target != module && !target.is_empty())
            .collect();
        targets.sort();
        targets.dedup();
        graph.insert(module.clone(), targets);
    }
    graph
}

/// A cycle in `graph`, as the modules around it, if there is one.
fn find_cycle(graph: &std::collections::BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &std::collections::BTreeMap<String, Vec<String>>,
        stack: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = std::collections::BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_imports_in_a_circle() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for krate in ["crates/spinlift-core/src", "crates/spinlift/src"] {
        let graph = import_graph(&root.join(krate));
        // The graph really was read: the edge's router imports the routes.
        assert!(graph.len() > 10, "{krate}: {graph:?}");
        if let Some(cycle) = find_cycle(&graph) {
            panic!(
                "{krate}: modules import in a circle: {}",
                cycle.join(" -> ")
            );
        }
    }
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let graph = |edges: &[(&str, &str)]| {
        let mut graph = std::collections::BTreeMap::<String, Vec<String>>::new();
        for (from, to) in edges {
            graph.entry((*from).into()).or_default().push((*to).into());
            graph.entry((*to).into()).or_default();
        }
        graph
    };
    assert_eq!(
        find_cycle(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])),
        None
    );
    assert_eq!(
        find_cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "a")])),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    let paths = named_paths(
        "routes::events",
        "use super::services::Services;\nuse crate::{body::Body, error};\n// crate::app\n#[cfg(test)]\nuse crate::app;",
    );
    assert_eq!(paths, ["body::Body", "error", "routes::services::Services"]);
}
