//! `spin new` for the tests: renders a template of Spin's format (`metadata/spin-template.toml`
//! and `content/`) into a directory, as Spin's template engine does.
//!
//! Spin renders every UTF-8 file of `content/` with Liquid (the `liquid` crate, Liquid's
//! standard library plus Spin's case filters), strips a `.tmpl` suffix, fills the built-in
//! parameters `project-name` and `authors`, and checks each value against its parameter's
//! `pattern`; files are written with default permissions (no executable bit, so scripts are
//! run as `bash scripts/dev`). (spinframework/spin, crates/templates: run.rs, renderer.rs, filters.rs.) Unlike
//! Spin, a text file that does not parse as Liquid fails here rather than being copied as is:
//! a template error must not reach a user as a half-rendered file.

use heck::{ToKebabCase, ToSnakeCase};
use liquid_core::{
    Display_filter, Filter, FilterReflection, ParseFilter, Result as LiquidResult, Runtime, Value,
    ValueView,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Renders the template at `template` into `dest` with `name` and `values` (parameter id →
/// value; the others take their defaults). Files are written only when their content changes,
/// so a rebuild of the same rendering is incremental. Returns the rendered files' paths.
pub fn render(
    template: &Path,
    dest: &Path,
    name: &str,
    values: &BTreeMap<&str, String>,
) -> Vec<PathBuf> {
    let globals = parameters(template, name, values);
    let parser = liquid::ParserBuilder::with_stdlib()
        .filter(KebabCaseParser)
        .filter(SnakeCaseParser)
        .build()
        .unwrap();
    let content = template.join("content");
    let mut written = Vec::new();
    for source in files(&content) {
        let relative = source.strip_prefix(&content).unwrap();
        let relative = match relative.to_str().and_then(|p| p.strip_suffix(".tmpl")) {
            Some(stripped) => PathBuf::from(stripped),
            None => relative.to_owned(),
        };
        let raw = std::fs::read(&source).unwrap();
        let rendered = match String::from_utf8(raw) {
            Ok(text) => parser
                .parse(&text)
                .and_then(|t| t.render(&globals))
                .unwrap_or_else(|err| panic!("{}: {err}", source.display()))
                .into_bytes(),
            Err(binary) => binary.into_bytes(),
        };
        let target = dest.join(&relative);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        if std::fs::read(&target).ok().as_deref() != Some(&rendered[..]) {
            std::fs::write(&target, &rendered).unwrap();
        }
        written.push(target);
    }
    written
}

/// The template's parameters with their values: given ones checked against their pattern,
/// the rest their defaults; plus Spin's built-ins.
fn parameters(template: &Path, name: &str, values: &BTreeMap<&str, String>) -> liquid::Object {
    let manifest: toml::Table =
        std::fs::read_to_string(template.join("metadata/spin-template.toml"))
            .expect("metadata/spin-template.toml")
            .parse()
            .expect("spin-template.toml is TOML");
    assert_eq!(manifest["manifest_version"].as_str(), Some("1"));
    let declared = manifest["parameters"].as_table().expect("[parameters]");
    for given in values.keys() {
        assert!(declared.contains_key(*given), "no parameter {given}");
    }
    let mut globals = liquid::Object::new();
    for (id, parameter) in declared {
        assert_eq!(parameter["type"].as_str(), Some("string"), "{id}");
        assert!(parameter.get("prompt").is_some(), "{id} has no prompt");
        let value = match values.get(id.as_str()) {
            Some(value) => value.clone(),
            None => parameter["default"].as_str().expect("a default").to_owned(),
        };
        if let Some(pattern) = parameter.get("pattern").and_then(toml::Value::as_str) {
            let pattern = regex::Regex::new(pattern).expect("a valid pattern");
            assert!(
                pattern.is_match(&value),
                "{id} = {value:?} fails its pattern"
            );
        }
        globals.insert(id.clone().into(), Value::scalar(value));
    }
    globals.insert("project-name".into(), Value::scalar(name.to_owned()));
    globals.insert(
        "authors".into(),
        Value::scalar("spinlift tests <tests@spinlift.invalid>"),
    );
    globals
}

/// Every file under `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[derive(Clone, ParseFilter, FilterReflection)]
#[filter(
    name = "kebab_case",
    description = "my-project-name",
    parsed(KebabCase)
)]
struct KebabCaseParser;

#[derive(Debug, Default, Display_filter)]
#[name = "kebab_case"]
struct KebabCase;

impl Filter for KebabCase {
    fn evaluate(&self, input: &dyn ValueView, _: &dyn Runtime) -> LiquidResult<Value> {
        Ok(Value::scalar(input.to_kstr().to_kebab_case()))
    }
}

#[derive(Clone, ParseFilter, FilterReflection)]
#[filter(
    name = "snake_case",
    description = "my_project_name",
    parsed(SnakeCase)
)]
struct SnakeCaseParser;

#[derive(Debug, Default, Display_filter)]
#[name = "snake_case"]
struct SnakeCase;

impl Filter for SnakeCase {
    fn evaluate(&self, input: &dyn ValueView, _: &dyn Runtime) -> LiquidResult<Value> {
        Ok(Value::scalar(input.to_kstr().to_snake_case()))
    }
}
