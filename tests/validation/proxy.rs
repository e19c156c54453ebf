//! A reverse proxy: its token bucket against the M/D/1/K queue it is, per
//! user and globally, and against its envelope whatever the arrivals; its
//! firewall and auth check as thinnings of the Poisson stream.

use proptest::prelude::*;
use scalesim::keys::{probabilities, KeySpace, Popularity};
use scalesim::metrics::RunSummary;
use scalesim::parts::kinds::proxy::Bucket;

use crate::support::{assert_matches, replicate};
use crate::theory::{md1k_blocking, token_bucket_admitted};

/// Returns the figure `key` of the proxy (the scenario's first component).
fn edge(run: &RunSummary, key: &str) -> f64 {
    run.components[0]
        .reading(key)
        .unwrap_or_else(|| panic!("the proxy reports {key}"))
}

/// Returns the count of `errors.<cause>` of a run.
fn errors(run: &RunSummary, cause: &str) -> f64 {
    run.errors
        .iter()
        .find(|(name, _)| *name == cause)
        .map_or(0.0, |(_, n)| *n as f64)
}

/// A proxy with no work of its own and a rate limit, in front of a server
/// that is never busy enough to matter: what it admits is the bucket's law.
fn limited(rate: f64, limit: &str, users: &str) -> String {
    format!(
        "name: rate limit
seed: 11
duration: 400s
warmup: 2s
traffic: {{rate: {rate}/s, users: {users}}}
entry: edge
network: {{latency: 0ms}}
components:
  edge: {{kind: proxy, targets: web, rate_limit: {limit}}}
  web: {{kind: server, cores: 64, work: 1ms, service: deterministic}}
"
    )
}

#[test]
fn a_one_token_bucket_admits_lambda_r_over_lambda_plus_r() {
    // After each admission the bucket is empty for 1/r, then waits for the
    // next Poisson arrival: a renewal process of rate λr/(λ + r).
    let (lambda, r) = (100.0, 100.0);
    let runs = replicate(
        &limited(lambda, "{rate: 100/s, burst: 1, per: global}", "1000"),
        10,
    );
    let admitted = lambda * r / (lambda + r);
    assert_eq!(admitted, 50.0);
    assert_matches(
        "one-token bucket: admitted rate",
        &runs,
        |run| edge(run, "admitted_rps"),
        admitted,
        0.02,
    );
    assert_matches(
        "one-token bucket: share refused (errors.rate_limited / offered)",
        &runs,
        |run| errors(run, "rate_limited") / run.requests.offered as f64,
        1.0 - admitted / lambda,
        0.02,
    );
}

#[test]
fn a_bucket_of_b_tokens_is_an_m_d_1_k_queue_with_k_b() {
    // λ = 120/s against 100 tokens/s and a burst of 4: the deficit is the
    // work of an M/D/1/4 queue with service 10 ms, ρ = 1.2.
    let (lambda, r, b) = (120.0, 100.0, 4);
    let runs = replicate(
        &limited(lambda, "{rate: 100/s, burst: 4, per: global}", "1000"),
        10,
    );
    let blocking = md1k_blocking(b, lambda / r);
    let admitted = token_bucket_admitted(lambda, r, b);
    // About 93.8/s: the burst lets through more than a one-token bucket's
    // λr/(λ + r) = 54.5/s, and never more than the rate.
    assert!(admitted > 93.0 && admitted < 94.0, "{admitted}");
    assert_matches(
        "4-token bucket: admitted rate (M/D/1/4)",
        &runs,
        |run| edge(run, "admitted_rps"),
        admitted,
        0.01,
    );
    assert_matches(
        "4-token bucket: share refused (M/D/1/4 blocking)",
        &runs,
        |run| errors(run, "rate_limited") / run.requests.offered as f64,
        blocking,
        0.03,
    );
}

#[test]
fn per_user_buckets_are_independent_m_d_1_k_queues() {
    // 50 users with Zipf activity (s = 1): user u sends a Poisson stream at
    // λp_u and has its own bucket of 3 tokens at 10/s, so the proxy admits
    // the sum of 50 M/D/1/3 throughputs. Buckets that refill are dropped
    // and start full again, which must change nothing.
    let (lambda, r, b) = (400.0, 10.0, 3);
    let runs = replicate(
        &limited(
            lambda,
            "{rate: 10/s, burst: 3, per: user}",
            "{count: 50, activity: zipf, s: 1}",
        ),
        10,
    );
    let p = probabilities(&KeySpace {
        count: 50,
        popularity: Popularity::Zipf { s: 1.0 },
    });
    let admitted: f64 = p
        .iter()
        .map(|pu| token_bucket_admitted(lambda * pu, r, b))
        .sum();
    assert_matches(
        "per-user buckets: admitted rate (sum of M/D/1/3)",
        &runs,
        |run| edge(run, "admitted_rps"),
        admitted,
        0.01,
    );
    // The most active user alone, and everyone else's refused share,
    // weighted by how much each sends.
    let top = md1k_blocking(b, lambda * p[0] / r);
    let others: f64 = p[1..]
        .iter()
        .map(|pu| pu * md1k_blocking(b, lambda * pu / r))
        .sum::<f64>()
        / p[1..].iter().sum::<f64>();
    assert_matches(
        "per-user buckets: refused share of the most active user",
        &runs,
        |run| edge(run, "rate_limited_top_user"),
        top,
        0.01,
    );
    assert_matches(
        "per-user buckets: refused share of the other users",
        &runs,
        |run| edge(run, "rate_limited_others"),
        others,
        0.03,
    );
}

#[test]
fn the_firewall_and_the_auth_check_thin_the_stream_and_load_the_cores() {
    // Shares: 10% hostile (dropped before any work), 20% without credentials
    // (refused after the auth check's work), 70% served. What passes is a
    // Poisson stream at λ(1 − h − u); the cores work for every request that
    // passed the firewall, its own work plus the auth check's.
    let yaml = "
name: thinning
seed: 12
duration: 200s
warmup: 2s
traffic:
  rate: 1000/s
  requests:
    page:   {weight: 70}
    attack: {weight: 10, hostile: true}
    anon:   {weight: 20, authenticated: false}
entry: edge
network: {latency: 0ms}
components:
  edge:
    kind: proxy
    targets: web
    cores: 4
    work: {page: 2ms, attack: 5ms, anon: 1ms}
    firewall: true
    auth: {work: 0.5ms}
  web: {kind: server, cores: 64, work: 1ms}
";
    let runs = replicate(yaml, 10);
    let (lambda, h, u) = (1000.0, 0.1, 0.2);
    assert_matches(
        "firewall and auth: rate behind the proxy",
        &runs,
        |run| edge(run, "admitted_rps"),
        lambda * (1.0 - h - u),
        0.01,
    );
    let window = 198.0;
    assert_matches(
        "firewall: dropped per second",
        &runs,
        |run| edge(run, "firewall_dropped") / window,
        lambda * h,
        0.02,
    );
    assert_matches(
        "auth: refused per second",
        &runs,
        |run| edge(run, "unauthorized") / window,
        lambda * u,
        0.02,
    );
    // Σ over types of rate × work / cores: the hostile type costs nothing.
    let utilisation = (lambda * 0.7 * 2.5e-3 + lambda * 0.2 * 1.5e-3) / 4.0;
    assert_matches(
        "proxy utilisation (sum of rate x work over the cores)",
        &runs,
        |run| run.components[0].utilization,
        utilisation,
        0.01,
    );
}

proptest! {
    /// The envelope of a token bucket: whatever the arrivals, no stretch of
    /// time t lets more than burst + rate × t requests through, and a burst of
    /// arrivals at one instant on a full bucket reaches that bound.
    #[test]
    fn no_stretch_of_time_admits_more_than_burst_plus_rate_times_its_length(
        rate in 0.5f64..2000.0,
        burst in 1u32..20,
        gaps in proptest::collection::vec(0u64..20_000_000, 1..300),
    ) {
        const SECOND: f64 = 1e9;
        let bucket = Bucket::new(rate, burst);
        let mut full_at = 0.0;
        let mut now = 0u64;
        let mut admitted: Vec<f64> = Vec::new();
        for gap in gaps {
            now += gap;
            if let Some(next) = bucket.take(full_at, now as f64) {
                full_at = next;
                admitted.push(now as f64);
            }
        }
        prop_assert!(!admitted.is_empty(), "the first request finds a full bucket");
        for i in 0..admitted.len() {
            for j in i..admitted.len() {
                let count = (j - i + 1) as f64;
                let span = (admitted[j] - admitted[i]) / SECOND;
                // The bucket's half nanosecond of slack, at most, beyond the bound.
                prop_assert!(
                    count <= f64::from(burst) + rate * (span + 0.5e-9) + 1e-9,
                    "{count} admitted in {span} s at rate {rate}, burst {burst}"
                );
            }
        }
        // Twice the burst at one instant, long after the last request: the
        // bucket is full again, so exactly `burst` of them pass.
        let later = now as f64 + 1e3 * SECOND;
        let mut passed = 0;
        for _ in 0..2 * burst {
            if let Some(next) = bucket.take(full_at, later) {
                full_at = next;
                passed += 1;
            }
        }
        prop_assert_eq!(passed, burst);
    }
}
