//! Cron batches (`cron:`) against their exact schedule: B jobs of fixed
//! work S, sent at once to c free cores, run in B / c waves, so the batch
//! lasts (B / c) S and a job waits S (B / c − 1) / 2 on average.

use crate::support::replicate;

/// A scenario whose only load on `worker` (c cores, deterministic work) is
/// a batch of `jobs` jobs of one second each, every 10 minutes from 5 minutes.
fn batches(cores: u32, jobs: u32) -> String {
    format!(
        "name: cron
seed: 3
duration: 1h
warmup: 0s
traffic: {{rate: 1/s}}
entry: front
network: {{latency: 0ms}}
cron:
  - {{name: batch, every: 10m, first: 5m, on: worker, work: {jobs}s, parallel: {jobs}}}
components:
  front: {{kind: server, cores: 1, work: 1ms}}
  worker: {{kind: server, cores: {cores}, work: 1ms, service: deterministic}}
"
    )
}

/// Returns the figure of a run at `path`.
fn figure(run: &scalesim::metrics::RunSummary, path: &str) -> f64 {
    run.figures
        .iter()
        .find(|f| f.path == path)
        .map(|f| f.value)
        .unwrap_or_else(|| panic!("no figure {path}"))
}

#[test]
fn a_batch_on_free_cores_runs_in_exact_waves() {
    for (cores, jobs) in [(1, 1), (1, 5), (4, 4), (4, 12), (3, 15)] {
        let runs = replicate(&batches(cores, jobs), 2);
        let waves = f64::from(jobs / cores);
        for run in &runs {
            // Six batches, at 5, 15, ..., 55 minutes.
            assert_eq!(figure(run, "cron.batch.runs"), 6.0);
            assert_eq!(figure(run, "cron.batch.jobs"), 6.0 * f64::from(jobs));
            let batch = figure(run, "cron.batch.batch_ms");
            let wait = figure(run, "cron.batch.job_wait_ms");
            assert!(
                (batch - waves * 1000.0).abs() < 1e-6,
                "{jobs} jobs on {cores} cores: batch {batch} ms"
            );
            assert!(
                (wait - 1000.0 * (waves - 1.0) / 2.0).abs() < 1e-6,
                "{jobs} jobs on {cores} cores: wait {wait} ms"
            );
            // The jobs count in the worker's utilisation, not in the clients'.
            let busy = 6.0 * f64::from(jobs) / (3600.0 * f64::from(cores));
            let worker = &run.components[1];
            assert!(
                (worker.utilization - busy).abs() < 1e-9,
                "{}",
                worker.utilization
            );
            assert_eq!(run.requests.offered, run.components[0].completed);
        }
    }
}
