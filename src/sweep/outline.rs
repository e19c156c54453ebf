//! The outline of a sweep: its grid, metrics and theory, without results.

use crate::metrics::ScenarioResult;
use crate::report::data::{SweepData, SweepPoint};

/// A sweep without its results: the grid, the metrics and what theory
/// predicts at each point. Every shard of a sweep has the same outline.
#[derive(Clone, Debug)]
pub struct Outline {
    /// The scenario's name (without the points' parameters).
    pub scenario: String,
    /// The varied field paths, in the order given.
    pub parameters: Vec<String>,
    /// The metrics to chart, as result paths (`latency_ms.p99`).
    pub metrics: Vec<String>,
    /// Replications per point.
    pub replications: u64,
    /// The grid points, in grid order.
    pub points: Vec<PointOutline>,
}

/// One grid point of an [`Outline`].
#[derive(Clone, Debug)]
pub struct PointOutline {
    /// The value of each parameter, as written (`8`, `least_connections`).
    pub labels: Vec<String>,
    /// The value of each parameter as a number, where it is one.
    pub values: Vec<Option<f64>>,
    /// Values predicted by queueing theory for some metrics (metric path, value).
    pub theory: Vec<(String, f64)>,
}

impl Outline {
    /// Returns the number of runs of the sweep: points times replications
    /// (at most `u64::MAX`, for an outline read from a damaged file).
    pub fn tasks(&self) -> u64 {
        (self.points.len() as u64).saturating_mul(self.replications)
    }

    /// Returns the sweep's data, given each point's result in grid order
    /// (`None` for a point without runs, which is left out).
    pub fn data(&self, results: Vec<Option<ScenarioResult>>) -> SweepData {
        SweepData {
            scenario: self.scenario.clone(),
            parameters: self.parameters.clone(),
            metrics: self.metrics.clone(),
            points: self
                .points
                .iter()
                .zip(results)
                .filter_map(|(point, result)| {
                    Some(SweepPoint {
                        labels: point.labels.clone(),
                        values: point.values.clone(),
                        result: result?,
                        theory: point.theory.clone(),
                    })
                })
                .collect(),
        }
    }
}
