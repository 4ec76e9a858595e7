//! What the harness takes from `spin.toml`, resolved the way Spin resolves it.
//!
//! Application variables (`[variables]`) get their value from a per-test
//! override, else the manifest default; the component (an app has one here)
//! sees only its own `[component.<id>.variables]`, whose `{{ name }}` templates
//! are expanded from the application variables. `allowed_outbound_hosts` is expanded the
//! same way. A template naming a variable with no value leaves the component
//! variable undefined (the guest gets `undefined`, as a component that does not declare
//! it would; Spin would not start an app whose variable has no value at all) and empties
//! the host entry, which denies every request (see `outbound`).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The parts of the manifest the harness enforces.
pub struct Manifest {
    /// Application variables and their defaults (`None`: no default).
    app_variables: BTreeMap<String, Option<String>>,
    /// Component variable name → template over application variables.
    component_variables: BTreeMap<String, String>,
    /// `allowed_outbound_hosts` entries, unexpanded.
    allowed_outbound_hosts: Vec<String>,
    /// `key_value_stores` labels the component is granted.
    key_value_stores: Vec<String>,
}

/// Per-test values of application variables: `Some` sets, `None` removes the default.
pub type Overrides = BTreeMap<String, Option<String>>;

impl Manifest {
    /// Reads `spin.toml` at the crate root (the default component, `spinlift`).
    pub fn load() -> Self {
        Self::load_from(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/spin.toml")))
    }

    /// Reads the `spin.toml` at `path`, of an app with one component.
    pub fn load_from(path: &Path) -> Self {
        let text = std::fs::read_to_string(path).expect("read spin.toml");
        let doc: toml::Table = text.parse().expect("spin.toml is valid TOML");
        let app_variables = doc["variables"]
            .as_table()
            .expect("[variables]")
            .iter()
            .map(|(name, decl)| (name.clone(), decl.get("default").map(string)))
            .collect();
        let components = doc["component"].as_table().expect("[component.*]");
        assert_eq!(components.len(), 1, "the harness serves one component");
        let component = components.values().next().unwrap();
        let component_variables = component["variables"]
            .as_table()
            .expect("[component.<id>.variables]")
            .iter()
            .map(|(name, template)| (name.clone(), string(template)))
            .collect();
        let allowed_outbound_hosts = component["allowed_outbound_hosts"]
            .as_array()
            .expect("allowed_outbound_hosts")
            .iter()
            .map(string)
            .collect();
        let key_value_stores = component
            .get("key_value_stores")
            .and_then(toml::Value::as_array)
            .map(|labels| labels.iter().map(string).collect())
            .unwrap_or_default();
        Self {
            app_variables,
            component_variables,
            allowed_outbound_hosts,
            key_value_stores,
        }
    }

    /// Application variables no component variable or `allowed_outbound_hosts` entry names:
    /// Spin accepts them, and a value set for one (`spin deploy --variable`) never reaches
    /// the component.
    pub fn unused_app_variables(&self) -> Vec<&str> {
        let templates: Vec<&str> = self
            .component_variables
            .values()
            .chain(&self.allowed_outbound_hosts)
            .map(String::as_str)
            .collect();
        self.app_variables
            .keys()
            .map(String::as_str)
            .filter(|name| {
                !templates
                    .iter()
                    .any(|t| names_in(t).any(|used| used == *name))
            })
            .collect()
    }

    /// Application variable values after `overrides`; panics on an undeclared name, and on
    /// one the component cannot see (the test would be setting it for nothing).
    fn app_values(&self, overrides: &Overrides) -> HashMap<String, String> {
        let mut values = self.app_variables.clone();
        let unused = self.unused_app_variables();
        for (name, value) in overrides {
            assert!(
                values.contains_key(name),
                "{name} is not declared in spin.toml [variables]"
            );
            assert!(
                !unused.contains(&name.as_str()),
                "{name} is set, but no [component.<id>.variables] entry passes it to the component"
            );
            values.insert(name.clone(), value.clone());
        }
        values
            .into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .collect()
    }

    /// The component's variables, as the guest will read them.
    pub fn component_variables(&self, overrides: &Overrides) -> HashMap<String, String> {
        let app = self.app_values(overrides);
        self.component_variables
            .iter()
            .filter_map(|(name, template)| Some((name.clone(), expand(template, &app)?)))
            .collect()
    }

    /// The key-value store labels granted to the component.
    pub fn key_value_stores(&self) -> &[String] {
        &self.key_value_stores
    }

    /// `allowed_outbound_hosts` with templates expanded; an unresolvable entry is empty.
    pub fn allowed_outbound_hosts(&self, overrides: &Overrides) -> Vec<String> {
        let app = self.app_values(overrides);
        self.allowed_outbound_hosts
            .iter()
            .map(|entry| expand(entry, &app).unwrap_or_default())
            .collect()
    }
}

fn string(value: &toml::Value) -> String {
    value.as_str().expect("a string").to_owned()
}

/// The variable names a template's `{{ name }}` expressions use.
fn names_in(template: &str) -> impl Iterator<Item = &str> {
    template
        .split("{{")
        .skip(1)
        .filter_map(|part| Some(part.split_once("}}")?.0.trim()))
}

/// Expands `{{ name }}` templates; `None` if a named variable has no value.
pub fn expand(template: &str, values: &HashMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let end = start + rest[start..].find("}}").expect("unclosed {{ in template");
        out.push_str(&rest[..start]);
        out.push_str(values.get(rest[start + 2..end].trim())?);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    Some(out)
}
