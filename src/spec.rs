//! The toolkit every section of a scenario file is read with: quantities with
//! units, field paths and their lines, lenient parsing that reports every
//! mistake at once, and the [`Issue`] each mistake becomes.
//!
//! It knows nothing of what the sections mean: the parts of the model own
//! their YAML shapes and use this toolkit to read them.

pub mod lenient;
pub mod limits;
pub mod locate;
pub mod units;

pub use lenient::{explain, fields_of, parse, parse_all, parse_lenient};
pub use locate::{join_index, join_key};
pub use units::{Duration, Fraction, Price, Rate, Timeout};

/// One problem found in a scenario, before it is placed in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    /// Field path, like `components.web.cores` or `traffic.schedule[1].rate`.
    pub path: String,
    /// What was wrong and what was expected.
    pub message: String,
    /// Whether the field wants text and holds a scalar YAML reads as
    /// something else (`name: no` is the boolean false): placing the issue
    /// then quotes the value as written and shows it in quotes.
    pub wants_text: bool,
}

impl Issue {
    /// Creates an issue at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
            wants_text: false,
        }
    }

    /// Creates the issue of a field at `path` that wants text (`what`: a
    /// name, a zone name...) and holds `found` instead.
    pub fn text_expected(path: impl Into<String>, what: &str, found: &serde_json::Value) -> Self {
        Self::new(path, text_refusal(what, &describe(found))).wanting_text(found)
    }

    /// Marks the issue as that of a field that wants text and holds
    /// `found`: when quotes would make `found` text (a boolean or a
    /// number), placing the issue shows the value in quotes.
    pub fn wanting_text(mut self, found: &serde_json::Value) -> Self {
        self.wants_text = found.is_boolean() || found.is_number();
        self
    }
}

/// Returns whether the field at `path` (or one inside it) is already refused
/// among `issues`: a check that depends on that field must then not report
/// it as missing, since the lenient parse read the file without it.
pub fn refused(issues: &[Issue], path: &str) -> bool {
    issues.iter().any(|i| {
        i.path
            .strip_prefix(path)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
    })
}

/// Describes a value found where another was expected, in the words of a
/// scenario file (`the boolean false`, `the number 12`, `a list`).
pub fn describe(found: &serde_json::Value) -> String {
    use serde_json::Value;
    match found {
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::Null => "nothing".to_string(),
        Value::String(s) => format!("`{s}`"),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a mapping".to_string(),
    }
}

/// Returns the message of a field that wants text (`what`, like `a zone
/// name`; empty for any text) and holds something `described` otherwise.
pub fn text_refusal(what: &str, described: &str) -> String {
    if what.is_empty() {
        format!("expected text, found {described}")
    } else {
        format!("expected text ({what}), found {described}")
    }
}

/// Returns the message for a field that is not one of `known`.
pub fn unknown_field(key: &str, known: &[&str]) -> String {
    let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
    format!("unknown field `{key}`, expected one of {}", list.join(", "))
}

/// Returns the message for a reference to a component that does not exist.
pub fn no_such_component(name: &str, names: &[String]) -> String {
    if names.is_empty() {
        return format!("no component is called `{name}` (no component could be read)");
    }
    let list: Vec<String> = names.iter().map(|k| format!("`{k}`")).collect();
    format!(
        "no component is called `{name}`; the components are {}",
        list.join(", ")
    )
}
