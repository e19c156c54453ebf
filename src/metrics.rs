//! Statistics: what components observe during a run, and the summaries built
//! from it. Memory is fixed per run (histograms and counters), whatever the
//! number of requests simulated.

mod aggregate;
pub mod ci;
mod recorder;
mod series;
mod summary;
mod time_average;

pub use aggregate::{paired_difference, Figure, ScenarioResult, REPORT_LEVEL};
pub use recorder::{cost_per_million, ComponentStats, Recorder, RunInfo};
pub use series::{Marker, SeriesPoint, SeriesRecorder, TimeSeries};
pub use summary::{CdfPoint, Counts, LatencySummary, RunSummary, WaitSummary};
pub use time_average::{TimeAverage, Window};
