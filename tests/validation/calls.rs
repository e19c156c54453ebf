//! Call graphs: fork-join groups against Nelson–Tantawi, `wait: any` and
//! `wait: k` against order statistics, an edge's timeout against the M/M/1
//! sojourn law, a bulkhead against Erlang B, and a circuit breaker that opens
//! when its callee goes down.

use scalesim::metrics::RunSummary;
use scalesim::theory::erlang_b;

use crate::support::{assert_matches, interval, replicate};

/// Returns the figure `edges.EDGE.KEY` of a run.
fn edge(run: &RunSummary, edge: &str, key: &str) -> f64 {
    let path = format!("edges.{edge}.{key}");
    run.figures
        .iter()
        .find(|f| f.path == path)
        .map(|f| f.value)
        .unwrap_or_else(|| panic!("no figure {path}"))
}

/// A front server that does no work and fans out to `k` one-core M/M/1
/// services (work 1 s, exponential) with the group `group`.
fn fork_join(k: usize, group: &str, rate: &str, cores: u32, seed: u64) -> String {
    let mut yaml = format!(
        "
name: fork-join
seed: {seed}
duration: 200000s
warmup: 1000s
traffic: {{rate: {rate}}}
entry: front
network: {{latency: 0ms}}
components:
  front: {{kind: server, replicas: 20, cores: 64, work: 0ms, calls: [{group}]}}
"
    );
    for i in 0..k {
        yaml.push_str(&format!(
            "  s{i}: {{kind: server, cores: {cores}, work: 1s, service: exponential, queue: unbounded}}\n"
        ));
    }
    yaml
}

fn branches(k: usize) -> String {
    (0..k)
        .map(|i| format!("s{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn fork_join_of_two_mm1_matches_nelson_tantawi() {
    // λ = 0.5, μ = 1: (12 − ρ)/8 · 1/(μ − λ) = 2.875 s, exact for K = 2.
    let yaml = fork_join(2, "{parallel: [s0, s1], wait: all}", "0.5/s", 1, 31);
    let runs = replicate(&yaml, 10);
    let (lambda, mu) = (0.5, 1.0);
    let rho: f64 = lambda / mu;
    let expected_ms = (12.0 - rho) / 8.0 / (mu - lambda) * 1000.0;
    assert_matches(
        "fork-join K=2 mean response (ms)",
        &runs,
        |r| r.latency_ms.mean,
        expected_ms,
        0.02,
    );
}

#[test]
fn fork_join_of_four_is_within_the_approximation_and_below_the_bound() {
    // Nelson–Tantawi's approximation for K > 2 holds within 5 %, and
    // H_K/(μ − λ) bounds the mean from above.
    let k = 4;
    let group = format!("{{parallel: [{}]}}", branches(k));
    let yaml = fork_join(k, &group, "0.5/s", 1, 37);
    let runs = replicate(&yaml, 10);
    let (lambda, mu) = (0.5, 1.0);
    let rho: f64 = lambda / mu;
    let harmonic = |n: usize| (1..=n).map(|i| 1.0 / i as f64).sum::<f64>();
    let r2 = (12.0 - rho) / 8.0 / (mu - lambda);
    let ratio = harmonic(k) / harmonic(2);
    let approx_ms = (ratio + 4.0 / 11.0 * (1.0 - ratio) * rho) * r2 * 1000.0;
    let bound_ms = harmonic(k) / (mu - lambda) * 1000.0;
    let ci = interval(&runs, |r| r.latency_ms.mean);
    eprintln!(
        "fork-join K=4: simulated {:.1} ± {:.1} ms, approximation {approx_ms:.1}, bound {bound_ms:.1}",
        ci.mean, ci.half_width
    );
    assert!(ci.half_width < 0.01 * approx_ms, "the test has no power");
    assert!(
        (ci.low() - approx_ms).abs() <= 0.05 * approx_ms
            && (ci.high() - approx_ms).abs() <= 0.05 * approx_ms,
        "K=4: [{}, {}] not within 5 % of {approx_ms}",
        ci.low(),
        ci.high()
    );
    assert!(ci.high() < bound_ms, "K=4: above the bound {bound_ms}");
}

#[test]
fn wait_any_and_wait_k_take_the_order_statistics_of_independent_services() {
    // Callees with far more cores than calls never queue: each call takes an
    // independent Exp(μ) time, and waiting for k of K takes the k-th smallest,
    // of mean Σ_{i<k} 1/((K − i)μ). The K − k answers left over are wasted.
    let k_all = 3;
    for (wait, k) in [("any", 1usize), ("2", 2)] {
        let group = format!("{{parallel: [{}], wait: {wait}}}", branches(k_all));
        let yaml = fork_join(k_all, &group, "2/s", 64, 41);
        let runs = replicate(&yaml, 10);
        let expected_ms: f64 = (0..k).map(|i| 1000.0 / (k_all - i) as f64).sum();
        assert_matches(
            &format!("wait: {wait} of 3 mean response (ms)"),
            &runs,
            |r| r.latency_ms.mean,
            expected_ms,
            0.02,
        );
        for run in &runs {
            let calls = edge(run, "front->s0", "calls");
            let wasted: f64 = (0..k_all)
                .map(|i| edge(run, &format!("front->s{i}"), "wasted"))
                .sum();
            let left_over = (k_all - k) as f64 * calls;
            assert!(
                (wasted - left_over).abs() <= 0.001 * left_over,
                "wait {wait}: {wasted} answers wasted, expected {left_over}"
            );
        }
    }
}

#[test]
fn an_edge_timeout_on_mm1_times_out_exp_minus_mu_minus_lambda_tau() {
    // λ = 50/s, μ = 100/s: the sojourn is Exp(50/s), so a 30 ms timeout
    // gives up on exp(−1.5) of the calls; the callee still serves them all.
    let yaml = "
name: timeout
seed: 43
duration: 4000s
warmup: 5s
traffic: {rate: 50/s}
entry: front
network: {latency: 0ms}
components:
  front:
    kind: server
    cores: 64
    work: 0ms
    calls: [back]
    edges: {back: {timeout: 30ms}}
  back: {kind: server, cores: 1, work: 10ms, service: exponential, queue: unbounded}
";
    let runs = replicate(yaml, 10);
    assert_matches(
        "timed-out share",
        &runs,
        |r| edge(r, "front->back", "timeouts") / edge(r, "front->back", "attempts"),
        (-1.5f64).exp(),
        0.02,
    );
    assert_matches(
        "callee utilisation with timeouts",
        &runs,
        |r| r.components[1].utilization,
        0.5,
        0.02,
    );
    for run in &runs {
        let timeouts = edge(run, "front->back", "timeouts");
        let failed = run
            .errors
            .iter()
            .find(|(name, _)| *name == "call_timed_out")
            .map_or(0, |(_, n)| *n);
        assert_eq!(failed as f64, timeouts, "every timeout fails its request");
    }
}

#[test]
fn a_bulkhead_rejects_like_erlang_b() {
    // At most 12 calls in flight, calls of Exp(1 s) at 10/s: M/M/12/12.
    let yaml = "
name: bulkhead
seed: 47
duration: 20000s
warmup: 100s
traffic: {rate: 10/s}
entry: front
network: {latency: 0ms}
components:
  front:
    kind: server
    cores: 64
    work: 0ms
    calls: [back]
    edges: {back: {bulkhead: 12}}
  back: {kind: server, cores: 64, work: 1s, service: exponential}
";
    let runs = replicate(yaml, 10);
    let expected = erlang_b(12, 10.0);
    assert_matches(
        "bulkhead refusals",
        &runs,
        |r| edge(r, "front->back", "rejected_by_bulkhead") / edge(r, "front->back", "calls"),
        expected,
        0.03,
    );
}

#[test]
fn a_breaker_opens_after_its_window_fails_and_probes_while_its_callee_is_down() {
    // The callee is down from 100 s to 160 s. A count window of 20 calls at
    // 50 % opens on the 10th failure; then every 10 s the breaker half-opens,
    // its 3 probes fail, and it opens again: about 6 rounds in 60 s. Calls
    // meanwhile fail at once.
    let yaml = "
name: breaker
seed: 53
duration: 300s
warmup: 10s
traffic: {rate: 100/s}
entry: front
network: {latency: 0ms}
components:
  front:
    kind: server
    cores: 64
    work: 0ms
    calls: [back]
    edges:
      back: {circuit_breaker: {failure_rate: 50%, window: 20, open_for: 10s, half_open_calls: 3}}
  back: {kind: server, cores: 8, work: 1ms}
failures:
  - {at: 100s, crash: back, for: 60s}
";
    let runs = replicate(yaml, 3);
    for run in &runs {
        let failures = edge(run, "front->back", "failures");
        let rounds = (failures - 10.0) / 3.0;
        assert!(
            rounds.fract() == 0.0 && (5.0..=7.0).contains(&rounds),
            "{failures} failed calls: expected 10 and then 3 per half-open round"
        );
        let open = edge(run, "front->back", "open_s");
        assert!(
            (50.0..=70.0).contains(&open),
            "open for {open} s of a 60 s outage"
        );
        let short = edge(run, "front->back", "short_circuited");
        assert!(short > 0.8 * 100.0 * 60.0, "{short} calls short-circuited");
        assert!(run
            .series
            .markers
            .iter()
            .any(|m| m.label.contains("front->back breaker opens")));
    }
}
