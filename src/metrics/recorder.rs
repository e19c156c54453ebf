//! The sink that components report to during a run.

use hdrhistogram::Histogram;
use serde::Serialize;

use super::summary::{Counts, LatencySummary, RunSummary, WaitSummary};
use super::time_average::Window;
use crate::engine::SimTime;
use crate::model::{Outcome, Request};

/// Largest latency the histograms resolve (one day); larger values saturate.
const HISTOGRAM_MAX_NS: u64 = 86_400 * 1_000_000_000;
/// Significant digits kept by the histograms (0.1% relative error).
const HISTOGRAM_DIGITS: u8 = 3;

/// Statistics of one component over the measured window.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ComponentStats {
    /// Component name.
    pub name: String,
    /// Component kind (`server`, `load_balancer`...).
    pub kind: &'static str,
    /// Busy cores divided by all cores, time-averaged.
    pub utilization: f64,
    /// Requests waiting in its queues, time-averaged, summed over replicas.
    pub mean_queue: f64,
    /// Requests it finished serving.
    pub completed: u64,
    /// Requests it refused.
    pub rejected: u64,
    /// Kind-specific figures (name, value), in a fixed order.
    pub extra: Vec<(&'static str, f64)>,
}

/// Counters and histograms of one run.
pub struct Recorder {
    window: Window,
    timeout: Option<SimTime>,
    counts: Counts,
    latency: Histogram<u64>,
    wait: Histogram<u64>,
    latency_sum_ns: f64,
    wait_sum_ns: f64,
    waited: u64,
    components: Vec<ComponentStats>,
}

impl Recorder {
    /// Creates an empty recorder for the measured `window`.
    pub fn new(window: Window, timeout: Option<SimTime>) -> Self {
        // The bounds are constants that hdrhistogram accepts; no input reaches this.
        #[allow(clippy::expect_used)]
        let histogram = || {
            Histogram::new_with_bounds(1, HISTOGRAM_MAX_NS, HISTOGRAM_DIGITS)
                .expect("constant histogram bounds are valid")
        };
        Self {
            window,
            timeout,
            counts: Counts::default(),
            latency: histogram(),
            wait: histogram(),
            latency_sum_ns: 0.0,
            wait_sum_ns: 0.0,
            waited: 0,
            components: Vec::new(),
        }
    }

    /// Returns the measured window.
    pub fn window(&self) -> Window {
        self.window
    }

    /// Returns whether a request arriving at `t` counts in the statistics.
    #[inline]
    pub fn counts_arrival(&self, t: SimTime) -> bool {
        self.window.contains(t)
    }

    /// Notes a counted arrival.
    #[inline]
    pub fn offered(&mut self) {
        self.counts.offered += 1;
    }

    /// Notes the end of a counted request, answered at `now` with `outcome`.
    #[inline]
    pub fn finished(&mut self, req: &Request, outcome: Outcome, now: SimTime) {
        let latency = now - req.arrived;
        match outcome {
            Outcome::Rejected => self.counts.rejected += 1,
            Outcome::Failed => self.counts.failed += 1,
            Outcome::Ok if self.timeout.is_some_and(|t| latency > t) => self.counts.timed_out += 1,
            Outcome::Ok => {
                self.counts.completed += 1;
                self.latency.saturating_record(latency.0);
                self.latency_sum_ns += latency.0 as f64;
                self.wait.saturating_record(req.wait.0);
                self.wait_sum_ns += req.wait.0 as f64;
                if req.wait > SimTime::ZERO {
                    self.waited += 1;
                }
            }
        }
    }

    /// Notes a counted request still in flight when the run stopped.
    pub fn unfinished(&mut self) {
        self.counts.unfinished += 1;
    }

    /// Adds the end-of-run statistics of one component.
    pub fn component(&mut self, stats: ComponentStats) {
        self.components.push(stats);
    }

    /// Builds the summary of the run.
    pub fn summarize(
        self,
        scenario: &str,
        seed: u64,
        replication: u64,
        events: u64,
        simulated: SimTime,
    ) -> RunSummary {
        let c = self.counts;
        let ms = |ns: u64| ns as f64 / 1e6;
        let completed = c.completed.max(1) as f64;
        let pct = |h: &Histogram<u64>, q: f64| {
            if h.is_empty() {
                0.0
            } else {
                ms(h.value_at_quantile(q))
            }
        };
        RunSummary {
            scenario: scenario.to_string(),
            seed,
            replication,
            simulated_s: simulated.as_secs_f64(),
            events,
            requests: c,
            throughput_rps: c.completed as f64 / self.window.secs(),
            availability: if c.offered == 0 {
                1.0
            } else {
                c.completed as f64 / c.offered as f64
            },
            latency_ms: LatencySummary {
                mean: self.latency_sum_ns / completed / 1e6,
                p50: pct(&self.latency, 0.5),
                p90: pct(&self.latency, 0.9),
                p99: pct(&self.latency, 0.99),
                p999: pct(&self.latency, 0.999),
                max: if self.latency.is_empty() {
                    0.0
                } else {
                    ms(self.latency.max())
                },
            },
            wait_ms: WaitSummary {
                mean: self.wait_sum_ns / completed / 1e6,
                p50: pct(&self.wait, 0.5),
                p99: pct(&self.wait, 0.99),
                p_wait: self.waited as f64 / completed,
            },
            cost_per_hour: 0.0,
            components: self.components,
        }
    }
}
