//! Runs scenarios: builds the simulation of one replication, runs it within
//! its guard rails, and spreads many replications over threads.
//!
//! Only the scenario and the replication number cross threads; each run builds
//! its own simulation, and results are collected in input order, so they are
//! the same whatever the number of threads. The runner prints nothing: a
//! caller learns of each finished run through [`RunOptions::on_run`], and of
//! how far the runs have got while they run through [`RunOptions::progress`].

mod batch;
mod build;
mod guard;
mod progress;

use std::sync::atomic::AtomicBool;

pub use batch::{run_all, run_batch, run_tasks, tasks, JourneyOptions, OpenSink, RunOptions, Task};
pub use build::{build, cost_per_hour, Run};
pub use guard::{Limits, DEFAULT_MAX_IN_FLIGHT};
pub use progress::Progress;

use crate::engine::{BatchEnd, SimTime};
use crate::metrics::{Journeys, PileUp, RunInfo, RunSummary, StopReason, Truncation, Window};
use crate::parts::{AnyPart, World};
use crate::scenario::Scenario;
use guard::Guard;
use progress::Tracker;

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
    simulate_tracked(scenario, replication, limits, cancel, None)
}

/// Does [`simulate_guarded`], and adds to `progress` the simulated time and
/// the events of the run as it goes (once per batch of events, between two
/// looks of the guard rails), and the rest of its duration when it ends.
pub fn simulate_tracked(
    scenario: &Scenario,
    replication: u64,
    limits: &Limits,
    cancel: Option<&AtomicBool>,
    progress: Option<&Progress>,
) -> RunSummary {
    simulate_recorded(scenario, replication, limits, cancel, progress, None)
}

/// Does [`simulate_tracked`], recording the journeys of a sample of requests
/// as `journeys` says (`None`: none), whose summary the run's figures carry.
pub fn simulate_recorded(
    scenario: &Scenario,
    replication: u64,
    limits: &Limits,
    cancel: Option<&AtomicBool>,
    progress: Option<&Progress>,
    journeys: Option<Journeys>,
) -> RunSummary {
    let window = Window {
        start: scenario.warmup,
        end: scenario.duration,
    };
    let mut guard = Guard::new(*limits, cancel);
    let mut tracker = Tracker::new(progress, scenario.duration);
    let mut sim = build(scenario, replication, window);
    sim.shared.journeys = journeys.map(Box::new);
    sim.start();
    let mut stopped = advance(
        &mut sim,
        scenario.duration,
        &mut guard,
        &mut tracker,
        |_| false,
    );
    if stopped.is_none() {
        // Let requests in flight finish, but not forever: an overloaded system would
        // never drain. The cap is the client timeout or the measured window.
        let drain = scenario
            .traffic
            .timeout
            .unwrap_or(window.end - window.start);
        stopped = advance(
            &mut sim,
            scenario.duration + drain,
            &mut guard,
            &mut tracker,
            |w| w.open == 0,
        );
    }
    tracker.finish(sim.events());
    let now = sim.now();
    // Counted before the parts finish, as the guard rail counted it.
    let held = (stopped == Some(StopReason::MaxInFlight)).then(|| in_flight(&sim) as u64);
    let truncated = stopped.map(|reason| Truncation {
        reason,
        at_s: now.as_secs_f64(),
    });
    if truncated.is_some() {
        // Every part then reports its figures over the part simulated.
        sim.shared.recorder.cut_window(now);
    }
    sim.finish();
    let events = sim.events();
    let mut world = sim.shared;
    let journeys = world
        .journeys
        .take()
        .map(|j| j.finish(now, scenario.components.len()));
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
    summary.truncated = truncated;
    summary.pile_up = held.map(|held| PileUp::of(&summary.series, now.as_secs_f64(), held));
    summary.journeys = journeys;
    summary
}

/// Returns what a run holds in flight: its requests, its pending events
/// (messages, timers) and the per-request state its parts keep beyond them.
fn in_flight(sim: &Run) -> usize {
    let held: usize = sim.components().iter().map(AnyPart::held).sum();
    let journeys = sim.shared.journeys.as_ref().map_or(0, |j| j.held());
    sim.shared.requests.len() + sim.pending() + held + journeys
}

/// Handles events until none is due at or before `until`, `done` says so, or a
/// guard rail trips; returns the guard rail that tripped, if one did.
fn advance(
    sim: &mut Run,
    until: SimTime,
    guard: &mut Guard<'_>,
    tracker: &mut Tracker<'_>,
    done: impl Fn(&World) -> bool,
) -> Option<StopReason> {
    // Batches of events between two looks of the guard, and two
    // publications of the progress.
    loop {
        tracker.update(sim.now(), sim.events());
        if done(&sim.shared) {
            return None;
        }
        if let Some(reason) = guard.check(sim.now(), sim.events(), || in_flight(sim)) {
            return Some(reason);
        }
        let batch = guard.events_to_next_check(sim.events());
        match sim.run_batch(until, batch, &done) {
            BatchEnd::Limit => {}
            BatchEnd::Stopped | BatchEnd::Idle => return None,
        }
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
            2 * offered + offered.div_ceil(crate::parts::traffic::AHEAD as u64)
        );
        assert!(recorded.events >= 4 * offered, "{} events", recorded.events);
        assert_eq!(single.requests.completed, recorded.requests.completed);
        assert_eq!(single.latency_ms.mean, recorded.latency_ms.mean);
        assert_eq!(single.latency_ms.p99, recorded.latency_ms.p99);
        assert_eq!(single.wait_ms.mean, recorded.wait_ms.mean);
    }

    /// Returns figure `key` of component `name` in `run`.
    fn figure(run: &RunSummary, name: &str, key: &str) -> f64 {
        let component = run.components.iter().find(|c| c.name == name).unwrap();
        component.reading(key).unwrap()
    }

    #[test]
    fn visibility_timeouts_that_never_run_out_cost_no_event_each() {
        // M/M/10 behind a queue whose timeout (1 h) no job reaches: at least
        // once and at most once then do the same, and the deadlines of the
        // deliveries share one timer, which fires about once a timeout.
        let text = |delivery: &str| {
            format!(
                "name: queue\nseed: 4\nduration: 10h\nwarmup: 0s\ntraffic: {{rate: 8/s}}\n\
                 entry: orders\nnetwork: {{latency: 0ms}}\ncomponents:\n\
                 \x20 orders: {{kind: queue, delivery: {delivery}, visibility_timeout: 1h}}\n\
                 \x20 worker: {{kind: server, consumes: orders, replicas: 10, cores: 1, \
                 work: 1s, service: exponential}}\n"
            )
        };
        let load = |text: String| crate::scenario::load_text(&text, "queue.yaml", &[]).unwrap();
        let once = simulate(&load(text("at_least_once")), 0);
        let at_most = simulate(&load(text("at_most_once")), 0);
        let jobs = figure(&once, "orders", "consumed");
        assert!(jobs > 250_000.0, "{jobs} jobs");
        for key in [
            "consumed",
            "job_latency_ms.mean",
            "job_latency_ms.p99",
            "backlog_mean",
        ] {
            assert_eq!(
                figure(&once, "orders", key),
                figure(&at_most, "orders", key),
                "{key}"
            );
        }
        assert_eq!(figure(&once, "orders", "redelivered"), 0.0);
        assert!(
            once.events > at_most.events && once.events <= at_most.events + 12,
            "{} events against {}",
            once.events,
            at_most.events
        );
    }

    #[test]
    fn an_ack_that_comes_at_the_very_deadline_is_late() {
        // 100 ms each way and 800 ms of work: every ack reaches the queue
        // exactly 1 s after its delivery, at its deadline, and finds the
        // message given up (one delivery at most). It must, however the
        // events of that instant were ordered: the ack was sent before the
        // queue's timer was set for that deadline.
        let text = "name: late ack\nseed: 5\nduration: 10m\nwarmup: 0s\ntraffic: {rate: 3/s}\n\
                    entry: orders\nnetwork: {latency: 100ms}\ncomponents:\n\
                    \x20 orders: {kind: queue, visibility_timeout: 1s, max_deliveries: 1}\n\
                    \x20 worker: {kind: server, consumes: orders, replicas: 2, cores: 4, \
                    work: 800ms, service: deterministic}\n";
        let scenario = crate::scenario::load_text(text, "late.yaml", &[]).unwrap();
        let run = simulate(&scenario, 0);
        let published = figure(&run, "orders", "published");
        assert!(published > 1_500.0, "{published} published");
        assert_eq!(figure(&run, "orders", "consumed"), 0.0);
        assert_eq!(figure(&run, "orders", "dead_lettered"), published);
        assert_eq!(figure(&run, "orders", "duplicates"), published);
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
        // What piled up: twice the arrivals the core answers, and what the
        // guard rail counted beyond its cap.
        let p = run.pile_up.unwrap();
        assert_eq!(p.at_s, t.at_s);
        assert!((p.arrival_rps - 2000.0).abs() < 100.0, "{p:?}");
        assert!((p.answer_rps - 1000.0).abs() < 50.0, "{p:?}");
        assert_eq!(p.error_rps, 0.0);
        assert!(p.held > 5_000 && p.requests <= p.held, "{p:?}");
        assert_eq!(p.requests, run.requests.unfinished, "{p:?}");
        let w = p.time_in_system_s().unwrap();
        assert!((w - p.requests as f64 / p.arrival_rps).abs() < 1e-9);
    }

    #[test]
    fn only_the_in_flight_cap_tells_what_piled_up() {
        let run = simulate_guarded(&overloaded(), 0, &limits(Some(10_001), 1 << 40), None);
        assert_eq!(run.truncated.unwrap().reason, StopReason::MaxEvents);
        assert_eq!(run.pile_up, None);
        assert_eq!(simulate(&steady(), 0).pile_up, None);
    }

    #[test]
    fn a_loop_of_steps_that_take_no_time_stops_as_stalled() {
        // Users without think time, refused at once by a server without a
        // queue: each refusal brings the next request at the same instant.
        let text = "name: stuck\nduration: 10s\ntraffic:\n  closed: {users: 100, think: 0s}\n\
                    entry: web\ncomponents:\n  web: {kind: server, cores: 2, work: 5ms, queue: 0}\n";
        let scenario = crate::scenario::load_text(text, "stuck.yaml", &[]).unwrap();
        let run = simulate(&scenario, 0);
        let t = run.truncated.unwrap();
        assert_eq!(t.reason, StopReason::Stalled);
        assert_eq!(t.at_s, 0.0);
        // Stopped at the first look of the guard past the limit.
        let limit = crate::metrics::MAX_EVENTS_AT_ONE_INSTANT;
        assert!(
            run.events > limit && run.events <= limit + 2 * 4096,
            "{}",
            run.events
        );
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

    /// An M/M/1 queue at half load for ten simulated minutes: about 600,000
    /// events, so about 150 batches between two looks of the guard.
    fn steady() -> Scenario {
        let text = "name: steady\nseed: 9\nduration: 10m\nwarmup: 0s\n\
                    traffic: {rate: 500/s}\nentry: web\ncomponents:\n  \
                    web: {kind: server, cores: 1, work: 1ms, queue: unbounded}\n";
        crate::scenario::load_text(text, "steady.yaml", &[]).unwrap()
    }

    #[test]
    fn a_run_publishes_its_progress_as_it_goes() {
        // Half-way through, the run has published part of its time and its
        // events, one batch behind at most.
        let scenario = steady();
        let window = Window {
            start: scenario.warmup,
            end: scenario.duration,
        };
        let progress = Progress::new();
        let mut guard = Guard::new(Limits::default(), None);
        let mut tracker = Tracker::new(Some(&progress), scenario.duration);
        let mut sim = build(&scenario, 0, window);
        sim.start();
        let half = SimTime(scenario.duration.0 / 2);
        assert_eq!(
            advance(&mut sim, half, &mut guard, &mut tracker, |_| false),
            None
        );
        let (ms, events) = (progress.simulated_ms(), progress.events());
        assert!(ms > 0 && ms <= Progress::share_ms(half), "{ms} ms");
        assert!(events > 0 && events <= sim.events(), "{events} events");
        assert!(
            sim.events() - events <= 4096,
            "{} behind",
            sim.events() - events
        );
        tracker.finish(sim.events());
        assert_eq!(
            progress.simulated_ms(),
            Progress::share_ms(scenario.duration)
        );
        assert_eq!(progress.events(), sim.events());
    }

    #[test]
    fn progress_only_grows_and_ends_at_the_duration() {
        let scenario = steady();
        let progress = Progress::new();
        let mut seen: Vec<(u64, u64)> = Vec::new();
        let run = std::thread::scope(|s| {
            let running = s.spawn(|| {
                simulate_tracked(&scenario, 0, &Limits::default(), None, Some(&progress))
            });
            while !running.is_finished() {
                seen.push((progress.simulated_ms(), progress.events()));
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            running.join().unwrap()
        });
        seen.push((progress.simulated_ms(), progress.events()));
        assert!(
            seen.windows(2)
                .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1),
            "went back: {seen:?}"
        );
        assert_eq!(progress.simulated_ms(), 600_000);
        assert_eq!(progress.events(), run.events);
    }

    #[test]
    fn a_run_stopped_early_still_counts_its_whole_duration() {
        let progress = Progress::new();
        let run = simulate_tracked(
            &overloaded(),
            0,
            &limits(Some(10_000), 1 << 40),
            None,
            Some(&progress),
        );
        assert!(run.truncated.is_some());
        assert_eq!(progress.simulated_ms(), 3_600_000);
        assert_eq!(progress.events(), 10_000);
    }

    #[test]
    fn progress_changes_no_result_and_sums_over_a_batch() {
        let scenarios = [steady(), overloaded()];
        let limits = limits(Some(200_000), DEFAULT_MAX_IN_FLIGHT);
        let plain = RunOptions {
            limits,
            ..RunOptions::new(2, 2)
        };
        let progress = Progress::new();
        let tracked = RunOptions {
            progress: Some(&progress),
            ..plain
        };
        let a = run_batch(&scenarios, plain).unwrap();
        let b = run_batch(&scenarios, tracked).unwrap();
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_eq!(progress.simulated_ms(), 2 * 600_000 + 2 * 3_600_000);
        let events: u64 = b.iter().flatten().map(|r| r.events).sum();
        assert_eq!(progress.events(), events);
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
