//! Results as JSON: one object per scenario, with the keys of the spec.
//!
//! A figure with a confidence interval gets a sibling key `<name>_ci95` holding
//! `[low, high]`, so that every key of the spec stays a plain number. The
//! bounds are clamped to the values the figure can take: a count's interval
//! stops at 0, a share's at 0 and 1 (docs/model.md gives the rule).

use serde_json::{Map, Number, Value};

use super::data::{Comparison, Differences};
use crate::metrics::{Figure, ScenarioResult, Truncation};

/// Returns the JSON object of one scenario's results.
pub fn scenario_value(result: &ScenarioResult) -> Value {
    let mut root = Map::new();
    root.insert("scenario".into(), Value::String(result.scenario.clone()));
    root.insert("seed".into(), Value::from(result.seed));
    root.insert("replications".into(), Value::from(result.replications));
    for figure in &result.figures {
        insert(&mut root, figure);
    }
    if !result.series.gauges.is_empty() {
        root.insert("gauges".into(), gauges(result));
    }
    if let Some(first) = result.truncated.first() {
        root.insert(
            "truncated".into(),
            truncation(first, result.truncated.len()),
        );
    }
    Value::Object(root)
}

/// Returns the `gauges` object: for each component that keeps gauges, each
/// gauge's unit and its time-weighted mean per window of the time series
/// (windows of `window_s` seconds from the start of the run).
fn gauges(result: &ScenarioResult) -> Value {
    let mut root = Map::new();
    root.insert("window_s".into(), number(result.series.window_s, false));
    for g in &result.series.gauges {
        let entry = root
            .entry(g.component.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(component) = entry else {
            continue;
        };
        let mut gauge = Map::new();
        gauge.insert("unit".into(), Value::from(g.unit));
        let values = g.values.iter().map(|&v| number(v, false)).collect();
        gauge.insert("values".into(), Value::Array(values));
        component.insert(g.key.into(), Value::Object(gauge));
    }
    Value::Object(root)
}

/// Returns the `truncated` object: the first early stop (in replication order)
/// and how many replications stopped early.
fn truncation(first: &Truncation, runs: usize) -> Value {
    let mut map = Map::new();
    map.insert("reason".into(), Value::from(first.reason.name()));
    map.insert("at_s".into(), number(first.at_s, false));
    map.insert("runs".into(), Value::from(runs as u64));
    Value::Object(map)
}

/// Returns the JSON array of several scenarios' results, pretty-printed.
pub fn render(results: &[ScenarioResult]) -> String {
    let list: Vec<Value> = results.iter().map(scenario_value).collect();
    let mut text =
        serde_json::to_string_pretty(&Value::Array(list)).unwrap_or_else(|_| "[]".into());
    text.push('\n');
    text
}

/// Returns the JSON array of a comparison's results: each scenario's object,
/// and for each scenario after the first, its paired differences from the
/// first under `differences` (when the comparison ran on common random
/// numbers with replications).
pub fn render_comparison(data: &Comparison) -> String {
    let list: Vec<Value> = data
        .results
        .iter()
        .map(|result| {
            let mut value = scenario_value(result);
            let paired = data
                .differences
                .iter()
                .find(|d| d.scenario == result.scenario);
            if let (Value::Object(map), Some(d)) = (&mut value, paired) {
                map.insert("differences".into(), differences_value(d));
            }
            value
        })
        .collect();
    let mut text =
        serde_json::to_string_pretty(&Value::Array(list)).unwrap_or_else(|_| "[]".into());
    text.push('\n');
    text
}

/// Returns `{"baseline": NAME, "figures": {PATH: {"difference": d, "ci95": [low, high]}}}`.
fn differences_value(d: &Differences) -> Value {
    let mut figures = Map::new();
    for f in &d.figures {
        let mut entry = Map::new();
        entry.insert("difference".into(), number(f.difference.mean, false));
        entry.insert(
            "ci95".into(),
            Value::Array(vec![
                number(f.difference.low(), false),
                number(f.difference.high(), false),
            ]),
        );
        figures.insert(f.path.clone(), Value::Object(entry));
    }
    let mut map = Map::new();
    map.insert("baseline".into(), Value::String(d.baseline.clone()));
    map.insert("figures".into(), Value::Object(figures));
    Value::Object(map)
}

fn insert(root: &mut Map<String, Value>, figure: &Figure) {
    // A kind's figure may be a family of keys (`job_latency_ms.p99`): nested
    // like the run's own (`latency_ms.p99`).
    let path: Vec<String> = figure
        .path
        .iter()
        .flat_map(|p| p.split('.'))
        .map(str::to_string)
        .collect();
    let Some((name, parents)) = path.split_last() else {
        return;
    };
    let mut node = root;
    for key in parents {
        let entry = node
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(map) = entry else { return };
        node = map;
    }
    // A count of a single run is written as a whole number; over replications
    // it is a mean, written as a decimal number even when the replications
    // agree, so that a key has one JSON type whatever the values.
    let whole = figure.total && figure.ci.is_none() && figure.value.fract() == 0.0;
    node.insert(name.clone(), number(figure.value, whole));
    if let Some((low, high)) = figure.bounds() {
        node.insert(
            format!("{name}_ci95"),
            Value::Array(vec![number(low, false), number(high, false)]),
        );
    }
}

/// Formats a number: counts as integers, other figures rounded to 6 significant digits
/// (beyond that the digits are noise, and rounding keeps the files readable).
fn number(value: f64, integer: bool) -> Value {
    if integer && value.is_finite() && value >= 0.0 {
        return Value::from(value.round() as u64);
    }
    if !value.is_finite() {
        return Value::Null;
    }
    // Adding 0.0 turns a negative zero into a positive one.
    let rounded = round_significant(value, 6) + 0.0;
    Number::from_f64(rounded).map_or(Value::Null, Value::Number)
}

/// Rounds `x` to `digits` significant digits.
pub fn round_significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let magnitude = x.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits - 1 - magnitude);
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::ci::Interval;

    #[test]
    fn nests_paths_and_adds_interval_siblings() {
        let result = ScenarioResult {
            scenario: "s".into(),
            seed: 1,
            replications: 2,
            figures: vec![
                Figure {
                    path: vec!["requests".into(), "offered".into()],
                    value: 10.0,
                    ci: None,
                    total: true,
                    measure: &crate::metrics::measure::OTHER,
                },
                Figure {
                    path: vec!["latency_ms".into(), "p99".into()],
                    value: 4.123456789,
                    ci: Some(Interval {
                        mean: 4.123456789,
                        half_width: 0.5,
                    }),
                    total: false,
                    measure: &crate::metrics::measure::OTHER,
                },
            ],
            cdf: Vec::new(),
            series: Default::default(),
            truncated: Vec::new(),
            slowest: Vec::new(),
            index: Default::default(),
        };
        let v = scenario_value(&result);
        assert_eq!(v["requests"]["offered"], Value::from(10u64));
        assert_eq!(v["latency_ms"]["p99"].as_f64(), Some(4.12346));
        assert_eq!(v["latency_ms"]["p99_ci95"][0].as_f64(), Some(3.62346));
        assert!(v.get("truncated").is_none());
    }

    #[test]
    fn a_count_has_one_json_type_whatever_its_value() {
        let count = |value: f64, ci: Option<Interval>| Figure {
            path: vec!["failed".into()],
            value,
            ci,
            total: true,
            measure: &crate::metrics::measure::OTHER,
        };
        let mean = |value: f64| {
            Some(Interval {
                mean: value,
                half_width: 3.0,
            })
        };
        let mut result = crate::report::charts::sample::result("s", &[]);
        // One run: whole numbers.
        result.figures = vec![count(3806.0, None)];
        assert!(scenario_value(&result)["failed"].is_u64());
        // Replications: means, decimal numbers even when a mean is whole.
        for value in [3806.0, 3806.4] {
            result.figures = vec![count(value, mean(value))];
            let v = scenario_value(&result);
            assert!(v["failed"].is_f64(), "{value}: {}", v["failed"]);
        }
    }

    #[test]
    fn interval_bounds_stop_where_the_figure_does() {
        use crate::metrics::{Better, Measure, Unit};
        static COUNT: Measure = Measure::new("lost", "lost", Unit::Count, Better::Lower);
        static SHARE: Measure = Measure::new("hits", "hits", Unit::Share, Better::Higher);
        static GAP: Measure = Measure::new("gap", "gap", Unit::Requests, Better::Neither).signed();
        let figure = |name: &str, value: f64, half_width: f64, measure: &'static Measure| Figure {
            path: vec![name.into()],
            value,
            ci: Some(Interval {
                mean: value,
                half_width,
            }),
            total: false,
            measure,
        };
        let mut result = crate::report::charts::sample::result("s", &[]);
        result.figures = vec![
            figure("lost", 0.3, 0.5, &COUNT),
            figure("hits", 0.99, 0.02, &SHARE),
            figure("gap", 0.1, 0.5, &GAP),
        ];
        let v = scenario_value(&result);
        let bounds = |key: &str| {
            let pair = v[key].as_array().unwrap();
            (pair[0].as_f64().unwrap(), pair[1].as_f64().unwrap())
        };
        assert_eq!(bounds("lost_ci95"), (0.0, 0.8));
        assert_eq!(bounds("hits_ci95"), (0.97, 1.0));
        assert_eq!(bounds("gap_ci95"), (-0.4, 0.6));
        // The value itself is never moved.
        assert_eq!(v["lost"].as_f64(), Some(0.3));
    }

    #[test]
    fn marks_a_truncated_result() {
        let mut result = crate::report::charts::sample::result("s", &[]);
        result.truncated = vec![Truncation {
            reason: crate::metrics::StopReason::MaxInFlight,
            at_s: 12.345678912,
        }];
        let v = scenario_value(&result);
        assert_eq!(v["truncated"]["reason"], "max_in_flight");
        assert_eq!(v["truncated"]["at_s"].as_f64(), Some(12.3457));
        assert_eq!(v["truncated"]["runs"], 1);
    }
}
