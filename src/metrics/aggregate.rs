//! Combines the replications of one scenario into figures with confidence intervals.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use super::ci::{mean_interval, Interval};
use super::journeys::{Waterfall, SLOWEST};
use super::measure::{self, Measure, COMPONENT, CRITICAL_PATH, CRITICAL_PATH_REQUESTS};
use super::series::TimeSeries;
use super::summary::{CdfPoint, RunSummary, Truncation};

/// Confidence level of the intervals reported with results.
pub const REPORT_LEVEL: f64 = 0.95;

/// One reported number, named by its path in the results (`["latency_ms", "p99"]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Path of keys in the JSON results.
    pub path: Vec<String>,
    /// The mean over replications (of counts too).
    pub value: f64,
    /// The 95% interval of the mean (only with several replications).
    pub ci: Option<Interval>,
    /// True for counts: whole numbers in each run (not their mean).
    pub total: bool,
    /// What it means: its unit, which way is better, whether it is a lesson.
    pub measure: &'static Measure,
}

impl Figure {
    /// Returns the bounds of its interval, clamped to the values the figure
    /// can take (a count's interval stops at 0, a share's at 0 and 100%), or
    /// `None` without an interval.
    pub fn bounds(&self) -> Option<(f64, f64)> {
        self.ci
            .map(|ci| self.measure.clamp_bounds(ci.low(), ci.high()))
    }

    /// Returns the clamped bounds when the figure's range cut its interval
    /// (`value ± half-width` would reach below 0 or above 100%), `None`
    /// otherwise: such an interval is shown by its bounds, not as `±`.
    pub fn cut_bounds(&self) -> Option<(f64, f64)> {
        let ci = self.ci?;
        let (low, high) = self.bounds()?;
        (low != ci.low() || high != ci.high()).then_some((low, high))
    }
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
    /// The slowest sampled journeys over the replications, slowest first
    /// (empty without a sample).
    pub slowest: Vec<Waterfall>,
    /// Where each figure is, by path: built at the first lookup, so that
    /// reports over thousands of components look figures up in constant time.
    pub index: FigureIndex,
}

/// The position of each figure of a [`ScenarioResult`], by path.
#[derive(Clone, Debug, Default)]
pub struct FigureIndex(OnceLock<(usize, HashMap<String, usize>)>);

/// One figure of one run: its path in the results, its value, and whether it
/// is a count (summed over replications) or a measure (averaged).
#[derive(Clone, Debug, PartialEq)]
pub struct FlatFigure {
    /// Path of keys in the JSON results (`["latency_ms", "p99"]`).
    pub path: Vec<String>,
    /// The value in this run.
    pub value: f64,
    /// True for counts: whole numbers in each run.
    pub total: bool,
    /// What it means: its unit, which way is better, whether it is a lesson.
    pub measure: &'static Measure,
}

/// What aggregation needs of one run: its figures as a flat list, without the
/// time series and the latency distribution.
///
/// This is what a shard of a sweep writes for each run it finished, so that
/// `merge` aggregates exactly what an unsharded sweep aggregates.
#[derive(Clone, Debug, PartialEq)]
pub struct FlatRun {
    /// Scenario name.
    pub scenario: String,
    /// Scenario seed.
    pub seed: u64,
    /// Replication number (0-based).
    pub replication: u64,
    /// The run's figures, in report order.
    pub figures: Vec<FlatFigure>,
    /// Why and when the run stopped early, if a guard rail stopped it.
    pub truncated: Option<Truncation>,
}

impl FlatRun {
    /// Returns the flat form of `run`.
    pub fn of(run: &RunSummary) -> Self {
        Self {
            scenario: run.scenario.clone(),
            seed: run.seed,
            replication: run.replication,
            figures: flatten(run),
            truncated: run.truncated,
        }
    }
}

impl ScenarioResult {
    /// Aggregates the replications of one scenario (at least one).
    ///
    /// The figures come from [`ScenarioResult::from_flat`], so results
    /// aggregated from whole runs and from their flat forms are the same.
    pub fn from_runs(runs: &[RunSummary]) -> Self {
        let flat: Vec<FlatRun> = runs.iter().map(FlatRun::of).collect();
        Self {
            cdf: mean_cdf(runs),
            series: TimeSeries::mean(&runs.iter().map(|r| &r.series).collect::<Vec<_>>()),
            slowest: slowest(runs),
            ..Self::from_flat(&flat)
        }
    }

    /// Aggregates the flat forms of the replications of one scenario (at least
    /// one), in replication order; the result has no latency distribution and
    /// no time series.
    ///
    /// The figures are those of the first run, in its order, and each is
    /// matched in the other runs by its path, never by its position. Runs of
    /// one scenario list the same figures; a figure that a run lacks is
    /// undefined in the result (NaN, without an interval) rather than
    /// aggregated from the runs that have it.
    pub fn from_flat(runs: &[FlatRun]) -> Self {
        let first = &runs[0];
        // Adding 0.0 turns the negative zero of an empty sum into a plain zero.
        let value = |run: &FlatRun, i: usize, path: &[String]| {
            // Runs of one scenario list their figures in the same order, so
            // the figure at the same index is almost always the one.
            let found = match run.figures.get(i) {
                Some(g) if g.path == path => Some(g),
                _ => run.figures.iter().find(|g| g.path == path),
            };
            found.map_or(f64::NAN, |g| g.value + 0.0)
        };
        let figures = first
            .figures
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let samples: Vec<f64> = runs.iter().map(|r| value(r, i, &f.path)).collect();
                if samples.iter().any(|x| !x.is_finite()) {
                    // An undefined figure (the nines of a perfect availability)
                    // stays undefined: no mean, no interval.
                    Figure {
                        path: f.path.clone(),
                        value: f64::NAN,
                        ci: None,
                        total: f.total,
                        measure: f.measure,
                    }
                } else {
                    // One convention for every figure, counts included: the
                    // mean of the replications, with its interval. A total
                    // would grow with the number of replications and could
                    // not be compared between two results.
                    let interval = mean_interval(&samples, REPORT_LEVEL);
                    Figure {
                        path: f.path.clone(),
                        value: interval.mean,
                        ci: (runs.len() > 1).then_some(interval),
                        total: f.total,
                        measure: f.measure,
                    }
                }
            })
            .collect();
        Self {
            scenario: first.scenario.clone(),
            seed: first.seed,
            replications: runs.len() as u64,
            figures,
            cdf: Vec::new(),
            series: TimeSeries::default(),
            truncated: runs.iter().filter_map(|r| r.truncated).collect(),
            slowest: Vec::new(),
            index: FigureIndex::default(),
        }
    }

    /// Returns the figure at `path` (like `"latency_ms.p99"` or `"components.web.utilization"`).
    pub fn figure(&self, path: &str) -> Option<&Figure> {
        let (indexed, index) = self.index.0.get_or_init(|| {
            let mut index = HashMap::with_capacity(self.figures.len());
            for (i, f) in self.figures.iter().enumerate() {
                index.entry(f.path.join(".")).or_insert(i);
            }
            (self.figures.len(), index)
        });
        // A kind's key may hold a dot itself (`job_latency_ms.p99`).
        let at = |f: &Figure| path.split('.').eq(f.path.iter().flat_map(|p| p.split('.')));
        match index.get(path).and_then(|&i| self.figures.get(i)) {
            Some(f) if at(f) => Some(f),
            // Figures added since the index was built: look them over. A
            // path that is simply absent costs one look-up, not a scan, so
            // that a report over thousands of components stays linear.
            _ if *indexed != self.figures.len() => self.figures.iter().find(|f| at(f)),
            _ => None,
        }
    }

    /// Returns the names of its components, in the order of their figures.
    pub fn component_names(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.figures
            .iter()
            .filter_map(|f| match f.path.as_slice() {
                [head, name, _] if head == "components" => Some(name.as_str()),
                _ => None,
            })
            .filter(|name| seen.insert(*name))
            .collect()
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
            .find(|f| f.path.join(".") == path)
            .map(|f| f.value)
    }
}

/// Returns the [`SLOWEST`] sampled journeys of `runs`, slowest first; at a
/// tie, the earlier replication's, then the one that ended first.
fn slowest(runs: &[RunSummary]) -> Vec<Waterfall> {
    let mut all: Vec<Waterfall> = runs
        .iter()
        .filter_map(|r| r.journeys.as_ref())
        .flat_map(|j| j.slowest.iter().cloned())
        .collect();
    all.sort_by(|a, b| {
        b.latency_ms
            .total_cmp(&a.latency_ms)
            .then(a.replication.cmp(&b.replication))
            .then(a.order.cmp(&b.order))
    });
    all.truncate(SLOWEST);
    all
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

/// Returns the paired differences `b - a` of the figures at `paths`, over
/// paired replications, each with its declaration and interval; a figure
/// missing from a run is left out.
///
/// Each run is flattened once, whatever the number of paths.
pub fn paired_differences(
    a: &[RunSummary],
    b: &[RunSummary],
    paths: &[String],
    level: f64,
) -> Vec<(String, &'static Measure, Interval)> {
    let index = |run: &RunSummary| -> HashMap<String, (f64, &'static Measure)> {
        flatten(run)
            .into_iter()
            .map(|f| (f.path.join("."), (f.value, f.measure)))
            .collect()
    };
    let pairs: Vec<_> = a.iter().zip(b).map(|(x, y)| (index(x), index(y))).collect();
    if pairs.is_empty() {
        return Vec::new();
    }
    paths
        .iter()
        .filter_map(|path| {
            let mut measure = None;
            let diffs: Vec<f64> = pairs
                .iter()
                .map(|(x, y)| {
                    let (vx, _) = x.get(path)?;
                    let (vy, m) = y.get(path)?;
                    measure = Some(*m);
                    Some(vy - vx)
                })
                .collect::<Option<_>>()?;
            if diffs.iter().any(|d| !d.is_finite()) {
                return None;
            }
            Some((path.clone(), measure?, mean_interval(&diffs, level)))
        })
        .collect()
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

/// Lists the figures of one run, in report order, each with its declaration.
fn flatten(run: &RunSummary) -> Vec<FlatFigure> {
    let mut out = Vec::new();
    // A figure of every run: declared in `measure::CORE` (an undeclared path
    // is a bug caught by the tests, shown meanwhile as a plain number).
    let mut core = |path: &str, value: f64, total: bool| {
        out.push(FlatFigure {
            path: path.split('.').map(str::to_string).collect(),
            value,
            total,
            measure: measure::core(path).unwrap_or(&measure::OTHER),
        });
    };
    core("simulated_s", run.simulated_s, false);
    core("events", run.events as f64, true);
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
        core(&format!("requests.{name}"), v as f64, true);
    }
    let amplification = if c.offered == 0 {
        1.0
    } else {
        c.attempts as f64 / c.offered as f64
    };
    core("retry_amplification", amplification, false);
    for (name, v) in &run.errors {
        core(&format!("errors.{name}"), *v as f64, true);
    }
    let s = &run.sessions;
    core("sessions.logins", s.logins as f64, true);
    core("sessions.relogins", s.relogins as f64, true);
    core("sessions.lost", s.lost as f64, true);
    core("throughput_rps", run.throughput_rps, false);
    core("goodput_rps", run.goodput_rps, false);
    core("availability", run.availability, false);
    let l = &run.latency_ms;
    for (name, v) in [
        ("mean", l.mean),
        ("p50", l.p50),
        ("p90", l.p90),
        ("p99", l.p99),
        ("p999", l.p999),
        ("max", l.max),
    ] {
        core(&format!("latency_ms.{name}"), v, false);
    }
    let w = &run.wait_ms;
    for (name, v) in [
        ("mean", w.mean),
        ("p50", w.p50),
        ("p99", w.p99),
        ("p_wait", w.p_wait),
    ] {
        core(&format!("wait_ms.{name}"), v, false);
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
        core(&format!("slo.{name}"), v, false);
    }
    core("cost_per_hour", run.cost_per_hour, false);
    core("cost_per_million", run.cost_per_million, false);
    if let Some(journeys) = &run.journeys {
        core(CRITICAL_PATH_REQUESTS.key, journeys.measured as f64, true);
    }
    for f in &run.figures {
        out.push(FlatFigure {
            path: f.path.split('.').map(str::to_string).collect(),
            value: f.value,
            total: f.total,
            measure: f.measure,
        });
    }
    for comp in &run.components {
        let at = |field: &str| {
            vec![
                "components".to_string(),
                comp.name.clone(),
                field.to_string(),
            ]
        };
        let common = [
            (comp.utilization, false),
            (comp.mean_queue, false),
            (comp.completed as f64, true),
            (comp.rejected as f64, true),
            (f64::from(comp.cores), true),
        ];
        for (measure, (value, total)) in COMPONENT.iter().zip(common) {
            out.push(FlatFigure {
                path: at(measure.key),
                value,
                total,
                measure,
            });
        }
        for reading in &comp.extra {
            out.push(FlatFigure {
                path: at(&reading.key()),
                value: reading.value,
                total: false,
                measure: reading.measure,
            });
        }
        if let Some(journeys) = &run.journeys {
            let share = journeys.shares.iter().find(|s| s.component == comp.name);
            let values = share.map_or([f64::NAN; 4], |s| {
                [s.share(), s.queueing, s.service, s.network]
            });
            for (measure, value) in CRITICAL_PATH.iter().zip(values) {
                out.push(FlatFigure {
                    path: at(measure.key),
                    value,
                    total: false,
                    measure,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::{simulate_guarded, Limits};
    use crate::scenario::Scenario;

    fn scenario() -> Scenario {
        let text = "name: small\nseed: 7\nduration: 5s\nwarmup: 1s\ntraffic: {rate: 300/s}\n\
                    entry: web\ncomponents:\n  web: {kind: server, cores: 2, work: 5ms}\n";
        crate::scenario::load_text(text, "small.yaml", &[]).unwrap()
    }

    /// Three replications, the last one stopped early by a guard rail.
    fn runs() -> Vec<RunSummary> {
        let s = scenario();
        let short = Limits {
            max_events: Some(2_000),
            ..Limits::default()
        };
        vec![
            simulate_guarded(&s, 0, &Limits::default(), None),
            simulate_guarded(&s, 1, &Limits::default(), None),
            simulate_guarded(&s, 2, &short, None),
        ]
    }

    /// Compares by Debug text, which prints every f64 exactly and NaN as NaN.
    fn same<T: std::fmt::Debug>(a: &T, b: &T) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    #[test]
    fn from_runs_is_from_flat_of_the_flattened_runs() {
        let runs = runs();
        assert!(runs[2].truncated.is_some());
        let whole = ScenarioResult::from_runs(&runs);
        let flat: Vec<FlatRun> = runs.iter().map(FlatRun::of).collect();
        let from_flat = ScenarioResult::from_flat(&flat);
        assert!(same(&whole.figures, &from_flat.figures));
        assert_eq!(whole.scenario, from_flat.scenario);
        assert_eq!(whole.seed, from_flat.seed);
        assert_eq!(whole.replications, 3);
        assert_eq!(from_flat.replications, 3);
        assert_eq!(whole.truncated, from_flat.truncated);
        assert_eq!(whole.truncated.len(), 1);
        // Whole runs carry a distribution and a series; flat ones do not.
        assert!(!whole.cdf.is_empty() && !whole.series.points.is_empty());
        assert!(from_flat.cdf.is_empty() && from_flat.series == TimeSeries::default());
    }

    #[test]
    fn without_series_and_distribution_both_paths_give_the_same_result() {
        // What a sweep keeps of its runs.
        let runs: Vec<RunSummary> = runs()
            .into_iter()
            .map(|mut r| {
                r.series = TimeSeries::default();
                r.cdf = Vec::new();
                r
            })
            .collect();
        let flat: Vec<FlatRun> = runs.iter().map(FlatRun::of).collect();
        assert!(same(
            &ScenarioResult::from_runs(&runs),
            &ScenarioResult::from_flat(&flat)
        ));
    }

    #[test]
    fn replications_are_matched_by_figure_name() {
        let flat: Vec<FlatRun> = runs().iter().map(FlatRun::of).collect();
        let whole = ScenarioResult::from_flat(&flat);
        let mut shuffled = flat.clone();
        shuffled[1].figures.reverse();
        shuffled[2].figures.rotate_left(5);
        assert!(same(
            &whole.figures,
            &ScenarioResult::from_flat(&shuffled).figures
        ));
        // A figure one run lacks is undefined, not aggregated from the others.
        let mut lacking = flat;
        lacking[2]
            .figures
            .retain(|f| f.path.join(".") != "latency_ms.p99");
        let result = ScenarioResult::from_flat(&lacking);
        assert!(result.value("latency_ms.p99").is_nan());
        assert_eq!(
            result.value("latency_ms.mean"),
            whole.value("latency_ms.mean")
        );
    }

    #[test]
    fn a_figure_of_one_run_is_its_flat_value() {
        let run = &runs()[0];
        let flat = FlatRun::of(run);
        let p99 = flat
            .figures
            .iter()
            .find(|f| f.path.join(".") == "latency_ms.p99")
            .unwrap();
        assert_eq!(run.figure("latency_ms.p99"), Some(p99.value));
        assert_eq!(run.figure("latency_ms.p99"), Some(run.latency_ms.p99));
        assert_eq!(
            run.figure("requests.offered"),
            Some(run.requests.offered as f64)
        );
    }
}
