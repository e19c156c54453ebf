//! One server with one core: M/M/1 and M/D/1.

use crate::support::{assert_matches, replicate};
use crate::theory::mg1_wait;

/// An M/M/1 or M/D/1 queue: work 1 ms on one core, arrivals at `rate` per second.
fn single(rate: f64, service: &str, duration_s: u64) -> String {
    format!(
        "name: single
seed: 11
duration: {duration_s}s
warmup: 5s
traffic: {{rate: {rate}/s}}
entry: web
components:
  web: {{kind: server, cores: 1, work: 1ms, service: {service}}}
"
    )
}

#[test]
fn mm1_at_half_load() {
    let (lambda, mu) = (500.0, 1000.0);
    let runs = replicate(&single(lambda, "exponential", 200), 10);
    let rho = lambda / mu;
    let w_ms = 1000.0 / (mu - lambda);
    assert_matches(
        "M/M/1 rho=0.5 mean response (ms)",
        &runs,
        |r| r.latency_ms.mean,
        w_ms,
        0.03,
    );
    assert_matches(
        "M/M/1 rho=0.5 mean wait (ms)",
        &runs,
        |r| r.wait_ms.mean,
        rho * w_ms,
        0.05,
    );
    assert_matches(
        "M/M/1 rho=0.5 P(wait)",
        &runs,
        |r| r.wait_ms.p_wait,
        rho,
        0.02,
    );
    assert_matches(
        "M/M/1 rho=0.5 utilisation",
        &runs,
        |r| r.components[0].utilization,
        rho,
        0.02,
    );
    let lq = rho * rho / (1.0 - rho);
    assert_matches(
        "M/M/1 rho=0.5 mean queue",
        &runs,
        |r| r.components[0].mean_queue,
        lq,
        0.06,
    );
    // The response time is exponential with rate mu - lambda: p99 = ln(100) / (mu - lambda).
    let p99 = 100f64.ln() * w_ms;
    assert_matches(
        "M/M/1 rho=0.5 p99 response (ms)",
        &runs,
        |r| r.latency_ms.p99,
        p99,
        0.04,
    );
}

#[test]
fn mm1_at_high_load() {
    let (lambda, mu) = (900.0, 1000.0);
    let runs = replicate(&single(lambda, "exponential", 450), 10);
    let w_ms = 1000.0 / (mu - lambda);
    assert_matches(
        "M/M/1 rho=0.9 mean response (ms)",
        &runs,
        |r| r.latency_ms.mean,
        w_ms,
        0.08,
    );
    assert_matches(
        "M/M/1 rho=0.9 P(wait)",
        &runs,
        |r| r.wait_ms.p_wait,
        0.9,
        0.02,
    );
    assert_matches(
        "M/M/1 rho=0.9 utilisation",
        &runs,
        |r| r.components[0].utilization,
        0.9,
        0.02,
    );
}

#[test]
fn md1_matches_pollaczek_khinchine() {
    let (lambda, s) = (800.0, 0.001);
    let runs = replicate(&single(lambda, "deterministic", 200), 10);
    let wq_ms = mg1_wait(lambda, s, 0.0) * 1000.0;
    assert_matches(
        "M/D/1 rho=0.8 mean wait (ms)",
        &runs,
        |r| r.wait_ms.mean,
        wq_ms,
        0.06,
    );
    assert_matches(
        "M/D/1 rho=0.8 mean response (ms)",
        &runs,
        |r| r.latency_ms.mean,
        wq_ms + 1.0,
        0.04,
    );
}

#[test]
fn mg1_with_lognormal_work_matches_pollaczek_khinchine() {
    let (lambda, s, cv) = (700.0, 0.001, 1.5);
    let runs = replicate(&single(lambda, "{lognormal: {cv: 1.5}}", 300), 10);
    let wq_ms = mg1_wait(lambda, s, cv * cv) * 1000.0;
    assert_matches(
        "M/G/1 lognormal cv=1.5 mean wait (ms)",
        &runs,
        |r| r.wait_ms.mean,
        wq_ms,
        0.08,
    );
}

/// A client timeout on an M/M/1 queue: the client gives up, the server still
/// serves the request (nothing cancels work already queued), so the queue stays
/// M/M/1 and the response time stays exponential with rate mu - lambda.
#[test]
fn client_timeouts_on_mm1_cut_the_exponential_response_time() {
    let (lambda, mu, timeout_s): (f64, f64, f64) = (800.0, 1000.0, 0.005);
    let yaml = format!(
        "name: timeouts
seed: 12
duration: 600s
warmup: 5s
traffic: {{rate: {lambda}/s, timeout: 5ms}}
entry: web
components:
  web: {{kind: server, cores: 1, work: 1ms, service: exponential}}
"
    );
    let runs = replicate(&yaml, 10);
    let theta = mu - lambda;
    // P(response > T) = exp(-theta T): the share of requests that time out.
    let p_timeout = (-theta * timeout_s).exp();
    assert_matches(
        "M/M/1 with timeout: share timed out",
        &runs,
        |r| r.requests.timed_out as f64 / r.requests.offered as f64,
        p_timeout,
        0.02,
    );
    // Answered in time: the exponential cut at T, E[X | X < T].
    let mean_ms = (1.0 / theta - timeout_s * p_timeout / (1.0 - p_timeout)) * 1000.0;
    assert_matches(
        "M/M/1 with timeout: mean latency of answered requests (ms)",
        &runs,
        |r| r.latency_ms.mean,
        mean_ms,
        0.02,
    );
    assert_matches(
        "M/M/1 with timeout: utilisation (abandoned requests are still served)",
        &runs,
        |r| r.components[0].utilization,
        lambda / mu,
        0.02,
    );
}

#[test]
fn an_overloaded_mm1_answers_at_its_capacity() {
    // Offered twice what one core serves, with a queue that never refuses:
    // the core never idles after the first instants, so answers leave at the
    // service rate, whatever arrived before the warm-up. Throughput counts
    // the answers of the measured window, not only those of its arrivals.
    let yaml = "name: overloaded
seed: 5
duration: 60s
warmup: 10s
traffic: {rate: 2000/s}
entry: web
components:
  web: {kind: server, cores: 1, work: 1ms, service: exponential, queue: unbounded}
";
    let runs = replicate(yaml, 8);
    assert_matches(
        "overloaded M/M/1 throughput (/s)",
        &runs,
        |r| r.throughput_rps,
        1000.0,
        0.01,
    );
}

#[test]
fn goodput_counts_the_answers_within_the_objectives_latency() {
    // M/M/1 at half load: the response time is exponential with rate
    // mu - lambda, so a share 1 - exp(-(mu - lambda) tau) of the answers
    // come within tau.
    let (lambda, mu, tau_ms) = (500.0, 1000.0, 2.0);
    let yaml = single(lambda, "exponential", 200) + "slo: {latency: 2ms}\n";
    let runs = replicate(&yaml, 10);
    let share = 1.0 - (-(mu - lambda) * tau_ms / 1000.0_f64).exp();
    assert_matches(
        "M/M/1 goodput within 2 ms (/s)",
        &runs,
        |r| r.goodput_rps,
        lambda * share,
        0.01,
    );
}

/// Returns figure `path` of a run's figures (`types.small.completed`).
fn run_figure(run: &scalesim::metrics::RunSummary, path: &str) -> f64 {
    run.figures
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("the run reports {path}"))
        .value
}

#[test]
fn each_request_type_waits_the_m_g_1_wait_then_its_own_work() {
    // Two types, half each, of exponential work 1 ms and 3 ms, on one core:
    // the work is a mixture with E[S] = 2 ms and E[S²] = ½·2·1² + ½·2·3² =
    // 10 ms², so its squared coefficient of variation is 10/4 − 1 = 1.5.
    // Service is first come first served, so a request waits the same
    // Pollaczek-Khinchine wait W whatever its type, and a type's mean
    // latency is W plus its own mean work.
    let lambda = 200.0;
    let yaml = "name: two types
seed: 4
duration: 300s
warmup: 5s
traffic:
  rate: 200/s
  requests: {small: {weight: 1}, large: {weight: 1}}
entry: web
components:
  web: {kind: server, cores: 1, work: {small: 1ms, large: 3ms}, service: exponential}
";
    let runs = replicate(yaml, 8);
    let wait_ms = mg1_wait(lambda / 1000.0, 2.0, 1.5);
    for (name, work_ms) in [("small", 1.0), ("large", 3.0)] {
        assert_matches(
            &format!("M/G/1, type {name}: mean latency = W + its work (ms)"),
            &runs,
            |r| run_figure(r, &format!("types.{name}.latency_ms_mean")),
            wait_ms + work_ms,
            0.04,
        );
    }
    // The types' answers add up to all the answers.
    for run in &runs {
        let by_type =
            run_figure(run, "types.small.completed") + run_figure(run, "types.large.completed");
        assert_eq!(by_type as u64, run.requests.completed);
    }
}
