//! The built component imports nothing outside the world we promise (`wit/`).
//!
//! `wit/world.wit` is the platform contract: a host that provides it can run
//! spinlift. This test decodes the real `spinlift_app.wasm`, resolves `wit/` with
//! wit-parser, and fails listing every import the world does not contain.
//! Versions are compared as semver-compatible, the way wasmtime (and so Spin)
//! links them: a component importing `wasi:http/types@0.2.0` fits a world
//! written against `@0.2.12`, but not one at `@0.3.0`.

#[path = "support/wasm_build.rs"]
#[allow(dead_code)] // Only the default component is read here.
mod wasm_build;

use std::collections::BTreeSet;

use wasmparser::{Parser, Payload};
use wit_parser::{Resolve, WorldItem};

/// The component's own (top-level) import and export names.
fn component_names(wasm: &[u8]) -> (Vec<String>, Vec<String>) {
    let (mut imports, mut exports, mut depth) = (Vec::new(), Vec::new(), 0);
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.expect("valid component") {
            // Nested modules and components open with their own `Version` and close with `End`.
            Payload::Version { .. } => depth += 1,
            Payload::End(_) => depth -= 1,
            Payload::ComponentImportSection(section) if depth == 1 => {
                imports.extend(section.into_iter().map(|i| i.unwrap().name.name.to_owned()));
            }
            Payload::ComponentExportSection(section) if depth == 1 => {
                exports.extend(section.into_iter().map(|e| e.unwrap().name.name.to_owned()));
            }
            _ => {}
        }
    }
    (imports, exports)
}

/// The interfaces world `spinlift` of `wit/` imports (or exports), as `ns:pkg/iface@ver`.
fn world_interfaces(exports: bool) -> BTreeSet<String> {
    let mut resolve = Resolve::default();
    let (package, _) = resolve
        .push_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/wit"))
        .expect("wit/ resolves");
    let world = resolve.select_world(&[package], Some("spinlift")).unwrap();
    let world = &resolve.worlds[world];
    let items = if exports {
        &world.exports
    } else {
        &world.imports
    };
    items
        .iter()
        .filter_map(|(_, item)| match item {
            WorldItem::Interface { id, .. } => resolve.id_of(*id),
            _ => None,
        })
        .collect()
}

/// `ns:pkg/iface` and the version after `@`, if any.
fn split(name: &str) -> (&str, Option<&str>) {
    match name.split_once('@') {
        Some((id, version)) => (id, Some(version)),
        None => (name, None),
    }
}

/// Same release line: equal major, and equal minor while major is 0; no pre-releases.
fn compatible(wanted: &str, offered: &str) -> bool {
    let parse = |v: &str| -> Option<(u64, u64)> {
        let mut parts = v.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = parts.next()?;
        patch.parse::<u64>().ok()?;
        Some((major, minor))
    };
    match (parse(wanted), parse(offered)) {
        (Some((0, a)), Some((0, b))) => a == b,
        (Some((a, _)), Some((b, _))) => a == b,
        _ => wanted == offered,
    }
}

/// Whether `name` is one of `world`'s interfaces, up to a compatible version.
fn provided(name: &str, world: &BTreeSet<String>) -> bool {
    let (id, version) = split(name);
    world.iter().any(|offered| {
        let (offered_id, offered_version) = split(offered);
        offered_id == id
            && match (version, offered_version) {
                (Some(v), Some(o)) => compatible(v, o),
                (v, o) => v == o,
            }
    })
}

#[test]
fn component_imports_only_the_promised_world() {
    let wasm = std::fs::read(wasm_build::component_path()).unwrap();
    let (imports, exports) = component_names(&wasm);
    eprintln!("component imports: {imports:#?}\ncomponent exports: {exports:#?}");
    let world = world_interfaces(false);
    let outside: Vec<&String> = imports.iter().filter(|i| !provided(i, &world)).collect();
    assert!(
        outside.is_empty(),
        "spinlift_app.wasm imports interfaces outside wit/world.wit: {outside:#?}\nthe world offers: {world:#?}"
    );
    assert!(
        imports
            .iter()
            .any(|i| split(i).0 == "fermyon:spin/variables"),
        "the component should read its configuration through fermyon:spin/variables"
    );
}

#[test]
fn component_exports_the_http_incoming_handler() {
    let wasm = std::fs::read(wasm_build::component_path()).unwrap();
    let (_, exports) = component_names(&wasm);
    let handler = "wasi:http/incoming-handler";
    assert!(
        exports.iter().any(|e| split(e).0 == handler),
        "no {handler} export in {exports:?}"
    );
    assert!(
        exports.iter().all(|e| provided(e, &world_interfaces(true))),
        "exports outside the world: {exports:?}"
    );
}

#[test]
fn versions_match_within_a_release_line() {
    assert!(compatible("0.2.0", "0.2.12"));
    assert!(compatible("0.2.12", "0.2.0"));
    assert!(!compatible("0.2.0", "0.3.0"));
    assert!(!compatible("0.2.0-rc-2023-10-18", "0.2.12"));
    assert!(compatible("2.0.0", "2.1.0"));
    assert!(!compatible("2.0.0", "3.0.0"));
}
