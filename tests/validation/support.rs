//! Running replications and comparing them with theory.

use scalesim::metrics::ci::{mean_interval, Interval};
use scalesim::metrics::RunSummary;
use scalesim::runner;
use scalesim::scenario;

/// Confidence level of the validation intervals (see the crate comment).
pub const LEVEL: f64 = 0.999;

/// Runs `replications` independent replications of the scenario `yaml`.
pub fn replicate(yaml: &str, replications: u64) -> Vec<RunSummary> {
    let scenario = scenario::load_text(yaml, "validation", &[]).expect("valid scenario");
    let mut runs = runner::run_all(&[scenario], replications, 0).expect("runs");
    runs.remove(0)
}

/// Returns the interval of the replication means of `figure`.
pub fn interval(runs: &[RunSummary], figure: impl Fn(&RunSummary) -> f64) -> Interval {
    let samples: Vec<f64> = runs.iter().map(figure).collect();
    mean_interval(&samples, LEVEL)
}

/// Asserts that `expected` lies in the interval of `figure`, and that the
/// interval is narrower than `max_relative` of the expected value.
pub fn assert_matches(
    what: &str,
    runs: &[RunSummary],
    figure: impl Fn(&RunSummary) -> f64,
    expected: f64,
    max_relative: f64,
) {
    let ci = interval(runs, figure);
    eprintln!(
        "{what}: simulated {:.6} ± {:.6} (99.9%), theory {expected:.6}",
        ci.mean, ci.half_width
    );
    assert!(
        ci.contains(expected),
        "{what}: theory {expected} outside the 99.9% interval [{}, {}]",
        ci.low(),
        ci.high()
    );
    assert!(
        ci.half_width <= max_relative * expected.abs(),
        "{what}: interval half-width {} is wider than {}% of {expected}: the test has no power",
        ci.half_width,
        max_relative * 100.0
    );
}

/// Returns rejected / offered of one run.
pub fn blocking(run: &RunSummary) -> f64 {
    run.requests.rejected as f64 / run.requests.offered as f64
}
