//! Property tests that drive whole runs: random valid scenarios (a DNS,
//! balancers, servers, caches, databases, call groups with guarded edges,
//! failures, retries) are loaded and simulated
//! under small guard rails. Whatever the architecture, a run must load, end
//! within its event budget without a panic, stay under its in-flight cap, and
//! account for every request it was offered.

use std::fmt::Write;

use proptest::prelude::*;
use scalesim::metrics::{RunSummary, StopReason};
use scalesim::runner::{simulate_guarded, Limits};
use scalesim::scenario::load_text;

/// Events one run may handle: enough to cross warm-ups and failures.
const MAX_EVENTS: u64 = 60_000;
/// Requests (and the state kept for them) one run may hold.
const MAX_IN_FLIGHT: usize = 5_000;

/// A random architecture, rendered as a scenario file.
#[derive(Clone, Debug)]
struct Architecture {
    rate: u32,
    constant: bool,
    timeout_ms: Option<u32>,
    retries: u32,
    keys: Option<(u32, f64)>,
    write_weight: u32,
    duration_s: u32,
    balancer: Option<(usize, usize, bool)>,
    servers: (u32, u32, u32, usize, Option<u32>),
    cache: Option<(u32, u32, usize)>,
    database: Option<(usize, u32, u32, usize)>,
    failures: Vec<(usize, u32, u32)>,
    /// A DNS in front: strategy, TTL in seconds, lookup time in ms, health checks.
    dns: Option<(usize, u32, u32, bool)>,
    /// Services the server also calls in a parallel group, and the first one's edge.
    services: Option<Services>,
}

/// A parallel group of services called by the server, and the resilience of
/// its edge to the first one.
#[derive(Clone, Debug)]
struct Services {
    count: u32,
    /// 0: all, 1: any, 2: a number.
    wait: u32,
    timeout_ms: Option<u32>,
    retries: u32,
    bulkhead: Option<u32>,
    breaker: bool,
    degrade: bool,
    nested: bool,
}

fn services() -> impl Strategy<Value = Services> {
    (
        2u32..5,
        0u32..3,
        prop::option::of(1u32..200),
        0u32..3,
        prop::option::of(1u32..20),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(count, wait, timeout_ms, retries, bulkhead, breaker, degrade, nested)| Services {
                count,
                wait,
                timeout_ms,
                retries,
                bulkhead,
                breaker,
                degrade,
                nested,
            },
        )
}

impl Services {
    /// The group, as a step of `calls:`.
    fn group(&self) -> String {
        let mut names: Vec<String> = (0..self.count).map(|i| format!("svc{i}")).collect();
        if self.nested {
            // The last two services as a sequence inside the group.
            let last = names.pop().unwrap_or_default();
            let before = names.pop().unwrap_or_default();
            names.push(format!("[{before}, {last}]"));
        }
        let wait = match self.wait {
            0 => "all".to_string(),
            1 => "any".to_string(),
            _ => names.len().min(2).to_string(),
        };
        format!("{{parallel: [{}], wait: {wait}}}", names.join(", "))
    }

    /// The edge to the first service, if it has any setting.
    fn edge(&self) -> Option<String> {
        let mut fields = Vec::new();
        if let Some(t) = self.timeout_ms {
            fields.push(format!("timeout: {t}ms"));
        }
        if self.retries > 0 {
            fields.push(format!(
                "retries: {}, backoff: {{base: 5ms, max: 50ms}}",
                self.retries
            ));
        }
        if let Some(b) = self.bulkhead {
            fields.push(format!("bulkhead: {b}"));
        }
        if self.breaker {
            fields.push(
                "circuit_breaker: {failure_rate: 50%, window: 10, open_for: 200ms, half_open_calls: 2}"
                    .into(),
            );
        }
        if self.degrade {
            fields.push("fallback: degrade".into());
        }
        (!fields.is_empty()).then(|| format!("{{svc0: {{{}}}}}", fields.join(", ")))
    }
}

const STRATEGIES: &[&str] = &[
    "round_robin",
    "random",
    "least_connections",
    "power_of_two",
    "ip_hash",
    "least_loaded",
];
const HA: &[&str] = &["none", "active_passive", "active_active"];
const LAWS: &[&str] = &[
    "exponential",
    "deterministic",
    "{lognormal: {cv: 1.5}}",
    "{gamma: {cv: 0.5}}",
];
const EVICTIONS: &[&str] = &["lru", "lfu", "fifo", "random"];
const REPLICATION: &[&str] = &["async", "semi_sync", "sync"];
const ANSWERS: &[&str] = &["round_robin", "failover", "weighted"];

fn architecture() -> impl Strategy<Value = Architecture> {
    (
        (
            1u32..3000,
            any::<bool>(),
            prop::option::of(5u32..3000),
            0u32..3,
        ),
        (
            prop::option::of((1u32..5000, 0.3f64..1.6)),
            0u32..4,
            1u32..20,
        ),
        prop::option::of((0..STRATEGIES.len(), 0..HA.len(), any::<bool>())),
        (
            1u32..6,
            1u32..5,
            1u32..20,
            0..LAWS.len(),
            prop::option::of(0u32..50),
        ),
        prop::option::of((1u32..4, 10u32..2000, 0..EVICTIONS.len())),
        prop::option::of((0..REPLICATION.len(), 0u32..3, 1u32..4, 0usize..2)),
        prop::collection::vec((0usize..6, 0u32..100, 1u32..100), 0..4),
        prop::option::of((0..ANSWERS.len(), 0u32..30, 0u32..50, any::<bool>())),
        prop::option::of(services()),
    )
        .prop_map(
            |(
                (rate, constant, timeout_ms, retries),
                (keys, write_weight, duration_s),
                balancer,
                servers,
                cache,
                database,
                failures,
                dns,
                services,
            )| Architecture {
                rate,
                constant,
                timeout_ms,
                retries,
                keys,
                write_weight,
                duration_s,
                balancer,
                servers,
                cache,
                database,
                failures,
                dns,
                services,
            },
        )
}

impl Architecture {
    /// Renders the architecture as a scenario file.
    fn yaml(&self) -> String {
        // Caches and sharded or replicated databases need keys.
        let needs_keys = self.cache.is_some()
            || self
                .database
                .is_some_and(|(_, replicas, shards, _)| replicas > 0 || shards > 1);
        let keys = self.keys.or(needs_keys.then_some((1000, 1.0)));
        let mut y = String::new();
        let _ = writeln!(y, "name: fuzzed\nseed: 7\nduration: {}s", self.duration_s);
        let _ = writeln!(y, "warmup: {}ms", self.duration_s * 100);
        let _ = write!(y, "traffic:\n  rate: {}/s\n", self.rate);
        if self.constant {
            y.push_str("  arrivals: constant\n");
        }
        if let Some(t) = self.timeout_ms {
            let _ = writeln!(y, "  timeout: {t}ms");
        }
        if self.retries > 0 {
            let _ = writeln!(y, "  retries: {}", self.retries);
        }
        if let Some((count, s)) = keys {
            let _ = writeln!(y, "  keys: {{count: {count}, popularity: zipf, s: {s:.2}}}");
        }
        let _ = writeln!(
            y,
            "  requests: {{read: {{weight: 5}}, write: {{weight: {}, op: write}}}}",
            self.write_weight
        );
        let (replicas, cores, work, law, queue) = self.servers;
        let front = if self.balancer.is_some() { "lb" } else { "web" };
        let entry = if self.dns.is_some() { "dns" } else { front };
        let _ = writeln!(y, "entry: {entry}\ncomponents:");
        if let Some((answers, ttl, resolve, health)) = self.dns {
            let _ = write!(
                y,
                "  dns: {{kind: dns, strategy: {}, targets: [{front}], ttl: {ttl}s, resolve: {resolve}ms",
                ANSWERS[answers]
            );
            if answers == 2 {
                let _ = write!(y, ", weights: {{{front}: 2}}");
            }
            if health {
                y.push_str(", health_check: {interval: 1s, unhealthy_after: 2}");
            }
            y.push_str("}\n");
        }
        if let Some((strategy, ha, health)) = self.balancer {
            let _ = write!(
                y,
                "  lb: {{kind: load_balancer, strategy: {}, ha: {}, targets: web",
                STRATEGIES[strategy], HA[ha]
            );
            if health {
                y.push_str(", health_check: {interval: 1s, timeout: 200ms}");
            }
            y.push_str("}\n");
        }
        let group = self.services.as_ref().map(Services::group);
        let calls: Vec<&str> = [
            self.cache.map(|_| "cache"),
            self.database.map(|_| "db").filter(|_| self.cache.is_none()),
            group.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let _ = write!(
            y,
            "  web: {{kind: server, replicas: {replicas}, cores: {cores}, work: {work}ms, service: {}",
            LAWS[law]
        );
        match queue {
            Some(q) => {
                let _ = write!(y, ", queue: {q}");
            }
            None => y.push_str(", queue: unbounded"),
        }
        if !calls.is_empty() {
            let _ = write!(y, ", calls: [{}]", calls.join(", "));
        }
        if let Some(edge) = self.services.as_ref().and_then(Services::edge) {
            let _ = write!(y, ", edges: {edge}");
        }
        y.push_str("}\n");
        if let Some(services) = &self.services {
            for i in 0..services.count {
                let _ = writeln!(
                    y,
                    "  svc{i}: {{kind: server, cores: 2, work: {}ms, queue: 20}}",
                    1 + i * 3
                );
            }
        }
        let backend = if self.database.is_some() {
            "db"
        } else {
            "store"
        };
        if let Some((nodes, capacity, eviction)) = self.cache {
            let _ = writeln!(
                y,
                "  cache: {{kind: cache, replicas: {nodes}, capacity: {capacity}, eviction: {}, backend: {backend}}}",
                EVICTIONS[eviction]
            );
            if self.database.is_none() {
                y.push_str("  store: {kind: database}\n");
            }
        }
        if let Some((replication, read_replicas, shards, by)) = self.database {
            let _ = writeln!(
                y,
                "  db: {{kind: database, cores: 2, read_replicas: {read_replicas}, replication: {}, \
                 lag: 5ms, election: 1s, shards: {shards}, by: {}}}",
                REPLICATION[replication],
                ["hash", "range"][by]
            );
        }
        let targets = ["web", "lb", "cache", "db", "web", "svc0"];
        let mut failures = Vec::new();
        for &(target, at, down) in &self.failures {
            let name = targets[target];
            let present = match name {
                "lb" => self.balancer.is_some(),
                "cache" => self.cache.is_some(),
                "db" => self.database.is_some(),
                "svc0" => self.services.is_some(),
                _ => true,
            };
            if !present {
                continue;
            }
            // Strictly inside the run, as a file that means it would be.
            let at_ms = u64::from(self.duration_s) * 10 * u64::from(at.min(99)) + 1;
            if target == 4 {
                failures.push(format!(
                    "  - {{at: {at_ms}ms, slow: web, factor: {}, for: {down}00ms}}",
                    1 + down % 5
                ));
            } else {
                failures.push(format!(
                    "  - {{at: {at_ms}ms, crash: {name}, for: {down}00ms}}"
                ));
            }
        }
        if !failures.is_empty() {
            let _ = writeln!(y, "failures:\n{}", failures.join("\n"));
        }
        y
    }
}

/// Checks what every run must satisfy, whatever the architecture, under a
/// budget of `max_events` and a cap of `max_in_flight`.
pub fn check(run: &RunSummary, max_events: u64, max_in_flight: usize) -> Result<(), String> {
    let c = run.requests;
    if run.events > max_events {
        return Err(format!("{} events, past the budget", run.events));
    }
    let accounted = c.completed + c.rejected + c.timed_out + c.failed + c.unfinished;
    if accounted != c.offered {
        return Err(format!(
            "offered {} but accounted {accounted}: {c:?}",
            c.offered
        ));
    }
    if !(0.0..=1.0).contains(&run.availability) {
        return Err(format!("availability {}", run.availability));
    }
    let l = run.latency_ms;
    let ordered = [l.p50, l.p90, l.p99, l.p999, l.max];
    if ordered.windows(2).any(|w| w[0] > w[1] + 1e-9) || ordered.iter().any(|v| *v < 0.0) {
        return Err(format!("latency percentiles out of order: {l:?}"));
    }
    for comp in &run.components {
        if !(comp.utilization >= -1e-9 && comp.utilization <= 1.0 + 1e-9) {
            return Err(format!("{} utilisation {}", comp.name, comp.utilization));
        }
    }
    // The cap is looked at every few thousand events: what a run holds when
    // it stops may pass it by what those events brought in, not by more.
    if run
        .truncated
        .is_some_and(|t| t.reason == StopReason::MaxInFlight)
        && c.unfinished as usize > 10 * max_in_flight
    {
        return Err(format!("{} requests unfinished past the cap", c.unfinished));
    }
    Ok(())
}

/// Loads `yaml`, which must be valid, runs it under a budget of
/// `max_events` and a cap of `max_in_flight`, and checks what every run
/// must satisfy; a failure names the file.
pub fn run_checked(yaml: &str, max_events: u64, max_in_flight: usize) -> Result<(), TestCaseError> {
    let scenario = load_text(yaml, "fuzzed.yaml", &[])
        .map_err(|e| TestCaseError::fail(format!("a valid file was refused: {e}\n{yaml}")))?;
    let limits = Limits {
        max_events: Some(max_events),
        max_wall: None,
        max_in_flight,
    };
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        simulate_guarded(&scenario, 0, &limits, None)
    }))
    .map_err(|_| TestCaseError::fail(format!("the run panicked\n{yaml}")))?;
    check(&run, max_events, max_in_flight).map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))
}

proptest! {
    #![proptest_config(super::config_with(200))]

    #[test]
    fn random_architectures_run_within_their_guard_rails(arch in architecture()) {
        run_checked(&arch.yaml(), MAX_EVENTS, MAX_IN_FLIGHT)?;
    }
}
