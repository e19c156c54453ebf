//! Closed-loop users (`traffic.closed`) against exact mean value analysis,
//! and the response time law R = N / X − Z on the results.

use crate::support::{assert_matches, interval, replicate};
use crate::theory::mva;

/// N users thinking `think` in front of `components` (entry `web`), without
/// network latency: a closed product-form network.
fn closed(users: u32, think: &str, components: &str) -> String {
    format!(
        "name: closed
seed: 5
duration: 10100s
warmup: 100s
traffic:
  closed: {{users: {users}, think: {think}}}
entry: web
network: {{latency: 0ms}}
components:
{components}"
    )
}

/// Checks throughput and mean response time against MVA, and the response
/// time law on every run's own figures.
fn check(what: &str, yaml: &str, demands_s: &[f64], think_s: f64, users: u32) {
    let runs = replicate(yaml, 20);
    let m = mva(demands_s, think_s, users);
    assert_matches(
        &format!("{what}: throughput (/s)"),
        &runs,
        |r| r.throughput_rps,
        m.throughput,
        0.005,
    );
    assert_matches(
        &format!("{what}: mean response (ms)"),
        &runs,
        |r| r.latency_ms.mean,
        m.response * 1e3,
        0.01,
    );
    // The law holds run by run up to the cycles cut by the window's edges:
    // the gap's interval holds zero and is narrow.
    let figure = |r: &scalesim::metrics::RunSummary, path: &str| {
        r.figures
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.value)
            .unwrap_or_else(|| panic!("no figure {path}"))
    };
    for r in &runs {
        assert_eq!(figure(r, "closed.users"), f64::from(users));
        assert_eq!(figure(r, "closed.think_ms"), think_s * 1e3);
        let law = f64::from(users) / r.throughput_rps * 1e3 - think_s * 1e3;
        assert!((figure(r, "closed.law_latency_ms") - law).abs() < 1e-9);
    }
    let gap = interval(&runs, |r| figure(r, "closed.law_gap_ms"));
    eprintln!(
        "{what}: R - (N/X - Z) = {:.4} ± {:.4} ms",
        gap.mean, gap.half_width
    );
    assert!(
        gap.contains(0.0),
        "{what}: the response time law fails: gap {gap:?}"
    );
    assert!(
        gap.half_width < 0.01 * m.response * 1e3,
        "{what}: the law's interval is too wide to mean anything: {gap:?}"
    );
}

#[test]
fn one_station_matches_exact_mva() {
    // N = 20, Z = 1 s, S = 0.1 s: R = 1.0037 s, X = 9.9813/s.
    let yaml = closed(
        20,
        "1s",
        "  web: {kind: server, cores: 1, work: 100ms, service: exponential, queue: unbounded}\n",
    );
    check("closed loop, one station", &yaml, &[0.1], 1.0, 20);
}

#[test]
fn two_stations_in_tandem_match_exact_mva() {
    // A request holds web's core for its own work, then db's: two stations
    // of a product-form network, with a bottleneck at db.
    let yaml = closed(
        8,
        "500ms",
        "  web: {kind: server, cores: 1, work: 50ms, service: exponential, queue: unbounded, calls: [db]}\n  \
         db: {kind: server, cores: 1, work: 80ms, service: exponential, queue: unbounded}\n",
    );
    check("closed loop, two stations", &yaml, &[0.05, 0.08], 0.5, 8);
}
