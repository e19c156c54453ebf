//! `scalesim compare FILE...`: scenarios side by side on common random numbers.

use std::fmt::Write;

use super::run::{apply_seed, comparison, execute, keep_finished, publish};
use super::CommonArgs;
use crate::error::{Error, Result};
use crate::report::data::Comparison;
use crate::report::format::Metric;

/// Replications when `--replications` is not given: enough for intervals.
pub const DEFAULT_REPLICATIONS: u64 = 5;

/// Runs the scenarios on the same seed, so that every one sees the same
/// arrivals, request types, users and per-request work.
pub fn run(files: &[String], common: &CommonArgs) -> Result<()> {
    if files.len() < 2 {
        return Err(Error::Usage(
            "compare needs two scenarios or more: it gives each one's differences from \
             the first (to run one scenario, use `scalesim run`)"
                .into(),
        ));
    }
    let overrides = super::parse_overrides(&common.overrides.set)?;
    let mut scenarios = super::load_all(files, &overrides)?;
    super::show_warnings(&scenarios, common.output.quiet);
    if common.run.seed.is_none() && !common.output.quiet {
        if let Some(line) = unused_seeds(&scenarios) {
            eprintln!("warning: {line}");
        }
    }
    let seed = common.run.seed.or(scenarios.first().map(|s| s.seed));
    apply_seed(&mut scenarios, seed);
    let replications = common.run.replications.unwrap_or(DEFAULT_REPLICATIONS);
    let runs = execute(&scenarios, replications, common)?;
    let (scenarios, runs) = keep_finished(scenarios, runs)?;
    let data = comparison("scalesim comparison", &scenarios, &runs, true);
    let mut text = differences(&data);
    if replications < 2 {
        text.push_str(NO_DIFFERENCES);
    }
    publish(&data, &text, "scalesim compare", common)?;
    super::check_interrupted()
}

/// Said instead of the differences when one replication gives no interval.
const NO_DIFFERENCES: &str =
    "\nNo differences from the first scenario: their paired 95% intervals \
                              need --replications 2 or more (5 by default).\n";

/// Returns a warning when a later file asks for a seed of its own: compare
/// runs every scenario on the first file's seed (common random numbers).
fn unused_seeds(scenarios: &[crate::scenario::Scenario]) -> Option<String> {
    let first = scenarios.first()?;
    let others: Vec<String> = scenarios[1..]
        .iter()
        .filter(|s| s.seed != first.seed)
        .map(|s| format!("`{}` (seed {})", s.name, s.seed))
        .collect();
    if others.is_empty() {
        return None;
    }
    Some(format!(
        "compare runs every scenario on one seed, the first file's ({}), so that they see \
         the same arrivals; the seeds of {} are not used (--seed N chooses the seed of all)",
        first.seed,
        others.join(", ")
    ))
}

/// Renders the paired differences of every scenario against the first one.
pub fn differences(data: &Comparison) -> String {
    let mut out = String::new();
    let Some(first) = data.differences.first() else {
        return out;
    };
    let _ = writeln!(
        out,
        "\nDifferences from `{}` (paired over common random numbers, 95% interval):",
        first.baseline
    );
    for d in &data.differences {
        let _ = writeln!(out, "  {}:", d.scenario);
        for f in &d.figures {
            let metric = Metric::of(&f.path, f.measure);
            let scale = metric.scale;
            let _ = writeln!(
                out,
                "    {:<32} {:+12.3}  [{:+.3}, {:+.3}]",
                metric.axis(),
                f.difference.mean * scale,
                f.difference.low() * scale,
                f.difference.high() * scale
            );
        }
    }
    out
}
