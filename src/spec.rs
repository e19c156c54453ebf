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
}

impl Issue {
    /// Creates an issue at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
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
