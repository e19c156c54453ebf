//! `calls:` as written in a file: per request type, the steps a component
//! takes after its own work. A step is a call to a component, a sequence of
//! steps, or a group of branches started together that answers once `wait`
//! of them answered.

use serde_json::Value;

use crate::parts::SpecContext;
use crate::spec::limits::{MAX_CALL_DEPTH, MAX_CALL_STEPS};
use crate::spec::{describe, join_index, join_key, Issue};

/// One step of a call plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A call to the component with this index in the file.
    Call(usize),
    /// Steps one after the other; the sequence fails at its first failed step.
    Sequence(Vec<Step>),
    /// Branches started together. The group succeeds once `wait` of them
    /// succeeded, and fails once so many failed that `wait` successes are
    /// out of reach; the branches still running are left to finish, their
    /// answers ignored.
    Parallel {
        /// The branches.
        branches: Vec<Step>,
        /// How many successes the group waits for (1 to the number of branches).
        wait: u16,
    },
}

/// How the calls of a plan go, for a reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// No calls.
    None,
    /// One call after the other.
    Sequence,
    /// All in one group, started together.
    Parallel,
    /// Some one after the other, some in a group.
    Both,
}

impl Step {
    /// Returns how the plan's calls go: in sequence, in parallel or both.
    pub fn order(&self) -> Order {
        match self {
            Step::Call(_) => Order::Sequence,
            Step::Parallel { .. } => Order::Parallel,
            Step::Sequence(steps) => {
                let steps: Vec<&Step> = steps.iter().filter(|s| !s.is_empty()).collect();
                match steps.as_slice() {
                    [] => Order::None,
                    [only] => only.order(),
                    many if many.iter().any(|s| s.has_group()) => Order::Both,
                    _ => Order::Sequence,
                }
            }
        }
    }

    /// Returns an empty plan: no calls.
    pub fn none() -> Step {
        Step::Sequence(Vec::new())
    }

    /// Returns whether the plan calls nothing.
    pub fn is_empty(&self) -> bool {
        match self {
            Step::Call(_) => false,
            Step::Sequence(steps) => steps.iter().all(Step::is_empty),
            Step::Parallel { .. } => false,
        }
    }

    /// Appends every component the plan calls, in the order written.
    pub fn callees(&self, out: &mut Vec<usize>) {
        match self {
            Step::Call(c) => out.push(*c),
            Step::Sequence(steps)
            | Step::Parallel {
                branches: steps, ..
            } => {
                for s in steps {
                    s.callees(out);
                }
            }
        }
    }

    /// Returns whether the plan holds a group that waits for fewer than all
    /// of its branches, or any group at all (`any_group`).
    pub fn has_group(&self) -> bool {
        match self {
            Step::Call(_) => false,
            Step::Sequence(steps) => steps.iter().any(Step::has_group),
            Step::Parallel { .. } => true,
        }
    }

    /// Counts the steps of a type's plan as written: its calls, nested
    /// lists and groups, but not the list that holds them all, which is the
    /// plan itself.
    fn written(&self) -> usize {
        match self {
            Step::Sequence(steps) => steps.iter().map(Step::count).sum(),
            other => other.count(),
        }
    }

    /// Counts the steps of the plan, groups and sequences included.
    fn count(&self) -> usize {
        match self {
            Step::Call(_) => 1,
            Step::Sequence(steps)
            | Step::Parallel {
                branches: steps, ..
            } => 1 + steps.iter().map(Step::count).sum::<usize>(),
        }
    }
}

/// Reads `calls:` at `path`: a list (or one name) for every request type,
/// or a mapping from request type to its list. With `all_parallel` (the
/// server's `fanout: parallel`), each type's top-level list is one group
/// waiting for all. Returns one plan per request type.
pub fn parse(
    value: &Value,
    path: &str,
    cx: &SpecContext<'_>,
    all_parallel: bool,
    issues: &mut Vec<Issue>,
) -> Vec<Step> {
    let top = |v: &Value, path: &str, issues: &mut Vec<Issue>| -> Step {
        let before = issues.len();
        let step = match v {
            Value::Object(map) if map.contains_key("parallel") => {
                Step::Sequence(vec![group(map, path, cx, 1, issues)])
            }
            other => sequence(other, path, cx, 1, issues),
        };
        // Counted before `fanout: parallel` adds its group: the limit is on
        // the steps written.
        let written = step.written();
        let step = match step {
            Step::Sequence(steps) if all_parallel && steps.len() > 1 => {
                let wait = steps.len() as u16;
                Step::Sequence(vec![Step::Parallel {
                    branches: steps,
                    wait,
                }])
            }
            s => s,
        };
        if issues.len() == before && written > MAX_CALL_STEPS {
            issues.push(Issue::new(
                path,
                format!(
                    "expected at most {MAX_CALL_STEPS} steps of calls per request type \
                     (calls, nested lists and groups), found {written}"
                ),
            ));
        }
        step
    };
    match value {
        // A mapping is per request type, unless it is a group itself.
        Value::Object(map) if !map.contains_key("parallel") => {
            let mut per_type = vec![Step::none(); cx.types.len()];
            for (kind, steps) in map {
                let kind_path = join_key(path, kind);
                match cx.request_type(kind, &kind_path) {
                    Ok(t) => per_type[t] = top(steps, &kind_path, issues),
                    Err(e) => issues.push(e),
                }
            }
            per_type
        }
        v => vec![top(v, path, issues); cx.types.len()],
    }
}

/// Reads a sequence: a list of steps, or one component name.
fn sequence(
    value: &Value,
    path: &str,
    cx: &SpecContext<'_>,
    depth: usize,
    issues: &mut Vec<Issue>,
) -> Step {
    match value {
        Value::Array(items) => Step::Sequence(
            items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| step(item, &join_index(path, i), cx, depth, issues))
                .collect(),
        ),
        Value::String(_) => {
            Step::Sequence(step(value, path, cx, depth, issues).into_iter().collect())
        }
        other => {
            issues.push(Issue::new(
                path,
                format!(
                    "expected a list of component names or groups \
                     ({{parallel: [...], wait: all}}), found {other}"
                ),
            ));
            Step::none()
        }
    }
}

/// Reads one step: a component name, a nested list (a sequence) or a group.
fn step(
    value: &Value,
    path: &str,
    cx: &SpecContext<'_>,
    depth: usize,
    issues: &mut Vec<Issue>,
) -> Option<Step> {
    if depth > MAX_CALL_DEPTH {
        issues.push(Issue::new(
            path,
            format!("expected calls nested at most {MAX_CALL_DEPTH} deep"),
        ));
        return None;
    }
    match value {
        Value::String(name) => cx
            .resolve(name, path)
            .map_err(|e| issues.push(e))
            .ok()
            .map(Step::Call),
        Value::Array(_) => Some(sequence(value, path, cx, depth + 1, issues)),
        Value::Object(map) => Some(group(map, path, cx, depth + 1, issues)),
        other => {
            issues.push(
                Issue::new(
                    path,
                    format!(
                        "expected a component name (text), a list or a group \
                         {{parallel: [...]}}, found {}",
                        describe(other)
                    ),
                )
                .wanting_text(other),
            );
            None
        }
    }
}

/// Reads a group `{parallel: [...], wait: all | any | k}`.
fn group(
    map: &serde_json::Map<String, Value>,
    path: &str,
    cx: &SpecContext<'_>,
    depth: usize,
    issues: &mut Vec<Issue>,
) -> Step {
    for key in map.keys() {
        if key != "parallel" && key != "wait" {
            issues.push(Issue::new(
                join_key(path, key),
                format!("unknown field `{key}` of a group: expected `parallel` and `wait`"),
            ));
        }
    }
    let branches_path = join_key(path, "parallel");
    let branches: Vec<Step> = match map.get("parallel") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| step(item, &join_index(&branches_path, i), cx, depth, issues))
            .collect(),
        Some(other) => {
            issues.push(Issue::new(
                &branches_path,
                format!("expected a list of the calls made together, found {other}"),
            ));
            Vec::new()
        }
        None => {
            // Without it the group would call nothing: a mistake, not an empty plan.
            issues.push(Issue::new(
                path,
                "missing field `parallel`: a group lists the calls made together, \
                 like {parallel: [a, b], wait: 1}",
            ));
            return Step::none();
        }
    };
    if branches.is_empty() && map.get("parallel").is_some_and(Value::is_array) {
        issues.push(Issue::new(
            &branches_path,
            "expected at least one call in a parallel group",
        ));
    }
    let count = branches.len().max(1);
    let wait = wait_for(map.get("wait"), &join_key(path, "wait"), count, issues);
    Step::Parallel { branches, wait }
}

/// Reads `wait:` of a group of `count` branches: `all` (the default), `any`,
/// or a number from 1 to `count`.
fn wait_for(value: Option<&Value>, path: &str, count: usize, issues: &mut Vec<Issue>) -> u16 {
    let all = count as u16;
    let expected =
        format!("expected `all`, `any` or a number from 1 to {count} (the group's calls)");
    match value {
        None => all,
        Some(Value::String(word)) if word == "all" => all,
        Some(Value::String(word)) if word == "any" => 1,
        Some(Value::Number(n)) => match n.as_u64() {
            Some(k) if (1..=count as u64).contains(&k) => k as u16,
            Some(k) if k > count as u64 => {
                issues.push(Issue::new(
                    path,
                    format!("`wait: {k}` over {count} calls: {expected}"),
                ));
                all
            }
            _ => {
                issues.push(Issue::new(path, format!("{expected}, found {n}")));
                all
            }
        },
        Some(other) => {
            issues.push(Issue::new(path, format!("{expected}, found {other}")));
            all
        }
    }
}
