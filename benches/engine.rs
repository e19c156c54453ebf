//! Benchmark: the speed of the event engine on the M/M/4 queue.
//!
//! This benchmark measures:
//! - the full pipeline: load `benches/mm4.yaml` and run `runner::simulate`
//!   (about 1,000,000 customers, about 2 events each: the call and the end
//!   of service, plus one arrival timer per 64 customers; the answer ends
//!   the request without an event of its own);
//! - a minimal hand-written M/M/4 event loop of the same model (a binary heap
//!   of `(time, seq, kind)` events, 2 events per customer), the floor that
//!   shows what the generic engine costs.
//!
//! ```text
//!   cargo bench --bench engine              criterion, 10 samples each, then the table
//!   cargo bench --bench engine -- --table   the table only (benches/run-engine.sh)
//! ```
//!
//! The table gives, for the fastest of a few runs of each: wall time, CPU time
//! of the thread (Linux), events, customers, events/s, customers/s, the mean
//! response time beside Erlang C, and the ratios full / minimal. Events are not
//! the same unit in both (2.02 per customer against 2), so customers/s is the
//! like-for-like comparison.

// A benchmark is not user-facing: a broken model file should stop it loudly.
#![allow(clippy::expect_used)]

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};
use rand_xoshiro::Xoshiro256PlusPlus;
use scalesim::engine::Event;
use scalesim::model::Msg;
use scalesim::{runner, scenario};

/// The scenario file of the full pipeline.
const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/mm4.yaml");

/// Arrival rate of the model [1/s], as in `mm4.yaml`.
const ARRIVAL_RATE: f64 = 3.6;
/// Mean service time [s], as in `mm4.yaml`.
const MEAN_SERVICE_S: f64 = 1.0;
/// Servers, as in `mm4.yaml`.
const SERVERS: u32 = 4;
/// Runs of each variant in the table; the fastest one is shown.
const TABLE_RUNS: usize = 3;

/// What one run produced.
#[derive(Clone, Copy, Debug)]
struct Outcome {
    events: u64,
    customers: u64,
    mean_response_s: f64,
}

/// Loads the scenario file and runs one replication through the library.
fn full_pipeline() -> Outcome {
    let scenario = scenario::load(Path::new(MODEL), &[]).expect("benches/mm4.yaml is valid");
    let summary = runner::simulate(&scenario, 0);
    Outcome {
        events: summary.events,
        customers: summary.requests.completed,
        mean_response_s: summary.latency_ms.mean / 1e3,
    }
}

/// Returns the simulated horizon of the model file [ns].
fn model_horizon_ns() -> u64 {
    let scenario = scenario::load(Path::new(MODEL), &[]).expect("benches/mm4.yaml is valid");
    scenario.duration.0
}

/// An event of the minimal loop. The order of the variants does not matter:
/// `(time, seq)` is already a total order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Arrival,
    /// End of service of the customer who arrived at this time [ns].
    Departure(u64),
}

/// A minimal M/M/4 simulation: arrivals until `horizon_ns`, then it drains.
fn minimal_loop(horizon_ns: u64, seed: u64) -> Outcome {
    let mut arrival_rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut service_rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15);
    let draw_ns = |rng: &mut Xoshiro256PlusPlus, mean_s: f64| -> u64 {
        let x: f64 = Exp1.sample(rng);
        (x * mean_s * 1e9).round() as u64
    };
    let mean_gap_s = 1.0 / ARRIVAL_RATE;

    let mut heap: BinaryHeap<Reverse<(u64, u64, Kind)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<_>, at: u64, kind: Kind| {
        heap.push(Reverse((at, seq, kind)));
        seq += 1;
    };
    let mut waiting: VecDeque<u64> = VecDeque::new();
    let mut busy = 0u32;
    let (mut events, mut customers, mut total_response_ns) = (0u64, 0u64, 0f64);

    let first = draw_ns(&mut arrival_rng, mean_gap_s);
    if first < horizon_ns {
        push(&mut heap, first, Kind::Arrival);
    }
    while let Some(Reverse((now, _, kind))) = heap.pop() {
        events += 1;
        match kind {
            Kind::Arrival => {
                if busy < SERVERS {
                    busy += 1;
                    let done = now + draw_ns(&mut service_rng, MEAN_SERVICE_S);
                    push(&mut heap, done, Kind::Departure(now));
                } else {
                    waiting.push_back(now);
                }
                let next = now + draw_ns(&mut arrival_rng, mean_gap_s);
                if next < horizon_ns {
                    push(&mut heap, next, Kind::Arrival);
                }
            }
            Kind::Departure(arrived) => {
                customers += 1;
                total_response_ns += (now - arrived) as f64;
                match waiting.pop_front() {
                    Some(next) => {
                        let done = now + draw_ns(&mut service_rng, MEAN_SERVICE_S);
                        push(&mut heap, done, Kind::Departure(next));
                    }
                    None => busy -= 1,
                }
            }
        }
    }
    Outcome {
        events,
        customers,
        mean_response_s: total_response_ns / customers.max(1) as f64 / 1e9,
    }
}

/// Mean response time of the M/M/c queue from the Erlang C formula [s].
fn erlang_c_response_s(arrival_rate: f64, mean_service_s: f64, servers: u32) -> f64 {
    let a = arrival_rate * mean_service_s;
    let c = f64::from(servers);
    let rho = a / c;
    let mut term = 1.0;
    let mut below = 0.0;
    for k in 0..servers {
        if k > 0 {
            term *= a / f64::from(k);
        }
        below += term;
    }
    let top = term * a / c / (1.0 - rho);
    let p_wait = top / (below + top);
    mean_service_s + p_wait * mean_service_s / (c - a)
}

/// Returns the CPU time used so far by the calling thread, where Linux tells it.
fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// One timed run: wall time, CPU time of the thread (if known), outcome.
#[derive(Clone, Copy, Debug)]
struct Timed {
    wall: Duration,
    cpu: Option<Duration>,
    outcome: Outcome,
}

impl Timed {
    /// Returns events per second of wall time.
    fn events_per_s(&self) -> f64 {
        self.outcome.events as f64 / self.wall.as_secs_f64()
    }

    /// Returns customers per second of wall time.
    fn customers_per_s(&self) -> f64 {
        self.outcome.customers as f64 / self.wall.as_secs_f64()
    }

    /// Returns customers per second of CPU time.
    fn customers_per_cpu_s(&self) -> Option<f64> {
        Some(self.outcome.customers as f64 / self.cpu?.as_secs_f64())
    }
}

/// Runs `run` `TABLE_RUNS` times and returns the run with the shortest wall time.
fn best_of(run: impl Fn() -> Outcome) -> Timed {
    (0..TABLE_RUNS)
        .map(|_| {
            let (cpu0, start) = (thread_cpu_time(), Instant::now());
            let outcome = black_box(run());
            let wall = start.elapsed();
            let cpu = thread_cpu_time()
                .zip(cpu0)
                .map(|(b, a)| b.saturating_sub(a));
            Timed { wall, cpu, outcome }
        })
        .min_by_key(|t| t.wall)
        .expect("at least one run")
}

/// Prints the comparison table of the full pipeline and the minimal loop.
fn print_table() {
    let horizon = model_horizon_ns();
    let full = best_of(full_pipeline);
    let minimal = best_of(|| minimal_loop(horizon, 1));
    let ms =
        |d: Option<Duration>| d.map_or("n/a".into(), |d| format!("{:.1}", d.as_secs_f64() * 1e3));
    println!();
    println!(
        "M/M/4, rho = 0.9, {:.0} s simulated (fastest of {TABLE_RUNS} runs; rates per second of wall time)",
        horizon as f64 / 1e9
    );
    println!(
        "{:<14} {:>9} {:>9} {:>10} {:>10} {:>12} {:>12} {:>11}",
        "variant",
        "wall ms",
        "cpu ms",
        "events",
        "customers",
        "events/s",
        "customers/s",
        "mean resp s"
    );
    for (name, t) in [("full pipeline", &full), ("minimal loop", &minimal)] {
        println!(
            "{:<14} {:>9.1} {:>9} {:>10} {:>10} {:>12.3e} {:>12.3e} {:>11.4}",
            name,
            t.wall.as_secs_f64() * 1e3,
            ms(t.cpu),
            t.outcome.events,
            t.outcome.customers,
            t.events_per_s(),
            t.customers_per_s(),
            t.outcome.mean_response_s,
        );
    }
    println!(
        "Erlang C mean response: {:.4} s",
        erlang_c_response_s(ARRIVAL_RATE, MEAN_SERVICE_S, SERVERS)
    );
    println!(
        "event size: full {} bytes (its heap sifts small keys; the message stays put), minimal {} bytes (sifted whole)",
        std::mem::size_of::<Event<Msg>>(),
        std::mem::size_of::<Reverse<(u64, u64, Kind)>>()
    );
    let by_cpu = full
        .customers_per_cpu_s()
        .zip(minimal.customers_per_cpu_s())
        .map_or("n/a".into(), |(f, m)| format!("{:.2}", f / m));
    println!(
        "ratio full/minimal: events/s {:.2} (target: at least 0.50), \
         customers/s {:.2} (by cpu time: {by_cpu})",
        full.events_per_s() / minimal.events_per_s(),
        full.customers_per_s() / minimal.customers_per_s(),
    );
    println!(
        "(the full pipeline handles 2.02 events per customer and the minimal loop 2, \
         so customers/s is the like-for-like ratio)"
    );
}

/// Runs both variants under criterion, reporting customers per second.
fn bench(c: &mut Criterion) {
    let horizon = model_horizon_ns();
    let customers = full_pipeline().customers;
    let mut group = c.benchmark_group("mm4");
    group.sample_size(10);
    // Each iteration takes a fraction of a second: flat sampling suits long runs.
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(customers));
    group.bench_function("full_pipeline", |b| b.iter(full_pipeline));
    group.bench_function("minimal_loop", |b| {
        b.iter(|| minimal_loop(black_box(horizon), 1))
    });
    group.finish();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--table") {
        print_table();
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
    // Under `cargo test --benches` criterion runs each benchmark once; the
    // table is for real benchmark runs only.
    if args.iter().any(|a| a == "--bench") {
        print_table();
    }
}
