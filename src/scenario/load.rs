//! From text to a scenario: the YAML is read into a tree, the `--set`
//! overrides edit it, the sections are assembled, and every issue found on
//! the way is placed at its line (or its `--set`).

use serde_json::Value;

use super::assemble::assemble;
use super::{Override, Scenario};
use crate::error::{LocatedIssue, Origin, ScenarioError};
use crate::parts::Registry;
use crate::spec::locate::Locator;
use crate::spec::Issue;

/// Parses `text`, applies the overrides and assembles a scenario with the
/// kinds of `registry`.
pub fn load(
    text: &str,
    file: &str,
    overrides: &[Override],
    registry: &Registry,
) -> Result<Scenario, ScenarioError> {
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
    let scenario = assemble(&root, registry, &mut issues);
    match scenario {
        Some(scenario) if issues.is_empty() => Ok(scenario),
        _ => Err(place(file, text, overrides, issues)),
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
    let text = error.to_string();
    // The parser's message may be followed by a source snippet: keep the message.
    let message = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("invalid YAML");
    // Drop the parser's own "error: line L column C:" prefix: the location is ours.
    let message = match message.find(": ") {
        Some(i) if message.starts_with("error: line ") => {
            let rest = &message[i + 2..];
            rest.split_once(": ").map_or(rest, |(_, m)| m)
        }
        _ => message,
    }
    .to_string();
    ScenarioError {
        file: file.to_string(),
        issues: vec![LocatedIssue {
            origin,
            path: String::new(),
            message: format!("invalid YAML: {message}"),
        }],
    }
}

/// Returns true if the issue at `path` comes from the override `o`: it is at or
/// below the overridden field, or at an ancestor the file does not have (the
/// override created it).
fn caused_by(path: &str, o: &Override, locator: &Locator) -> bool {
    path == o.path
        || path.starts_with(&format!("{}.", o.path))
        || (o.path.starts_with(&format!("{path}.")) && !locator.has(path))
}

/// Places each issue at its line (or its `--set`), sorted in file order.
fn place(file: &str, text: &str, overrides: &[Override], issues: Vec<Issue>) -> ScenarioError {
    let locator = Locator::new(text);
    let mut located: Vec<LocatedIssue> = issues
        .into_iter()
        .map(|issue| {
            let from_override = overrides
                .iter()
                .rev()
                .find(|o| caused_by(&issue.path, o, &locator));
            let origin = match (from_override, locator.find(&issue.path)) {
                (Some(o), _) => Origin::Override(o.text()),
                (None, Some((line, col))) => Origin::Line { line, col },
                // An issue with the document as a whole (empty, or not a mapping)
                // points at where the document starts.
                (None, None) if issue.path.is_empty() => Origin::Line { line: 1, col: 1 },
                (None, None) => Origin::File,
            };
            LocatedIssue {
                origin,
                path: issue.path,
                message: issue.message,
            }
        })
        .collect();
    located.sort_by_key(|i| match i.origin {
        Origin::Override(_) => (0, 0, 0),
        Origin::File => (1, 0, 0),
        Origin::Line { line, col } => (2, line, col),
    });
    located.dedup();
    ScenarioError {
        file: file.to_string(),
        issues: located,
    }
}
