//! The M/M/4 model written with SimCore (<https://crates.io/crates/simcore>),
//! in the style of its examples: components hold their `SimulationContext`,
//! are registered as event handlers, emit events through the context and
//! match them with `cast!`.
//!
//! ```text
//!   Source ──Arrival──> Server (4 servers, FIFO) ──Departure (to itself)
//!     └─Generate (to itself, once per AHEAD arrivals)
//! ```
//!
//! - `Source` draws the gaps between arrivals and schedules them `AHEAD` at a
//!   time with `emit_ordered`, which SimCore's performance example recommends
//!   for events emitted in time order (they go to a FIFO, not the heap), and
//!   wakes itself when the last one is due. scalesim's clients do the same
//!   (64 arrivals ahead, in a FIFO of their own), so both handle about two
//!   events per customer: its arrival and its departure.
//! - `Server` keeps the number of busy servers, a FIFO of the arrival times of
//!   waiting customers and a running sum of response times; the end of each
//!   service is an event it emits to itself (through the heap).
//! - Every draw comes from SimCore's simulation-wide generator (PCG64, seeded
//!   by `Simulation::new`), through `SimulationContext::sample_from_distribution`.
//!
//! Usage: `mm4-simcore [CUSTOMERS] [SEED]`

use std::cell::RefCell;
use std::collections::VecDeque;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use rand_distr_04::Exp;
use scalesim_peers::{main_with, Outcome, Params, ARRIVAL_RATE, MEAN_SERVICE_S, SERVERS};
use serde::Serialize;
use simcore::{cast, Event, EventHandler, Id, Simulation, SimulationContext};

/// Arrivals the source schedules at a time, as scalesim's clients do.
const AHEAD: u64 = 64;

/// Tells the source to schedule its next arrivals.
#[derive(Clone, Serialize)]
struct Generate {}

/// A customer arrives at the server (at the event's time).
#[derive(Clone, Serialize)]
struct Arrival {}

/// A server ends the service of the customer who arrived at `arrived` [s].
#[derive(Clone, Serialize)]
struct Departure {
    arrived: f64,
}

/// Poisson arrivals, sent to the server.
struct Source {
    ctx: SimulationContext,
    server: Id,
    gap: Exp<f64>,
    /// Arrivals still to schedule.
    remaining: u64,
    /// Time of the last arrival scheduled [s].
    last: f64,
}

impl Source {
    /// Schedules the next `AHEAD` arrivals, and a wake-up at the last of them.
    fn schedule_arrivals(&mut self) {
        let now = self.ctx.time();
        for _ in 0..AHEAD.min(self.remaining) {
            self.last += self.ctx.sample_from_distribution(&self.gap);
            self.ctx
                .emit_ordered(Arrival {}, self.server, self.last - now);
            self.remaining -= 1;
        }
        if self.remaining > 0 {
            self.ctx.emit_ordered_self(Generate {}, self.last - now);
        }
    }
}

impl EventHandler for Source {
    fn on(&mut self, event: Event) {
        cast!(match event.data {
            Generate {} => {
                self.schedule_arrivals()
            }
        })
    }
}

/// Four servers and a FIFO of waiting customers.
struct Server {
    ctx: SimulationContext,
    service: Exp<f64>,
    busy: u32,
    /// Arrival times of the waiting customers [s].
    waiting: VecDeque<f64>,
    served: u64,
    total_response_s: f64,
}

impl Server {
    /// Starts serving the customer who arrived at `arrived` [s].
    fn start_service(&mut self, arrived: f64) {
        let duration = self.ctx.sample_from_distribution(&self.service);
        self.ctx.emit_self(Departure { arrived }, duration);
    }
}

impl EventHandler for Server {
    fn on(&mut self, event: Event) {
        cast!(match event.data {
            Arrival {} => {
                if self.busy < SERVERS {
                    self.busy += 1;
                    self.start_service(event.time);
                } else {
                    self.waiting.push_back(event.time);
                }
            }
            Departure { arrived } => {
                self.served += 1;
                self.total_response_s += event.time - arrived;
                match self.waiting.pop_front() {
                    Some(next) => self.start_service(next),
                    None => self.busy -= 1,
                }
            }
        })
    }
}

/// Simulates `params.customers` customers and returns what they saw.
fn simulate(params: Params) -> Outcome {
    let start = Instant::now();
    let mut sim = Simulation::new(params.seed);
    let server = Rc::new(RefCell::new(Server {
        ctx: sim.create_context("server"),
        service: Exp::new(1.0 / MEAN_SERVICE_S).expect("a positive rate"),
        busy: 0,
        waiting: VecDeque::new(),
        served: 0,
        total_response_s: 0.0,
    }));
    let server_id = sim.add_handler("server", server.clone());
    let source = Rc::new(RefCell::new(Source {
        ctx: sim.create_context("source"),
        server: server_id,
        gap: Exp::new(ARRIVAL_RATE).expect("a positive rate"),
        remaining: params.customers,
        last: 0.0,
    }));
    sim.add_handler("source", source.clone());

    source.borrow_mut().schedule_arrivals();
    sim.step_until_no_events();

    let server = server.borrow();
    Outcome {
        customers: server.served,
        total_response_s: server.total_response_s,
        sim_time: start.elapsed(),
    }
}

fn main() -> ExitCode {
    // Cargo.toml pins simcore to this version.
    main_with("SimCore 0.1.0", simulate)
}
