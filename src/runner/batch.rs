//! Batches of runs: every replication of every scenario, spread over threads,
//! collected in input order.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use super::{simulate_recorded, Limits, Progress};
use crate::error::{Error, Result};
use crate::metrics::{JourneySetup, Journeys, RunSummary, Sink, StopReason};
use crate::scenario::Scenario;
use crate::spec::limits::MAX_JOBS;

/// How a batch of runs is carried out.
#[derive(Clone, Copy)]
pub struct RunOptions<'a> {
    /// Independent replications per scenario.
    pub replications: u64,
    /// Threads (0: all cores); never more than the runs or the cores.
    pub jobs: usize,
    /// Whether to keep each run's time series and latency distribution (sweeps drop
    /// them, so memory does not grow with the size of the grid).
    pub keep_series: bool,
    /// Guard rails of every run.
    pub limits: Limits,
    /// Set (by a Ctrl-C handler) to abandon the runs not finished yet.
    pub cancel: Option<&'a AtomicBool>,
    /// Called, from the thread that ran it, as each run finishes (for a
    /// progress bar).
    pub on_run: Option<&'a (dyn Fn(&RunSummary) + Sync)>,
    /// Where every run adds, as it goes, the simulated time it reached and
    /// the events it handled (for a progress bar within long runs).
    pub progress: Option<&'a Progress>,
    /// What the runs record of their requests' journeys (`None`: nothing).
    pub journeys: Option<JourneyOptions<'a>>,
}

/// Opens the stream a run writes its journeys' lines to, in the thread
/// that runs it.
pub type OpenSink<'a> = dyn Fn(Task) -> std::io::Result<Box<dyn Write + Send>> + Sync + 'a;

/// What the runs of a batch record of their requests' journeys.
#[derive(Clone, Copy)]
pub struct JourneyOptions<'a> {
    /// Share of client requests sampled, in (0, 1].
    pub sample: f64,
    /// Where each run writes its lines (`None`: they are not written, and
    /// only the critical-path figures are kept).
    pub open: Option<&'a OpenSink<'a>>,
    /// Bytes of lines each run may write.
    pub budget: u64,
}

impl RunOptions<'_> {
    /// Returns options for `replications` replications on `jobs` threads, with
    /// the default guard rails and no callback.
    pub fn new(replications: u64, jobs: usize) -> Self {
        Self {
            replications,
            jobs,
            keep_series: true,
            limits: Limits::default(),
            cancel: None,
            on_run: None,
            progress: None,
            journeys: None,
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
pub fn run_batch(scenarios: &[Scenario], options: RunOptions<'_>) -> Result<Vec<Vec<RunSummary>>> {
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
    options: RunOptions<'_>,
) -> Result<Vec<(Task, RunSummary)>> {
    let threads = threads(options.jobs, tasks.len());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {threads} threads: {e}")))?;
    let runs: Vec<Option<RunSummary>> = pool.install(|| {
        tasks
            .par_iter()
            .map(|t| run_task(&scenarios[t.scenario], t.scenario, t.replication, &options))
            .collect()
    });
    Ok(tasks
        .iter()
        .zip(runs)
        .filter_map(|(&task, run)| Some((task, run?)))
        .collect())
}

/// Returns how many threads a batch of `runs` runs starts when asked for
/// `jobs` (0: all cores): never more than the runs, the cores or [`MAX_JOBS`],
/// and at least one.
fn threads(jobs: usize, runs: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wanted = if jobs == 0 { cores } else { jobs };
    wanted.min(cores).min(runs).clamp(1, MAX_JOBS)
}

/// Returns the journeys of the run `task` of `scenario`, as `options` say.
fn journeys(scenario: &Scenario, task: Task, options: JourneyOptions<'_>) -> Journeys {
    let (sink, error) = match options.open.map(|open| open(task)) {
        None => (None, None),
        Some(Ok(out)) => (
            Some(Sink {
                out,
                budget: options.budget,
            }),
            None,
        ),
        Some(Err(e)) => (None, Some(e.to_string())),
    };
    Journeys::new(JourneySetup {
        sample: options.sample,
        scenario: scenario.name.clone(),
        replication: task.replication,
        components: scenario.components.iter().map(|c| c.name.clone()).collect(),
        types: scenario
            .traffic
            .types
            .iter()
            .map(|t| t.name.clone())
            .collect(),
        sink,
        error,
    })
}

/// Runs one replication, unless the batch was cancelled before or during it.
fn run_task(
    scenario: &Scenario,
    scenario_index: usize,
    replication: u64,
    options: &RunOptions<'_>,
) -> Option<RunSummary> {
    if options.cancelled() {
        return None;
    }
    let task = Task {
        scenario: scenario_index,
        replication,
    };
    let journeys = options.journeys.map(|j| journeys(scenario, task, j));
    let mut run = simulate_recorded(
        scenario,
        replication,
        &options.limits,
        options.cancel,
        options.progress,
        journeys,
    );
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
    if let Some(on_run) = options.on_run {
        on_run(&run);
    }
    Some(run)
}
