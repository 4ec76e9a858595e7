//! Reading a parsed event field by field.
//!
//! Not serde's derive: every type derived and decoded from a `Value` brings its own copy of
//! serde_json's value deserializer and of serde's error messages, which print floats (core's
//! float formatting with them): about 40 KB of a small component for a few small shapes
//! (BENCHMARKS.md, "What an app carries"). The body is already one `Value`; reading it is this.

use serde_json::{Map, Value};

/// A JSON object.
pub(super) type Object = Map<String, Value>;

/// The object in field `name`.
pub(super) fn nested<'a>(parent: &'a Object, name: &str) -> Result<&'a Object, String> {
    parent
        .get(name)
        .ok_or_else(|| missing(name))?
        .as_object()
        .ok_or_else(|| format!("field `{name}` is not a JSON object"))
}

/// The array in field `name`.
pub(super) fn array<'a>(parent: &'a Object, name: &str) -> Result<&'a [Value], String> {
    parent
        .get(name)
        .ok_or_else(|| missing(name))?
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| format!("field `{name}` is not an array"))
}

/// The string in field `name`, which must be there.
pub(super) fn string(parent: &Object, name: &str) -> Result<String, String> {
    optional_string(parent, name)?.ok_or_else(|| missing(name))
}

/// The string in field `name`; `None` when it is absent or null.
pub(super) fn optional_string(parent: &Object, name: &str) -> Result<Option<String>, String> {
    match parent.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(format!("field `{name}` is not a string")),
    }
}

/// The unsigned integer in field `name`; `None` when it is absent or null.
pub(super) fn optional_u64(parent: &Object, name: &str) -> Result<Option<u64>, String> {
    match parent.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("field `{name}` is not an unsigned integer")),
    }
}

/// The string at `path` (object fields, outermost first); `None` when any step is absent or
/// not what it should be. For fields spinlift only passes on, where an odd sender is no
/// reason to refuse an event.
pub(super) fn text_at(value: &Value, path: &[&str]) -> Option<String> {
    let found = path
        .iter()
        .try_fold(value, |value, name| value.get(*name))?;
    found.as_str().map(str::to_owned)
}

/// serde's wording, which the messages had before.
fn missing(name: &str) -> String {
    format!("missing field `{name}`")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_are_read_with_their_types_checked() {
        let value = json!({"a": {"b": "x", "n": 7, "z": null}, "list": [1], "f": 1.5, "neg": -1});
        let top = value.as_object().unwrap();
        let a = nested(top, "a").unwrap();
        assert_eq!(string(a, "b").unwrap(), "x");
        assert_eq!(optional_u64(a, "n").unwrap(), Some(7));
        assert_eq!(optional_u64(a, "z").unwrap(), None);
        assert_eq!(optional_string(a, "absent").unwrap(), None);
        assert_eq!(array(top, "list").unwrap().len(), 1);
        assert_eq!(string(a, "absent").unwrap_err(), "missing field `absent`");
        assert_eq!(string(a, "z").unwrap_err(), "missing field `z`");
        assert_eq!(
            nested(a, "b").unwrap_err(),
            "field `b` is not a JSON object"
        );
        assert_eq!(array(a, "b").unwrap_err(), "field `b` is not an array");
        assert_eq!(string(a, "n").unwrap_err(), "field `n` is not a string");
        assert_eq!(text_at(&value, &["a", "b"]).as_deref(), Some("x"));
        for astray in [
            &["a", "n"][..],
            &["a", "b", "c"],
            &["list"],
            &["nowhere", "b"],
        ] {
            assert_eq!(text_at(&value, astray), None, "{astray:?}");
        }
        for not_unsigned in ["f", "neg", "list"] {
            assert_eq!(
                optional_u64(top, not_unsigned).unwrap_err(),
                format!("field `{not_unsigned}` is not an unsigned integer")
            );
        }
    }
}
