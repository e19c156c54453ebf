//! `scalesim merge DIR...`: the results of a sweep run in shards.

use std::path::PathBuf;

use super::sweep::{check_metrics, publish};
use super::CommonArgs;
use crate::error::{Error, Result};
use crate::runner;
use crate::sweep::shard::{self, Partial};

/// Reads the shards in `dirs`, checks that they make one whole sweep, and
/// writes its results, charts and report as `sweep` would have.
pub fn run(dirs: &[PathBuf], common: &CommonArgs) -> Result<()> {
    refuse_sweep_flags(common)?;
    let parts = shard::find(dirs)?
        .into_iter()
        .map(|path| Ok((path.clone(), Partial::read(&path)?)))
        .collect::<Result<Vec<_>>>()?;
    let data = shard::merge(&parts)?;
    check_metrics(&data)?;
    publish(&data, "scalesim merge", common)
}

/// Refuses the flags that decide a sweep's runs: the shards carry those, and
/// merging cannot change them.
fn refuse_sweep_flags(common: &CommonArgs) -> Result<()> {
    let mut given = Vec::new();
    if common.seed.is_some() {
        given.push("--seed");
    }
    if common.replications.is_some() {
        given.push("--replications");
    }
    if !common.set.is_empty() {
        given.push("--set");
    }
    if common.max_events.is_some() {
        given.push("--max-events");
    }
    if common.max_wall.is_some() {
        given.push("--max-wall");
    }
    if common.max_in_flight != runner::DEFAULT_MAX_IN_FLIGHT {
        given.push("--max-in-flight");
    }
    if given.is_empty() {
        return Ok(());
    }
    let (last, rest) = given.split_last().unwrap_or((&"", &[]));
    let flags = if rest.is_empty() {
        format!("{last} belongs")
    } else {
        format!("{} and {last} belong", rest.join(", "))
    };
    Err(Error::Usage(format!(
        "merge takes the sweep from its shards: {flags} on each `scalesim sweep ... --shard K/N`"
    )))
}
