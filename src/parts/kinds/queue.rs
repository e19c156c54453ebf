//! `kind: queue`: a message queue. A call to it is a publish: the queue
//! stores the message and answers the caller at once; servers that consume it
//! (`consumes: NAME`) do the job later.
//!
//! The exchange with the workers is a pull. A consuming server tells the
//! queue each time one of its cores is free (a *pull*: a [`Msg::Load`] whose
//! `load` is the replica's incarnation, which goes up at each crash so that
//! the pulls of a dead machine are dropped). The queue keeps the pulls in a
//! FIFO and matches them with the visible messages in a FIFO: each message
//! delivered costs O(1), and a job never waits in the worker's own queue.
//!
//! A delivery is a call to the worker, carried by a record of its own in the
//! world's request table (a copy of the publishing request's type, user, key
//! and seed), freed when the worker answers. `at_least_once`: the delivered
//! message stays, invisible, until the worker's success (an ack) deletes it;
//! if no ack comes within `visibility_timeout` it becomes visible again and
//! is delivered again, up to `max_deliveries` times, after which it is
//! dead-lettered. `at_most_once`: the message is the worker's from the
//! delivery on; a failed job is lost.
//!
//! Every delivery has the same timeout, so the deadlines fall due in the
//! order of the deliveries: they wait in a FIFO, and one timer per queue
//! waits for the first still pending, instead of one timer per delivery in
//! the event heap. A deadline that falls due is honoured before any other
//! event of the queue at that instant, so an ack that comes exactly at the
//! deadline is late, as it would be behind a timer set at the delivery.

use std::collections::VecDeque;

use hdrhistogram::Histogram;
use serde::Deserialize;
use serde_json::Value;
use slab::Slab;

use crate::engine::{Component, ComponentId, SimTime};
use crate::metrics::{
    Better, ComponentStats, Gauge, GaugeId, Measure, Reading, TimeAverage, Unit, Window,
};
use crate::model::{About, Call, Cause, Msg, Outcome, Request};
use crate::parts::{send_call, send_reply, BuildContext, Ctx, Kind, Part, SpecContext, World};
use crate::spec::limits::{MAX_DELIVERIES, MAX_QUEUE_CAPACITY};
use crate::spec::{join_key, parse_lenient, Duration, Issue};

/// The `origin` of the request record of a delivery: no client waits for it.
pub const JOB_ORIGIN: u32 = u32::MAX - 1;

/// Messages a queue holds when `capacity` is not given.
const DEFAULT_CAPACITY: u64 = 100_000;
/// How long a delivered message stays invisible when not given.
const DEFAULT_VISIBILITY: SimTime = SimTime(30_000_000_000);
/// Deliveries of one message, at most, when not given.
const DEFAULT_MAX_DELIVERIES: u32 = 5;

/// Messages published (stored) in the measured window.
pub const PUBLISHED: Measure =
    Measure::new("published", "messages published", Unit::Count, Better::Neither);
/// Messages whose job succeeded (acknowledged) in the window.
pub const CONSUMED: Measure =
    Measure::new("consumed", "jobs done", Unit::Count, Better::Neither);
/// Deliveries after the first (a visibility timeout that ran out).
pub const REDELIVERED: Measure =
    Measure::new("redelivered", "redeliveries", Unit::Count, Better::Lower).lesson(Some(0.0));
/// Jobs that ended for a message already acknowledged or dead-lettered: done twice.
pub const DUPLICATES: Measure =
    Measure::new("duplicates", "duplicate jobs", Unit::Count, Better::Lower).lesson(Some(0.0));
/// Messages given up after `max_deliveries` deliveries.
pub const DEAD_LETTERED: Measure =
    Measure::new("dead_lettered", "dead-lettered messages", Unit::Count, Better::Lower)
        .lesson(Some(0.0));
/// Jobs lost with `at_most_once` (the worker failed or crashed).
pub const LOST: Measure =
    Measure::new("lost", "lost jobs", Unit::Count, Better::Lower).lesson(Some(0.0));
/// Messages waiting for a worker, time-averaged over the window.
pub const BACKLOG_MEAN: Measure =
    Measure::new("backlog_mean", "mean backlog", Unit::Number, Better::Lower);
/// The most messages waiting for a worker at once in the window.
pub const BACKLOG_MAX: Measure =
    Measure::new("backlog_max", "largest backlog", Unit::Number, Better::Lower).lesson(None);
/// Mean time from the publish to the ack of a job.
pub const JOB_MEAN: Measure =
    Measure::new("job_latency_ms.mean", "mean job latency", Unit::Ms, Better::Lower);
/// Median job latency.
pub const JOB_P50: Measure =
    Measure::new("job_latency_ms.p50", "p50 job latency", Unit::Ms, Better::Lower);
/// 90th percentile of the job latency.
pub const JOB_P90: Measure =
    Measure::new("job_latency_ms.p90", "p90 job latency", Unit::Ms, Better::Lower);
/// 99th percentile of the job latency.
pub const JOB_P99: Measure =
    Measure::new("job_latency_ms.p99", "p99 job latency", Unit::Ms, Better::Lower)
        .lesson(None);
/// 99.9th percentile of the job latency.
pub const JOB_P999: Measure =
    Measure::new("job_latency_ms.p999", "p99.9 job latency", Unit::Ms, Better::Lower);
/// Longest job latency.
pub const JOB_MAX: Measure =
    Measure::new("job_latency_ms.max", "longest job latency", Unit::Ms, Better::Lower);

/// The queue's backlog over time.
pub const BACKLOG: Gauge = Gauge::new("backlog", "queue backlog", "messages");

/// How messages are handed to workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// A message stays until a worker acknowledges it; it may run twice.
    AtLeastOnce,
    /// A message is deleted on delivery; it may be lost.
    AtMostOnce,
}

/// The fields of a queue as written in the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    capacity: Option<u64>,
    delivery: Option<Delivery>,
    visibility_timeout: Option<Duration>,
    max_deliveries: Option<u32>,
}

/// The validated settings of a queue.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Messages it holds at most (waiting or delivered and not yet acknowledged).
    pub capacity: u64,
    /// At least once or at most once.
    pub delivery: Delivery,
    /// How long a delivered message stays invisible without an ack.
    pub visibility: SimTime,
    /// Deliveries of one message before it is dead-lettered.
    pub max_deliveries: u32,
    /// The fields written that apply to at-least-once delivery only, when
    /// the delivery is at most once.
    pub unused: Vec<&'static str>,
}

impl Kind for Spec {
    const NAME: &'static str = "queue";
    const MEASURES: &'static [&'static Measure] = &[
        &PUBLISHED,
        &CONSUMED,
        &REDELIVERED,
        &DUPLICATES,
        &DEAD_LETTERED,
        &LOST,
        &BACKLOG_MEAN,
        &BACKLOG_MAX,
        &JOB_MEAN,
        &JOB_P50,
        &JOB_P90,
        &JOB_P99,
        &JOB_P999,
        &JOB_MAX,
    ];
    const GAUGES: &'static [&'static Gauge] = &[&BACKLOG];
    type Part = Queue;

    fn parse(body: &Value, path: &str, _cx: &SpecContext<'_>) -> Result<Self, Vec<Issue>> {
        parse(body, path)
    }

    fn sketch(&self, _topology: &crate::parts::Topology) -> Vec<String> {
        vec![
            format!("capacity {}", self.capacity),
            crate::spec::units::yaml_name(&self.delivery),
            format!(
                "visibility timeout {}",
                crate::spec::units::format_duration(self.visibility)
            ),
            format!("at most {} deliveries", self.max_deliveries),
        ]
    }

    /// A managed service: one queue, no machine of the scenario's to crash.
    fn replicas(&self) -> u32 {
        1
    }

    fn price_per_hour(&self) -> f64 {
        0.0
    }

    fn is_queue(&self) -> bool {
        true
    }

    /// Under at-most-once delivery no message comes back, so a timeout
    /// before it does and a count of deliveries choose nothing. A warning,
    /// not an error: a knob or a sweep of `delivery` turns it from a file
    /// that sets them.
    fn unused(&self, path: &str) -> Vec<Issue> {
        self.unused
            .iter()
            .map(|field| {
                Issue::new(
                    join_key(path, field),
                    format!(
                        "`{field}` applies to `delivery: at_least_once`: under at_most_once \
                         no message is delivered again, so it is not used"
                    ),
                )
            })
            .collect()
    }

    fn build(&self, bx: &BuildContext<'_>) -> Queue {
        Queue::new(self, bx)
    }
}

/// Reads and checks the fields of a queue.
fn parse(body: &Value, path: &str) -> Result<Spec, Vec<Issue>> {
    let mut issues = Vec::new();
    let Some(raw) = parse_lenient::<Raw>(body, path, &mut issues) else {
        return Err(issues);
    };
    let capacity = raw.capacity.unwrap_or(DEFAULT_CAPACITY);
    if capacity == 0 {
        issues.push(Issue::new(
            join_key(path, "capacity"),
            "expected a positive number of messages, found 0",
        ));
    } else if capacity > MAX_QUEUE_CAPACITY {
        issues.push(Issue::new(
            join_key(path, "capacity"),
            format!(
                "{capacity} messages is beyond what one queue holds (at most {MAX_QUEUE_CAPACITY})"
            ),
        ));
    }
    let visibility = raw.visibility_timeout.map_or(DEFAULT_VISIBILITY, |d| d.0);
    if visibility == SimTime::ZERO {
        issues.push(Issue::new(
            join_key(path, "visibility_timeout"),
            "expected a positive duration, found 0",
        ));
    }
    let max_deliveries = raw.max_deliveries.unwrap_or(DEFAULT_MAX_DELIVERIES);
    if max_deliveries == 0 || max_deliveries > MAX_DELIVERIES {
        issues.push(Issue::new(
            join_key(path, "max_deliveries"),
            format!("expected a number of deliveries from 1 to {MAX_DELIVERIES}, found {max_deliveries}"),
        ));
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    let delivery = raw.delivery.unwrap_or(Delivery::AtLeastOnce);
    let written = [
        ("visibility_timeout", raw.visibility_timeout.is_some()),
        ("max_deliveries", raw.max_deliveries.is_some()),
    ];
    let unused = written
        .iter()
        .filter(|(_, w)| *w && delivery == Delivery::AtMostOnce)
        .map(|(field, _)| *field)
        .collect();
    Ok(Spec {
        capacity,
        delivery,
        visibility,
        max_deliveries,
        unused,
    })
}

/// A stored message: what the job needs of the request that published it.
#[derive(Clone, Copy, Debug)]
struct Message {
    /// Unique over the run (a slab key is reused once the message is gone).
    id: u64,
    kind: u16,
    user: u32,
    key: u32,
    write: bool,
    seed: u64,
    published: SimTime,
    /// Whether its publish fell in the measured window (its job latency counts).
    counted: bool,
    /// Deliveries so far.
    deliveries: u32,
    /// Bumped at each delivery and each return to the backlog, so that the
    /// deadline of an earlier delivery finds it changed.
    serial: u32,
    /// Delivered and not acknowledged (invisible).
    in_flight: bool,
}

/// A delivery in flight: a worker holds the message.
#[derive(Clone, Copy, Debug)]
struct Handed {
    /// The message's slab key and id.
    slot: u32,
    id: u64,
    /// Its record in the world's request table.
    req: u32,
}

/// When a delivery's visibility timeout runs out, and which delivery it is:
/// the message's slab key and the serial the delivery gave it.
#[derive(Clone, Copy, Debug)]
struct Deadline {
    due: SimTime,
    slot: u32,
    serial: u32,
}

/// A free core of a worker, waiting for a message.
#[derive(Clone, Copy, Debug)]
struct Pull {
    worker: ComponentId,
    replica: u32,
    incarnation: u32,
}

/// A queue while it runs.
pub struct Queue {
    name: String,
    spec: Spec,
    window: Window,
    messages: Slab<Message>,
    next_id: u64,
    /// Visible messages (slab key and id), oldest first. A message acked
    /// while visible (by a late worker) leaves its entry behind, skipped
    /// when it comes up: removing it at once would cost a search.
    visible: VecDeque<(u32, u64)>,
    /// Visible messages: the backlog (the entries of `visible` that are not
    /// left behind).
    waiting: u64,
    /// The serial of the last delivery or return to the backlog, over the
    /// run: a deadline quotes it, so that it finds its message changed.
    next_serial: u32,
    /// The deadlines of the deliveries (at least once), in delivery order,
    /// which is the order they fall due. The deadlines of deliveries that
    /// ended (acked, or given back by a machine that was down) are dropped
    /// when they reach the front: finding them sooner would cost a search.
    deadlines: VecDeque<Deadline>,
    /// Whether the queue's one visibility timer is pending. It fires at or
    /// before the first deadline: it is set for the front, and the front
    /// only moves to later deadlines.
    deadline_timer: bool,
    /// Free cores of the workers, in the order they asked.
    pulls: VecDeque<Pull>,
    /// The latest incarnation of each replica of each worker: a pull of an
    /// earlier one comes from a machine that crashed since.
    incarnations: Vec<(ComponentId, Vec<u32>)>,
    handed: Slab<Handed>,
    backlog: TimeAverage,
    backlog_max: u64,
    gauge: Option<GaugeId>,
    counts: Counts,
    latency: Histogram<u64>,
    latency_sum_ns: f64,
}

/// The queue's counters over the measured window.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    published: u64,
    rejected: u64,
    consumed: u64,
    redelivered: u64,
    duplicates: u64,
    dead_lettered: u64,
    lost: u64,
}

/// Largest job latency the histogram resolves (a week); longer ones saturate.
const HISTOGRAM_MAX_NS: u64 = 7 * 86_400 * 1_000_000_000;

impl Queue {
    fn new(spec: &Spec, bx: &BuildContext<'_>) -> Self {
        // The bounds are constants that hdrhistogram accepts; no input reaches this.
        #[allow(clippy::expect_used)]
        let latency = Histogram::new_with_bounds(1, HISTOGRAM_MAX_NS, 3)
            .expect("constant histogram bounds are valid");
        Self {
            name: bx.name().to_string(),
            spec: spec.clone(),
            window: bx.window,
            messages: Slab::new(),
            next_id: 0,
            visible: VecDeque::new(),
            waiting: 0,
            next_serial: 0,
            deadlines: VecDeque::new(),
            deadline_timer: false,
            pulls: VecDeque::new(),
            incarnations: Vec::new(),
            handed: Slab::new(),
            backlog: TimeAverage::new(bx.window),
            backlog_max: 0,
            gauge: None,
            counts: Counts::default(),
            latency,
            latency_sum_ns: 0.0,
        }
    }

    /// Returns true if `now` falls in the measured window.
    fn counts_at(&self, now: SimTime) -> bool {
        self.window.contains(now)
    }

    /// Notes the backlog after a change.
    fn backlog_changed(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let backlog = self.waiting;
        self.backlog.set(now, backlog);
        if self.counts_at(now) {
            self.backlog_max = self.backlog_max.max(backlog);
        }
        if let Some(id) = self.gauge {
            ctx.shared.recorder.set_gauge(id, now, backlog as f64);
        }
    }

    /// A publish: store the message and answer at once, or refuse when full.
    fn publish(&mut self, call: Call, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        if self.messages.len() as u64 >= self.spec.capacity {
            self.counts.rejected += u64::from(self.counts_at(now));
            send_reply(ctx, &call, Outcome::Rejected);
            return;
        }
        let Some(request) = ctx.shared.request(call.req).copied() else {
            send_reply(ctx, &call, Outcome::Rejected);
            return;
        };
        self.next_id += 1;
        let slot = self.messages.insert(Message {
            id: self.next_id,
            kind: request.kind,
            user: request.user,
            key: request.key,
            write: request.write,
            seed: request.seed,
            published: now,
            counted: self.counts_at(now),
            deliveries: 0,
            serial: 0,
            in_flight: false,
        }) as u32;
        self.counts.published += u64::from(self.counts_at(now));
        self.make_visible(slot, false);
        self.backlog_changed(ctx);
        send_reply(ctx, &call, Outcome::Ok);
        self.deliver(ctx);
    }

    /// Puts message `slot` in the backlog, at its end or (`first`) its head.
    fn make_visible(&mut self, slot: u32, first: bool) {
        let Some(m) = self.messages.get_mut(slot as usize) else {
            return;
        };
        self.next_serial = self.next_serial.wrapping_add(1);
        m.serial = self.next_serial;
        m.in_flight = false;
        let entry = (slot, m.id);
        if first {
            self.visible.push_front(entry);
        } else {
            self.visible.push_back(entry);
        }
        self.waiting += 1;
    }

    /// Takes the oldest visible message out of the backlog, skipping the
    /// entries of messages acked meanwhile.
    fn next_visible(&mut self) -> Option<u32> {
        while let Some((slot, id)) = self.visible.pop_front() {
            let live = self
                .messages
                .get(slot as usize)
                .is_some_and(|m| m.id == id && !m.in_flight);
            if live {
                self.waiting -= 1;
                return Some(slot);
            }
        }
        None
    }

    /// A worker's core is free.
    fn pulled(&mut self, worker: ComponentId, replica: u32, incarnation: u32, ctx: &mut Ctx<'_>) {
        let latest = self.latest(worker, replica);
        if incarnation < *latest {
            return;
        }
        *latest = incarnation;
        self.pulls.push_back(Pull {
            worker,
            replica,
            incarnation,
        });
        self.deliver(ctx);
    }

    /// Returns the latest incarnation known of a worker's replica.
    fn latest(&mut self, worker: ComponentId, replica: u32) -> &mut u32 {
        let index = match self.incarnations.iter().position(|(w, _)| *w == worker) {
            Some(i) => i,
            None => {
                self.incarnations.push((worker, Vec::new()));
                self.incarnations.len() - 1
            }
        };
        let list = &mut self.incarnations[index].1;
        if list.len() <= replica as usize {
            list.resize(replica as usize + 1, 0);
        }
        &mut list[replica as usize]
    }

    /// Hands visible messages to free cores while there are both.
    fn deliver(&mut self, ctx: &mut Ctx<'_>) {
        let mut changed = false;
        while self.waiting > 0 {
            let Some(pull) = self.pulls.pop_front() else {
                break;
            };
            if pull.incarnation < *self.latest(pull.worker, pull.replica) {
                continue;
            }
            let Some(slot) = self.next_visible() else {
                break;
            };
            self.hand(slot, pull, ctx);
            changed = true;
        }
        if changed {
            self.backlog_changed(ctx);
        }
    }

    /// Delivers message `slot` to the worker core of `pull`.
    fn hand(&mut self, slot: u32, pull: Pull, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let counted = self.counts_at(now);
        let Some(m) = self.messages.get_mut(slot as usize) else {
            return;
        };
        if m.deliveries > 0 {
            self.counts.redelivered += u64::from(counted);
        }
        m.deliveries += 1;
        self.next_serial = self.next_serial.wrapping_add(1);
        m.serial = self.next_serial;
        m.in_flight = true;
        // Each delivery draws its own work: a second attempt is a new run of the job.
        let seed = m
            .seed
            .wrapping_add(u64::from(m.deliveries).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let req = ctx.shared.requests.insert(Request {
            kind: m.kind,
            user: m.user,
            arrived: now,
            wait: SimTime::ZERO,
            counted: m.counted,
            seed,
            origin: JOB_ORIGIN,
            key: m.key,
            write: m.write,
            calls_out: 0,
            ended: false,
        }) as u32;
        let (id, serial) = (m.id, m.serial);
        let token = self.handed.insert(Handed { slot, id, req }) as u32;
        if self.spec.delivery == Delivery::AtLeastOnce {
            self.deadlines.push_back(Deadline {
                due: now + self.spec.visibility,
                slot,
                serial,
            });
            self.arm(ctx);
        }
        let call = Call {
            req,
            reply_to: ctx.me(),
            token,
            replica: pull.replica,
            zone: ctx.shared.zone(ctx.me(), 0),
            about: About::Request,
        };
        send_call(ctx, pull.worker, call);
    }

    /// Returns the message of a delivery if it is still stored.
    fn message_of(&self, handed: &Handed) -> Option<Message> {
        self.messages
            .get(handed.slot as usize)
            .filter(|m| m.id == handed.id)
            .copied()
    }

    /// A worker answered a delivery.
    fn answered(&mut self, token: u32, outcome: Outcome, ctx: &mut Ctx<'_>) {
        let Some(handed) = self.handed.try_remove(token as usize) else {
            return;
        };
        ctx.shared.take_request(handed.req);
        let now = ctx.now();
        let counted = self.counts_at(now);
        let message = self.message_of(&handed);
        match (outcome, message) {
            (Outcome::Ok, Some(m)) => {
                self.messages.remove(handed.slot as usize);
                if !m.in_flight {
                    // Back in the backlog after a timeout: it leaves it.
                    self.waiting -= 1;
                    self.backlog_changed(ctx);
                }
                self.counts.consumed += u64::from(counted);
                if m.counted {
                    let latency = now - m.published;
                    self.latency.saturating_record(latency.0.max(1));
                    self.latency_sum_ns += latency.0 as f64;
                }
            }
            // Done for a message already acknowledged (or given up): twice.
            (Outcome::Ok, None) => self.counts.duplicates += u64::from(counted),
            // The machine was down when the message came: it never had it.
            (Outcome::Failed(Cause::Down), Some(m)) if m.in_flight => {
                if let Some(m) = self.messages.get_mut(handed.slot as usize) {
                    m.deliveries -= 1;
                }
                self.make_visible(handed.slot, true);
                self.backlog_changed(ctx);
                self.deliver(ctx);
            }
            (_, Some(m)) if self.spec.delivery == Delivery::AtMostOnce && m.in_flight => {
                self.messages.remove(handed.slot as usize);
                self.counts.lost += u64::from(counted);
            }
            // At least once: without an ack, the message comes back when its
            // visibility timeout runs out.
            _ => {}
        }
        // Acks come mostly in delivery order: dropping the ended deadlines
        // now keeps the FIFO near the deliveries in flight, not the
        // deliveries of a whole timeout.
        self.drop_ended();
    }

    /// Returns true if the delivery of `deadline` still waits for its ack.
    fn awaited(&self, deadline: &Deadline) -> bool {
        self.messages
            .get(deadline.slot as usize)
            .is_some_and(|m| m.serial == deadline.serial && m.in_flight)
    }

    /// Drops the deadlines at the front whose deliveries ended.
    fn drop_ended(&mut self) {
        while let Some(front) = self.deadlines.front() {
            if self.awaited(front) {
                return;
            }
            self.deadlines.pop_front();
        }
    }

    /// Sets the visibility timer for the first deadline, unless it is
    /// pending (then it fires at or before that deadline).
    fn arm(&mut self, ctx: &mut Ctx<'_>) {
        if self.deadline_timer {
            return;
        }
        if let Some(front) = self.deadlines.front() {
            self.deadline_timer = true;
            let delay = front.due - ctx.now();
            ctx.schedule_self(delay, Msg::Timer(0));
        }
    }

    /// Times out, in delivery order, the deliveries whose deadline is now or
    /// past. A redelivery among them adds its deadline at the back, later.
    fn expire(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        loop {
            self.drop_ended();
            match self.deadlines.front() {
                Some(front) if front.due <= now => {
                    let slot = front.slot;
                    self.deadlines.pop_front();
                    self.timed_out(slot, ctx);
                }
                _ => return,
            }
        }
    }

    /// The visibility timer fired: times out what is due and sets the timer
    /// for the next deadline.
    fn timer_fired(&mut self, ctx: &mut Ctx<'_>) {
        // Still marked pending while the deliveries run out, so that their
        // redeliveries do not set a second timer.
        self.expire(ctx);
        self.deadline_timer = false;
        self.arm(ctx);
    }

    /// The visibility timeout of message `slot`'s delivery ran out without
    /// an ack: the message is visible again, or dead-lettered.
    fn timed_out(&mut self, slot: u32, ctx: &mut Ctx<'_>) {
        let Some(m) = self.messages.get(slot as usize).copied() else {
            return;
        };
        let now = ctx.now();
        if m.deliveries >= self.spec.max_deliveries {
            self.messages.remove(slot as usize);
            self.counts.dead_lettered += u64::from(self.counts_at(now));
            if m.counted {
                ctx.shared.recorder.dead_lettered();
            }
            return;
        }
        self.make_visible(slot, false);
        self.backlog_changed(ctx);
        self.deliver(ctx);
    }

    /// Returns the figures of the run at `now`, over the window cut at `end`.
    fn readings(&mut self, now: SimTime, end: SimTime) -> Vec<Reading> {
        let c = self.counts;
        let ms = |ns: u64| ns as f64 / 1e6;
        let pct = |h: &Histogram<u64>, q: f64| {
            if h.is_empty() {
                0.0
            } else {
                ms(h.value_at_quantile(q))
            }
        };
        let jobs = self.latency.len().max(1) as f64;
        vec![
            Reading::of(&PUBLISHED, c.published as f64),
            Reading::of(&CONSUMED, c.consumed as f64),
            Reading::of(&REDELIVERED, c.redelivered as f64),
            Reading::of(&DUPLICATES, c.duplicates as f64),
            Reading::of(&DEAD_LETTERED, c.dead_lettered as f64),
            Reading::of(&LOST, c.lost as f64),
            Reading::of(&BACKLOG_MEAN, self.backlog.mean(now, end)),
            Reading::of(&BACKLOG_MAX, self.backlog_max as f64),
            Reading::of(&JOB_MEAN, self.latency_sum_ns / jobs / 1e6),
            Reading::of(&JOB_P50, pct(&self.latency, 0.5)),
            Reading::of(&JOB_P90, pct(&self.latency, 0.9)),
            Reading::of(&JOB_P99, pct(&self.latency, 0.99)),
            Reading::of(&JOB_P999, pct(&self.latency, 0.999)),
            Reading::of(
                &JOB_MAX,
                if self.latency.is_empty() {
                    0.0
                } else {
                    ms(self.latency.max())
                },
            ),
        ]
    }
}

impl Component<Msg, World> for Queue {
    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        self.gauge = Some(ctx.shared.recorder.gauge(&self.name, &BACKLOG));
        ctx.shared.recorder.count_dead_letters();
    }

    fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
        // A deadline that is due counts before anything else of this instant,
        // whether or not its timer came first: an ack at the deadline is late.
        if self.deadlines.front().is_some_and(|d| d.due <= ctx.now()) {
            self.expire(ctx);
        }
        match msg {
            Msg::Call(call) => self.publish(call, ctx),
            Msg::Reply { token, outcome } => self.answered(token, outcome, ctx),
            Msg::Timer(_) => self.timer_fired(ctx),
            Msg::Load {
                from,
                replica,
                load,
            } => self.pulled(from, replica, load, ctx),
            Msg::Probe { .. } | Msg::Control(_) => {}
        }
    }

    fn on_finish(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        // A run stopped early has its window cut at the stop.
        let end = ctx.shared.recorder.window().end;
        let readings = self.readings(now, end);
        ctx.shared.recorder.component(ComponentStats {
            name: self.name.clone(),
            kind: <Spec as Kind>::NAME,
            utilization: 0.0,
            cores: 0,
            mean_queue: self.backlog.mean(now, end),
            completed: self.counts.consumed,
            rejected: self.counts.rejected,
            extra: readings,
            up_levels: Vec::new(),
        });
    }
}

impl Part for Queue {
    /// The messages it stores (waiting or delivered), the deliveries in
    /// flight and their deadlines: the backlog is work in flight.
    fn held(&self) -> usize {
        self.messages.len()
            + self.visible.len()
            + self.handed.len()
            + self.pulls.len()
            + self.deadlines.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> Result<Spec, Vec<Issue>> {
        let body: Value = serde_json::from_str(yaml).unwrap();
        parse(&body, "components.orders")
    }

    #[test]
    fn defaults_and_limits() {
        let s = spec("{}").unwrap();
        assert_eq!(s.capacity, DEFAULT_CAPACITY);
        assert_eq!(s.delivery, Delivery::AtLeastOnce);
        assert_eq!(s.visibility, DEFAULT_VISIBILITY);
        assert_eq!(s.max_deliveries, 5);
        let e = format!("{:?}", spec("{\"capacity\": 0}").unwrap_err());
        assert!(e.contains("positive number of messages"), "{e}");
        let e = format!("{:?}", spec("{\"capacity\": 100000000000}").unwrap_err());
        assert!(e.contains("at most 10000000"), "{e}");
        let e = format!("{:?}", spec("{\"max_deliveries\": 0}").unwrap_err());
        assert!(e.contains("from 1 to"), "{e}");
    }
}
