//! `edges:` — the resilience of a component's calls to one callee: a
//! timeout, retries, a bulkhead, a circuit breaker and a fallback.

use serde::Deserialize;
use serde_json::Value;

use super::breaker::{BreakerSpec, Window};
use crate::engine::SimTime;
use crate::parts::traffic::retry::{self, RawBackoff, RetryPolicy};
use crate::parts::SpecContext;
use crate::spec::limits::{MAX_BREAKER_WINDOW, MAX_BULKHEAD};
use crate::spec::{join_key, Duration, Fraction, Issue, Timeout};

/// What a failed call leaves its caller with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// The failure fails the caller's request (the default).
    #[default]
    None,
    /// The call was optional: the caller answers without it, and the request
    /// counts as degraded on this edge.
    Degrade,
}

/// The validated resilience of one edge.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EdgeSpec {
    /// How long the caller waits for an answer (the callee keeps working).
    pub timeout: Option<SimTime>,
    /// Retries of a failed or timed-out call, with their backoff.
    pub retry: Option<RetryPolicy>,
    /// Most calls the caller waits for at once on this edge.
    pub bulkhead: Option<u32>,
    /// The circuit breaker, if any.
    pub breaker: Option<BreakerSpec>,
    /// What a failed call leaves.
    pub fallback: Fallback,
}

impl EdgeSpec {
    /// Describes the settings in a few words (`timeout 250ms, breaker,
    /// fallback`), for `explain`.
    pub fn describe(&self) -> String {
        let mut words = Vec::new();
        if let Some(t) = self.timeout {
            words.push(format!(
                "timeout {}",
                crate::spec::units::format_duration(t)
            ));
        }
        if let Some(r) = self.retry {
            words.push(format!("{} retries", r.retries));
        }
        if let Some(n) = self.bulkhead {
            words.push(format!("bulkhead {n}"));
        }
        if let Some(b) = self.breaker {
            let window = match b.window {
                Window::Calls(n) => format!("{n} calls"),
                Window::Time(t) => crate::spec::units::format_duration(t),
            };
            words.push(format!(
                "breaker at {}% of {window}",
                (b.failure_rate * 1000.0).round() / 10.0
            ));
        }
        if self.fallback == Fallback::Degrade {
            words.push("fallback".into());
        }
        words.join(", ")
    }
}

/// `edges.CALLEE` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdge {
    timeout: Option<Timeout>,
    retries: Option<u32>,
    backoff: Option<RawBackoff>,
    bulkhead: Option<u64>,
    circuit_breaker: Option<RawBreaker>,
    #[serde(default)]
    fallback: Fallback,
}

/// `circuit_breaker:` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBreaker {
    failure_rate: Fraction,
    window: Value,
    min_calls: Option<u32>,
    open_for: Duration,
    half_open_calls: Option<u32>,
}

/// Reads `edges:` at `path`: for each callee (which the component must
/// call), its resilience. Returns (callee index, settings) pairs.
pub fn parse(
    value: &Value,
    path: &str,
    cx: &SpecContext<'_>,
    callees: &[usize],
    issues: &mut Vec<Issue>,
) -> Vec<(usize, EdgeSpec)> {
    let Value::Object(map) = value else {
        issues.push(Issue::new(
            path,
            "expected a mapping from each called component to its settings \
             ({cart: {timeout: 200ms}})",
        ));
        return Vec::new();
    };
    let mut edges = Vec::new();
    for (name, body) in map {
        let edge_path = join_key(path, name);
        let Ok(callee) = cx.resolve(name, &edge_path).map_err(|e| issues.push(e)) else {
            continue;
        };
        if !callees.contains(&callee) {
            issues.push(Issue::new(
                &edge_path,
                format!(
                    "`{name}` is not called by this component: an edge names one of its `calls`"
                ),
            ));
            continue;
        }
        if let Some(spec) = parse_edge(body, &edge_path, issues) {
            edges.push((callee, spec));
        }
    }
    edges
}

/// Reads one edge's settings.
fn parse_edge(body: &Value, path: &str, issues: &mut Vec<Issue>) -> Option<EdgeSpec> {
    let raw: RawEdge = match crate::spec::parse(body, path) {
        Ok(raw) => raw,
        Err(issue) => {
            issues.push(issue);
            return None;
        }
    };
    let before = issues.len();
    let retry = retry::policy(raw.retries, raw.backoff.as_ref(), path, issues);
    let bulkhead = raw.bulkhead.and_then(|n| {
        if n == 0 || n > u64::from(MAX_BULKHEAD) {
            issues.push(Issue::new(
                join_key(path, "bulkhead"),
                format!(
                    "expected a bulkhead from 1 to {MAX_BULKHEAD} calls in flight, found {n} \
                     (leave it out for no bulkhead)"
                ),
            ));
            None
        } else {
            Some(n as u32)
        }
    });
    let breaker = raw
        .circuit_breaker
        .as_ref()
        .and_then(|b| parse_breaker(b, &join_key(path, "circuit_breaker"), issues));
    (issues.len() == before).then_some(EdgeSpec {
        timeout: raw.timeout.map(|t| t.0),
        retry,
        bulkhead,
        breaker,
        fallback: raw.fallback,
    })
}

/// Checks a breaker's settings.
fn parse_breaker(raw: &RawBreaker, path: &str, issues: &mut Vec<Issue>) -> Option<BreakerSpec> {
    let before = issues.len();
    let rate = raw.failure_rate.0;
    if !(rate > 0.0 && rate <= 1.0) {
        issues.push(Issue::new(
            join_key(path, "failure_rate"),
            format!(
                "expected a failure rate in (0, 100%], found {}%",
                rate * 100.0
            ),
        ));
    }
    let window = window(&raw.window, &join_key(path, "window"), issues);
    let min_calls = raw.min_calls.unwrap_or(match window {
        Some(Window::Calls(n)) => n,
        _ => 10,
    });
    if let Some(Window::Calls(n)) = window {
        if min_calls > n {
            issues.push(Issue::new(
                join_key(path, "min_calls"),
                format!(
                    "expected at most {n} calls, the size of the window: a window of \
                     {n} calls never holds {min_calls} (leave `min_calls` out to judge \
                     a full window)"
                ),
            ));
        }
    }
    if min_calls == 0 {
        issues.push(Issue::new(
            join_key(path, "min_calls"),
            "expected at least 1 call before the breaker judges",
        ));
    }
    let half_open_calls = raw.half_open_calls.unwrap_or(5);
    if half_open_calls == 0 || half_open_calls > MAX_BREAKER_WINDOW {
        issues.push(Issue::new(
            join_key(path, "half_open_calls"),
            format!("expected from 1 to {MAX_BREAKER_WINDOW} probe calls"),
        ));
    }
    if raw.open_for.0 == SimTime::ZERO {
        issues.push(Issue::new(
            join_key(path, "open_for"),
            "expected a time longer than 0 for the breaker to stay open",
        ));
    }
    (issues.len() == before).then_some(BreakerSpec {
        failure_rate: rate,
        window: window?,
        min_calls,
        open_for: raw.open_for.0,
        half_open_calls,
    })
}

/// Reads a breaker's `window`: a time (`10s`) or a number of calls.
fn window(value: &Value, path: &str, issues: &mut Vec<Issue>) -> Option<Window> {
    let expected = format!(
        "expected a time (`10s`: the calls of the last 10 s) or a number of calls \
         from 1 to {MAX_BREAKER_WINDOW} (the last N calls)"
    );
    match value {
        Value::Number(n) => match n.as_u64() {
            Some(calls) if (1..=u64::from(MAX_BREAKER_WINDOW)).contains(&calls) => {
                Some(Window::Calls(calls as u32))
            }
            _ => {
                issues.push(Issue::new(path, format!("{expected}, found {n}")));
                None
            }
        },
        Value::String(text) => match crate::spec::units::parse_duration(text) {
            Ok(d) if d > SimTime::ZERO => Some(Window::Time(d)),
            _ => {
                issues.push(Issue::new(path, format!("{expected}, found `{text}`")));
                None
            }
        },
        other => {
            issues.push(Issue::new(path, format!("{expected}, found {other}")));
            None
        }
    }
}
