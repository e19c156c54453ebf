//! What the charts and the HTML report are drawn from.

use crate::metrics::ScenarioResult;

/// A comparison of scenarios (from `run`, `compare` or the showcase).
#[derive(Clone, Debug)]
pub struct Comparison {
    /// Title of the report.
    pub title: String,
    /// Each scenario's results, in the order given.
    pub results: Vec<ScenarioResult>,
    /// Each scenario's `about` text, in the same order.
    pub abouts: Vec<String>,
    /// Whether the scenarios ran on common random numbers (`compare`).
    pub common_random_numbers: bool,
}

/// A parameter sweep (from `sweep`).
#[derive(Clone, Debug)]
pub struct SweepData {
    /// The scenario's name.
    pub scenario: String,
    /// The varied field paths, in the order given (`components.web.replicas`).
    pub parameters: Vec<String>,
    /// The metrics to chart, as result paths (`latency_ms.p99`).
    pub metrics: Vec<String>,
    /// One entry per grid point, in grid order (the last parameter varies fastest).
    pub points: Vec<SweepPoint>,
}

/// One point of the grid.
#[derive(Clone, Debug)]
pub struct SweepPoint {
    /// The value of each parameter, as written (`8`, `least_connections`).
    pub labels: Vec<String>,
    /// The value of each parameter as a number, where it is one.
    pub values: Vec<Option<f64>>,
    /// The results at this point.
    pub result: ScenarioResult,
    /// Values predicted by queueing theory for some metrics (metric path, value),
    /// when the scenario at this point is a pure queueing model.
    pub theory: Vec<(String, f64)>,
}
