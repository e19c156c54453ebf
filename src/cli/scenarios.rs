//! `scalesim scenarios`

use crate::bundled;
use crate::error::Result;

/// Lists the bundled scenarios with their one-line lessons.
pub fn run() -> Result<()> {
    let width = bundled::BUNDLED
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    for (name, text) in bundled::BUNDLED {
        println!("{name:<width$}  {}", bundled::lesson(text));
    }
    println!("\nRun one with `scalesim run NAME` (or the file under scenarios/).");
    Ok(())
}
