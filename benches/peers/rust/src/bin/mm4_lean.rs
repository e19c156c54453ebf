//! The M/M/4 model as a lean, hand-written event loop: the floor that a
//! simulator of the same model can be measured against.
//!
//! - a `BinaryHeap` of `(time, sequence)` keys, two events per customer
//!   (arrival and departure), times in integer nanoseconds; each key is one
//!   `u128` (time in the high half), which compares without a branch and
//!   moves in one register (scalesim's heap keys do the same);
//! - `Xoshiro256PlusPlus` and `Exp1` for the draws, one stream for the gaps
//!   between arrivals and one for the service times;
//! - a FIFO of the arrival times of waiting customers, and for each of the
//!   four servers the arrival time of the customer it serves;
//! - a running sum of response times.
//!
//! ```text
//!   arrivals ──> [ FIFO ] ──> 4 servers ──> departures (response = now - arrival)
//! ```
//!
//! `benches/engine.rs` holds a close relative (its "minimal loop"), which runs
//! until a simulated horizon inside the benchmark harness; this one runs a
//! number of customers as a process of its own, as the other peers do.
//!
//! Usage: `mm4-lean [CUSTOMERS] [SEED]`

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::process::ExitCode;
use std::time::Instant;

use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};
use rand_xoshiro::Xoshiro256PlusPlus;
use scalesim_peers::{main_with, Outcome, Params, ARRIVAL_RATE, MEAN_SERVICE_S, SERVERS};

/// Low bits of a sequence number that say what the event is: a server's
/// index (0 to 3) for the end of its service, `ARRIVAL` for an arrival. The
/// sequence number above them keeps ties in the order they were scheduled.
const TAG_BITS: u32 = 3;
/// The tag of an arrival.
const ARRIVAL: u64 = 4;

/// Returns the heap key of an event at `at` [ns] with sequence number and tag `seq`.
fn key(at: u64, seq: u64) -> Reverse<u128> {
    Reverse(u128::from(at) << 64 | u128::from(seq))
}

/// Draws an exponential duration of mean `mean_s` seconds [ns].
fn draw_ns(rng: &mut Xoshiro256PlusPlus, mean_s: f64) -> u64 {
    let x: f64 = Exp1.sample(rng);
    (x * mean_s * 1e9).round() as u64
}

/// Simulates `params.customers` customers and returns what they saw.
fn simulate(params: Params) -> Outcome {
    let start = Instant::now();
    let mut arrival_rng = Xoshiro256PlusPlus::seed_from_u64(params.seed);
    let mut service_rng = Xoshiro256PlusPlus::seed_from_u64(params.seed ^ 0x9e37_79b9_7f4a_7c15);
    let mean_gap_s = 1.0 / ARRIVAL_RATE;

    let mut heap: BinaryHeap<Reverse<u128>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<_>, at: u64, tag: u64| {
        heap.push(key(at, seq << TAG_BITS | tag));
        seq += 1;
    };
    let mut waiting: VecDeque<u64> = VecDeque::new();
    // Arrival time of the customer each server serves, and the idle servers.
    let mut serving = [0u64; SERVERS as usize];
    let mut idle: Vec<u64> = (0..u64::from(SERVERS)).rev().collect();
    let (mut arrived, mut served, mut total_response_ns) = (0u64, 0u64, 0u128);

    push(&mut heap, draw_ns(&mut arrival_rng, mean_gap_s), ARRIVAL);
    while let Some(Reverse(k)) = heap.pop() {
        let (now, tag) = ((k >> 64) as u64, k as u64 & ((1 << TAG_BITS) - 1));
        if tag == ARRIVAL {
            arrived += 1;
            match idle.pop() {
                Some(server) => {
                    serving[server as usize] = now;
                    let done = now + draw_ns(&mut service_rng, MEAN_SERVICE_S);
                    push(&mut heap, done, server);
                }
                None => waiting.push_back(now),
            }
            if arrived < params.customers {
                let next = now + draw_ns(&mut arrival_rng, mean_gap_s);
                push(&mut heap, next, ARRIVAL);
            }
        } else {
            served += 1;
            total_response_ns += u128::from(now - serving[tag as usize]);
            match waiting.pop_front() {
                Some(next) => {
                    serving[tag as usize] = next;
                    let done = now + draw_ns(&mut service_rng, MEAN_SERVICE_S);
                    push(&mut heap, done, tag);
                }
                None => idle.push(tag),
            }
        }
    }
    Outcome {
        customers: served,
        total_response_s: total_response_ns as f64 / 1e9,
        sim_time: start.elapsed(),
    }
}

fn main() -> ExitCode {
    main_with("lean loop (Rust)", simulate)
}
