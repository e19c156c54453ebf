//! Combines the replications of one scenario into figures with confidence intervals.

use super::ci::{mean_interval, Interval};
use super::series::TimeSeries;
use super::summary::{CdfPoint, RunSummary, Truncation};

/// Confidence level of the intervals reported with results.
pub const REPORT_LEVEL: f64 = 0.95;

/// One reported number, named by its path in the results (`["latency_ms", "p99"]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Path of keys in the JSON results.
    pub path: Vec<String>,
    /// The mean over replications, or the total for counts.
    pub value: f64,
    /// The 95% interval of the mean (only with several replications, never for totals).
    pub ci: Option<Interval>,
    /// True for counts, which are summed over replications.
    pub total: bool,
}

/// Everything reported for one scenario.
#[derive(Clone, Debug)]
pub struct ScenarioResult {
    /// Scenario name.
    pub scenario: String,
    /// Scenario seed.
    pub seed: u64,
    /// Number of replications.
    pub replications: u64,
    /// The figures, in report order.
    pub figures: Vec<Figure>,
    /// Latency distribution (quantiles averaged over replications).
    pub cdf: Vec<CdfPoint>,
    /// Time series (pointwise mean over replications).
    pub series: TimeSeries,
    /// The replications that a guard rail stopped early, in order (empty when
    /// every run went to its end).
    pub truncated: Vec<Truncation>,
}

impl ScenarioResult {
    /// Aggregates the replications of one scenario (at least one).
    pub fn from_runs(runs: &[RunSummary]) -> Self {
        let first = &runs[0];
        let per_run: Vec<Vec<(Vec<String>, f64, bool)>> = runs.iter().map(flatten).collect();
        // Adding 0.0 turns the negative zero of an empty sum into a plain zero.
        let per_run: Vec<Vec<(Vec<String>, f64, bool)>> = per_run
            .into_iter()
            .map(|r| r.into_iter().map(|(p, v, t)| (p, v + 0.0, t)).collect())
            .collect();
        let figures = per_run[0]
            .iter()
            .enumerate()
            .map(|(i, (path, _, total))| {
                let samples: Vec<f64> = per_run.iter().map(|r| r[i].1).collect();
                if samples.iter().any(|x| !x.is_finite()) {
                    // An undefined figure (the nines of a perfect availability)
                    // stays undefined: no mean, no interval.
                    Figure {
                        path: path.clone(),
                        value: f64::NAN,
                        ci: None,
                        total: *total,
                    }
                } else if *total {
                    Figure {
                        path: path.clone(),
                        value: samples.iter().sum(),
                        ci: None,
                        total: true,
                    }
                } else {
                    let interval = mean_interval(&samples, REPORT_LEVEL);
                    Figure {
                        path: path.clone(),
                        value: interval.mean,
                        ci: (runs.len() > 1).then_some(interval),
                        total: false,
                    }
                }
            })
            .collect();
        Self {
            scenario: first.scenario.clone(),
            seed: first.seed,
            replications: runs.len() as u64,
            figures,
            cdf: mean_cdf(runs),
            series: TimeSeries::mean(&runs.iter().map(|r| &r.series).collect::<Vec<_>>()),
            truncated: runs.iter().filter_map(|r| r.truncated).collect(),
        }
    }

    /// Returns the figure at `path` (like `"latency_ms.p99"` or `"components.web.utilization"`).
    pub fn figure(&self, path: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.path.join(".") == path)
    }

    /// Returns the value at `path`, or NaN when there is none.
    pub fn value(&self, path: &str) -> f64 {
        self.figure(path).map_or(f64::NAN, |f| f.value)
    }
}

impl RunSummary {
    /// Returns the figure at `path` (like `"latency_ms.p99"`) of this one run.
    pub fn figure(&self, path: &str) -> Option<f64> {
        flatten(self)
            .into_iter()
            .find(|(p, _, _)| p.join(".") == path)
            .map(|(_, v, _)| v)
    }
}

/// Returns the mean difference `b - a` of a figure over paired replications
/// (replication i of one against replication i of the other), with its interval.
///
/// Under common random numbers the pairs share their arrivals, so the interval
/// of the difference is much narrower than the intervals of `a` and `b` alone.
pub fn paired_difference(
    a: &[RunSummary],
    b: &[RunSummary],
    path: &str,
    level: f64,
) -> Option<Interval> {
    let diffs: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(x, y)| Some(y.figure(path)? - x.figure(path)?))
        .collect::<Option<_>>()?;
    (!diffs.is_empty()).then(|| mean_interval(&diffs, level))
}

/// Averages the latency at each quantile level over the runs that have one.
fn mean_cdf(runs: &[RunSummary]) -> Vec<CdfPoint> {
    let with_cdf: Vec<&Vec<CdfPoint>> = runs
        .iter()
        .map(|r| &r.cdf)
        .filter(|c| !c.is_empty())
        .collect();
    let Some(first) = with_cdf.first() else {
        return Vec::new();
    };
    let n = with_cdf.len() as f64;
    first
        .iter()
        .enumerate()
        .map(|(i, point)| CdfPoint {
            latency_ms: with_cdf.iter().map(|c| c[i].latency_ms).sum::<f64>() / n,
            quantile: point.quantile,
        })
        .collect()
}

/// Lists the figures of one run as (path, value, is-a-total).
fn flatten(run: &RunSummary) -> Vec<(Vec<String>, f64, bool)> {
    let p = |parts: &[&str]| parts.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut out = vec![
        (p(&["simulated_s"]), run.simulated_s, false),
        (p(&["events"]), run.events as f64, true),
    ];
    let c = &run.requests;
    for (name, v) in [
        ("offered", c.offered),
        ("completed", c.completed),
        ("rejected", c.rejected),
        ("timed_out", c.timed_out),
        ("failed", c.failed),
        ("unfinished", c.unfinished),
        ("attempts", c.attempts),
    ] {
        out.push((p(&["requests", name]), v as f64, true));
    }
    let amplification = if c.offered == 0 {
        1.0
    } else {
        c.attempts as f64 / c.offered as f64
    };
    out.push((p(&["retry_amplification"]), amplification, false));
    for (name, v) in &run.errors {
        out.push((p(&["errors", name]), *v as f64, true));
    }
    out.push((p(&["throughput_rps"]), run.throughput_rps, false));
    out.push((p(&["availability"]), run.availability, false));
    let l = &run.latency_ms;
    for (name, v) in [
        ("mean", l.mean),
        ("p50", l.p50),
        ("p90", l.p90),
        ("p99", l.p99),
        ("p999", l.p999),
        ("max", l.max),
    ] {
        out.push((p(&["latency_ms", name]), v, false));
    }
    let w = &run.wait_ms;
    for (name, v) in [
        ("mean", w.mean),
        ("p50", w.p50),
        ("p99", w.p99),
        ("p_wait", w.p_wait),
    ] {
        out.push((p(&["wait_ms", name]), v, false));
    }
    let slo = &run.slo;
    for (name, v) in [
        ("target", slo.target),
        ("window_s", slo.window_s),
        ("availability", slo.availability),
        ("downtime_s", slo.downtime_s),
        ("nines", slo.nines),
        ("downtime_per_year_h", slo.downtime_per_year_h),
    ] {
        out.push((p(&["slo", name]), v, false));
    }
    out.push((p(&["cost_per_hour"]), run.cost_per_hour, false));
    out.push((p(&["cost_per_million"]), run.cost_per_million, false));
    for comp in &run.components {
        let at = |field: &str| {
            vec![
                "components".to_string(),
                comp.name.clone(),
                field.to_string(),
            ]
        };
        out.push((at("utilization"), comp.utilization, false));
        out.push((at("mean_queue"), comp.mean_queue, false));
        out.push((at("completed"), comp.completed as f64, true));
        out.push((at("rejected"), comp.rejected as f64, true));
        for (name, v) in &comp.extra {
            out.push((at(name), *v, false));
        }
    }
    out
}
