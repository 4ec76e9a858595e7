//! Where the component's bytes go: code size per crate, from an unstripped build's name section.
//!
//! ```sh
//! cargo build --target wasm32-wasip2 --release --config profile.release.strip=false
//! cargo run --example wasm_size -- target/wasm32-wasip2/release/spinlift_app.wasm
//! ```
//! With a number after the file (`-- <file.wasm> 40`), the largest functions follow, by their
//! symbol names: what to look at first when a crate's figure grows.
//!
//! Functions are attributed to the first path segment of their (legacy-mangled) Rust symbol;
//! generic code is counted where it was instantiated, so a crate's figure is approximate.

use std::collections::HashMap;
use wasmparser::{Name, Parser, Payload};

/// One core module's function bodies and names (a component nests several).
#[derive(Default)]
struct Module {
    imported: u32,
    bodies: Vec<usize>,
    names: HashMap<u32, String>,
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: wasm_size <file.wasm>");
    let bytes = std::fs::read(&path).expect("read the wasm file");
    let mut modules: Vec<Module> = Vec::new();
    let mut sections: HashMap<String, usize> = HashMap::new();
    for payload in Parser::new(0).parse_all(&bytes) {
        let payload = payload.expect("a valid component");
        if let Payload::Version {
            encoding: wasmparser::Encoding::Module,
            ..
        } = payload
        {
            modules.push(Module::default());
        }
        let Some(module) = modules.last_mut() else {
            continue;
        };
        match payload {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if matches!(import.expect("import").ty, wasmparser::TypeRef::Func(_)) {
                        module.imported += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => module.bodies.push(body.range().len()),
            Payload::DataSection(reader) => {
                *sections.entry("data".into()).or_default() += reader.range().len()
            }
            Payload::CustomSection(reader) => {
                *sections
                    .entry(format!("custom {}", reader.name()))
                    .or_default() += reader.data().len();
                if let wasmparser::KnownCustom::Name(names) = reader.as_known() {
                    for name in names.into_iter().flatten() {
                        if let Name::Function(map) = name {
                            for naming in map.into_iter().flatten() {
                                module.names.insert(naming.index, naming.name.to_owned());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let top_functions: usize = std::env::args()
        .nth(2)
        .map_or(0, |n| n.parse().expect("a number of functions to list"));
    let mut per_crate: HashMap<String, usize> = HashMap::new();
    let mut functions: Vec<(usize, &str)> = Vec::new();
    let mut code = 0;
    for module in &modules {
        for (i, size) in module.bodies.iter().enumerate() {
            let index = module.imported + u32::try_from(i).expect("few functions");
            let name = module.names.get(&index).map_or("?", String::as_str);
            *per_crate.entry(crate_of(name)).or_default() += size;
            functions.push((*size, name));
            code += size;
        }
    }
    let mut rows: Vec<_> = per_crate.into_iter().collect();
    rows.sort_by_key(|row| std::cmp::Reverse(row.1));
    println!(
        "{path}: {} bytes; code {code} bytes in {} modules",
        bytes.len(),
        modules.len()
    );
    let mut sections: Vec<_> = sections.into_iter().collect();
    sections.sort_by_key(|section| std::cmp::Reverse(section.1));
    for (name, size) in sections {
        println!("  {size:>8}  section {name}");
    }
    for (krate, size) in rows.iter().take(30) {
        println!("  {size:>8}  {krate}");
    }
    functions.sort_by_key(|function| std::cmp::Reverse(function.0));
    for (size, name) in functions.iter().take(top_functions) {
        println!("  {size:>8}  fn {name}");
    }
}

/// `_ZN5serde2de...` → `serde`; `_ZN71_$LT$...` impls → the first crate named inside.
fn crate_of(symbol: &str) -> String {
    let Some(mut rest) = symbol.strip_prefix("_ZN") else {
        return symbol
            .split(['(', ':', '<'])
            .next()
            .unwrap_or(symbol)
            .to_owned();
    };
    // Skip impl-path segments (`_$LT$...`) to the first plain identifier.
    while let Some(len_end) = rest.find(|c: char| !c.is_ascii_digit()) {
        let Ok(len) = rest[..len_end].parse::<usize>() else {
            break;
        };
        let ident = &rest[len_end..(len_end + len).min(rest.len())];
        if !ident.starts_with('_') && !ident.starts_with('$') {
            return ident.to_owned();
        }
        let inner = ident.trim_start_matches("_$LT$");
        if let Some(first) = inner
            .split("..")
            .next()
            .filter(|s| !s.is_empty() && !s.starts_with('$'))
        {
            return first.trim_start_matches('&').to_owned();
        }
        rest = &rest[(len_end + len).min(rest.len())..];
    }
    "?".into()
}
