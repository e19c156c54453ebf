//! `scalesim sweep FILE --vary PATH=VALUES ...`: a parameter grid in parallel.

use serde_json::Value;

use super::run::print;
use super::CommonArgs;
use crate::error::{Error, Result};
use crate::metrics::ScenarioResult;
use crate::report::data::{SweepData, SweepPoint};
use crate::report::{self, charts, csv, html, json, table};
use crate::runner::{self, RunOptions};
use crate::scenario::{Override, Scenario};
use crate::sweep::{grid, leading_number, Axis};
use crate::theory;

/// Replications per grid point when `--replications` is not given: enough for bands.
pub const DEFAULT_REPLICATIONS: u64 = 3;

/// Metrics charted when `--metric` is not given.
pub const DEFAULT_METRICS: &[&str] = &[
    "latency_ms.p99",
    "latency_ms.mean",
    "throughput_rps",
    "availability",
];

/// Runs the grid of `vary` over `file` and writes the results, charts and report.
pub fn run(file: &str, vary: &[String], metrics: &[String], common: &CommonArgs) -> Result<()> {
    let axes: Vec<Axis> = vary
        .iter()
        .map(|v| Axis::parse(v).map_err(|e| Error::Usage(format!("--vary {e}"))))
        .collect::<Result<_>>()?;
    let points = grid(&axes).map_err(|e| Error::Usage(format!("--vary: {e}")))?;
    let base = super::parse_overrides(&common.set)?;
    let scenarios = points
        .iter()
        .map(|values| point_scenario(file, &base, &axes, values, common.seed))
        .collect::<Result<Vec<_>>>()?;
    let replications = common.replications.unwrap_or(DEFAULT_REPLICATIONS);
    if replications == 0 {
        return Err(Error::Usage("--replications must be at least 1".into()));
    }
    let runs = runner::run_batch(
        &scenarios,
        RunOptions {
            replications,
            jobs: common.jobs.unwrap_or(0),
            progress: !(common.quiet || common.json),
            keep_series: false,
            limits: common.limits(),
            cancel: Some(super::interrupt_flag()),
            warn: !common.quiet,
        },
    )?;
    if runs.iter().all(Vec::is_empty) {
        super::check_interrupted()?;
    }
    let metrics: Vec<String> = if metrics.is_empty() {
        DEFAULT_METRICS.iter().map(|m| m.to_string()).collect()
    } else {
        metrics.to_vec()
    };
    let data = SweepData {
        // The points' names carry their parameters; the sweep is named after the file's scenario.
        scenario: scenarios
            .first()
            .map(|s| s.name.split(" [").next().unwrap_or(&s.name).to_string())
            .unwrap_or_default(),
        parameters: axes.iter().map(|a| a.path.clone()).collect(),
        metrics,
        points: points
            .iter()
            .zip(&scenarios)
            .zip(&runs)
            // Points whose every run Ctrl-C abandoned are left out.
            .filter(|(_, runs)| !runs.is_empty())
            .map(|((values, scenario), runs)| SweepPoint {
                labels: values.clone(),
                values: values.iter().map(|v| leading_number(v)).collect(),
                result: ScenarioResult::from_runs(runs),
                theory: predictions(scenario),
            })
            .collect(),
    };
    check_metrics(&data)?;
    publish(&data, common)?;
    super::check_interrupted()
}

/// Loads the scenario of one grid point: the file, with `--set` and then the point's values.
fn point_scenario(
    file: &str,
    base: &[Override],
    axes: &[Axis],
    values: &[String],
    seed: Option<u64>,
) -> Result<Scenario> {
    let mut overrides = base.to_vec();
    for (axis, value) in axes.iter().zip(values) {
        overrides.push(Override {
            path: axis.path.clone(),
            value: value.clone(),
        });
    }
    let mut scenario = super::load_one(file, &overrides)?;
    // Every point keeps the file's seed: the points share their random numbers, so
    // the curves are smooth and their differences come from the parameter.
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    let label: Vec<String> = axes
        .iter()
        .zip(values)
        .map(|(a, v)| format!("{}={v}", short(&a.path)))
        .collect();
    scenario.name = format!("{} [{}]", scenario.name, label.join(", "));
    Ok(scenario)
}

/// Returns the last part of a path (`components.web.replicas` -> `replicas`).
fn short(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// Returns what theory predicts at a point, when the scenario is a pure queueing model.
fn predictions(scenario: &Scenario) -> Vec<(String, f64)> {
    match theory::predict(scenario) {
        None => Vec::new(),
        Some(p) => vec![
            ("latency_ms.mean".to_string(), p.mean_latency_ms),
            ("availability".to_string(), p.availability),
        ],
    }
}

/// Refuses metrics that the results do not have.
fn check_metrics(data: &SweepData) -> Result<()> {
    let Some(first) = data.points.first() else {
        return Ok(());
    };
    for metric in &data.metrics {
        if first.result.figure(metric).is_none() {
            let known: Vec<String> = first
                .result
                .figures
                .iter()
                .map(|f| f.path.join("."))
                .collect();
            return Err(Error::Usage(format!(
                "--metric {metric}: no such figure; figures are {}",
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// Writes the sweep's results, charts and report, and prints its table.
fn publish(data: &SweepData, common: &CommonArgs) -> Result<()> {
    let results: Vec<ScenarioResult> = data.points.iter().map(|p| p.result.clone()).collect();
    let values: Vec<Vec<String>> = data.points.iter().map(|p| p.labels.clone()).collect();
    let out = &common.out;
    let text = sweep_json(data);
    report::write_atomic(&out.join("results.json"), text.as_bytes())?;
    report::write_atomic(
        &out.join("results.csv"),
        &csv::results(&results, &data.parameters, &values)?,
    )?;
    charts::sweep(out, data)?;
    let report = html::sweep(out, data)?;
    if common.json {
        return print(&text);
    }
    if common.quiet {
        return Ok(());
    }
    print(&format!(
        "{}\nresults: {}\nreport:  {}\n",
        grid_table(data),
        out.join("results.csv").display(),
        report.display()
    ))
}

/// Returns the JSON results: one object per grid point, with its parameters.
fn sweep_json(data: &SweepData) -> String {
    let list: Vec<Value> = data
        .points
        .iter()
        .map(|p| {
            let mut object = json::scenario_value(&p.result);
            let parameters: serde_json::Map<String, Value> = data
                .parameters
                .iter()
                .zip(&p.labels)
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            if let Value::Object(map) = &mut object {
                map.insert("parameters".into(), Value::Object(parameters));
            }
            object
        })
        .collect();
    let mut text =
        serde_json::to_string_pretty(&Value::Array(list)).unwrap_or_else(|_| "[]".into());
    text.push('\n');
    text
}

/// Renders the grid with the charted metrics.
fn grid_table(data: &SweepData) -> String {
    let mut header: Vec<String> = data
        .parameters
        .iter()
        .map(|p| short(p).to_string())
        .collect();
    header.extend(data.metrics.iter().cloned());
    let mut rows = vec![header];
    for p in &data.points {
        let mut row = p.labels.clone();
        for m in &data.metrics {
            let cell = match p.result.figure(m) {
                Some(f) => match f.ci {
                    Some(ci) => format!("{:.4} ±{:.4}", f.value, ci.half_width),
                    None => format!("{:.4}", f.value),
                },
                None => "-".into(),
            };
            row.push(cell);
        }
        rows.push(row);
    }
    table::align(&rows)
}
