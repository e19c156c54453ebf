//! The built-in comparison run by `scalesim` without arguments: one big
//! machine (vertical), many small clones (horizontal) and a few strong clones
//! (hybrid), under the same ramping traffic and the same zone power outage,
//! held to the same availability objective, on common random numbers.

use crate::bundled;
use crate::cli::compare::differences;
use crate::cli::run::{apply_seed, comparison, execute, keep_finished, publish};
use crate::cli::CommonArgs;
use crate::error::Result;
use crate::scenario;

/// The bundled scenarios the showcase compares, the baseline first.
pub const SHOWCASE: &[&str] = &[
    "showcase-vertical",
    "showcase-horizontal",
    "showcase-hybrid",
];

/// Replications when `--replications` is not given.
const DEFAULT_REPLICATIONS: u64 = 3;

/// Runs the showcase and writes its table, charts and report.
pub fn run(common: &CommonArgs) -> Result<()> {
    let overrides = crate::cli::parse_overrides(&common.overrides.set)?;
    let mut scenarios = Vec::new();
    for name in SHOWCASE {
        let text = bundled::find(name).unwrap_or_default();
        scenarios.push(scenario::load_text(text, name, &overrides)?);
    }
    crate::cli::show_warnings(&scenarios, common.output.quiet);
    let seed = common.run.seed.or(scenarios.first().map(|s| s.seed));
    apply_seed(&mut scenarios, seed);
    let runs = execute(
        &scenarios,
        common.run.replications.unwrap_or(DEFAULT_REPLICATIONS),
        common,
    )?;
    let (scenarios, runs) = keep_finished(scenarios, runs)?;
    let data = comparison("Vertical vs horizontal vs hybrid", &scenarios, &runs, true);
    publish(&data, &differences(&data), "scalesim", common)?;
    crate::cli::check_interrupted()
}
