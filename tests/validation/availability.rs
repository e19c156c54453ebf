//! Failures: the long-run availability of one machine and of k-of-n clones
//! under random failures, and the requests lost before a health check notices
//! a crash.

use crate::support::{assert_matches, replicate};

/// One server with `replicas` clones failing at random (exponential MTBF 10 s,
/// MTTR 2 s): each replica is up a fraction A = MTBF / (MTBF + MTTR) = 5/6 of the
/// time, independently of the others.
fn failing(replicas: u32) -> String {
    format!(
        "name: random failures
seed: 31
duration: 20000s
warmup: 100s
traffic: {{rate: 5/s}}
entry: web
components:
  web: {{kind: server, replicas: {replicas}, cores: 1, work: 1ms}}
failures:
  - {{random: web, mtbf: 10s, mttr: 2s}}
"
    )
}

#[test]
fn one_machine_is_up_mtbf_over_mtbf_plus_mttr() {
    let runs = replicate(&failing(1), 10);
    let a = 10.0 / 12.0;
    let uptime = |r: &scalesim::metrics::RunSummary| r.components[0].up_levels[1];
    assert_matches("uptime of one machine", &runs, uptime, a, 0.02);
}

#[test]
fn k_of_n_clones_follow_the_binomial_law() {
    let n = 5u32;
    let runs = replicate(&failing(n), 10);
    let a: f64 = 10.0 / 12.0;
    let choose = |n: u32, k: u32| (0..k).fold(1.0, |c, i| c * f64::from(n - i) / f64::from(i + 1));
    for k in [1u32, 3, 4, 5] {
        let at_least_k: f64 = (k..=n)
            .map(|j| choose(n, j) * a.powi(j as i32) * (1.0 - a).powi((n - j) as i32))
            .sum();
        let simulated = move |r: &scalesim::metrics::RunSummary| {
            r.components[0].up_levels[k as usize..].iter().sum::<f64>()
        };
        let what = format!("P(at least {k} of {n} up)");
        assert_matches(&what, &runs, simulated, at_least_k, 0.03);
    }
}

#[test]
fn a_crash_loses_the_requests_sent_before_the_health_check_notices() {
    // Round robin over 4 clones: replica 1 gets every 4th request, 100/s. It
    // crashes at 31.3 s. Probes leave every 2 s; the one sent at 30 s was answered,
    // those sent at 32, 34 and 36 s are not, and the third miss (closed at 38 s)
    // marks it unhealthy. Until then its requests are refused: 100/s x 6.7 s.
    let yaml = "
name: crash and detection
seed: 8
duration: 60s
warmup: 10s
traffic: {rate: 400/s}
entry: lb
components:
  lb:
    kind: load_balancer
    strategy: round_robin
    targets: web
    health_check: {interval: 2s, timeout: 500ms, unhealthy_after: 3, healthy_after: 2}
  web: {kind: server, replicas: 4, cores: 2, work: 1ms}
failures:
  - {at: 31.3s, crash: web, replica: 1}
";
    let runs = replicate(yaml, 10);
    let expected = 100.0 * (38.0 - 31.3);
    let refused = |r: &scalesim::metrics::RunSummary| {
        r.errors
            .iter()
            .find(|(name, _)| *name == "sent_to_down_node")
            .map_or(0.0, |(_, n)| *n as f64)
    };
    assert_matches(
        "requests refused before detection",
        &runs,
        refused,
        expected,
        0.03,
    );
    // Once detected, nothing else is lost: the other clones take the load.
    for r in &runs {
        assert!(
            r.requests.failed as f64 <= refused(r) + 5.0,
            "{:?}",
            r.errors
        );
    }
}
