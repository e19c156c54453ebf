//! `scalesim run FILE...`

use std::io::Write;

use super::CommonArgs;
use crate::error::{Error, Result};
use crate::metrics::ScenarioResult;
use crate::report::{self, json, table};
use crate::runner;
use crate::scenario::Scenario;

/// Runs the scenarios, prints the table (or JSON) and writes `results.json`.
pub fn run(files: &[String], common: &CommonArgs) -> Result<()> {
    let overrides = super::parse_overrides(&common.set)?;
    let mut scenarios = super::load_all(files, &overrides)?;
    apply_seed(&mut scenarios, common.seed);
    let results = execute(&scenarios, common.replications.unwrap_or(1), common)?;
    publish(&results, common)
}

/// Replaces every scenario's seed with `--seed`, when given.
pub fn apply_seed(scenarios: &mut [Scenario], seed: Option<u64>) {
    if let Some(seed) = seed {
        for s in scenarios {
            s.seed = seed;
        }
    }
}

/// Runs every scenario's replications and aggregates them.
pub fn execute(
    scenarios: &[Scenario],
    replications: u64,
    common: &CommonArgs,
) -> Result<Vec<ScenarioResult>> {
    if replications == 0 {
        return Err(Error::Usage("--replications must be at least 1".into()));
    }
    let runs = runner::run_all(scenarios, replications, common.jobs.unwrap_or(0))?;
    Ok(runs.iter().map(|r| ScenarioResult::from_runs(r)).collect())
}

/// Prints the results and writes `results.json` in the output folder.
pub fn publish(results: &[ScenarioResult], common: &CommonArgs) -> Result<()> {
    let text = json::render(results);
    report::write_atomic(&common.out.join("results.json"), text.as_bytes())?;
    let mut stdout = std::io::stdout().lock();
    let printed = if common.json {
        stdout.write_all(text.as_bytes())
    } else if !common.quiet {
        writeln!(stdout, "{}", table::render(results)).and_then(|_| {
            writeln!(
                stdout,
                "results: {}",
                common.out.join("results.json").display()
            )
        })
    } else {
        Ok(())
    };
    // A closed pipe (`scalesim run ... | head`) is not an error of the run.
    match printed {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Write {
            path: "stdout".into(),
            source: e,
        }),
        _ => Ok(()),
    }
}
