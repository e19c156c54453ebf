//! Runs a batch of simulations for a command, and shows it on the terminal:
//! one progress bar, a warning for each run a guard rail stopped, and a line
//! when Ctrl-C abandoned runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::CommonArgs;
use crate::error::Result;
use crate::metrics::{RunSummary, StopReason};
use crate::runner::{self, Limits, RunOptions, Task};
use crate::scenario::Scenario;

/// Runs `replications` replications of every scenario; returns, for each
/// scenario in order, its finished replications in order.
pub fn run_all(
    scenarios: &[Scenario],
    replications: u64,
    keep_series: bool,
    common: &CommonArgs,
) -> Result<Vec<Vec<RunSummary>>> {
    let tasks = runner::tasks(scenarios.len(), replications);
    let mut grouped: Vec<Vec<RunSummary>> = vec![Vec::new(); scenarios.len()];
    for (task, run) in run_tasks(scenarios, &tasks, replications, keep_series, common)? {
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
    let progress = Progress::new(tasks.len() as u64, !(common.quiet || common.json));
    let on_run = |run: &RunSummary| progress.done(run.events);
    let limits = common.limits();
    let options = RunOptions {
        replications,
        jobs: common.jobs.unwrap_or(0),
        keep_series,
        limits,
        cancel: Some(super::interrupt_flag()),
        on_run: Some(&on_run),
    };
    let finished = runner::run_tasks(scenarios, tasks, options)?;
    progress.finish();
    if !common.quiet {
        for (_, run) in &finished {
            warn_truncated(run, &limits);
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
            "more than {} requests and the state kept for them were in flight (--max-in-flight): the system is overloaded",
            limits.max_in_flight
        ),
        StopReason::Interrupted => "interrupted".to_string(),
    };
    eprintln!(
        "warning: {} (replication {}): stopped at {:.3} s of simulated time: {why}; results cover that part only",
        run.scenario, run.replication, t.at_s
    );
}

/// One overall progress bar for a batch: runs done, events per second, time
/// left. indicatif hides it by itself when stderr is not a terminal.
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
