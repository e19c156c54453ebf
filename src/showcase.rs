//! The built-in comparison run by `scalesim` without arguments.

use crate::bundled;
use crate::cli::run::{execute, publish};
use crate::cli::CommonArgs;
use crate::error::Result;
use crate::scenario;

/// The bundled scenarios the showcase compares.
const SHOWCASE: &[&str] = &[
    "one-big-server",
    "four-clones-round-robin",
    "four-clones-least-connections",
];

/// Runs the showcase: the bundled vertical and horizontal setups side by side.
pub fn run(common: &CommonArgs) -> Result<()> {
    let overrides = crate::cli::parse_overrides(&common.set)?;
    let mut scenarios = Vec::new();
    for name in SHOWCASE {
        let text = bundled::find(name).unwrap_or_default();
        scenarios.push(scenario::load_text(text, name, &overrides)?);
    }
    crate::cli::run::apply_seed(&mut scenarios, common.seed);
    let results = execute(&scenarios, common.replications.unwrap_or(1), common)?;
    publish(&results, common)
}
