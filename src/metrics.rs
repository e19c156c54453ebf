//! Statistics: what components observe during a run, and the summaries built
//! from it. Memory is fixed per run (histograms and counters), whatever the
//! number of requests simulated.

mod aggregate;
pub mod ci;
mod recorder;
mod summary;
mod time_average;

pub use aggregate::{Figure, ScenarioResult, REPORT_LEVEL};
pub use recorder::{ComponentStats, Recorder};
pub use summary::{Counts, LatencySummary, RunSummary, WaitSummary};
pub use time_average::{TimeAverage, Window};
