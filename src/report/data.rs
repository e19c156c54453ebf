//! What the charts and the HTML report are drawn from.

use super::explain::Theory;
use crate::metrics::ci::Interval;
use crate::metrics::{Measure, ScenarioResult};

/// A comparison of scenarios (from `run`, `compare` or the showcase).
#[derive(Clone, Debug)]
pub struct Comparison {
    /// Title of the report.
    pub title: String,
    /// Each scenario's results, in the order given.
    pub results: Vec<ScenarioResult>,
    /// Each scenario's `about` text, in the same order.
    pub abouts: Vec<String>,
    /// Whether the scenarios ran on common random numbers (`compare`), so
    /// that their replications pair up.
    pub common_random_numbers: bool,
    /// Whether every scenario saw the same arrivals as the first: the same
    /// seed, replications and traffic (see `Scenario::same_arrivals`).
    pub same_arrivals: bool,
    /// The paired differences of each scenario from the first, over common
    /// random numbers (empty without them, or with one replication).
    pub differences: Vec<Differences>,
    /// The lesson figures the scenarios name (`lesson.figures`), in order.
    pub focus: Vec<String>,
    /// What queueing theory predicts of each scenario, in the same order
    /// (empty for one that is no model a formula describes exactly).
    pub theory: Vec<Vec<Theory>>,
}

/// The paired differences of one scenario from the baseline: replication `i`
/// of one against replication `i` of the other, which share their arrivals.
#[derive(Clone, Debug)]
pub struct Differences {
    /// The scenario.
    pub scenario: String,
    /// The scenario it is compared with (the first of the comparison).
    pub baseline: String,
    /// The difference of each figure (scenario minus baseline), in order.
    pub figures: Vec<PairedFigure>,
}

/// The paired difference of one figure.
#[derive(Clone, Debug)]
pub struct PairedFigure {
    /// Its path in the results (`latency_ms.p99`).
    pub path: String,
    /// What it means.
    pub measure: &'static Measure,
    /// The mean difference with its 95% interval.
    pub difference: Interval,
}

impl PairedFigure {
    /// Returns true when the interval of the difference excludes zero: the
    /// gap is beyond the noise of the replications.
    pub fn significant(&self) -> bool {
        self.difference.low() > 0.0 || self.difference.high() < 0.0
    }
}

impl Differences {
    /// Returns the difference of the figure at `path`, if it was compared.
    pub fn figure(&self, path: &str) -> Option<&PairedFigure> {
        self.figures.iter().find(|f| f.path == path)
    }
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

/// What the report of a plan shows: the verdict in sentences, and every
/// setup of the grid in the order the search considered them.
#[derive(Clone, Debug)]
pub struct PlanData {
    /// The scenario's name, with what varies.
    pub scenario: String,
    /// The varied field paths.
    pub parameters: Vec<String>,
    /// The objectives, as written (`p99<200ms`).
    pub objectives: Vec<String>,
    /// The minimised figure's results path (`cost_per_hour`).
    pub minimised: String,
    /// The objective drawn against it: its results path and its limit.
    pub charted: (String, f64),
    /// The verdict: winner, binding objective, next cheaper setup, or diagnosis.
    pub sentences: Vec<String>,
    /// The setups, in search order.
    pub setups: Vec<PlanSetup>,
}

/// One setup of a [`PlanData`].
#[derive(Clone, Debug)]
pub struct PlanSetup {
    /// The value of each parameter, as written.
    pub labels: Vec<String>,
    /// What the plan knows of it (`feasible`, `misses`, `ruled out by theory`...).
    pub status: String,
    /// Why it is not the answer (empty for a feasible one).
    pub reason: String,
    /// True when it met every objective.
    pub feasible: bool,
    /// True for the winner.
    pub best: bool,
    /// Its minimised figure: measured when it ran, as written otherwise.
    pub minimised: f64,
    /// Its figures, when it ran.
    pub result: Option<ScenarioResult>,
}
