//! Property tests that drive whole runs through the newer kinds: a reverse
//! proxy (firewall, auth, a token bucket per user or global), users with an
//! activity law, sessions (local, sticky or in a store), an autoscaled group,
//! a function, a queue with its workers (either delivery, crashes and failing
//! jobs) and a cron batch, or a closed loop of users instead of open
//! arrivals. Every run must load, end within its event budget without a
//! panic, stay under its in-flight cap, and account for every request, as in
//! `runs.rs`.

use std::fmt::Write;

use proptest::prelude::*;

/// Events one run may handle.
const MAX_EVENTS: u64 = 60_000;
/// Requests (and the state kept for them) one run may hold.
const MAX_IN_FLIGHT: usize = 5_000;

/// A random architecture of the edge, asynchronous and elastic kinds.
#[derive(Clone, Debug)]
struct Edge {
    /// Open arrivals per second, or a closed loop of this many users.
    rate: u32,
    closed: bool,
    timeout_ms: Option<u32>,
    retries: u32,
    /// Users, and whether their activity is Zipf.
    users: (u32, bool),
    /// Shares of hostile and unauthenticated requests (out of 20).
    hostile: u32,
    anonymous: u32,
    duration_s: u32,
    /// The proxy: firewall, auth work in ms, and a rate limit.
    proxy: Option<(bool, Option<u32>, Option<Limit>)>,
    /// Sessions: 0 local, 1 local behind sticky cookies, 2 in a store; the
    /// miss policy (relogin or error).
    sessions: Option<(usize, bool)>,
    /// Autoscaling: min, max, metric, boot in ms.
    autoscale: Option<(u32, u32, usize, u32)>,
    /// A function called by the server: work in ms, cold start in ms,
    /// keep-alive in s, concurrency.
    function: Option<(u32, u32, u32, u32)>,
    /// A queue the server publishes to: delivery, visibility in ms, max
    /// deliveries, workers, the workers' failing share (out of 10), a cron batch.
    queue: Option<(bool, u32, u32, u32, u32, bool)>,
    /// A crash of one part (0 web, 1 worker, 2 proxy) at a share of the run.
    crash: Option<(usize, u32, u32)>,
}

/// A token bucket: its rate per second, its burst, and whether it is per user.
type Limit = (u32, u32, bool);

const METRICS: &[&str] = &["cpu", "queue", "p99", "rps"];
const TARGETS: &[&str] = &["60%", "4", "50ms", "100/s"];

fn edge() -> impl Strategy<Value = Edge> {
    (
        (
            1u32..2000,
            prop::bool::weighted(0.2),
            prop::option::of(5u32..2000),
            0u32..3,
        ),
        ((1u32..3000, any::<bool>()), 0u32..4, 0u32..4, 1u32..15),
        prop::option::of((
            any::<bool>(),
            prop::option::of(0u32..3),
            prop::option::of((1u32..500, 1u32..50, any::<bool>())),
        )),
        prop::option::of((0usize..3, any::<bool>())),
        prop::option::of((0u32..3, 1u32..6, 0..METRICS.len(), 0u32..3000)),
        prop::option::of((1u32..40, 0u32..500, 0u32..30, 1u32..50)),
        prop::option::of((
            any::<bool>(),
            1u32..2000,
            1u32..5,
            1u32..4,
            0u32..4,
            any::<bool>(),
        )),
        prop::option::of((0usize..3, 0u32..100, 1u32..50)),
    )
        .prop_map(
            |(
                (rate, closed, timeout_ms, retries),
                (users, hostile, anonymous, duration_s),
                proxy,
                sessions,
                autoscale,
                function,
                queue,
                crash,
            )| Edge {
                rate,
                closed,
                timeout_ms,
                retries,
                users,
                hostile,
                anonymous,
                duration_s,
                proxy,
                sessions,
                autoscale,
                function,
                queue,
                crash,
            },
        )
}

impl Edge {
    /// Renders the architecture as a scenario file.
    fn yaml(&self) -> String {
        let mut y = String::new();
        let _ = writeln!(
            y,
            "name: fuzzed edge\nseed: 11\nduration: {}s",
            self.duration_s
        );
        let _ = writeln!(y, "warmup: {}ms", self.duration_s * 100);
        self.traffic(&mut y);
        let entry = if self.proxy.is_some() { "edge" } else { "lb" };
        let _ = writeln!(y, "entry: {entry}");
        if let Some((_, _, _, _, _, true)) = self.queue {
            y.push_str("cron:\n  - {name: batch, every: 2s, first: 500ms, on: worker, work: 1s, parallel: 2}\n");
        }
        y.push_str("components:\n");
        self.proxy_part(&mut y);
        let sticky = matches!(self.sessions, Some((1, _)));
        let _ = writeln!(
            y,
            "  lb: {{kind: load_balancer, strategy: least_connections, targets: web{}}}",
            if sticky { ", sticky: cookie" } else { "" }
        );
        self.server(&mut y);
        if let Some((work, cold, keep, concurrency)) = self.function {
            let _ = writeln!(
                y,
                "  fn: {{kind: function, work: {work}ms, memory: 256MB, cold_start: {cold}ms, \
                 keep_alive: {keep}s, concurrency: {concurrency}}}"
            );
        }
        if let Some((at_least_once, visibility, max, workers, fail, _)) = self.queue {
            let delivery = if at_least_once {
                "at_least_once"
            } else {
                "at_most_once"
            };
            let _ = writeln!(
                y,
                "  jobs: {{kind: queue, capacity: 500, delivery: {delivery}, \
                 visibility_timeout: {visibility}ms, max_deliveries: {max}}}"
            );
            let _ = writeln!(
                y,
                "  worker: {{kind: server, consumes: jobs, replicas: {workers}, cores: 2, \
                 work: 5ms, fail: {}%}}",
                fail * 10
            );
        }
        if let Some((2, _)) = self.sessions {
            y.push_str("  store: {kind: cache, replicas: 2, capacity: 1000}\n");
        }
        self.failures(&mut y);
        y
    }

    fn traffic(&self, y: &mut String) {
        y.push_str("traffic:\n");
        if self.closed {
            let _ = writeln!(
                y,
                "  closed: {{users: {}, think: 100ms}}",
                self.rate.min(500)
            );
        } else {
            let _ = writeln!(y, "  rate: {}/s", self.rate);
            let (count, zipf) = self.users;
            if zipf {
                let _ = writeln!(y, "  users: {{count: {count}, activity: zipf, s: 0.9}}");
            } else {
                let _ = writeln!(y, "  users: {count}");
            }
        }
        if let Some(t) = self.timeout_ms {
            let _ = writeln!(y, "  timeout: {t}ms");
        }
        if self.retries > 0 {
            let _ = writeln!(y, "  retries: {}", self.retries);
        }
        let _ = write!(y, "  requests: {{page: {{weight: 20}}, buy: {{weight: 4}}");
        if self.hostile > 0 {
            let _ = write!(y, ", attack: {{weight: {}, hostile: true}}", self.hostile);
        }
        if self.anonymous > 0 {
            let _ = write!(
                y,
                ", anon: {{weight: {}, authenticated: false}}",
                self.anonymous
            );
        }
        y.push_str("}\n");
    }

    fn proxy_part(&self, y: &mut String) {
        let Some((firewall, auth, limit)) = self.proxy else {
            return;
        };
        let _ = write!(
            y,
            "  edge: {{kind: proxy, targets: lb, cores: 2, work: 0.2ms, firewall: {firewall}"
        );
        if let Some(work) = auth {
            let _ = write!(y, ", auth: {{work: {work}ms}}");
        }
        if let Some((rate, burst, per_user)) = limit {
            let per = if per_user { "user" } else { "global" };
            let _ = write!(
                y,
                ", rate_limit: {{rate: {rate}/s, burst: {burst}, per: {per}}}"
            );
        }
        y.push_str(", health_check: {interval: 1s, timeout: 200ms}}\n");
    }

    fn server(&self, y: &mut String) {
        let _ = write!(y, "  web: {{kind: server, cores: 2, work: 3ms, queue: 50");
        match self.autoscale {
            Some((min, extra, metric, boot)) => {
                let _ = write!(
                    y,
                    ", boot: {boot}ms, autoscale: {{min: {min}, max: {}, metric: {}, \
                     target: {}, interval: 1s}}",
                    min.max(1) + extra,
                    METRICS[metric],
                    TARGETS[metric]
                );
            }
            None => y.push_str(", replicas: 2"),
        }
        if let Some((kind, relogin)) = self.sessions {
            let keeper = if kind == 2 { "{store: store}" } else { "local" };
            let miss = if relogin { "relogin" } else { "error" };
            let _ = write!(
                y,
                ", sessions: {keeper}, session_miss: {miss}, login_work: 2ms, session_ttl: 5s"
            );
        }
        let mut calls = Vec::new();
        if self.function.is_some() {
            calls.push("fn");
        }
        if self.queue.is_some() {
            calls.push("jobs");
        }
        if !calls.is_empty() {
            let _ = write!(y, ", calls: {{buy: [{}]}}", calls.join(", "));
        }
        y.push_str("}\n");
    }

    fn failures(&self, y: &mut String) {
        let Some((part, at, down)) = self.crash else {
            return;
        };
        let name = match part {
            1 if self.queue.is_some() => "worker",
            2 if self.proxy.is_some() => "edge",
            _ => "web",
        };
        let at_ms = u64::from(self.duration_s) * 10 * u64::from(at.min(99)) + 1;
        let _ = writeln!(
            y,
            "failures:\n  - {{at: {at_ms}ms, crash: {name}, for: {down}00ms}}"
        );
    }
}

proptest! {
    #![proptest_config(super::config_with(150))]

    #[test]
    fn random_edge_and_async_architectures_run_within_their_guard_rails(arch in edge()) {
        super::runs::run_checked(&arch.yaml(), MAX_EVENTS, MAX_IN_FLIGHT)?;
    }
}
