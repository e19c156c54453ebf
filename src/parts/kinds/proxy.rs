//! `kind: proxy`: a reverse proxy that screens requests, does its own work on
//! them (TLS termination, parsing, an auth check), then forwards them to its
//! target and relays the answer.
//!
//! Each request meets the proxy's checks in this order, each one only if the
//! one before let it pass:
//!
//! 1. the firewall (`firewall: true`) drops a request of a `hostile` type, on
//!    arrival, before any work (`firewall_dropped`);
//! 2. the rate limit (`rate_limit:`) refuses a request that finds its bucket
//!    empty, on arrival, before any work (`rate_limited`);
//! 3. the work: the proxy's own `work` plus, with `auth:`, the auth check's,
//!    on the proxy's cores, behind its queue (a full queue rejects);
//! 4. the auth verdict (`auth:`): a request of a type with
//!    `authenticated: false` is refused once its check's work is done
//!    (`unauthorized`);
//! 5. the forward: to a replica of its target (or of the target its type is
//!    routed to), which its health checks, if any, believe healthy.
//!
//! Drops and refusals are answered at once and never reach the target: what
//! the target sees is the stream thinned by every check.

mod limit;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

pub use limit::{Bucket, Per, RateLimit};
use limit::Limiter;

use crate::engine::{Component, ComponentId, SimRng, SimTime};
use crate::metrics::{Better, ComponentStats, Measure, Reading, Unit, Window};
use crate::model::{Call, Cause, Msg, Outcome, ANY_REPLICA};
use crate::parts::health::{
    self,
    open_round, probe_replicas, HealthCheck, Members, ProbeState, RawHealthCheck, Verdicts, PROBES,
};
use crate::parts::lifecycle::{Lifecycle, POOL_UPTIME, UPTIME};
use crate::parts::relay::{self, Entry, Relay, Stage};
use crate::parts::station::{
    parse_replicas, parse_with_station, StationSpec, Stations, BUSIEST, DEPARTURE_RPS, IN_SYSTEM,
    LITTLE_EDGE, LITTLE_GAP, SOJOURN_MS,
};
use crate::parts::{answer_probe, send_reply, BuildContext, Ctx, Kind, Part, SpecContext, World};
use crate::spec::limits::{MAX_BURST, MAX_RATE};
use crate::spec::{join_key, Duration, Issue, Rate};

/// Timer tag of the periodic health checks (work timers use job tokens and
/// serials of 30 bits, which never reach it).
const HEALTH_TIMER: u64 = u64::MAX;
/// Timer tag of the sweeps that drop refilled per-user buckets.
const SWEEP_TIMER: u64 = u64::MAX - 1;

/// The fields of a proxy beyond those of its station (its own work).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    replicas: Option<u32>,
    targets: Option<String>,
    routes: Option<IndexMap<String, String>>,
    firewall: Option<bool>,
    auth: Option<RawAuth>,
    rate_limit: Option<RawRateLimit>,
    health_check: Option<RawHealthCheck>,
}

/// `auth:` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    work: Duration,
}

/// `rate_limit:` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateLimit {
    rate: Rate,
    burst: Option<u32>,
    per: Option<Per>,
}

/// The validated settings of a proxy.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Number of identical proxy machines.
    pub replicas: u32,
    /// Cores, speed, own work and queue of each machine.
    pub station: StationSpec,
    /// The component each request type is forwarded to.
    pub routes: Vec<usize>,
    /// Whether requests of hostile types are dropped on arrival.
    pub firewall: bool,
    /// The work of the auth check, when there is one.
    pub auth: Option<SimTime>,
    /// The rate limit, if any.
    pub rate_limit: Option<RateLimit>,
    /// Probing of the targets' replicas, if any.
    pub health_check: Option<HealthCheck>,
    /// Per request type: whether it is hostile (`hostile: true`).
    pub hostile: Vec<bool>,
    /// Per request type: whether it carries no credentials (`authenticated: false`).
    pub anonymous: Vec<bool>,
}

/// Requests forwarded to the target, per second of the measured window.
pub const ADMITTED_RPS: Measure =
    Measure::new("admitted_rps", "admitted", Unit::PerSecond, Better::Neither);
/// Requests of hostile types the firewall dropped.
pub const FIREWALL_DROPPED: Measure = Measure::new(
    "firewall_dropped",
    "dropped by the firewall",
    Unit::Count,
    Better::Neither,
);
/// Requests without credentials the auth check refused.
pub const UNAUTHORIZED: Measure = Measure::new(
    "unauthorized",
    "refused by the auth check",
    Unit::Count,
    Better::Neither,
);
/// Requests the rate limit refused.
pub const RATE_LIMITED: Measure = Measure::new(
    "rate_limited",
    "refused by the rate limit",
    Unit::Count,
    Better::Lower,
);
/// The share of the most active user's requests (user 0: the head of a Zipf
/// activity) that the rate limit refused.
pub const LIMITED_TOP_USER: Measure = Measure::new(
    "rate_limited_top_user",
    "rate-limited share, most active user",
    Unit::Share,
    Better::Neither,
);
/// The share of every other user's requests that the rate limit refused:
/// what a limit costs the users it was not meant for.
pub const LIMITED_OTHERS: Measure = Measure::new(
    "rate_limited_others",
    "rate-limited share, other users",
    Unit::Share,
    Better::Lower,
)
.lesson(Some(0.0));

impl Kind for Spec {
    const NAME: &'static str = "proxy";
    const MEASURES: &'static [&'static Measure] = &[
        &ADMITTED_RPS,
        &FIREWALL_DROPPED,
        &UNAUTHORIZED,
        &RATE_LIMITED,
        &LIMITED_TOP_USER,
        &LIMITED_OTHERS,
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
    type Part = Proxy;

    fn parse(body: &Value, path: &str, cx: &SpecContext<'_>) -> Result<Self, Vec<Issue>> {
        parse(body, path, cx)
    }

    fn sketch(&self, _topology: &crate::parts::Topology) -> Vec<String> {
        let mut words = self.station.sketch();
        if self.firewall {
            words.push("firewall".into());
        }
        if let Some(work) = self.auth {
            words.push(format!("auth {}", crate::spec::units::format_duration(work)));
        }
        if let Some(limit) = &self.rate_limit {
            words.push(format!(
                "rate limit {}/s burst {} per {}",
                limit.rate,
                limit.burst,
                crate::spec::units::yaml_name(&limit.per)
            ));
        }
        words
    }

    fn replicas(&self) -> u32 {
        self.replicas
    }

    fn price_per_hour(&self) -> f64 {
        self.station.price_per_hour
    }

    fn downstream(&self) -> Vec<usize> {
        self.routes.clone()
    }

    /// A per-user limit keys its buckets by user; any rate limit splits its
    /// refusals between the most active user and the others.
    fn uses_user_ids(&self) -> bool {
        self.rate_limit.is_some()
    }

    fn crashes(&self) -> bool {
        true
    }

    fn slows_down(&self) -> bool {
        true
    }

    fn build(&self, bx: &BuildContext<'_>) -> Proxy {
        Proxy::new(self, bx)
    }
}

/// Parses the fields of a proxy (without the fields every kind has).
fn parse(body: &Value, path: &str, cx: &SpecContext<'_>) -> Result<Spec, Vec<Issue>> {
    let mut issues = Vec::new();
    let Some((raw, station)) = parse_with_station::<Raw>(body, path, &mut issues) else {
        return Err(issues);
    };
    let replicas = parse_replicas(raw.replicas, path, &mut issues);
    let routes = cx.routes(
        raw.targets.as_deref(),
        raw.routes.as_ref(),
        path,
        "the component to forward to",
        &mut issues,
    );
    let station = station.validate(path, cx, Some(SimTime::ZERO), &mut issues);
    let rate_limit = raw
        .rate_limit
        .as_ref()
        .and_then(|r| check_rate_limit(r, &join_key(path, "rate_limit"), &mut issues));
    let health_check = raw
        .health_check
        .as_ref()
        .and_then(|h| h.check(path, &mut issues));
    if !issues.is_empty() {
        return Err(issues);
    }
    Ok(Spec {
        replicas,
        station,
        routes,
        firewall: raw.firewall.unwrap_or(false),
        auth: raw.auth.map(|a| a.work.0),
        rate_limit,
        health_check,
        hostile: cx.types.iter().map(|t| t.hostile).collect(),
        anonymous: cx.types.iter().map(|t| !t.authenticated).collect(),
    })
}

/// Checks `rate_limit:` (written at `path`): a positive rate no higher than
/// any arrival rate can be, and a burst of at least one token.
fn check_rate_limit(
    raw: &RawRateLimit,
    path: &str,
    issues: &mut Vec<Issue>,
) -> Option<RateLimit> {
    let before = issues.len();
    let rate = raw.rate.per_sec;
    if rate <= 0.0 {
        issues.push(Issue::new(
            join_key(path, "rate"),
            format!("expected a positive rate (tokens per second, like 100/s), found {rate}/s"),
        ));
    } else if rate > MAX_RATE {
        issues.push(Issue::new(
            join_key(path, "rate"),
            format!("a rate of {rate:e}/s is beyond what one simulation can take (at most {MAX_RATE:e}/s)"),
        ));
    }
    // One token: no burst beyond the rate itself (documented in docs/model.md).
    let burst = raw.burst.unwrap_or(1);
    if burst == 0 {
        issues.push(Issue::new(
            join_key(path, "burst"),
            "expected a burst of at least 1 token (a bucket of 0 tokens refuses everything), found 0",
        ));
    } else if burst > MAX_BURST {
        issues.push(Issue::new(
            join_key(path, "burst"),
            format!("expected a burst of at most {MAX_BURST} tokens, found {burst}"),
        ));
    }
    (issues.len() == before).then(|| RateLimit {
        rate,
        burst,
        per: raw.per.unwrap_or(Per::Global),
    })
}

/// The replicas of one target: where requests of the types routed to it go.
struct Pool {
    target: ComponentId,
    /// The replicas believed healthy, among which it chooses uniformly (as
    /// a `random` balancer does); `None` without health checks, when the
    /// target chooses itself.
    healthy: Option<Members>,
    /// Health of each replica, as the probes tell it.
    health: Vec<ProbeState>,
}

/// What a proxy counts inside the measured window.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    forwarded: u64,
    firewall_dropped: u64,
    unauthorized: u64,
    rate_limited: u64,
    probes: u64,
    /// Requests of the most active user that met the rate limit, and those refused.
    top_user: (u64, u64),
    /// The same for every other user.
    others: (u64, u64),
}

/// A proxy component while it runs.
pub struct Proxy {
    name: String,
    /// The requests passing through, and the cores of its machines when it
    /// has work to do (none without). A proxy keeps nothing of its own about
    /// a request: its target follows from its type.
    relay: Relay<()>,
    pools: Vec<Pool>,
    pool_of_type: Vec<u16>,
    firewall: bool,
    hostile: Vec<bool>,
    auth: bool,
    anonymous: Vec<bool>,
    limiter: Option<Limiter>,
    /// Whether a sweep of the per-user buckets is due.
    sweeping: bool,
    health_check: Option<HealthCheck>,
    probe_sent: SimTime,
    lifecycle: Lifecycle,
    window: Window,
    /// Picks a machine for a call that names none.
    route_rng: SimRng,
    /// Picks a healthy replica of a target.
    choose_rng: SimRng,
    counts: Counts,
}

impl Proxy {
    /// Builds the proxy described by `spec`.
    fn new(spec: &Spec, bx: &BuildContext<'_>) -> Self {
        let mut targets = spec.routes.clone();
        targets.sort_unstable();
        targets.dedup();
        let pools = targets
            .iter()
            .map(|&t| {
                let replicas = bx.replicas_of(t);
                Pool {
                    target: bx.id(t),
                    healthy: spec.health_check.map(|_| Members::new(replicas)),
                    health: vec![ProbeState::default(); replicas as usize],
                }
            })
            .collect();
        let pool_of_type = spec
            .routes
            .iter()
            .map(|r| targets.iter().position(|t| t == r).unwrap_or(0) as u16)
            .collect();
        // The auth check's work is done on the same cores, right after the
        // proxy's own: one draw of their sum from the `service` law.
        let mut station = spec.station.clone();
        if let Some(auth) = spec.auth {
            for work in &mut station.work {
                *work += auth;
            }
        }
        let stations = Stations::new(&station, spec.replicas, bx.name(), bx.window);
        Self {
            name: bx.name().to_string(),
            relay: Relay::new(stations),
            pools,
            pool_of_type,
            firewall: spec.firewall,
            hostile: spec.hostile.clone(),
            auth: spec.auth.is_some(),
            anonymous: spec.anonymous.clone(),
            limiter: spec.rate_limit.as_ref().map(Limiter::new),
            sweeping: false,
            health_check: spec.health_check,
            probe_sent: SimTime::ZERO,
            lifecycle: Lifecycle::new(spec.replicas, bx.window),
            window: bx.window,
            route_rng: bx.rng("route"),
            choose_rng: bx.rng("choose"),
            counts: Counts::default(),
        }
    }

    /// A call arrives: on a machine that is up and reachable, it meets the
    /// firewall and the rate limit, then the proxy's work.
    fn accept(&mut self, call: Call, ctx: &mut Ctx<'_>) {
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
        if let Some(cause) = self.screen(kind, user, ctx) {
            send_reply(ctx, &call, Outcome::Failed(cause));
            return;
        }
        match self.relay.admit(call, kind, replica, (), ctx.now()) {
            Entry::Ready(token) => self.worked(token, ctx),
            Entry::Started(token) => self.relay.start(token, &self.lifecycle, ctx),
            Entry::Queued => {}
            Entry::Rejected => send_reply(ctx, &call, Outcome::Rejected),
        }
    }

    /// The checks made on arrival, before any work: the firewall, then the
    /// rate limit. Returns why the request is turned away, if it is.
    fn screen(&mut self, kind: u16, user: u32, ctx: &mut Ctx<'_>) -> Option<Cause> {
        let counted = self.window.contains(ctx.now());
        if self.firewall && self.hostile.get(kind as usize).copied().unwrap_or(false) {
            self.counts.firewall_dropped += u64::from(counted);
            return Some(Cause::Firewall);
        }
        let limiter = self.limiter.as_mut()?;
        let admitted = limiter.admit(user, ctx.now());
        if limiter.per_user() && admitted && !self.sweeping {
            self.sweeping = true;
            let interval = limiter.sweep_interval();
            ctx.schedule_self(interval, Msg::Timer(SWEEP_TIMER));
        }
        if counted {
            let cohort = if user == 0 {
                &mut self.counts.top_user
            } else {
                &mut self.counts.others
            };
            cohort.0 += 1;
            cohort.1 += u64::from(!admitted);
            self.counts.rate_limited += u64::from(!admitted);
        }
        (!admitted).then_some(Cause::RateLimited)
    }

    /// Drops the per-user buckets that have refilled, and sweeps again later
    /// while any is left.
    fn sweep(&mut self, ctx: &mut Ctx<'_>) {
        let Some(limiter) = self.limiter.as_mut() else {
            return;
        };
        self.sweeping = limiter.sweep(ctx.now());
        if self.sweeping {
            let interval = limiter.sweep_interval();
            ctx.schedule_self(interval, Msg::Timer(SWEEP_TIMER));
        }
    }

    /// The end of a job's work: frees its core for the next job.
    fn processed(&mut self, tag: u64, ctx: &mut Ctx<'_>) {
        let Some((token, next)) = self.relay.worked(tag, ctx.now()) else {
            return;
        };
        if let Some(next) = next {
            self.relay.start(next, &self.lifecycle, ctx);
        }
        self.worked(token, ctx);
    }

    /// A job's work is done (or it had none): the auth verdict, then the forward.
    fn worked(&mut self, token: u32, ctx: &mut Ctx<'_>) {
        let Some(job) = self.relay.job(token) else {
            return;
        };
        if self.auth && self.anonymous.get(job.kind as usize).copied().unwrap_or(false) {
            let Some(job) = self.relay.remove(token) else {
                return;
            };
            self.counts.unauthorized += u64::from(self.window.contains(ctx.now()));
            send_reply(ctx, &job.call, Outcome::Failed(Cause::Unauthorized));
            return;
        }
        self.forward(token, ctx);
    }

    /// Sends a job on to a replica of its target.
    fn forward(&mut self, token: u32, ctx: &mut Ctx<'_>) {
        let Some(job) = self.relay.job_mut(token) else {
            return;
        };
        let pool = self.pool_of_type.get(job.kind as usize).copied().unwrap_or(0);
        let pool = &mut self.pools[pool as usize];
        let replica = match pool.healthy.as_ref() {
            None => ANY_REPLICA,
            Some(healthy) => match healthy.draw(&mut self.choose_rng) {
                Some(replica) => replica,
                None => {
                    if let Some(job) = self.relay.remove(token) {
                        send_reply(ctx, &job.call, Outcome::Failed(Cause::NoTarget));
                    }
                    return;
                }
            },
        };
        self.counts.forwarded += u64::from(self.window.contains(ctx.now()));
        relay::forward(ctx, pool.target, token, job, replica);
    }

    /// The target answered: relay the answer, unless the job was lost meanwhile.
    fn answered(&mut self, token: u32, outcome: Outcome, ctx: &mut Ctx<'_>) {
        match self.relay.job(token) {
            Some(job) if job.stage != Stage::Working => {}
            _ => return,
        }
        let Some(job) = self.relay.remove(token) else {
            return;
        };
        if job.stage == Stage::Lost {
            relay::release_lost(ctx, &job.call);
        } else {
            send_reply(ctx, &job.call, outcome);
        }
    }

    /// Probes every replica of every target.
    fn probe_all(&mut self, ctx: &mut Ctx<'_>) {
        // The probes leave from the zone of the proxy's first machine.
        let zone = ctx.shared.zone(ctx.me(), 0);
        for pool in &self.pools {
            let sent = probe_replicas(ctx, pool.target, pool.health.len() as u32, zone);
            if self.window.contains(ctx.now()) {
                self.counts.probes += sent;
            }
        }
    }

    /// Closes a round of health checks, updates who gets traffic, and probes again.
    fn health_round(&mut self, ctx: &mut Ctx<'_>) {
        let Some(check) = self.health_check else {
            return;
        };
        let mut verdicts = Verdicts::default();
        for pool in &mut self.pools {
            let Some(members) = pool.healthy.as_mut() else {
                continue;
            };
            verdicts.close(&mut pool.health, &check, |replica, healthy| {
                members.set(replica, healthy)
            });
        }
        verdicts.mark(&self.name, ctx);
        self.probe_sent = open_round(self, &check, HEALTH_TIMER, ctx, Self::probe_all);
    }

    /// A replica of a target answered a probe: it counts if in time.
    fn load_report(&mut self, from: ComponentId, replica: u32, now: SimTime) {
        if !health::answer_in_time(self.health_check, self.probe_sent, now) {
            return;
        }
        for pool in self.pools.iter_mut().filter(|p| p.target == from) {
            if let Some(state) = pool.health.get_mut(replica as usize) {
                state.answer();
            }
        }
    }

    /// Returns the readings of the checks' counts and of the rate limit's
    /// split between the most active user and the others.
    fn check_readings(&self) -> Vec<Reading> {
        let c = &self.counts;
        let secs = self.window.secs();
        // A run stopped before its window opened measured no time.
        let admitted_rps = if secs > 0.0 {
            c.forwarded as f64 / secs
        } else {
            0.0
        };
        let mut out = vec![
            Reading::of(&ADMITTED_RPS, admitted_rps),
            Reading::of(&FIREWALL_DROPPED, c.firewall_dropped as f64),
            Reading::of(&UNAUTHORIZED, c.unauthorized as f64),
            Reading::of(&RATE_LIMITED, c.rate_limited as f64),
        ];
        if self.limiter.is_some() {
            let share = |(met, refused): (u64, u64)| {
                if met == 0 {
                    0.0
                } else {
                    refused as f64 / met as f64
                }
            };
            out.push(Reading::of(&LIMITED_TOP_USER, share(c.top_user)));
            out.push(Reading::of(&LIMITED_OTHERS, share(c.others)));
        }
        out
    }
}

impl Component<Msg, World> for Proxy {
    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(check) = self.health_check {
            self.probe_sent = open_round(self, &check, HEALTH_TIMER, ctx, Self::probe_all);
        }
    }

    fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
        match msg {
            Msg::Call(call) => self.accept(call, ctx),
            Msg::Reply { token, outcome } => self.answered(token, outcome, ctx),
            Msg::Timer(HEALTH_TIMER) => self.health_round(ctx),
            Msg::Timer(SWEEP_TIMER) => self.sweep(ctx),
            Msg::Timer(tag) => self.processed(tag, ctx),
            Msg::Load { from, replica, .. } => self.load_report(from, replica, ctx.now()),
            Msg::Probe {
                reply_to,
                zone,
                replica,
            } => {
                let up = self.lifecycle.is_up(replica);
                let load = self.relay.stations().map_or(0, |s| s.load(replica));
                answer_probe(ctx, up, reply_to, zone, replica, load);
            }
            Msg::Control(_) => {}
        }
    }

    fn on_finish(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        // A run stopped early has its window cut at the stop.
        self.window = ctx.shared.recorder.window();
        let cores = self.relay.stations_mut().map(|s| s.figures(now, self.window.end));
        let mut extra = self.check_readings();
        extra.extend(self.lifecycle.readings(now));
        extra.extend(cores.as_ref().and_then(|f| f.busiest));
        if self.health_check.is_some() {
            extra.push(Reading::of(&PROBES, self.counts.probes as f64));
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
            completed: cores.as_ref().map_or(self.counts.forwarded, |f| f.completed),
            rejected: cores.as_ref().map_or(0, |f| f.rejected),
            extra,
            up_levels,
        });
    }
}

impl Part for Proxy {
    /// Jobs lost in a crash, and the per-user buckets of the rate limit.
    fn held(&self) -> usize {
        self.relay.lost() + self.limiter.as_ref().map_or(0, Limiter::held)
    }

    fn crash(&mut self, r: u32, ctx: &mut Ctx<'_>) {
        if self.lifecycle.set(r, false, ctx.now()) {
            // The requests it held are lost.
            self.relay.crash(r, ctx);
        }
    }

    fn recover(&mut self, r: u32, ctx: &mut Ctx<'_>) {
        self.lifecycle.set(r, true, ctx.now());
    }

    fn slow_down(&mut self, r: u32, factor: f64, _ctx: &mut Ctx<'_>) {
        self.lifecycle.set_slowdown(r, factor);
    }

    fn normal_speed(&mut self, r: u32, _ctx: &mut Ctx<'_>) {
        self.lifecycle.set_slowdown(r, 1.0);
    }
}

#[cfg(test)]
mod tests {
    use crate::metrics::RunSummary;
    use crate::runner::{self, Limits};
    use crate::scenario::{load_text, Scenario};

    fn load(yaml: &str) -> Scenario {
        load_text(yaml, "t", &[]).unwrap()
    }

    fn run(yaml: &str) -> RunSummary {
        runner::simulate(&load(yaml), 0)
    }

    fn reading(run: &RunSummary, component: usize, key: &str) -> f64 {
        let c = &run.components[component];
        c.reading(key).unwrap_or_else(|| panic!("no `{key}` in {c:?}"))
    }

    fn errors(run: &RunSummary, cause: &str) -> u64 {
        run.errors
            .iter()
            .find(|(name, _)| *name == cause)
            .map_or(0, |(_, n)| *n)
    }

    /// A proxy in front of a server, 10 requests a second evenly spaced
    /// for 10 s, with `types` as the request mix and `edge` as the proxy.
    fn scenario(types: &str, edge: &str, rest: &str) -> String {
        format!(
            "name: proxy test
seed: 4
duration: 10s
warmup: 0s
traffic: {{rate: 10/s, arrivals: constant, requests: {types}}}
entry: edge
network: {{latency: 0ms}}
components:
  edge: {edge}
  web: {{kind: server, cores: 4, work: 1ms, service: deterministic}}
{rest}"
        )
    }

    #[test]
    fn the_firewall_drops_hostile_requests_before_the_rate_limit_sees_them() {
        let types = "{attack: {weight: 1, hostile: true}}";
        let with = run(&scenario(
            types,
            "{kind: proxy, targets: web, firewall: true, rate_limit: {rate: 1/s}}",
            "",
        ));
        // Arrivals at 0.1 s, 0.2 s... 9.9 s.
        assert_eq!(errors(&with, "firewall_dropped"), 99);
        assert_eq!(errors(&with, "rate_limited"), 0);
        assert_eq!(reading(&with, 0, "admitted_rps"), 0.0);
        assert_eq!(with.components[1].completed, 0, "nothing reaches the server");
        // Without the firewall the limit admits one a second: at 0.1 s,
        // 1.1 s... 9.1 s.
        let without = run(&scenario(
            types,
            "{kind: proxy, targets: web, rate_limit: {rate: 1/s}}",
            "",
        ));
        assert_eq!(errors(&without, "firewall_dropped"), 0);
        assert_eq!(without.requests.completed, 10);
        assert_eq!(errors(&without, "rate_limited"), 89);
        assert_eq!(reading(&without, 0, "admitted_rps"), 1.0);
    }

    #[test]
    fn the_auth_check_refuses_after_its_work_and_authenticated_requests_pay_it_too() {
        let edge = "{kind: proxy, targets: web, work: 1ms, auth: {work: 2ms}, \
                    service: deterministic}";
        let anon = run(&scenario("{anon: {weight: 1, authenticated: false}}", edge, ""));
        assert_eq!(errors(&anon, "unauthorized"), 99);
        assert_eq!(anon.components[1].completed, 0);
        // Each refused request held the proxy's core for 1 + 2 ms.
        assert!((anon.components[0].utilization - 9.9 * 0.003).abs() < 1e-9);
        let page = run(&scenario("{page: {weight: 1}}", edge, ""));
        assert_eq!(errors(&page, "unauthorized"), 0);
        assert_eq!(page.requests.completed, 99);
        // 3 ms at the proxy, then 1 ms at the server.
        assert!((page.latency_ms.mean - 4.0).abs() < 1e-9);
    }

    #[test]
    fn health_checks_take_a_dead_replica_out_and_a_balancer_behind_answers_them() {
        // Two replicas behind the proxy; replica 1 dies at 2 s for good. The
        // proxy probes every 500 ms and gives up on it after 2 missed probes.
        let yaml = |check: &str| {
            format!(
                "name: proxy health
seed: 4
duration: 20s
warmup: 0s
traffic: {{rate: 100/s}}
entry: edge
network: {{latency: 0ms}}
components:
  edge: {{kind: proxy, targets: web{check}}}
  web: {{kind: server, replicas: 2, cores: 4, work: 1ms}}
failures:
  - {{at: 2s, crash: web, replica: 1}}
"
            )
        };
        let blind = run(&yaml(""));
        let checked = run(&yaml(", health_check: {interval: 500ms, unhealthy_after: 2}"));
        // Blind, half of 18 s of traffic goes to the dead replica; checked,
        // only what it sends before it notices (1 to 1.5 s).
        assert!(errors(&blind, "sent_to_down_node") > 800);
        let lost = errors(&checked, "sent_to_down_node");
        assert!((20..=100).contains(&lost), "{lost}");
        assert_eq!(errors(&checked, "no_healthy_target"), 0);
        assert!(reading(&checked, 0, "probes") > 70.0);
        // A balancer answers the proxy's probes, so it is never taken out.
        let lb = run(
            "name: proxy lb
seed: 4
duration: 20s
warmup: 0s
traffic: {rate: 100/s}
entry: edge
components:
  edge: {kind: proxy, targets: lb, health_check: {interval: 500ms}}
  lb: {kind: load_balancer, targets: web}
  web: {kind: server, replicas: 2, cores: 4, work: 1ms}
",
        );
        assert_eq!(errors(&lb, "no_healthy_target"), 0);
        assert_eq!(lb.requests.completed, lb.requests.offered);
    }

    #[test]
    fn a_crashed_proxy_loses_what_it_holds_and_refuses_while_down() {
        let yaml = scenario(
            "{page: {weight: 1}}",
            "{kind: proxy, targets: web, work: 250ms, cores: 8, service: deterministic}",
            "failures:\n  - {at: 5s, crash: edge, for: 1s}\n",
        );
        let r = run(&yaml);
        // At 5 s the proxy holds the requests of 4.8 and 4.9 s (250 ms of
        // work each; the one of 5.0 s comes after the crash) and is down for
        // the 10 that arrive until 6 s.
        assert_eq!(errors(&r, "lost_in_crash"), 2);
        assert_eq!(errors(&r, "sent_to_down_node"), 10);
    }

    #[test]
    fn per_user_buckets_follow_the_active_users_not_every_user_seen() {
        // A million users, each sending about once in 500 s: over 60 s some
        // 120,000 users send, but only those of the last few seconds hold a
        // bucket (refill 2 s, swept every 2 s): the run stays far below a cap
        // of 20,000 pieces of state in flight.
        let yaml = "name: many users
seed: 4
duration: 60s
warmup: 0s
traffic: {rate: 2000/s, users: 1000000}
entry: edge
network: {latency: 0ms}
components:
  edge: {kind: proxy, targets: web, rate_limit: {rate: 1/s, burst: 2, per: user}}
  web: {kind: server, cores: 8, work: 1ms}
";
        let limits = Limits {
            max_in_flight: 20_000,
            ..Limits::default()
        };
        let r = runner::simulate_guarded(&load(yaml), 0, &limits, None);
        assert!(r.truncated.is_none(), "{:?}", r.truncated);
        assert!(r.requests.offered > 110_000);
    }

    #[test]
    fn bad_settings_are_refused_with_their_field() {
        let refused = |edge: &str| -> String {
            let yaml = scenario("{page: {weight: 1}}", edge, "");
            load_text(&yaml, "t", &[]).unwrap_err().to_string()
        };
        let zero_rate = refused("{kind: proxy, targets: web, rate_limit: {rate: 0/s}}");
        assert!(zero_rate.contains("components.edge.rate_limit.rate: expected a positive rate"));
        let zero_burst = refused("{kind: proxy, targets: web, rate_limit: {rate: 5/s, burst: 0}}");
        assert!(zero_burst.contains("components.edge.rate_limit.burst: expected a burst of at least 1"));
        let per = refused("{kind: proxy, targets: web, rate_limit: {rate: 5/s, per: ip}}");
        assert!(per.contains("components.edge.rate_limit.per"), "{per}");
        assert!(per.contains("`user`"), "{per}");
        let nothing = refused("{kind: proxy, work: 1ms}");
        assert!(nothing.contains("missing field `targets` (the component to forward to)"));
        let typo = refused("{kind: proxy, targets: web, firewal: true}");
        assert!(typo.contains("unknown field `firewal`"), "{typo}");
        let auth = refused("{kind: proxy, targets: web, auth: {}}");
        assert!(auth.contains("components.edge.auth"), "{auth}");
    }
}
