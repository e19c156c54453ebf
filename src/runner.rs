//! Runs scenarios: builds the simulation of one replication, runs it, and
//! spreads many replications over threads.
//!
//! Only the scenario and the replication number cross threads; each run builds
//! its own simulation, and results are collected in input order, so they are
//! the same whatever the number of threads.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::components::{BuildContext, Part};
use crate::engine::{stream_rng, BatchEnd, ComponentId, SimTime, Simulation};
use crate::error::{Error, Result};
use crate::failures::Injector;
use crate::metrics::{Recorder, RunInfo, RunSummary, StopReason, Truncation, Window};
use crate::model::{Msg, World};
use crate::scenario::Scenario;
use crate::traffic::{Client, ClientStreams};

/// Runs replication `replication` of `scenario` and returns its figures
/// (with the default guard rails and no way to interrupt it).
pub fn simulate(scenario: &Scenario, replication: u64) -> RunSummary {
    simulate_guarded(scenario, replication, &Limits::default(), None)
}

/// Runs replication `replication` of `scenario` within `limits`, stopping early
/// when `cancel` becomes true; a run stopped early says why in `truncated`.
pub fn simulate_guarded(
    scenario: &Scenario,
    replication: u64,
    limits: &Limits,
    cancel: Option<&AtomicBool>,
) -> RunSummary {
    let window = Window {
        start: scenario.warmup,
        end: scenario.duration,
    };
    let mut guard = Guard::new(*limits, cancel);
    let mut sim = build(scenario, replication, window);
    sim.start();
    let mut stopped = advance(&mut sim, scenario.duration, &mut guard, |_| false);
    if stopped.is_none() {
        // Let requests in flight finish, but not forever: an overloaded system would
        // never drain. The cap is the client timeout or the measured window.
        let drain = scenario
            .traffic
            .timeout
            .unwrap_or(window.end - window.start);
        stopped = advance(&mut sim, scenario.duration + drain, &mut guard, |w| {
            w.open == 0
        });
    }
    let now = sim.now();
    let truncated = stopped.map(|reason| Truncation {
        reason,
        at_s: now.as_secs_f64(),
    });
    let full_window = sim.shared.recorder.window();
    if truncated.is_some() {
        sim.shared.recorder.cut_window(now);
    }
    let cut_window = sim.shared.recorder.window();
    sim.finish();
    let events = sim.events();
    let world = sim.shared;
    let simulated = if truncated.is_some() {
        now
    } else {
        now.max(scenario.duration)
    };
    let mut summary = world.recorder.summarize(RunInfo {
        scenario: &scenario.name,
        seed: scenario.seed,
        replication,
        events,
        simulated,
        cost_per_hour: cost_per_hour(scenario),
    });
    if truncated.is_some() {
        rescale_time_averages(&mut summary, full_window.secs() / cut_window.secs());
    }
    summary.truncated = truncated;
    summary
}

/// Puts the components' time averages of a run stopped early on the part of the
/// window simulated: they integrate up to the stop but divide by the whole window.
fn rescale_time_averages(summary: &mut RunSummary, factor: f64) {
    if !factor.is_finite() {
        return;
    }
    for c in &mut summary.components {
        c.utilization *= factor;
        c.mean_queue *= factor;
    }
}

/// Handles events until none is due at or before `until`, `done` says so, or a
/// guard rail trips; returns the guard rail that tripped, if one did.
fn advance(
    sim: &mut Simulation<Msg, World, Part>,
    until: SimTime,
    guard: &mut Guard<'_>,
    done: impl Fn(&World) -> bool,
) -> Option<StopReason> {
    // Batches of events between two looks of the guard.
    loop {
        if done(&sim.shared) {
            return None;
        }
        if let Some(reason) = guard.check(sim.events(), sim.shared.requests.len()) {
            return Some(reason);
        }
        let batch = guard.events_to_next_check(sim.events());
        match sim.run_batch(until, batch, &done) {
            BatchEnd::Limit => {}
            BatchEnd::Stopped | BatchEnd::Idle => return None,
        }
    }
}

/// Default cap on requests in flight: far above any healthy system, and well
/// below what would exhaust memory (a request in flight takes about 100 bytes).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1_000_000;

/// How often, in events, the guard looks at the clock, the cancel flag and the
/// requests in flight: rarely enough to cost nothing, often enough to react
/// within milliseconds.
const CHECK_EVERY: u64 = 4096;

/// Guard rails that stop a run early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Stop after this many events (deterministic).
    pub max_events: Option<u64>,
    /// Stop after this much wall-clock time (not deterministic).
    pub max_wall: Option<Duration>,
    /// Stop when more requests than this are in flight at once (deterministic).
    pub max_in_flight: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_events: None,
            max_wall: None,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
        }
    }
}

/// Watches one run for its guard rails.
struct Guard<'a> {
    limits: Limits,
    cancel: Option<&'a AtomicBool>,
    started: Instant,
}

impl<'a> Guard<'a> {
    fn new(limits: Limits, cancel: Option<&'a AtomicBool>) -> Self {
        Self {
            limits,
            cancel,
            started: Instant::now(),
        }
    }

    /// Called with the events handled so far and the requests in flight,
    /// after each batch of [`Guard::events_to_next_check`] events; returns the
    /// guard rail that says stop, if any.
    ///
    /// Only the event count decides when the in-flight cap is looked at, so
    /// `max_events` and `max_in_flight` trip at the same event in every run of
    /// the same file and seed.
    fn check(&mut self, events: u64, in_flight: usize) -> Option<StopReason> {
        if self.limits.max_events.is_some_and(|m| events >= m) {
            return Some(StopReason::MaxEvents);
        }
        if events % CHECK_EVERY != 0 {
            return None;
        }
        if in_flight > self.limits.max_in_flight {
            return Some(StopReason::MaxInFlight);
        }
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Some(StopReason::Interrupted);
        }
        if self
            .limits
            .max_wall
            .is_some_and(|w| self.started.elapsed() >= w)
        {
            return Some(StopReason::MaxWall);
        }
        None
    }

    /// Returns how many events may run after `events` before the next check:
    /// up to the next multiple of [`CHECK_EVERY`], or to `max_events`.
    fn events_to_next_check(&self, events: u64) -> u64 {
        let to_multiple = CHECK_EVERY - events % CHECK_EVERY;
        self.limits
            .max_events
            .map_or(to_multiple, |m| to_multiple.min(m.saturating_sub(events)))
    }
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
pub fn build(
    scenario: &Scenario,
    replication: u64,
    window: Window,
) -> Simulation<Msg, World, Part> {
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
        users: scenario
            .components
            .iter()
            .any(|c| c.spec.uses_user_ids())
            .then(|| stream_rng(scenario.seed, replication, &["traffic", "users"])),
        work: stream_rng(scenario.seed, replication, &["traffic", "work"]),
        retries: stream_rng(scenario.seed, replication, &["traffic", "retries"]),
        keys: stream_rng(scenario.seed, replication, &["traffic", "keys"]),
    };
    if !scenario.failures.is_empty() {
        sim.add(Part::Injector(Injector::new(scenario, replication)));
    }
    let entry = ComponentId(scenario.entry as u32);
    sim.shared.clients = sim.next_id();
    sim.add(Part::Client(Client::new(
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
    /// Guard rails of every run.
    pub limits: Limits,
    /// Set (by a Ctrl-C handler) to abandon the runs not finished yet.
    pub cancel: Option<&'static AtomicBool>,
    /// Whether to print a warning on stderr for each run stopped by a guard rail.
    pub warn: bool,
}

impl RunOptions {
    /// Returns options for `replications` replications on `jobs` threads, with
    /// the default guard rails, no progress bar and no warnings.
    pub fn new(replications: u64, jobs: usize) -> Self {
        Self {
            replications,
            jobs,
            progress: false,
            keep_series: true,
            limits: Limits::default(),
            cancel: None,
            warn: false,
        }
    }

    /// Returns true if the batch was asked to stop.
    pub fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// Runs `replications` replications of every scenario on `jobs` threads (0: all cores).
///
/// Returns, for each scenario in order, its replications in order.
pub fn run_all(
    scenarios: &[Scenario],
    replications: u64,
    jobs: usize,
) -> Result<Vec<Vec<RunSummary>>> {
    run_batch(scenarios, RunOptions::new(replications, jobs))
}

/// One run of a batch: a replication of a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Task {
    /// Index of the scenario in the batch.
    pub scenario: usize,
    /// Replication number (0-based).
    pub replication: u64,
}

/// Returns every run of `scenarios` scenarios with `replications` replications
/// each, scenario-major: all replications of the first scenario, then of the
/// second, and so on. A task's place in this list is its task number.
pub fn tasks(scenarios: usize, replications: u64) -> Vec<Task> {
    (0..scenarios)
        .flat_map(|scenario| {
            (0..replications).map(move |replication| Task {
                scenario,
                replication,
            })
        })
        .collect()
}

/// Runs every scenario's replications in parallel, as `options` says.
///
/// Returns, for each scenario in order, its replications in order: the result
/// does not depend on the number of threads or on which finished first. When
/// `options.cancel` is set, the runs not finished by then are left out (a
/// scenario may then have fewer replications, or none).
pub fn run_batch(scenarios: &[Scenario], options: RunOptions) -> Result<Vec<Vec<RunSummary>>> {
    let all = tasks(scenarios.len(), options.replications);
    let mut grouped: Vec<Vec<RunSummary>> = vec![Vec::new(); scenarios.len()];
    for (task, run) in run_tasks(scenarios, &all, options)? {
        grouped[task.scenario].push(run);
    }
    Ok(grouped)
}

/// Runs the given tasks of `scenarios` in parallel, as `options` says
/// (`options.replications` is not used: the tasks name their replications).
///
/// Returns each finished run with its task, in the order of `tasks`, whatever
/// the number of threads. A run's seeds depend only on its scenario and its
/// replication, so a task gives the same figures in any batch and any process:
/// this is what lets a sweep be split into shards. When `options.cancel` is
/// set, the runs not finished by then are left out.
pub fn run_tasks(
    scenarios: &[Scenario],
    tasks: &[Task],
    options: RunOptions,
) -> Result<Vec<(Task, RunSummary)>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {} threads: {e}", options.jobs)))?;
    let progress = Progress::new(tasks.len() as u64, options.progress);
    let runs: Vec<Option<RunSummary>> = pool.install(|| {
        tasks
            .par_iter()
            .map(|t| run_task(&scenarios[t.scenario], t.replication, &options, &progress))
            .collect()
    });
    progress.finish();
    let finished: Vec<(Task, RunSummary)> = tasks
        .iter()
        .zip(runs)
        .filter_map(|(&task, run)| Some((task, run?)))
        .collect();
    if options.warn {
        for (_, run) in &finished {
            warn_truncated(run, &options.limits);
        }
    }
    if options.cancelled() {
        eprintln!(
            "interrupted: keeping {} finished run(s), abandoning {}",
            finished.len(),
            tasks.len() - finished.len()
        );
    }
    Ok(finished)
}

/// Runs one replication, unless the batch was cancelled before or during it.
fn run_task(
    scenario: &Scenario,
    replication: u64,
    options: &RunOptions,
    progress: &Progress,
) -> Option<RunSummary> {
    if options.cancelled() {
        return None;
    }
    let mut run = simulate_guarded(scenario, replication, &options.limits, options.cancel);
    if run
        .truncated
        .is_some_and(|t| t.reason == StopReason::Interrupted)
    {
        return None;
    }
    if !options.keep_series {
        run.series = Default::default();
        run.cdf = Vec::new();
    }
    progress.done(run.events);
    Some(run)
}

/// Prints a warning naming the run and the guard rail that stopped it, if one did.
fn warn_truncated(run: &RunSummary, limits: &Limits) {
    let Some(t) = run.truncated else { return };
    let why = match t.reason {
        StopReason::MaxEvents => format!(
            "handled {} events (--max-events)",
            limits.max_events.unwrap_or_default()
        ),
        StopReason::MaxWall => format!(
            "ran for {:?} of wall-clock time (--max-wall)",
            limits.max_wall.unwrap_or_default()
        ),
        StopReason::MaxInFlight => format!(
            "more than {} requests were in flight (--max-in-flight): the system is overloaded",
            limits.max_in_flight
        ),
        StopReason::Interrupted => "interrupted".to_string(),
    };
    eprintln!(
        "warning: {} (replication {}): stopped at {:.3} s of simulated time: {why}; results cover that part only",
        run.scenario, run.replication, t.at_s
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    /// One core, twice overloaded, with a queue that never refuses.
    fn overloaded() -> Scenario {
        let text = "name: overloaded\nseed: 3\nduration: 1h\ntraffic: {rate: 2000/s}\n\
                    entry: web\ncomponents:\n  web: {kind: server, cores: 1, work: 1ms, \
                    queue: unbounded}\n";
        crate::scenario::load_text(text, "overloaded.yaml", &[]).unwrap()
    }

    fn limits(max_events: Option<u64>, max_in_flight: usize) -> Limits {
        Limits {
            max_events,
            max_wall: None,
            max_in_flight,
        }
    }

    #[test]
    fn ip_hash_spreads_the_users_over_the_clones() {
        // Two requests a second of one second of work over four one-core
        // clones: each is half busy if the users are spread, and one clone is
        // swamped if every request carried the same user id.
        let text = "name: sticky\nseed: 5\nduration: 2h\nwarmup: 0s\n\
                    traffic: {rate: 2/s, users: 1000}\nentry: lb\n\
                    network: {latency: 0ms}\ncomponents:\n\
                    \x20 lb: {kind: load_balancer, strategy: ip_hash, targets: web}\n\
                    \x20 web: {kind: server, replicas: 4, cores: 1, work: 1s, queue: unbounded}\n";
        let scenario = crate::scenario::load_text(text, "sticky.yaml", &[]).unwrap();
        let run = simulate(&scenario, 0);
        let web = run.components.iter().find(|c| c.name == "web").unwrap();
        assert!(web.utilization > 0.4, "utilization {}", web.utilization);
        assert!(
            run.latency_ms.mean < 10_000.0,
            "mean {} ms",
            run.latency_ms.mean
        );
    }

    #[test]
    fn clients_without_records_save_events_and_change_no_result() {
        // The same M/M/1 queue with and without a client timeout that never
        // fires: with it, the clients keep a record of each request, set a
        // timer for each arrival, and the answer is an event; without it, they
        // schedule arrivals ahead and the answer ends the request at once.
        let text = |timeout: &str| {
            format!(
                "name: m/m/1\nseed: 11\nduration: 10m\nwarmup: 0s\n\
                 traffic: {{rate: 50/s{timeout}}}\nentry: web\n\
                 components:\n  web: {{kind: server, cores: 1, work: 10ms, \
                 service: exponential, queue: unbounded}}\n"
            )
        };
        let load = |text: String| crate::scenario::load_text(&text, "mm1.yaml", &[]).unwrap();
        let single = simulate(&load(text("")), 0);
        let recorded = simulate(&load(text(", timeout: 1h")), 0);
        let offered = single.requests.offered;
        assert!(offered > 25_000, "offered {offered}");
        assert_eq!(recorded.requests.offered, offered);
        // Without records: the call and the end of work, and one arrival
        // timer for every `AHEAD` requests scheduled ahead. With them: an
        // arrival timer each, the call, the end of work and the answer (and
        // the timeout adds its timers).
        assert_eq!(
            single.events,
            2 * offered + offered.div_ceil(crate::traffic::AHEAD as u64)
        );
        assert!(recorded.events >= 4 * offered, "{} events", recorded.events);
        assert_eq!(single.requests.completed, recorded.requests.completed);
        assert_eq!(single.latency_ms.mean, recorded.latency_ms.mean);
        assert_eq!(single.latency_ms.p99, recorded.latency_ms.p99);
        assert_eq!(single.wait_ms.mean, recorded.wait_ms.mean);
    }

    #[test]
    fn max_events_stops_at_exactly_that_event() {
        let run = simulate_guarded(&overloaded(), 0, &limits(Some(10_001), 1 << 40), None);
        assert_eq!(run.events, 10_001);
        let t = run.truncated.unwrap();
        assert_eq!(t.reason, StopReason::MaxEvents);
        assert_eq!(t.at_s, run.simulated_s);
    }

    #[test]
    fn at_a_tie_the_system_finishes_its_work_before_a_new_arrival() {
        // D/D/1/1 at exactly full load: each request ends at the very instant
        // the next one arrives, and must find the core free, not be refused.
        let text = "name: d/d/1/1\nseed: 1\nduration: 60s\nwarmup: 0s\n\
                    traffic: {rate: 100/s, arrivals: constant}\nentry: web\n\
                    components:\n  web: {kind: server, cores: 1, work: 10ms, \
                    service: deterministic, queue: 0}\n";
        let scenario = crate::scenario::load_text(text, "dd11.yaml", &[]).unwrap();
        let run = simulate(&scenario, 0);
        assert!(run.requests.offered > 5_000);
        assert_eq!(run.requests.rejected, 0);
        assert_eq!(run.requests.completed, run.requests.offered);
        assert!(run.components[0].utilization > 0.99);
    }

    #[test]
    fn a_run_stopped_early_counts_only_the_requests_that_arrived() {
        // Constant arrivals every 0.5 ms, the first at 0.5 ms: the clients
        // create requests ahead of their arrival, and those the run did not
        // reach must not count as offered.
        let text = "name: steady\nseed: 3\nduration: 1h\nwarmup: 0s\n\
                    traffic: {rate: 2000/s, arrivals: constant}\nentry: web\n\
                    components:\n  web: {kind: server, cores: 1, work: 1ms, \
                    queue: unbounded}\n";
        let scenario = crate::scenario::load_text(text, "steady.yaml", &[]).unwrap();
        let run = simulate_guarded(&scenario, 0, &limits(Some(10_001), 1 << 40), None);
        let stopped_ns = (run.truncated.unwrap().at_s * 1e9).round() as u64;
        let arrived = stopped_ns / 500_000;
        let counts = run.requests;
        assert_eq!(counts.offered, arrived);
        assert_eq!(counts.attempts, arrived);
        assert_eq!(counts.completed + counts.unfinished, arrived);
        let width_s = run.series.window_s;
        let in_series: f64 = run.series.points.iter().map(|p| p.offered_rps).sum();
        assert!(
            (in_series * width_s - arrived as f64).abs() < 1e-6,
            "{} in the time series",
            in_series * width_s
        );
    }

    #[test]
    fn the_in_flight_cap_stops_an_overloaded_run() {
        let run = simulate_guarded(&overloaded(), 0, &limits(None, 5_000), None);
        let t = run.truncated.unwrap();
        assert_eq!(t.reason, StopReason::MaxInFlight);
        // About 1,000 more requests a second than the core serves.
        assert!(t.at_s > 3.0 && t.at_s < 10.0, "stopped at {} s", t.at_s);
        assert!(run.requests.unfinished >= 5_000);
        // The core was busy all along: its utilization covers the time simulated.
        let web = &run.components[0];
        assert!(web.utilization > 0.99, "utilization {}", web.utilization);
    }

    #[test]
    fn a_set_cancel_flag_stops_a_run_at_once() {
        let flag = AtomicBool::new(true);
        let run = simulate_guarded(&overloaded(), 0, &Limits::default(), Some(&flag));
        assert_eq!(run.truncated.unwrap().reason, StopReason::Interrupted);
        assert_eq!(run.events, 0);
    }

    #[test]
    fn a_cancelled_batch_abandons_the_runs_not_finished() {
        static CANCEL: AtomicBool = AtomicBool::new(true);
        let options = RunOptions {
            cancel: Some(&CANCEL),
            ..RunOptions::new(3, 1)
        };
        let runs = run_batch(&[overloaded(), overloaded()], options).unwrap();
        assert_eq!(runs.len(), 2);
        assert!(runs.iter().all(Vec::is_empty));
    }

    #[test]
    fn a_batch_without_cancel_keeps_every_run() {
        static CANCEL: AtomicBool = AtomicBool::new(false);
        let options = RunOptions {
            cancel: Some(&CANCEL),
            limits: limits(Some(1_000), DEFAULT_MAX_IN_FLIGHT),
            ..RunOptions::new(2, 1)
        };
        let runs = run_batch(&[overloaded()], options).unwrap();
        assert_eq!(runs[0].len(), 2);
        assert!(runs[0].iter().all(|r| r.events == 1_000));
    }

    #[test]
    fn tasks_are_scenario_major() {
        let list: Vec<(usize, u64)> = tasks(2, 3)
            .into_iter()
            .map(|t| (t.scenario, t.replication))
            .collect();
        assert_eq!(list, [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]);
    }

    #[test]
    fn a_task_gives_the_same_run_alone_or_in_a_batch() {
        let options = RunOptions {
            limits: limits(Some(3_000), DEFAULT_MAX_IN_FLIGHT),
            ..RunOptions::new(3, 2)
        };
        let scenarios = [overloaded(), overloaded()];
        let batch = run_batch(&scenarios, options).unwrap();
        let some = [Task {
            scenario: 1,
            replication: 2,
        }];
        let alone = run_tasks(&scenarios, &some, options).unwrap();
        assert_eq!(alone.len(), 1);
        assert_eq!(alone[0].0, some[0]);
        let (a, b) = (&alone[0].1, &batch[1][2]);
        assert_eq!(a.replication, 2);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }
}
