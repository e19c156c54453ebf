//! `scalesim validate FILE...`

use serde_json::{json, Value};

use crate::error::{Error, Origin, Result, ScenarioError};
use crate::scenario::Scenario;

/// What checking one file found.
enum Verdict {
    /// The file is valid.
    Valid(Box<Scenario>),
    /// The file is not valid, or cannot be read: one object per issue,
    /// with its text as the terminal shows it.
    Invalid(Vec<Value>),
}

/// Checks every file; prints one line per valid file (none with `quiet`) and
/// every issue of the others, or with `json` one object per file on stdout.
/// Fails (bad input) when a file is not valid.
pub fn run(files: &[String], set: &[String], json: bool, quiet: bool) -> Result<()> {
    let overrides = super::parse_overrides(set)?;
    let mut verdicts = Vec::new();
    for file in files {
        let verdict = match super::load_one(file, &overrides) {
            Ok(s) => Verdict::Valid(Box::new(s)),
            Err(Error::Scenario(e)) => Verdict::Invalid(issues(&e)),
            Err(Error::Read { path, source }) => {
                let text = format!("{}: cannot read: {source}", path.display());
                Verdict::Invalid(vec![json!({"message": source.to_string(), "text": text})])
            }
            Err(Error::Usage(message)) => {
                Verdict::Invalid(vec![json!({"message": message, "text": message})])
            }
            Err(other) => return Err(other),
        };
        verdicts.push((file.as_str(), verdict));
    }
    if json {
        let text = serde_json::to_string_pretty(&report(&verdicts)).unwrap_or_default();
        super::run::print(&format!("{text}\n"))?;
    } else {
        for (file, verdict) in &verdicts {
            if let Verdict::Valid(s) = verdict {
                if !quiet {
                    super::run::print(&format!("{file}: ok ({})\n", summary(s)))?;
                }
                super::show_warnings(std::slice::from_ref(s), quiet || json);
            }
        }
    }
    let problems: Vec<String> = verdicts
        .iter()
        .filter_map(|(_, v)| match v {
            Verdict::Invalid(issues) => Some(
                issues
                    .iter()
                    .filter_map(|i| i["text"].as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Verdict::Valid(_) => None,
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "invalid scenario\n{}",
            problems.join("\n")
        )))
    }
}

/// Returns the JSON report of the verdicts: one object per file, in order,
/// with `ok`, and either the scenario's name, counts and warnings, or its
/// errors (one line each, placed as on the terminal).
fn report(verdicts: &[(&str, Verdict)]) -> Value {
    let items = verdicts.iter().map(|(file, verdict)| match verdict {
        Verdict::Valid(s) => json!({
            "file": file,
            "ok": true,
            "scenario": s.name,
            "components": s.components.len(),
            "request_types": s.traffic.types.len(),
            "warnings": s.warnings,
            "errors": [],
        }),
        Verdict::Invalid(issues) => json!({
            "file": file,
            "ok": false,
            "errors": issues,
        }),
    });
    Value::Array(items.collect())
}

/// Returns each issue of a file as an object: its `line` and `column` (or
/// the `--set` it comes from), its `field`, its `message`, and its `text` as
/// the terminal shows it.
fn issues(error: &ScenarioError) -> Vec<Value> {
    error
        .issues
        .iter()
        .map(|issue| {
            let text = ScenarioError {
                file: error.file.clone(),
                issues: vec![issue.clone()],
            }
            .to_string();
            let mut item = json!({
                "field": issue.path,
                "message": issue.message,
                "text": text,
            });
            match &issue.origin {
                Origin::Line { line, col } => {
                    item["line"] = json!(line);
                    item["column"] = json!(col);
                }
                Origin::Override { text, .. } => item["set"] = json!(text),
                Origin::File => {}
            }
            item
        })
        .collect()
}

/// Returns each issue of a file as the terminal shows it, one line each
/// (the classroom page shows the same lines).
pub(crate) fn issue_texts(error: &ScenarioError) -> Vec<String> {
    issues(error)
        .iter()
        .filter_map(|i| i["text"].as_str().map(str::to_string))
        .collect()
}

/// Describes a valid scenario in a few words: its name and sizes.
fn summary(s: &Scenario) -> String {
    format!(
        "{}, {}, {}",
        s.name,
        count(s.components.len(), "component"),
        count(s.traffic.types.len(), "request type")
    )
}

/// Returns `n` with `noun`, in the plural unless `n` is one.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
