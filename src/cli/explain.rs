//! `scalesim explain NAME|FILE` and `scalesim show NAME`.

use crate::bundled;
use crate::error::{Error, Result};
use crate::report::explain;
use crate::scenario;

/// Prints what a scenario teaches, its architecture, its knobs, what to
/// watch and what theory predicts (or all of it as one JSON object).
pub fn run(file: &str, set: &[String], json: bool) -> Result<()> {
    let overrides = super::parse_overrides(set)?;
    let text = super::source(file)?;
    let scenario = scenario::load_text(&text, file, &overrides)?;
    let tree = scenario::tree(&text, &overrides);
    let explanation = explain::explain(&scenario, &text, tree.as_ref());
    if json {
        let value = explain::to_json(&explanation);
        let text = serde_json::to_string_pretty(&value).unwrap_or_default();
        return super::run::print(&format!("{text}\n"));
    }
    super::run::print(&explain::render(&explanation))
}

/// Prints the YAML of the bundled scenario `name`, byte for byte.
pub fn show(name: &str) -> Result<()> {
    match bundled::find(name) {
        Some(text) => super::run::print(text),
        None => Err(match bundled::suggest(name) {
            Some(close) => super::unknown_name(name, close),
            None => Error::Usage(format!(
                "{name}: no bundled scenario of that name (`scalesim scenarios` lists them all)"
            )),
        }),
    }
}
