//! `kind: function`: a serverless function. Each invocation runs on an
//! instance of its own; the platform starts instances on demand, keeps idle
//! ones warm for `keep_alive`, and bills each invocation by its duration and
//! memory.
//!
//! An invocation takes an idle warm instance if there is one, the most
//! recently used first; otherwise a new instance starts (a cold start, paid
//! before the work) if fewer than `concurrency` exist; otherwise it is
//! throttled (answered at once with `Cause::Throttled`). An instance serves
//! one invocation at a time and has no queue.
//!
//! A function may call other components after its work (`calls:` and
//! `edges:`, run by the shared [`Caller`] as a server's are): the
//! instance stays busy, and billed, until the calls are over.
//!
//! The idle instances are kept in the order they went idle: the most recently
//! used is at the back, where the next invocation takes it, and the oldest
//! idle at the front, which expires first. One timer at a time waits for the
//! front's expiry, so the count of instances is exact at every moment without
//! a timer per invocation.

use std::collections::VecDeque;

use serde::Deserialize;
use serde_json::Value;
use slab::Slab;

use crate::dist::RawShape;
use crate::engine::{Component, SimTime};
use crate::metrics::{
    Better, ComponentStats, Gauge, GaugeId, Measure, Reading, TimeAverage, Unit, Window,
};
use crate::model::{Call, Cause, Msg, Outcome};
use crate::parts::calls::{Begun, Caller, CallsSpec, JobRef, CALL_TIMER, CALL_TOKEN};
use crate::parts::station::{work_of, work_tag, RawStation, ServiceTime, StationSpec};
use crate::parts::{send_reply, BuildContext, Ctx, Kind, Part, SpecContext, World};
use crate::spec::limits::{MAX_CONCURRENCY, MAX_FUNCTION_MEMORY_MB};
use crate::spec::units::format_duration;
use crate::spec::{join_key, parse_lenient, Duration, Issue};

/// Memory of an instance when `memory` is not given, in MB (the smallest
/// size, and the default, of AWS Lambda).
const DEFAULT_MEMORY_MB: u32 = 128;
/// How long an idle instance stays warm when `keep_alive` is not given.
const DEFAULT_KEEP_ALIVE: SimTime = SimTime(600_000_000_000);
/// Instances at most when `concurrency` is not given (AWS Lambda's default
/// account limit).
const DEFAULT_CONCURRENCY: u32 = 1000;
/// Price of a million invocations when not given: AWS Lambda's list price.
const DEFAULT_PER_MILLION: f64 = 0.20;
/// Price of a GB-second when not given: AWS Lambda's list price (x86).
const DEFAULT_PER_GB_S: f64 = 0.000_016_666_7;

/// The timer of the oldest idle instance's expiry; every other timer ends an
/// invocation's work (its slot and serial, from [`work_tag`]).
const EXPIRY_TIMER: u64 = 1 << 63;
/// Invocation serials take 27 bits (from bit 32 of a work tag), so that a
/// work tag has neither the expiry bit nor the caller's bits 59 to 61.
const SERIAL_MASK: u32 = 0x07ff_ffff;

/// Invocations that got an instance (warm or cold), by arrival in the window.
pub const INVOCATIONS: Measure =
    Measure::new("invocations", "invocations", Unit::Count, Better::Neither);
/// Cold starts over the invocations that got an instance.
pub const COLD_START_RATIO: Measure = Measure::new(
    "cold_start_ratio",
    "cold start ratio",
    Unit::Share,
    Better::Lower,
)
.lesson(Some(0.0));
/// Instances (busy and idle warm), time-averaged over the window.
pub const INSTANCES_MEAN: Measure =
    Measure::new("instances_mean", "mean instances", Unit::Number, Better::Neither);
/// The most instances at once in the window.
pub const INSTANCES_MAX: Measure =
    Measure::new("instances_max", "most instances", Unit::Number, Better::Neither);
/// Invocations refused because `concurrency` instances were all busy.
pub const THROTTLED: Measure =
    Measure::new("throttled", "throttled invocations", Unit::Count, Better::Lower)
        .lesson(Some(0.0));
/// What the invocations of the window cost, per hour of the window.
pub const COST_PER_HOUR: Measure =
    Measure::new("cost_per_hour", "function cost", Unit::DollarsPerHour, Better::Lower);

/// The function's instances over time.
pub const INSTANCES: Gauge = Gauge::new("instances", "function instances", "instances");

/// The price of a function, as written in the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrice {
    per_million: Option<f64>,
    per_gb_s: Option<f64>,
}

/// The fields of a function as written in the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    work: Option<Value>,
    service: Option<RawShape>,
    memory: Option<Value>,
    cold_start: Option<Duration>,
    keep_alive: Option<Duration>,
    concurrency: Option<u32>,
    price: Option<RawPrice>,
    calls: Option<Value>,
    edges: Option<Value>,
}

/// What a function costs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FunctionPrice {
    /// Dollars per million invocations.
    pub per_million: f64,
    /// Dollars per GB of memory held for one second.
    pub per_gb_s: f64,
}

/// The validated settings of a function.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Work per invocation (per request type) and its law, as a station's.
    pub station: StationSpec,
    /// Memory of an instance, in MB.
    pub memory_mb: u32,
    /// Time a new instance takes before its first invocation's work.
    pub cold_start: SimTime,
    /// How long an idle instance stays warm.
    pub keep_alive: SimTime,
    /// Instances at most.
    pub concurrency: u32,
    /// The price of invocations and of their memory over time.
    pub price: FunctionPrice,
    /// The calls after the work, and the resilience of each edge.
    pub calls: CallsSpec,
}

impl Kind for Spec {
    const NAME: &'static str = "function";
    const MEASURES: &'static [&'static Measure] = &[
        &INVOCATIONS,
        &COLD_START_RATIO,
        &INSTANCES_MEAN,
        &INSTANCES_MAX,
        &THROTTLED,
        &COST_PER_HOUR,
    ];
    const GAUGES: &'static [&'static Gauge] = &[&INSTANCES];
    type Part = Function;

    fn parse(body: &Value, path: &str, cx: &SpecContext<'_>) -> Result<Self, Vec<Issue>> {
        parse(body, path, cx)
    }

    fn sketch(&self, topology: &crate::parts::Topology) -> Vec<String> {
        let work = self.station.sketch();
        // The station's words start with its cores; a function has none.
        let mut words: Vec<String> = work
            .into_iter()
            .filter(|w| w.starts_with("work "))
            .collect();
        words.push(if self.memory_mb.is_multiple_of(1024) {
            format!("{}GB", self.memory_mb / 1024)
        } else {
            format!("{}MB", self.memory_mb)
        });
        words.push(format!("cold start {}", format_duration(self.cold_start)));
        words.push(format!("keep-alive {}", format_duration(self.keep_alive)));
        words.push(format!("concurrency {}", self.concurrency));
        words.extend(self.calls.order_words());
        words.extend(self.calls.sketch(topology));
        words
    }

    fn downstream(&self) -> Vec<usize> {
        self.calls.callees()
    }

    /// A managed service: the platform's machines are not the scenario's,
    /// and it is billed per invocation, not per machine-hour.
    fn replicas(&self) -> u32 {
        1
    }

    fn price_per_hour(&self) -> f64 {
        0.0
    }

    fn build(&self, bx: &BuildContext<'_>) -> Function {
        Function::new(self, bx)
    }
}

/// Reads and checks the fields of a function.
fn parse(body: &Value, path: &str, cx: &SpecContext<'_>) -> Result<Spec, Vec<Issue>> {
    let mut issues = Vec::new();
    let Some(raw) = parse_lenient::<Raw>(body, path, &mut issues) else {
        return Err(issues);
    };
    let calls = CallsSpec::parse(raw.calls.as_ref(), raw.edges.as_ref(), false, path, cx, &mut issues);
    let station = RawStation {
        work: raw.work,
        service: raw.service,
        ..RawStation::default()
    }
    .validate(path, cx, None, &mut issues);
    let memory_mb = match &raw.memory {
        None => DEFAULT_MEMORY_MB,
        Some(value) => parse_memory(value).unwrap_or_else(|message| {
            issues.push(Issue::new(join_key(path, "memory"), message));
            DEFAULT_MEMORY_MB
        }),
    };
    let concurrency = raw.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
    if concurrency == 0 {
        issues.push(Issue::new(
            join_key(path, "concurrency"),
            "expected a positive number of instances, found 0",
        ));
    } else if concurrency > MAX_CONCURRENCY {
        issues.push(Issue::new(
            join_key(path, "concurrency"),
            format!(
                "{concurrency} instances is beyond what one simulation holds \
                 (at most {MAX_CONCURRENCY})"
            ),
        ));
    }
    let price = raw.price.map_or(
        FunctionPrice {
            per_million: DEFAULT_PER_MILLION,
            per_gb_s: DEFAULT_PER_GB_S,
        },
        |p| FunctionPrice {
            per_million: price_field(p.per_million, DEFAULT_PER_MILLION, path, "per_million", &mut issues),
            per_gb_s: price_field(p.per_gb_s, DEFAULT_PER_GB_S, path, "per_gb_s", &mut issues),
        },
    );
    if !issues.is_empty() {
        return Err(issues);
    }
    Ok(Spec {
        calls,
        station,
        memory_mb,
        cold_start: raw.cold_start.map_or(SimTime::ZERO, |d| d.0),
        keep_alive: raw.keep_alive.map_or(DEFAULT_KEEP_ALIVE, |d| d.0),
        concurrency,
        price,
    })
}

/// Reads one price of `price:` (`field`), or its default when absent: a
/// finite number of dollars, 0 or more.
fn price_field(
    value: Option<f64>,
    default: f64,
    path: &str,
    field: &str,
    issues: &mut Vec<Issue>,
) -> f64 {
    let value = value.unwrap_or(default);
    if value.is_finite() && value >= 0.0 {
        value
    } else {
        issues.push(Issue::new(
            join_key(&join_key(path, "price"), field),
            format!("expected a price in dollars, 0 or more, found {value}"),
        ));
        default
    }
}

/// Reads `memory:` (`512MB`, `1GB`, `1.5GB`; a GB is 1024 MB, as the
/// platforms count it) into whole MB.
fn parse_memory(value: &Value) -> Result<u32, String> {
    let expected = "expected a memory size like 512MB or 2GB";
    let Value::String(text) = value else {
        return Err(format!("{expected}, found {value}"));
    };
    let text = text.trim();
    let (number, per_unit) = if let Some(n) = text.strip_suffix("GB") {
        (n, 1024.0)
    } else if let Some(n) = text.strip_suffix("MB") {
        (n, 1.0)
    } else {
        return Err(format!("{expected} (unit MB or GB), found `{text}`"));
    };
    let number: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{expected}, found `{text}`"))?;
    let mb = number * per_unit;
    if !(mb.is_finite() && mb >= 1.0) {
        return Err(format!("{expected}, at least 1MB, found `{text}`"));
    }
    if mb > f64::from(MAX_FUNCTION_MEMORY_MB) {
        return Err(format!(
            "`{text}` is more than a function instance gets (at most {MAX_FUNCTION_MEMORY_MB}MB)"
        ));
    }
    if mb.fract() != 0.0 {
        return Err(format!("{expected}, in whole MB, found `{text}`"));
    }
    Ok(mb as u32)
}

/// How an invocation got its instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// An idle warm instance (its number).
    Warm(u64),
    /// A new instance, which starts cold (its number).
    Cold(u64),
    /// None: `concurrency` instances exist and all are busy.
    Throttled,
}

/// The instances of a function: how many are busy, and the idle ones in the
/// order they went idle.
#[derive(Clone, Debug)]
pub struct Pool {
    limit: u32,
    keep_alive: SimTime,
    busy: u32,
    /// Idle instances (number, idle since), the oldest idle first: the
    /// times only grow towards the back, since each is pushed at its time.
    idle: VecDeque<(u64, SimTime)>,
    next_id: u64,
}

impl Pool {
    /// Creates a pool of no instance, of at most `limit`, whose idle
    /// instances stay warm for `keep_alive`.
    pub fn new(limit: u32, keep_alive: SimTime) -> Self {
        Self {
            limit,
            keep_alive,
            busy: 0,
            idle: VecDeque::new(),
            next_id: 0,
        }
    }

    /// Gives an invocation an instance: the most recently used idle one
    /// (real platforms do so; it leaves the least recently used to expire),
    /// or a new one within the limit.
    pub fn acquire(&mut self) -> Pick {
        if let Some((id, _)) = self.idle.pop_back() {
            self.busy += 1;
            return Pick::Warm(id);
        }
        if self.busy >= self.limit {
            return Pick::Throttled;
        }
        self.busy += 1;
        self.next_id += 1;
        Pick::Cold(self.next_id)
    }

    /// Instance `id` finished its invocation at `now`: it stays warm, or
    /// stops at once when nothing is kept warm.
    pub fn release(&mut self, id: u64, now: SimTime) {
        self.busy = self.busy.saturating_sub(1);
        if self.keep_alive > SimTime::ZERO {
            self.idle.push_back((id, now));
        }
    }

    /// Stops the instances idle for `keep_alive` or longer at `now`;
    /// returns how many stopped.
    pub fn expire(&mut self, now: SimTime) -> u32 {
        let mut stopped = 0;
        while let Some(&(_, since)) = self.idle.front() {
            if since + self.keep_alive > now {
                break;
            }
            self.idle.pop_front();
            stopped += 1;
        }
        stopped
    }

    /// Returns when the oldest idle instance expires, if any is idle.
    pub fn next_expiry(&self) -> Option<SimTime> {
        self.idle.front().map(|&(_, since)| since + self.keep_alive)
    }

    /// Returns the instances, busy and idle.
    pub fn count(&self) -> u32 {
        self.busy + self.idle.len() as u32
    }

    /// Returns the idle instances' numbers, oldest idle first.
    pub fn idle(&self) -> impl Iterator<Item = u64> + '_ {
        self.idle.iter().map(|&(id, _)| id)
    }
}

/// An invocation on its instance, from its arrival to its answer.
#[derive(Clone, Copy, Debug)]
struct Invocation {
    call: Call,
    instance: u64,
    /// Its arrival: billing starts here (a cold start is billed).
    started: SimTime,
    /// Whether its arrival fell in the measured window (it is billed then).
    counted: bool,
    /// Tells it from the earlier invocations of its slot.
    serial: u32,
    /// Its work is done and its calls run (their plan's handle in the caller).
    calling: Option<u32>,
}

/// The function's counters over the measured window.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    /// Invocations that got an instance, by arrival.
    invocations: u64,
    /// Of those, the cold starts.
    cold: u64,
    /// Invocations throttled.
    throttled: u64,
    /// Invocations answered inside the window.
    completed: u64,
    /// Billed time of the counted invocations, in whole milliseconds.
    billed_ms: u64,
}

/// The largest value a stepwise quantity took while inside the window.
#[derive(Clone, Copy, Debug)]
struct Peak {
    window: Window,
    value: u32,
    since: SimTime,
    max: u32,
}

impl Peak {
    fn new(window: Window) -> Self {
        Self {
            window,
            value: 0,
            since: SimTime::ZERO,
            max: 0,
        }
    }

    /// Notes the value held until `now` if it was held inside the window.
    fn close(&mut self, now: SimTime) {
        if self.since < self.window.end && now > self.window.start {
            self.max = self.max.max(self.value);
        }
    }

    /// Changes the value to `value` at `now`.
    fn set(&mut self, now: SimTime, value: u32) {
        if value != self.value {
            self.close(now);
            self.value = value;
            self.since = now;
        }
    }

    /// Returns the peak, accounting up to `now`.
    fn max(&mut self, now: SimTime) -> u32 {
        self.close(now);
        self.max
    }
}

/// A function while it runs.
pub struct Function {
    name: String,
    window: Window,
    service: ServiceTime,
    cold_start: SimTime,
    memory_gb: f64,
    price: FunctionPrice,
    pool: Pool,
    /// The calls after the work, and the edges they go through.
    caller: Caller,
    invocations: Slab<Invocation>,
    next_serial: u32,
    /// When the pending expiry timer fires, if one is pending.
    expiry_at: Option<SimTime>,
    instances: TimeAverage,
    peak: Peak,
    gauge: Option<GaugeId>,
    counts: Counts,
}

impl Function {
    fn new(spec: &Spec, bx: &BuildContext<'_>) -> Self {
        Self {
            name: bx.name().to_string(),
            window: bx.window,
            service: ServiceTime::new(&spec.station, bx.name()),
            cold_start: spec.cold_start,
            memory_gb: f64::from(spec.memory_mb) / 1024.0,
            price: spec.price,
            pool: Pool::new(spec.concurrency, spec.keep_alive),
            caller: Caller::new(&spec.calls, bx),
            invocations: Slab::new(),
            next_serial: 0,
            expiry_at: None,
            instances: TimeAverage::new(bx.window),
            peak: Peak::new(bx.window),
            gauge: None,
            counts: Counts::default(),
        }
    }

    /// Notes the count of instances after a change.
    fn instances_changed(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let count = self.pool.count();
        self.instances.set(now, u64::from(count));
        self.peak.set(now, count);
        if let Some(id) = self.gauge {
            ctx.shared.recorder.set_gauge(id, now, f64::from(count));
        }
    }

    /// Sets the expiry timer for the oldest idle instance, unless one is
    /// pending (a pending one is never later: idle instances only join at
    /// the back, with later expiries).
    fn arm_expiry(&mut self, ctx: &mut Ctx<'_>) {
        if self.expiry_at.is_some() {
            return;
        }
        if let Some(at) = self.pool.next_expiry() {
            self.expiry_at = Some(at);
            let now = ctx.now();
            ctx.schedule_self(at - now, Msg::Timer(EXPIRY_TIMER));
        }
    }

    /// Stops the instances whose keep-alive ran out by now.
    fn expire(&mut self, ctx: &mut Ctx<'_>) {
        if self.pool.expire(ctx.now()) > 0 {
            self.instances_changed(ctx);
        }
    }

    /// An invocation arrives: it runs on an instance, or is throttled.
    fn invoke(&mut self, call: Call, ctx: &mut Ctx<'_>) {
        // Expiring first makes an instance idle exactly `keep_alive` gone,
        // whichever of its timer and this arrival the engine takes first.
        self.expire(ctx);
        let now = ctx.now();
        let counted = self.window.contains(now);
        let (instance, cold) = match self.pool.acquire() {
            Pick::Warm(id) => (id, false),
            Pick::Cold(id) => (id, true),
            Pick::Throttled => {
                self.counts.throttled += u64::from(counted);
                send_reply(ctx, &call, Outcome::Failed(Cause::Throttled));
                return;
            }
        };
        if cold {
            self.instances_changed(ctx);
        }
        self.counts.invocations += u64::from(counted);
        self.counts.cold += u64::from(counted && cold);
        let (kind, seed) = ctx
            .shared
            .request(call.req)
            .map_or((0, 0), |r| (r.kind, r.seed));
        let work = self.service.draw(kind, seed);
        let time = if cold { work + self.cold_start } else { work };
        self.next_serial = (self.next_serial + 1) & SERIAL_MASK;
        let token = self.invocations.insert(Invocation {
            call,
            instance,
            started: now,
            counted,
            serial: self.next_serial,
            calling: None,
        }) as u32;
        ctx.schedule_self(time, Msg::Timer(work_tag(token, self.next_serial)));
    }

    /// An invocation's work is done: it makes its calls, if it has any,
    /// and ends when they are over.
    fn worked(&mut self, token: u32, serial: u32, ctx: &mut Ctx<'_>) {
        let Some(inv) = self.invocations.get(token as usize).copied() else {
            return;
        };
        if inv.serial != serial || inv.calling.is_some() {
            return;
        }
        let kind = ctx.shared.request(inv.call.req).map_or(0, |r| r.kind);
        let job = JobRef { token, serial };
        match self.caller.start(job, inv.call.req, kind, 0, ctx) {
            Begun::Over(outcome) => self.done(token, outcome, ctx),
            Begun::Running(plan) => {
                if let Some(inv) = self.invocations.get_mut(token as usize) {
                    inv.calling = Some(plan);
                }
            }
        }
    }

    /// Ends the invocations whose calls are over, with their outcome.
    fn calls_done(&mut self, ctx: &mut Ctx<'_>) {
        while let Some((job, outcome)) = self.caller.next_finished() {
            match self.invocations.get(job.token as usize) {
                Some(inv) if inv.serial == job.serial && inv.calling.is_some() => {
                    self.done(job.token, outcome, ctx)
                }
                _ => {}
            }
        }
    }

    /// An invocation is over: its instance goes idle, it is billed and
    /// answered with `outcome`.
    fn done(&mut self, token: u32, outcome: Outcome, ctx: &mut Ctx<'_>) {
        let Some(inv) = self.invocations.try_remove(token as usize) else {
            return;
        };
        let now = ctx.now();
        self.pool.release(inv.instance, now);
        self.instances_changed(ctx);
        self.arm_expiry(ctx);
        if inv.counted {
            self.counts.billed_ms += billed_ms(now - inv.started);
        }
        self.counts.completed += u64::from(outcome == Outcome::Ok && self.window.contains(now));
        send_reply(ctx, &inv.call, outcome);
    }

    /// A timer fired: an expiry, one of the caller's, or the end of an
    /// invocation's work.
    fn timer(&mut self, tag: u64, ctx: &mut Ctx<'_>) {
        if tag == EXPIRY_TIMER {
            self.expiry_at = None;
            self.expire(ctx);
            self.arm_expiry(ctx);
            return;
        }
        if tag & CALL_TIMER != 0 {
            self.caller.timer(tag, ctx);
            self.calls_done(ctx);
            return;
        }
        let (token, serial) = work_of(tag);
        self.worked(token, serial, ctx);
    }

    /// An answer came back: one of its calls'.
    fn answered(&mut self, token: u32, outcome: Outcome, ctx: &mut Ctx<'_>) {
        if token & CALL_TOKEN != 0 {
            self.caller.answered(token, outcome, ctx);
            self.calls_done(ctx);
        }
    }

    /// Stops, each at its time, the idle instances whose keep-alive runs out
    /// by `end`, when no event is left to do so.
    fn settle(&mut self, end: SimTime, ctx: &mut Ctx<'_>) {
        while let Some(at) = self.pool.next_expiry().filter(|&at| at <= end) {
            self.pool.expire(at);
            let count = self.pool.count();
            self.instances.set(at, u64::from(count));
            self.peak.set(at, count);
            if let Some(id) = self.gauge {
                ctx.shared.recorder.set_gauge(id, at, f64::from(count));
            }
        }
    }

    /// Returns what the counted invocations cost, per hour of the window.
    fn cost_per_hour(&self) -> f64 {
        let c = self.counts;
        let dollars = self.price.per_million * c.invocations as f64 / 1e6
            + self.price.per_gb_s * self.memory_gb * c.billed_ms as f64 / 1e3;
        let hours = self.window.secs() / 3600.0;
        if hours > 0.0 {
            dollars / hours
        } else {
            0.0
        }
    }

    /// Returns the figures of the run, at `now`.
    fn readings(&mut self, now: SimTime) -> Vec<Reading> {
        let c = self.counts;
        let cold_ratio = if c.invocations == 0 {
            0.0
        } else {
            c.cold as f64 / c.invocations as f64
        };
        vec![
            Reading::of(&INVOCATIONS, c.invocations as f64),
            Reading::of(&COLD_START_RATIO, cold_ratio),
            Reading::of(&INSTANCES_MEAN, self.instances.mean(now, self.window.end)),
            Reading::of(&INSTANCES_MAX, f64::from(self.peak.max(now))),
            Reading::of(&THROTTLED, c.throttled as f64),
            Reading::of(&COST_PER_HOUR, self.cost_per_hour()),
        ]
    }
}

/// Returns the billed length of an invocation lasting `time`: whole
/// milliseconds, rounded up.
fn billed_ms(time: SimTime) -> u64 {
    time.0.div_ceil(1_000_000)
}

impl Component<Msg, World> for Function {
    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        self.gauge = Some(ctx.shared.recorder.gauge(&self.name, &INSTANCES));
    }

    fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
        match msg {
            Msg::Call(call) => self.invoke(call, ctx),
            Msg::Timer(tag) => self.timer(tag, ctx),
            Msg::Reply { token, outcome } => self.answered(token, outcome, ctx),
            Msg::Probe { .. } | Msg::Load { .. } | Msg::Control(_) => {}
        }
    }

    fn on_finish(&mut self, ctx: &mut Ctx<'_>) {
        // A run stopped early has its window cut at the stop.
        self.window = ctx.shared.recorder.window();
        // The run ends with its last answer, which may come before the
        // window's end: the warm instances live on until they expire.
        let end = ctx.now().max(self.window.end);
        self.settle(end, ctx);
        let readings = self.readings(end);
        self.caller.report(ctx);
        ctx.shared.recorder.adjust_cost(self.cost_per_hour());
        ctx.shared.recorder.component(ComponentStats {
            name: self.name.clone(),
            kind: <Spec as Kind>::NAME,
            utilization: 0.0,
            cores: 0,
            mean_queue: 0.0,
            completed: self.counts.completed,
            rejected: 0,
            extra: readings,
            up_levels: Vec::new(),
        });
    }
}

impl Part for Function {
    /// The idle warm instances and the calls' attempts: each invocation in
    /// flight is one request's and counts with the requests, but an idle
    /// instance, and an attempt nobody waits for, outlive them.
    fn held(&self) -> usize {
        self.pool.idle.len() + self.caller.held()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parts::traffic::RequestType;

    fn spec(json: &str) -> Result<Spec, Vec<Issue>> {
        let body: Value = serde_json::from_str(json).unwrap();
        let types = [RequestType::only()];
        let names = ["resize".to_string()];
        let cx = SpecContext::new(&types, &names, None);
        parse(&body, "components.resize", &cx)
    }

    fn s(secs: u64) -> SimTime {
        SimTime::from_secs_f64(secs as f64)
    }

    #[test]
    fn reads_the_fields_and_their_defaults() {
        let f = spec(
            r#"{"work": "50ms", "memory": "512MB", "cold_start": "800ms", "keep_alive": "10m",
                "concurrency": 1000, "price": {"per_million": 0.2, "per_gb_s": 0.0000166667}}"#,
        )
        .unwrap();
        assert_eq!(f.memory_mb, 512);
        assert_eq!(f.cold_start, SimTime::from_millis(800));
        assert_eq!(f.keep_alive, s(600));
        assert_eq!(f.concurrency, 1000);
        assert_eq!(f.price.per_gb_s, 0.0000166667);
        let d = spec(r#"{"work": "50ms"}"#).unwrap();
        assert_eq!(
            (d.memory_mb, d.cold_start, d.keep_alive, d.concurrency),
            (128, SimTime::ZERO, s(600), 1000)
        );
        assert_eq!(d.price.per_million, DEFAULT_PER_MILLION);
        assert_eq!(spec(r#"{"work": "1ms", "memory": "1.5GB"}"#).unwrap().memory_mb, 1536);
    }

    #[test]
    fn refuses_what_it_cannot_model() {
        let e = |json: &str| format!("{:?}", spec(json).unwrap_err());
        assert!(e(r#"{}"#).contains("missing field `work`"));
        assert!(e(r#"{"work": "1ms", "concurrency": 0}"#).contains("positive number of instances"));
        assert!(e(r#"{"work": "1ms", "concurrency": 2000000}"#).contains("at most 1000000"));
        assert!(e(r#"{"work": "1ms", "cores": 2}"#).contains("unknown field `cores`"));
        assert!(e(r#"{"work": "1ms", "memory": "512"}"#).contains("unit MB or GB"));
        assert!(e(r#"{"work": "1ms", "memory": "20GB"}"#).contains("at most 10240MB"));
        assert!(e(r#"{"work": "1ms", "price": {"per_million": -1}}"#).contains("0 or more"));
        assert!(e(r#"{"work": "1ms", "price": {"per_hour": 1}}"#).contains("unknown field"));
    }

    #[test]
    fn takes_the_most_recently_used_idle_instance() {
        let mut pool = Pool::new(10, s(60));
        let (a, b, c) = (pool.acquire(), pool.acquire(), pool.acquire());
        assert_eq!((a, b, c), (Pick::Cold(1), Pick::Cold(2), Pick::Cold(3)));
        pool.release(2, s(1));
        pool.release(1, s(2));
        pool.release(3, s(3));
        assert_eq!(pool.idle().collect::<Vec<_>>(), vec![2, 1, 3]);
        // The one that went idle last serves next; the oldest idle waits at the front.
        assert_eq!(pool.acquire(), Pick::Warm(3));
        assert_eq!(pool.acquire(), Pick::Warm(1));
        assert_eq!(pool.idle().collect::<Vec<_>>(), vec![2]);
        assert_eq!(pool.count(), 3);
    }

    #[test]
    fn idle_instances_expire_exactly_keep_alive_after_they_went_idle() {
        let mut pool = Pool::new(10, s(60));
        for _ in 0..3 {
            pool.acquire();
        }
        pool.release(1, s(0));
        pool.release(2, s(10));
        pool.release(3, s(20));
        assert_eq!(pool.next_expiry(), Some(s(60)));
        assert_eq!(pool.expire(s(60) - SimTime(1)), 0);
        assert_eq!(pool.expire(s(60)), 1);
        assert_eq!(pool.next_expiry(), Some(s(70)));
        // Used again, instance 3 leaves the idle list; 2 expires on time.
        assert_eq!(pool.acquire(), Pick::Warm(3));
        assert_eq!(pool.expire(s(75)), 1);
        assert_eq!((pool.count(), pool.next_expiry()), (1, None));
    }

    #[test]
    fn throttles_beyond_the_limit_and_keeps_nothing_warm_without_keep_alive() {
        let mut pool = Pool::new(2, SimTime::ZERO);
        assert_eq!(pool.acquire(), Pick::Cold(1));
        assert_eq!(pool.acquire(), Pick::Cold(2));
        assert_eq!(pool.acquire(), Pick::Throttled);
        pool.release(1, s(1));
        assert_eq!(pool.count(), 1);
        assert_eq!(pool.acquire(), Pick::Cold(3));
    }

    #[test]
    fn bills_whole_milliseconds_rounded_up() {
        assert_eq!(billed_ms(SimTime(1)), 1);
        assert_eq!(billed_ms(SimTime::from_millis(50)), 50);
        assert_eq!(billed_ms(SimTime::from_millis(50) + SimTime(1)), 51);
    }

    /// Runs a function called once a second (at 1 s, 2 s... 9 s) for 10 s,
    /// with `fields`.
    fn once_a_second(fields: &str) -> crate::metrics::RunSummary {
        once_a_second_with(fields, "")
    }

    /// As [`once_a_second`], with `rest` added to the components.
    fn once_a_second_with(fields: &str, rest: &str) -> crate::metrics::RunSummary {
        let yaml = format!(
            "name: function test
seed: 3
duration: 10s
warmup: 0s
traffic: {{rate: 1/s, arrivals: constant}}
entry: resize
network: {{latency: 0ms}}
components:
  resize: {{kind: function, service: deterministic, memory: 1GB,
            price: {{per_million: 1000000, per_gb_s: 1}}, {fields}}}
{rest}"
        );
        let scenario = crate::scenario::load_text(&yaml, "t", &[]).unwrap();
        crate::runner::simulate(&scenario, 0)
    }

    fn reading(run: &crate::metrics::RunSummary, key: &str) -> f64 {
        run.components[0].reading(key).unwrap()
    }

    #[test]
    fn a_warm_instance_serves_every_call_within_its_keep_alive() {
        // Each call ends 300 ms after it starts and the next comes 700 ms
        // later: with 1 s of keep-alive the first instance serves them all.
        let run = once_a_second("work: 300ms, cold_start: 200ms, keep_alive: 1s");
        assert_eq!(reading(&run, "invocations"), 9.0);
        assert_eq!(reading(&run, "cold_start_ratio"), 1.0 / 9.0);
        // One instance from 1 s to the end of the 10 s window.
        assert!((reading(&run, "instances_mean") - 0.9).abs() < 1e-9);
        assert_eq!(reading(&run, "instances_max"), 1.0);
        // $1 an invocation, and $1 a GB-second over 9 × 300 ms + one cold
        // start of 200 ms: $11.90 in 10 s.
        let per_hour = 11.9 * 360.0;
        assert!((reading(&run, "cost_per_hour") - per_hour).abs() < 1e-6);
        assert!((run.cost_per_hour - per_hour).abs() < 1e-6, "{}", run.cost_per_hour);
        assert!((run.latency_ms.mean - (8.0 * 300.0 + 500.0) / 9.0).abs() < 1e-9);
    }

    #[test]
    fn an_instance_idle_longer_than_its_keep_alive_is_gone_and_calls_start_cold() {
        // A cold call ends 500 ms after its arrival; its instance is gone
        // 400 ms later, before the next call: each call starts cold, on an
        // instance that lives 900 ms, the last one past the run's last answer.
        let run = once_a_second("work: 300ms, cold_start: 200ms, keep_alive: 400ms");
        assert_eq!(reading(&run, "cold_start_ratio"), 1.0);
        assert!((reading(&run, "instances_mean") - 0.81).abs() < 1e-9);
        // Idle for exactly its keep-alive when the next call comes, an
        // instance is gone: still every call is cold.
        let run = once_a_second("work: 300ms, cold_start: 200ms, keep_alive: 500ms");
        assert_eq!(reading(&run, "cold_start_ratio"), 1.0);
        assert!((reading(&run, "instances_mean") - 0.9).abs() < 1e-9);
    }

    #[test]
    fn a_call_that_finds_every_instance_busy_is_throttled() {
        // 1.5 s of work, one instance: the calls at 2 s, 4 s, 6 s and 8 s
        // find it busy.
        let run = once_a_second("work: 1500ms, keep_alive: 1m, concurrency: 1");
        assert_eq!(reading(&run, "invocations"), 5.0);
        assert_eq!(reading(&run, "throttled"), 4.0);
        let throttled = run.errors.iter().find(|(n, _)| *n == "throttled").unwrap().1;
        assert_eq!(throttled, 4);
        assert_eq!(run.requests.failed, 4);
        // A 429: the capacity may be free by the retry.
        assert!(Cause::Throttled.worth_retrying());
    }

    #[test]
    fn an_instance_stays_busy_and_billed_while_its_calls_run() {
        // 300 ms of work, then a call of 200 ms: each invocation holds its
        // instance for 500 ms, answers after 500 ms, and pays for 500 ms.
        let store = "  store: {kind: server, work: 200ms, service: deterministic}\n";
        let run = once_a_second_with("work: 300ms, keep_alive: 1s, calls: [store]", store);
        assert_eq!(run.requests.completed, 9);
        assert!((run.latency_ms.mean - 500.0).abs() < 1e-9);
        assert!((reading(&run, "cost_per_hour") - 9.0 * 1.5 * 360.0).abs() < 1e-6);
        // With a timeout of 100 ms on that edge, every call times out: the
        // invocation fails after 400 ms, and pays for them.
        let run = once_a_second_with(
            "work: 300ms, keep_alive: 1s, calls: [store], edges: {store: {timeout: 100ms}}",
            store,
        );
        assert_eq!(run.requests.failed, 9);
        let timed_out = run.errors.iter().find(|(n, _)| *n == "call_timed_out");
        assert_eq!(timed_out.map(|(_, n)| *n), Some(9));
        assert!((reading(&run, "cost_per_hour") - 9.0 * 1.4 * 360.0).abs() < 1e-6);
        assert_eq!(run.components[0].completed, 0);
    }

    #[test]
    fn the_peak_counts_only_values_held_inside_the_window() {
        let window = Window {
            start: s(10),
            end: s(20),
        };
        let mut p = Peak::new(window);
        p.set(s(1), 9);
        p.set(s(5), 3);
        p.set(s(12), 4);
        p.set(s(25), 8);
        assert_eq!(p.max(s(30)), 4);
    }
}
