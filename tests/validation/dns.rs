//! DNS and geography: failover through health checks and cached answers
//! against the renewal argument of docs/model.md, the share of users each
//! answer strategy gives each target, and the exact latency of hops between
//! regions.

use scalesim::metrics::RunSummary;

use crate::support::{assert_matches, replicate};

/// Returns the count of errors of `cause` in one run.
fn errors(run: &RunSummary, cause: &str) -> f64 {
    run.errors
        .iter()
        .find(|(name, _)| *name == cause)
        .map_or(0.0, |(_, n)| *n as f64)
}

/// Returns the figure `key` of component `name` in one run.
fn reading(run: &RunSummary, name: &str, key: &str) -> f64 {
    let component = run.components.iter().find(|c| c.name == name).unwrap();
    component.reading(key).unwrap()
}

/// Returns the requests component `name` served in one run.
fn served(run: &RunSummary, name: &str) -> f64 {
    run.components
        .iter()
        .find(|c| c.name == name)
        .unwrap()
        .completed as f64
}

#[test]
fn failover_costs_each_user_q_times_detection_plus_half_a_ttl() {
    // U = 10,000 users each send Poisson requests at q = 0.05/s (500/s in
    // all). The DNS answers `a` (failover) and users keep an answer T = 60 s.
    // Probes leave every 20 s; `a` dies at 1210 s, half an interval after
    // a probe it answered, and the fourth missed probe marks it at 1300 s:
    // detection takes D = 4.5 x 20 s = 90 s. Every request in [1210, 1300)
    // fails; after that, a user who holds an answer (probability
    // p = qT / (1 + qT)) keeps failing for its remaining life, T / 2 on
    // average: q (D + p T / 2) failed requests per user. Those sent on an
    // answer held from before are the stale ones: a share p of all
    // requests, p q (D + T / 2) per user.
    //
    // The formula needs the users' answers at random phases: everybody
    // starts without one at 0, and a user's renewals are T + Exp(q) apart.
    // The phases spread by a factor |q / (q - 2 pi i / (T + 1/q))| = 0.54
    // per cycle of 80 s, so after the 15 cycles before the crash what is
    // left of the start is below 1e-4 of the result. (With q = 1/s the same
    // factor is 0.995: the users would stay in step for hours.)
    let yaml = "
name: DNS failover
seed: 71
duration: 1400s
warmup: 1000s
traffic: {rate: 500/s, users: 10000}
entry: dns
network: {latency: 0ms}
components:
  dns:
    kind: dns
    strategy: failover
    targets: [a, b]
    ttl: 60s
    health_check: {interval: 20s, unhealthy_after: 4}
  a: {kind: server, cores: 64, work: 1ms, service: deterministic}
  b: {kind: server, cores: 64, work: 1ms, service: deterministic}
failures:
  - {at: 1210s, crash: a}
";
    let runs = replicate(yaml, 8);
    let (users, q, t, d): (f64, f64, f64, f64) = (10_000.0, 0.05, 60.0, 90.0);
    let p = q * t / (1.0 + q * t);
    assert_matches(
        "failed requests per user",
        &runs,
        |r| errors(r, "sent_to_down_node") / users,
        q * (d + p * t / 2.0),
        0.03,
    );
    assert_matches(
        "requests on stale answers per user",
        &runs,
        |r| reading(r, "dns", "stale_answers") / users,
        p * q * (d + t / 2.0),
        0.03,
    );
    // Nothing else fails but the few requests `a` was serving when it died:
    // the survivor takes everybody.
    for r in &runs {
        let lost = errors(r, "lost_in_crash");
        assert!(lost <= 5.0, "{lost}");
        assert_eq!(
            r.requests.failed as f64,
            errors(r, "sent_to_down_node") + lost
        );
    }
}

#[test]
fn round_robin_with_a_ttl_gives_each_target_an_equal_share() {
    // Each resolution takes the next target, so each of the three gets a
    // third of the answers, and, since every answer serves a user for the
    // same law of time, a third of the requests. A request resolves when its
    // user holds no answer: for Poisson requests at q per user and a TTL T,
    // a share 1 / (1 + qT) of them (the renewal cycle is T + 1/q, and one
    // request per cycle resolves); here qT = 1.
    let yaml = "
name: DNS round robin
seed: 12
duration: 1500s
warmup: 300s
traffic: {rate: 150/s, users: 3000}
entry: dns
network: {latency: 0ms}
components:
  dns: {kind: dns, strategy: round_robin, targets: [a, b, c], ttl: 20s}
  a: {kind: server, cores: 64, work: 1ms, service: deterministic}
  b: {kind: server, cores: 64, work: 1ms, service: deterministic}
  c: {kind: server, cores: 64, work: 1ms, service: deterministic}
";
    let runs = replicate(yaml, 8);
    for target in ["a", "b", "c"] {
        assert_matches(
            &format!("share of the requests on {target}"),
            &runs,
            |r| served(r, target) / served(r, "dns"),
            1.0 / 3.0,
            0.02,
        );
    }
    assert_matches(
        "share of the requests that resolve",
        &runs,
        |r| reading(r, "dns", "resolutions") / served(r, "dns"),
        0.5,
        0.02,
    );
}

#[test]
fn weighted_answers_share_the_users_by_weight() {
    // Weights 3 and 1: three answers in four name `a`, and so do three
    // requests in four.
    let yaml = "
name: DNS weighted
seed: 13
duration: 1500s
warmup: 300s
traffic: {rate: 150/s, users: 3000}
entry: dns
network: {latency: 0ms}
components:
  dns: {kind: dns, strategy: weighted, targets: [a, b], weights: {a: 3, b: 1}, ttl: 20s}
  a: {kind: server, cores: 64, work: 1ms, service: deterministic}
  b: {kind: server, cores: 64, work: 1ms, service: deterministic}
";
    let runs = replicate(yaml, 8);
    assert_matches(
        "share of the requests on a",
        &runs,
        |r| served(r, "a") / served(r, "dns"),
        0.75,
        0.02,
    );
}

/// A front server in eu that calls a service in eu (another zone) and one
/// in us, every machine 1 ms of deterministic work, constant arrivals.
fn regions(origins: &str) -> String {
    format!(
        "
name: regions
seed: 1
duration: 20s
warmup: 1s
traffic: {{rate: 10/s, arrivals: constant, users: 100{origins}}}
entry: front
network:
  latency: 2ms
  regions: [{{between: [eu, us], latency: 45ms}}]
regions: {{eu: [eu-a, eu-b], us: [us-a]}}
components:
  front: {{kind: server, cores: 4, work: 1ms, service: deterministic, zone: eu-a,
          calls: [near, far]}}
  near: {{kind: server, cores: 4, work: 1ms, service: deterministic, zone: eu-b}}
  far: {{kind: server, cores: 4, work: 1ms, service: deterministic, zone: us-a}}
"
    )
}

/// Asserts that every answered request took exactly `ms`.
fn assert_every_latency(run: &RunSummary, ms: f64) {
    assert!(run.requests.completed > 0);
    assert_eq!(run.requests.completed, run.requests.offered);
    assert!(
        (run.latency_ms.mean - ms).abs() < 1e-6,
        "mean {} for {ms}",
        run.latency_ms.mean
    );
    // Percentiles come from a histogram with 3 significant digits.
    assert!(
        (run.latency_ms.max - ms).abs() <= ms * 1e-3,
        "max {}",
        run.latency_ms.max
    );
}

#[test]
fn a_hop_between_regions_takes_the_regions_latency_instead_of_the_networks() {
    // front (1) + to near and back (2 + 1 + 2) + to far and back
    // (45 + 1 + 45): 97 ms; users without a region reach front for free.
    let run = &replicate(&regions(""), 1)[0];
    assert_every_latency(run, 97.0);
    // Users who live in eu still reach front for free; users in us pay
    // 45 ms each way.
    let run = &replicate(&regions(", origins: {eu: 100%}"), 1)[0];
    assert_every_latency(run, 97.0);
    let run = &replicate(&regions(", origins: {us: 100%}"), 1)[0];
    assert_every_latency(run, 97.0 + 90.0);
}

#[test]
fn geo_dns_keeps_every_user_in_its_own_region() {
    // Users in both regions, a server in each: geo answers each user with
    // its own region's, so no request crosses (1 ms of work each); failover
    // sends everybody to eu, and the users of us pay 90 ms more.
    let yaml = |strategy: &str| {
        format!(
            "
name: geo
seed: 4
duration: 60s
warmup: 5s
traffic: {{rate: 50/s, users: 1000, origins: {{eu: 50%, us: 50%}}}}
entry: dns
network:
  latency: 2ms
  regions: [{{between: [eu, us], latency: 45ms}}]
regions: {{eu: [eu-a], us: [us-a]}}
components:
  dns: {{kind: dns, strategy: {strategy}, targets: [web-eu, web-us], ttl: 30s}}
  web-eu: {{kind: server, cores: 64, work: 1ms, service: deterministic, zone: eu-a}}
  web-us: {{kind: server, cores: 64, work: 1ms, service: deterministic, zone: us-a}}
"
        )
    };
    let run = &replicate(&yaml("geo"), 1)[0];
    assert_every_latency(run, 1.0);
    let run = &replicate(&yaml("failover"), 1)[0];
    assert_eq!(served(run, "web-us"), 0.0);
    // Every request took 1 ms or 91 ms; the mean says how many of each.
    let far = (run.latency_ms.mean - 1.0) / 90.0;
    assert!(far > 0.4 && far < 0.6, "share from us {far}");
    assert!(
        (run.latency_ms.max - 91.0).abs() <= 0.091,
        "{}",
        run.latency_ms.max
    );
}
