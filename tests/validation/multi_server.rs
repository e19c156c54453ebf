//! One server with several cores: M/M/c (Erlang C).

use crate::support::{assert_matches, replicate};
use crate::theory::{erlang_c, mmc_wait};

#[test]
fn mm4_at_utilisation_0_9_matches_erlang_c() {
    // The spec's identity: rate 3.6/s, 4 cores, 1 s of exponential work is M/M/4.
    // Time is scaled by 1000 (3600/s and 1 ms) so that the test runs in seconds.
    let yaml = "
name: M/M/4
seed: 5
duration: 400s
warmup: 5s
traffic: {rate: 3600/s}
entry: web
components:
  web: {kind: server, cores: 4, work: 1ms, service: exponential}
";
    let runs = replicate(yaml, 10);
    let (lambda, mu, c) = (3600.0, 1000.0, 4);
    let p_wait = erlang_c(c, lambda / mu);
    let wq_ms = mmc_wait(c, lambda, mu) * 1000.0;
    assert_matches(
        "M/M/4 P(wait) (Erlang C)",
        &runs,
        |r| r.wait_ms.p_wait,
        p_wait,
        0.02,
    );
    assert_matches(
        "M/M/4 mean wait (ms)",
        &runs,
        |r| r.wait_ms.mean,
        wq_ms,
        0.06,
    );
    assert_matches(
        "M/M/4 mean response (ms)",
        &runs,
        |r| r.latency_ms.mean,
        wq_ms + 1.0,
        0.04,
    );
    assert_matches(
        "M/M/4 utilisation",
        &runs,
        |r| r.components[0].utilization,
        0.9,
        0.01,
    );
    // Little's law on the queue: Lq = lambda Wq.
    let lq = lambda * wq_ms / 1000.0;
    assert_matches(
        "M/M/4 mean queue",
        &runs,
        |r| r.components[0].mean_queue,
        lq,
        0.06,
    );
}

#[test]
fn the_spec_mm4_scenario_in_seconds_is_the_same_queue() {
    // The literal form from the spec, 3.6/s and 1 s of work, on a shorter run:
    // only the mean response is checked, with a wider (but still powered) bound.
    let yaml = "
name: M/M/4 in seconds
seed: 9
duration: 30h
warmup: 10m
traffic: {rate: 3.6/s}
entry: web
components:
  web: {kind: server, cores: 4, work: 1s, service: exponential}
";
    let runs = replicate(yaml, 8);
    let w_s = mmc_wait(4, 3.6, 1.0) + 1.0;
    assert_matches(
        "M/M/4 (seconds) mean response (ms)",
        &runs,
        |r| r.latency_ms.mean,
        w_s * 1000.0,
        0.08,
    );
}
