//! The critical path of an M/M/1 queue behind a balancer, one network hop
//! away: its split of the end-to-end latency W + 2d into queueing, service
//! and network matches Wq / (W + 2d), S / (W + 2d) and 2d / (W + 2d).

use scalesim::metrics::RunSummary;
use scalesim::runner::{self, JourneyOptions, RunOptions};
use scalesim::scenario;

use crate::support::assert_matches;

/// Runs `replications` replications of `yaml`, sampling every request's
/// journey for the critical path (no file).
fn replicate_sampled(yaml: &str, replications: u64) -> Vec<RunSummary> {
    let scenario = scenario::load_text(yaml, "validation", &[]).expect("valid scenario");
    let options = RunOptions {
        journeys: Some(JourneyOptions {
            sample: 1.0,
            open: None,
            budget: 0,
        }),
        ..RunOptions::new(replications, 0)
    };
    let mut runs = runner::run_batch(&[scenario], options).expect("runs");
    runs.remove(0)
}

/// Returns the critical-path share `part` of `component` in `run`.
fn share(run: &RunSummary, component: &str, part: &str) -> f64 {
    let journeys = run.journeys.as_ref().expect("the run sampled journeys");
    let s = journeys
        .shares
        .iter()
        .find(|s| s.component == component)
        .expect("the component has a share");
    match part {
        "queueing" => s.queueing,
        "service" => s.service,
        "network" => s.network,
        _ => s.share(),
    }
}

#[test]
fn mm1_behind_a_network_hop_splits_its_latency_as_theory_says() {
    // λ = 600/s, S = 1 ms: ρ = 0.6, W = S / (1 − ρ) = 2.5 ms, Wq = 1.5 ms;
    // the balancer adds no time, and the hop to web and back 2d = 1 ms.
    let yaml = "
name: mm1 behind a hop
seed: 31
duration: 200s
warmup: 5s
traffic: {rate: 600/s}
entry: lb
network: {latency: 0.5ms}
components:
  lb: {kind: load_balancer, targets: web}
  web: {kind: server, cores: 1, work: 1ms, service: exponential, queue: unbounded}
";
    let runs = replicate_sampled(yaml, 10);
    let (w, wq, s, two_d) = (2.5, 1.5, 1.0, 1.0);
    let total = w + two_d;
    assert_matches(
        "queueing share of web",
        &runs,
        |r| share(r, "web", "queueing"),
        wq / total,
        0.05,
    );
    assert_matches(
        "service share of web",
        &runs,
        |r| share(r, "web", "service"),
        s / total,
        0.05,
    );
    assert_matches(
        "network share of web",
        &runs,
        |r| share(r, "web", "network"),
        two_d / total,
        0.05,
    );
    for run in &runs {
        assert_eq!(share(run, "lb", "all"), 0.0);
    }
}
