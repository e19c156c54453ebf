//! `scalesim sweep FILE --vary PATH=VALUES ...`: a parameter grid in parallel.

use std::time::Instant;

use serde_json::Value;

use super::run::{print, report_timing};
use super::CommonArgs;
use crate::error::{Error, Result};
use crate::metrics::{FlatRun, ScenarioResult};
use crate::report::charts::sweep::short_names;
use crate::report::data::SweepData;
use crate::report::{charts, csv, folder, html, json, table, Files};
use crate::report::{format, lessons};
use crate::runner::{self, Task};
use crate::scenario::{Override, Scenario};
use crate::spec::limits::MAX_RUNS;
use crate::sweep::shard::{self, Partial, Shard};
use crate::sweep::{check_axes, grid, leading_number, Axis, Outline, PointOutline};
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

/// A sweep ready to run: each point's scenario, and the sweep without its results.
struct Plan {
    /// The scenario of each grid point, in grid order.
    scenarios: Vec<Scenario>,
    /// The grid, metrics, replications and predictions.
    outline: Outline,
}

/// Runs the grid of `vary` over `file` and writes the results, charts and report;
/// with `shard`, runs only that slice of the runs and writes its partial file.
pub fn run(
    file: &str,
    vary: &[String],
    metrics: &[String],
    shard: Option<Shard>,
    common: &CommonArgs,
) -> Result<()> {
    let plan = plan(file, vary, metrics, common)?;
    match shard {
        None => run_whole(&plan, common),
        Some(shard) => run_shard(&plan, shard, common),
    }
}

/// A grid of points as `--vary` and `--set` give it.
pub(super) struct Grid {
    /// The varied fields.
    pub axes: Vec<Axis>,
    /// Every combination of their values, the last axis varying fastest.
    pub points: Vec<Vec<String>>,
    /// The fixed changes of every point.
    pub base: Vec<Override>,
}

/// Reads the axes of `vary` and the fixed overrides of `common`; refuses a
/// field varied twice or both varied and fixed.
pub(super) fn parse_grid(vary: &[String], common: &CommonArgs) -> Result<Grid> {
    let axes: Vec<Axis> = vary
        .iter()
        .map(|v| Axis::parse(v).map_err(|e| Error::Usage(format!("--vary {e}"))))
        .collect::<Result<_>>()?;
    let base = super::parse_overrides(&common.overrides.set)?;
    let fixed: Vec<&str> = base.iter().map(|o| o.path.as_str()).collect();
    check_axes(&axes, &fixed).map_err(|e| Error::Usage(format!("--vary: {e}")))?;
    let points = grid(&axes).map_err(|e| Error::Usage(format!("--vary: {e}")))?;
    Ok(Grid { axes, points, base })
}

/// Loads every point's scenario and outlines the sweep.
fn plan(file: &str, vary: &[String], metrics: &[String], common: &CommonArgs) -> Result<Plan> {
    let Grid { axes, points, base } = parse_grid(vary, common)?;
    let scenarios = points
        .iter()
        .map(|values| point_scenario(file, &base, &axes, values, common.run.seed))
        .collect::<Result<Vec<_>>>()?;
    super::show_warnings(&scenarios, common.output.quiet);
    let replications = common.run.replications.unwrap_or(DEFAULT_REPLICATIONS);
    let runs = points.len() as u64 * replications;
    if runs > MAX_RUNS {
        return Err(Error::Usage(format!(
            "{} points of {replications} replications make {runs} runs; a sweep may have at most {MAX_RUNS}",
            points.len()
        )));
    }
    let metrics: Vec<String> = if metrics.is_empty() {
        DEFAULT_METRICS.iter().map(|m| m.to_string()).collect()
    } else {
        metrics.to_vec()
    };
    let outline = Outline {
        // The points' names carry their parameters; the sweep is named after
        // the file's scenario and what varies, never after one of its points.
        scenario: sweep_name(&scenarios, &base, &axes),
        parameters: axes.iter().map(|a| a.path.clone()).collect(),
        metrics,
        replications,
        points: points
            .iter()
            .zip(&scenarios)
            .map(|(values, scenario)| PointOutline {
                labels: values.clone(),
                values: values.iter().map(|v| leading_number(v)).collect(),
                theory: predictions(scenario),
            })
            .collect(),
    };
    Ok(Plan { scenarios, outline })
}

/// Runs every run of the sweep and publishes the results.
fn run_whole(plan: &Plan, common: &CommonArgs) -> Result<()> {
    let started = Instant::now();
    // A sweep keeps no time series or latency distribution of its runs, so
    // that memory does not grow with the size of the grid.
    let runs = super::batch::run_all(&plan.scenarios, plan.outline.replications, false, common)?;
    report_timing(common, runs.iter().flatten(), started);
    if runs.iter().all(Vec::is_empty) {
        super::check_interrupted()?;
    }
    // Points whose every run Ctrl-C abandoned are left out.
    let results = runs
        .iter()
        .map(|runs| (!runs.is_empty()).then(|| ScenarioResult::from_runs(runs)))
        .collect();
    let data = plan.outline.data(results);
    check_metrics(&data, "--metric")?;
    publish(&data, "scalesim sweep", common)?;
    super::check_interrupted()
}

/// Runs the runs of one shard and writes its partial file into `--out`.
///
/// A shard publishes no results of its own: `merge` does, once every shard
/// has run. Interrupted by Ctrl-C, a shard still writes the runs it finished,
/// and `merge` names the shard as incomplete.
fn run_shard(plan: &Plan, shard: Shard, common: &CommonArgs) -> Result<()> {
    let outline = &plan.outline;
    let tasks: Vec<Task> = runner::tasks(plan.scenarios.len(), outline.replications)
        .into_iter()
        .filter(|&t| shard.takes(shard::task_number(t, outline.replications)))
        .collect();
    let started = Instant::now();
    let finished =
        super::batch::run_tasks(&plan.scenarios, &tasks, outline.replications, false, common)?;
    report_timing(common, finished.iter().map(|(_, run)| run), started);
    let runs: Vec<(Task, FlatRun)> = finished
        .iter()
        .map(|(task, run)| (*task, FlatRun::of(run)))
        .collect();
    // The metrics are checked here too, so that a mistyped one fails every
    // shard at once instead of the merge after the whole sweep has run.
    let mut per_point: Vec<Vec<FlatRun>> = vec![Vec::new(); outline.points.len()];
    for (task, run) in &runs {
        per_point[task.scenario].push(run.clone());
    }
    let results = per_point
        .iter()
        .map(|runs| (!runs.is_empty()).then(|| ScenarioResult::from_flat(runs)))
        .collect();
    check_metrics(&outline.data(results), "--metric")?;
    let partial = Partial {
        shard,
        fingerprint: shard::fingerprint(&plan.scenarios, outline, &common.limits()),
        version: env!("CARGO_PKG_VERSION").to_string(),
        outline: outline.clone(),
        // Ctrl-C or a signal leaves runs out; the file says so, so that merge
        // can tell a stopped shard from a file that lost runs afterwards.
        stopped_early: runs.len() < tasks.len(),
        runs,
    };
    let path = partial.write(&common.output.out)?;
    if common.output.json {
        let summary = serde_json::json!({
            "shard": shard.index,
            "shards": shard.count,
            "runs": tasks.len(),
            "finished": partial.runs.len(),
            "file": path.display().to_string(),
        });
        print(&format!("{summary}\n"))?;
    } else if !common.output.quiet {
        print(&format!(
            "shard {shard}: {} of {} runs finished (the sweep has {}); wrote {}\n\
             once every shard has run: scalesim merge FOLDER...\n",
            partial.runs.len(),
            tasks.len(),
            outline.tasks(),
            path.display()
        ))?;
    }
    super::check_interrupted()
}

/// Loads the scenario of one grid point: the file, with `--set` and then the point's values.
pub(super) fn point_scenario(
    file: &str,
    base: &[Override],
    axes: &[Axis],
    values: &[String],
    seed: Option<u64>,
) -> Result<Scenario> {
    let mut overrides = base.to_vec();
    for (axis, value) in axes.iter().zip(values) {
        overrides.push(Override::varied(&axis.path, value));
    }
    let mut scenario = super::load_one(file, &overrides)?;
    // Every point keeps the file's seed: the points share their random numbers, so
    // the curves are smooth and their differences come from the parameter.
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    Ok(scenario)
}

/// Returns the name of a sweep: the file's scenario, with the fixed `--set`
/// changes and the varied fields (`Four clones [components.web.replicas varied]`).
fn sweep_name(scenarios: &[Scenario], base: &[Override], axes: &[Axis]) -> String {
    // The points' names are the file's name followed by their changes.
    let name = scenarios
        .first()
        .map(|s| s.name.split(" [").next().unwrap_or(&s.name).to_string())
        .unwrap_or_default();
    let mut changes: Vec<String> = base
        .iter()
        .filter(|o| o.path != "name")
        .map(Override::text)
        .collect();
    changes.extend(axes.iter().map(|a| format!("{} varied", a.path)));
    format!("{name} [{}]", changes.join(", "))
}

/// Returns what theory predicts at a point, when the scenario is a pure queueing model.
fn predictions(scenario: &Scenario) -> Vec<(String, f64)> {
    match theory::predict(scenario) {
        None => Vec::new(),
        Some(p) => vec![
            ("latency_ms.mean".to_string(), p.mean_latency_ms),
            ("wait_ms.mean".to_string(), p.mean_wait_ms),
            ("availability".to_string(), p.availability),
        ],
    }
}

/// Refuses metrics that the results do not have; `source` says where the
/// metrics were named (`--metric`, or the shards of a merge).
pub(super) fn check_metrics(data: &SweepData, source: &str) -> Result<()> {
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
                "{source} {}: no such figure; figures are {}",
                crate::error::cut_for_message(metric, 100),
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// Writes the sweep's results, charts and report, as the results of
/// `command` (`sweep` or `merge`), and prints its table (or, under `--json`,
/// the results).
pub(super) fn publish(data: &SweepData, command: &str, common: &CommonArgs) -> Result<()> {
    let results: Vec<ScenarioResult> = data.points.iter().map(|p| p.result.clone()).collect();
    let values: Vec<Vec<String>> = data.points.iter().map(|p| p.labels.clone()).collect();
    let out = &common.output.out;
    let text = sweep_json(data);
    super::write_results(common, command, |cancel| {
        let mut files = Files::new();
        files.add("results.json", text.as_bytes());
        files.add(
            "results.csv",
            csv::results(&results, &data.parameters, &values)?,
        );
        folder::check(Some(cancel))?;
        let drawn = charts::sweep(data, Some(cancel))?;
        let page = html::sweep(data, &drawn)?;
        for chart in drawn {
            chart.add_to(&mut files);
        }
        files.add(html::FILE, page);
        Ok(files)
    })?;
    if common.output.json {
        return print(&text);
    }
    if common.output.quiet {
        return Ok(());
    }
    print(&format!(
        "{}\nresults: {}\nreport:  {}\n",
        grid_table(data),
        out.join("results.csv").display(),
        out.join(html::FILE).display()
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

/// Renders the grid with the charted metrics, each named and formatted from
/// its declaration (`p99 latency (ms)`, `availability (%)`).
fn grid_table(data: &SweepData) -> String {
    let mut header = short_names(&data.parameters);
    header.extend(data.metrics.iter().map(|m| format::metric(m).axis()));
    let mut rows = vec![header];
    for p in &data.points {
        let mut row = p.labels.clone();
        row.extend(data.metrics.iter().map(|m| lessons::cell(&p.result, m)));
        rows.push(row);
    }
    table::align(&rows)
}
