//! The figures of one replication of one scenario.

use serde::Serialize;

use super::journeys::JourneySummary;
use super::measure::Measure;
use super::recorder::ComponentStats;
use super::series::{SeriesPoint, TimeSeries};
use super::slo::SloSummary;

/// Request counts (after the warm-up).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Requests that arrived at the entry.
    pub offered: u64,
    /// Requests answered successfully within the client's timeout.
    pub completed: u64,
    /// Requests refused because a queue or capacity limit was full.
    pub rejected: u64,
    /// Requests answered after the client's timeout.
    pub timed_out: u64,
    /// Requests lost to a failure.
    pub failed: u64,
    /// Requests still in flight when the run ended.
    pub unfinished: u64,
    /// Attempts sent (first tries plus retries).
    pub attempts: u64,
}

/// What happened to the users' sessions, over the measured window, summed
/// over every server that keeps sessions (`docs/model.md`, "Sessions").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SessionCounts {
    /// Logins of users who held no live session: a first visit, or a return
    /// after the session expired idle.
    pub logins: u64,
    /// Logins of users whose session was lost: at once (`session_miss:
    /// relogin`) or on the request after the one that failed (`error`).
    pub relogins: u64,
    /// Requests that did not find the live session their user had: not on
    /// the machine that served them, or not in the store.
    pub lost: u64,
}

impl SessionCounts {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: SessionCounts) {
        self.logins += other.logins;
        self.relogins += other.relogins;
        self.lost += other.lost;
    }
}

/// Latency percentiles of completed requests, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest.
    pub max: f64,
}

/// Time spent queued before service, in milliseconds, over completed requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct WaitSummary {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Fraction of completed requests that waited at all.
    pub p_wait: f64,
}

/// Everything measured in one replication.
#[derive(Clone, Debug)]
pub struct RunSummary {
    /// Scenario name.
    pub scenario: String,
    /// Scenario seed.
    pub seed: u64,
    /// Replication number (0-based).
    pub replication: u64,
    /// Simulated time, in seconds, including the drain after arrivals stopped.
    pub simulated_s: f64,
    /// Events handled by the engine.
    pub events: u64,
    /// Request counts.
    pub requests: Counts,
    /// Successful answers delivered per second of measured window, whenever
    /// their request arrived.
    pub throughput_rps: f64,
    /// Successful answers within the objective's latency (all of them without
    /// one) per second of measured window.
    pub goodput_rps: f64,
    /// Completed divided by offered.
    pub availability: f64,
    /// Latency of completed requests.
    pub latency_ms: LatencySummary,
    /// Waiting time of completed requests.
    pub wait_ms: WaitSummary,
    /// Unsuccessful endings by cause (rejected, timed out, lost in a crash...).
    pub errors: Vec<(&'static str, u64)>,
    /// Logins and lost sessions, summed over the servers that keep sessions
    /// (all zero when none does).
    pub sessions: SessionCounts,
    /// Availability over time, judged window by window against the SLO.
    pub slo: SloSummary,
    /// Price of the machines per hour.
    pub cost_per_hour: f64,
    /// Price of a million successful answers at the measured throughput.
    pub cost_per_million: f64,
    /// Latency quantiles of completed requests, for the CDF chart.
    pub cdf: Vec<CdfPoint>,
    /// Per-window counts over the whole run, for the time-series chart.
    pub series: TimeSeries,
    /// Per-component statistics, in scenario order.
    pub components: Vec<ComponentStats>,
    /// The figures of the run that only some scenarios have (a closed
    /// loop's, each cron entry's), in report order.
    pub figures: Vec<RunFigure>,
    /// Why and when the run stopped early, if a guard rail stopped it.
    pub truncated: Option<Truncation>,
    /// What piled up, when the in-flight guard rail stopped the run.
    pub pile_up: Option<PileUp>,
    /// What the run recorded of its sampled requests' journeys (`None`:
    /// it sampled none).
    pub journeys: Option<JourneySummary>,
}

/// Why a run stopped before the end of its scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// It handled `--max-events` events.
    MaxEvents,
    /// It ran for `--max-wall` of wall-clock time.
    MaxWall,
    /// More than `--max-in-flight` requests were in flight at once (an
    /// overloaded system whose queues grow without bound).
    MaxInFlight,
    /// The user pressed Ctrl-C.
    Interrupted,
    /// Simulated time stood still for [`MAX_EVENTS_AT_ONE_INSTANT`] events:
    /// a loop of steps that take no time, which would never end.
    Stalled,
}

/// Most events a run handles without its simulated clock moving before it
/// stops as [`StopReason::Stalled`]: more than a burst at one instant of as
/// many arrivals as a trace may list (10,000,000), each a few zero-delay
/// hops, and reached in a few seconds by a loop of zero-time steps (users
/// who send again at once after an instant refusal, with no think time).
pub const MAX_EVENTS_AT_ONE_INSTANT: u64 = 100_000_000;

impl StopReason {
    /// Returns the name used in results (`max_in_flight`...).
    pub fn name(self) -> &'static str {
        match self {
            StopReason::MaxEvents => "max_events",
            StopReason::MaxWall => "max_wall",
            StopReason::MaxInFlight => "max_in_flight",
            StopReason::Interrupted => "interrupted",
            StopReason::Stalled => "stalled",
        }
    }

    /// Returns the reason named `name` in results, if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            StopReason::MaxEvents,
            StopReason::MaxWall,
            StopReason::MaxInFlight,
            StopReason::Interrupted,
            StopReason::Stalled,
        ]
        .into_iter()
        .find(|r| r.name() == name)
    }
}

/// What piled up in a run the in-flight guard rail stopped, from its start
/// to the stop: the terms of Little's law (in flight = arrival rate × time
/// in system), for a caller to say why the run stopped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PileUp {
    /// Client requests that arrived per second.
    pub arrival_rps: f64,
    /// Client requests answered successfully per second: the capacity the
    /// system showed under that load.
    pub answer_rps: f64,
    /// Client requests that ended otherwise (refused, timed out, lost) per second.
    pub error_rps: f64,
    /// Client requests in flight at the stop.
    pub requests: u64,
    /// What the guard rail counted at the stop: the requests, the events
    /// pending and the state the parts keep for them.
    pub held: u64,
    /// When the run stopped, in seconds of simulated time.
    pub at_s: f64,
}

impl PileUp {
    /// Returns the terms of the run whose time series `series` covers its
    /// start up to the stop at `at_s`, where the guard rail counted `held`.
    pub fn of(series: &TimeSeries, at_s: f64, held: u64) -> Self {
        let count = |rate: fn(&SeriesPoint) -> f64| {
            let sum: f64 = series.points.iter().map(rate).sum();
            (sum * series.window_s).round()
        };
        let arrived = count(|p| p.offered_rps);
        let answered = count(|p| p.throughput_rps);
        let failed = count(|p| p.errors_rps);
        let per_second = |n: f64| if at_s > 0.0 { n / at_s } else { 0.0 };
        PileUp {
            arrival_rps: per_second(arrived),
            answer_rps: per_second(answered),
            error_rps: per_second(failed),
            requests: (arrived - answered - failed).max(0.0) as u64,
            held,
            at_s,
        }
    }

    /// Returns the mean time a request would spend in the system at the
    /// stop, by Little's law: the requests in flight over the arrival rate,
    /// in seconds (`None` when nothing arrived).
    pub fn time_in_system_s(&self) -> Option<f64> {
        (self.arrival_rps > 0.0).then(|| self.requests as f64 / self.arrival_rps)
    }

    /// Returns how many more requests arrived than ended, per second: the
    /// rate at which they piled up.
    pub fn growth_rps(&self) -> f64 {
        self.arrival_rps - self.answer_rps - self.error_rps
    }
}

/// A run stopped early: why, and at which simulated time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Truncation {
    /// What stopped it.
    pub reason: StopReason,
    /// Simulated time when it stopped, in seconds.
    pub at_s: f64,
}

/// One point of a latency distribution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct CdfPoint {
    /// Latency, in milliseconds.
    pub latency_ms: f64,
    /// Fraction of completed requests at or below it.
    pub quantile: f64,
}

/// A figure of a run that only some scenarios have: a closed loop's, or a
/// cron entry's.
#[derive(Clone, Debug, PartialEq)]
pub struct RunFigure {
    /// Its path in the results (`closed.users`, `cron.rebuild.runs`).
    pub path: String,
    /// Its declaration.
    pub measure: &'static Measure,
    /// Its value.
    pub value: f64,
    /// True for counts: whole numbers in each run.
    pub total: bool,
}
