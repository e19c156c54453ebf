//! `autoscale:` on a server: target tracking, as Kubernetes' horizontal pod
//! autoscaler and the clouds' target-tracking policies do it.
//!
//! Every `interval` the autoscaler reads its metric over the replicas in
//! service and wants `ceil(serving × metric / target)` replicas, clamped to
//! `[min, max]`; within 10% of the target it changes nothing. New replicas
//! boot for the component's `boot` time before they serve; replicas taken
//! out stop taking work and leave once their work is done. With `min: 0` a
//! request that finds no replica starts one at once and waits for it, and the
//! last replica stops as soon as it is idle (the classic queue with setup
//! times). docs/model.md, "Autoscaling", gives the whole policy.
//!
//! This module holds the settings and the state of the fleet; the server
//! moves its requests accordingly.

use serde::Deserialize;
use serde_json::Value;

use crate::engine::SimTime;
use crate::metrics::{Better, ElasticityMeter, Gauge, Measure, Reading, Unit, Window};
use crate::spec::limits::MAX_REPLICAS;
use crate::spec::units::{parse_duration, parse_fraction, parse_rate};
use crate::spec::{join_key, parse_lenient, Duration, Issue};

/// Within this relative distance of the target the autoscaler does nothing
/// (Kubernetes' default tolerance).
pub const TOLERANCE: f64 = 0.1;

/// Default time between two evaluations of the metric.
const DEFAULT_INTERVAL: SimTime = SimTime(15_000_000_000);
/// Default time after any scale event before a scale-in (Kubernetes'
/// default scale-down stabilisation).
const DEFAULT_COOLDOWN_IN: SimTime = SimTime(300_000_000_000);

/// Mean replicas held (booting, serving or draining) over the measured window.
pub const REPLICAS_MEAN: Measure =
    Measure::new("replicas_mean", "replicas held, mean", Unit::Number, Better::Neither).lesson(None);
/// Most replicas held at once in the measured window.
pub const REPLICAS_MAX: Measure =
    Measure::new("replicas_max", "replicas held, most", Unit::Count, Better::Neither);
/// Scale-out events in the measured window.
pub const SCALE_OUTS: Measure = Measure::new("scale_outs", "scale-outs", Unit::Count, Better::Neither);
/// Scale-in events in the measured window.
pub const SCALE_INS: Measure = Measure::new("scale_ins", "scale-ins", Unit::Count, Better::Neither);
/// Replicas held times hours, over the measured window: what is billed.
pub const REPLICA_HOURS: Measure =
    Measure::new("replica_hours", "replica-hours", Unit::Number, Better::Lower);
/// Share of the measured time with fewer serving replicas than the demand needs.
pub const UNDER_PROVISIONED: Measure = Measure::new(
    "under_provisioned_share",
    "time under-provisioned",
    Unit::Share,
    Better::Lower,
)
.lesson(Some(0.0));
/// Share of the measured time with more serving replicas than the demand needs.
pub const OVER_PROVISIONED: Measure = Measure::new(
    "over_provisioned_share",
    "time over-provisioned",
    Unit::Share,
    Better::Lower,
)
.lesson(Some(0.0));

/// Missing serving replicas over the demand, time-averaged (SPEC Research
/// Group's under-provisioning accuracy).
pub const UNDER_ACCURACY: Measure = Measure::new(
    "under_provisioning_accuracy",
    "under-provisioning, of demand",
    Unit::Share,
    Better::Lower,
);
/// Extra serving replicas over the demand, time-averaged (over-provisioning
/// accuracy).
pub const OVER_ACCURACY: Measure = Measure::new(
    "over_provisioning_accuracy",
    "over-provisioning, of demand",
    Unit::Share,
    Better::Lower,
);
/// Share of the measured time in intervals where the serving replicas moved
/// in another direction than the demand.
pub const INSTABILITY: Measure =
    Measure::new("instability", "instability", Unit::Share, Better::Lower);

/// The replicas held (booting, serving, draining), over time.
pub const REPLICAS: Gauge = Gauge::new("replicas", "replicas held", "replicas");

/// Calls that named a replica not in service (booting, draining or off):
/// sent before it was taken out, across the network's latency, or by a part
/// that did not follow the registrations. They are served by a replica in
/// service (one draining serves them itself).
pub const MISROUTED: Measure =
    Measure::new("misrouted", "calls to a replica out of service", Unit::Count, Better::Lower);

/// What the autoscaler tracks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Mean utilisation of the cores of the serving replicas over the interval.
    Cpu,
    /// Requests waiting per serving replica, when the metric is read.
    Queue,
    /// The 99th percentile of the latency of the component's successful
    /// answers in the interval (from arrival to answer, calls included).
    P99,
    /// Arrivals per serving replica per second over the interval.
    Rps,
}

/// `cooldown:` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCooldown {
    out: Option<Duration>,
    #[serde(rename = "in")]
    inward: Option<Duration>,
}

/// `autoscale:` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAutoscale {
    min: u32,
    max: u32,
    metric: Metric,
    target: Value,
    interval: Option<Duration>,
    cooldown: Option<RawCooldown>,
}

/// The validated settings of an autoscaling group.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AutoscaleSpec {
    /// Fewest replicas held.
    pub min: u32,
    /// Most replicas held (the machines allocated).
    pub max: u32,
    /// Replicas serving at the start (`replicas:`, or `min`).
    pub initial: u32,
    /// What is tracked.
    pub metric: Metric,
    /// The value tracked: a share for `cpu`, requests for `queue`,
    /// milliseconds for `p99`, requests per second for `rps`.
    pub target: f64,
    /// Time between two evaluations.
    pub interval: SimTime,
    /// Time after the last scale event (either way) before a scale-out.
    pub cooldown_out: SimTime,
    /// Time after the last scale event (either way) before a scale-in.
    pub cooldown_in: SimTime,
}

impl AutoscaleSpec {
    /// Describes the policy in a few words, for `explain`: the range of
    /// replicas, the metric and its target (`autoscaled 2–12 on cpu 60%`).
    pub fn describe(&self) -> String {
        // Rounded to the thousandth, so that 0.6 reads as 60%, not 60.000000000000014%.
        let short = |x: f64| (x * 1000.0).round() / 1000.0;
        let target = match self.metric {
            Metric::Cpu => format!("cpu {}%", short(self.target * 100.0)),
            Metric::Queue => format!("queue {}", short(self.target)),
            Metric::P99 => format!("p99 {}ms", short(self.target)),
            Metric::Rps => format!("rps {}/s", short(self.target)),
        };
        format!("autoscaled {}–{} on {target}", self.min, self.max)
    }
}

/// Reads `autoscale:` at `path`; `replicas` is the server's `replicas:` if
/// given (the replicas serving at the start).
pub fn parse(
    value: &Value,
    path: &str,
    replicas: Option<u32>,
    issues: &mut Vec<Issue>,
) -> Option<AutoscaleSpec> {
    let raw = parse_lenient::<RawAutoscale>(value, path, issues)?;
    let before = issues.len();
    if raw.max == 0 {
        issues.push(Issue::new(
            join_key(path, "max"),
            "expected a positive number of replicas, found 0",
        ));
    } else if raw.max > MAX_REPLICAS {
        issues.push(Issue::new(
            join_key(path, "max"),
            format!(
                "{} replicas is beyond what one simulation holds (at most {MAX_REPLICAS})",
                raw.max
            ),
        ));
    }
    if raw.min > raw.max {
        issues.push(Issue::new(
            join_key(path, "min"),
            format!("expected at most `max` ({}), found {}", raw.max, raw.min),
        ));
    }
    let initial = replicas.unwrap_or(raw.min);
    if replicas.is_some() && !(raw.min..=raw.max).contains(&initial) {
        let replicas_path = path.strip_suffix(".autoscale").unwrap_or(path);
        issues.push(Issue::new(
            join_key(replicas_path, "replicas"),
            format!(
                "with `autoscale`, `replicas` is the number serving at the start: \
                 expected from `min` ({}) to `max` ({}), found {initial}",
                raw.min, raw.max
            ),
        ));
    }
    let target = parse_target(raw.metric, &raw.target, &join_key(path, "target"), issues);
    let interval = raw.interval.map_or(DEFAULT_INTERVAL, |d| d.0);
    if interval == SimTime::ZERO {
        issues.push(Issue::new(
            join_key(path, "interval"),
            "expected a positive interval, found 0",
        ));
    }
    let cooldown_out = raw.cooldown.as_ref().and_then(|c| c.out).map_or(SimTime::ZERO, |d| d.0);
    let cooldown_in = raw
        .cooldown
        .as_ref()
        .and_then(|c| c.inward)
        .map_or(DEFAULT_COOLDOWN_IN, |d| d.0);
    (issues.len() == before).then_some(AutoscaleSpec {
        min: raw.min,
        max: raw.max,
        initial,
        metric: raw.metric,
        target: target.unwrap_or(1.0),
        interval,
        cooldown_out,
        cooldown_in,
    })
}

/// Reads `target:` in the unit of `metric`.
fn parse_target(metric: Metric, value: &Value, path: &str, issues: &mut Vec<Issue>) -> Option<f64> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => format!("{other}"),
    };
    let parsed = match metric {
        Metric::Cpu => parse_fraction(&text)
            .ok()
            .filter(|&t| t > 0.0)
            .ok_or("a cpu target above 0% and at most 100%, like 60%"),
        Metric::Queue => text
            .parse::<f64>()
            .ok()
            .filter(|t| t.is_finite() && *t > 0.0)
            .ok_or("a positive number of waiting requests per replica, like 5"),
        Metric::P99 => parse_duration(&text)
            .ok()
            .filter(|&t| t > SimTime::ZERO)
            .map(|t| t.0 as f64 / 1e6)
            .ok_or("a positive latency, like 200ms"),
        Metric::Rps => parse_rate(&text)
            .ok()
            .or_else(|| text.parse::<f64>().ok())
            .filter(|t| t.is_finite() && *t > 0.0)
            .ok_or("a positive rate per replica, like 50/s"),
    };
    parsed
        .map_err(|expected| {
            issues.push(Issue::new(path, format!("expected {expected}, found {text}")))
        })
        .ok()
}

/// Where one replica of the group is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Not held: no machine, nothing paid.
    Off,
    /// Starting: paid for, takes no work yet.
    Booting,
    /// In service: takes new work.
    Serving,
    /// Taken out: finishes its work, takes no new work, then leaves.
    Draining,
}

/// What an evaluation decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Nothing to do.
    Hold,
    /// Start this many replicas.
    Out(u32),
    /// Take this many replicas out.
    In(u32),
}

/// Returns the replicas target tracking wants: `ceil(current × metric /
/// target)` clamped to `[min, max]`, or `None` when the metric is within the
/// tolerance of the target (no change).
pub fn desired(spec: &AutoscaleSpec, current: f64, metric: f64) -> Option<u32> {
    let ratio = metric / spec.target;
    if (ratio - 1.0).abs() <= TOLERANCE {
        return None;
    }
    let want = (current * ratio).ceil();
    // A product just above an integer must not round up for a rounding
    // error of the metric: ceil(4.0000000001) would ask for a fifth replica.
    let want = if (want - 1.0 - current * ratio).abs() < 1e-9 {
        want - 1.0
    } else {
        want
    };
    Some((want.max(0.0) as u32).clamp(spec.min, spec.max))
}

/// A piecewise-constant quantity integrated over the current interval.
#[derive(Clone, Copy, Debug, Default)]
struct Integral {
    value: u64,
    since: SimTime,
    area: f64,
}

impl Integral {
    fn set(&mut self, now: SimTime, value: u64) {
        self.area += self.value as f64 * (now - self.since).0 as f64;
        self.since = now;
        self.value = value;
    }

    /// Returns the area since the last call (value × ns) and starts anew.
    fn take(&mut self, now: SimTime) -> f64 {
        self.set(now, self.value);
        std::mem::take(&mut self.area)
    }
}

/// Buckets of the per-interval latency histogram: eight per doubling, from
/// 1 µs to about three days.
const BUCKETS: usize = 304;

/// Latencies of one interval in log buckets (about 9% wide): the p99 the
/// autoscaler reads, in fixed memory.
#[derive(Clone, Debug)]
struct LatencyBuckets {
    counts: Vec<u32>,
    total: u64,
}

impl LatencyBuckets {
    fn new() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            total: 0,
        }
    }

    fn record(&mut self, latency: SimTime) {
        let us = (latency.0 / 1000).max(1) as f64;
        let bucket = ((us.log2() * 8.0) as usize).min(BUCKETS - 1);
        self.counts[bucket] += 1;
        self.total += 1;
    }

    /// Returns the upper edge (ms) of the bucket holding the 99th
    /// percentile, and empties the buckets; `None` if nothing was recorded.
    fn take_p99(&mut self) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = (self.total as f64 * 0.99).ceil() as u64;
        let mut seen = 0;
        let mut edge = None;
        for (bucket, &count) in self.counts.iter().enumerate() {
            seen += u64::from(count);
            if seen >= rank {
                edge = Some(2f64.powf((bucket + 1) as f64 / 8.0) / 1000.0);
                break;
            }
        }
        self.counts.iter_mut().for_each(|c| *c = 0);
        self.total = 0;
        edge
    }
}

/// The replicas held (booting, serving, draining): their mean and most over
/// the measured window.
#[derive(Clone, Debug)]
struct Held {
    window: Window,
    value: u32,
    since: SimTime,
    area: f64,
    most: Option<u32>,
}

impl Held {
    fn set(&mut self, now: SimTime, value: u32) {
        let from = self.since.max(self.window.start);
        let to = now.min(self.window.end);
        if to > from {
            self.area += f64::from(self.value) * (to - from).0 as f64;
            self.most = Some(self.most.map_or(self.value, |m| m.max(self.value)));
        }
        self.since = now;
        self.value = value;
    }
}

/// The state of an autoscaling group while it runs.
#[derive(Clone, Debug)]
pub struct Fleet {
    /// Its settings.
    pub spec: AutoscaleSpec,
    cores: u32,
    phase: Vec<Phase>,
    /// Bumped when a replica is taken out, so a boot timer of an earlier
    /// start finds it stale.
    epoch: Vec<u32>,
    /// Busy cores of each replica.
    busy: Vec<u32>,
    /// The serving replicas, for a uniform draw: list and position in it.
    serving: Vec<u32>,
    position: Vec<u32>,
    booting: u32,
    draining: u32,
    /// When the last scale event of the policy happened (either way).
    last_event: Option<SimTime>,
    serving_time: Integral,
    busy_serving: Integral,
    arrivals: u64,
    offered_work_ns: f64,
    latencies: LatencyBuckets,
    held: Held,
    meter: ElasticityMeter,
    window: Window,
    /// When the last interval closed.
    last_tick: SimTime,
    scale_outs: u64,
    scale_ins: u64,
    misrouted: u64,
}

impl Fleet {
    /// The group of `spec`, of replicas with `cores` cores each, its
    /// `initial` replicas serving from time 0.
    pub fn new(spec: AutoscaleSpec, cores: u32, window: Window) -> Self {
        let max = spec.max as usize;
        let mut phase = vec![Phase::Off; max];
        let mut position = vec![u32::MAX; max];
        for r in 0..spec.initial as usize {
            phase[r] = Phase::Serving;
            position[r] = r as u32;
        }
        Self {
            spec,
            cores,
            phase,
            epoch: vec![0; max],
            busy: vec![0; max],
            serving: (0..spec.initial).collect(),
            position,
            booting: 0,
            draining: 0,
            last_event: None,
            serving_time: Integral {
                value: u64::from(spec.initial),
                ..Integral::default()
            },
            busy_serving: Integral::default(),
            arrivals: 0,
            offered_work_ns: 0.0,
            latencies: LatencyBuckets::new(),
            held: Held {
                window,
                value: spec.initial,
                since: SimTime::ZERO,
                area: 0.0,
                most: None,
            },
            meter: ElasticityMeter::new(window, spec.initial),
            window,
            last_tick: SimTime::ZERO,
            scale_outs: 0,
            scale_ins: 0,
            misrouted: 0,
        }
    }

    /// Returns the phase of `replica`.
    #[inline]
    pub fn phase(&self, replica: u32) -> Phase {
        self.phase.get(replica as usize).copied().unwrap_or(Phase::Off)
    }

    /// Returns the serving replicas.
    pub fn serving(&self) -> &[u32] {
        &self.serving
    }

    /// Returns the replicas booting.
    pub fn booting(&self) -> u32 {
        self.booting
    }

    /// Returns the replicas held: booting, serving and draining.
    pub fn held(&self) -> u32 {
        self.booting + self.serving.len() as u32 + self.draining
    }

    /// Returns the boot epoch of `replica` (carried by its boot timer).
    pub fn epoch(&self, replica: u32) -> u32 {
        self.epoch.get(replica as usize).copied().unwrap_or(0)
    }

    /// Notes an arrival of `work_ns` of mean work (at the replicas' speed).
    #[inline]
    pub fn arrived(&mut self, work_ns: f64) {
        self.arrivals += 1;
        self.offered_work_ns += work_ns;
    }

    /// Notes a call, at `now`, that named a replica not in service.
    pub fn misrouted(&mut self, now: SimTime) {
        if self.window.contains(now) {
            self.misrouted += 1;
        }
    }

    /// Notes a successful answer `latency` after its arrival.
    #[inline]
    pub fn answered(&mut self, latency: SimTime) {
        if self.spec.metric == Metric::P99 {
            self.latencies.record(latency);
        }
    }

    /// Notes that `replica` has `busy` busy cores from `now`.
    #[inline]
    pub fn busy(&mut self, replica: u32, busy: u32, now: SimTime) {
        let Some(old) = self.busy.get_mut(replica as usize) else {
            return;
        };
        if *old == busy {
            return;
        }
        let before = *old;
        *old = busy;
        if self.phase(replica) == Phase::Serving {
            let total = (self.busy_serving.value + u64::from(busy)).saturating_sub(u64::from(before));
            self.busy_serving.set(now, total);
        }
    }

    /// Moves `replica` to `phase` at `now`, keeping the counts, the
    /// integrals and the meters right.
    fn set_phase(&mut self, replica: u32, phase: Phase, now: SimTime) {
        let r = replica as usize;
        let old = self.phase[r];
        if old == phase {
            return;
        }
        match old {
            Phase::Booting => self.booting -= 1,
            Phase::Draining => self.draining -= 1,
            Phase::Serving => {
                let at = self.position[r] as usize;
                self.serving.swap_remove(at);
                if let Some(&moved) = self.serving.get(at) {
                    self.position[moved as usize] = at as u32;
                }
                self.position[r] = u32::MAX;
                let total = self.busy_serving.value.saturating_sub(u64::from(self.busy[r]));
                self.busy_serving.set(now, total);
            }
            Phase::Off => {}
        }
        match phase {
            Phase::Booting => self.booting += 1,
            Phase::Draining => self.draining += 1,
            Phase::Serving => {
                self.position[r] = self.serving.len() as u32;
                self.serving.push(replica);
                let total = self.busy_serving.value + u64::from(self.busy[r]);
                self.busy_serving.set(now, total);
            }
            Phase::Off => self.epoch[r] = self.epoch[r].wrapping_add(1),
        }
        self.phase[r] = phase;
        self.serving_time.set(now, self.serving.len() as u64);
        self.meter.supply(now, self.serving.len() as u32);
        let held = self.held();
        self.held.set(now, held);
    }

    /// Starts the boot of an idle machine at `now`; returns it (`None` when
    /// all `max` are held).
    pub fn start(&mut self, now: SimTime) -> Option<u32> {
        let replica = self.phase.iter().position(|&p| p == Phase::Off)? as u32;
        self.set_phase(replica, Phase::Booting, now);
        Some(replica)
    }

    /// Counts a scale event at `now`, out or in: one per decision, however
    /// many replicas it starts or stops.
    pub fn scaled(&mut self, out: bool, now: SimTime) {
        if self.window.contains(now) {
            if out {
                self.scale_outs += 1;
            } else {
                self.scale_ins += 1;
            }
        }
    }

    /// A booting replica is ready at `now`.
    pub fn ready(&mut self, replica: u32, now: SimTime) {
        if self.phase(replica) == Phase::Booting {
            self.set_phase(replica, Phase::Serving, now);
        }
    }

    /// Takes `replica` out of service at `now`: it leaves at once if `idle`,
    /// or drains. Returns true if it left.
    pub fn stop(&mut self, replica: u32, idle: bool, now: SimTime) -> bool {
        let phase = if idle || self.phase(replica) == Phase::Booting {
            Phase::Off
        } else {
            Phase::Draining
        };
        self.set_phase(replica, phase, now);
        phase == Phase::Off
    }

    /// A draining replica finished its work at `now`: it leaves.
    pub fn drained(&mut self, replica: u32, now: SimTime) {
        if self.phase(replica) == Phase::Draining {
            self.set_phase(replica, Phase::Off, now);
        }
    }

    /// Reads the metric of the interval that ends at `now`, of `interval`
    /// length, with `waiting` requests waiting for the serving replicas;
    /// closes the interval. Returns the metric and the replicas it is per:
    /// for `cpu` and `rps`, which are averages over the interval, the mean
    /// number serving over it (so that their product is the work or the
    /// arrivals the interval carried, even when replicas joined during it);
    /// for `queue` and `p99`, the number serving now. Returns `None` when
    /// the metric is undefined (no replica served, or no answer to take a
    /// percentile of).
    fn read_metric(&mut self, waiting: u64, interval: SimTime, now: SimTime) -> Option<(f64, f64)> {
        let serving_area = self.serving_time.take(now);
        let busy_area = self.busy_serving.take(now);
        let arrivals = std::mem::take(&mut self.arrivals);
        let p99 = self.latencies.take_p99();
        let serving = self.serving.len() as f64;
        if serving == 0.0 || serving_area <= 0.0 {
            return None;
        }
        let mean_serving = serving_area / interval.0 as f64;
        match self.spec.metric {
            Metric::Cpu => Some((
                busy_area / (serving_area * f64::from(self.cores)),
                mean_serving,
            )),
            Metric::Rps => Some((arrivals as f64 / (serving_area / 1e9), mean_serving)),
            Metric::Queue => Some((waiting as f64 / serving, serving)),
            Metric::P99 => p99.map(|p| (p, serving)),
        }
    }

    /// Returns the replicas the demand of the interval just ended needed,
    /// of `interval` length: see docs/model.md, "Autoscaling".
    fn demand(&mut self, interval: SimTime) -> u32 {
        if interval == SimTime::ZERO {
            return 0;
        }
        let work_ns = std::mem::take(&mut self.offered_work_ns);
        let span_ns = interval.0 as f64;
        let needed = match self.spec.metric {
            Metric::Cpu => work_ns / (span_ns * self.spec.target * f64::from(self.cores)),
            Metric::Rps => self.arrivals as f64 / (span_ns / 1e9) / self.spec.target,
            Metric::Queue | Metric::P99 => work_ns / (span_ns * f64::from(self.cores)),
        };
        needed.ceil().max(0.0) as u32
    }

    /// Evaluates at `now`, at the end of an interval of `interval` length,
    /// with `waiting` requests waiting: returns what to do.
    pub fn evaluate(&mut self, waiting: u64, interval: SimTime, now: SimTime) -> Decision {
        // The demand reads the arrivals before the metric empties them.
        let demand = self.demand(interval);
        self.meter.close(now, demand);
        self.last_tick = now;
        let Some((metric, current)) = self.read_metric(waiting, interval, now) else {
            return Decision::Hold;
        };
        let Some(want) = desired(&self.spec, current, metric) else {
            return Decision::Hold;
        };
        let provisioned = self.serving.len() as u32 + self.booting;
        let since = self.last_event.map(|t| now - t);
        let cooled = |cooldown: SimTime| since.is_none_or(|s| s >= cooldown);
        let decision = if want > provisioned && cooled(self.spec.cooldown_out) {
            Decision::Out(want - provisioned)
        } else if want < provisioned && cooled(self.spec.cooldown_in) {
            Decision::In(provisioned - want)
        } else {
            Decision::Hold
        };
        if decision != Decision::Hold {
            self.last_event = Some(now);
            self.scaled(matches!(decision, Decision::Out(_)), now);
        }
        decision
    }

    /// Returns the most replicas held at once so far.
    pub fn most_held(&self) -> u32 {
        self.held.most.unwrap_or(self.held())
    }

    /// Returns the readings of its figures at the end of the run (`now`),
    /// over the window cut at `end`, and the replicas held on average.
    pub fn readings(&mut self, now: SimTime, end: SimTime) -> (Vec<Reading>, f64) {
        let held = self.held();
        self.held.set(now, held);
        // The interval still open is judged on the demand it saw.
        let demand = self.demand(now - self.last_tick);
        self.meter.close(now, demand);
        // A run stopped early holds replicas only up to the stop.
        let seconds = Window {
            start: self.window.start,
            end: end.clamp(self.window.start, self.window.end),
        }
        .secs();
        let mean = if seconds > 0.0 {
            self.held.area / 1e9 / seconds
        } else {
            f64::from(held)
        };
        let shares = self.meter.shares();
        let readings = vec![
            Reading::of(&REPLICAS_MEAN, mean),
            Reading::of(&REPLICAS_MAX, f64::from(self.most_held())),
            Reading::of(&SCALE_OUTS, self.scale_outs as f64),
            Reading::of(&SCALE_INS, self.scale_ins as f64),
            Reading::of(&REPLICA_HOURS, mean * seconds / 3600.0),
            Reading::of(&UNDER_PROVISIONED, shares.under),
            Reading::of(&OVER_PROVISIONED, shares.over),
            Reading::of(&UNDER_ACCURACY, shares.under_accuracy),
            Reading::of(&OVER_ACCURACY, shares.over_accuracy),
            Reading::of(&INSTABILITY, shares.instability),
            Reading::of(&MISROUTED, self.misrouted as f64),
        ];
        (readings, mean)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(min: u32, max: u32) -> AutoscaleSpec {
        AutoscaleSpec {
            min,
            max,
            initial: min,
            metric: Metric::Cpu,
            target: 0.6,
            interval: SimTime(1),
            cooldown_out: SimTime::ZERO,
            cooldown_in: SimTime::ZERO,
        }
    }

    #[test]
    fn target_tracking_rounds_up_clamps_and_tolerates() {
        let s = spec(2, 10);
        // 4 replicas at 90% for a 60% target: 6.
        assert_eq!(desired(&s, 4.0, 0.9), Some(6));
        // Within 10% of the target: no change.
        assert_eq!(desired(&s, 4.0, 0.65), None);
        assert_eq!(desired(&s, 4.0, 0.55), None);
        // Far above: clamped to max; far below: to min.
        assert_eq!(desired(&s, 8.0, 1.0), Some(10));
        assert_eq!(desired(&s, 4.0, 0.05), Some(2));
        // An exact multiple does not round up for a rounding error.
        assert_eq!(desired(&s, 3.0, 0.6 * 4.0 / 3.0), Some(4));
    }

    #[test]
    fn the_fleet_counts_booting_serving_and_draining() {
        let window = Window {
            start: SimTime(0),
            end: SimTime(100),
        };
        let mut f = Fleet::new(spec(1, 3), 1, window);
        assert_eq!((f.serving().len(), f.held()), (1, 1));
        let r = f.start(SimTime(10)).unwrap();
        f.scaled(true, SimTime(10));
        assert_eq!((r, f.booting(), f.held()), (1, 1, 2));
        f.ready(r, SimTime(20));
        assert_eq!(f.serving(), &[0, 1]);
        assert!(!f.stop(0, false, SimTime(50)));
        f.scaled(false, SimTime(50));
        assert_eq!((f.phase(0), f.held()), (Phase::Draining, 2));
        f.drained(0, SimTime(60));
        assert_eq!((f.phase(0), f.held(), f.serving()), (Phase::Off, 1, &[1][..]));
        // Held: 1 over [0, 10), 2 over [10, 60), 1 over [60, 100): mean 1.5.
        let (readings, mean) = f.readings(SimTime(100), SimTime(100));
        assert!((mean - 1.5).abs() < 1e-12, "{mean}");
        assert_eq!(readings[1].value, 2.0);
        assert_eq!((readings[2].value, readings[3].value), (1.0, 1.0));
    }

    #[test]
    fn p99_buckets_bound_the_percentile() {
        let mut b = LatencyBuckets::new();
        for ms in 1..=100u64 {
            b.record(SimTime(ms * 1_000_000));
        }
        let p99 = b.take_p99().unwrap();
        assert!((99.0..=99.0 * 1.1).contains(&p99), "{p99}");
        assert_eq!(b.take_p99(), None);
    }
}
