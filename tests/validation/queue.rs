//! A message queue and its workers: M/M/c for the jobs, and the laws of
//! redelivery, dead letters and duplicates.

use scalesim::metrics::RunSummary;
use scalesim::theory::{
    deliveries_per_message, duplicates_per_job, erlang_c, mmc_response_quantile, mmc_wait,
};

use crate::support::{assert_matches, replicate};

/// Returns figure `key` of component `name` in a run.
fn figure(run: &RunSummary, name: &str, key: &str) -> f64 {
    let component = run.components.iter().find(|c| c.name == name).unwrap();
    component
        .reading(key)
        .unwrap_or_else(|| panic!("{name} has no figure {key}"))
}

#[test]
fn a_queue_with_ten_one_core_workers_is_m_m_10_for_its_jobs() {
    // Ten workers (`replicas: 10, cores: 1`) pull from one FIFO queue: the
    // jobs see M/M/10 with lambda = 8/s and 1 s of exponential work. The
    // link between the queue and the workers costs nothing, so the pulls and
    // acks add no time; the publisher pays 5 ms each way to the queue.
    let yaml = "
name: queue as M/M/10
seed: 11
duration: 20h
warmup: 10m
traffic: {rate: 8/s}
entry: web
network: {latency: 5ms, links: [{between: [orders, worker], latency: 0ms}]}
components:
  web: {kind: server, cores: 64, work: 0ms, calls: [orders]}
  orders: {kind: queue, capacity: 1000000, visibility_timeout: 1h}
  worker: {kind: server, consumes: orders, replicas: 10, cores: 1, work: 1s,
           service: exponential, queue: unbounded}
";
    let runs = replicate(yaml, 8);
    let (lambda, mu, c) = (8.0, 1.0, 10);
    let wq = mmc_wait(c, lambda, mu);
    assert!((erlang_c(c, lambda / mu) - 0.4092).abs() < 1e-4);
    assert_matches(
        "queue M/M/10 mean job latency (ms)",
        &runs,
        |r| figure(r, "orders", "job_latency_ms.mean"),
        (wq + 1.0 / mu) * 1000.0,
        0.02,
    );
    for (q, key) in [(0.5, "job_latency_ms.p50"), (0.99, "job_latency_ms.p99")] {
        assert_matches(
            &format!("queue M/M/10 job latency {key} (ms)"),
            &runs,
            |r| figure(r, "orders", key),
            mmc_response_quantile(c, lambda, mu, q) * 1000.0,
            0.03,
        );
    }
    // Little's law on the backlog: Lq = lambda Wq, which carries Erlang C.
    assert_matches(
        "queue M/M/10 mean backlog",
        &runs,
        |r| figure(r, "orders", "backlog_mean"),
        lambda * wq,
        0.06,
    );
    // The publisher is answered once the message is stored: one hop each way.
    for run in &runs {
        assert!(
            (run.latency_ms.mean - 10.0).abs() < 1e-6,
            "publisher latency {}",
            run.latency_ms.mean
        );
        assert_eq!(run.requests.completed, run.requests.offered);
    }
}

#[test]
fn failed_deliveries_follow_the_geometric_law_and_dead_letter_p_to_the_m() {
    // Each delivery fails with probability p at the end of its work (`fail`);
    // the message comes back after the visibility timeout, up to M deliveries.
    let (p, m) = (0.3, 3);
    let yaml = format!(
        "
name: redelivery
seed: 21
duration: 2h
warmup: 1m
traffic: {{rate: 20/s}}
entry: web
network: {{latency: 0ms}}
components:
  web: {{kind: server, cores: 64, work: 0ms, calls: [orders]}}
  orders: {{kind: queue, visibility_timeout: 1s, max_deliveries: {m}}}
  worker: {{kind: server, consumes: orders, cores: 8, work: 10ms, service: deterministic,
           fail: {p}}}
"
    );
    let runs = replicate(&yaml, 8);
    let published = |r: &RunSummary| figure(r, "orders", "published");
    assert_matches(
        "deliveries per message",
        &runs,
        |r| (published(r) + figure(r, "orders", "redelivered")) / published(r),
        deliveries_per_message(p, m),
        0.01,
    );
    assert_matches(
        "dead-lettered share",
        &runs,
        |r| figure(r, "orders", "dead_lettered") / published(r),
        p.powi(m as i32),
        0.06,
    );
    for run in &runs {
        assert_eq!(
            figure(run, "orders", "duplicates"),
            0.0,
            "no job outlives V"
        );
        let errors = run.errors.iter().find(|(n, _)| *n == "dead_lettered");
        assert!(errors.is_some_and(|(_, n)| *n > 0), "errors.dead_lettered");
    }
}

#[test]
fn a_job_longer_than_the_visibility_timeout_runs_again() {
    // Exponential work of mean S = 1 s behind V = 2 s, idle workers: the job
    // runs twice with probability exp(-V/S), three times with
    // exp(-3 V/S)... and each extra run is a duplicate.
    let (v, s) = (2.0, 1.0);
    let yaml = "
name: duplicates
seed: 31
duration: 10h
warmup: 1m
traffic: {rate: 2/s}
entry: web
network: {latency: 0ms}
components:
  web: {kind: server, cores: 64, work: 0ms, calls: [orders]}
  orders: {kind: queue, visibility_timeout: 2s, max_deliveries: 1000}
  worker: {kind: server, consumes: orders, cores: 40, work: 1s, service: exponential}
";
    let runs = replicate(yaml, 8);
    let published = |r: &RunSummary| figure(r, "orders", "published");
    let expected = duplicates_per_job(v, s);
    assert!(
        (expected - (-v / s).exp()).abs() < 0.003,
        "the first term dominates"
    );
    assert_matches(
        "duplicates per job",
        &runs,
        |r| figure(r, "orders", "duplicates") / published(r),
        expected,
        0.05,
    );
    assert_matches(
        "redeliveries per job",
        &runs,
        |r| figure(r, "orders", "redelivered") / published(r),
        expected,
        0.05,
    );
}
