//! `kind: load_balancer`: spreads requests over the replicas of its targets.
//!
//! A balancer forwards each request to one replica of its target (L4), or of
//! the target its request type is routed to (L7, `routes:`), and relays the
//! answer. It adds no time of its own unless given `work` (a per-request
//! processing time on its own cores), and refuses requests beyond `capacity`
//! requests in flight, so that a balancer can itself be the bottleneck.

mod heap;
mod strategy;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;
use slab::Slab;

use strategy::Strategy;
pub use strategy::StrategyKind;

use super::station::{Admission, RawStation, ServiceTime, Station, StationSpec};
use super::{BuildContext, SpecContext};
use crate::dist::RawShape;
use crate::engine::{Component, ComponentId, SimRng, SimTime};
use crate::error::Issue;
use crate::metrics::{ComponentStats, Window};
use crate::model::{send_call, send_reply, Call, Ctx, Msg, Outcome, World};
use crate::scenario::locate::join_key;
use crate::scenario::{parse_lenient, ComponentDecl, Duration, Price};

/// Default interval between load reports for `least_loaded`.
const DEFAULT_REPORT_INTERVAL: SimTime = SimTime(1_000_000_000);
/// Timer tag of the periodic load reports (processing timers use job tokens).
const REPORT_TIMER: u64 = u64::MAX;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    strategy: Option<StrategyKind>,
    targets: Option<String>,
    routes: Option<IndexMap<String, String>>,
    weights: Option<Vec<f64>>,
    report_interval: Option<Duration>,
    work: Option<Value>,
    service: Option<RawShape>,
    cores: Option<u32>,
    queue: Option<Value>,
    machine: Option<String>,
    price: Option<Price>,
    capacity: Option<u32>,
}

/// The validated settings of a load balancer.
#[derive(Clone, Debug)]
pub struct Spec {
    /// How a replica is chosen.
    pub strategy: StrategyKind,
    /// The target component of each request type.
    pub routes: Vec<usize>,
    /// Relative weights of the replicas (`weighted_round_robin`).
    pub weights: Option<Vec<f64>>,
    /// Interval between load reports (`least_loaded`).
    pub report_interval: SimTime,
    /// The balancer's own processing (zero work by default).
    pub station: StationSpec,
    /// Requests in flight beyond which new ones are refused.
    pub capacity: Option<u32>,
}

/// Parses the fields of a load balancer (without `kind` and `host`).
pub fn parse(body: &Value, path: &str, cx: &SpecContext<'_>) -> Result<Spec, Vec<Issue>> {
    let mut issues = Vec::new();
    let raw: Raw = parse_lenient(body, path, &mut issues).ok_or_else(|| issues.clone())?;
    let strategy = raw.strategy.unwrap_or(StrategyKind::RoundRobin);
    let default_target = raw.targets.as_ref().and_then(|t| {
        cx.resolve(t, &join_key(path, "targets"))
            .map_err(|e| issues.push(e))
            .ok()
    });
    let mut routes: Vec<Option<usize>> = vec![default_target; cx.types.len()];
    for (kind, target) in raw.routes.iter().flatten() {
        let route_path = join_key(&join_key(path, "routes"), kind);
        let t = cx
            .request_type(kind, &route_path)
            .map_err(|e| issues.push(e))
            .ok();
        let c = cx
            .resolve(target, &route_path)
            .map_err(|e| issues.push(e))
            .ok();
        if let (Some(t), Some(c)) = (t, c) {
            routes[t] = Some(c);
        }
    }
    if raw.targets.is_none() && raw.routes.is_none() {
        issues.push(Issue::new(
            path,
            "missing field `targets` (the component to balance over) or `routes`",
        ));
    } else if issues.is_empty() {
        for (t, route) in routes.iter().enumerate() {
            if route.is_none() {
                issues.push(Issue::new(
                    join_key(path, "routes"),
                    format!(
                        "no route for request type `{}` (add it, or give `targets` as the default)",
                        cx.types[t].name
                    ),
                ));
            }
        }
    }
    if let Some(weights) = &raw.weights {
        if strategy != StrategyKind::WeightedRoundRobin {
            issues.push(Issue::new(
                join_key(path, "weights"),
                "weights apply only to `strategy: weighted_round_robin`",
            ));
        }
        if weights.iter().any(|w| !(w.is_finite() && *w > 0.0)) {
            issues.push(Issue::new(
                join_key(path, "weights"),
                "expected positive weights",
            ));
        }
    }
    let report_interval = raw.report_interval.map_or(DEFAULT_REPORT_INTERVAL, |d| d.0);
    if report_interval == SimTime::ZERO {
        issues.push(Issue::new(
            join_key(path, "report_interval"),
            "expected a positive interval, found 0",
        ));
    }
    if raw.capacity == Some(0) {
        issues.push(Issue::new(
            join_key(path, "capacity"),
            "expected a positive capacity, found 0",
        ));
    }
    let station = RawStation {
        cores: raw.cores,
        speed: None,
        work: raw.work.as_ref(),
        service: raw.service.as_ref(),
        queue: raw.queue.as_ref(),
        machine: raw.machine.as_deref(),
        price: raw.price,
    }
    .validate(path, cx, Some(SimTime::ZERO), &mut issues);
    if !issues.is_empty() {
        return Err(issues);
    }
    Ok(Spec {
        strategy,
        routes: routes.into_iter().flatten().collect(),
        weights: raw.weights,
        report_interval,
        station,
        capacity: raw.capacity,
    })
}

impl Spec {
    /// Checks that the weights match the replicas of every target.
    pub fn check_against(&self, path: &str, all: &[ComponentDecl]) -> Vec<Issue> {
        let Some(weights) = &self.weights else {
            return Vec::new();
        };
        let mut issues = Vec::new();
        for &target in &self.routes {
            let decl = &all[target];
            let replicas = decl.spec.replicas() as usize;
            if replicas != weights.len() {
                issues.push(Issue::new(
                    join_key(path, "weights"),
                    format!(
                        "expected one weight per replica of `{}` ({replicas}), found {}",
                        decl.name,
                        weights.len()
                    ),
                ));
                break;
            }
        }
        issues
    }
}

/// The replicas of one target and the policy that chooses among them.
struct Pool {
    target: ComponentId,
    strategy: Box<dyn Strategy>,
}

/// A request passing through the balancer.
#[derive(Clone, Copy)]
struct Job {
    call: Call,
    pool: u16,
    replica: u32,
    queued_at: SimTime,
}

/// A load balancer while it runs.
pub struct LoadBalancer {
    name: String,
    pools: Vec<Pool>,
    pool_of_type: Vec<u16>,
    /// The balancer's own processing, when it has any.
    station: Option<(Station, ServiceTime)>,
    jobs: Slab<Job>,
    capacity: Option<u32>,
    reports: Option<SimTime>,
    window: Window,
    rng: SimRng,
    forwarded: u64,
    rejected: u64,
    probes: u64,
}

impl LoadBalancer {
    /// Builds the balancer described by `spec`.
    pub fn new(spec: &Spec, bx: &BuildContext<'_>) -> Self {
        let mut targets: Vec<usize> = spec.routes.clone();
        targets.sort_unstable();
        targets.dedup();
        let pools = targets
            .iter()
            .map(|&t| Pool {
                target: bx.id(t),
                strategy: strategy::build(
                    spec.strategy,
                    bx.scenario.components[t].spec.replicas(),
                    spec.weights.as_deref(),
                ),
            })
            .collect();
        let pool_of_type = spec
            .routes
            .iter()
            .map(|r| targets.iter().position(|t| t == r).unwrap_or(0) as u16)
            .collect();
        let service = ServiceTime::new(&spec.station, bx.name());
        let station = (!service.is_zero()).then(|| {
            (
                Station::new(spec.station.cores, spec.station.queue, bx.window),
                service,
            )
        });
        Self {
            name: bx.name().to_string(),
            pools,
            pool_of_type,
            station,
            jobs: Slab::new(),
            capacity: spec.capacity,
            reports: (spec.strategy == StrategyKind::LeastLoaded).then_some(spec.report_interval),
            window: bx.window,
            rng: bx.rng("choose"),
            forwarded: 0,
            rejected: 0,
            probes: 0,
        }
    }

    fn accept(&mut self, call: Call, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        if self.capacity.is_some_and(|c| self.jobs.len() >= c as usize) {
            self.refuse(&call, ctx);
            return;
        }
        let kind = ctx.shared.request(call.req).map_or(0, |r| r.kind);
        let pool = self.pool_of_type.get(kind as usize).copied().unwrap_or(0);
        let token = self.jobs.insert(Job {
            call,
            pool,
            replica: 0,
            queued_at: now,
        }) as u32;
        let Some((station, _)) = self.station.as_mut() else {
            self.forward(token, ctx);
            return;
        };
        match station.arrive(token, now) {
            Admission::Started => self.start(token, ctx),
            Admission::Queued => {}
            Admission::Rejected => {
                self.jobs.remove(token as usize);
                self.refuse(&call, ctx);
            }
        }
    }

    fn refuse(&mut self, call: &Call, ctx: &mut Ctx<'_>) {
        if self.window.contains(ctx.now()) {
            self.rejected += 1;
        }
        send_reply(ctx, call, Outcome::Rejected);
    }

    /// Starts the balancer's own processing of a request.
    fn start(&mut self, token: u32, ctx: &mut Ctx<'_>) {
        let Some((_, service)) = self.station.as_ref() else {
            return;
        };
        let Some(job) = self.jobs.get(token as usize) else {
            return;
        };
        let waited = ctx.now() - job.queued_at;
        if let Some(req) = ctx.shared.requests.get_mut(job.call.req as usize) {
            req.wait += waited;
        }
        let (kind, seed) = ctx
            .shared
            .request(job.call.req)
            .map_or((0, 0), |r| (r.kind, r.seed));
        let time = service.draw(kind, seed);
        ctx.schedule_self(time, Msg::Timer(u64::from(token)));
    }

    /// Processing done: free the core and send the request on.
    fn processed(&mut self, token: u32, ctx: &mut Ctx<'_>) {
        let next = self.station.as_mut().and_then(|(s, _)| s.depart(ctx.now()));
        if let Some(next) = next {
            self.start(next, ctx);
        }
        self.forward(token, ctx);
    }

    /// Chooses a replica and sends the request to it.
    fn forward(&mut self, token: u32, ctx: &mut Ctx<'_>) {
        let Some(job) = self.jobs.get_mut(token as usize) else {
            return;
        };
        let user = ctx.shared.request(job.call.req).map_or(0, |r| r.user);
        let pool = &mut self.pools[job.pool as usize];
        let replica = pool.strategy.pick(user, &mut self.rng);
        pool.strategy.assigned(replica);
        job.replica = replica;
        if self.window.contains(ctx.now()) {
            self.forwarded += 1;
        }
        let call = Call {
            req: job.call.req,
            reply_to: ctx.me(),
            token,
            replica,
        };
        send_call(ctx, pool.target, call);
    }

    /// A replica answered: relay the answer.
    fn answered(&mut self, token: u32, outcome: Outcome, ctx: &mut Ctx<'_>) {
        if !self.jobs.contains(token as usize) {
            return;
        }
        let job = self.jobs.remove(token as usize);
        self.pools[job.pool as usize].strategy.released(job.replica);
        send_reply(ctx, &job.call, outcome);
    }

    /// Asks every replica of every pool for its load, then sets the next round.
    fn probe_all(&mut self, ctx: &mut Ctx<'_>) {
        let Some(interval) = self.reports else { return };
        let me = ctx.me();
        for pool in &self.pools {
            let replicas = pool.strategy.replicas();
            let delay = ctx.shared.latency(me, pool.target);
            for replica in 0..replicas {
                ctx.send(
                    pool.target,
                    delay,
                    Msg::Probe {
                        reply_to: me,
                        replica,
                    },
                );
            }
            self.probes += u64::from(replicas);
        }
        ctx.schedule_self(interval, Msg::Timer(REPORT_TIMER));
    }
}

impl Component<Msg, World> for LoadBalancer {
    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        if self.reports.is_some() {
            self.probe_all(ctx);
        }
    }

    fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
        match msg {
            Msg::Call(call) => self.accept(call, ctx),
            Msg::Reply { token, outcome } => self.answered(token, outcome, ctx),
            Msg::Timer(REPORT_TIMER) => self.probe_all(ctx),
            Msg::Timer(token) => self.processed(token as u32, ctx),
            Msg::Load {
                from,
                replica,
                load,
            } => {
                if let Some(pool) = self.pools.iter_mut().find(|p| p.target == from) {
                    pool.strategy.reported(replica, load);
                }
            }
            Msg::Probe { .. } => {}
        }
    }

    fn on_finish(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let (utilization, mean_queue, completed) = match self.station.as_mut() {
            Some((s, _)) => (
                s.mean_busy(now) / f64::from(s.cores()),
                s.mean_waiting(now),
                s.completed,
            ),
            None => (0.0, 0.0, self.forwarded),
        };
        let mut extra = vec![("forwarded", self.forwarded as f64)];
        if self.reports.is_some() {
            extra.push(("probes", self.probes as f64));
        }
        ctx.shared.recorder.component(ComponentStats {
            name: self.name.clone(),
            kind: "load_balancer",
            utilization,
            mean_queue,
            completed,
            rejected: self.rejected,
            extra,
        });
    }
}
