//! Turns a parsed tree into a checked [`Scenario`], collecting every issue.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use serde_path_to_error::Segment;

use super::locate::{join_index, join_key, Locator};
use super::raw::{RawKeys, RawNetwork, RawSlo, RawStep, RawTraffic};
use super::{
    ArrivalLaw, ComponentDecl, Network, Op, Override, RateSegment, RequestType, Scenario, Traffic,
};
use crate::components::{self, SpecContext};
use crate::engine::SimTime;
use crate::error::{Issue, LocatedIssue, Origin, ScenarioError};
use crate::keys::{KeySpace, Popularity, PopularityName};
use crate::metrics::Slo;
use crate::traffic::{Jitter, RetryPolicy};

/// Top-level fields, in the order the documentation lists them.
const TOP_LEVEL: &[&str] = &[
    "name",
    "about",
    "seed",
    "duration",
    "warmup",
    "traffic",
    "entry",
    "network",
    "components",
    "failures",
    "slo",
    "regions",
];

/// Highest arrival rate accepted: a mean gap of 100 ns between arrivals, far
/// beyond any single entry point, and still coarse next to the 1 ns clock.
const MAX_RATE: f64 = 1e7;

/// Default client population when `traffic.users` is absent.
const DEFAULT_USERS: u64 = 1000;

/// Zipf exponent when `popularity: zipf` gives no `s`: the classic law, where
/// the key of rank i is asked i times less often than the most popular one.
const DEFAULT_ZIPF_S: f64 = 1.0;

/// Parses, overrides and validates `text`.
pub fn load(text: &str, file: &str, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
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
    let scenario = check(&root, &mut issues);
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

/// Checks the whole tree; returns `None` when something essential is missing.
fn check(root: &Value, issues: &mut Vec<Issue>) -> Option<Scenario> {
    let Some(map) = root.as_object() else {
        issues.push(Issue::new(
            "",
            "expected a mapping with at least name, duration, traffic, entry and components",
        ));
        return None;
    };
    for key in map.keys() {
        if !TOP_LEVEL.contains(&key.as_str()) {
            issues.push(Issue::new(key, unknown_field(key, TOP_LEVEL)));
        }
    }
    let name: Option<String> = required(map, "name", issues);
    let about: String = optional(map, "about", issues).unwrap_or_default();
    let seed: u64 = optional(map, "seed", issues).unwrap_or(1);
    let duration = required::<super::Duration>(map, "duration", issues).map(|d| d.0);
    let warmup = optional::<super::Duration>(map, "warmup", issues).map_or(SimTime::ZERO, |d| d.0);
    if let Some(duration) = duration {
        if duration == SimTime::ZERO {
            issues.push(Issue::new(
                "duration",
                "expected a positive duration, found 0",
            ));
        } else if warmup >= duration {
            issues.push(Issue::new(
                "warmup",
                format!("the warm-up ({warmup}) must be shorter than the duration ({duration})"),
            ));
        }
    }
    // A `rate: ~` reads as no rate at all, with no parse error to report: it
    // counts as missing, not as written.
    let rate_written = map
        .get("traffic")
        .and_then(|t| t.get("rate"))
        .is_some_and(|r| !r.is_null());
    let traffic = required::<RawTraffic>(map, "traffic", issues)
        .and_then(|raw| check_traffic(raw, rate_written, issues));
    let network = optional::<RawNetwork>(map, "network", issues);
    let entry: Option<String> = required(map, "entry", issues);
    let keys_written = map.get("traffic").and_then(|t| t.get("keys")).is_some();
    let (names, components) = check_components(
        map.get("components"),
        traffic.as_ref(),
        keys_written,
        issues,
    );
    let network = check_network(network, &names, issues);
    let entry = entry.and_then(|e| match names.iter().position(|n| *n == e) {
        Some(i) => Some(i),
        None => {
            issues.push(Issue::new("entry", no_such_component(&e, &names)));
            None
        }
    });
    let components = components?;
    let regions = check_regions(map.get("regions"), &components, issues);
    let failures = map
        .get("failures")
        .map(|f| crate::failures::parse(f, &components, &regions, issues))
        .unwrap_or_default();
    let slo = check_slo(optional::<RawSlo>(map, "slo", issues), issues);
    check_links(&components, issues);
    check_hosts(&components, issues);
    check_cycles(&components, issues);
    Some(Scenario {
        name: name?,
        about,
        seed,
        duration: duration?,
        warmup,
        traffic: traffic?,
        entry: entry?,
        network,
        components,
        failures,
        slo,
        regions,
    })
}

/// Reads a field that must be present.
fn required<T: DeserializeOwned>(
    map: &Map<String, Value>,
    key: &str,
    issues: &mut Vec<Issue>,
) -> Option<T> {
    if !map.contains_key(key) {
        issues.push(Issue::new(key, format!("missing field `{key}`")));
        return None;
    }
    optional(map, key, issues)
}

/// Reads a field that may be absent.
fn optional<T: DeserializeOwned>(
    map: &Map<String, Value>,
    key: &str,
    issues: &mut Vec<Issue>,
) -> Option<T> {
    let value = map.get(key)?;
    parse_lenient(value, key, issues)
}

/// Returns the message for a field that is not one of `known`.
pub fn unknown_field(key: &str, known: &[&str]) -> String {
    let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
    format!("unknown field `{key}`, expected one of {}", list.join(", "))
}

/// Returns the message for a reference to a component that does not exist.
pub fn no_such_component(name: &str, names: &[String]) -> String {
    let list: Vec<String> = names.iter().map(|k| format!("`{k}`")).collect();
    format!(
        "no component is called `{name}`; the components are {}",
        list.join(", ")
    )
}

/// Checks the traffic; `rate_written` says the file has a `rate` (possibly one
/// that failed to parse and was already reported).
fn check_traffic(raw: RawTraffic, rate_written: bool, issues: &mut Vec<Issue>) -> Option<Traffic> {
    let schedule = check_schedule(&raw, rate_written, issues);
    let retry = check_retry(&raw, issues);
    let users = raw.users.unwrap_or(DEFAULT_USERS);
    if users == 0 || users > u64::from(u32::MAX) {
        issues.push(Issue::new(
            "traffic.users",
            format!(
                "expected a positive number of users (at most {}), found {users}",
                u32::MAX
            ),
        ));
    }
    let types = match raw.requests {
        None => vec![RequestType {
            name: "request".into(),
            weight: 1.0,
            op: Op::Read,
        }],
        Some(requests) => {
            let mut types = Vec::new();
            for (name, t) in requests {
                if !(t.weight.is_finite() && t.weight >= 0.0) {
                    issues.push(Issue::new(
                        format!("traffic.requests.{name}.weight"),
                        format!("expected a non-negative weight, found {}", t.weight),
                    ));
                }
                types.push(RequestType {
                    name,
                    weight: t.weight,
                    op: t.op.unwrap_or_default(),
                });
            }
            if types.is_empty() || types.iter().map(|t| t.weight).sum::<f64>() <= 0.0 {
                issues.push(Issue::new(
                    "traffic.requests",
                    "expected at least one request type with a positive weight (the weights sum to zero)",
                ));
            }
            types
        }
    };
    if let Some(t) = raw.timeout {
        if t.0 == SimTime::ZERO {
            issues.push(Issue::new(
                "traffic.timeout",
                "expected a positive timeout, found 0",
            ));
        }
    }
    let keys = raw.keys.as_ref().map(|k| check_keys(k, issues));
    Some(Traffic {
        retry,
        arrivals: raw.arrivals.unwrap_or(ArrivalLaw::Poisson),
        schedule: schedule?,
        users: users.clamp(1, u64::from(u32::MAX)) as u32,
        types,
        timeout: raw.timeout.map(|t| t.0),
        keys,
    })
}

/// Reads `regions: {eu: [zone-a, zone-b]}`: every zone named must hold a
/// component, and belong to one region only.
fn check_regions(
    value: Option<&Value>,
    components: &[ComponentDecl],
    issues: &mut Vec<Issue>,
) -> Vec<(String, Vec<String>)> {
    let Some(value) = value else {
        return Vec::new();
    };
    let Some(raw) =
        parse_lenient::<indexmap::IndexMap<String, Vec<String>>>(value, "regions", issues)
    else {
        return Vec::new();
    };
    let placed: Vec<&String> = components.iter().flat_map(|c| &c.zones).collect();
    let mut seen: Vec<&String> = Vec::new();
    for (region, zones) in &raw {
        let path = join_key("regions", region);
        if zones.is_empty() {
            issues.push(Issue::new(&path, "expected a list of zones"));
        }
        for zone in zones {
            if !placed.contains(&zone) {
                issues.push(Issue::new(
                    &path,
                    format!("no component is placed in zone `{zone}`"),
                ));
            }
            if seen.contains(&zone) {
                issues.push(Issue::new(
                    &path,
                    format!("zone `{zone}` is already in another region"),
                ));
            }
            seen.push(zone);
        }
    }
    raw.into_iter().collect()
}

/// Builds the retry policy from `retries` and `backoff`.
fn check_retry(raw: &RawTraffic, issues: &mut Vec<Issue>) -> Option<RetryPolicy> {
    let retries = raw.retries.unwrap_or(0);
    if retries > 100 {
        issues.push(Issue::new(
            "traffic.retries",
            format!("expected at most 100 retries, found {retries}"),
        ));
    }
    if raw.backoff.is_some() && retries == 0 {
        issues.push(Issue::new(
            "traffic.backoff",
            "a backoff needs `retries` (how many times to retry)",
        ));
    }
    let backoff = raw.backoff.as_ref();
    let base = backoff
        .and_then(|b| b.base)
        .map_or(SimTime::from_millis(100), |d| d.0);
    let max = backoff
        .and_then(|b| b.max)
        .map_or(SimTime::from_millis(10_000), |d| d.0);
    if max < base {
        issues.push(Issue::new(
            "traffic.backoff.max",
            "the longest wait must not be shorter than `base`",
        ));
    }
    (retries > 0).then_some(RetryPolicy {
        retries: retries.min(100),
        base,
        max,
        jitter: backoff.and_then(|b| b.jitter).unwrap_or(Jitter::Full),
        budget: backoff.and_then(|b| b.budget).map(|f| f.0),
    })
}

/// Builds the service-level objective (99.9% per 10 s window by default).
fn check_slo(raw: Option<RawSlo>, issues: &mut Vec<Issue>) -> Slo {
    let default = Slo::default();
    let Some(raw) = raw else { return default };
    let window = raw.window.map_or(default.window, |w| w.0);
    if window == SimTime::ZERO {
        issues.push(Issue::new(
            "slo.window",
            "expected a positive window, found 0",
        ));
    }
    Slo {
        success: raw.success.map_or(default.success, |s| s.0),
        window: window.max(SimTime(1)),
    }
}

/// Checks `traffic.keys`: a positive count that fits the key type, and a
/// positive exponent given only to a Zipf law.
fn check_keys(raw: &RawKeys, issues: &mut Vec<Issue>) -> KeySpace {
    if raw.count == 0 || raw.count > u64::from(u32::MAX) {
        issues.push(Issue::new(
            "traffic.keys.count",
            format!(
                "expected a positive number of keys (at most {}), found {}",
                u32::MAX,
                raw.count
            ),
        ));
    }
    let popularity = match (raw.popularity.unwrap_or(PopularityName::Uniform), raw.s) {
        (PopularityName::Uniform, None) => Popularity::Uniform,
        (PopularityName::Uniform, Some(_)) => {
            issues.push(Issue::new(
                "traffic.keys.s",
                "`s` applies only to `popularity: zipf`",
            ));
            Popularity::Uniform
        }
        (PopularityName::Zipf, s) => {
            let s = s.unwrap_or(DEFAULT_ZIPF_S);
            if !(s.is_finite() && s > 0.0) {
                issues.push(Issue::new(
                    "traffic.keys.s",
                    format!(
                        "expected a positive Zipf exponent, found {s} (for equally popular keys, use popularity: uniform)"
                    ),
                ));
            }
            Popularity::Zipf { s }
        }
    };
    KeySpace {
        count: raw.count.clamp(1, u64::from(u32::MAX)) as u32,
        popularity,
    }
}

/// Builds the rate segments from `rate` and `schedule`.
fn check_schedule(
    raw: &RawTraffic,
    rate_written: bool,
    issues: &mut Vec<Issue>,
) -> Option<Vec<RateSegment>> {
    if let Some(rate) = raw.rate {
        if rate.per_sec <= 0.0 {
            issues.push(Issue::new(
                "traffic.rate",
                "expected a positive rate, found 0",
            ));
        }
    }
    let rates = raw
        .rate
        .iter()
        .map(|r| ("traffic.rate".to_string(), r.per_sec));
    let step_rates = raw.schedule.iter().flatten().enumerate().map(|(i, s)| {
        (
            join_key(&join_index("traffic.schedule", i), "rate"),
            s.rate.per_sec,
        )
    });
    for (path, rate) in rates.chain(step_rates) {
        if rate > MAX_RATE {
            issues.push(Issue::new(
                path,
                format!("a rate of {rate:e}/s is beyond what one simulation can take (at most {MAX_RATE:e}/s)"),
            ));
        }
    }
    let steps: &[RawStep] = raw.schedule.as_deref().unwrap_or(&[]);
    if raw.rate.is_none() && steps.is_empty() {
        if rate_written {
            return None;
        }
        issues.push(Issue::new(
            "traffic.rate",
            "missing field `rate` (or a `schedule` of rates)",
        ));
        return None;
    }
    let mut segments = Vec::new();
    let mut current = raw.rate.map_or(0.0, |r| r.per_sec);
    let mut start = SimTime::ZERO;
    if let Some(first) = steps.first() {
        if first.at.0 > SimTime::ZERO && raw.rate.is_none() {
            issues.push(Issue::new(
                "traffic.schedule[0].at",
                "the schedule must start at 0s, or give `traffic.rate` for the time before it",
            ));
        }
    }
    for (i, step) in steps.iter().enumerate() {
        let path = join_index("traffic.schedule", i);
        let at = step.at.0;
        if i > 0 && at <= steps[i - 1].at.0 {
            issues.push(Issue::new(
                join_key(&path, "at"),
                "steps must be in increasing order of `at`",
            ));
            return None;
        }
        let ramp = step.ramp.map_or(SimTime::ZERO, |r| r.0);
        if let Some(next) = steps.get(i + 1) {
            // Steps out of order are reported at the next step, not as a ramp.
            if next.at.0 > at && at + ramp > next.at.0 {
                issues.push(Issue::new(
                    join_key(&path, "ramp"),
                    "the ramp must end before the next step begins",
                ));
            }
        }
        if at > start {
            segments.push(RateSegment {
                start,
                end: at,
                from: current,
                to: current,
            });
        }
        let target = step.rate.per_sec;
        if ramp > SimTime::ZERO {
            segments.push(RateSegment {
                start: at,
                end: at + ramp,
                from: current,
                to: target,
            });
        }
        start = at + ramp;
        current = target;
    }
    segments.push(RateSegment {
        start,
        end: SimTime::MAX,
        from: current,
        to: current,
    });
    if !steps.is_empty() && segments.iter().all(|s| s.from <= 0.0 && s.to <= 0.0) {
        issues.push(Issue::new(
            "traffic",
            "every rate of the schedule is zero: nothing would arrive",
        ));
    }
    Some(segments)
}

fn check_network(raw: Option<RawNetwork>, names: &[String], issues: &mut Vec<Issue>) -> Network {
    let default_latency = SimTime(500_000);
    let Some(raw) = raw else {
        return Network {
            latency: default_latency,
            ipc: SimTime::ZERO,
            links: Vec::new(),
        };
    };
    let mut links = Vec::new();
    for (i, link) in raw.links.unwrap_or_default().iter().enumerate() {
        let path = join_key(&join_index("network.links", i), "between");
        if link.between.len() != 2 || link.between[0] == link.between[1] {
            issues.push(Issue::new(
                path,
                "expected two different component names, like [web, db]",
            ));
            continue;
        }
        let ends: Vec<Option<usize>> = link
            .between
            .iter()
            .map(|n| {
                let found = names.iter().position(|m| m == n);
                if found.is_none() {
                    issues.push(Issue::new(&path, no_such_component(n, names)));
                }
                found
            })
            .collect();
        if let (Some(a), Some(b)) = (ends[0], ends[1]) {
            links.push((a, b, link.latency.0));
        }
    }
    Network {
        latency: raw.latency.map_or(default_latency, |d| d.0),
        ipc: raw.ipc.map_or(SimTime::ZERO, |d| d.0),
        links,
    }
}

/// Stands for the key space of a traffic section that failed validation.
const PLACEHOLDER_KEYS: KeySpace = KeySpace {
    count: 1,
    popularity: Popularity::Uniform,
};

/// Parses every component; returns all names, and the components if all parsed.
fn check_components(
    value: Option<&Value>,
    traffic: Option<&Traffic>,
    keys_written: bool,
    issues: &mut Vec<Issue>,
) -> (Vec<String>, Option<Vec<ComponentDecl>>) {
    let Some(value) = value else {
        issues.push(Issue::new("components", "missing field `components`"));
        return (Vec::new(), None);
    };
    let Some(map) = value.as_object().filter(|m| !m.is_empty()) else {
        issues.push(Issue::new(
            "components",
            "expected a mapping of component names to their settings",
        ));
        return (Vec::new(), None);
    };
    let names: Vec<String> = map.keys().cloned().collect();
    for name in &names {
        if !valid_name(name) {
            issues.push(Issue::new(
                join_key("components", name),
                format!("`{name}` is not a valid component name: use letters, digits, `-` and `_`"),
            ));
        }
    }
    let default_types = [RequestType {
        name: "request".into(),
        weight: 1.0,
        op: Op::Read,
    }];
    let cx = SpecContext {
        types: traffic.map_or(&default_types[..], |t| &t.types),
        names: &names,
        // When the traffic section is broken (already reported) but has keys,
        // components that need keys must not report their absence as well.
        keys: match traffic {
            Some(t) => t.keys.as_ref(),
            None if keys_written => Some(&PLACEHOLDER_KEYS),
            None => None,
        },
    };
    let mut out = Vec::new();
    for (name, body) in map {
        let path = join_key("components", name);
        match components::parse(name, body, &path, &cx) {
            Ok(decl) => out.push(decl),
            Err(mut errs) => issues.append(&mut errs),
        }
    }
    // With a component missing, indices would no longer match names.
    let complete = out.len() == names.len();
    (names, complete.then_some(out))
}

/// Returns true for names made of letters, digits, `-` and `_`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
}

/// Checks settings that depend on other components (like weights per replica).
fn check_links(components: &[ComponentDecl], issues: &mut Vec<Issue>) {
    for c in components {
        let path = join_key("components", &c.name);
        issues.extend(c.spec.check_against(&path, components));
    }
}

/// Components on one host are one machine per replica, so replica counts must agree.
fn check_hosts(components: &[ComponentDecl], issues: &mut Vec<Issue>) {
    for (i, a) in components.iter().enumerate() {
        let Some(host) = &a.host else { continue };
        if let Some(b) = components[..i]
            .iter()
            .find(|b| b.host.as_ref() == Some(host))
        {
            if a.spec.replicas() != b.spec.replicas() {
                issues.push(Issue::new(
                    format!("components.{}.host", a.name),
                    format!(
                        "`{}` has {} replicas but `{}` on the same host `{host}` has {}: \
                         co-located components need the same number of replicas (one per machine)",
                        a.name,
                        a.spec.replicas(),
                        b.name,
                        b.spec.replicas()
                    ),
                ));
            }
        }
    }
}

/// Reports a cycle in the graph of calls and balancer targets.
fn check_cycles(components: &[ComponentDecl], issues: &mut Vec<Issue>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        i: usize,
        cs: &[ComponentDecl],
        marks: &mut [Mark],
        trail: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        marks[i] = Mark::Open;
        trail.push(i);
        for next in cs[i].spec.downstream() {
            match marks.get(next) {
                Some(Mark::Open) => {
                    let from = trail.iter().position(|&t| t == next).unwrap_or(0);
                    let mut cycle = trail[from..].to_vec();
                    cycle.push(next);
                    return Some(cycle);
                }
                Some(Mark::New) => {
                    if let Some(c) = visit(next, cs, marks, trail) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        trail.pop();
        marks[i] = Mark::Done;
        None
    }
    let mut marks = vec![Mark::New; components.len()];
    for i in 0..components.len() {
        if marks[i] == Mark::New {
            if let Some(cycle) = visit(i, components, &mut marks, &mut Vec::new()) {
                let names: Vec<&str> = cycle.iter().map(|&c| components[c].name.as_str()).collect();
                issues.push(Issue::new(
                    format!("components.{}", names[0]),
                    format!(
                        "calls form a cycle: {} (a request would never finish)",
                        names.join(" -> ")
                    ),
                ));
                return;
            }
        }
    }
}
