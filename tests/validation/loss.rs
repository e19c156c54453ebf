//! Finite systems: M/M/c/c (Erlang B) and M/M/c/K.

use crate::support::{assert_matches, blocking, replicate};
use crate::theory::{erlang_b, mmck_distribution};

fn finite(cores: u32, queue: u32, rate: f64) -> String {
    format!(
        "name: finite
seed: 3
duration: 100s
warmup: 2s
traffic: {{rate: {rate}/s}}
entry: web
components:
  web: {{kind: server, cores: {cores}, queue: {queue}, work: 1ms, service: exponential}}
"
    )
}

#[test]
fn mmcc_blocking_matches_erlang_b() {
    let runs = replicate(&finite(4, 0, 3000.0), 10);
    let b = erlang_b(4, 3.0);
    assert_matches("M/M/4/4 blocking (Erlang B)", &runs, blocking, b, 0.02);
    // Carried load: each admitted request holds a core for 1 ms on average.
    let utilisation = 3.0 * (1.0 - b) / 4.0;
    assert_matches(
        "M/M/4/4 utilisation",
        &runs,
        |r| r.components[0].utilization,
        utilisation,
        0.01,
    );
}

#[test]
fn mmck_blocking_and_response_match_the_birth_death_chain() {
    let (c, queue, lambda, mu) = (2, 3, 2000.0, 1000.0);
    let k = c + queue;
    let runs = replicate(&finite(c, queue, lambda), 10);
    let p = mmck_distribution(c, k, lambda, mu);
    let p_block = p[k as usize];
    let l: f64 = p.iter().enumerate().map(|(n, pn)| n as f64 * pn).sum();
    let w_ms = l / (lambda * (1.0 - p_block)) * 1000.0;
    assert_matches("M/M/2/5 blocking", &runs, blocking, p_block, 0.03);
    assert_matches(
        "M/M/2/5 mean response of admitted (ms)",
        &runs,
        |r| r.latency_ms.mean,
        w_ms,
        0.02,
    );
}
