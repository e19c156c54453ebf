//! `scalesim plan FILE --vary ... --slo ... --minimise cost`: the cheapest
//! setup of a grid that meets every service-level objective.

use std::time::Instant;

use serde_json::{Map, Value};

use super::run::{print, report_timing};
use super::sweep::point_scenario;
use super::CommonArgs;
use crate::error::{Error, Result};
use crate::metrics::{FlatRun, ScenarioResult};
use crate::parts::kinds::declaration;
use crate::report::data::{PlanData, PlanSetup};
use crate::report::{charts, csv, folder, html, json, Files};
use crate::runner::Task;
use crate::scenario::Scenario;
use crate::spec::limits::MAX_RUNS;
use crate::sweep::plan::{
    format_share, Objective, Plan, Settings, Setup, Status, COST, MAX_PLAN_REPLICATIONS,
};

/// Replications of each setup that runs when `--replications` is not given:
/// enough for a Student interval that is not needlessly wide (t₀.₉₇₅ = 2.78
/// with 4 degrees of freedom); setups whose interval straddles a limit get more.
pub const DEFAULT_REPLICATIONS: u64 = 5;

/// The short names `--minimise` accepts besides a results path.
const MINIMISABLE: &[(&str, &str)] = &[
    ("cost", COST),
    ("p50", "latency_ms.p50"),
    ("p90", "latency_ms.p90"),
    ("p99", "latency_ms.p99"),
    ("p999", "latency_ms.p999"),
    ("mean", "latency_ms.mean"),
];

/// Runs the plan and writes its results, chart and report.
pub fn run(
    file: &str,
    vary: &[String],
    slo: &[String],
    minimise: &str,
    common: &CommonArgs,
) -> Result<()> {
    let objectives: Vec<Objective> = slo
        .iter()
        .map(|s| Objective::parse(s).map_err(|e| Error::Usage(format!("--slo {e}"))))
        .collect::<Result<_>>()?;
    let minimise = minimised_path(minimise)?;
    let replications = common.run.replications.unwrap_or(DEFAULT_REPLICATIONS);
    if replications < 2 {
        return Err(Error::Usage(
            "--replications 1: a plan judges every objective on a 95% interval, which needs \
             at least 2 replications"
                .into(),
        ));
    }
    let super::sweep::Grid { axes, points, base } = super::sweep::parse_grid(vary, common)?;
    let runs = points.len() as u64 * replications.max(MAX_PLAN_REPLICATIONS);
    if runs > MAX_RUNS {
        return Err(Error::Usage(format!(
            "{} setups of up to {} replications make {runs} runs; a plan may have at most {MAX_RUNS}",
            points.len(),
            replications.max(MAX_PLAN_REPLICATIONS)
        )));
    }
    let setups = points
        .into_iter()
        .map(|values| {
            let scenario = point_scenario(file, &base, &axes, &values, common.run.seed)?;
            Ok(Setup::new(values, scenario))
        })
        .collect::<Result<Vec<_>>>()?;
    let scenarios: Vec<Scenario> = setups.iter().map(|s| s.scenario.clone()).collect();
    super::show_warnings(&scenarios, common.output.quiet);
    if let Some(first) = scenarios.first() {
        check_components(&objectives, first)?;
    }
    let parameters = axes.iter().map(|a| a.path.clone()).collect();
    let mut plan = Plan::new(parameters, objectives, minimise, setups);
    let settings = Settings {
        replications,
        max_replications: replications.max(MAX_PLAN_REPLICATIONS),
    };
    let started = Instant::now();
    let mut finished_runs = Vec::new();
    let mut abandoned = 0;
    super::keep_nothing_when_interrupted();
    let mut run = |scenarios: &[Scenario], tasks: &[Task]| -> Result<Vec<(Task, FlatRun)>> {
        // The runs the guard rails stopped, and those Ctrl-C abandoned, are
        // told of once, after the search.
        let finished =
            super::batch::run_tasks_untold(scenarios, tasks, replications, false, common, None)?;
        abandoned += tasks.len() - finished.len();
        let flat = finished
            .iter()
            .map(|(task, run)| (*task, FlatRun::of(run)))
            .collect();
        finished_runs.extend(finished.into_iter().map(|(_, run)| run));
        Ok(flat)
    };
    let searched = plan.search(settings, &mut run);
    report_timing(common, finished_runs.iter(), started);
    super::batch::warn_stopped(finished_runs.iter(), common);
    if matches!(searched, Err(Error::Interrupted)) || super::check_interrupted().is_err() {
        eprintln!("{}", interrupted_line(finished_runs.len(), abandoned));
    }
    // A search cut short has no verdict: the setups it did not reach might
    // have met every objective, so it writes nothing rather than a verdict
    // of infeasibility.
    searched?;
    super::check_interrupted()?;
    check_figures(&plan)?;
    publish(&plan, scenario_name(&plan), common)?;
    super::check_interrupted()
}

/// Says what a plan cut short keeps of the `finished` runs of its search,
/// and the runs it abandoned, in the words a sweep uses for its own.
fn interrupted_line(finished: usize, abandoned: usize) -> String {
    format!(
        "interrupted: keeping none of {finished} finished run(s), abandoning {abandoned} and \
         the rest of the search (a plan cut short has no verdict, so it writes nothing)"
    )
}

/// Returns the results path of `--minimise`: `cost`, a latency name or a results path.
fn minimised_path(text: &str) -> Result<String> {
    if let Some(&(_, path)) = MINIMISABLE.iter().find(|(n, _)| *n == text) {
        return Ok(path.to_string());
    }
    let parts: Vec<String> = text.split('.').map(str::to_string).collect();
    if declaration(&parts).is_some() {
        return Ok(text.to_string());
    }
    Err(Error::Usage(format!(
        "--minimise {text}: expected cost, p50, p90, p99, p999, mean or a results path like latency_ms.p99"
    )))
}

/// Refuses an objective on a component the scenario does not have.
fn check_components(objectives: &[Objective], scenario: &Scenario) -> Result<()> {
    for o in objectives {
        let parts: Vec<&str> = o.path.split('.').collect();
        if let ["components", name, _] = parts.as_slice() {
            if !scenario.components.iter().any(|c| c.name == *name) {
                let names: Vec<&str> = scenario
                    .components
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect();
                return Err(Error::Usage(format!(
                    "--slo `{}`: no component `{name}`; components are {}",
                    o.text,
                    names.join(", ")
                )));
            }
        }
    }
    Ok(())
}

/// Refuses objectives whose figure the results do not have (a figure of a
/// kind the component is not).
fn check_figures(plan: &Plan) -> Result<()> {
    let Some(result) = plan.setups.iter().find_map(|s| s.result.as_ref()) else {
        return Ok(());
    };
    for o in &plan.objectives {
        if result.figure(&o.path).is_none() {
            return Err(Error::Usage(format!(
                "--slo `{}`: the results have no figure {}",
                o.text, o.path
            )));
        }
    }
    Ok(())
}

/// Returns the plan's name: the file's scenario and what varies.
fn scenario_name(plan: &Plan) -> String {
    let name = plan
        .setups
        .first()
        .map(|s| {
            let n = &s.scenario.name;
            n.split(" [").next().unwrap_or(n).to_string()
        })
        .unwrap_or_default();
    let varied: Vec<String> = plan
        .parameters
        .iter()
        .map(|p| format!("{p} varied"))
        .collect();
    format!("{name} [{}]", varied.join(", "))
}

/// Returns the verdict in sentences: the winner with its figures, the
/// binding objective and its slack, the next cheaper setup and why it
/// fails; or, when nothing fits, the diagnosis.
pub fn verdict(plan: &Plan) -> Vec<String> {
    let Some(best) = plan.best else {
        let mut lines = vec!["no setup of the grid meets every objective".to_string()];
        lines.extend(plan.diagnosis());
        return lines;
    };
    let setup = &plan.setups[best];
    let Some(result) = setup.result.as_ref() else {
        return Vec::new();
    };
    let minimised = crate::report::format::metric(&plan.minimise);
    let figures: Vec<String> = plan.objectives.iter().map(|o| o.describe(result)).collect();
    let mut lines = vec![format!(
        "best: {} at {}, with {} over {} replications",
        plan.name(best),
        minimised.show(setup.minimised(&plan.minimise)),
        figures.join(", "),
        setup.runs.len()
    )];
    if let Some((k, slack)) = plan.binding(best) {
        lines.push(format!(
            "binding objective: {} (slack {} of the limit's room: the interval's worst end is {})",
            plan.objectives[k].text,
            format_share(slack),
            worst_end(&plan.objectives[k], result)
        ));
    }
    let (next, same, alone) = if plan.minimise == COST {
        (
            "next cheaper",
            "at the same price",
            "it is the cheapest setup of the grid",
        )
    } else {
        (
            "next lower",
            "with the same figure",
            "no setup with a lower figure was considered",
        )
    };
    match plan.next_cheaper() {
        Some(i) => lines.push(format!(
            "{}: {} at {}: {}",
            // A setup as dear as the winner that misses is not "cheaper".
            if plan.setups[i].minimised(&plan.minimise)
                < plan.setups[best].minimised(&plan.minimise)
            {
                next
            } else {
                same
            },
            plan.name(i),
            minimised.show(plan.setups[i].minimised(&plan.minimise)),
            plan.reason(i)
        )),
        None => lines.push(alone.to_string()),
    }
    lines
}

/// Returns the worst end of the objective's interval, formatted.
fn worst_end(o: &Objective, result: &ScenarioResult) -> String {
    let Some(f) = result.figure(&o.path) else {
        return "-".into();
    };
    let (low, high) = f.bounds().unwrap_or((f.value, f.value));
    o.show(if o.op.ceiling() { high } else { low })
}

/// Returns what the report and the chart show of the plan.
fn plan_data(plan: &Plan, scenario: String) -> PlanData {
    let charted = plan
        .best
        .and_then(|b| plan.binding(b))
        .or_else(|| plan.closest().and_then(|c| plan.binding(c)))
        .map_or(0, |(k, _)| k);
    let objective = &plan.objectives[charted];
    PlanData {
        scenario,
        parameters: plan.parameters.clone(),
        objectives: plan.objectives.iter().map(|o| o.text.clone()).collect(),
        minimised: plan.minimise.clone(),
        charted: (objective.path.clone(), objective.limit),
        sentences: verdict(plan),
        setups: plan
            .order
            .iter()
            .map(|&i| {
                let s = &plan.setups[i];
                PlanSetup {
                    labels: s.labels.clone(),
                    status: s
                        .status
                        .as_ref()
                        .map_or("not considered", Status::name)
                        .to_string(),
                    reason: plan.reason(i),
                    feasible: s.status == Some(Status::Met),
                    best: plan.best == Some(i),
                    minimised: s.minimised(&plan.minimise),
                    result: s.result.clone(),
                }
            })
            .collect(),
    }
}

/// Returns the value of a parameter in JSON: a number when it is one, its text otherwise.
fn parameter_value(label: &str) -> Value {
    match label.parse::<i64>() {
        Ok(n) => Value::from(n),
        Err(_) => match label.parse::<f64>() {
            Ok(x) if x.is_finite() => Value::from(x),
            _ => Value::String(label.to_string()),
        },
    }
}

/// Returns setup `i` as a JSON object: its parameters, its status and why,
/// and its figures when it ran.
fn setup_value(plan: &Plan, i: usize) -> Value {
    let s = &plan.setups[i];
    let mut object = match &s.result {
        Some(r) => json::scenario_value(r),
        None => Value::Object(Map::new()),
    };
    let parameters: Map<String, Value> = plan
        .parameters
        .iter()
        .zip(&s.labels)
        .map(|(k, v)| (k.clone(), parameter_value(v)))
        .collect();
    if let Value::Object(map) = &mut object {
        map.insert("parameters".into(), Value::Object(parameters));
        let status = s.status.as_ref().map_or("not considered", Status::name);
        map.insert("status".into(), Value::from(status));
        map.insert("reason".into(), Value::from(plan.reason(i)));
        map.insert("price_per_hour".into(), Value::from(s.price));
    }
    object
}

/// Returns the plan's JSON: `feasible`, and `best` with its `parameters`
/// and figures when it is, the verdict, and every setup in search order.
pub fn plan_json(plan: &Plan, scenario: &str) -> String {
    let mut map = Map::new();
    map.insert("scenario".into(), Value::from(scenario));
    map.insert("feasible".into(), Value::from(plan.best.is_some()));
    map.insert("minimise".into(), Value::from(plan.minimise.clone()));
    let objectives: Vec<Value> = plan
        .objectives
        .iter()
        .map(|o| {
            serde_json::json!({
                "slo": o.text,
                "path": o.path,
                "op": o.op.symbol(),
                "limit": json::round_significant(o.limit, 12),
            })
        })
        .collect();
    map.insert("objectives".into(), Value::Array(objectives));
    if let Some(best) = plan.best {
        map.insert("best".into(), setup_value(plan, best));
        if let Some((k, slack)) = plan.binding(best) {
            map.insert(
                "binding".into(),
                serde_json::json!({"slo": plan.objectives[k].text, "slack": slack}),
            );
        }
        if let Some(i) = plan.next_cheaper() {
            map.insert("next_cheaper".into(), setup_value(plan, i));
        }
    } else {
        map.insert("diagnosis".into(), Value::from(plan.diagnosis()));
    }
    map.insert("verdict".into(), Value::from(verdict(plan)));
    let setups: Vec<Value> = plan.order.iter().map(|&i| setup_value(plan, i)).collect();
    map.insert("setups".into(), Value::Array(setups));
    let mut text =
        serde_json::to_string_pretty(&Value::Object(map)).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}

/// Writes the plan's results, frontier and report, and prints its verdict
/// (or, under `--json`, its results).
fn publish(plan: &Plan, scenario: String, common: &CommonArgs) -> Result<()> {
    let text = plan_json(plan, &scenario);
    let data = plan_data(plan, scenario);
    let ran: Vec<&Setup> = plan
        .order
        .iter()
        .map(|&i| &plan.setups[i])
        .filter(|s| s.result.is_some())
        .collect();
    let results: Vec<ScenarioResult> = ran.iter().filter_map(|s| s.result.clone()).collect();
    let values: Vec<Vec<String>> = ran.iter().map(|s| s.labels.clone()).collect();
    let paths: Vec<String> = plan.objectives.iter().map(|o| o.path.clone()).collect();
    let ceiling = plan
        .objectives
        .iter()
        .find(|o| o.path == data.charted.0)
        .is_none_or(|o| o.op.ceiling());
    super::write_results(common, "scalesim plan", |cancel| {
        let mut files = Files::new();
        files.add("results.json", text.as_bytes());
        files.add(
            "results.csv",
            csv::results(&results, &plan.parameters, &values)?,
        );
        folder::check(Some(cancel))?;
        let drawn = charts::plan(&data, ceiling, Some(cancel))?;
        let page = html::plan(&data, &paths, &drawn)?;
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
    let mut out = String::new();
    for line in &data.sentences {
        out.push_str(line);
        out.push('\n');
    }
    let ran = plan.setups.iter().filter(|s| s.result.is_some()).count();
    let ruled = plan
        .setups
        .iter()
        .filter(|s| matches!(s.status, Some(Status::RuledOut(_))))
        .count();
    out.push_str(&format!(
        "searched {} setups: {ran} ran, {ruled} ruled out by theory, {} not run (dearer)\n",
        plan.setups.len(),
        plan.setups
            .iter()
            .filter(|s| s.status == Some(Status::Dearer))
            .count()
    ));
    out.push_str(&format!(
        "results: {}\nreport:  {}\n",
        common.output.out.join("results.json").display(),
        common.output.out.join(html::FILE).display()
    ));
    print(&out)
}
