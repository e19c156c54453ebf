//! Several stations: a tandem through `calls` (Jackson) and random splitting
//! through a balancer.

use crate::support::{assert_matches, replicate};

#[test]
fn tandem_of_two_servers_matches_jackson() {
    // front does 1 ms of work then calls back (0.8 ms of work, mean 1.25 ms per
    // 1 ms at speed 0.8); with no network latency the response is the sum of two
    // independent M/M/1 sojourns (Jackson's theorem).
    let yaml = "
name: tandem
seed: 21
duration: 400s
warmup: 5s
traffic: {rate: 600/s}
entry: front
network: {latency: 0ms}
components:
  front: {kind: server, cores: 1, work: 1ms, service: exponential, calls: [back]}
  back:  {kind: server, cores: 1, work: 1ms, speed: 0.8, service: exponential}
";
    let runs = replicate(yaml, 10);
    let (lambda, mu_front, mu_back) = (600.0, 1000.0, 800.0);
    let w_ms = 1000.0 / (mu_front - lambda) + 1000.0 / (mu_back - lambda);
    assert_matches(
        "tandem mean response (ms)",
        &runs,
        |r| r.latency_ms.mean,
        w_ms,
        0.04,
    );
    assert_matches(
        "tandem utilisation of back",
        &runs,
        |r| r.components[1].utilization,
        0.75,
        0.02,
    );
}

#[test]
fn network_latency_adds_two_hops_per_call() {
    // The same tandem with 2 ms per hop: the call to back and its answer add 4 ms.
    let yaml = "
name: tandem with latency
seed: 21
duration: 400s
warmup: 5s
traffic: {rate: 600/s}
entry: front
network: {latency: 2ms}
components:
  front: {kind: server, cores: 1, work: 1ms, service: exponential, calls: [back]}
  back:  {kind: server, cores: 1, work: 1ms, speed: 0.8, service: exponential}
";
    let runs = replicate(yaml, 10);
    let w_ms = 1000.0 / 400.0 + 1000.0 / 200.0 + 4.0;
    assert_matches(
        "tandem + 2 hops mean response (ms)",
        &runs,
        |r| r.latency_ms.mean,
        w_ms,
        0.03,
    );
}

#[test]
fn random_splitting_over_clones_is_n_independent_mm1() {
    // A random balancer over 4 one-core clones splits a Poisson stream into four
    // Poisson streams at lambda / 4: each clone is an M/M/1 at 700/s.
    let yaml = "
name: random split
seed: 17
duration: 100s
warmup: 5s
traffic: {rate: 2800/s}
entry: lb
network: {latency: 0ms}
components:
  lb: {kind: load_balancer, strategy: random, targets: web}
  web: {kind: server, replicas: 4, cores: 1, work: 1ms, service: exponential}
";
    let runs = replicate(yaml, 10);
    let w_ms = 1000.0 / (1000.0 - 700.0);
    assert_matches(
        "random split mean response (ms)",
        &runs,
        |r| r.latency_ms.mean,
        w_ms,
        0.04,
    );
    assert_matches(
        "random split P(wait)",
        &runs,
        |r| r.wait_ms.p_wait,
        0.7,
        0.02,
    );
    assert_matches(
        "random split utilisation",
        &runs,
        |r| r.components[1].utilization,
        0.7,
        0.01,
    );
}
