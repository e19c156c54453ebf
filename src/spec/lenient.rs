//! Lenient parsing: every mistake of a section at once, each named by its
//! field path.
//!
//! serde stops at the first error. A user wants every mistake of a file in one
//! go, so after each error the offending field is removed and the parse is
//! tried again, until it succeeds or an error cannot be stepped over.

use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::Segment;

use super::locate::{join_index, join_key};
use super::Issue;

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
    let mut value = value.clone();
    let mut removed: Vec<String> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let error = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(parsed) => return Some(parsed),
            Err(error) => error,
        };
        let segments: Vec<Segment> = error.path().iter().cloned().collect();
        let message = explain(&error.into_inner().to_string());
        // A field removed after an earlier error now shows up as missing: that is
        // the same mistake, already reported.
        let echo = removed
            .iter()
            .any(|r| message == format!("missing field `{r}`"));
        if !echo {
            issues.push(Issue::new(full_path(path, &segments), message));
        }
        match remove_at(&mut value, &segments) {
            Some(key) if !echo => removed.push(key),
            _ => return None,
        }
    }
    None
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

/// Rewords serde's messages in the words of a scenario file.
pub fn explain(message: &str) -> String {
    let mut text = message.to_string();
    // serde names the Rust type it expected; a user wants the YAML shape.
    if let Some(start) = text.find("expected struct ") {
        text.replace_range(start.., "expected a mapping");
    }
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
    text
}
