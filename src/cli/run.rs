//! `scalesim run FILE...`, and the output every comparison writes.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::trace::{check_against_replays, check_target, Recording};
use super::{CommonArgs, TraceArgs};
use crate::error::{Error, Result};
use crate::metrics::{paired_differences, REPORT_LEVEL};
use crate::metrics::{RunSummary, ScenarioResult};
use crate::report::data::{Comparison, Differences, PairedFigure};
use crate::report::lessons::lessons;
use crate::report::{self, explain, html, little, response_law, table};
use crate::scenario::Scenario;

/// Runs the scenarios, prints the table (or JSON) and writes the results.
pub fn run(files: &[String], common: &CommonArgs, trace: &TraceArgs) -> Result<()> {
    if let Some(path) = &trace.trace {
        check_target(path, files, &common.output.out)?;
    }
    let overrides = super::parse_overrides(&common.overrides.set)?;
    let mut scenarios = super::load_all(files, &overrides)?;
    if let Some(path) = &trace.trace {
        check_against_replays(path, &scenarios)?;
    }
    super::show_warnings(&scenarios, common.output.quiet);
    apply_seed(&mut scenarios, common.run.seed);
    let replications = common.run.replications.unwrap_or(1);
    let runs = match trace.sample() {
        Some(sample) => execute_recorded(&scenarios, replications, common, trace, sample)?,
        None => execute(&scenarios, replications, common)?,
    };
    let (scenarios, runs) = keep_finished(scenarios, runs)?;
    let comparison = comparison("scalesim results", &scenarios, &runs, false);
    let checks = little::checks(&comparison.results);
    let extra = little::summary_line(&checks).map_or(String::new(), |line| format!("\n{line}\n"));
    publish(&comparison, &extra, "scalesim run", common)?;
    super::check_interrupted()
}

/// Keeps the scenarios with at least one finished run (all of them, unless
/// Ctrl-C abandoned some); fails when Ctrl-C left nothing to report.
pub fn keep_finished(
    scenarios: Vec<Scenario>,
    runs: Vec<Vec<RunSummary>>,
) -> Result<(Vec<Scenario>, Vec<Vec<RunSummary>>)> {
    let (scenarios, runs): (Vec<_>, Vec<_>) = scenarios
        .into_iter()
        .zip(runs)
        .filter(|(_, r)| !r.is_empty())
        .unzip();
    if runs.is_empty() {
        super::check_interrupted()?;
    }
    Ok((scenarios, runs))
}

/// Replaces every scenario's seed with `seed`, when given.
pub fn apply_seed(scenarios: &mut [Scenario], seed: Option<u64>) {
    if let Some(seed) = seed {
        for s in scenarios {
            s.seed = seed;
        }
    }
}

/// Runs every scenario's replications in parallel.
pub fn execute(
    scenarios: &[Scenario],
    replications: u64,
    common: &CommonArgs,
) -> Result<Vec<Vec<RunSummary>>> {
    if replications == 0 {
        return Err(Error::Usage("--replications must be at least 1".into()));
    }
    let started = Instant::now();
    let runs = super::batch::run_all(scenarios, replications, true, common)?;
    report_timing(common, runs.iter().flatten(), started);
    Ok(runs)
}

/// Runs every scenario's replications in parallel, recording the journeys
/// of `sample` of their requests, and writes them to `--trace` if given.
fn execute_recorded(
    scenarios: &[Scenario],
    replications: u64,
    common: &CommonArgs,
    trace: &TraceArgs,
    sample: f64,
) -> Result<Vec<Vec<RunSummary>>> {
    let recording = Recording::new(trace.trace.as_deref(), scenarios.len(), replications);
    let started = Instant::now();
    let runs = recording.with_options(sample, |options| {
        super::batch::run_all_recorded(scenarios, replications, true, common, Some(options))
    })?;
    report_timing(common, runs.iter().flatten(), started);
    for warning in recording.finish(&runs)? {
        if !common.output.quiet {
            eprintln!("warning: {warning}");
        }
    }
    if let (Some(path), false) = (trace.trace.as_deref(), common.output.quiet) {
        eprintln!("journeys: {}", path.display());
    }
    Ok(runs)
}

/// With `--timing`, prints on stderr how long a batch of runs took since
/// `started` and its events per second.
pub fn report_timing<'a>(
    common: &CommonArgs,
    runs: impl Iterator<Item = &'a RunSummary>,
    started: Instant,
) {
    if common.run.timing {
        let (count, events) = runs.fold((0, 0), |(n, e), r| (n + 1, e + r.events));
        eprintln!("{}", timing_line(events, count, started.elapsed()));
    }
}

/// Describes the speed of a batch of runs: events, wall time, events per second.
fn timing_line(events: u64, runs: usize, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    format!(
        "timing: {events} events in {runs} run(s), {secs:.3} s of wall time, {:.2} M events/s",
        events as f64 / secs.max(1e-9) / 1e6
    )
}

/// Aggregates runs into the data of a report.
pub fn comparison(
    title: &str,
    scenarios: &[Scenario],
    runs: &[Vec<RunSummary>],
    crn: bool,
) -> Comparison {
    let results: Vec<ScenarioResult> = runs.iter().map(|r| ScenarioResult::from_runs(r)).collect();
    let mut focus: Vec<String> = Vec::new();
    for figure in scenarios.iter().flat_map(|s| &s.lesson.figures) {
        if !focus.contains(figure) {
            focus.push(figure.clone());
        }
    }
    let differences = if crn {
        paired(&results, runs, &focus)
    } else {
        Vec::new()
    };
    Comparison {
        title: title.to_string(),
        results,
        abouts: scenarios
            .iter()
            .map(|s| s.about.trim().to_string())
            .collect(),
        common_random_numbers: crn,
        same_arrivals: scenarios.iter().all(|s| {
            scenarios
                .first()
                .is_some_and(|first| first.same_arrivals(s))
        }),
        differences,
        focus,
        theory: scenarios.iter().map(explain::theory_of).collect(),
    }
}

/// The figures whose paired differences a comparison reports, beside its
/// lesson figures.
const PAIRED: &[&str] = &[
    "availability",
    "goodput_rps",
    "throughput_rps",
    "latency_ms.mean",
    "latency_ms.p99",
    "cost_per_hour",
];

/// Returns the paired differences of every scenario from the first, on the
/// figures of [`PAIRED`] and the lesson figures (nothing with fewer than two
/// replications, which give no interval).
fn paired(
    results: &[ScenarioResult],
    runs: &[Vec<RunSummary>],
    focus: &[String],
) -> Vec<Differences> {
    let (Some(baseline), Some(first)) = (results.first(), runs.first()) else {
        return Vec::new();
    };
    if runs.iter().any(|r| r.len() < 2) {
        return Vec::new();
    }
    let mut paths: Vec<String> = PAIRED.iter().map(|p| p.to_string()).collect();
    // A lesson figure that is already among them (a scenario about
    // availability, p99 or cost) is reported once.
    for lesson in lessons(results, focus) {
        if !paths.contains(&lesson.path) {
            paths.push(lesson.path);
        }
    }
    results
        .iter()
        .zip(runs)
        .skip(1)
        .map(|(result, other)| Differences {
            scenario: result.scenario.clone(),
            baseline: baseline.scenario.clone(),
            figures: paired_differences(first, other, &paths, REPORT_LEVEL)
                .into_iter()
                .map(|(path, measure, difference)| PairedFigure {
                    path,
                    measure,
                    difference,
                })
                .collect(),
        })
        .collect()
}

/// Writes the results of `command` (`scalesim compare`), its charts and its
/// report; prints the table (plus `extra`) or the JSON.
pub fn publish(data: &Comparison, extra: &str, command: &str, common: &CommonArgs) -> Result<()> {
    let out = &common.output.out;
    let files = super::write_results(common, command, |cancel| {
        report::comparison_files(data, Some(cancel))
    })?;
    if common.output.json {
        let text = files.get("results.json").unwrap_or_default();
        return print(&String::from_utf8_lossy(text));
    }
    if common.output.quiet {
        return Ok(());
    }
    // The response time law of each closed loop, whatever its lesson: the
    // closed loop's counterpart of the line on Little's law.
    let law: String = response_law::lines(&response_law::checks(&data.results))
        .iter()
        .map(|line| format!("\n{line}"))
        .collect();
    let law = if law.is_empty() {
        law
    } else {
        format!("{law}\n")
    };
    print(&format!(
        "{}{law}{extra}\nresults: {}\nreport:  {}\n",
        table::render(&data.results, &data.focus),
        out.join("results.json").display(),
        out.join(html::FILE).display()
    ))
}

/// Prints to stdout; a closed pipe (`scalesim run ... | head`) is not an error.
pub fn print(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Write {
            path: PathBuf::from("stdout"),
            source: e,
        }),
        _ => Ok(()),
    }
}
