//! Runs a batch of simulations for a command, and shows it on the terminal:
//! one progress bar, a warning for each run a guard rail stopped, and a line
//! when Ctrl-C abandoned runs.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::CommonArgs;
use crate::engine::SimTime;
use crate::error::Result;
use crate::metrics::{PileUp, RunSummary, StopReason, MAX_EVENTS_AT_ONE_INSTANT};
use crate::report::format::sig;
use crate::runner::{self, JourneyOptions, Limits, Progress, RunOptions, Task};
use crate::scenario::Scenario;
use crate::spec::units::format_duration;

/// How often the progress bar reads the runs' progress and redraws: a few
/// times a second, which a reader can follow and which costs nothing.
const REDRAW_EVERY: Duration = Duration::from_millis(250);

/// Runs `replications` replications of every scenario; returns, for each
/// scenario in order, its finished replications in order.
pub fn run_all(
    scenarios: &[Scenario],
    replications: u64,
    keep_series: bool,
    common: &CommonArgs,
) -> Result<Vec<Vec<RunSummary>>> {
    run_all_recorded(scenarios, replications, keep_series, common, None)
}

/// Does [`run_all`], recording the journeys of sampled requests as
/// `journeys` says (`None`: none).
pub fn run_all_recorded(
    scenarios: &[Scenario],
    replications: u64,
    keep_series: bool,
    common: &CommonArgs,
    journeys: Option<JourneyOptions<'_>>,
) -> Result<Vec<Vec<RunSummary>>> {
    let tasks = runner::tasks(scenarios.len(), replications);
    let mut grouped: Vec<Vec<RunSummary>> = vec![Vec::new(); scenarios.len()];
    let finished = run_tasks_recorded(
        scenarios,
        &tasks,
        replications,
        keep_series,
        common,
        journeys,
    )?;
    for (task, run) in finished {
        grouped[task.scenario].push(run);
    }
    Ok(grouped)
}

/// Runs `tasks` of `scenarios` (whose sweep has `replications` per point) as
/// the flags say; returns the finished runs with their tasks, in task order.
pub fn run_tasks(
    scenarios: &[Scenario],
    tasks: &[Task],
    replications: u64,
    keep_series: bool,
    common: &CommonArgs,
) -> Result<Vec<(Task, RunSummary)>> {
    run_tasks_recorded(scenarios, tasks, replications, keep_series, common, None)
}

/// Does [`run_tasks`], recording the journeys of sampled requests as
/// `journeys` says, then tells of the runs guard rails stopped and of
/// those Ctrl-C abandoned.
fn run_tasks_recorded(
    scenarios: &[Scenario],
    tasks: &[Task],
    replications: u64,
    keep_series: bool,
    common: &CommonArgs,
    journeys: Option<JourneyOptions<'_>>,
) -> Result<Vec<(Task, RunSummary)>> {
    let finished = run_tasks_untold(
        scenarios,
        tasks,
        replications,
        keep_series,
        common,
        journeys,
    )?;
    warn_stopped(finished.iter().map(|(_, run)| run), common);
    if super::interrupt_flag().load(std::sync::atomic::Ordering::SeqCst) {
        eprintln!(
            "interrupted: keeping {} finished run(s), abandoning {}",
            finished.len(),
            tasks.len() - finished.len()
        );
    }
    Ok(finished)
}

/// Does [`run_tasks`] without a word on stderr but the progress bar: a
/// command that runs several batches (a plan) tells of them all at once.
pub fn run_tasks_untold(
    scenarios: &[Scenario],
    tasks: &[Task],
    replications: u64,
    keep_series: bool,
    common: &CommonArgs,
    journeys: Option<JourneyOptions<'_>>,
) -> Result<Vec<(Task, RunSummary)>> {
    let total_ms = tasks
        .iter()
        .map(|t| Progress::share_ms(scenarios[t.scenario].duration))
        .sum();
    let visible = shows_progress(common, std::io::stderr().is_terminal());
    let bar = Bar::new(tasks.len() as u64, total_ms, visible);
    let on_run = |_: &RunSummary| bar.run_done();
    let limits = common.limits();
    let options = RunOptions {
        replications,
        jobs: common.run.jobs.unwrap_or(0),
        keep_series,
        limits,
        cancel: Some(super::interrupt_flag()),
        on_run: Some(&on_run),
        // Published even when the bar is hidden: it costs nothing
        // measurable, and every run then takes the path that was measured.
        progress: Some(&bar.progress),
        journeys,
    };
    bar.while_running(|| runner::run_tasks(scenarios, tasks, options))
}

/// Prints, unless `--quiet`, one warning for each guard rail that stopped
/// some of `runs` (see [`stop_warnings`]).
pub fn warn_stopped<'a>(runs: impl Iterator<Item = &'a RunSummary>, common: &CommonArgs) {
    if common.output.quiet {
        return;
    }
    let runs: Vec<&RunSummary> = runs.collect();
    for line in stop_warnings(&runs, &common.limits()) {
        eprintln!("warning: {line}");
    }
}

/// Returns one warning for each guard rail that stopped some of `runs`, in
/// the order of the first run each stopped: the run, where it stopped and
/// why when it stopped one; how many, where and why when it stopped
/// several (a sweep stopped at each of its points tells it once, not once
/// a point).
pub fn stop_warnings(runs: &[&RunSummary], limits: &Limits) -> Vec<String> {
    let mut groups: Vec<(StopReason, Vec<&RunSummary>)> = Vec::new();
    for run in runs {
        let Some(t) = run.truncated else { continue };
        match groups.iter_mut().find(|(reason, _)| *reason == t.reason) {
            Some((_, stopped)) => stopped.push(run),
            None => groups.push((t.reason, vec![run])),
        }
    }
    groups
        .into_iter()
        .map(|(reason, stopped)| stop_warning(reason, &stopped, runs.len(), limits))
        .collect()
}

/// Returns the warning of the guard rail `reason`, which stopped the runs
/// `stopped` (at least one) of `total`.
fn stop_warning(
    reason: StopReason,
    stopped: &[&RunSummary],
    total: usize,
    limits: &Limits,
) -> String {
    let at = |run: &RunSummary| run.truncated.map_or(0.0, |t| t.at_s);
    let why = stop_reason(reason, limits);
    let first = stopped[0];
    let pile_up = first.pile_up.map_or(String::new(), |p| {
        let which = if stopped.len() > 1 {
            "in the first, "
        } else {
            ""
        };
        format!("\n  {which}{}", pile_up_line(&p))
    });
    if let [run] = stopped {
        return format!(
            "{} (replication {}): stopped at {} of simulated time: {why}; results cover \
             that part only{pile_up}",
            run.scenario,
            run.replication,
            simulated(at(run))
        );
    }
    let (low, high) = stopped
        .iter()
        .map(|r| at(r))
        .fold((f64::MAX, 0.0_f64), |(l, h), t| (l.min(t), h.max(t)));
    let when = if low == high {
        format!("at {}", simulated(low))
    } else {
        format!("between {} and {}", simulated(low), simulated(high))
    };
    format!(
        "{} of {total} runs stopped {when} of simulated time (the first: {} (replication \
         {})): {why}; their results cover that part only{pile_up}",
        stopped.len(),
        first.scenario,
        first.replication
    )
}

/// Says why requests piled up in a run the in-flight guard rail stopped:
/// the rate they arrived at against the rate they were answered at (the
/// capacity the system showed), and what that leaves in flight, by Little's
/// law.
pub fn pile_up_line(p: &PileUp) -> String {
    let ended = if p.error_rps > 0.0 {
        format!(
            " (and refused, timed out or lost at {}/s)",
            sig(p.error_rps)
        )
    } else {
        String::new()
    };
    let rates = format!(
        "requests arrived at {}/s and were answered at {}/s{ended}",
        sig(p.arrival_rps),
        sig(p.answer_rps)
    );
    let after = simulated(p.at_s);
    match p.time_in_system_s().filter(|_| p.growth_rps() > 0.0) {
        Some(w) => format!(
            "{rates}: {} were in flight after {after} ({} with the events and state kept \
             for them); by Little's law (in flight = arrival rate × time in system) each \
             would spend about {} in the system, longer the longer the run: the system \
             cannot keep up with its load",
            p.requests,
            p.held,
            simulated(w)
        ),
        None => format!(
            "{rates}: the requests did not pile up ({} in flight after {after}), the state \
             the parts keep for them did ({} in all, like writes on their way to replicas)",
            p.requests, p.held
        ),
    }
}

/// Writes a simulated time in seconds as a duration (`1.5s`, `16.7m`).
fn simulated(at_s: f64) -> String {
    format_duration(SimTime::from_secs_f64(at_s))
}

/// Says what the guard rail `reason` is and what it measured.
fn stop_reason(reason: StopReason, limits: &Limits) -> String {
    match reason {
        StopReason::MaxEvents => format!(
            "handled {} events (--max-events)",
            limits.max_events.unwrap_or_default()
        ),
        StopReason::MaxWall => format!(
            "ran for {:?} of wall-clock time (--max-wall)",
            limits.max_wall.unwrap_or_default()
        ),
        StopReason::MaxInFlight => format!(
            "more than {} requests and the state kept for them were in flight (--max-in-flight): the system is overloaded",
            limits.max_in_flight
        ),
        StopReason::Interrupted => "interrupted".to_string(),
        StopReason::Stalled => stalled_reason(),
    }
}

/// Says why a run whose simulated clock stood still was stopped.
pub fn stalled_reason() -> String {
    format!(
        "simulated time stood still for {MAX_EVENTS_AT_ONE_INSTANT} events, a loop of steps \
         that take no time (like users with no think time whose requests are refused at \
         once): give such steps some time"
    )
}

/// Returns whether a command shows its progress bar: only on a terminal
/// (`terminal`: stderr is one), and never under `--quiet` or `--json`.
pub fn shows_progress(common: &CommonArgs, terminal: bool) -> bool {
    terminal && !(common.output.quiet || common.output.json)
}

/// The progress bar of a batch: the simulated time reached over the
/// simulated time of all its runs (so one long run moves it too), runs done,
/// events per second and time left.
struct Bar {
    bar: ProgressBar,
    /// What the runs publish as they go.
    progress: Progress,
    runs: u64,
    runs_done: AtomicU64,
    total_ms: u64,
    started: Instant,
}

impl Bar {
    /// Creates the bar of `runs` runs whose durations add up to `total_ms`;
    /// a bar not `visible` is hidden and never redrawn.
    fn new(runs: u64, total_ms: u64, visible: bool) -> Self {
        let bar = if visible {
            ProgressBar::with_draw_target(Some(total_ms), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        if let Ok(style) = ProgressStyle::with_template("{bar:30} {percent:>3}%  {msg}  eta {eta}")
        {
            bar.set_style(style);
        }
        Self {
            bar,
            progress: Progress::new(),
            runs,
            runs_done: AtomicU64::new(0),
            total_ms,
            started: Instant::now(),
        }
    }

    /// Counts a finished run.
    fn run_done(&self) {
        self.runs_done.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs `work`, redrawing the bar every [`REDRAW_EVERY`] from another
    /// thread meanwhile (when it is visible), then clears it.
    fn while_running<T>(&self, work: impl FnOnce() -> T) -> T {
        if self.bar.is_hidden() {
            return work();
        }
        let (done, wait) = mpsc::channel::<()>();
        let result = std::thread::scope(|s| {
            s.spawn(move || {
                // Until `done` is dropped, which ends the wait at once.
                while let Err(RecvTimeoutError::Timeout) = wait.recv_timeout(REDRAW_EVERY) {
                    self.redraw();
                }
            });
            let result = work();
            drop(done);
            result
        });
        self.bar.finish_and_clear();
        result
    }

    /// Moves the bar to what the runs have published.
    fn redraw(&self) {
        let (ms, events) = (self.progress.simulated_ms(), self.progress.events());
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        let runs_done = self.runs_done.load(Ordering::Relaxed);
        // The position first: the message's draw then shows both.
        self.bar.set_position(ms);
        self.bar.set_message(format!(
            "{runs_done}/{} runs  {} of {} simulated  {:.1} M events/s",
            self.runs,
            clock(ms),
            clock(self.total_ms),
            events as f64 / secs / 1e6
        ));
    }
}

/// Formats a simulated time for the bar: `12.3 s`, `4m 05s`, `2h 30m`, `3d 04h`.
fn clock(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{:.1} s", ms as f64 / 1000.0),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    /// Returns the shared options of `scalesim run x.yaml ARGS`.
    fn common(args: &[&str]) -> CommonArgs {
        let cli = Cli::parse_from([&["scalesim", "run", "x.yaml"], args].concat());
        match cli.command {
            Some(super::super::Command::Run { common, .. }) => common,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn progress_shows_only_on_a_terminal_without_quiet_or_json() {
        assert!(shows_progress(&common(&[]), true));
        assert!(!shows_progress(&common(&[]), false));
        for flags in [&["--quiet"][..], &["--json"], &["--quiet", "--json"]] {
            assert!(!shows_progress(&common(flags), true), "{flags:?}");
            assert!(!shows_progress(&common(flags), false), "{flags:?}");
        }
    }

    #[test]
    fn a_hidden_bar_runs_the_work_without_drawing() {
        let bar = Bar::new(1, 1000, false);
        assert!(bar.bar.is_hidden());
        assert_eq!(bar.while_running(|| 7), 7);
    }

    #[test]
    fn a_pile_up_is_told_by_its_rates_and_littles_law() {
        let piled = PileUp {
            arrival_rps: 2000.0,
            answer_rps: 1000.0,
            error_rps: 0.0,
            requests: 1_000_000,
            held: 1_000_100,
            at_s: 1000.0,
        };
        assert_eq!(
            pile_up_line(&piled),
            "requests arrived at 2000/s and were answered at 1000/s: 1000000 were in flight \
             after 16.7m (1000100 with the events and state kept for them); by Little's law \
             (in flight = arrival rate × time in system) each would spend about 8.33m in the \
             system, longer the longer the run: the system cannot keep up with its load"
        );
        // Answered as fast as they came: what piled up is the parts' state.
        let state = PileUp {
            answer_rps: 1990.0,
            error_rps: 10.0,
            requests: 3,
            ..piled
        };
        assert_eq!(
            pile_up_line(&state),
            "requests arrived at 2000/s and were answered at 1990/s (and refused, timed out or \
             lost at 10.0/s): the requests did not pile up (3 in flight after 16.7m), the state \
             the parts keep for them did (1000100 in all, like writes on their way to replicas)"
        );
    }

    #[test]
    fn simulated_times_read_at_a_glance() {
        assert_eq!(clock(0), "0.0 s");
        assert_eq!(clock(12_345), "12.3 s");
        assert_eq!(clock(245_000), "4m 05s");
        assert_eq!(clock(2 * 3_600_000 + 30 * 60_000), "2h 30m");
        assert_eq!(clock(3 * 86_400_000 + 4 * 3_600_000), "3d 04h");
    }
}
