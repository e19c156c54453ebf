//! The floor: the lean loop of `mm4_lean.rs`, making the calls to
//! scalesim's recording that a scalesim run makes for each customer.
//!
//! No scenario, no components, no messages, no dispatch: whatever an engine
//! specialised for this one model did, it could not do less than this and
//! still report what `scalesim run` reports. What it adds to the lean loop:
//!
//! - each customer's work drawn from a seed of its own, as scalesim's
//!   stations draw it (what keeps random numbers common between scenarios);
//! - the figures of a run: scalesim's `Recorder` (HDR histograms of latency
//!   and wait, the time series, the SLO windows, the counters), the
//!   station's `Presence` (the terms of Little's law) and the time averages
//!   of busy cores and queue length, and the summary at the end.
//!
//! It writes no results, draws no charts and reads no YAML, so its whole
//! process is a lower bound of scalesim's. `benches/peers/run.sh` measures
//! it beside the others; docs/performance.md says what it shows.
//!
//! Usage: `mm4-floor [CUSTOMERS] [SEED]`

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Exp1};
use rand_xoshiro::Xoshiro256PlusPlus;
use scalesim::engine::{request_rng, SimTime};
use scalesim::metrics::{Ending, Presence, Recorder, RunInfo, Slo, TimeAverage, Window};
use scalesim_peers::{main_with, Outcome, Params, ARRIVAL_RATE, MEAN_SERVICE_S, SERVERS};

/// Low bits of a sequence number that say what the event is (see `mm4_lean.rs`).
const TAG_BITS: u32 = 3;
/// The tag of an arrival.
const ARRIVAL: u64 = 4;

/// Returns the heap key of an event at `at` [ns] with sequence number and tag `seq`.
fn key(at: u64, seq: u64) -> Reverse<u128> {
    Reverse(u128::from(at) << 64 | u128::from(seq))
}

/// Draws an exponential duration of mean `mean_s` seconds from `rng` [ns].
fn draw_ns<R: rand::Rng>(rng: &mut R, mean_s: f64) -> u64 {
    let x: f64 = Exp1.sample(rng);
    (x * mean_s * 1e9).round() as u64
}

/// The figures scalesim keeps of a run of one station.
struct Figures {
    recorder: Recorder,
    presence: Presence,
    busy: TimeAverage,
    queued: TimeAverage,
}

impl Figures {
    /// Creates the figures of a run measured over `[0, end)`.
    fn new(end: SimTime) -> Self {
        let window = Window {
            start: SimTime::ZERO,
            end,
        };
        Self {
            recorder: Recorder::new(window, end, Slo::default()),
            presence: Presence::new(window),
            busy: TimeAverage::new(window),
            queued: TimeAverage::new(window),
        }
    }

    /// Notes a customer arriving at `now`.
    fn arrived(&mut self, now: SimTime) {
        let counted = self.recorder.counts_arrival(now);
        self.recorder.arrival(now, counted);
        self.recorder.attempt(counted);
        self.presence.enter(now);
    }

    /// Notes a customer that arrived at `arrival` and started at `started`
    /// leaving, served, at `now`.
    fn served(&mut self, now: SimTime, arrival: SimTime, started: SimTime) {
        self.presence.leave(now, arrival);
        let ending = Ending::Completed {
            latency: now - arrival,
            wait: started - arrival,
        };
        self.recorder.finished(true, 0, ending, now);
    }

    /// Sums the run up at `end`, as a scalesim run does.
    fn summarize(mut self, end: SimTime, seed: u64, served: u64) {
        black_box((
            self.busy.mean(end, end),
            self.queued.mean(end, end),
            self.presence.terms(end),
        ));
        black_box(self.recorder.summarize(RunInfo {
            scenario: "floor",
            seed,
            replication: 0,
            events: 2 * served,
            simulated: end,
            cost_per_hour: 0.0,
        }));
    }
}

/// Simulates `params.customers` customers and returns what they saw.
fn simulate(params: Params) -> Outcome {
    let start = Instant::now();
    let mut arrival_rng = Xoshiro256PlusPlus::seed_from_u64(params.seed);
    let mut seed_rng = Xoshiro256PlusPlus::seed_from_u64(params.seed ^ 0x9e37_79b9_7f4a_7c15);
    let mean_gap_s = 1.0 / ARRIVAL_RATE;
    // The measured window covers the whole run: arrivals end at about
    // customers / rate, and the queue drains soon after.
    let end = SimTime::from_secs_f64(params.customers as f64 / ARRIVAL_RATE * 1.1 + 3600.0);
    let mut figures = Figures::new(end);

    let mut heap: BinaryHeap<Reverse<u128>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<_>, at: u64, tag: u64| {
        heap.push(key(at, seq << TAG_BITS | tag));
        seq += 1;
    };
    // Waiting customers' (arrival time, seed); each server's (arrival, start).
    let mut waiting: VecDeque<(u64, u64)> = VecDeque::new();
    let mut serving = [(0u64, 0u64); SERVERS as usize];
    let mut idle: Vec<u64> = (0..u64::from(SERVERS)).rev().collect();
    let (mut arrived, mut served, mut total_response_ns) = (0u64, 0u64, 0u128);
    let work_ns = |seed: u64| draw_ns(&mut request_rng(seed), MEAN_SERVICE_S);

    push(&mut heap, draw_ns(&mut arrival_rng, mean_gap_s), ARRIVAL);
    while let Some(Reverse(k)) = heap.pop() {
        let (now, tag) = ((k >> 64) as u64, k as u64 & ((1 << TAG_BITS) - 1));
        let t = SimTime(now);
        if tag == ARRIVAL {
            arrived += 1;
            let seed: u64 = seed_rng.random();
            figures.arrived(t);
            match idle.pop() {
                Some(server) => {
                    serving[server as usize] = (now, now);
                    figures.busy.set(t, figures.busy.value() + 1);
                    push(&mut heap, now + work_ns(seed), server);
                }
                None => {
                    waiting.push_back((now, seed));
                    figures.queued.set(t, waiting.len() as u64);
                }
            }
            if arrived < params.customers {
                let next = now + draw_ns(&mut arrival_rng, mean_gap_s);
                push(&mut heap, next, ARRIVAL);
            }
        } else {
            served += 1;
            let (arrival, started) = serving[tag as usize];
            total_response_ns += u128::from(now - arrival);
            figures.served(t, SimTime(arrival), SimTime(started));
            match waiting.pop_front() {
                Some((next, seed)) => {
                    serving[tag as usize] = (next, now);
                    figures.queued.set(t, waiting.len() as u64);
                    push(&mut heap, now + work_ns(seed), tag);
                }
                None => {
                    idle.push(tag);
                    figures.busy.set(t, figures.busy.value() - 1);
                }
            }
        }
    }
    figures.summarize(end, params.seed, served);
    Outcome {
        customers: served,
        total_response_s: total_response_ns as f64 / 1e9,
        sim_time: start.elapsed(),
    }
}

fn main() -> ExitCode {
    main_with("floor (lean loop + recording)", simulate)
}
