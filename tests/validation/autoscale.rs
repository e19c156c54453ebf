//! Autoscaling groups: a group held at a fixed size is the fixed fleet, target
//! tracking settles where its formula says, and a group that scales from zero
//! is the M/G/1 queue with setup times.

use scalesim::metrics::RunSummary;

use crate::support::{assert_matches, replicate};

/// Returns the reading `key` of the component `web` of `run`.
fn reading(run: &RunSummary, key: &str) -> f64 {
    run.components
        .iter()
        .find(|c| c.name == "web")
        .and_then(|c| c.reading(key))
        .unwrap_or_else(|| panic!("no reading {key}"))
}

/// Three one-core replicas with random dispatch at the entry, at 60% busy:
/// three independent M/M/1 queues, each with a third of the arrivals.
fn three_clones(autoscale: &str) -> String {
    format!(
        "
name: three clones
seed: 17
duration: 300s
warmup: 5s
traffic: {{rate: 1800/s}}
entry: web
network: {{latency: 0ms}}
components:
  web: {{kind: server, work: 1ms, service: exponential, {autoscale}}}
"
    )
}

#[test]
fn a_group_held_at_its_size_is_the_fixed_fleet() {
    let fixed = replicate(&three_clones("replicas: 3"), 8);
    let held = replicate(
        &three_clones("autoscale: {min: 3, max: 3, metric: cpu, target: 50%, interval: 5s}"),
        8,
    );
    // Paired on common random numbers: the same requests, the same replicas,
    // the same draws. An autoscaler that can change nothing changes nothing.
    for (f, h) in fixed.iter().zip(&held) {
        assert_eq!(f.latency_ms, h.latency_ms);
        assert_eq!(f.requests, h.requests);
        assert_eq!(f.cost_per_hour, h.cost_per_hour);
        assert_eq!(reading(h, "replicas_mean"), 3.0);
        assert_eq!(reading(h, "scale_outs") + reading(h, "scale_ins"), 0.0);
    }
    // And against theory: each replica is M/M/1 with λ = 600/s, μ = 1000/s.
    let (lambda, mu) = (600.0, 1000.0);
    assert_matches(
        "held group, mean response (ms)",
        &held,
        |r| r.latency_ms.mean,
        1000.0 / (mu - lambda),
        0.03,
    );
    assert_matches(
        "held group, utilisation",
        &held,
        |r| r.components[0].utilization,
        lambda / mu,
        0.01,
    );
}

#[test]
fn a_step_of_load_settles_where_target_tracking_says_within_boot_and_two_intervals() {
    // 100 ms of work on one core per replica, a 50% cpu target, evaluated
    // every 2 minutes; new replicas boot for 30 s. The load steps from 18/s
    // to 32.5/s at 5 minutes: the group must hold ceil(λ₂ S / (target ×
    // cores)) replicas from at most boot + two intervals later, and keep
    // them. The measured window starts then, so the figures of the window
    // say it exactly: the mean and the most replicas held, and no event.
    let (lambda2, work_s, target, cores): (f64, f64, f64, f64) = (32.5, 0.1, 0.5, 1.0);
    let (step_s, interval_s, boot_s) = (300.0, 120.0, 30.0);
    let settle_s = step_s + 2.0 * interval_s + boot_s;
    let yaml = format!(
        "
name: step
seed: 23
duration: 15m
warmup: {settle_s}s
traffic:
  schedule: [{{at: 0s, rate: 18/s}}, {{at: {step_s}s, rate: {lambda2}/s}}]
entry: web
network: {{latency: 0ms}}
components:
  web:
    kind: server
    work: {work_ms}ms
    service: deterministic
    boot: {boot_s}s
    autoscale: {{min: 4, max: 20, metric: cpu, target: 50%, interval: {interval_s}s,
                cooldown: {{out: 0s, in: 5m}}}}
",
        work_ms = work_s * 1000.0
    );
    let expected = (lambda2 * work_s / (target * cores)).ceil();
    assert_eq!(expected, 7.0);
    let runs = replicate(&yaml, 8);
    for run in &runs {
        assert_eq!(reading(run, "replicas_mean"), expected);
        assert_eq!(reading(run, "replicas_max"), expected);
        // Its cores are those of the machines it held, not of all `max`.
        let web = run.components.iter().find(|c| c.name == "web").unwrap();
        assert_eq!(f64::from(web.cores), expected * cores);
        assert_eq!(reading(run, "scale_outs") + reading(run, "scale_ins"), 0.0);
        // Settled at the demand: neither under- nor over-provisioned.
        assert_eq!(reading(run, "under_provisioned_share"), 0.0);
        assert_eq!(reading(run, "over_provisioned_share"), 0.0);
    }
}

#[test]
fn scaling_from_zero_is_the_queue_with_setup_times() {
    // min: 0, max: 1: a request that finds no replica starts one, which
    // boots for I and then serves until nothing is left, then stops: the
    // M/G/1 queue with setup times (exceptional first service). Its mean
    // response is 1/(μ − λ) + (2E[I] + λE[I²]) / (2(1 + λE[I])), with
    // E[I] = I and E[I²] = I² for a fixed boot.
    let (lambda, mu, setup) = (5.0, 10.0, 0.2);
    let yaml = "
name: setup
seed: 29
duration: 2000s
warmup: 20s
traffic: {rate: 5/s}
entry: web
network: {latency: 0ms}
components:
  web:
    kind: server
    work: 100ms
    service: exponential
    boot: 200ms
    autoscale: {min: 0, max: 1, metric: cpu, target: 50%, interval: 1h}
";
    let runs = replicate(yaml, 10);
    let expected = 1.0 / (mu - lambda)
        + (2.0 * setup + lambda * setup * setup) / (2.0 * (1.0 + lambda * setup));
    assert_matches(
        "M/G/1 with setup, mean response (ms)",
        &runs,
        |r| r.latency_ms.mean,
        expected * 1000.0,
        0.03,
    );
    // The replica is held while busy or booting: P(held) = ρ + P(booting),
    // where the share of time booting is λ I (1 − ρ) / (1 + λ I) per the
    // same model (cycles of setup, busy period and idle time).
    let rho = lambda / mu;
    let booting = lambda * setup * (1.0 - rho) / (1.0 + lambda * setup);
    assert_matches(
        "M/G/1 with setup, replicas held",
        &runs,
        |r| reading(r, "replicas_mean"),
        rho + booting,
        0.02,
    );
}

#[test]
fn balancers_send_nothing_to_replicas_that_are_not_in_service() {
    // Load that rises and falls, so that the group scales out and in, behind
    // a balancer of each strategy with health checks: no request may be sent
    // to a replica that is booting, draining or off (with no latency, none
    // can be on its way when its replica leaves), and none is lost.
    for strategy in [
        "round_robin",
        "random",
        "least_connections",
        "power_of_two",
        "ip_hash",
        "least_loaded",
    ] {
        let yaml = format!(
            "
name: behind a balancer
seed: 31
duration: 6m
warmup: 0s
traffic:
  users: 500
  schedule: [{{at: 0s, rate: 200/s}}, {{at: 1m, rate: 900/s, ramp: 30s}}, {{at: 3m, rate: 150/s, ramp: 30s}}]
entry: lb
network: {{latency: 0ms}}
components:
  lb:
    kind: load_balancer
    strategy: {strategy}
    targets: web
    health_check: {{interval: 2s}}
  web:
    kind: server
    cores: 2
    work: 4ms
    boot: 20s
    autoscale: {{min: 1, max: 12, metric: cpu, target: 60%, interval: 10s,
                cooldown: {{out: 10s, in: 30s}}}}
"
        );
        let runs = replicate(&yaml, 2);
        for run in &runs {
            assert_eq!(reading(run, "misrouted"), 0.0, "{strategy}");
            assert_eq!(run.requests.failed, 0, "{strategy}: {:?}", run.errors);
            assert_eq!(run.requests.rejected, 0, "{strategy}");
            assert!(reading(run, "scale_outs") >= 2.0, "{strategy}");
            assert!(reading(run, "scale_ins") >= 2.0, "{strategy}");
        }
    }
}
