//! The shared mechanics of anything that serves requests on cores: a number of
//! cores working in parallel, a bounded FIFO queue in front of them, and the
//! draw of each request's service time. Servers, balancers with a processing
//! time, and later databases and workers are all stations.

use std::collections::VecDeque;

use rand::RngExt;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::machine::{self, MAX_CORES, MAX_SPEED};
use super::{Ctx, SpecContext};
use crate::dist::{RawShape, Shape};
use crate::engine::{request_rng, stream_seed, SimRng, SimTime};
use crate::metrics::{Better, LittleTerms, Measure, Presence, Reading, TimeAverage, Unit, Window};
use crate::model::JOB_KIND;
use crate::spec::limits::{MAX_REPLICAS, MIN_SPEED};
use crate::spec::units::{format_duration, parse_duration};
use crate::spec::{fields_of, join_key, parse_lenient, unknown_field, Issue, Price};

/// The validated settings of a station.
#[derive(Clone, Debug)]
pub struct StationSpec {
    /// Requests served in parallel by one replica.
    pub cores: u32,
    /// Relative core speed: time on a core is work divided by speed.
    pub speed: f64,
    /// Mean work per request type at speed 1.0.
    pub work: Vec<SimTime>,
    /// Law of the work around its mean.
    pub shape: Shape,
    /// Waiting requests per replica beyond which new ones are rejected (`None`: unbounded).
    pub queue: Option<u32>,
    /// Price of one replica per hour.
    pub price_per_hour: f64,
}

impl StationSpec {
    /// Describes the station in a few words each (`2 cores`, `work 4ms
    /// exponential`, `queue 1000`), for `scalesim explain`; a station with
    /// no work (a balancer's default) is described by nothing.
    pub fn sketch(&self) -> Vec<String> {
        let (Some(low), Some(high)) = (self.work.iter().min(), self.work.iter().max()) else {
            return Vec::new();
        };
        if *high == SimTime::ZERO {
            return Vec::new();
        }
        let cores = if self.cores == 1 {
            "1 core".to_string()
        } else {
            format!("{} cores", self.cores)
        };
        let mut words = vec![cores];
        if self.speed != 1.0 {
            words.push(format!("speed {}", self.speed));
        }
        let work = if low == high {
            format_duration(*low)
        } else {
            format!("{} to {}", format_duration(*low), format_duration(*high))
        };
        words.push(format!("work {work} {}", self.shape.name()));
        words.push(match self.queue {
            Some(q) => format!("queue {q}"),
            None => "unbounded queue".into(),
        });
        words
    }
}

/// The fields of a station, as written among the fields of the kind that
/// owns it (a server, a balancer with work, a database).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStation {
    /// `cores:`
    pub cores: Option<u32>,
    /// `speed:`
    pub speed: Option<f64>,
    /// `work:` (a duration, or a mapping of request type to duration)
    pub work: Option<Value>,
    /// `service:`
    pub service: Option<RawShape>,
    /// `queue:` (a number or `unbounded`)
    pub queue: Option<Value>,
    /// `machine:` (a size of the catalogue)
    pub machine: Option<String>,
    /// `price:` (per machine)
    pub price: Option<Price>,
}

/// Reads the fields of a kind whose machines are stations: the kind's own
/// fields into `T`, the station fields into a [`RawStation`].
///
/// An unknown field is reported once, against every field the kind accepts.
/// Returns `None` when `T` cannot be read (the issues say why).
pub fn parse_with_station<T: DeserializeOwned>(
    body: &Value,
    path: &str,
    issues: &mut Vec<Issue>,
) -> Option<(T, RawStation)> {
    let Some(map) = body.as_object() else {
        // Not a mapping: the kind's own parse says what was expected.
        parse_lenient::<T>(body, path, issues)?;
        return None;
    };
    let own = fields_of::<T>();
    let station_fields = fields_of::<RawStation>();
    let (mut mine, mut station) = (Map::new(), Map::new());
    for (key, value) in map {
        if station_fields.contains(&key.as_str()) {
            station.insert(key.clone(), value.clone());
        } else if own.contains(&key.as_str()) {
            mine.insert(key.clone(), value.clone());
        } else {
            let known: Vec<&str> = own.iter().chain(station_fields).copied().collect();
            issues.push(Issue::new(join_key(path, key), unknown_field(key, &known)));
        }
    }
    let raw = parse_lenient::<T>(&Value::Object(mine), path, issues)?;
    let station =
        parse_lenient::<RawStation>(&Value::Object(station), path, issues).unwrap_or_default();
    Some((raw, station))
}

/// Reads `replicas:` (default 1): a positive number of machines, no more
/// than one simulation holds.
pub fn parse_replicas(raw: Option<u32>, path: &str, issues: &mut Vec<Issue>) -> u32 {
    let replicas = raw.unwrap_or(1);
    if replicas == 0 {
        issues.push(Issue::new(
            join_key(path, "replicas"),
            "expected a positive number of replicas, found 0",
        ));
    } else if replicas > MAX_REPLICAS {
        issues.push(Issue::new(
            join_key(path, "replicas"),
            format!(
                "{replicas} replicas is beyond what one simulation holds (at most {MAX_REPLICAS})"
            ),
        ));
    }
    replicas
}

impl RawStation {
    /// Validates the fields; `default_work` applies when `work` is absent (`None`: required).
    pub fn validate(
        &self,
        path: &str,
        cx: &SpecContext<'_>,
        default_work: Option<SimTime>,
        issues: &mut Vec<Issue>,
    ) -> StationSpec {
        let size = self.machine.as_deref().and_then(|name| {
            let size = machine::size(name);
            if size.is_none() {
                issues.push(Issue::new(
                    join_key(path, "machine"),
                    format!(
                        "unknown machine size `{name}`, expected one of {}",
                        machine::names()
                    ),
                ));
            }
            size
        });
        let cores = match (self.cores, size) {
            (Some(c), Some(m)) if c != m.cores => {
                issues.push(Issue::new(
                    join_key(path, "cores"),
                    format!(
                        "machine `{}` has {} cores, but cores: {c} is given",
                        m.name, m.cores
                    ),
                ));
                c
            }
            (Some(c), _) => c,
            (None, Some(m)) => m.cores,
            (None, None) => 1,
        };
        if cores == 0 {
            issues.push(Issue::new(
                join_key(path, "cores"),
                "expected a positive number of cores, found 0",
            ));
        } else if cores > MAX_CORES {
            issues.push(Issue::new(
                join_key(path, "cores"),
                format!(
                    "no machine has {cores} cores: the largest has {MAX_CORES} (scale out instead)"
                ),
            ));
        }
        let speed = self.speed.unwrap_or(1.0);
        if !(speed.is_finite() && speed >= MIN_SPEED) {
            issues.push(Issue::new(
                join_key(path, "speed"),
                format!(
                    "expected a relative core speed from {MIN_SPEED} to {MAX_SPEED}, found {speed}"
                ),
            ));
        } else if speed > MAX_SPEED {
            issues.push(Issue::new(
                join_key(path, "speed"),
                format!("no core is {speed}x fast: the fastest is {MAX_SPEED}x"),
            ));
        }
        let work = match (&self.work, default_work) {
            (Some(value), _) => parse_work(value, &join_key(path, "work"), cx, issues),
            (None, Some(default)) => vec![default; cx.types.len()],
            (None, None) => {
                issues.push(Issue::new(
                    join_key(path, "work"),
                    "missing field `work` (mean work per request, like 4ms)",
                ));
                vec![SimTime::ZERO; cx.types.len()]
            }
        };
        let shape = match self
            .service
            .as_ref()
            .map_or(Ok(Shape::Exponential), RawShape::validate)
        {
            Ok(shape) => shape,
            Err(message) => {
                issues.push(Issue::new(join_key(path, "service"), message));
                Shape::Exponential
            }
        };
        let queue = self
            .queue
            .as_ref()
            .and_then(|q| parse_queue(q, &join_key(path, "queue"), issues));
        let cores = cores.clamp(1, MAX_CORES);
        let speed = if speed > 0.0 {
            speed.min(MAX_SPEED)
        } else {
            1.0
        };
        StationSpec {
            cores,
            speed,
            work,
            shape,
            queue,
            price_per_hour: self
                .price
                .map_or_else(|| machine::price(cores, speed), |p| p.per_hour),
        }
    }
}

/// Reads `work:` as one duration for every type, or a mapping per type.
fn parse_work(
    value: &Value,
    path: &str,
    cx: &SpecContext<'_>,
    issues: &mut Vec<Issue>,
) -> Vec<SimTime> {
    let one = |v: &Value, path: &str, issues: &mut Vec<Issue>| match v {
        Value::String(s) => parse_duration(s)
            .map_err(|m| issues.push(Issue::new(path, m)))
            .ok(),
        Value::Number(n) if n.as_f64() == Some(0.0) => Some(SimTime::ZERO),
        other => {
            issues.push(Issue::new(
                path,
                format!("expected a duration like 4ms, found {other}"),
            ));
            None
        }
    };
    match value {
        Value::Object(map) => {
            for key in map.keys() {
                if let Err(issue) = cx.request_type(key, &join_key(path, key)) {
                    issues.push(issue);
                }
            }
            cx.types
                .iter()
                .map(|t| match map.get(&t.name) {
                    Some(v) => one(v, &join_key(path, &t.name), issues).unwrap_or_default(),
                    None => {
                        issues.push(Issue::new(
                            path,
                            format!("no work given for request type `{}`", t.name),
                        ));
                        SimTime::ZERO
                    }
                })
                .collect()
        }
        v => {
            let work = one(v, path, issues).unwrap_or_default();
            vec![work; cx.types.len()]
        }
    }
}

/// Reads `queue:` as a whole number or `unbounded`.
fn parse_queue(value: &Value, path: &str, issues: &mut Vec<Issue>) -> Option<u32> {
    match value {
        Value::String(s) if s == "unbounded" => None,
        Value::Number(n) => match n.as_u64().and_then(|q| u32::try_from(q).ok()) {
            Some(q) => Some(q),
            None => {
                issues.push(Issue::new(
                    path,
                    format!("expected a queue length (0 or more) or `unbounded`, found {n}"),
                ));
                None
            }
        },
        other => {
            issues.push(Issue::new(
                path,
                format!("expected a queue length (0 or more) or `unbounded`, found {other}"),
            ));
            None
        }
    }
}

/// The busy share of the cores of a component's busiest machine: where the
/// mean hides a bottleneck (one hot replica among idle ones), this shows it.
pub const BUSIEST: Measure = Measure::new(
    "busiest_utilization",
    "busiest machine's utilisation",
    Unit::Share,
    Better::Neither,
);

/// The busiest machine's utilisation over the machines' mean: 1 when the
/// load is even, m when one machine of m does all the work. Sticky sessions
/// and heavy users raise it.
pub const LOAD_SPREAD: Measure =
    Measure::new("load_spread", "load spread", Unit::Number, Better::Lower).lesson(Some(1.0));

/// L of Little's law: requests in the component's stations (waiting or in
/// service), time-averaged over the window and summed over its machines.
pub const IN_SYSTEM: Measure = Measure::new(
    "in_system",
    "L, requests in station",
    Unit::Requests,
    Better::Lower,
);
/// λ of Little's law: requests that left the component's stations inside the
/// window (served, or lost with their machine), per second.
pub const DEPARTURE_RPS: Measure = Measure::new(
    "departure_rps",
    "λ, requests leaving",
    Unit::PerSecond,
    Better::Neither,
);
/// W of Little's law: the mean time those requests spent in the station,
/// waiting and in service.
pub const SOJOURN_MS: Measure =
    Measure::new("sojourn_ms", "W, time in station", Unit::Ms, Better::Lower);
/// L − λW, measured exactly: only the requests at the window's edges make it
/// differ from zero.
pub const LITTLE_GAP: Measure =
    Measure::new("little_gap", "L − λW", Unit::Requests, Better::Neither).signed();
/// The largest |L − λW| that the requests present at the window's start or
/// end can account for (docs/model.md derives it).
pub const LITTLE_EDGE: Measure = Measure::new(
    "little_edge",
    "edge bound on |L − λW|",
    Unit::Requests,
    Better::Neither,
);

/// Returns the readings of Little's law's terms, in the order of
/// [`IN_SYSTEM`], [`DEPARTURE_RPS`], [`SOJOURN_MS`], [`LITTLE_GAP`] and
/// [`LITTLE_EDGE`], which a kind with stations declares in that order.
pub fn little_readings(terms: LittleTerms) -> [Reading; 5] {
    [
        Reading::of(&IN_SYSTEM, terms.in_system),
        Reading::of(&DEPARTURE_RPS, terms.departure_rps),
        Reading::of(&SOJOURN_MS, terms.sojourn_ms),
        Reading::of(&LITTLE_GAP, terms.gap),
        Reading::of(&LITTLE_EDGE, terms.edge),
    ]
}

/// Returns the busy share of the busiest of `stations` at `now`, over the
/// window cut at `end`.
pub fn busiest<'a>(
    stations: impl IntoIterator<Item = &'a mut Station>,
    now: SimTime,
    end: SimTime,
) -> f64 {
    stations
        .into_iter()
        .map(|s| s.mean_busy(now, end) / f64::from(s.cores().max(1)))
        .fold(0.0, f64::max)
}

/// Returns the busiest station's utilisation over the mean utilisation of
/// `stations` at `now`, over the window cut at `end` ([`LOAD_SPREAD`]); 1
/// when none was busy at all.
pub fn load_spread<'a>(
    stations: impl IntoIterator<Item = &'a mut Station>,
    now: SimTime,
    end: SimTime,
) -> f64 {
    let (mut max, mut sum, mut n) = (0.0_f64, 0.0, 0u32);
    for s in stations {
        let u = s.mean_busy(now, end) / f64::from(s.cores().max(1));
        max = max.max(u);
        sum += u;
        n += 1;
    }
    if sum > 0.0 {
        max * f64::from(n) / sum
    } else {
        1.0
    }
}

/// What happened to a request that reached a station.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// A core was free: service starts now.
    Started,
    /// All cores were busy: it waits in the queue.
    Queued,
    /// The queue was full: refused.
    Rejected,
}

/// One replica's cores and queue, with its time-weighted statistics.
#[derive(Clone, Debug)]
pub struct Station {
    cores: u32,
    limit: Option<u32>,
    queue: VecDeque<u32>,
    busy: TimeAverage,
    waiting: TimeAverage,
    window: Window,
    /// Services finished inside the measured window.
    pub completed: u64,
    /// Requests refused inside the measured window.
    pub rejected: u64,
}

impl Station {
    /// Creates an idle station.
    pub fn new(cores: u32, limit: Option<u32>, window: Window) -> Self {
        Self {
            cores,
            limit,
            queue: VecDeque::new(),
            busy: TimeAverage::new(window),
            waiting: TimeAverage::new(window),
            window,
            completed: 0,
            rejected: 0,
        }
    }

    /// Admits the request known by `token`.
    #[inline(always)]
    pub fn arrive(&mut self, token: u32, now: SimTime) -> Admission {
        let busy = self.busy.value();
        if busy < u64::from(self.cores) {
            self.busy.set(now, busy + 1);
            Admission::Started
        } else if self
            .limit
            .is_none_or(|limit| self.queue.len() < limit as usize)
        {
            self.queue.push_back(token);
            self.waiting.set(now, self.queue.len() as u64);
            Admission::Queued
        } else {
            if self.window.contains(now) {
                self.rejected += 1;
            }
            Admission::Rejected
        }
    }

    /// Frees the core of a finished request; returns the next request to start on it.
    #[inline(always)]
    pub fn depart(&mut self, now: SimTime) -> Option<u32> {
        if self.window.contains(now) {
            self.completed += 1;
        }
        match self.queue.pop_front() {
            Some(next) => {
                self.waiting.set(now, self.queue.len() as u64);
                Some(next)
            }
            None => {
                let busy = self.busy.value();
                self.busy.set(now, busy.saturating_sub(1));
                None
            }
        }
    }

    /// Empties the station (its machine crashed) and returns the waiting requests.
    pub fn reset(&mut self, now: SimTime) -> Vec<u32> {
        let waiting: Vec<u32> = self.queue.drain(..).collect();
        self.waiting.set(now, 0);
        self.busy.set(now, 0);
        waiting
    }

    /// Returns requests in service plus waiting.
    #[inline]
    pub fn load(&self) -> u32 {
        (self.busy.value() as usize + self.queue.len()) as u32
    }

    /// Returns the cores busy now.
    #[inline]
    pub fn busy(&self) -> u32 {
        self.busy.value() as u32
    }

    /// Returns the requests waiting now.
    #[inline]
    pub fn waiting(&self) -> u32 {
        self.queue.len() as u32
    }

    /// Returns the time-averaged number of busy cores over the window cut
    /// at `end`.
    pub fn mean_busy(&mut self, now: SimTime, end: SimTime) -> f64 {
        self.busy.mean(now, end)
    }

    /// Returns the time-averaged number of waiting requests over the window
    /// cut at `end`.
    pub fn mean_waiting(&mut self, now: SimTime, end: SimTime) -> f64 {
        self.waiting.mean(now, end)
    }

    /// Returns the number of cores.
    pub fn cores(&self) -> u32 {
        self.cores
    }
}

/// The stations of every machine of a component that works on cores (a
/// server, a proxy, a balancer with `work`): one [`Station`] per machine, the
/// requests present in them (the terms of Little's law) and the law of their
/// work. The component keeps its jobs; this keeps what every such component
/// does with them the same way.
#[derive(Clone, Debug)]
pub struct Stations {
    stations: Vec<Station>,
    presence: Presence,
    service: ServiceTime,
}

/// Returns the tag of the timer that ends the work of the job in slot
/// `token` of its component's table; `serial` tells it from the earlier jobs
/// of that slot, so that the timer of a job lost in a crash cannot end its
/// successor's work.
#[inline]
pub fn work_tag(token: u32, serial: u32) -> u64 {
    u64::from(token) | (u64::from(serial) << 32)
}

/// Returns the slot and serial of the job whose work a timer tagged `tag`
/// ends (the inverse of [`work_tag`]).
#[inline]
pub fn work_of(tag: u64) -> (u32, u32) {
    ((tag & u64::from(u32::MAX)) as u32, (tag >> 32) as u32)
}

/// What a component's stations measured over the window, for its
/// [`ComponentStats`](crate::metrics::ComponentStats).
#[derive(Clone, Debug)]
pub struct StationFigures {
    /// Cores of all the machines.
    pub cores: u32,
    /// Busy core-time over all the cores.
    pub utilization: f64,
    /// Waiting requests, time-averaged and summed over the machines.
    pub mean_queue: f64,
    /// Services finished inside the window.
    pub completed: u64,
    /// Requests refused by a full queue inside the window.
    pub rejected: u64,
    /// The busiest machine's utilisation, when there are several machines.
    pub busiest: Option<Reading>,
    /// The busiest machine's utilisation over the mean, when there are
    /// several machines.
    pub load_spread: Option<Reading>,
    /// Little's law's terms, in the order the kinds declare them.
    pub little: [Reading; 5],
}

impl Stations {
    /// Creates idle stations for `machines` machines described by `spec`,
    /// drawing work as the station called `name` does.
    pub fn new(spec: &StationSpec, machines: u32, name: &str, window: Window) -> Self {
        Self {
            stations: (0..machines)
                .map(|_| Station::new(spec.cores, spec.queue, window))
                .collect(),
            presence: Presence::new(window),
            service: ServiceTime::new(spec, name),
        }
    }

    /// Returns true when every request type has zero work: the component
    /// needs no cores.
    pub fn is_idle(&self) -> bool {
        self.service.is_zero()
    }

    /// Returns the number of machines.
    pub fn machines(&self) -> u32 {
        self.stations.len() as u32
    }

    /// Admits the job `token` at machine `machine`; a job started or queued
    /// is present from `now` on.
    #[inline(always)]
    pub fn arrive(&mut self, machine: u32, token: u32, now: SimTime) -> Admission {
        let Some(station) = self.stations.get_mut(machine as usize) else {
            return Admission::Rejected;
        };
        let admission = station.arrive(token, now);
        if admission != Admission::Rejected {
            self.presence.enter(now);
        }
        admission
    }

    /// Returns how long the job of request `req` (of type `kind`), queued
    /// since `queued_at`, holds the core it starts on now: its work drawn
    /// from the request's own seed, plus `extra` work (a login), all of it
    /// `slowdown` times longer on a slow machine. Its wait is added to the
    /// request's.
    #[inline(always)]
    pub fn begin(
        &self,
        ctx: &mut Ctx<'_>,
        req: u32,
        kind: u16,
        queued_at: SimTime,
        extra: SimTime,
        slowdown: f64,
    ) -> SimTime {
        let waited = ctx.now() - queued_at;
        let seed = match ctx.shared.requests.get_mut(req as usize) {
            Some(request) => {
                request.wait += waited;
                request.seed
            }
            None => 0,
        };
        // A batch job carries its fixed work in its seed.
        let work = if kind == JOB_KIND {
            self.service.fixed(seed)
        } else {
            self.service.draw(kind, seed)
        };
        let time = work + extra;
        if slowdown == 1.0 {
            time
        } else {
            SimTime::from_nanos_f64(time.0 as f64 * slowdown)
        }
    }

    /// The job that entered at `queued_at` finished its work at `machine`:
    /// it leaves, and the next job to start on its core is returned.
    #[inline(always)]
    pub fn done(&mut self, machine: u32, queued_at: SimTime, now: SimTime) -> Option<u32> {
        self.presence.leave(now, queued_at);
        self.stations.get_mut(machine as usize)?.depart(now)
    }

    /// The job that entered at `queued_at` leaves unserved (its machine
    /// crashed): its time there still counts.
    pub fn abandon(&mut self, queued_at: SimTime, now: SimTime) {
        self.presence.leave(now, queued_at);
    }

    /// Empties the station of `machine` (it crashed).
    pub fn reset(&mut self, machine: u32, now: SimTime) {
        if let Some(station) = self.stations.get_mut(machine as usize) {
            station.reset(now);
        }
    }

    /// Returns the cores busy now at `machine`.
    #[inline]
    pub fn busy(&self, machine: u32) -> u32 {
        self.stations.get(machine as usize).map_or(0, Station::busy)
    }

    /// Returns the requests waiting now at `machine`.
    #[inline]
    pub fn waiting(&self, machine: u32) -> u32 {
        self.stations
            .get(machine as usize)
            .map_or(0, Station::waiting)
    }

    /// Returns the mean time a request of type `kind` holds a core, in nanoseconds.
    #[inline]
    pub fn mean_work_ns(&self, kind: u16) -> f64 {
        self.service.mean_ns(kind)
    }

    /// Returns the requests in service and waiting at `machine`.
    pub fn load(&self, machine: u32) -> u32 {
        self.stations.get(machine as usize).map_or(0, Station::load)
    }

    /// Returns what the stations measured, at `now`, for a window that ends
    /// at `end` (a run stopped early has its window cut at the stop).
    pub fn figures(&mut self, now: SimTime, end: SimTime) -> StationFigures {
        let cores: u32 = self.stations.iter().map(Station::cores).sum();
        let busy: f64 = self
            .stations
            .iter_mut()
            .map(|s| s.mean_busy(now, end))
            .sum();
        StationFigures {
            cores,
            utilization: busy / f64::from(cores.max(1)),
            mean_queue: self
                .stations
                .iter_mut()
                .map(|s| s.mean_waiting(now, end))
                .sum(),
            completed: self.stations.iter().map(|s| s.completed).sum(),
            rejected: self.stations.iter().map(|s| s.rejected).sum(),
            busiest: (self.stations.len() > 1)
                .then(|| Reading::of(&BUSIEST, busiest(&mut self.stations, now, end))),
            load_spread: (self.stations.len() > 1)
                .then(|| Reading::of(&LOAD_SPREAD, load_spread(&mut self.stations, now, end))),
            little: little_readings(self.presence.terms(end)),
        }
    }
}

/// Draws service times for a station's request types.
///
/// The draw for a request comes from the request's own seed mixed with the
/// station's name, not from a stream shared by all requests: the same request
/// then needs the same work at this station whatever happened before it, which
/// keeps compared architectures in step (common random numbers). One
/// consequence: a request that visits the same station twice draws the same work
/// twice.
#[derive(Clone, Debug)]
pub struct ServiceTime {
    mean_ns: Vec<f64>,
    shape: Shape,
    salt: u64,
    speed: f64,
}

impl ServiceTime {
    /// Prepares the draws for `spec` (work divided by speed) at the station `name`.
    pub fn new(spec: &StationSpec, name: &str) -> Self {
        Self {
            mean_ns: spec.work.iter().map(|w| w.0 as f64 / spec.speed).collect(),
            shape: spec.shape.clone(),
            salt: stream_seed(0, 0, &[name, "service"]),
            speed: spec.speed,
        }
    }

    /// Returns the time a batch job of fixed `work_ns` (at speed 1) holds a
    /// core: its work divided by the core's speed, with no draw.
    #[inline]
    pub fn fixed(&self, work_ns: u64) -> SimTime {
        SimTime::from_nanos_f64(work_ns as f64 / self.speed)
    }

    /// Draws the time a request of type `kind` with seed `request_seed` holds a core.
    #[inline]
    pub fn draw(&self, kind: u16, request_seed: u64) -> SimTime {
        let mean = self.mean_ns.get(kind as usize).copied().unwrap_or(0.0);
        if mean == 0.0 {
            return SimTime::ZERO;
        }
        let mut rng = request_rng(request_seed ^ self.salt);
        SimTime::from_nanos_f64(mean * self.shape.sample(&mut rng))
    }

    /// Returns the mean time a request of type `kind` holds a core, in nanoseconds.
    #[inline]
    pub fn mean_ns(&self, kind: u16) -> f64 {
        self.mean_ns.get(kind as usize).copied().unwrap_or(0.0)
    }

    /// Returns true when every type has zero work (the station adds no time).
    pub fn is_zero(&self) -> bool {
        self.mean_ns.iter().all(|&m| m == 0.0)
    }
}

/// Picks a replica for a call that did not name one: uniformly at random.
#[inline]
pub fn any_replica(replicas: u32, rng: &mut SimRng) -> u32 {
    if replicas <= 1 {
        0
    } else {
        rng.random_range(0..replicas)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window() -> Window {
        Window {
            start: SimTime(0),
            end: SimTime(100),
        }
    }

    #[test]
    fn serves_on_cores_then_queues_then_rejects() {
        let mut s = Station::new(2, Some(1), window());
        assert_eq!(s.arrive(1, SimTime(0)), Admission::Started);
        assert_eq!(s.arrive(2, SimTime(0)), Admission::Started);
        assert_eq!(s.arrive(3, SimTime(0)), Admission::Queued);
        assert_eq!(s.arrive(4, SimTime(0)), Admission::Rejected);
        assert_eq!(s.load(), 3);
        assert_eq!(s.depart(SimTime(10)), Some(3));
        assert_eq!(s.depart(SimTime(20)), None);
        assert_eq!(s.depart(SimTime(30)), None);
        assert_eq!(s.load(), 0);
        assert_eq!((s.completed, s.rejected), (3, 1));
        // Busy: 2 cores over [0, 20), 1 over [20, 30): area 50 over 100.
        assert!((s.mean_busy(SimTime(100), SimTime(100)) - 0.5).abs() < 1e-12);
        // Waiting: 1 over [0, 10).
        assert!((s.mean_waiting(SimTime(100), SimTime(100)) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn zero_queue_is_a_loss_system() {
        let mut s = Station::new(1, Some(0), window());
        assert_eq!(s.arrive(1, SimTime(0)), Admission::Started);
        assert_eq!(s.arrive(2, SimTime(0)), Admission::Rejected);
    }
}
