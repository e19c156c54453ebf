//! Lenient parsing: every mistake of a section at once, each named by its
//! field path.
//!
//! serde stops at the first error. A user wants every mistake of a file in one
//! go, so after each error the offending field is removed and the parse is
//! tried again, until it succeeds or an error cannot be stepped over.

use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::Segment;

use super::limits::{range_of, FieldRange};
use super::locate::{join_index, join_key};
use super::{describe, text_refusal, Issue};

/// Deserializes `value` into `T`, naming the failing field by its full path.
///
/// serde stops at the first error, but a user wants every mistake of a section
/// at once: after each error the offending field is removed and the parse is
/// tried again, until it succeeds or an error cannot be stepped over.
pub fn parse<T: DeserializeOwned>(value: &Value, path: &str) -> Result<T, Issue> {
    parse_all(value, path).map_err(|mut issues| issues.remove(0))
}

/// Like [`parse`], but returns every issue found.
pub fn parse_all<T: DeserializeOwned>(value: &Value, path: &str) -> Result<T, Vec<Issue>> {
    let mut issues = Vec::new();
    match parse_lenient(value, path, &mut issues) {
        Some(parsed) if issues.is_empty() => Ok(parsed),
        _ => Err(issues),
    }
}

/// Parses what can be parsed: pushes every issue, and returns the value read
/// without the offending fields when that still makes a `T`, so that the
/// semantic checks can run on the rest.
pub fn parse_lenient<T: DeserializeOwned>(
    value: &Value,
    path: &str,
    issues: &mut Vec<Issue>,
) -> Option<T> {
    const MAX_ROUNDS: usize = 32;
    if value.is_null() {
        issues.push(Issue::new(path, EMPTY_FIELD));
        return None;
    }
    let mut value = value.clone();
    let mut removed: Vec<String> = drop_empty_fields(&mut value, path, issues);
    for _ in 0..MAX_ROUNDS {
        let error = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(parsed) => return Some(parsed),
            Err(error) => error,
        };
        let segments: Vec<Segment> = error.path().iter().cloned().collect();
        let issue = issue_of(full_path(path, &segments), &error.into_inner().to_string());
        // A field removed after an earlier error now shows up as missing: that is
        // the same mistake, already reported.
        let echo = removed
            .iter()
            .any(|r| issue.message == format!("missing field `{r}`"));
        if !echo {
            issues.push(issue);
        }
        match remove_at(&mut value, &segments) {
            Some(key) if !echo => removed.push(key),
            _ => return None,
        }
    }
    None
}

/// The message of a field written with nothing after it (`cores:`, `cores: ~`).
pub const EMPTY_FIELD: &str = "expected a value, found nothing (an empty field)";

/// Reports and removes every field of `value` (at any depth) that was written
/// with no value: an empty field is a mistake, never a way to ask for a
/// default. Returns the names of the removed fields.
fn drop_empty_fields(value: &mut Value, path: &str, issues: &mut Vec<Issue>) -> Vec<String> {
    let mut removed = Vec::new();
    match value {
        Value::Object(map) => {
            map.retain(|key, field| {
                let here = join_key(path, key);
                if field.is_null() {
                    issues.push(Issue::new(here, EMPTY_FIELD));
                    removed.push(key.clone());
                    false
                } else {
                    drop_empty_fields(field, &here, issues);
                    true
                }
            });
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                drop_empty_fields(item, &join_index(path, i), issues);
            }
        }
        _ => {}
    }
    removed
}

/// Joins the base path and serde's path segments.
fn full_path(base: &str, segments: &[Segment]) -> String {
    segments
        .iter()
        .fold(base.to_string(), |path, segment| match segment {
            Segment::Seq { index } => join_index(&path, *index),
            Segment::Map { key } => join_key(&path, key),
            Segment::Enum { variant } => join_key(&path, variant),
            Segment::Unknown => path,
        })
}

/// Removes the node at `segments` from `value`; returns its key when it was a field.
fn remove_at(value: &mut Value, segments: &[Segment]) -> Option<String> {
    let (last, parents) = segments.split_last()?;
    let mut node = value;
    for segment in parents {
        node = match segment {
            Segment::Seq { index } => node.as_array_mut()?.get_mut(*index)?,
            Segment::Map { key } => node.as_object_mut()?.get_mut(key)?,
            Segment::Enum { .. } | Segment::Unknown => return None,
        };
    }
    match last {
        Segment::Map { key } => node.as_object_mut()?.remove(key).map(|_| key.clone()),
        _ => None,
    }
}

/// Returns the issue at `path` of serde's `message`, in the words of a
/// scenario file; a field that wants text and holds another scalar is
/// marked so, for its placing to show how to quote it.
fn issue_of(path: String, message: &str) -> Issue {
    match text_found(message) {
        Some(found) => Issue::new(path, text_refusal("", &describe(&found))).wanting_text(&found),
        None => match explain_number(message, range_of(&path)) {
            Some(text) => Issue::new(path, text),
            None => Issue::new(path, explain(message)),
        },
    }
}

/// Reads serde's refusal of a value where a string was expected (`invalid
/// type: boolean `false`, expected a string`) and returns the value found
/// (a list or a mapping as an empty one), to be described like any other.
fn text_found(message: &str) -> Option<Value> {
    let found = message
        .strip_suffix(", expected a string")?
        .strip_prefix("invalid type: ")?;
    let scalar = |prefix: &str| {
        found
            .strip_prefix(prefix)
            .map(|v| v.trim().trim_matches('`'))
    };
    if let Some(b) = scalar("boolean ") {
        return b.parse().ok().map(Value::Bool);
    }
    if let Some(n) = scalar("integer ").or_else(|| scalar("floating point ")) {
        return serde_json::from_str::<Value>(n)
            .ok()
            .filter(Value::is_number);
    }
    match found {
        "sequence" => Some(Value::Array(Vec::new())),
        "map" => Some(Value::Object(serde_json::Map::new())),
        _ => None,
    }
}

/// Rewords serde's messages in the words of a scenario file.
pub fn explain(message: &str) -> String {
    if let Some(text) = explain_number(message, None) {
        return text;
    }
    let mut text = message.to_string();
    text = text.replace("invalid type: null", "nothing (an empty value)");
    for (from, to) in [
        ("expected u8", "expected a whole number"),
        ("expected u16", "expected a whole number"),
        ("expected u32", "expected a whole number"),
        ("expected u64", "expected a whole number"),
        ("expected usize", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected a mapping"),
        ("invalid type: floating point", "invalid type: number"),
        ("invalid type: integer", "invalid type: number"),
    ] {
        text = text.replace(from, to);
    }
    // serde names the Rust type it expected; a user wants the YAML shape.
    // (After the words above, or "a map" would grow into "a mappingping".)
    if let Some(start) = text.find("expected struct ") {
        text.replace_range(start.., "expected a mapping");
    }
    text
}

/// Rewords serde's refusal of a number for a whole-number field, with the
/// range the field takes: its own `range` when its limit is narrower than
/// its type, else the type's: `invalid value: integer `-1`, expected u32`
/// becomes `expected a whole number from 0 to 4294967295, found -1`.
fn explain_number(message: &str, range: Option<&FieldRange>) -> Option<String> {
    let (found, expected) = message.split_once(", expected ")?;
    let max = match expected {
        "u8" => u64::from(u8::MAX),
        "u16" => u64::from(u16::MAX),
        "u32" => u64::from(u32::MAX),
        "u64" | "usize" => u64::MAX,
        _ => return None,
    };
    let value = found
        .strip_prefix("invalid value: integer ")
        .or_else(|| found.strip_prefix("invalid type: integer "))
        .or_else(|| found.strip_prefix("invalid type: floating point "))?
        .trim_matches('`');
    Some(match range {
        Some(range) => range.refusal(value),
        None => format!("expected a whole number from 0 to {max}, found {value}"),
    })
}

/// Returns the field names of a struct that derives `Deserialize`, in the
/// order it declares them, as serde's derive lists them.
///
/// Used to report an unknown field against every field a section accepts
/// when one section is read by two structs.
pub fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    // The derive hands the list to `deserialize_struct`; the grabber keeps
    // it and stops there, so the error is expected.
    let _ = T::deserialize(FieldGrabber(&mut fields));
    fields
}

/// A deserializer that reads nothing: it keeps the field list a struct
/// announces, then stops.
struct FieldGrabber<'a>(&'a mut &'static [&'static str]);

/// The stop of a [`FieldGrabber`].
#[derive(Debug)]
struct Grabbed;

impl std::fmt::Display for Grabbed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field list taken")
    }
}

impl std::error::Error for Grabbed {}

impl serde::de::Error for Grabbed {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Grabbed
    }
}

impl<'de> serde::Deserializer<'de> for FieldGrabber<'_> {
    type Error = Grabbed;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Grabbed> {
        Err(Grabbed)
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Grabbed> {
        *self.0 = fields;
        Err(Grabbed)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
        enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_out_of_range_names_the_range() {
        assert_eq!(
            explain("invalid value: integer `4294967296`, expected u32"),
            "expected a whole number from 0 to 4294967295, found 4294967296"
        );
        assert_eq!(
            explain("invalid type: floating point `1.5`, expected u32"),
            "expected a whole number from 0 to 4294967295, found 1.5"
        );
        assert_eq!(
            explain("invalid type: string \"x\", expected u32"),
            "invalid type: string \"x\", expected a whole number"
        );
    }

    #[test]
    fn a_field_with_a_narrower_limit_names_it_for_a_wrong_type() {
        for (path, message) in [
            (
                "traffic.retries",
                "invalid value: integer `-1`, expected u32",
            ),
            (
                "components.web.edges.db.retries",
                "invalid type: floating point `1.5`, expected u32",
            ),
        ] {
            let issue = issue_of(path.into(), message);
            assert!(
                issue
                    .message
                    .starts_with("expected a whole number from 0 to 100, found "),
                "{issue:?}"
            );
        }
        let issue = issue_of(
            "components.q.capacity".into(),
            "invalid value: integer `-1`, expected u64",
        );
        assert_eq!(
            issue.message,
            format!("expected a whole number from 0 to {}, found -1", u64::MAX)
        );
    }

    #[test]
    fn a_scalar_where_text_is_wanted_is_marked_for_quotes() {
        let issue = issue_of(
            "name".into(),
            "invalid type: boolean `false`, expected a string",
        );
        assert_eq!(issue.message, "expected text, found the boolean false");
        assert!(issue.wants_text);
        let issue = issue_of(
            "about".into(),
            "invalid type: floating point `1.5`, expected a string",
        );
        assert_eq!(issue.message, "expected text, found the number 1.5");
        assert!(issue.wants_text);
        // Quotes would not make a list text.
        let issue = issue_of("name".into(), "invalid type: sequence, expected a string");
        assert_eq!(issue.message, "expected text, found a list");
        assert!(!issue.wants_text);
    }

    #[test]
    fn a_struct_expected_reads_as_a_mapping_once() {
        assert_eq!(
            explain("invalid type: floating point `0.2`, expected struct RawPrice"),
            "invalid type: number `0.2`, expected a mapping"
        );
    }

    #[test]
    fn a_struct_lists_its_fields_in_order() {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Two {
            first: u32,
            #[serde(rename = "for")]
            second: Option<String>,
        }
        assert_eq!(fields_of::<Two>(), ["first", "for"]);
    }
}
