//! Sessions and sticky balancing against probability.
//!
//! - Local sessions behind a random balancer: a request finds its user's
//!   session on its replica when the user sent a request to that replica
//!   within the ttl T. A user's requests form a Poisson process of rate q,
//!   and a random balancer thins it into m independent ones of rate q/m, so
//!   the share of requests that log in (first or again) is `exp(-q T / m)`,
//!   and the share of first logins (the user silent for T everywhere)
//!   `exp(-q T)`. A shared session store leaves only the first logins.
//! - Sticky balancing by hash: each user lands on a uniform replica, so the
//!   busiest replica's share of equal users is the largest count of a
//!   multinomial (1.157 times the mean for 1000 users on 10 replicas); with
//!   Zipf users the spread is much larger. Both are checked against a Monte
//!   Carlo of the same draw, requests included, written here.
//! - A crash of one of m replicas holding local sessions: with `ip_hash` or
//!   a cookie only the users of that replica move, a share 1/m of them, and
//!   log in again; `ip_hash` sends them home again when it returns (another
//!   1/m), a cookie leaves them where they went.

use rand::RngExt;
use rand_distr::{Distribution, Poisson};
use scalesim::engine::stream_rng;
use scalesim::keys::{probabilities, KeySpace, Popularity};
use scalesim::metrics::ci::{mean_interval, Interval};
use scalesim::metrics::RunSummary;

use crate::support::{assert_matches, interval, replicate, LEVEL};

/// Logins of every kind (first and again) per request offered.
fn login_share(run: &RunSummary) -> f64 {
    let s = run.sessions;
    (s.logins + s.relogins) as f64 / run.requests.offered as f64
}

/// Users that each send Poisson requests at `q` per second, spread over four
/// clones by a random balancer, each clone keeping sessions as `sessions`
/// says for 60 s idle. Work is small and cores many, so nothing queues and
/// the session of a request is judged at its arrival.
fn random_balancer(sessions: &str, users: u32, q: f64) -> String {
    let rate = f64::from(users) * q;
    let store = if sessions.contains("store") {
        "  store: {kind: cache, capacity: 100000, hit_time: 0ms}\n"
    } else {
        ""
    };
    format!(
        "name: sessions behind a random balancer
seed: 17
duration: 1320s
warmup: 120s
traffic:
  rate: {rate}/s
  users: {users}
entry: lb
network: {{latency: 0ms}}
components:
  lb: {{kind: load_balancer, strategy: random, targets: web}}
  web:
    kind: server
    replicas: 4
    cores: 16
    work: 1ms
    service: deterministic
    sessions: {sessions}
    login_work: 1ms
    session_ttl: 60s
{store}"
    )
}

#[test]
fn local_sessions_behind_a_random_balancer_log_in_again_as_exp_minus_q_t_over_m() {
    let (q, ttl, m) = (0.05, 60.0, 4.0);
    let runs = replicate(&random_balancer("local", 2000, q), 10);
    assert_matches(
        "share of requests that log in, local sessions, random over 4",
        &runs,
        login_share,
        (-q * ttl / m).exp(),
        0.02,
    );
    assert_matches(
        "share of first logins (user silent for the whole ttl)",
        &runs,
        |r| r.sessions.logins as f64 / r.requests.offered as f64,
        (-q * ttl).exp(),
        0.05,
    );
    // Every miss of a user seen within the ttl is a lost session, logged in again.
    for run in &runs {
        assert_eq!(run.sessions.lost, run.sessions.relogins);
        assert_eq!(run.requests.completed, run.requests.offered);
    }
}

#[test]
fn a_shared_session_store_leaves_only_the_first_logins() {
    let q = 0.05;
    let runs = replicate(&random_balancer("{store: store}", 2000, q), 10);
    assert_matches(
        "share of requests that log in, shared store",
        &runs,
        login_share,
        (-q * 60.0_f64).exp(),
        0.05,
    );
    for run in &runs {
        assert_eq!(run.sessions.relogins, 0);
        assert_eq!(run.sessions.lost, 0);
    }
}

/// `users` users (equally active, or Zipf with s = 1) on 10 one-core clones
/// of deterministic 1 ms work, kept on one clone each by `balancer`, at
/// 1000 requests a second for a 20 s window.
fn sticky(balancer: &str, users: &str) -> String {
    format!(
        "name: sticky users
seed: 23
duration: 21s
warmup: 1s
traffic:
  rate: 1000/s
  users: {users}
entry: lb
network: {{latency: 0ms}}
components:
  lb: {{kind: load_balancer, targets: web, {balancer}}}
  web: {{kind: server, replicas: 10, cores: 1, work: 1ms, service: deterministic}}
"
    )
}

/// Requests in the measured window of [`sticky`].
const STICKY_REQUESTS: f64 = 20_000.0;

/// The load spread of users of activity `p` placed each on a uniform
/// replica of `m`: each replica's requests are Poisson with mean
/// `requests` times its users' share of the traffic, and its utilisation
/// is proportional to them (deterministic work); the spread is the largest
/// over the mean. Returns the interval of its mean over `samples` draws.
fn spread_monte_carlo(p: &[f64], m: usize, requests: f64, samples: usize) -> Interval {
    let mut rng = stream_rng(7, 0, &["sessions-monte-carlo"]);
    let spreads: Vec<f64> = (0..samples)
        .map(|_| {
            let mut share = vec![0.0; m];
            for &pu in p {
                share[rng.random_range(0..m)] += pu;
            }
            let counts: Vec<f64> = share
                .iter()
                .map(|&s| {
                    Poisson::new((requests * s).max(1e-9))
                        .unwrap()
                        .sample(&mut rng)
                })
                .collect();
            let mean = counts.iter().sum::<f64>() / m as f64;
            counts.iter().copied().fold(0.0, f64::max) / mean
        })
        .collect();
    mean_interval(&spreads, LEVEL)
}

/// Asserts that the mean load spread of `runs` agrees with the Monte Carlo
/// `expected`: their difference lies within the two intervals combined.
fn assert_spread(what: &str, runs: &[RunSummary], expected: Interval) {
    let sim = interval(runs, |r| {
        r.figure("components.web.load_spread")
            .expect("a load spread")
    });
    let allowed = sim.half_width.hypot(expected.half_width);
    eprintln!(
        "{what}: simulated {:.4} ± {:.4}, Monte Carlo {:.4} ± {:.4} (99.9%)",
        sim.mean, sim.half_width, expected.mean, expected.half_width
    );
    assert!(
        (sim.mean - expected.mean).abs() <= allowed,
        "{what}: simulated {} and Monte Carlo {} differ by more than {allowed}",
        sim.mean,
        expected.mean
    );
    assert!(
        sim.half_width < 0.03 * expected.mean,
        "{what}: interval half-width {} is too wide to compare",
        sim.half_width
    );
}

#[test]
fn sticky_users_spread_the_load_as_the_largest_of_a_multinomial() {
    let uniform = probabilities(&KeySpace {
        count: 1000,
        popularity: Popularity::Uniform,
    });
    // The Monte Carlo itself, without the requests' own noise, gives the
    // expected largest of a multinomial(1000, 1/10) over its mean: 1.157.
    let counts_only = spread_monte_carlo(&uniform, 10, 1e12, 20_000);
    assert!(
        (counts_only.mean - 1.157).abs() < 0.002,
        "Monte Carlo of the multinomial: {}",
        counts_only.mean
    );
    let expected = spread_monte_carlo(&uniform, 10, STICKY_REQUESTS, 20_000);
    for balancer in ["strategy: ip_hash", "strategy: random, sticky: cookie"] {
        let runs = replicate(&sticky(balancer, "1000"), 100);
        assert_spread(
            &format!("load spread, 1000 equal users, {balancer}"),
            &runs,
            expected,
        );
    }
}

#[test]
fn sticky_zipf_users_spread_the_load_much_more() {
    let zipf = probabilities(&KeySpace {
        count: 1000,
        popularity: Popularity::Zipf { s: 1.0 },
    });
    let expected = spread_monte_carlo(&zipf, 10, STICKY_REQUESTS, 20_000);
    // The most active user alone sends 13% of the requests, more than a
    // tenth: its replica is always the busiest by far.
    assert!(expected.mean > 1.4, "{}", expected.mean);
    let runs = replicate(
        &sticky("strategy: ip_hash", "{count: 1000, activity: zipf, s: 1.0}"),
        400,
    );
    assert_spread("load spread, 1000 Zipf(1) users, ip_hash", &runs, expected);
}

/// 4000 users each sending 0.5 requests a second through `balancer` to four
/// clones with local sessions; clone 1 crashes at 40 s and comes back at
/// 70 s (the health checks notice within 2 s either way).
fn crash(balancer: &str) -> String {
    format!(
        "name: a crash under sticky sessions
seed: 29
duration: 100s
warmup: 30s
traffic:
  rate: 2000/s
  users: 4000
entry: lb
network: {{latency: 0ms}}
components:
  lb:
    kind: load_balancer
    targets: web
    health_check: {{interval: 1s, unhealthy_after: 2, healthy_after: 2}}
    {balancer}
  web:
    kind: server
    replicas: 4
    cores: 16
    work: 1ms
    service: deterministic
    sessions: local
    login_work: 1ms
failures:
  - {{at: 40s, crash: web, replica: 1, for: 30s}}
"
    )
}

#[test]
fn a_crash_logs_in_again_the_users_of_its_replica_only() {
    let users = 4000.0;
    let m = 4.0;
    // ip_hash moves the crashed replica's users away, then home again:
    // each logs in twice (its sessions there were emptied by the crash).
    let runs = replicate(&crash("strategy: ip_hash"), 20);
    assert_matches(
        "share of users logging in again, ip_hash, crash and return",
        &runs,
        |r| r.sessions.relogins as f64 / users,
        2.0 / m,
        0.05,
    );
    // A cookie moves them once: they stay where they went.
    let runs = replicate(&crash("strategy: random\n    sticky: cookie"), 20);
    assert_matches(
        "share of users logging in again, sticky cookie, crash and return",
        &runs,
        |r| r.sessions.relogins as f64 / users,
        1.0 / m,
        0.05,
    );
    for run in &runs {
        // Users seen since the warm-up all logged in before it: no new visit.
        assert_eq!(run.sessions.logins, 0);
    }
}
