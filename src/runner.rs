//! Runs scenarios: builds the simulation of one replication, runs it, and
//! spreads many replications over threads.
//!
//! Only the scenario and the replication number cross threads; each run builds
//! its own simulation, and results are collected in input order, so they are
//! the same whatever the number of threads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::components::BuildContext;
use crate::engine::{stream_rng, ComponentId, SimTime, Simulation};
use crate::error::{Error, Result};
use crate::failures::Injector;
use crate::metrics::{Recorder, RunInfo, RunSummary, Window};
use crate::model::{Msg, World};
use crate::scenario::Scenario;
use crate::traffic::{Client, ClientStreams};

/// Runs replication `replication` of `scenario` and returns its figures.
pub fn simulate(scenario: &Scenario, replication: u64) -> RunSummary {
    let window = Window {
        start: scenario.warmup,
        end: scenario.duration,
    };
    let mut sim = build(scenario, replication, window);
    sim.start();
    sim.run_until(scenario.duration, |_| false);
    // Let requests in flight finish, but not forever: an overloaded system would
    // never drain. The cap is the client timeout or the measured window.
    let drain = scenario
        .traffic
        .timeout
        .unwrap_or(window.end - window.start);
    sim.run_until(scenario.duration + drain, |w| w.open == 0);
    sim.finish();
    let events = sim.events();
    let now = sim.now();
    let world = sim.shared;
    world.recorder.summarize(RunInfo {
        scenario: &scenario.name,
        seed: scenario.seed,
        replication,
        events,
        simulated: now.max(scenario.duration),
        cost_per_hour: cost_per_hour(scenario),
    })
}

/// Returns the price per hour of every machine of the scenario.
pub fn cost_per_hour(scenario: &Scenario) -> f64 {
    scenario
        .components
        .iter()
        .map(|c| c.spec.cost_per_hour())
        .sum()
}

/// Marks the moments a time series should show: the end of the warm-up and
/// every change of the arrival rate.
fn mark_schedule(scenario: &Scenario, recorder: &mut Recorder) {
    if scenario.warmup > SimTime::ZERO {
        recorder.mark(scenario.warmup, "end of warm-up");
    }
    for segment in scenario.traffic.schedule.iter().skip(1) {
        if segment.start < scenario.duration {
            let label = if segment.from == segment.to {
                format!("rate {:.0}/s", segment.from)
            } else {
                format!("ramp to {:.0}/s", segment.to)
            };
            recorder.mark(segment.start, label);
        }
    }
}

/// Builds the simulation of one replication: components in file order, then the clients.
pub fn build(scenario: &Scenario, replication: u64, window: Window) -> Simulation<Msg, World> {
    let n = scenario.components.len();
    let mut recorder = Recorder::new(window, scenario.duration, scenario.slo);
    mark_schedule(scenario, &mut recorder);
    let zone_names = scenario.zone_names();
    let zones = scenario
        .components
        .iter()
        .map(|c| {
            c.zones
                .iter()
                .map(|z| zone_names.iter().position(|n| n == z).unwrap_or(0) as u16)
                .collect()
        })
        .collect();
    let world = World::new(recorder, latency_matrix(scenario), n, zones);
    let mut sim = Simulation::new(world);
    for (index, decl) in scenario.components.iter().enumerate() {
        let bx = BuildContext {
            scenario,
            index,
            replication,
            window,
        };
        sim.add(decl.spec.build(&bx));
    }
    let streams = ClientStreams {
        arrivals: stream_rng(scenario.seed, replication, &["traffic", "arrivals"]),
        mix: stream_rng(scenario.seed, replication, &["traffic", "mix"]),
        users: stream_rng(scenario.seed, replication, &["traffic", "users"]),
        work: stream_rng(scenario.seed, replication, &["traffic", "work"]),
        retries: stream_rng(scenario.seed, replication, &["traffic", "retries"]),
        keys: stream_rng(scenario.seed, replication, &["traffic", "keys"]),
    };
    if !scenario.failures.is_empty() {
        sim.add(Box::new(Injector::new(scenario, replication)));
    }
    let entry = ComponentId(scenario.entry as u32);
    sim.add(Box::new(Client::new(
        &scenario.traffic,
        entry,
        scenario.duration,
        streams,
    )));
    sim
}

/// One-way latency between every pair of components: IPC on a shared host,
/// the network otherwise, and the per-link overrides last.
fn latency_matrix(scenario: &Scenario) -> Vec<SimTime> {
    let n = scenario.components.len();
    let mut matrix = vec![scenario.network.latency; n * n];
    for a in 0..n {
        for b in 0..n {
            let host_a = &scenario.components[a].host;
            if a == b || (host_a.is_some() && *host_a == scenario.components[b].host) {
                matrix[a * n + b] = scenario.network.ipc;
            }
        }
    }
    for &(a, b, latency) in &scenario.network.links {
        matrix[a * n + b] = latency;
        matrix[b * n + a] = latency;
    }
    matrix
}

/// How a batch of runs is carried out.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// Independent replications per scenario.
    pub replications: u64,
    /// Threads (0: all cores).
    pub jobs: usize,
    /// Whether to draw a progress bar on stderr (hidden anyway when stderr is not a terminal).
    pub progress: bool,
    /// Whether to keep each run's time series and latency distribution (sweeps drop
    /// them, so memory does not grow with the size of the grid).
    pub keep_series: bool,
}

/// Runs `replications` replications of every scenario on `jobs` threads (0: all cores).
///
/// Returns, for each scenario in order, its replications in order.
pub fn run_all(
    scenarios: &[Scenario],
    replications: u64,
    jobs: usize,
) -> Result<Vec<Vec<RunSummary>>> {
    run_batch(
        scenarios,
        RunOptions {
            replications,
            jobs,
            progress: false,
            keep_series: true,
        },
    )
}

/// Runs every scenario's replications in parallel, as `options` says.
///
/// Returns, for each scenario in order, its replications in order: the result
/// does not depend on the number of threads or on which finished first.
pub fn run_batch(scenarios: &[Scenario], options: RunOptions) -> Result<Vec<Vec<RunSummary>>> {
    let tasks: Vec<(usize, u64)> = (0..scenarios.len())
        .flat_map(|s| (0..options.replications).map(move |r| (s, r)))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {} threads: {e}", options.jobs)))?;
    let progress = Progress::new(tasks.len() as u64, options.progress);
    let runs: Vec<RunSummary> = pool.install(|| {
        tasks
            .par_iter()
            .map(|&(s, r)| {
                let mut run = simulate(&scenarios[s], r);
                if !options.keep_series {
                    run.series = Default::default();
                    run.cdf = Vec::new();
                }
                progress.done(run.events);
                run
            })
            .collect()
    });
    progress.finish();
    let mut grouped: Vec<Vec<RunSummary>> = vec![Vec::new(); scenarios.len()];
    for ((s, _), run) in tasks.into_iter().zip(runs) {
        grouped[s].push(run);
    }
    Ok(grouped)
}

/// One overall progress bar for a batch: runs done, events per second, time left.
struct Progress {
    bar: ProgressBar,
    events: AtomicU64,
    started: Instant,
}

impl Progress {
    fn new(total: u64, visible: bool) -> Self {
        let bar = if visible {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        if let Ok(style) =
            ProgressStyle::with_template("{bar:30} {pos}/{len} runs  {msg}  eta {eta}")
        {
            bar.set_style(style);
        }
        Self {
            bar,
            events: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    fn done(&self, events: u64) {
        let total = self.events.fetch_add(events, Ordering::Relaxed) + events;
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        self.bar
            .set_message(format!("{:.1} M events/s", total as f64 / secs / 1e6));
        self.bar.inc(1);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
