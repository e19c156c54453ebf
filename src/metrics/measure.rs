//! What a figure means: its key in the results, how it reads, its unit and
//! which way is better.
//!
//! Every figure scalesim reports is declared once: the figures of every run
//! here ([`CORE`], [`COMPONENT`]), and each kind's own figures by the kind
//! (`Kind::MEASURES`). The terminal table, the JSON and CSV, the charts, the
//! HTML report and the automatic reading are built from these declarations,
//! so a new kind's figures appear in all of them without touching the report.

use std::borrow::Cow;

/// The unit of a figure, which decides how it is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A share in [0, 1], shown as a percentage.
    Share,
    /// A number of things: requests, probes, writes.
    Count,
    /// Milliseconds.
    Ms,
    /// Seconds.
    Seconds,
    /// Hours.
    Hours,
    /// Requests per second.
    PerSecond,
    /// Dollars per hour.
    DollarsPerHour,
    /// Dollars.
    Dollars,
    /// Requests, averaged over time (a queue length).
    Requests,
    /// A plain number (a ratio that may exceed 1, a count of nines).
    Number,
}

impl Unit {
    /// Returns the unit as written after a value (`%`, `ms`...), or "".
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Share => "%",
            Unit::Ms => "ms",
            Unit::Seconds => "s",
            Unit::Hours => "h",
            Unit::PerSecond => "requests/s",
            Unit::DollarsPerHour => "$/h",
            Unit::Dollars => "$",
            Unit::Requests => "requests",
            Unit::Count | Unit::Number => "",
        }
    }

    /// Returns the factor from the stored value to the shown one (100 for a share).
    pub fn scale(self) -> f64 {
        match self {
            Unit::Share => 100.0,
            _ => 1.0,
        }
    }
}

/// Which way a figure is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// More is better (availability, hit ratio).
    Higher,
    /// Less is better (latency, lost writes).
    Lower,
    /// Neither: a description of the run (requests offered, events).
    Neither,
}

/// The declaration of one figure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measure {
    /// Its key in the results: a path for the figures of every run
    /// (`latency_ms.p99`), the last key for a component's (`hit_ratio`). In a
    /// family of figures, `{i}` stands for the index (`shard_{i}_utilization`).
    pub key: &'static str,
    /// How it reads in a table or on an axis (`hit ratio`).
    pub label: &'static str,
    /// Its unit.
    pub unit: Unit,
    /// Which way is better.
    pub better: Better,
    /// Whether it is a lesson figure: one a scenario is often about (lost
    /// writes, hit ratio, retry amplification), shown in the table and first
    /// in the report wherever it has something to say.
    pub lesson: bool,
    /// The value at which a lesson figure has nothing to say (no write lost,
    /// no retry): a figure at this value in every compared scenario is not
    /// put forward.
    pub neutral: Option<f64>,
    /// Whether a run may leave it undefined (NaN), as the nines of a run
    /// that met its objective in every window. A figure without this is a
    /// finite number in every run, and never infinite in any.
    pub may_be_undefined: bool,
    /// Whether it may be negative (a difference). Every other figure is
    /// nonnegative, and a share lies in [0, 1]: the bounds of its interval
    /// are written clamped to that range ([`Measure::range`]).
    pub signed: bool,
}

impl Measure {
    /// Declares a figure.
    pub const fn new(key: &'static str, label: &'static str, unit: Unit, better: Better) -> Self {
        Self {
            key,
            label,
            unit,
            better,
            lesson: false,
            neutral: None,
            may_be_undefined: false,
            signed: false,
        }
    }

    /// Makes it a lesson figure, with nothing to say at `neutral` (if given).
    pub const fn lesson(self, neutral: Option<f64>) -> Self {
        Self {
            lesson: true,
            neutral,
            ..self
        }
    }

    /// Declares that a run may leave it undefined (NaN).
    pub const fn may_be_undefined(self) -> Self {
        Self {
            may_be_undefined: true,
            ..self
        }
    }

    /// Declares that it may be negative.
    pub const fn signed(self) -> Self {
        Self {
            signed: true,
            ..self
        }
    }

    /// Returns the smallest and largest values it can take: any number for a
    /// signed figure, [0, 1] for a share, [0, ∞) for every other.
    pub fn range(&self) -> (f64, f64) {
        match (self.signed, self.unit) {
            (true, _) => (f64::NEG_INFINITY, f64::INFINITY),
            (false, Unit::Share) => (0.0, 1.0),
            (false, _) => (0.0, f64::INFINITY),
        }
    }

    /// Returns the bounds of an interval of this figure, clamped to the
    /// values it can take ([`Measure::range`]).
    ///
    /// A Student t interval is symmetric about the mean and can reach below
    /// zero for a count near zero; the true mean cannot, so the clamped
    /// interval holds it whenever the whole one does (the same coverage), and
    /// it prints no impossible value.
    pub fn clamp_bounds(&self, low: f64, high: f64) -> (f64, f64) {
        let (min, max) = self.range();
        (low.clamp(min, max), high.clamp(min, max))
    }

    /// Returns true if a run can give it `value`: a finite number, or NaN
    /// where the figure may be undefined. No figure is ever infinite.
    pub fn admits(&self, value: f64) -> bool {
        value.is_finite() || (value.is_nan() && self.may_be_undefined)
    }

    /// Returns its key, with `index` in place of `{i}` for a family.
    pub fn key_for(&self, index: Option<u32>) -> Cow<'static, str> {
        match index {
            Some(i) if self.key.contains("{i}") => {
                Cow::Owned(self.key.replace("{i}", &i.to_string()))
            }
            _ => Cow::Borrowed(self.key),
        }
    }

    /// Returns true if `key` is this figure's key, or one of its family's.
    pub fn matches(&self, key: &str) -> bool {
        match self.key.split_once("{i}") {
            None => self.key == key,
            Some((head, tail)) => key
                .strip_prefix(head)
                .and_then(|rest| rest.strip_suffix(tail))
                .is_some_and(|digits| {
                    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
                }),
        }
    }

    /// Returns its label for the figure at `key`: in a family, with the
    /// member's index in place of `{i}` (`shard 3 utilisation`).
    pub fn label_for(&self, key: &str) -> Cow<'static, str> {
        if self.key == CORE_ERRORS.key {
            return key
                .strip_prefix("errors.")
                .map_or(Cow::Borrowed(self.label), error_label);
        }
        let index = self.key.split_once("{i}").and_then(|(head, tail)| {
            key.strip_prefix(head)
                .and_then(|rest| rest.strip_suffix(tail))
        });
        match index {
            Some(i) if self.label.contains("{i}") => Cow::Owned(self.label.replace("{i}", i)),
            _ => Cow::Borrowed(self.label),
        }
    }

    /// Returns true if `value` has nothing to say (it is the neutral value).
    pub fn is_neutral(&self, value: f64) -> bool {
        self.neutral
            .is_some_and(|n| (value - n).abs() <= 1e-12 * n.abs().max(1.0))
    }
}

/// A figure of unknown meaning (read from a file that names a figure no kind
/// declares): shown as a plain number.
pub const OTHER: Measure = Measure::new("", "", Unit::Number, Better::Neither);

/// The figures of every run, by their path in the results, in report order.
pub const CORE: &[&Measure] = &[
    &Measure::new(
        "simulated_s",
        "simulated time",
        Unit::Seconds,
        Better::Neither,
    ),
    &Measure::new("events", "events", Unit::Count, Better::Neither),
    &Measure::new(
        "requests.offered",
        "offered requests",
        Unit::Count,
        Better::Neither,
    ),
    &Measure::new(
        "requests.completed",
        "completed requests",
        Unit::Count,
        Better::Higher,
    ),
    &Measure::new(
        "requests.rejected",
        "rejected requests",
        Unit::Count,
        Better::Lower,
    ),
    &Measure::new(
        "requests.timed_out",
        "timed out requests",
        Unit::Count,
        Better::Lower,
    ),
    &Measure::new(
        "requests.failed",
        "failed requests",
        Unit::Count,
        Better::Lower,
    ),
    &Measure::new(
        "requests.unfinished",
        "unfinished requests",
        Unit::Count,
        Better::Neither,
    ),
    &Measure::new(
        "requests.attempts",
        "attempts",
        Unit::Count,
        Better::Neither,
    ),
    &Measure::new(
        "retry_amplification",
        "retry amplification",
        Unit::Number,
        Better::Lower,
    )
    .lesson(Some(1.0)),
    &Measure::new("sessions.logins", "logins", Unit::Count, Better::Neither),
    &Measure::new("sessions.relogins", "re-logins", Unit::Count, Better::Lower).lesson(Some(0.0)),
    &Measure::new("sessions.lost", "lost sessions", Unit::Count, Better::Lower).lesson(Some(0.0)),
    &Measure::new(
        "throughput_rps",
        "throughput",
        Unit::PerSecond,
        Better::Higher,
    ),
    &Measure::new("goodput_rps", "goodput", Unit::PerSecond, Better::Higher),
    &Measure::new("availability", "availability", Unit::Share, Better::Higher),
    &Measure::new("latency_ms.mean", "mean latency", Unit::Ms, Better::Lower),
    &Measure::new("latency_ms.p50", "p50 latency", Unit::Ms, Better::Lower),
    &Measure::new("latency_ms.p90", "p90 latency", Unit::Ms, Better::Lower),
    &Measure::new("latency_ms.p99", "p99 latency", Unit::Ms, Better::Lower),
    &Measure::new("latency_ms.p999", "p99.9 latency", Unit::Ms, Better::Lower),
    &Measure::new("latency_ms.max", "max latency", Unit::Ms, Better::Lower),
    &Measure::new("wait_ms.mean", "mean wait", Unit::Ms, Better::Lower),
    &Measure::new("wait_ms.p50", "p50 wait", Unit::Ms, Better::Lower),
    &Measure::new("wait_ms.p99", "p99 wait", Unit::Ms, Better::Lower),
    &Measure::new(
        "wait_ms.p_wait",
        "share of requests that waited",
        Unit::Share,
        Better::Lower,
    ),
    &Measure::new("slo.target", "SLO target", Unit::Share, Better::Neither),
    &Measure::new("slo.window_s", "SLO window", Unit::Seconds, Better::Neither),
    &Measure::new(
        "slo.availability",
        "SLO availability",
        Unit::Share,
        Better::Higher,
    ),
    &Measure::new(
        "slo.downtime_s",
        "SLO downtime",
        Unit::Seconds,
        Better::Lower,
    )
    .lesson(Some(0.0)),
    // A run that met its objective in every window has no finite number of
    // nines: its nines are written as undefined.
    &Measure::new("slo.nines", "nines", Unit::Number, Better::Higher).may_be_undefined(),
    &Measure::new(
        "slo.downtime_per_year_h",
        "downtime per year",
        Unit::Hours,
        Better::Lower,
    ),
    &Measure::new(
        "cost_per_hour",
        "cost per hour",
        Unit::DollarsPerHour,
        Better::Lower,
    ),
    &Measure::new(
        "cost_per_million",
        "cost per million requests",
        Unit::Dollars,
        Better::Lower,
    ),
];

/// The figures of a run whose traffic is a closed loop (`traffic.closed`),
/// by their path: N and Z, and the response time law's R = N / X − Z from
/// the measured throughput X, beside the measured mean latency.
pub const CLOSED: &[&Measure] = &[
    &Measure::new(
        "closed.users",
        "closed-loop users (N)",
        Unit::Count,
        Better::Neither,
    ),
    &Measure::new(
        "closed.think_ms",
        "think time (Z)",
        Unit::Ms,
        Better::Neither,
    ),
    // Undefined when nothing was answered (X = 0).
    &Measure::new(
        "closed.law_latency_ms",
        "N / X − Z",
        Unit::Ms,
        Better::Neither,
    )
    .may_be_undefined(),
    &Measure::new(
        "closed.law_gap_ms",
        "mean latency − (N / X − Z)",
        Unit::Ms,
        Better::Neither,
    )
    .may_be_undefined()
    .signed(),
];

/// The figures of each cron entry, by their last key (the path is
/// `cron.NAME.KEY`), in report order.
pub const CRON: &[&Measure] = &[
    &Measure::new("runs", "cron batches run", Unit::Count, Better::Neither),
    &Measure::new("jobs", "cron jobs done", Unit::Count, Better::Neither),
    &Measure::new("batch_ms", "cron batch duration", Unit::Ms, Better::Lower),
    &Measure::new("job_wait_ms", "cron job wait", Unit::Ms, Better::Lower),
];

/// The figures of each request type, by their last key (the path is
/// `types.NAME.KEY`), in report order: reported when the mix has two types or
/// more, up to the limit `MAX_TYPES_WITH_FIGURES` of the scenario's rules.
pub const TYPE: &[&Measure] = &[
    &Measure::new("completed", "answered", Unit::Count, Better::Higher),
    &Measure::new(
        "errors",
        "rejected, timed out or failed",
        Unit::Count,
        Better::Lower,
    ),
    &Measure::new("latency_ms_mean", "mean latency", Unit::Ms, Better::Lower),
    &Measure::new("latency_ms_p50", "p50 latency", Unit::Ms, Better::Lower),
    &Measure::new("latency_ms_p99", "p99 latency", Unit::Ms, Better::Lower),
];

/// The figures of each edge of a call graph, by their last key (the path is
/// `edges.CALLER->CALLEE.KEY`), in report order.
pub const EDGE: [&Measure; 11] = [
    &Measure::new(
        "calls",
        "calls made on the edge",
        Unit::Count,
        Better::Neither,
    ),
    &Measure::new(
        "attempts",
        "calls sent, retries included",
        Unit::Count,
        Better::Neither,
    ),
    &Measure::new(
        "failures",
        "attempts answered with an error",
        Unit::Count,
        Better::Lower,
    ),
    &Measure::new("timeouts", "attempts timed out", Unit::Count, Better::Lower),
    &Measure::new(
        "short_circuited",
        "calls failed by the open breaker",
        Unit::Count,
        Better::Neither,
    ),
    &Measure::new(
        "rejected_by_bulkhead",
        "calls refused by the bulkhead",
        Unit::Count,
        Better::Lower,
    ),
    &Measure::new(
        "retries",
        "retries on the edge",
        Unit::Count,
        Better::Neither,
    ),
    &Measure::new(
        "failed_calls",
        "calls failed after retries",
        Unit::Count,
        Better::Lower,
    ),
    &Measure::new(
        "degraded",
        "failed calls covered by the fallback",
        Unit::Count,
        Better::Neither,
    ),
    &Measure::new(
        "wasted",
        "answers nobody waited for",
        Unit::Count,
        Better::Lower,
    ),
    &Measure::new(
        "open_s",
        "time the breaker was open",
        Unit::Seconds,
        Better::Neither,
    ),
];

/// The figures of every component, by their last key, in report order.
pub const COMPONENT: &[&Measure] = &[
    &Measure::new("utilization", "utilisation", Unit::Share, Better::Neither),
    &Measure::new("mean_queue", "mean queue", Unit::Requests, Better::Lower),
    &Measure::new("completed", "completed", Unit::Count, Better::Neither),
    &Measure::new("rejected", "rejected", Unit::Count, Better::Lower),
    &Measure::new("cores", "cores", Unit::Count, Better::Neither),
];

/// The critical-path figures of each component, in the order written
/// (`components.NAME.critical_path.share`...): the component's part of the
/// end-to-end latency of the sampled requests, whole and split three ways.
/// A run that measured no sampled request leaves them undefined.
pub const CRITICAL_PATH: &[&Measure] = &[
    &Measure::new(
        "critical_path.share",
        "share of latency on the critical path",
        Unit::Share,
        Better::Neither,
    )
    .may_be_undefined(),
    &Measure::new(
        "critical_path.queueing",
        "critical path: queueing",
        Unit::Share,
        Better::Neither,
    )
    .may_be_undefined(),
    &Measure::new(
        "critical_path.service",
        "critical path: service",
        Unit::Share,
        Better::Neither,
    )
    .may_be_undefined(),
    &Measure::new(
        "critical_path.network",
        "critical path: network",
        Unit::Share,
        Better::Neither,
    )
    .may_be_undefined(),
];

/// The number of sampled requests whose critical path was walked: completed
/// attempts that arrived after the warm-up.
pub const CRITICAL_PATH_REQUESTS: Measure = Measure::new(
    "critical_path.requests",
    "requests on the critical path sample",
    Unit::Count,
    Better::Neither,
);

/// Returns the declaration of the run figure at `path` (`latency_ms.p99`).
pub fn core(path: &str) -> Option<&'static Measure> {
    if path == CRITICAL_PATH_REQUESTS.key {
        return Some(&CRITICAL_PATH_REQUESTS);
    }
    if let Some(cause) = path.strip_prefix("errors.") {
        return (!cause.is_empty()).then_some(CORE_ERRORS);
    }
    if let Some(rest) = path.strip_prefix("cron.") {
        let (name, key) = rest.split_once('.')?;
        return (!name.is_empty() && !key.contains('.'))
            .then(|| CRON.iter().copied().find(|m| m.key == key))
            .flatten();
    }
    if let Some(rest) = path.strip_prefix("types.") {
        let (name, key) = rest.rsplit_once('.')?;
        return (!name.is_empty())
            .then(|| TYPE.iter().copied().find(|m| m.key == key))
            .flatten();
    }
    if let Some(rest) = path.strip_prefix("edges.") {
        let (name, key) = rest.rsplit_once('.')?;
        return (!name.is_empty())
            .then(|| EDGE.iter().copied().find(|m| m.key == key))
            .flatten();
    }
    CORE.iter().chain(CLOSED).copied().find(|m| m.key == path)
}

/// The declaration shared by the unsuccessful endings (`errors.rejected`...);
/// each one's label names its cause ([`error_label`]).
const CORE_ERRORS: &Measure = &Measure::new("errors.{cause}", "errors", Unit::Count, Better::Lower);

/// How each unsuccessful ending reads, by its key under `errors.`: the
/// words a reader would use, not the key (`dropped by the firewall`).
const ERROR_LABELS: &[(&str, &str)] = &[
    ("rejected", "rejected"),
    ("timed_out", "timed out"),
    ("lost_in_crash", "lost in a crash"),
    ("sent_to_down_node", "sent to a down node"),
    ("no_healthy_target", "no healthy target"),
    ("during_failover", "failed during a failover"),
    ("network_partition", "cut off by a network partition"),
    ("firewall_dropped", "dropped by the firewall"),
    ("unauthorized", "unauthorized"),
    ("rate_limited", "rate limited"),
    ("session_lost", "session lost"),
    ("circuit_open", "refused by an open circuit breaker"),
    ("bulkhead_full", "refused by a full bulkhead"),
    ("call_timed_out", "a call timed out"),
    ("throttled", "throttled"),
    ("dead_lettered", "dead-lettered"),
];

/// Returns how the unsuccessful ending `cause` (its key under `errors.`)
/// reads; an ending no run declares reads as its key in words.
pub fn error_label(cause: &str) -> Cow<'static, str> {
    match ERROR_LABELS.iter().find(|(key, _)| *key == cause) {
        Some((_, label)) => Cow::Borrowed(*label),
        None => Cow::Owned(cause.replace('_', " ")),
    }
}

/// A value one component reported for one of its kind's figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    /// The figure.
    pub measure: &'static Measure,
    /// Its index in a family (`Some(3)` for `shard_3_utilization`).
    pub index: Option<u32>,
    /// The value.
    pub value: f64,
}

impl Reading {
    /// Reads `value` for `measure`.
    pub fn of(measure: &'static Measure, value: f64) -> Self {
        Self {
            measure,
            index: None,
            value,
        }
    }

    /// Reads `value` for member `index` of the family `measure`.
    pub fn indexed(measure: &'static Measure, index: u32, value: f64) -> Self {
        Self {
            measure,
            index: Some(index),
            value,
        }
    }

    /// Returns its key in the results.
    pub fn key(&self) -> Cow<'static, str> {
        self.measure.key_for(self.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_name_their_members_and_recognise_them() {
        const SHARD: Measure = Measure::new(
            "shard_{i}_utilization",
            "shard utilisation",
            Unit::Share,
            Better::Neither,
        );
        assert_eq!(SHARD.key_for(Some(3)), "shard_3_utilization");
        // A label without `{i}` reads the same for every member.
        assert_eq!(SHARD.label_for("shard_3_utilization"), "shard utilisation");
        let labelled = Measure {
            label: "shard {i} utilisation",
            ..SHARD
        };
        assert_eq!(
            labelled.label_for("shard_12_utilization"),
            "shard 12 utilisation"
        );
        assert!(SHARD.matches("shard_12_utilization"));
        assert!(!SHARD.matches("shard__utilization"));
        assert!(!SHARD.matches("shard_x_utilization"));
        let plain = Measure::new("hit_ratio", "hit ratio", Unit::Share, Better::Higher);
        assert_eq!(plain.key_for(Some(1)), "hit_ratio");
        assert!(plain.matches("hit_ratio") && !plain.matches("hit_ratios"));
    }

    #[test]
    fn every_run_figure_is_declared_once() {
        for (i, m) in CORE.iter().enumerate() {
            assert!(
                CORE[i + 1..].iter().all(|other| other.key != m.key),
                "{} twice",
                m.key
            );
        }
        assert_eq!(
            core("errors.lost_in_crash").map(|m| m.unit),
            Some(Unit::Count)
        );
        assert_eq!(core("latency_ms.p99").map(|m| m.label), Some("p99 latency"));
        // Each ending reads as its cause, not as the family's name.
        let errors = core("errors.firewall_dropped").unwrap();
        assert_eq!(
            errors.label_for("errors.firewall_dropped"),
            "dropped by the firewall"
        );
        assert_eq!(errors.label_for("errors.unauthorized"), "unauthorized");
        assert_eq!(errors.label_for("errors.new_cause"), "new cause");
        for cause in crate::model::Cause::ALL {
            assert!(
                ERROR_LABELS.iter().any(|(key, _)| *key == cause.name()),
                "{} has no label",
                cause.name()
            );
        }
        assert!(core("latency_ms.p98").is_none());
    }

    #[test]
    fn only_figures_that_may_be_undefined_admit_nan_and_none_admits_infinity() {
        let nines = core("slo.nines").unwrap();
        let p99 = core("latency_ms.p99").unwrap();
        assert!(nines.admits(f64::NAN) && nines.admits(2.5));
        assert!(!nines.admits(f64::INFINITY));
        assert!(p99.admits(0.0) && !p99.admits(f64::NAN));
        assert!(!p99.admits(f64::NEG_INFINITY));
        let undefined: Vec<&str> = CORE
            .iter()
            .chain(COMPONENT)
            .filter(|m| m.may_be_undefined)
            .map(|m| m.key)
            .collect();
        assert_eq!(undefined, ["slo.nines"]);
    }

    #[test]
    fn neutral_values_have_nothing_to_say() {
        let m = Measure::new("x", "x", Unit::Number, Better::Lower).lesson(Some(1.0));
        assert!(m.is_neutral(1.0) && !m.is_neutral(1.01));
        assert!(!Measure::new("y", "y", Unit::Count, Better::Lower).is_neutral(0.0));
    }
}
