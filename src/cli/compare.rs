//! `scalesim compare FILE...`: scenarios side by side on common random numbers.

use std::fmt::Write;

use super::run::{apply_seed, comparison, execute, keep_finished, publish};
use super::CommonArgs;
use crate::error::Result;
use crate::metrics::{paired_difference, RunSummary, REPORT_LEVEL};

/// Replications when `--replications` is not given: enough for intervals.
pub const DEFAULT_REPLICATIONS: u64 = 5;

/// The figures whose differences against the first scenario are printed.
const DIFFERENCES: &[(&str, &str, f64)] = &[
    ("mean latency (ms)", "latency_ms.mean", 1.0),
    ("p99 latency (ms)", "latency_ms.p99", 1.0),
    ("availability (%)", "availability", 100.0),
    ("throughput (/s)", "throughput_rps", 1.0),
];

/// Runs the scenarios on the same seed, so that every one sees the same
/// arrivals, request types, users and per-request work.
pub fn run(files: &[String], common: &CommonArgs) -> Result<()> {
    let overrides = super::parse_overrides(&common.set)?;
    let mut scenarios = super::load_all(files, &overrides)?;
    super::show_warnings(&scenarios, common.quiet);
    let seed = common.seed.or(scenarios.first().map(|s| s.seed));
    apply_seed(&mut scenarios, seed);
    let replications = common.replications.unwrap_or(DEFAULT_REPLICATIONS);
    let runs = execute(&scenarios, replications, common)?;
    let (scenarios, runs) = keep_finished(scenarios, runs)?;
    let data = comparison("scalesim comparison", &scenarios, &runs, true);
    publish(
        &data,
        &differences(&runs, &data.results[0].scenario),
        common,
    )?;
    super::check_interrupted()
}

/// Renders the paired differences of every scenario against the first one.
pub fn differences(runs: &[Vec<RunSummary>], baseline: &str) -> String {
    let mut out = String::new();
    if runs.len() < 2 || runs[0].len() < 2 {
        return out;
    }
    let _ = writeln!(
        out,
        "\nDifferences from `{baseline}` (paired over common random numbers, 95% interval):"
    );
    for other in &runs[1..] {
        let _ = writeln!(out, "  {}:", other[0].scenario);
        for (label, path, scale) in DIFFERENCES {
            if let Some(d) = paired_difference(&runs[0], other, path, REPORT_LEVEL) {
                let _ = writeln!(
                    out,
                    "    {label:<20} {:+10.3}  [{:+.3}, {:+.3}]",
                    d.mean * scale,
                    d.low() * scale,
                    d.high() * scale
                );
            }
        }
    }
    out
}
