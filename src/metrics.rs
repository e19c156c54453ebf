//! Statistics: what components observe during a run, and the summaries built
//! from it. Memory is fixed per run (histograms and counters), whatever the
//! number of requests simulated.

mod aggregate;
pub mod ci;
mod elasticity;
mod gauge;
pub mod journeys;
pub mod measure;
mod presence;
mod recorder;
mod series;
mod slo;
mod summary;
mod time_average;
mod window_clock;

pub use aggregate::{
    paired_difference, paired_differences, Figure, FigureIndex, FlatFigure, FlatRun,
    ScenarioResult, REPORT_LEVEL,
};
pub use elasticity::{elasticity, Elasticity, ElasticityMeter};
pub use gauge::{Gauge, GaugeId, GaugeSeries};
pub use journeys::{JourneySetup, JourneySummary, Journeys, PathShare, Sink, Waterfall};
pub use measure::{Better, Measure, Reading, Unit};
pub use presence::{LittleTerms, Presence};
pub use recorder::{cost_per_million, ComponentStats, Ending, Recorder, RunInfo, MAX_MARKERS};
pub use series::{Marker, SeriesPoint, SeriesRecorder, TimeSeries};
pub use slo::{Slo, SloSummary};
pub use summary::{
    CdfPoint, Counts, LatencySummary, PileUp, RunFigure, RunSummary, SessionCounts, StopReason,
    Truncation, WaitSummary, MAX_EVENTS_AT_ONE_INSTANT,
};
pub use time_average::{TimeAverage, Window};
