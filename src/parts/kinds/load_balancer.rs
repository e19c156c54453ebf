//! `kind: load_balancer`: spreads requests over the replicas of its targets.
//!
//! A balancer forwards each request to one replica of its target (L4), or of
//! the target its request type is routed to (L7, `routes:`), and relays the
//! answer. It adds no time of its own unless given `work` (a per-request
//! processing time on its own cores), and refuses requests beyond `capacity`
//! requests in flight, so that a balancer can itself be the bottleneck.
//!
//! With `sticky: cookie` it remembers the replica each user was sent to, as
//! the cookie a browser carries back, and sends the user's next requests
//! there while that replica is healthy; when it is not (marked unhealthy, or
//! it refused the connection) the strategy chooses again and the cookie
//! follows. A cookie lasts as long idle as its target's sessions do.

mod heap;
mod pair;
mod strategy;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

pub use pair::Ha;
use pair::Pair;
use strategy::Strategy;
pub use strategy::StrategyKind;

use crate::engine::{stream_seed, Component, ComponentId, SimRng, SimTime};
use crate::metrics::{Better, ComponentStats, Measure, Reading, Unit, Window};
use crate::model::{Call, Cause, Msg, Outcome, ANY_REPLICA};
use crate::parts::expiring::ExpiringMap;
use crate::parts::health::{
    self,
    open_round, probe_replicas, HealthCheck, ProbeState, RawHealthCheck, Verdicts, PROBES,
};
use crate::parts::lifecycle::{Lifecycle, POOL_UPTIME, UPTIME};
use crate::parts::relay::{self, Entry, Relay, Stage};
use crate::parts::station::{
    parse_with_station, StationSpec, Stations, BUSIEST, DEPARTURE_RPS, IN_SYSTEM, LITTLE_EDGE,
    LITTLE_GAP, SOJOURN_MS,
};
use crate::parts::{
    answer_probe, send_reply, BuildContext, Ctx, Kind, Part, SpecContext, Topology, World,
};
use crate::spec::{join_key, Duration, Issue};

/// Default interval between load reports for `least_loaded`.
const DEFAULT_REPORT_INTERVAL: SimTime = SimTime(1_000_000_000);
/// Timer tag of the periodic load reports (processing timers use job tokens).
const REPORT_TIMER: u64 = u64::MAX;
/// Timer tag of the periodic health checks.
const HEALTH_TIMER: u64 = u64::MAX - 1;
/// Default heartbeat interval of a balancer pair.
const DEFAULT_HEARTBEAT: SimTime = SimTime(1_000_000_000);
/// Default takeover time of an active-passive pair.
const DEFAULT_TAKEOVER: SimTime = SimTime(5_000_000_000);
/// Idle time after which a balancer forgets a user's replica, when its
/// target keeps no sessions: the default session lifetime.
const DEFAULT_COOKIE_TTL: SimTime = SimTime(30 * 60 * 1_000_000_000);

/// How a balancer keeps a user on one replica, as written in `sticky:`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sticky {
    /// Each request is placed by the strategy alone (the default).
    #[default]
    None,
    /// The balancer sends a user back to the replica it chose for the user
    /// last time, as a cookie the client carries would.
    Cookie,
}

/// The fields of a balancer beyond those of its station (its own processing).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    strategy: Option<StrategyKind>,
    targets: Option<String>,
    routes: Option<IndexMap<String, String>>,
    weights: Option<Vec<f64>>,
    report_interval: Option<Duration>,
    capacity: Option<u32>,
    health_check: Option<RawHealthCheck>,
    ha: Option<Ha>,
    heartbeat: Option<Duration>,
    takeover: Option<Duration>,
    sticky: Option<Sticky>,
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
    /// Requests in flight (per balancer machine) beyond which new ones are refused.
    pub capacity: Option<u32>,
    /// Probing of the replicas, if any: without it a dead replica is never avoided.
    pub health_check: Option<HealthCheck>,
    /// Lone balancer, or a pair.
    pub ha: Ha,
    /// Interval of the heartbeats between the members of a pair.
    pub heartbeat: SimTime,
    /// Time for a passive member to take over once the failure is known.
    pub takeover: SimTime,
    /// Whether users are kept on one replica by a cookie.
    pub sticky: Sticky,
}

/// Requests sent on to a replica.
pub const FORWARDED: Measure = Measure::new("forwarded", "forwarded", Unit::Count, Better::Neither);

impl Kind for Spec {
    const NAME: &'static str = "load_balancer";
    const MEASURES: &'static [&'static Measure] = &[
        &FORWARDED,
        &UPTIME,
        &POOL_UPTIME,
        &BUSIEST,
        &PROBES,
        &IN_SYSTEM,
        &DEPARTURE_RPS,
        &SOJOURN_MS,
        &LITTLE_GAP,
        &LITTLE_EDGE,
    ];
    type Part = LoadBalancer;

    fn parse(body: &Value, path: &str, cx: &SpecContext<'_>) -> Result<Self, Vec<Issue>> {
        parse(body, path, cx)
    }

    fn sketch(&self, _topology: &crate::parts::Topology) -> Vec<String> {
        let mut words = vec![crate::spec::units::yaml_name(&self.strategy)];
        if self.sticky == Sticky::Cookie {
            words.push("sticky cookie".into());
        }
        if self.ha != Ha::None {
            words.push(crate::spec::units::yaml_name(&self.ha));
        }
        if let Some(check) = &self.health_check {
            words.push(format!(
                "health checks every {}",
                crate::spec::units::format_duration(check.interval)
            ));
        }
        words.extend(self.station.sketch());
        words
    }

    fn replicas(&self) -> u32 {
        self.ha.members()
    }

    fn crashes(&self) -> bool {
        true
    }

    fn price_per_hour(&self) -> f64 {
        self.station.price_per_hour
    }

    fn downstream(&self) -> Vec<usize> {
        self.routes.clone()
    }

    fn uses_user_ids(&self) -> bool {
        self.strategy == StrategyKind::IpHash || self.sticky == Sticky::Cookie
    }

    /// Checks that the weights match the replicas of every target.
    fn check_against(&self, path: &str, topology: &Topology) -> Vec<Issue> {
        let Some(weights) = &self.weights else {
            return Vec::new();
        };
        let mut issues = Vec::new();
        for &target in &self.routes {
            let replicas = topology.replicas(target) as usize;
            if replicas != weights.len() {
                issues.push(Issue::new(
                    join_key(path, "weights"),
                    format!(
                        "expected one weight per replica of `{}` ({replicas}), found {}",
                        topology.name(target),
                        weights.len()
                    ),
                ));
                break;
            }
        }
        issues
    }

    fn build(&self, bx: &BuildContext<'_>) -> LoadBalancer {
        LoadBalancer::new(self, bx)
    }
}

/// Parses the fields of a load balancer (without the fields every kind has).
fn parse(body: &Value, path: &str, cx: &SpecContext<'_>) -> Result<Spec, Vec<Issue>> {
    let mut issues = Vec::new();
    let Some((raw, station)) = parse_with_station::<Raw>(body, path, &mut issues) else {
        return Err(issues);
    };
    let strategy = raw.strategy.unwrap_or(StrategyKind::RoundRobin);
    let routes = cx.routes(
        raw.targets.as_deref(),
        raw.routes.as_ref(),
        path,
        "the component to balance over",
        &mut issues,
    );
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
    let station = station.validate(path, cx, Some(SimTime::ZERO), &mut issues);
    let health_check = raw
        .health_check
        .as_ref()
        .and_then(|h| h.check(path, &mut issues));
    let ha = raw.ha.unwrap_or(Ha::None);
    let heartbeat = raw.heartbeat.map_or(DEFAULT_HEARTBEAT, |d| d.0);
    if heartbeat == SimTime::ZERO {
        issues.push(Issue::new(
            join_key(path, "heartbeat"),
            "expected a positive interval, found 0",
        ));
    }
    let sticky = raw.sticky.unwrap_or_default();
    if sticky == Sticky::Cookie && strategy == StrategyKind::IpHash {
        issues.push(Issue::new(
            join_key(path, "sticky"),
            "`strategy: ip_hash` is sticky already (a user's hash chooses its replica): \
             remove `sticky`, or choose the strategy that places each user's first request",
        ));
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    Ok(Spec {
        strategy,
        routes,
        weights: raw.weights,
        report_interval,
        station,
        capacity: raw.capacity,
        health_check,
        ha,
        heartbeat,
        takeover: raw.takeover.map_or(DEFAULT_TAKEOVER, |d| d.0),
        sticky,
    })
}

/// The replicas of one target and the policy that chooses among them.
struct Pool {
    target: ComponentId,
    strategy: Box<dyn Strategy>,
    /// Health of each replica, as the probes tell it.
    health: Vec<ProbeState>,
    /// With `sticky: cookie`, the replica of each user seen within the
    /// cookie's idle lifetime.
    cookies: Option<ExpiringMap<u32>>,
    /// Whether each replica is registered as taking work (an autoscaled
    /// target registers and deregisters its replicas; the others keep all).
    registered: Vec<bool>,
    /// The generation of the target's registrations last read.
    generation: u64,
}

impl Pool {
    /// Returns true if the balancer sends traffic to `replica`.
    fn healthy(&self, replica: u32) -> bool {
        self.health.get(replica as usize).is_some_and(|h| h.healthy)
            && self.registered.get(replica as usize).copied().unwrap_or(false)
    }

    /// Reads the target's registrations again if they changed: a replica
    /// that leaves is no longer chosen (whatever its health), and one that
    /// joins starts healthy and empty, as a new machine does.
    #[inline]
    fn sync(&mut self, world: &World) {
        let generation = world.fleet_generation(self.target);
        if generation == self.generation {
            return;
        }
        self.generation = generation;
        for (r, registered) in self.registered.iter_mut().enumerate() {
            let now = world.in_service(self.target, r as u32);
            if now == *registered {
                continue;
            }
            *registered = now;
            if now {
                self.health[r] = ProbeState::default();
                self.strategy.reported(r as u32, 0);
            }
            self.strategy
                .set_available(r as u32, now && self.health[r].healthy);
        }
    }

    /// Returns true if `replica` is one the strategy counts (not the
    /// "any replica" of a call to a target that wakes from zero).
    fn counts(&self, replica: u32) -> bool {
        replica < self.strategy.replicas()
    }
}

/// Probes the replicas of `pool` registered as taking work, from zone
/// `from`; returns how many probes were sent.
fn probe_registered(ctx: &mut Ctx<'_>, pool: &Pool, from: u16) -> u64 {
    let me = ctx.me();
    let delay = ctx.shared.latency(me, pool.target);
    let mut sent = 0;
    for (replica, _) in pool.registered.iter().enumerate().filter(|(_, r)| **r) {
        ctx.send(
            pool.target,
            delay,
            Msg::Probe {
                reply_to: me,
                zone: from,
                replica: replica as u32,
            },
        );
        sent += 1;
    }
    sent
}

/// Where the balancer sends a request (its machine is the member of the
/// pair handling it).
#[derive(Clone, Copy, Debug)]
struct Route {
    pool: u16,
    replica: u32,
    /// Sent to the replica its user's cookie names (and not sent elsewhere
    /// yet): a refusal sends it to another replica.
    by_cookie: bool,
}

/// A load balancer while it runs.
pub struct LoadBalancer {
    name: String,
    pools: Vec<Pool>,
    pool_of_type: Vec<u16>,
    /// The requests passing through, and the balancer's own processing
    /// (one station per member), when it has any.
    relay: Relay<Route>,
    in_flight: Vec<u32>,
    capacity: Option<u32>,
    reports: Option<SimTime>,
    health_check: Option<HealthCheck>,
    probe_sent: SimTime,
    pair: Pair,
    lifecycle: Lifecycle,
    window: Window,
    rng: SimRng,
    forwarded: u64,
    rejected: u64,
    probes: u64,
    /// Whether its health checks know a healthy replica (true without them):
    /// a balancer that knows none does not answer the probes of a DNS.
    serving: bool,
}

impl LoadBalancer {
    /// Builds the balancer described by `spec`.
    fn new(spec: &Spec, bx: &BuildContext<'_>) -> Self {
        let salt = stream_seed(bx.seed, bx.replication, &[bx.name(), "ip_hash"]);
        let mut targets: Vec<usize> = spec.routes.clone();
        targets.sort_unstable();
        targets.dedup();
        let pools = targets
            .iter()
            .map(|&t| {
                let replicas = bx.replicas_of(t);
                let ttl = bx.topology.session_ttl(t).unwrap_or(DEFAULT_COOKIE_TTL);
                Pool {
                    target: bx.id(t),
                    strategy: strategy::build(
                        spec.strategy,
                        replicas,
                        spec.weights.as_deref(),
                        salt,
                    ),
                    health: vec![ProbeState::default(); replicas as usize],
                    cookies: (spec.sticky == Sticky::Cookie).then(|| ExpiringMap::new(ttl)),
                    registered: vec![true; replicas as usize],
                    generation: 0,
                }
            })
            .collect();
        let pool_of_type = spec
            .routes
            .iter()
            .map(|r| targets.iter().position(|t| t == r).unwrap_or(0) as u16)
            .collect();
        let members = spec.ha.members();
        let stations = Stations::new(&spec.station, members, bx.name(), bx.window);
        Self {
            name: bx.name().to_string(),
            pools,
            pool_of_type,
            relay: Relay::new(stations),
            in_flight: vec![0; members as usize],
            capacity: spec.capacity,
            reports: (spec.strategy == StrategyKind::LeastLoaded).then_some(spec.report_interval),
            health_check: spec.health_check,
            probe_sent: SimTime::ZERO,
            pair: Pair::new(spec.ha, spec.heartbeat, spec.takeover),
            lifecycle: Lifecycle::new(members, bx.window),
            window: bx.window,
            rng: bx.rng("choose"),
            forwarded: 0,
            rejected: 0,
            probes: 0,
            serving: true,
        }
    }

    fn accept(&mut self, call: Call, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let member = match self.pair.choose(now, &mut self.rng) {
            Ok(member) => member,
            Err(cause) => {
                send_reply(ctx, &call, Outcome::Failed(cause));
                return;
            }
        };
        if ctx.shared.cut_to(call.zone, ctx.me(), member) {
            send_reply(ctx, &call, Outcome::Failed(Cause::Partition));
            return;
        }
        if self
            .capacity
            .is_some_and(|c| self.in_flight[member as usize] >= c)
        {
            self.refuse(&call, ctx);
            return;
        }
        let kind = ctx.shared.request(call.req).map_or(0, |r| r.kind);
        let pool = self.pool_of_type.get(kind as usize).copied().unwrap_or(0);
        let route = Route {
            pool,
            replica: 0,
            by_cookie: false,
        };
        self.in_flight[member as usize] += 1;
        match self.relay.admit(call, kind, member, route, now) {
            Entry::Ready(token) => self.forward(token, ctx),
            Entry::Started(token) => self.relay.start(token, &self.lifecycle, ctx),
            Entry::Queued => {}
            Entry::Rejected => {
                self.in_flight[member as usize] -= 1;
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

    /// A job at stage `stage` left the relay: it no longer counts among the
    /// requests in flight of `member` (a lost one left the count in the crash).
    fn left(&mut self, member: u32, stage: Stage) {
        if stage != Stage::Lost {
            let count = &mut self.in_flight[member as usize];
            *count = count.saturating_sub(1);
        }
    }

    /// Processing done: free the core and send the request on.
    fn processed(&mut self, tag: u64, ctx: &mut Ctx<'_>) {
        let Some((token, next)) = self.relay.worked(tag, ctx.now()) else {
            return;
        };
        if let Some(next) = next {
            self.relay.start(next, &self.lifecycle, ctx);
        }
        self.forward(token, ctx);
    }

    /// Chooses a replica and sends the request to it.
    fn forward(&mut self, token: u32, ctx: &mut Ctx<'_>) {
        let Some(job) = self.relay.job(token) else {
            return;
        };
        let user = ctx.shared.request(job.call.req).map_or(0, |r| r.user);
        let now = ctx.now();
        let pool = &mut self.pools[job.route.pool as usize];
        pool.sync(ctx.shared);
        let kept = match pool.cookies.as_mut() {
            Some(cookies) => {
                cookies.expire(now);
                cookies.get(u64::from(user), now)
            }
            None => None,
        };
        let (replica, by_cookie) = match kept {
            Some(replica) if pool.healthy(replica) => (Some(replica), true),
            _ => (pool.strategy.pick(user, &mut self.rng), false),
        };
        let replica = match replica {
            Some(replica) => replica,
            // An autoscaled target with no replica in service that starts
            // one on demand: the call goes to it, to wait for the boot.
            None if ctx.shared.wakes(pool.target) => ANY_REPLICA,
            None => {
                if let Some(job) = self.relay.remove(token) {
                    self.left(job.machine, job.stage);
                    send_reply(ctx, &job.call, Outcome::Failed(Cause::NoTarget));
                }
                return;
            }
        };
        self.send_to(token, replica, by_cookie, user, ctx);
    }

    /// Sends the job to `replica` (the one its user's cookie names if
    /// `by_cookie`), and sets the cookie.
    fn send_to(&mut self, token: u32, replica: u32, by_cookie: bool, user: u32, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let Some(job) = self.relay.job_mut(token) else {
            return;
        };
        let pool = &mut self.pools[job.route.pool as usize];
        if pool.counts(replica) {
            pool.strategy.assigned(replica);
            if let Some(cookies) = pool.cookies.as_mut() {
                cookies.touch(u64::from(user), replica, now);
            }
        }
        job.route.replica = replica;
        job.route.by_cookie = by_cookie;
        if self.window.contains(now) {
            self.forwarded += 1;
        }
        relay::forward(ctx, pool.target, token, job, replica);
    }

    /// The replica a user's cookie named refused the connection: the
    /// strategy chooses another one, once. Returns false if there is none.
    fn redispatch(&mut self, token: u32, ctx: &mut Ctx<'_>) -> bool {
        let Some(job) = self.relay.job(token).copied() else {
            return false;
        };
        let user = ctx.shared.request(job.call.req).map_or(0, |r| r.user);
        let Route { pool, replica, .. } = job.route;
        let pool = &mut self.pools[pool as usize];
        if !pool.counts(replica) {
            return false;
        }
        pool.strategy.released(replica);
        // The refusing replica is left out of this choice only.
        let healthy = pool.healthy(replica);
        if healthy {
            pool.strategy.set_available(replica, false);
        }
        let other = pool.strategy.pick(user, &mut self.rng);
        if healthy {
            pool.strategy.set_available(replica, true);
        }
        match other {
            Some(replica) => {
                self.send_to(token, replica, false, user, ctx);
                true
            }
            None => {
                // Nowhere else to go: the refusal is relayed as it came.
                pool.strategy.assigned(replica);
                false
            }
        }
    }

    /// A replica answered: relay the answer (unless the job was lost
    /// meanwhile), or send it elsewhere if its cookie's replica refused it.
    fn answered(&mut self, token: u32, outcome: Outcome, ctx: &mut Ctx<'_>) {
        let refused_by_cookie = outcome == Outcome::Failed(Cause::Down)
            && self
                .relay
                .job(token)
                .is_some_and(|j| j.route.by_cookie && j.stage == Stage::Forwarded);
        if refused_by_cookie && self.redispatch(token, ctx) {
            return;
        }
        // Taken apart at once, so that only the fields used are moved.
        let Some(relay::Job {
            call,
            machine,
            stage,
            route,
            ..
        }) = self.relay.remove(token)
        else {
            return;
        };
        self.left(machine, stage);
        let pool = &mut self.pools[route.pool as usize];
        if pool.counts(route.replica) {
            pool.strategy.released(route.replica);
        }
        if stage == Stage::Lost {
            relay::release_lost(ctx, &call);
        } else {
            send_reply(ctx, &call, outcome);
        }
    }

    /// Asks every replica of every pool for its load, then sets the next round.
    fn probe_all(&mut self, ctx: &mut Ctx<'_>) {
        // The probes leave from the zone of the balancer's first machine.
        let zone = ctx.shared.zone(ctx.me(), 0);
        for pool in &mut self.pools {
            pool.sync(ctx.shared);
            let sent = if pool.generation == 0 {
                probe_replicas(ctx, pool.target, pool.strategy.replicas(), zone)
            } else {
                probe_registered(ctx, pool, zone)
            };
            if self.window.contains(ctx.now()) {
                self.probes += sent;
            }
        }
    }

    /// Closes a round of health checks, updates availability, and probes again.
    fn health_round(&mut self, ctx: &mut Ctx<'_>) {
        let Some(check) = self.health_check else {
            return;
        };
        let mut verdicts = Verdicts::default();
        for pool in &mut self.pools {
            pool.sync(ctx.shared);
            // A replica that is not registered is not probed: its round
            // counts as answered, so that it joins healthy.
            for (state, _) in pool
                .health
                .iter_mut()
                .zip(&pool.registered)
                .filter(|(_, registered)| !**registered)
            {
                state.answer();
            }
            let (strategy, registered) = (&mut pool.strategy, &pool.registered);
            verdicts.close(&mut pool.health, &check, |replica, healthy| {
                let registered = registered.get(replica as usize).copied().unwrap_or(false);
                strategy.set_available(replica, healthy && registered)
            });
        }
        verdicts.mark(&self.name, ctx);
        self.serving = self
            .pools
            .iter()
            .any(|pool| (0..pool.health.len() as u32).any(|r| pool.healthy(r)));
        self.probe_sent = open_round(self, &check, HEALTH_TIMER, ctx, Self::probe_all);
    }

    /// A prober (a DNS, a proxy) asks whether member `member` can take requests: it
    /// answers, with the requests in flight there, while that member is up,
    /// reachable from the prober's zone, and knows a healthy replica to send
    /// them to (the way a DNS health check through a balancer fails when
    /// everything behind it is down).
    fn probed(&self, reply_to: ComponentId, zone: u16, member: u32, ctx: &mut Ctx<'_>) {
        let up = self.serving && self.lifecycle.is_up(member);
        let load = self.in_flight.get(member as usize).copied().unwrap_or(0);
        answer_probe(ctx, up, reply_to, zone, member, load);
    }

    /// A replica answered a probe.
    fn load_report(&mut self, from: ComponentId, replica: u32, load: u32, now: SimTime) {
        let in_time = health::answer_in_time(self.health_check, self.probe_sent, now);
        for pool in self.pools.iter_mut().filter(|p| p.target == from) {
            pool.strategy.reported(replica, load);
            if in_time {
                if let Some(state) = pool.health.get_mut(replica as usize) {
                    state.answer();
                }
            }
        }
    }

}

impl Component<Msg, World> for LoadBalancer {
    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(interval) = self.reports {
            self.probe_all(ctx);
            ctx.schedule_self(interval, Msg::Timer(REPORT_TIMER));
        }
        if let Some(check) = self.health_check {
            self.probe_sent = open_round(self, &check, HEALTH_TIMER, ctx, Self::probe_all);
        }
    }

    fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
        match msg {
            Msg::Call(call) => self.accept(call, ctx),
            Msg::Reply { token, outcome } => self.answered(token, outcome, ctx),
            Msg::Timer(REPORT_TIMER) => {
                self.probe_all(ctx);
                if let Some(interval) = self.reports {
                    ctx.schedule_self(interval, Msg::Timer(REPORT_TIMER));
                }
            }
            Msg::Timer(HEALTH_TIMER) => self.health_round(ctx),
            Msg::Timer(tag) => self.processed(tag, ctx),
            Msg::Load {
                from,
                replica,
                load,
            } => self.load_report(from, replica, load, ctx.now()),
            Msg::Probe {
                reply_to,
                zone,
                replica,
            } => self.probed(reply_to, zone, replica, ctx),
            Msg::Control(_) => {}
        }
    }

    fn on_finish(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        // A run stopped early has its window cut at the stop.
        let end = ctx.shared.recorder.window().end;
        let cores = self.relay.stations_mut().map(|s| s.figures(now, end));
        let mut extra = vec![Reading::of(&FORWARDED, self.forwarded as f64)];
        extra.extend(self.lifecycle.readings(now));
        extra.extend(cores.as_ref().and_then(|f| f.busiest));
        if self.reports.is_some() || self.health_check.is_some() {
            extra.push(Reading::of(&PROBES, self.probes as f64));
        }
        extra.extend(cores.iter().flat_map(|f| f.little));
        let up_levels = self.lifecycle.levels(now);
        ctx.shared.recorder.component(ComponentStats {
            name: self.name.clone(),
            kind: <Spec as Kind>::NAME,
            utilization: cores.as_ref().map_or(0.0, |f| f.utilization),
            cores: cores.as_ref().map_or(0, |f| f.cores),
            mean_queue: cores.as_ref().map_or(0.0, |f| f.mean_queue),
            // Without work, what it completes is what it forwards.
            completed: cores.as_ref().map_or(self.forwarded, |f| f.completed),
            rejected: self.rejected,
            extra,
            up_levels,
        });
    }
}

impl Part for LoadBalancer {
    /// Jobs kept after a crash until their replica answers, and the cookies.
    fn held(&self) -> usize {
        let cookies: usize = self
            .pools
            .iter()
            .filter_map(|p| p.cookies.as_ref())
            .map(ExpiringMap::len)
            .sum();
        self.relay.lost() + cookies
    }

    fn crash(&mut self, m: u32, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        if self.lifecycle.set(m, false, now) {
            self.pair.set(m, false, now);
            // The requests it held are lost, and leave its count.
            let held = self.relay.crash(m, ctx);
            self.in_flight[m as usize] = self.in_flight[m as usize].saturating_sub(held);
        }
    }

    fn recover(&mut self, m: u32, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        if self.lifecycle.set(m, true, now) {
            self.pair.set(m, true, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::metrics::RunSummary;

    /// 400 users at 200 requests a second through `lb` to four clones with
    /// local sessions; clone 1 crashes at 30 s, for good.
    fn run(lb: &str) -> RunSummary {
        let text = format!(
            "name: sticky\nseed: 9\nduration: 1m\nwarmup: 10s\n\
             traffic: {{rate: 200/s, users: 400}}\nentry: lb\n\
             network: {{latency: 0.5ms}}\ncomponents:\n\
             \x20 lb: {{kind: load_balancer, targets: web, {lb}}}\n\
             \x20 web: {{kind: server, replicas: 4, cores: 4, work: 2ms, sessions: local}}\n\
             failures:\n  - {{at: 30s, crash: web, replica: 1}}\n"
        );
        let scenario = crate::scenario::load_text(&text, "sticky.yaml", &[]).unwrap();
        crate::runner::simulate(&scenario, 0)
    }

    fn error(run: &RunSummary, name: &str) -> u64 {
        run.errors.iter().find(|(n, _)| *n == name).map_or(0, |e| e.1)
    }

    #[test]
    fn a_cookie_whose_replica_refuses_is_sent_elsewhere_and_follows() {
        // Without health checks a balancer keeps sending a quarter of the
        // requests to the dead clone, which refuses them.
        let plain = run("strategy: round_robin");
        assert!(error(&plain, "sent_to_down_node") > 1000);
        // With a cookie, a refused request goes to another clone, whose
        // cookie the user then carries: nothing is refused to the clients.
        let sticky = run("strategy: round_robin, sticky: cookie");
        assert_eq!(error(&sticky, "sent_to_down_node"), 0);
        assert_eq!(sticky.requests.failed, error(&sticky, "lost_in_crash"));
        // Only the dead clone's users moved, each once: about a quarter.
        let moved = sticky.sessions.relogins;
        assert!((70..130).contains(&moved), "{moved} of 400 users moved");
        // Each of them paid one refused hop: re-sent requests are forwarded twice.
        let forwarded = sticky.figure("components.lb.forwarded").unwrap();
        let extra = forwarded - sticky.requests.offered as f64;
        assert!((extra - moved as f64).abs() <= 2.0, "{extra} re-sent");
    }
}
