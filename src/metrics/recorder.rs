//! The sink that components report to during a run.

use hdrhistogram::Histogram;

use super::gauge::{Gauge, GaugeId};
use super::measure::{Measure, Reading, Unit, CLOSED, TYPE};
use super::series::{Marker, SeriesRecorder};
use super::slo::{Slo, SloRecorder};
use super::summary::{
    CdfPoint, Counts, LatencySummary, RunFigure, RunSummary, SessionCounts, WaitSummary,
};
use super::time_average::Window;
use crate::engine::SimTime;
use crate::model::Cause;

/// Largest latency the histograms resolve (one day); larger values saturate.
const HISTOGRAM_MAX_NS: u64 = 86_400 * 1_000_000_000;
/// Significant digits kept by the histograms (0.1% relative error).
const HISTOGRAM_DIGITS: u8 = 3;

/// Statistics of one component over the measured window.
#[derive(Clone, Debug, PartialEq)]
pub struct ComponentStats {
    /// Component name.
    pub name: String,
    /// Component kind (`server`, `load_balancer`...).
    pub kind: &'static str,
    /// Busy cores divided by all cores, time-averaged (0 without cores).
    pub utilization: f64,
    /// Cores of all its machines: 0 for a kind that serves on none (a cache,
    /// a balancer without `work`), whose utilisation does not apply.
    pub cores: u32,
    /// Requests waiting in its queues, time-averaged, summed over replicas.
    pub mean_queue: f64,
    /// Requests it finished serving.
    pub completed: u64,
    /// Requests it refused.
    pub rejected: u64,
    /// The figures of its kind, in the order the kind declares them.
    pub extra: Vec<Reading>,
    /// Fraction of the window with exactly `i` replicas up, for each `i`.
    pub up_levels: Vec<f64>,
}

impl ComponentStats {
    /// Returns the value of its kind's figure whose key is `key`.
    pub fn reading(&self, key: &str) -> Option<f64> {
        self.extra.iter().find(|r| r.key() == key).map(|r| r.value)
    }
}

/// What the runner knows about a finished run.
pub struct RunInfo<'a> {
    /// Scenario name.
    pub scenario: &'a str,
    /// Scenario seed.
    pub seed: u64,
    /// Replication number.
    pub replication: u64,
    /// Events handled.
    pub events: u64,
    /// Simulated time at the end, drain included.
    pub simulated: SimTime,
    /// Price of the machines per hour.
    pub cost_per_hour: f64,
}

/// Returns the price of a million answered requests at `throughput` per second.
pub fn cost_per_million(cost_per_hour: f64, throughput: f64) -> f64 {
    if throughput <= 0.0 {
        0.0
    } else {
        cost_per_hour / (throughput * 3600.0) * 1e6
    }
}

/// Counters and histograms of one run.
pub struct Recorder {
    window: Window,
    counts: Counts,
    latency: Histogram<u64>,
    /// The waits of the completed requests that waited; the zero waits join
    /// it when the run is summarised.
    wait: Histogram<u64>,
    latency_sum_ns: f64,
    wait_sum_ns: f64,
    /// Completed requests that waited at all.
    waited: u64,
    /// Successful answers delivered inside the measured window, whenever
    /// their request arrived: the throughput's numerator.
    answered: u64,
    /// Of those, the answers within the objective's latency: the goodput's.
    good: u64,
    /// The objective's latency (`None`: every answer is good).
    good_latency: Option<SimTime>,
    components: Vec<ComponentStats>,
    series: SeriesRecorder,
    markers: Vec<Marker>,
    failures: [u64; Cause::ALL.len()],
    slo: SloRecorder,
    /// Logins and lost sessions, over the servers that keep sessions.
    sessions: SessionCounts,
    /// What components whose machines come and go paid per hour beyond (or
    /// below) the price of the machines the scenario lists.
    cost_adjustment: f64,
    /// Messages of counted requests that queues gave up on (`None`: the run
    /// has no queue, and its errors no such line).
    dead_lettered: Option<u64>,
    /// The users and the mean think time of a closed loop, if the traffic is one.
    closed: Option<(u32, SimTime)>,
    /// Figures the parts report that only some runs have (a cron entry's).
    figures: Vec<RunFigure>,
    /// The endings of each request type, by type index (empty: the run
    /// reports no figures per type).
    by_type: Vec<TypeTally>,
}

/// How the counted requests of one type ended.
#[derive(Clone, Debug)]
struct TypeTally {
    name: String,
    completed: u64,
    errors: u64,
    latency: Histogram<u64>,
    latency_sum_ns: f64,
}

/// Returns an empty latency histogram: three significant digits over a day.
fn latency_histogram() -> Histogram<u64> {
    // The bounds are constants that hdrhistogram accepts; no input reaches this.
    #[allow(clippy::expect_used)]
    Histogram::new_with_bounds(1, HISTOGRAM_MAX_NS, HISTOGRAM_DIGITS)
        .expect("constant histogram bounds are valid")
}

/// Most markers kept for a time series.
pub const MAX_MARKERS: usize = 100;

/// How a client request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Answered successfully, `latency` after its arrival, having waited `wait` in queues.
    Completed {
        /// From the arrival at the entry to the answer (retries included).
        latency: SimTime,
        /// Time queued before service in the successful attempt.
        wait: SimTime,
    },
    /// Refused by a full queue or capacity (after any retries).
    Rejected,
    /// The client gave up waiting (after any retries).
    TimedOut,
    /// Lost to a failure (after any retries).
    Failed(Cause),
}

/// Latency quantiles kept for the CDF chart.
const CDF_QUANTILES: &[f64] = &[
    0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6,
    0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999,
    0.9995, 0.9999, 1.0,
];

impl Recorder {
    /// Creates an empty recorder for the measured `window` of a run lasting
    /// `duration`, judging availability over time by `slo`.
    pub fn new(window: Window, duration: SimTime, slo: Slo) -> Self {
        Self {
            window,
            counts: Counts::default(),
            latency: latency_histogram(),
            wait: latency_histogram(),
            latency_sum_ns: 0.0,
            wait_sum_ns: 0.0,
            waited: 0,
            answered: 0,
            good: 0,
            good_latency: slo.latency,
            components: Vec::new(),
            series: SeriesRecorder::new(duration),
            markers: Vec::new(),
            failures: [0; Cause::ALL.len()],
            slo: SloRecorder::new(slo, window),
            sessions: SessionCounts::default(),
            cost_adjustment: 0.0,
            dead_lettered: None,
            closed: None,
            figures: Vec::new(),
            by_type: Vec::new(),
        }
    }

    /// Reports figures per request type, for the types named `names` in
    /// index order; the caller keeps their number within its limit.
    pub fn track_types(&mut self, names: impl IntoIterator<Item = String>) {
        self.by_type = names
            .into_iter()
            .map(|name| TypeTally {
                name,
                completed: 0,
                errors: 0,
                latency: latency_histogram(),
                latency_sum_ns: 0.0,
            })
            .collect();
    }

    /// Makes the run's errors count the dead-lettered messages
    /// (`errors.dead_lettered`): a queue asks when the run starts.
    pub fn count_dead_letters(&mut self) {
        self.dead_lettered.get_or_insert(0);
    }

    /// Notes a message of a counted request that a queue gave up on after
    /// its last delivery: the request was answered, its job never done.
    pub fn dead_lettered(&mut self) {
        *self.dead_lettered.get_or_insert(0) += 1;
    }

    /// Notes that the traffic is a closed loop of `users` thinking `think`
    /// on average: the summary then checks the response time law.
    pub fn closed_loop(&mut self, users: u32, think: SimTime) {
        self.closed = Some((users, think));
    }

    /// Adds the figure `measure` at `path` (`total`: a count).
    pub fn figure(&mut self, path: String, measure: &'static Measure, value: f64, total: bool) {
        self.figures.push(RunFigure {
            path,
            measure,
            value,
            total,
        });
    }

    /// Returns the closed loop's figures, given the measured throughput and
    /// mean latency: N, Z, and the response time law's N / X − Z (in ms)
    /// and the mean latency's gap to it.
    fn closed_figures(&self, throughput: f64, mean_ms: f64) -> Vec<RunFigure> {
        let Some((users, think)) = self.closed else {
            return Vec::new();
        };
        let law_ms = if throughput > 0.0 {
            (f64::from(users) / throughput) * 1e3 - think.as_millis_f64()
        } else {
            f64::NAN
        };
        let values = [
            (f64::from(users), true),
            (think.as_millis_f64(), false),
            (law_ms, false),
            (mean_ms - law_ms, false),
        ];
        CLOSED
            .iter()
            .zip(values)
            .map(|(m, (value, total))| RunFigure {
                path: m.key.to_string(),
                measure: m,
                value,
                total,
            })
            .collect()
    }

    /// Adds a moment to mark on the time series (at most [`MAX_MARKERS`], so
    /// that frequent random failures cannot fill memory).
    pub fn mark(&mut self, at: SimTime, label: impl Into<String>) {
        if self.markers.len() >= MAX_MARKERS {
            return;
        }
        self.markers.push(Marker {
            at_s: at.as_secs_f64(),
            label: label.into(),
        });
    }

    /// Returns the handle of `component`'s gauge `gauge` in the time series,
    /// starting it at value 0 from time 0 the first time it is asked for
    /// (a part asks when the run starts, and keeps the handle).
    pub fn gauge(&mut self, component: &str, gauge: &'static Gauge) -> GaugeId {
        self.series.gauge(component, gauge)
    }

    /// Sets the gauge `id` to `value` from `now` on (its time-weighted mean
    /// per window goes into the time series).
    #[inline]
    pub fn set_gauge(&mut self, id: GaugeId, now: SimTime, value: f64) {
        self.series.set_gauge(id, now, value);
    }

    /// Ends the measured window at `at` when a run stops early, so that rates
    /// are taken over the time actually simulated.
    pub fn cut_window(&mut self, at: SimTime) {
        // A window of zero length would make every rate 0/0.
        let end = at.max(self.window.start + SimTime(1));
        self.window.end = self.window.end.min(end);
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

    /// Notes an arrival at `now`; `counted` says whether it is in the window.
    #[inline]
    pub fn arrival(&mut self, now: SimTime, counted: bool) {
        self.series.offered(now);
        if counted {
            self.counts.offered += 1;
        }
    }

    /// Takes back the arrival at `at` and the attempt of a request created
    /// ahead of its arrival, when the run stopped before it arrived.
    pub fn withdraw_arrival(&mut self, at: SimTime, counted: bool) {
        self.series.withdraw_offered(at);
        if counted {
            self.counts.offered = self.counts.offered.saturating_sub(1);
            self.counts.attempts = self.counts.attempts.saturating_sub(1);
        }
    }

    /// Notes an attempt (the first try or a retry) of a request.
    #[inline]
    pub fn attempt(&mut self, counted: bool) {
        if counted {
            self.counts.attempts += 1;
        }
    }

    /// Notes how a client request ended, at `now`.
    #[inline]
    pub fn finished(&mut self, counted: bool, kind: u16, ending: Ending, now: SimTime) {
        let (success, good) = match ending {
            Ending::Completed { latency, .. } => {
                self.series.completed(now, latency);
                (true, self.good_latency.is_none_or(|l| latency <= l))
            }
            _ => {
                self.series.error(now);
                (false, false)
            }
        };
        // Under an objective with a latency, a late answer misses it; a
        // request refused for what it is was never meant to be served, and
        // an objective on the service leaves it out.
        let judged = !matches!(ending, Ending::Failed(cause) if cause.refused_for_what_it_is());
        if judged {
            self.slo.record(now, good);
        }
        if success && self.window.contains(now) {
            self.answered += 1;
            self.good += u64::from(good);
        }
        if !counted {
            return;
        }
        if !self.by_type.is_empty() {
            self.tally_type(kind, ending);
        }
        match ending {
            Ending::Rejected => self.counts.rejected += 1,
            Ending::TimedOut => self.counts.timed_out += 1,
            Ending::Failed(cause) => {
                self.counts.failed += 1;
                self.failures[cause as usize] += 1;
            }
            Ending::Completed { latency, wait } => {
                self.counts.completed += 1;
                self.latency.saturating_record(latency.0);
                // A latency fits in an i64, whose conversion is one instruction.
                self.latency_sum_ns += latency.0 as i64 as f64;
                // Zero waits are only counted (as completions that did not
                // wait): most requests of a lightly loaded system never queue,
                // and a histogram record costs a cache miss.
                if wait > SimTime::ZERO {
                    self.waited += 1;
                    self.wait.saturating_record(wait.0);
                    self.wait_sum_ns += wait.0 as i64 as f64;
                }
            }
        }
    }

    /// Counts the ending of a request of type `kind` (a batch job, which
    /// has no type, is not one). Out of line, so that a mix of one type, the
    /// common case, pays only the test in [`Recorder::finished`].
    #[inline(never)]
    fn tally_type(&mut self, kind: u16, ending: Ending) {
        let Some(tally) = self.by_type.get_mut(usize::from(kind)) else {
            return;
        };
        match ending {
            Ending::Completed { latency, .. } => {
                tally.completed += 1;
                tally.latency.saturating_record(latency.0);
                tally.latency_sum_ns += latency.0 as i64 as f64;
            }
            _ => tally.errors += 1,
        }
    }

    /// Returns the figures of each request type (`types.NAME.KEY`), in
    /// type order.
    fn type_figures(&self) -> Vec<RunFigure> {
        let mut figures = Vec::new();
        for t in &self.by_type {
            let pct = |q: f64| {
                if t.latency.is_empty() {
                    0.0
                } else {
                    t.latency.value_at_quantile(q) as f64 / 1e6
                }
            };
            let mean = t.latency_sum_ns / t.completed.max(1) as f64 / 1e6;
            let values = [
                t.completed as f64,
                t.errors as f64,
                mean,
                pct(0.5),
                pct(0.99),
            ];
            for (measure, value) in TYPE.iter().zip(values) {
                figures.push(RunFigure {
                    path: format!("types.{}.{}", t.name, measure.key),
                    measure,
                    value,
                    total: measure.unit == Unit::Count,
                });
            }
        }
        figures
    }

    /// Returns the unsuccessful endings by cause, in report order.
    fn errors(&self) -> Vec<(&'static str, u64)> {
        let mut errors = vec![
            ("rejected", self.counts.rejected),
            ("timed_out", self.counts.timed_out),
        ];
        for cause in Cause::ALL {
            errors.push((cause.name(), self.failures[cause as usize]));
        }
        if let Some(n) = self.dead_lettered {
            errors.push(("dead_lettered", n));
        }
        errors
    }

    /// Notes a counted request, arrived at `arrived`, still in flight when the
    /// run stopped: for the objective, a failure in its arrival's window (an
    /// answer that never came is no success).
    pub fn unfinished(&mut self, arrived: SimTime) {
        self.counts.unfinished += 1;
        self.slo.record(arrived, false);
    }

    /// Adds the session counts of one server that keeps sessions (they are
    /// summed over servers).
    pub fn sessions(&mut self, counts: SessionCounts) {
        self.sessions.add(counts);
    }

    /// Adds `per_hour` to the run's cost per hour: an autoscaled component
    /// pays for the replicas it held over time, not for the machines the
    /// scenario allows it (which the runner prices).
    pub fn adjust_cost(&mut self, per_hour: f64) {
        self.cost_adjustment += per_hour;
    }

    /// Adds the end-of-run statistics of one component.
    pub fn component(&mut self, stats: ComponentStats) {
        self.components.push(stats);
    }

    /// Builds the summary of the run.
    pub fn summarize(mut self, run: RunInfo<'_>) -> RunSummary {
        let RunInfo {
            scenario,
            seed,
            replication,
            events,
            simulated,
            cost_per_hour,
        } = run;
        let cost_per_hour = (cost_per_hour + self.cost_adjustment).max(0.0);
        let c = self.counts;
        let ms = |ns: u64| ns as f64 / 1e6;
        let completed = c.completed.max(1) as f64;
        let throughput = self.answered as f64 / self.window.secs();
        let mut figures = self.closed_figures(throughput, self.latency_sum_ns / completed / 1e6);
        figures.append(&mut self.figures);
        figures.extend(self.type_figures());
        // The zero waits, counted but not recorded, join the histogram now.
        self.wait
            .saturating_record_n(0, c.completed.saturating_sub(self.waited));
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
            throughput_rps: throughput,
            goodput_rps: self.good as f64 / self.window.secs(),
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
            errors: self.errors(),
            sessions: self.sessions,
            slo: self.slo.summarize(),
            cost_per_hour,
            cost_per_million: cost_per_million(
                cost_per_hour,
                self.answered as f64 / self.window.secs(),
            ),
            cdf: CDF_QUANTILES
                .iter()
                .filter(|_| !self.latency.is_empty())
                .map(|&q| CdfPoint {
                    latency_ms: ms(self.latency.value_at_quantile(q)),
                    quantile: q,
                })
                .collect(),
            series: self.series.finish(self.window.end, self.markers),
            components: self.components,
            figures,
            truncated: None,
            pile_up: None,
            journeys: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(x: f64) -> SimTime {
        SimTime::from_secs_f64(x / 1e3)
    }

    #[test]
    fn refusals_for_what_a_request_is_do_not_make_a_window_bad() {
        let window = Window {
            start: SimTime::ZERO,
            end: SimTime::from_secs_f64(20.0),
        };
        let mut r = Recorder::new(window, window.end, Slo::default());
        let done = Ending::Completed {
            latency: ms(5.0),
            wait: SimTime::ZERO,
        };
        // First window: every legitimate request answered, hostile and
        // anonymous ones turned away.
        for _ in 0..100 {
            r.finished(true, 0, done, ms(1000.0));
            r.finished(true, 0, Ending::Failed(Cause::Firewall), ms(1000.0));
            r.finished(true, 0, Ending::Failed(Cause::Unauthorized), ms(1000.0));
        }
        // Second window: one request over the rate limit, an unserved user.
        for _ in 0..100 {
            r.finished(true, 0, done, ms(11_000.0));
        }
        r.finished(true, 0, Ending::Failed(Cause::RateLimited), ms(11_000.0));
        let summary = r.summarize(RunInfo {
            scenario: "refusals",
            seed: 1,
            replication: 0,
            events: 0,
            simulated: window.end,
            cost_per_hour: 0.0,
        });
        assert_eq!(summary.slo.availability, 0.5, "{:?}", summary.slo);
        assert_eq!(summary.slo.downtime_s, 10.0);
    }

    #[test]
    fn zero_waits_count_in_the_wait_percentiles() {
        let window = Window {
            start: SimTime::ZERO,
            end: SimTime::from_secs_f64(10.0),
        };
        let mut r = Recorder::new(window, window.end, Slo::default());
        // 60 requests did not wait, 40 waited 5 ms.
        for i in 0..100 {
            let wait = if i < 60 { SimTime::ZERO } else { ms(5.0) };
            let ending = Ending::Completed {
                latency: ms(20.0),
                wait,
            };
            r.finished(true, 0, ending, ms(100.0));
        }
        let summary = r.summarize(RunInfo {
            scenario: "waits",
            seed: 1,
            replication: 0,
            events: 0,
            simulated: window.end,
            cost_per_hour: 0.0,
        });
        let w = summary.wait_ms;
        assert_eq!(w.p50, 0.0, "most requests did not wait");
        assert!((w.p99 - 5.0).abs() < 0.01, "p99 {}", w.p99);
        assert!((w.mean - 2.0).abs() < 1e-9, "mean {}", w.mean);
        assert!((w.p_wait - 0.4).abs() < 1e-12, "p_wait {}", w.p_wait);
    }

    #[test]
    fn each_type_counts_its_own_endings_when_types_are_tracked() {
        let window = Window {
            start: SimTime::ZERO,
            end: ms(1000.0),
        };
        let mut r = Recorder::new(window, ms(1000.0), Slo::default());
        r.track_types(["read".to_string(), "write".to_string()]);
        let done = |latency: f64| Ending::Completed {
            latency: ms(latency),
            wait: SimTime::ZERO,
        };
        r.finished(true, 0, done(2.0), ms(100.0));
        r.finished(true, 1, done(8.0), ms(100.0));
        r.finished(true, 1, Ending::TimedOut, ms(100.0));
        // Outside the window, and a batch job without a type: not counted.
        r.finished(false, 1, done(50.0), ms(100.0));
        r.finished(true, u16::MAX, done(50.0), ms(100.0));
        let figures = r.type_figures();
        let value = |path: &str| figures.iter().find(|f| f.path == path).map(|f| f.value);
        assert_eq!(value("types.read.completed"), Some(1.0));
        assert_eq!(value("types.write.completed"), Some(1.0));
        assert_eq!(value("types.write.errors"), Some(1.0));
        let write_mean = value("types.write.latency_ms_mean").unwrap();
        assert!((write_mean - 8.0).abs() < 0.01, "{write_mean}");
        // Untracked: no figures at all.
        let mut single = Recorder::new(window, ms(1000.0), Slo::default());
        single.finished(true, 0, done(2.0), ms(100.0));
        assert!(single.type_figures().is_empty());
    }
}
