//! `kind: server`: replicas of a machine that serve requests on their cores and
//! may call other components before answering.
//!
//! A request holds a core only for its own work; while it waits for the
//! components it calls, the core is free for others (cores model CPU, not
//! threads). That is what makes a chain of servers a Jackson network.
//!
//! A server may keep its users' sessions (`sessions:`, in the `sessions` module): on
//! each replica, or in a store that every request reads first. A request
//! whose user has no session where it is served logs the user in, which
//! costs `login_work` on top of its own work (and, with a store, a write of
//! the new session before its calls).
//!
//! A server that consumes a queue (`consumes: NAME`) is a worker: it has no
//! other traffic, and each of its free cores pulls a message from the queue
//! (a [`Msg::Load`] carrying the replica's incarnation, described with the queue kind).
//! A job's success is its ack; `fail:` makes a share of the jobs fail at
//! the end of their work (an error in the job), which the queue sees as no ack.

pub mod autoscale;
mod sessions;

use std::collections::VecDeque;

use serde::Deserialize;
use serde_json::Value;
use slab::Slab;

use rand::RngExt;

use crate::engine::{request_rng, stream_seed, Component, ComponentId, SimRng, SimTime};
use crate::metrics::{ComponentStats, Gauge, GaugeId, Measure};
use crate::model::{About, Call, Cause, Msg, Outcome, ANY_REPLICA, JOB_KIND};
use crate::parts::calls::{Begun, Caller, CallsSpec, JobRef, CALL_TIMER, CALL_TOKEN};
use crate::parts::lifecycle::{Lifecycle, POOL_UPTIME, UPTIME};
use crate::parts::station::{
    any_replica, parse_replicas, parse_with_station, work_of, work_tag, Admission, StationSpec,
    Stations,
    BUSIEST, DEPARTURE_RPS, IN_SYSTEM, LITTLE_EDGE, LITTLE_GAP, LOAD_SPREAD, SOJOURN_MS,
};
use crate::parts::{
    answer_probe, send_call, send_load, send_reply, BuildContext, Ctx, Kind, Part, SessionFacts,
    SpecContext, Topology, World,
};
use autoscale::{
    AutoscaleSpec, Decision, Fleet, Phase, INSTABILITY, MISROUTED, OVER_ACCURACY,
    OVER_PROVISIONED, REPLICAS, REPLICAS_MAX, REPLICAS_MEAN, REPLICA_HOURS, SCALE_INS, SCALE_OUTS,
    UNDER_ACCURACY, UNDER_PROVISIONED,
};
pub use sessions::{Keeper, SessionMiss, SessionSpec};
use sessions::{RawSessionFields, Sessions, Verdict};
use crate::spec::{join_key, refused, Duration, Fraction, Issue};

/// How a server issues the calls of a list (`fanout:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fanout {
    /// One after the other: each call starts when the previous one answered.
    Sequential,
    /// All at once: the request goes on when the last one answered (each
    /// type's list is one group `{parallel: [...], wait: all}`).
    Parallel,
}

/// Default time for a standby machine to take over a failed replica.
const DEFAULT_SWITCHOVER: SimTime = SimTime(30_000_000_000);

/// Timer tags at or above this value are switch-overs (the replica is in the low bits).
const SWITCHOVER_TIMER: u64 = 1 << 63;

/// Timer tags with this bit are the autoscaler's: an evaluation, or with
/// [`BOOT_TIMER`] too, the end of a replica's boot (the replica in the low
/// bits, its boot epoch above them).
const AUTOSCALE_TIMER: u64 = 1 << 62;

/// See [`AUTOSCALE_TIMER`].
const BOOT_TIMER: u64 = 1 << 61;

/// Job serials take 29 bits (from bit 32 of a timer tag): the bits above
/// mark the other timers.
const SERIAL_MASK: u32 = 0x1fff_ffff;

/// The fields of a server beyond those of its station.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    replicas: Option<u32>,
    calls: Option<Value>,
    fanout: Option<Fanout>,
    edges: Option<Value>,
    standby: Option<u32>,
    switchover: Option<Duration>,
    sessions: Option<Value>,
    session_miss: Option<SessionMiss>,
    login_work: Option<Duration>,
    session_ttl: Option<Duration>,
    consumes: Option<String>,
    fail: Option<Fraction>,
    autoscale: Option<Value>,
}

/// The validated settings of a server.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Number of identical machines.
    pub replicas: u32,
    /// Cores, speed, work and queue of each machine.
    pub station: StationSpec,
    /// Components called after the local work, per request type, and the
    /// resilience of each edge.
    pub calls: CallsSpec,
    /// Idle backup machines that take over a failed replica's place.
    pub standby: u32,
    /// Time for a backup machine to take over.
    pub switchover: SimTime,
    /// The users' sessions, if it keeps any (`None`: stateless).
    pub sessions: Option<SessionSpec>,
    /// The queue whose jobs it takes, if it is a worker.
    pub consumes: Option<usize>,
    /// The share of its jobs that fail at the end of their work (workers only).
    pub fail: f64,
    /// Its autoscaling group, if any (then `replicas` is its `max`).
    pub autoscale: Option<AutoscaleSpec>,
}

impl Kind for Spec {
    const NAME: &'static str = "server";
    const MEASURES: &'static [&'static Measure] = &[
        &UPTIME,
        &POOL_UPTIME,
        &BUSIEST,
        &LOAD_SPREAD,
        &IN_SYSTEM,
        &DEPARTURE_RPS,
        &SOJOURN_MS,
        &LITTLE_GAP,
        &LITTLE_EDGE,
        &REPLICAS_MEAN,
        &REPLICAS_MAX,
        &SCALE_OUTS,
        &SCALE_INS,
        &REPLICA_HOURS,
        &UNDER_PROVISIONED,
        &OVER_PROVISIONED,
        &UNDER_ACCURACY,
        &OVER_ACCURACY,
        &INSTABILITY,
        &MISROUTED,
    ];
    const GAUGES: &'static [&'static Gauge] = &[&REPLICAS];
    type Part = Server;

    fn parse(body: &Value, path: &str, cx: &SpecContext<'_>) -> Result<Self, Vec<Issue>> {
        parse(body, path, cx)
    }

    fn sketch(&self, topology: &crate::parts::Topology) -> Vec<String> {
        let mut words: Vec<String> = self.autoscale.iter().map(|a| a.describe()).collect();
        words.extend(self.station.sketch());
        if let Some(queue) = self.consumes {
            words.push(format!("consumes {}", topology.name(queue)));
        }
        if self.standby > 0 {
            words.push(format!("{} standby", self.standby));
        }
        words.extend(self.calls.order_words());
        words.extend(self.calls.sketch(topology));
        match self.sessions.map(|s| s.keeper) {
            Some(sessions::Keeper::Local) => words.push("local sessions".into()),
            Some(sessions::Keeper::Store(store)) => {
                words.push(format!("sessions in {}", topology.name(store)))
            }
            None => {}
        }
        words
    }

    fn replicas(&self) -> u32 {
        self.replicas
    }

    fn crashes(&self) -> bool {
        true
    }

    fn consumes(&self) -> Option<usize> {
        self.consumes
    }

    fn price_per_hour(&self) -> f64 {
        self.station.price_per_hour
    }

    fn downstream(&self) -> Vec<usize> {
        let store = self.sessions.and_then(|s| s.facts().store);
        self.calls.callees().into_iter().chain(store).collect()
    }

    /// A server that keeps sessions knows its users.
    fn uses_user_ids(&self) -> bool {
        self.sessions.is_some()
    }

    fn sessions(&self) -> Option<SessionFacts> {
        self.sessions.map(|s| s.facts())
    }

    /// Checks that a session store is a cache or a database.
    fn check_against(&self, path: &str, topology: &Topology) -> Vec<Issue> {
        self.sessions
            .and_then(|s| s.check_store(path, topology))
            .into_iter()
            .collect()
    }

    fn slows_down(&self) -> bool {
        true
    }

    fn build(&self, bx: &BuildContext<'_>) -> Server {
        Server::new(self, bx)
    }
}

/// Parses the fields of a server (without the fields every kind has).
fn parse(body: &Value, path: &str, cx: &SpecContext<'_>) -> Result<Spec, Vec<Issue>> {
    let mut issues = Vec::new();
    let Some((raw, station)) = parse_with_station::<Raw>(body, path, &mut issues) else {
        return Err(issues);
    };
    let autoscale = raw.autoscale.as_ref().and_then(|value| {
        autoscale::parse(value, &join_key(path, "autoscale"), raw.replicas, &mut issues)
    });
    // An autoscaled server holds `max` machines, of which some serve.
    let replicas = match (&raw.autoscale, autoscale) {
        (_, Some(a)) => a.max,
        (Some(_), None) => 1,
        (None, None) => parse_replicas(raw.replicas, path, &mut issues),
    };
    if raw.autoscale.is_some() && raw.consumes.is_some() {
        issues.push(Issue::new(
            join_key(path, "autoscale"),
            "autoscaling a worker (a server with `consumes`) is not modelled yet: \
             remove `autoscale` or `consumes`",
        ));
    }
    let station = station.validate(path, cx, None, &mut issues);
    let calls = CallsSpec::parse(raw.calls.as_ref(), raw.edges.as_ref(), raw.fanout == Some(Fanout::Parallel), path, cx, &mut issues);
    let session_fields = RawSessionFields {
        sessions: raw.sessions.as_ref(),
        session_miss: raw.session_miss,
        login_work: raw.login_work,
        session_ttl: raw.session_ttl,
    };
    let sessions = sessions::parse(session_fields, path, cx, &mut issues);
    let consumes = raw.consumes.as_ref().and_then(|name| {
        cx.resolve(name, &join_key(path, "consumes"))
            .map_err(|e| issues.push(e))
            .ok()
    });
    let fail = raw.fail.map_or(0.0, |f| f.0);
    if fail > 0.0 && raw.consumes.is_none() && !refused(&issues, &join_key(path, "consumes")) {
        issues.push(Issue::new(
            join_key(path, "fail"),
            "`fail` applies to the jobs of a worker: add `consumes: QUEUE`, or remove `fail`",
        ));
    }
    if issues.is_empty() {
        Ok(Spec {
            replicas,
            station,
            calls,
            standby: raw.standby.unwrap_or(0),
            switchover: raw.switchover.map_or(DEFAULT_SWITCHOVER, |d| d.0),
            sessions,
            consumes,
            fail,
            autoscale,
        })
    } else {
        Err(issues)
    }
}

/// Where a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Waiting for the session store to say whether it holds the user's session.
    SessionRead,
    /// Waiting in the queue or on a core.
    Local,
    /// Waiting for the session store to keep the session of a login.
    SessionWrite,
    /// Waiting for its calls (their plan runs in the caller).
    Calling,
    /// Lost in a crash while the session store had its call: its answer was
    /// already sent; the job stays only until the store answers.
    Lost,
}

/// A call being served, from arrival to reply.
#[derive(Clone, Copy, Debug)]
struct Job {
    call: Call,
    kind: u16,
    replica: u32,
    /// When it reached this server (for the latency the autoscaler reads).
    arrived: SimTime,
    queued_at: SimTime,
    /// Distinguishes this job from earlier jobs that used the same slab slot, so
    /// a timer of a job lost in a crash cannot complete its successor.
    serial: u32,
    stage: Stage,
    /// Whether it logs its user in (its work includes the login).
    login: bool,
    /// Calls to the session store issued and not yet answered.
    pending: u16,
    /// The handle of its call plan while it runs (stage `Calling`).
    plan: u32,
}

/// The session store of a server while it runs.
#[derive(Clone, Copy, Debug)]
struct Store {
    id: ComponentId,
    /// On the same host: the call goes to the store on this machine.
    colocated: bool,
}

/// A server component while it runs.
pub struct Server {
    name: String,
    /// The cores of its machines.
    stations: Stations,
    jobs: Slab<Job>,
    next_serial: u32,
    /// The calls after the local work, and the edges they go through.
    caller: Caller,
    route_rng: SimRng,
    lifecycle: Lifecycle,
    /// Backup machines ready to take over.
    standby: u32,
    switchover: SimTime,
    /// Replicas whose place a backup machine is taking over.
    switching: Vec<bool>,
    /// Jobs lost in a crash, kept until the session store answers.
    lost: usize,
    /// The users' sessions, if it keeps any.
    sessions: Option<Sessions>,
    /// Where they are stored, when not on the replicas.
    store: Option<Store>,
    /// The queue it takes its jobs from, if it is a worker.
    queue: Option<ComponentId>,
    /// Cores per replica: the pulls a replica sends when it starts.
    cores: u32,
    /// Each replica's incarnation, counted up at each crash: the queue drops
    /// the pulls of an earlier one.
    incarnations: Vec<u32>,
    /// The share of jobs that fail, and the salt of that draw.
    fail: f64,
    fail_salt: u64,
    /// Jobs on each replica, but those lost in a crash: a draining replica
    /// leaves when it has none.
    jobs_on: Vec<u32>,
    /// The autoscaling group, if any (boxed: most servers have none).
    fleet: Option<Box<Fleet>>,
    /// With autoscaling, calls that found no replica in service while one
    /// boots, and when they came: they go to the first one ready.
    backlog: VecDeque<(Call, SimTime)>,
    /// Waiting calls the backlog holds at most (the per-replica queue).
    backlog_limit: Option<u32>,
    /// Time a new replica takes before it serves.
    boot: SimTime,
    /// Price of one replica per hour.
    price_per_hour: f64,
    /// The replicas held, in the time series (autoscaled servers only).
    gauge: Option<GaugeId>,
}

impl Server {
    /// Builds the server described by `spec`.
    fn new(spec: &Spec, bx: &BuildContext<'_>) -> Self {
        let store = spec.sessions.and_then(|s| match s.keeper {
            Keeper::Local => None,
            Keeper::Store(store) => Some(Store {
                id: bx.id(store),
                colocated: bx.colocated(store),
            }),
        });
        Self {
            name: bx.name().to_string(),
            stations: Stations::new(&spec.station, spec.replicas, bx.name(), bx.window),
            jobs: Slab::new(),
            next_serial: 0,
            caller: Caller::new(&spec.calls, bx),
            route_rng: bx.rng("route"),
            lifecycle: Lifecycle::new(spec.replicas, bx.window),
            standby: spec.standby,
            switchover: spec.switchover,
            switching: vec![false; spec.replicas as usize],
            lost: 0,
            sessions: spec
                .sessions
                .map(|s| Sessions::new(&s, spec.station.speed, bx.window)),
            store,
            queue: spec.consumes.map(|q| bx.id(q)),
            cores: spec.station.cores,
            incarnations: vec![0; spec.replicas as usize],
            fail: spec.fail,
            fail_salt: stream_seed(0, 0, &[bx.name(), "fail"]),
            jobs_on: vec![0; spec.replicas as usize],
            fleet: spec
                .autoscale
                .map(|a| Box::new(Fleet::new(a, spec.station.cores, bx.window))),
            backlog: VecDeque::new(),
            backlog_limit: spec.station.queue,
            boot: bx.topology.boot(bx.index),
            price_per_hour: spec.station.price_per_hour,
            gauge: None,
        }
    }

    /// Returns the replica a call goes to, or `None` if it was answered or
    /// put in the backlog (an autoscaled server with no replica in service).
    fn route(&mut self, call: &Call, ctx: &mut Ctx<'_>) -> Option<u32> {
        let replicas = self.stations.machines();
        let Some(fleet) = self.fleet.as_mut() else {
            return Some(if call.replica < replicas {
                call.replica
            } else {
                any_replica(replicas, &mut self.route_rng)
            });
        };
        let kind = ctx.shared.request(call.req).map_or(0, |r| r.kind);
        fleet.arrived(self.stations.mean_work_ns(kind));
        // A draining replica still serves what was sent to it before it
        // was taken out; a call for a replica that is off or booting goes
        // to one in service, as the balancer's retry of a refused
        // connection would.
        let named = call.replica < replicas;
        match fleet.phase(call.replica) {
            Phase::Serving if named => return Some(call.replica),
            Phase::Draining if named => {
                fleet.misrouted(ctx.now());
                return Some(call.replica);
            }
            _ if named => fleet.misrouted(ctx.now()),
            _ => {}
        }
        let serving = fleet.serving();
        if !serving.is_empty() {
            let pick = any_replica(serving.len() as u32, &mut self.route_rng);
            return Some(serving[pick as usize]);
        }
        let now = ctx.now();
        if fleet.booting() == 0 && fleet.spec.min == 0 {
            // Scale from zero: a request that finds no replica starts one.
            if let Some(r) = fleet.start(now) {
                fleet.scaled(true, now);
                self.schedule_boot(r, ctx);
                self.show_replicas(ctx);
            }
        }
        let fleet = self.fleet.as_ref()?;
        if fleet.booting() == 0 {
            send_reply(ctx, call, Outcome::Failed(Cause::Down));
        } else if self
            .backlog_limit
            .is_some_and(|limit| self.backlog.len() >= limit as usize)
        {
            send_reply(ctx, call, Outcome::Rejected);
        } else {
            self.backlog.push_back((*call, now));
        }
        None
    }

    /// Puts the replicas held into the time series.
    fn show_replicas(&self, ctx: &mut Ctx<'_>) {
        if let (Some(gauge), Some(fleet)) = (self.gauge, self.fleet.as_ref()) {
            let now = ctx.now();
            ctx.shared
                .recorder
                .set_gauge(gauge, now, f64::from(fleet.held()));
        }
    }

    /// Schedules the end of replica `r`'s boot.
    fn schedule_boot(&mut self, r: u32, ctx: &mut Ctx<'_>) {
        let epoch = self.fleet.as_ref().map_or(0, |f| f.epoch(r));
        let tag = AUTOSCALE_TIMER
            | BOOT_TIMER
            | (u64::from(epoch & SERIAL_MASK) << 32)
            | u64::from(r);
        ctx.schedule_self(self.boot, Msg::Timer(tag));
    }

    /// An autoscaler's timer fired.
    fn autoscale_timer(&mut self, tag: u64, ctx: &mut Ctx<'_>) {
        if tag & BOOT_TIMER == 0 {
            self.evaluate(ctx);
            return;
        }
        let r = (tag & u64::from(u32::MAX)) as u32;
        let epoch = ((tag >> 32) as u32) & SERIAL_MASK;
        let Some(fleet) = self.fleet.as_mut() else {
            return;
        };
        if fleet.phase(r) != Phase::Booting || fleet.epoch(r) & SERIAL_MASK != epoch {
            return;
        }
        let now = ctx.now();
        fleet.ready(r, now);
        ctx.shared.set_in_service(ctx.me(), r, true);
        let waiting: Vec<(Call, SimTime)> = self.backlog.drain(..).collect();
        for (call, since) in waiting {
            if let Some(req) = ctx.shared.requests.get_mut(call.req as usize) {
                req.wait += now - since;
            }
            self.accept_on(Call { replica: r, ..call }, ctx);
        }
        self.check_idle(r, ctx);
    }

    /// Returns the requests waiting for the serving replicas: the backlog
    /// the `queue` metric divides among them.
    ///
    /// This is the one place that says what waits for this server: a
    /// server that consumes a message queue would count the queue's backlog
    /// here.
    fn waiting_for_service(&self) -> u64 {
        let Some(fleet) = self.fleet.as_ref() else {
            return 0;
        };
        let queued: u64 = fleet
            .serving()
            .iter()
            .map(|&r| u64::from(self.stations.waiting(r)))
            .sum();
        queued + self.backlog.len() as u64
    }

    /// Evaluates the autoscaling policy, acts on it, and sets the next evaluation.
    fn evaluate(&mut self, ctx: &mut Ctx<'_>) {
        let waiting = self.waiting_for_service();
        let now = ctx.now();
        let Some(fleet) = self.fleet.as_mut() else {
            return;
        };
        let interval = fleet.spec.interval;
        match fleet.evaluate(waiting, interval, now) {
            Decision::Hold => {}
            Decision::Out(n) => {
                for _ in 0..n {
                    match self.fleet.as_mut().and_then(|f| f.start(now)) {
                        Some(r) => self.schedule_boot(r, ctx),
                        None => break,
                    }
                }
            }
            Decision::In(n) => self.scale_in(n, ctx),
        }
        self.show_replicas(ctx);
        ctx.schedule_self(interval, Msg::Timer(AUTOSCALE_TIMER));
    }

    /// Takes `n` replicas out: booting ones first, then the serving ones
    /// with the fewest jobs (idle ones leave at once, the others drain).
    fn scale_in(&mut self, n: u32, ctx: &mut Ctx<'_>) {
        let Some(fleet) = self.fleet.as_mut() else {
            return;
        };
        let now = ctx.now();
        let mut candidates: Vec<(u8, u32, u32)> = (0..self.stations.machines())
            .filter_map(|r| match fleet.phase(r) {
                Phase::Booting => Some((0, 0, u32::MAX - r)),
                Phase::Serving => Some((1, self.jobs_on[r as usize], u32::MAX - r)),
                Phase::Off | Phase::Draining => None,
            })
            .collect();
        candidates.sort_unstable();
        for &(rank, jobs, inverse) in candidates.iter().take(n as usize) {
            let r = u32::MAX - inverse;
            let left = fleet.stop(r, jobs == 0, now);
            if rank == 1 {
                ctx.shared.set_in_service(ctx.me(), r, false);
            }
            if left {
                if let Some(sessions) = self.sessions.as_mut() {
                    // The machine is gone, and the sessions it kept with it.
                    sessions.crash(r);
                }
            }
        }
    }

    /// A job left replica `r`: a draining replica with no job left stops,
    /// and so does the last replica when it is idle and `min` is 0.
    fn check_idle(&mut self, r: u32, ctx: &mut Ctx<'_>) {
        let Some(fleet) = self.fleet.as_mut() else {
            return;
        };
        if self.jobs_on[r as usize] > 0 {
            return;
        }
        let now = ctx.now();
        let left = match fleet.phase(r) {
            Phase::Draining => {
                fleet.drained(r, now);
                true
            }
            Phase::Serving
                if fleet.spec.min == 0 && fleet.held() == 1 && self.backlog.is_empty() =>
            {
                fleet.stop(r, true, now);
                fleet.scaled(false, now);
                ctx.shared.set_in_service(ctx.me(), r, false);
                true
            }
            _ => false,
        };
        if left {
            if let Some(sessions) = self.sessions.as_mut() {
                sessions.crash(r);
            }
            self.show_replicas(ctx);
        }
    }

    /// Removes a job, and its count on its replica (a job lost in a crash
    /// no longer counts there).
    fn release_job(&mut self, token: u32, ctx: &mut Ctx<'_>) -> Job {
        let job = self.jobs.remove(token as usize);
        if job.stage != Stage::Lost {
            let count = &mut self.jobs_on[job.replica as usize];
            *count = count.saturating_sub(1);
            if *count == 0 && self.fleet.is_some() {
                self.check_idle(job.replica, ctx);
            }
        }
        job
    }

    /// Tells the autoscaler how many cores of replica `r` are busy.
    #[inline]
    fn note_busy(&mut self, r: u32, now: SimTime) {
        if let Some(fleet) = self.fleet.as_mut() {
            fleet.busy(r, self.stations.busy(r), now);
        }
    }

    /// Tells the queue, if it is a worker, that a core of replica `r` is free.
    fn pull(&self, r: u32, ctx: &mut Ctx<'_>) {
        let Some(queue) = self.queue else { return };
        let incarnation = self.incarnations.get(r as usize).copied().unwrap_or(0);
        send_load(ctx, queue, r, incarnation);
    }

    /// Pulls one message per core of replica `r` (it starts or is back).
    fn pull_all(&self, r: u32, ctx: &mut Ctx<'_>) {
        if self.queue.is_some() {
            for _ in 0..self.cores {
                self.pull(r, ctx);
            }
        }
    }

    fn accept(&mut self, call: Call, ctx: &mut Ctx<'_>) {
        if self.fleet.is_none() {
            self.accept_on(call, ctx);
        } else if let Some(replica) = self.route(&call, ctx) {
            // The replica is named: the checks below draw nothing.
            self.accept_on(Call { replica, ..call }, ctx);
        }
    }

    /// Takes `call` on the replica it names, or on one drawn at random.
    fn accept_on(&mut self, call: Call, ctx: &mut Ctx<'_>) {
        let replica = match self.lifecycle.machine_for(&call, &mut self.route_rng, ctx) {
            Ok(replica) => replica,
            Err(cause) => {
                send_reply(ctx, &call, Outcome::Failed(cause));
                return;
            }
        };
        let (kind, user) = ctx
            .shared
            .request(call.req)
            .map_or((0, 0), |r| (r.kind, r.user));
        let now = ctx.now();
        if kind == JOB_KIND {
            // A batch job has no user and no session: straight to the cores.
            let token = self.new_job(call, kind, replica, Stage::Local, now);
            self.admit(token, Verdict::Found, user, ctx);
            return;
        }
        if self.store.is_some() {
            // The session comes first: the work starts once the store has answered.
            let token = self.new_job(call, kind, replica, Stage::SessionRead, now);
            self.store_call(token, About::SessionRead, ctx);
            return;
        }
        let verdict = match self.sessions.as_mut() {
            Some(sessions) => sessions.judge_local(user, replica, now),
            None => Verdict::Found,
        };
        if verdict == Verdict::Lost {
            self.refuse_lost(&call, user, ctx);
            return;
        }
        let token = self.new_job(call, kind, replica, Stage::Local, now);
        self.admit(token, verdict, user, ctx);
    }

    /// Creates the job of `call` at `replica`, in `stage`; returns its token.
    #[inline(always)]
    fn new_job(&mut self, call: Call, kind: u16, replica: u32, stage: Stage, now: SimTime) -> u32 {
        self.next_serial = (self.next_serial + 1) & SERIAL_MASK;
        self.jobs_on[replica as usize] += 1;
        self.jobs.insert(Job {
            call,
            kind,
            replica,
            arrived: now,
            queued_at: now,
            serial: self.next_serial,
            stage,
            login: false,
            pending: 0,
            plan: 0,
        }) as u32
    }

    /// Puts a job in its replica's station, with a login if `verdict` says
    /// so; the session is noted once the job is in (a refused request logs
    /// nobody in).
    fn admit(&mut self, token: u32, verdict: Verdict, user: u32, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let Some(job) = self.jobs.get_mut(token as usize) else {
            return;
        };
        job.stage = Stage::Local;
        job.queued_at = now;
        job.login = verdict.logs_in();
        let (call, replica, job_kind) = (job.call, job.replica, job.kind);
        match self.stations.arrive(replica, token, now) {
            Admission::Started => {
                self.note_busy(replica, now);
                self.start(token, ctx);
            }
            Admission::Queued => {}
            Admission::Rejected => {
                self.release_job(token, ctx);
                send_reply(ctx, &call, Outcome::Rejected);
                return;
            }
        }
        if job_kind == JOB_KIND {
            return;
        }
        if let Some(sessions) = self.sessions.as_mut() {
            let local = self.store.is_none().then_some(replica);
            sessions.commit(verdict, user, local, now);
        }
    }

    /// Fails `call` for want of a session (`session_miss: error`).
    fn refuse_lost(&mut self, call: &Call, user: u32, ctx: &mut Ctx<'_>) {
        if let Some(sessions) = self.sessions.as_mut() {
            sessions.commit(Verdict::Lost, user, None, ctx.now());
        }
        send_reply(ctx, call, Outcome::Failed(Cause::SessionLost));
    }

    /// Sends the job's read or write of its user's session to the store.
    fn store_call(&mut self, token: u32, about: About, ctx: &mut Ctx<'_>) {
        let (Some(job), Some(store)) = (self.jobs.get_mut(token as usize), self.store) else {
            return;
        };
        job.pending += 1;
        let call = Call {
            req: job.call.req,
            reply_to: ctx.me(),
            token,
            replica: if store.colocated {
                job.replica
            } else {
                ANY_REPLICA
            },
            zone: ctx.shared.zone(ctx.me(), job.replica),
            about,
        };
        send_call(ctx, store.id, call);
    }

    /// The store answered the read of a job's session: judge it, then admit
    /// the job (or fail it for want of a session).
    fn session_read(&mut self, token: u32, outcome: Outcome, ctx: &mut Ctx<'_>) {
        let Some(job) = self.jobs.get(token as usize).copied() else {
            return;
        };
        let user = ctx.shared.request(job.call.req).map_or(0, |r| r.user);
        let now = ctx.now();
        // Any failure to read the session (none there, the store down or
        // full) loses it.
        let found = outcome == Outcome::Ok;
        let verdict = match self.sessions.as_mut() {
            Some(sessions) => sessions.judge_stored(user, found, now),
            None => Verdict::Found,
        };
        if verdict == Verdict::Lost {
            self.release_job(token, ctx);
            self.refuse_lost(&job.call, user, ctx);
            return;
        }
        self.admit(token, verdict, user, ctx);
    }

    /// Puts a job on a core: notes its wait and schedules the end of its work.
    fn start(&mut self, token: u32, ctx: &mut Ctx<'_>) {
        let Some(job) = self.jobs.get(token as usize) else {
            return;
        };
        // A login adds its work to the request's own.
        let login = match (job.login, self.sessions.as_ref()) {
            (true, Some(sessions)) => sessions.login_time,
            _ => SimTime::ZERO,
        };
        let slowdown = self.lifecycle.slowdown(job.replica);
        let (req, kind, queued_at) = (job.call.req, job.kind, job.queued_at);
        crate::parts::note_start(ctx, &job.call, job.replica);
        let time = self.stations.begin(ctx, req, kind, queued_at, login, slowdown);
        let tag = work_tag(token, job.serial);
        ctx.schedule_self(time, Msg::Timer(tag));
    }

    /// A timer fired: the end of a job's work, or a switch-over.
    fn timer(&mut self, tag: u64, ctx: &mut Ctx<'_>) {
        if tag & SWITCHOVER_TIMER != 0 {
            self.switched_over((tag & u64::from(u32::MAX)) as u32, ctx);
            return;
        }
        if tag & AUTOSCALE_TIMER != 0 {
            self.autoscale_timer(tag, ctx);
            return;
        }
        if tag & CALL_TIMER != 0 {
            self.caller.timer(tag, ctx);
            self.calls_done(ctx);
            return;
        }
        let (token, serial) = work_of(tag);
        match self.jobs.get(token as usize) {
            Some(job) if job.stage == Stage::Local && job.serial == serial => {
                self.served(token, ctx)
            }
            _ => {}
        }
    }

    /// The local work of a job is done: free the core, keep a new session in
    /// the store, then call downstream or answer.
    fn served(&mut self, token: u32, ctx: &mut Ctx<'_>) {
        let Some(job) = self.jobs.get_mut(token as usize) else {
            return;
        };
        let job = *job;
        if let Some(next) = self.stations.done(job.replica, job.queued_at, ctx.now()) {
            self.start(next, ctx);
        } else {
            self.note_busy(job.replica, ctx.now());
            // A worker's core is free: it asks the queue for the next job.
            self.pull(job.replica, ctx);
        }
        if job.login && self.store.is_some() {
            if let Some(j) = self.jobs.get_mut(token as usize) {
                j.stage = Stage::SessionWrite;
            }
            self.store_call(token, About::SessionWrite, ctx);
            return;
        }
        self.call_out(token, ctx);
    }

    /// Starts the job's calls, or answers if it has none.
    fn call_out(&mut self, token: u32, ctx: &mut Ctx<'_>) {
        let Some(job) = self.jobs.get_mut(token as usize) else {
            return;
        };
        job.stage = Stage::Calling;
        let (req, kind, replica) = (job.call.req, job.kind, job.replica);
        let job = JobRef {
            token,
            serial: job.serial,
        };
        match self.caller.start(job, req, kind, replica, ctx) {
            Begun::Over(outcome) => self.finish(token, outcome, ctx),
            Begun::Running(plan) => {
                if let Some(j) = self.jobs.get_mut(token as usize) {
                    j.plan = plan;
                }
            }
        }
    }

    /// A downstream call answered: a call of `calls`, or the session store.
    fn answered(&mut self, token: u32, outcome: Outcome, ctx: &mut Ctx<'_>) {
        if token & CALL_TOKEN != 0 {
            self.caller.answered(token, outcome, ctx);
            self.calls_done(ctx);
            return;
        }
        let Some(job) = self.jobs.get_mut(token as usize) else {
            return;
        };
        job.pending = job.pending.saturating_sub(1);
        match job.stage {
            Stage::SessionRead => self.session_read(token, outcome, ctx),
            // A session the store did not keep fails the request.
            Stage::SessionWrite if outcome != Outcome::Ok => self.finish(token, outcome, ctx),
            Stage::SessionWrite => self.call_out(token, ctx),
            Stage::Local | Stage::Calling => {}
            Stage::Lost => {
                if job.pending == 0 {
                    self.jobs.remove(token as usize);
                    self.lost -= 1;
                }
            }
        }
    }

    /// Answers the jobs whose calls are over, with their outcome.
    fn calls_done(&mut self, ctx: &mut Ctx<'_>) {
        while let Some((job, outcome)) = self.caller.next_finished() {
            match self.jobs.get(job.token as usize) {
                Some(j) if j.serial == job.serial && j.stage == Stage::Calling => {
                    self.finish(job.token, outcome, ctx)
                }
                _ => {}
            }
        }
    }

    fn finish(&mut self, token: u32, outcome: Outcome, ctx: &mut Ctx<'_>) {
        let job = self.release_job(token, ctx);
        if outcome == Outcome::Ok {
            if let Some(fleet) = self.fleet.as_mut() {
                fleet.answered(ctx.now() - job.arrived);
            }
        }
        let outcome = if outcome == Outcome::Ok && self.fail > 0.0 && self.job_fails(&job, ctx) {
            // The queue only tells an ack from its absence; the cause is
            // never reported, since no client waits for a job.
            Outcome::Failed(Cause::Crash)
        } else {
            outcome
        };
        send_reply(ctx, &job.call, outcome);
    }

    /// Draws whether a worker's job fails at its end, from the delivery's own
    /// seed (each delivery of a message draws anew).
    fn job_fails(&self, job: &Job, ctx: &Ctx<'_>) -> bool {
        let seed = ctx.shared.request(job.call.req).map_or(0, |r| r.seed);
        request_rng(seed ^ self.fail_salt).random::<f64>() < self.fail
    }

    /// A backup machine has taken the place of replica `r`.
    fn switched_over(&mut self, r: u32, ctx: &mut Ctx<'_>) {
        if let Some(switching) = self.switching.get_mut(r as usize) {
            *switching = false;
            self.lifecycle.set(r, true, ctx.now());
            self.pull_all(r, ctx);
        }
    }

    /// Replica `r` crashed: everything it held is lost, its sessions too.
    fn crash_replica(&mut self, r: u32, ctx: &mut Ctx<'_>) {
        self.stations.reset(r, ctx.now());
        self.note_busy(r, ctx.now());
        // Its jobs are lost: none counts on it any more.
        self.jobs_on[r as usize] = 0;
        if let Some(sessions) = self.sessions.as_mut() {
            sessions.crash(r);
        }
        let held: Vec<u32> = self
            .jobs
            .iter()
            .filter(|(_, job)| job.replica == r && job.stage != Stage::Lost)
            .map(|(token, _)| token as u32)
            .collect();
        for token in held {
            let Some(job) = self.jobs.get_mut(token as usize) else {
                continue;
            };
            let call = job.call;
            if job.stage == Stage::Local {
                self.stations.abandon(job.queued_at, ctx.now());
            }
            if job.stage == Stage::Calling {
                // Its calls go on without it; their answers are thrown away.
                let job_plan = job.plan;
                let job = JobRef {
                    token,
                    serial: job.serial,
                };
                self.caller.abandon(job_plan, job);
                self.jobs.remove(token as usize);
            } else if job.pending > 0 {
                // Waiting for the store: kept until it answers.
                job.stage = Stage::Lost;
                self.lost += 1;
            } else {
                self.jobs.remove(token as usize);
            }
            send_reply(ctx, &call, Outcome::Failed(Cause::Crash));
        }
    }
}

impl Component<Msg, World> for Server {
    fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
        match msg {
            Msg::Call(call) => self.accept(call, ctx),
            Msg::Timer(tag) => self.timer(tag, ctx),
            Msg::Reply { token, outcome } => self.answered(token, outcome, ctx),
            Msg::Probe {
                reply_to,
                zone,
                replica,
            } => {
                let up = self.lifecycle.is_up(replica);
                let load = self.stations.load(replica);
                answer_probe(ctx, up, reply_to, zone, replica, load);
            }
            Msg::Load { .. } | Msg::Control(_) => {}
        }
    }

    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        for r in 0..self.stations.machines() {
            self.pull_all(r, ctx);
        }
        let Some(fleet) = self.fleet.as_ref() else {
            return;
        };
        let replicas = self.stations.machines();
        let wakes = fleet.spec.min == 0;
        ctx.shared
            .register_fleet(ctx.me(), replicas, fleet.serving(), wakes);
        let gauge = ctx.shared.recorder.gauge(&self.name, &REPLICAS);
        ctx.shared
            .recorder
            .set_gauge(gauge, ctx.now(), f64::from(fleet.held()));
        self.gauge = Some(gauge);
        ctx.schedule_self(fleet.spec.interval, Msg::Timer(AUTOSCALE_TIMER));
    }

    fn on_finish(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        // A run stopped early has its window cut at the stop.
        let end = ctx.shared.recorder.window().end;
        let mut cores = self.stations.figures(now, end);
        let mut extra = self.lifecycle.readings(now).to_vec();
        if let Some(fleet) = self.fleet.as_mut() {
            let (readings, mean) = fleet.readings(now, end);
            extra.extend(readings);
            let allocated = f64::from(self.stations.machines());
            ctx.shared
                .recorder
                .adjust_cost(self.price_per_hour * (mean - allocated));
            // Utilisation over the cores held on average, not all `max`;
            // the busiest machine and the spread, which would compare
            // machines held for different times, are left out.
            cores.utilization = if mean > 0.0 {
                cores.utilization * allocated / mean
            } else {
                0.0
            };
            cores.busiest = None;
            cores.load_spread = None;
            // The cores of the most machines held at once, not of all `max`.
            cores.cores = self.cores.saturating_mul(fleet.most_held());
        }
        extra.extend(cores.busiest);
        extra.extend(cores.load_spread);
        extra.extend(cores.little);
        let levels = self.lifecycle.levels(now);
        self.caller.report(ctx);
        if let Some(sessions) = &self.sessions {
            ctx.shared.recorder.sessions(sessions.counts());
        }
        ctx.shared.recorder.component(ComponentStats {
            name: self.name.clone(),
            kind: <Spec as Kind>::NAME,
            utilization: cores.utilization,
            cores: cores.cores,
            mean_queue: cores.mean_queue,
            completed: cores.completed,
            rejected: cores.rejected,
            extra,
            up_levels: levels,
        });
    }
}
impl Part for Server {
    /// Jobs kept after a crash until the store answers, the calls waiting
    /// for a replica to boot, the sessions, and the calls' attempts.
    fn held(&self) -> usize {
        self.lost
            + self.backlog.len()
            + self.sessions.as_ref().map_or(0, Sessions::held)
            + self.caller.held()
    }

    fn crash(&mut self, r: u32, ctx: &mut Ctx<'_>) {
        if !self.lifecycle.is_up(r) {
            return;
        }
        self.lifecycle.set(r, false, ctx.now());
        if let Some(incarnation) = self.incarnations.get_mut(r as usize) {
            *incarnation += 1;
        }
        self.crash_replica(r, ctx);
        if self.standby > 0 && !self.switching[r as usize] {
            self.standby -= 1;
            self.switching[r as usize] = true;
            ctx.schedule_self(
                self.switchover,
                Msg::Timer(SWITCHOVER_TIMER | u64::from(r)),
            );
        }
    }

    fn recover(&mut self, r: u32, ctx: &mut Ctx<'_>) {
        if self.switching[r as usize] || self.lifecycle.is_up(r) {
            // A backup took (or is taking) this place: the repaired machine
            // becomes a backup.
            self.standby += 1;
        } else {
            self.lifecycle.set(r, true, ctx.now());
            self.pull_all(r, ctx);
        }
    }

    fn slow_down(&mut self, r: u32, factor: f64, _ctx: &mut Ctx<'_>) {
        self.lifecycle.set_slowdown(r, factor);
    }

    fn normal_speed(&mut self, r: u32, _ctx: &mut Ctx<'_>) {
        self.lifecycle.set_slowdown(r, 1.0);
    }
}
