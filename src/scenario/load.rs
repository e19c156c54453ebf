//! From text to a scenario: the YAML is read into a tree, the `--set`
//! overrides edit it, the sections are assembled, and every issue found on
//! the way is placed at its line (or its `--set`).

use serde_json::Value;
use serde_saphyr::granit_parser::Parser;

use super::assemble::assemble;
use super::{Override, Scenario};
use crate::error::{cut_for_message, LocatedIssue, Origin, ScenarioError};
use crate::parts::Registry;
use crate::spec::limits::{MAX_KNOB_VALUES, MAX_NAME_CHARS, MAX_TEXT_CHARS};

/// The field that names a file of arrivals to replay.
const REPLAYED_FILE: &str = "traffic.trace";
use crate::spec::locate::Locator;
use crate::spec::{join_index, join_key, Issue};

/// Parses `text`, applies the overrides and assembles a scenario with the
/// kinds of `registry`.
pub fn load(
    text: &str,
    file: &str,
    overrides: &[Override],
    registry: &Registry,
) -> Result<Scenario, ScenarioError> {
    check_syntax(file, text)?;
    let mut root: Value = match serde_saphyr::from_str(text) {
        Ok(root) => root,
        Err(e) => return Err(syntax_error(file, &e)),
    };
    let mut issues = Vec::new();
    for o in overrides {
        if let Err(issue) = o.apply(&mut root) {
            issues.push(issue);
        }
    }
    check_sizes(&root, "", &mut issues);
    if !issues.is_empty() {
        // An oversized key or text is not read any further.
        return Err(place(file, text, overrides, issues));
    }
    let mut warnings = Vec::new();
    let scenario = assemble(&root, file, registry, &mut issues, &mut warnings);
    if let Some(scenario) = scenario.as_ref().filter(|_| issues.is_empty()) {
        // The file as written must take every value its knobs offer (a
        // file loaded with overrides is a variant of it, checked as such).
        if overrides.is_empty() {
            check_knobs(text, file, registry, scenario, &mut issues);
        }
    }
    match scenario {
        Some(mut scenario) if issues.is_empty() => {
            label(&mut scenario, overrides);
            if !warnings.is_empty() {
                scenario.warnings = place(file, text, overrides, warnings)
                    .to_string()
                    .lines()
                    .map(str::to_string)
                    .collect();
            }
            Ok(scenario)
        }
        _ => Err(place(file, text, overrides, issues)),
    }
}

/// Checks that the scenario `text` loads with each value of each knob of
/// its lesson, as `--set` would give it; reports those it refuses at the
/// value, with the reason.
fn check_knobs(
    text: &str,
    file: &str,
    registry: &Registry,
    scenario: &Scenario,
    issues: &mut Vec<Issue>,
) {
    let offered: usize = scenario
        .lesson
        .knobs
        .iter()
        .map(|k| k.values.len().max(1))
        .sum();
    if offered > MAX_KNOB_VALUES {
        issues.push(Issue::new(
            "lesson.knobs",
            format!(
                "the knobs offer {offered} values; at most {MAX_KNOB_VALUES} (the file is \
                 loaded again with each, to check that it takes it)"
            ),
        ));
        return;
    }
    for (i, knob) in scenario.lesson.knobs.iter().enumerate() {
        let at = join_index("lesson.knobs", i);
        let path = knob.path.trim();
        if path == REPLAYED_FILE || REPLAYED_FILE.starts_with(&format!("{path}.")) {
            // Loading with it would read whatever file it names.
            issues.push(Issue::new(
                join_key(&at, "path"),
                "a knob cannot turn `traffic.trace` (nor a field that holds it): \
                 a file to read is not a setting to try",
            ));
            continue;
        }
        // A value to try among the values is checked with them (one not
        // among them is an issue of its own).
        let tried = knob
            .values
            .is_empty()
            .then(|| (join_key(&at, "try"), &knob.try_value));
        let values = knob
            .values
            .iter()
            .enumerate()
            .map(|(j, v)| (join_index(&join_key(&at, "values"), j), v));
        for (path, value) in tried.into_iter().chain(values) {
            let turned = Override::set(&knob.path, value);
            if let Err(e) = load(text, file, &[turned], registry) {
                issues.push(Issue::new(path, knob_refusal(value, &e)));
            }
        }
    }
}

/// Says why a knob cannot take `value`: the first issue of the scenario it gives.
fn knob_refusal(value: &str, error: &ScenarioError) -> String {
    let why = error.issues.first().map_or(String::new(), |issue| {
        if issue.path.is_empty() {
            issue.message.clone()
        } else {
            format!("{}: {}", issue.path, issue.message)
        }
    });
    format!("the knob cannot take `{value}`: {why}")
}

/// Names what the overrides changed after the scenario's name, so that a
/// result is never shown under the label of a setup it is not
/// (`Four clones [components.web.replicas=8]`); an override of the name
/// itself is the label the user chose.
fn label(scenario: &mut Scenario, overrides: &[Override]) {
    if overrides.is_empty() || overrides.iter().any(|o| o.path == "name") {
        return;
    }
    let changes: Vec<String> = overrides.iter().map(Override::text).collect();
    scenario.name = format!("{} [{}]", scenario.name, changes.join(", "));
}

/// Refuses, anywhere in the tree, a key longer than [`MAX_NAME_CHARS`] (every
/// key is a field or a name) and a text longer than [`MAX_TEXT_CHARS`].
fn check_sizes(value: &Value, path: &str, issues: &mut Vec<Issue>) {
    match value {
        Value::Object(map) => {
            for (key, field) in map {
                let here = join_key(path, key);
                let chars = key.chars().count();
                if chars > MAX_NAME_CHARS {
                    issues.push(Issue::new(
                        here,
                        format!(
                            "a name of {chars} characters is too long: at most {MAX_NAME_CHARS}"
                        ),
                    ));
                } else {
                    check_sizes(field, &here, issues);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_sizes(item, &join_index(path, i), issues);
            }
        }
        Value::String(text) => {
            let chars = text.chars().count();
            if chars > MAX_TEXT_CHARS {
                issues.push(Issue::new(
                    path,
                    format!("a text of {chars} characters is too long: at most {MAX_TEXT_CHARS}"),
                ));
            }
        }
        _ => {}
    }
}

/// Turns a YAML syntax error into a located issue.
fn syntax_error(file: &str, error: &serde_saphyr::Error) -> ScenarioError {
    let origin = match error.location() {
        Some(loc) if loc.line() > 0 => Origin::Line {
            line: loc.line() as usize,
            col: loc.column().max(1) as usize,
        },
        _ => Origin::File,
    };
    let message = parser_message(&error.to_string());
    ScenarioError {
        file: file.to_string(),
        issues: vec![LocatedIssue {
            origin,
            path: String::new(),
            message: format!("invalid YAML: {message}"),
        }],
    }
}

/// Runs the YAML parser alone over `text`, before any value is read from
/// it: a syntax error (an unclosed `[`) is then reported as such, at its
/// line, and never hidden behind a mistake of type that reading the values
/// meets earlier in the same text (an empty key).
fn check_syntax(file: &str, text: &str) -> Result<(), ScenarioError> {
    let Some(Err(error)) = Parser::new_from_str(text).find(Result::is_err) else {
        return Ok(());
    };
    let mark = error.marker();
    let origin = match mark.line() {
        0 => Origin::File,
        line => Origin::Line {
            line,
            col: mark.col() + 1,
        },
    };
    Err(ScenarioError {
        file: file.to_string(),
        issues: vec![LocatedIssue {
            origin,
            path: String::new(),
            message: format!("invalid YAML: {}", parser_message(&error.info())),
        }],
    })
}

/// Returns the YAML parser's message `text` in the words of a scenario file:
/// its first line (a source snippet may follow), without the parser's own
/// "error: line L column C:" prefix (the location is given apart).
pub(super) fn parser_message(text: &str) -> String {
    let message = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("invalid YAML");
    let message = match message.find(": ") {
        Some(i) if message.starts_with("error: line ") => {
            let rest = &message[i + 2..];
            rest.split_once(": ").map_or(rest, |(_, m)| m)
        }
        _ => message,
    };
    // The parser quotes what it read, which may be as long as the line.
    cut_for_message(&reword_parser(message), 300)
}

/// Says in the words of a scenario file what the YAML parser reports in the
/// words of its own options.
fn reword_parser(message: &str) -> String {
    // Reading a mapping key as text meets an empty key (`: value`).
    if message.starts_with("cannot deserialize null into string") {
        return "a key is empty (nothing is written before its `:`): every key of a mapping \
                needs a name"
            .to_string();
    }
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest).trim();
        return format!("the key `{key}` is written twice in the same mapping");
    }
    if message.starts_with("multiple YAML documents detected") {
        return "the file holds several YAML documents (separated by `---`); \
                a scenario is one document"
            .to_string();
    }
    if let Some(rest) = message.strip_prefix("non-finite float ") {
        let number = rest.split(' ').next().unwrap_or(rest);
        return format!(
            "{number} is not a finite number (too large for a 64-bit float, or infinite, \
             or not a number)"
        );
    }
    if message.starts_with("recursive references require weak recursion types") {
        return "an alias refers to the value that holds it (a value cannot contain itself)"
            .to_string();
    }
    if let Some(what) = message.strip_prefix("budget breached: ") {
        return format!(
            "the file is too large once its anchors and aliases are expanded \
             (it passed the parser's limit on {}); a scenario is far smaller",
            budget_name(what)
        );
    }
    // The deserializer's advice to Rust programmers means nothing in a file.
    match message.split_once("; use Option<") {
        Some((text, _)) => text.to_string(),
        None => message.to_string(),
    }
}

/// Names the limit of the parser a budget message speaks of (`Nodes { nodes:
/// 250001 }` is the number of values).
fn budget_name(what: &str) -> String {
    let kind = what.split([' ', '{']).next().unwrap_or(what);
    let words = match kind {
        "Nodes" => "the number of values",
        "Depth" => "the depth of nesting",
        "Aliases" => "the number of aliases",
        "Anchors" => "the number of anchors",
        "Events" => "the number of parser events",
        "AliasAnchorRatio" => "aliases per anchor",
        _ => return kind.to_lowercase(),
    };
    words.to_string()
}

/// Returns true if the issue at `path` comes from the override `o`: it is at or
/// below the overridden field, or at an ancestor the file does not have (the
/// override created it).
fn caused_by(path: &str, o: &Override, locator: &Locator) -> bool {
    path == o.path
        || path.starts_with(&format!("{}.", o.path))
        || (o.path.starts_with(&format!("{path}.")) && !locator.has(path))
}

/// Returns the `--vary` values of a sweep's or a plan's point, as the user
/// would write them (`--vary components.web.machine=medium`), or `None`
/// for a scenario loaded outside a sweep.
fn point_of(overrides: &[Override]) -> Option<String> {
    let varied: Vec<String> = overrides
        .iter()
        .filter(|o| o.flag == "--vary")
        .map(|o| format!("{} {}", o.flag, o.text()))
        .collect();
    (!varied.is_empty()).then(|| varied.join(" "))
}

/// Returns the message of an issue at a field that wants text and holds a
/// scalar YAML reads as something else (`name: no`, the boolean false): it
/// adds the value as written (in the file, or by `o`, the override that gave
/// it) and the same value in quotes, which YAML reads as text.
fn with_quotes(issue: &Issue, o: Option<&Override>, locator: &Locator) -> String {
    let written = match o {
        Some(o) if o.path == issue.path => Some(o.value.as_str()),
        Some(_) => None,
        None => locator.plain_value(&issue.path),
    };
    let Some(written) = written else {
        return format!("{}; write it in quotes to keep it text", issue.message);
    };
    let quoted = format!("\"{}\"", written.replace('\\', "\\\\").replace('"', "\\\""));
    let example = match o {
        Some(o) => format!("{} '{}={quoted}'", o.flag, o.path),
        // A list's item is quoted alone; a field with its key.
        None if issue.path.ends_with(']') => quoted,
        None => {
            let key = issue.path.rsplit('.').next().unwrap_or(&issue.path);
            format!("{key}: {quoted}")
        }
    };
    // `found the number 12` needs no `(written `12`)`.
    let spelling = if issue.message.ends_with(&format!(" {written}")) {
        String::new()
    } else {
        format!(" (written `{written}`)")
    };
    format!(
        "{}{spelling}; quote it to keep it text: {example}",
        issue.message
    )
}

/// Places each issue at its line (or its `--set`), sorted in file order.
fn place(file: &str, text: &str, overrides: &[Override], issues: Vec<Issue>) -> ScenarioError {
    let locator = Locator::new(text);
    let point = point_of(overrides);
    let mut located: Vec<LocatedIssue> = issues
        .into_iter()
        .map(|issue| {
            let from_override = overrides
                .iter()
                .rev()
                .find(|o| caused_by(&issue.path, o, &locator));
            let message = if issue.wants_text {
                with_quotes(&issue, from_override, &locator)
            } else {
                issue.message
            };
            let origin = match (from_override, locator.find(&issue.path)) {
                (Some(o), _) => Origin::Override {
                    flag: o.flag,
                    text: o.text(),
                },
                (None, Some((line, col))) => Origin::Line { line, col },
                // An issue with the document as a whole (empty, or not a mapping)
                // points at where the document starts.
                (None, None) if issue.path.is_empty() => Origin::Line { line: 1, col: 1 },
                (None, None) => Origin::File,
            };
            // An issue of a sweep's point that no `--vary` value stands at
            // (a value the file gives that clashes with a varied one) may hold
            // at this point only: the message names the point.
            let message = match (&origin, &point) {
                (Origin::Override { .. }, _) | (_, None) => message,
                (_, Some(point)) => format!("{message} (at the point {point})"),
            };
            LocatedIssue {
                origin,
                path: issue.path,
                message,
            }
        })
        .collect();
    located.sort_by_key(|i| match i.origin {
        Origin::Override { .. } => (0, 0, 0),
        Origin::File => (1, 0, 0),
        Origin::Line { line, col } => (2, line, col),
    });
    located.dedup();
    ScenarioError {
        file: file.to_string(),
        issues: located,
    }
}
