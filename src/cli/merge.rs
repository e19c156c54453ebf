//! `scalesim merge DIR...`: the results of a sweep run in shards.

use std::path::PathBuf;

use super::sweep::{check_metrics, publish};
use super::CommonArgs;
use crate::error::Result;
use crate::sweep::shard::{self, Partial};

/// Reads the shards in `dirs`, checks that they make one whole sweep, and
/// writes its results, charts and report as `sweep` would have.
///
/// Only the output options apply: the flags that decide a sweep's runs
/// (seed, replications, overrides, guard rails) are not merge's (the command
/// line refuses them), as the shards carry them.
pub fn run(dirs: &[PathBuf], common: &CommonArgs) -> Result<()> {
    let parts = shard::find(dirs)?
        .into_iter()
        .map(|path| Ok((path.clone(), Partial::read(&path)?)))
        .collect::<Result<Vec<_>>>()?;
    let data = shard::merge(&parts)?;
    let source = format!(
        "{}: a metric of the sweep",
        parts
            .first()
            .map_or(String::new(), |(p, _)| p.display().to_string())
    );
    check_metrics(&data, &source)?;
    publish(&data, "scalesim merge", common)
}
