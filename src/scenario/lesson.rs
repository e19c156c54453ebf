//! The `lesson:` section: what a scenario teaches in machine-readable form —
//! its lesson figures, shown first wherever its results are, and its knobs,
//! each with a value to try and the way that value moves a figure (which a
//! test checks for every bundled scenario, and a class can explore).

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

use super::Override;
use crate::parts::kinds::measure_of;
use crate::parts::{ComponentDecl, Topology};
use crate::spec::limits::MAX_TYPES_WITH_FIGURES;
use crate::spec::{join_index, join_key, parse_lenient, Issue};

/// A scenario's lesson, as its file states it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lesson {
    /// The figures the scenario is about, by path in the results
    /// (`components.db.lost_writes`): first in the table, the report and the
    /// reading, even where they show nothing happening.
    pub figures: Vec<String>,
    /// The knobs a user is invited to turn.
    pub knobs: Vec<Knob>,
}

/// One knob: a field, values it takes, and what one of them does.
#[derive(Clone, Debug, PartialEq)]
pub struct Knob {
    /// The field path, as `--set` takes it (`components.web.replicas`).
    pub path: String,
    /// Values worth trying, as YAML text, in order.
    pub values: Vec<String>,
    /// The value to try first, as YAML text.
    pub try_value: String,
    /// The figures that value moves, and which way.
    pub expect: Vec<(String, Direction)>,
}

impl Knob {
    /// Returns the override that turns this knob to its value to try.
    pub fn try_override(&self) -> Override {
        Override::set(&self.path, &self.try_value)
    }
}

/// Which way a figure moves when a knob is turned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The figure grows.
    Up,
    /// The figure shrinks.
    Down,
}

/// The section as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLesson {
    figures: Option<Vec<String>>,
    knobs: Option<Vec<RawKnob>>,
}

/// One knob as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKnob {
    path: String,
    values: Option<Vec<Value>>,
    #[serde(rename = "try")]
    try_value: Value,
    expect: IndexMap<String, Direction>,
}

/// Reads and checks `lesson:`; each figure must be one the scenario reports.
pub fn parse(
    value: Option<&Value>,
    components: &[ComponentDecl],
    topology: &Topology,
    types: &[&str],
    issues: &mut Vec<Issue>,
) -> Lesson {
    let Some(value) = value else {
        return Lesson::default();
    };
    let Some(raw) = parse_lenient::<RawLesson>(value, "lesson", issues) else {
        return Lesson::default();
    };
    let figures = raw.figures.unwrap_or_default();
    for (i, figure) in figures.iter().enumerate() {
        if let Err(message) = check_figure(figure, components, topology, types) {
            issues.push(Issue::new(join_index("lesson.figures", i), message));
        }
    }
    let mut knobs = Vec::new();
    for (i, knob) in raw.knobs.unwrap_or_default().into_iter().enumerate() {
        let path = join_index("lesson.knobs", i);
        if let Err(e) = super::overrides::check_path(&knob.path) {
            issues.push(Issue::new(join_key(&path, "path"), e));
        }
        let values: Vec<String> = knob.values.iter().flatten().map(yaml_text).collect();
        let try_value = yaml_text(&knob.try_value);
        if !values.is_empty() && !values.contains(&try_value) {
            issues.push(Issue::new(
                join_key(&path, "try"),
                format!(
                    "`{try_value}` is not among the knob's values ({})",
                    values.join(", ")
                ),
            ));
        }
        for figure in knob.expect.keys() {
            if let Err(message) = check_figure(figure, components, topology, types) {
                issues.push(Issue::new(
                    join_key(&join_key(&path, "expect"), figure),
                    message,
                ));
            }
        }
        // Judged on the text as written: an entry dropped for a bad direction
        // has its own message already.
        let written = value
            .get("knobs")
            .and_then(|k| k.get(i))
            .and_then(|k| k.get("expect"));
        if written
            .and_then(Value::as_object)
            .is_some_and(|m| m.is_empty())
        {
            issues.push(Issue::new(
                join_key(&path, "expect"),
                "expected at least one figure and the way it moves, like {availability: up}",
            ));
        }
        knobs.push(Knob {
            path: knob.path,
            values,
            try_value,
            expect: knob.expect.into_iter().collect(),
        });
    }
    Lesson { figures, knobs }
}

/// Writes a scalar of the file back as the YAML text `--set` takes.
fn yaml_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Checks that the scenario reports a figure at `path`: a figure of every
/// run, a figure of one of its components that the component's kind
/// declares, or a figure of one of its request `types` (which it reports
/// for two types or more).
fn check_figure(
    path: &str,
    components: &[ComponentDecl],
    topology: &Topology,
    types: &[&str],
) -> Result<(), String> {
    let parts: Vec<String> = path.split('.').map(str::to_string).collect();
    match parts.as_slice() {
        [head, name, rest @ ..] if head == "components" && !rest.is_empty() => {
            let key = &rest.join(".");
            let Some(c) = topology.index(name) else {
                return Err(format!("no component is called `{name}`"));
            };
            let common = crate::metrics::measure::COMPONENT
                .iter()
                .any(|m| m.key == key);
            let declared = components[c].spec.measures().iter().any(|m| m.matches(key));
            if common || declared {
                Ok(())
            } else {
                Err(format!("a {} does not report `{key}`", topology.kind(c)))
            }
        }
        [head, name, _] if head == "types" && !measure_of(&parts).label.is_empty() => {
            if !types.contains(&name.as_str()) {
                Err(format!("no request type is called `{name}`"))
            } else if !(2..=MAX_TYPES_WITH_FIGURES).contains(&types.len()) {
                Err(format!(
                    "figures per request type are reported for 2 to \
                     {MAX_TYPES_WITH_FIGURES} types, and the mix has {}",
                    types.len()
                ))
            } else {
                Ok(())
            }
        }
        _ if measure_of(&parts).label.is_empty() => {
            Err(format!("`{path}` is not a figure of the results"))
        }
        _ => Ok(()),
    }
}
