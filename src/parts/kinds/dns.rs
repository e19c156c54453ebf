//! `kind: dns`: the clients resolve a name before they connect, and keep the
//! answer for a time to live.
//!
//! The DNS is the scenario's entry and stands for the clients' side: it has
//! no machine, adds no queueing, and the way between it and the clients
//! costs nothing. A request whose user holds no unexpired answer resolves
//! (one answer, chosen by the strategy among the targets the health checks
//! find healthy); the user keeps that answer for `ttl`, and its requests go
//! to that target meanwhile, even after the target died. The DNS relays each
//! request to its target and its answer back, so that it sees which requests
//! a stale answer sent to a machine that was already down.

use std::collections::VecDeque;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;
use slab::Slab;

use super::load_balancer::strategy::{self, Strategy, StrategyKind};
use super::load_balancer::PROBES;
use crate::engine::{Component, ComponentId, SimRng, SimTime};
use crate::keys::KeyMap;
use crate::metrics::{Better, ComponentStats, Measure, Reading, Unit, Window};
use crate::model::{Call, Cause, Msg, Outcome, ANY_REPLICA, OUTSIDE};
use crate::parts::geography::{Geography, Placement, NO_REGION};
use crate::parts::health::{HealthCheck, ProbeState, RawHealthCheck};
use crate::parts::{
    send_reply, send_reply_after, BuildContext, Ctx, Kind, Part, SpecContext, Topology, World,
};
use crate::spec::{join_index, join_key, parse_lenient, Duration, Issue};

/// How long a user keeps an answer when the file does not say.
const DEFAULT_TTL: SimTime = SimTime(60_000_000_000);

/// Timer tag of the periodic health checks (the only timer of a DNS).
const HEALTH_TIMER: u64 = 0;

/// How a DNS chooses its answer, as written in `strategy:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answering {
    /// Each resolution gets the next healthy target in turn.
    RoundRobin,
    /// In turn, in proportion to `weights` (one per target).
    Weighted,
    /// The healthy target nearest the user's home region.
    Geo,
    /// The first healthy target in the order of `targets`.
    Failover,
}

/// The fields of a DNS as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    strategy: Option<Answering>,
    targets: Option<Value>,
    weights: Option<IndexMap<String, f64>>,
    ttl: Option<Duration>,
    resolve: Option<Duration>,
    health_check: Option<RawHealthCheck>,
}

/// The validated settings of a DNS.
#[derive(Clone, Debug)]
pub struct Spec {
    /// How an answer is chosen.
    pub strategy: Answering,
    /// The components it answers with, in file order.
    pub targets: Vec<usize>,
    /// The relative weight of each target (`weighted`).
    pub weights: Option<Vec<f64>>,
    /// How long a user keeps an answer (zero: no caching).
    pub ttl: SimTime,
    /// The time a resolution takes before the request can leave.
    pub resolve: SimTime,
    /// Probing of the targets, if any: without it a dead target stays in
    /// the answers.
    pub health_check: Option<HealthCheck>,
}

/// Resolutions: requests whose user held no unexpired answer.
pub const RESOLUTIONS: Measure = Measure::new(
    "resolutions",
    "resolutions",
    Unit::Count,
    Better::Neither,
);

/// Requests sent on a cached answer to a machine that was already down.
pub const STALE_ANSWERS: Measure = Measure::new(
    "stale_answers",
    "requests on stale answers",
    Unit::Count,
    Better::Lower,
)
.lesson(Some(0.0));

impl Kind for Spec {
    const NAME: &'static str = "dns";
    const MEASURES: &'static [&'static Measure] = &[&STALE_ANSWERS, &RESOLUTIONS, &PROBES];
    type Part = Dns;

    fn parse(body: &Value, path: &str, cx: &SpecContext<'_>) -> Result<Self, Vec<Issue>> {
        parse(body, path, cx)
    }

    /// A DNS has no machine of its own: it is the clients' side.
    fn replicas(&self) -> u32 {
        0
    }

    fn price_per_hour(&self) -> f64 {
        0.0
    }

    fn downstream(&self) -> Vec<usize> {
        self.targets.clone()
    }

    /// Every user keeps its own answer.
    fn uses_user_ids(&self) -> bool {
        true
    }

    fn check_against(&self, path: &str, topology: &Topology) -> Vec<Issue> {
        let mut issues = Vec::new();
        let targets_path = join_key(path, "targets");
        for (i, &t) in self.targets.iter().enumerate() {
            if topology.replicas(t) == 0 {
                issues.push(Issue::new(
                    join_index(&targets_path, i),
                    format!(
                        "`{}` has no machines to answer with (a {} cannot point at another)",
                        topology.name(t),
                        topology.kind(t)
                    ),
                ));
            }
        }
        if self.strategy == Answering::Geo {
            check_geo(self, path, topology, &mut issues);
        }
        issues
    }

    fn build(&self, bx: &BuildContext<'_>) -> Dns {
        Dns::new(self, bx)
    }
}

/// Checks what `strategy: geo` needs: users with home regions, and every
/// target in one region.
fn check_geo(spec: &Spec, path: &str, topology: &Topology, issues: &mut Vec<Issue>) {
    if !topology.geography().has_origins() {
        issues.push(Issue::new(
            join_key(path, "strategy"),
            "`geo` answers each user from the region it lives in: give the users home \
             regions with traffic.origins, like origins: {eu: 60%, us: 40%}",
        ));
    }
    let targets_path = join_key(path, "targets");
    for (i, &t) in spec.targets.iter().enumerate() {
        let problem = match topology.placement(t) {
            Placement::In(_) => continue,
            Placement::Spread => "its machines are in several regions",
            Placement::Nowhere => "its zone is in no region",
        };
        issues.push(Issue::new(
            join_index(&targets_path, i),
            format!(
                "`{}`: {problem}; `geo` answers with the target of the nearest region, so \
                 each target sits in the zones of one region of `regions:`",
                topology.name(t)
            ),
        ));
    }
}

/// Parses the fields of a DNS.
fn parse(body: &Value, path: &str, cx: &SpecContext<'_>) -> Result<Spec, Vec<Issue>> {
    let mut issues = Vec::new();
    let Some(raw) = parse_lenient::<Raw>(body, path, &mut issues) else {
        return Err(issues);
    };
    let strategy = raw.strategy.unwrap_or(Answering::RoundRobin);
    let targets = match &raw.targets {
        None => {
            issues.push(Issue::new(
                path,
                "missing field `targets` (the components it answers with, like [lb-eu, lb-us])",
            ));
            Vec::new()
        }
        Some(value) => parse_targets(value, &join_key(path, "targets"), cx, &mut issues),
    };
    let weights = parse_weights(&raw, strategy, &targets, path, cx, &mut issues);
    let health_check = raw.health_check.as_ref().and_then(|h| {
        h.validate()
            .map_err(|(field, message)| {
                issues.push(Issue::new(
                    join_key(&join_key(path, "health_check"), field),
                    message,
                ))
            })
            .ok()
    });
    if !issues.is_empty() {
        return Err(issues);
    }
    Ok(Spec {
        strategy,
        targets,
        weights,
        ttl: raw.ttl.map_or(DEFAULT_TTL, |d| d.0),
        resolve: raw.resolve.map_or(SimTime::ZERO, |d| d.0),
        health_check,
    })
}

/// Reads `targets:`, a list of component names (or one name), each once.
fn parse_targets(
    value: &Value,
    path: &str,
    cx: &SpecContext<'_>,
    issues: &mut Vec<Issue>,
) -> Vec<usize> {
    let items: Vec<Value> = match value {
        Value::Array(items) if !items.is_empty() => items.clone(),
        Value::String(_) => vec![value.clone()],
        other => {
            issues.push(Issue::new(
                path,
                format!("expected a list of component names, like [lb-eu, lb-us], found {other}"),
            ));
            return Vec::new();
        }
    };
    let mut out: Vec<usize> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let item_path = join_index(path, i);
        let Value::String(name) = item else {
            issues.push(Issue::new(
                item_path,
                format!("expected a component name, found {item}"),
            ));
            continue;
        };
        match cx.resolve(name, &item_path) {
            Ok(t) if out.contains(&t) => issues.push(Issue::new(
                item_path,
                format!("`{name}` is already a target: each target is listed once"),
            )),
            Ok(t) => out.push(t),
            Err(issue) => issues.push(issue),
        }
    }
    out
}

/// Reads `weights: {target: weight}`: with `strategy: weighted`, and only
/// then, a positive weight for every target and for nothing else.
fn parse_weights(
    raw: &Raw,
    strategy: Answering,
    targets: &[usize],
    path: &str,
    cx: &SpecContext<'_>,
    issues: &mut Vec<Issue>,
) -> Option<Vec<f64>> {
    let weights_path = join_key(path, "weights");
    let Some(given) = &raw.weights else {
        if strategy == Answering::Weighted {
            issues.push(Issue::new(
                path,
                "`strategy: weighted` needs `weights`, one per target, like \
                 weights: {lb-eu: 3, lb-us: 1}",
            ));
        }
        return None;
    };
    if strategy != Answering::Weighted {
        issues.push(Issue::new(
            weights_path,
            "weights apply only to `strategy: weighted`",
        ));
        return None;
    }
    let mut weights = vec![f64::NAN; targets.len()];
    for (name, &weight) in given {
        let at = join_key(&weights_path, name);
        let Some(i) = cx
            .resolve(name, &at)
            .ok()
            .and_then(|c| targets.iter().position(|&t| t == c))
        else {
            issues.push(Issue::new(
                at,
                format!("`{name}` is not one of the targets: weights are given per target"),
            ));
            continue;
        };
        if !(weight.is_finite() && weight > 0.0) {
            issues.push(Issue::new(
                at,
                format!("expected a positive weight, found {weight}"),
            ));
        }
        weights[i] = weight;
    }
    for (i, w) in weights.iter().enumerate() {
        if w.is_nan() {
            if let Some(name) = targets.get(i).and_then(|&t| cx.names.get(t)) {
                issues.push(Issue::new(
                    &weights_path,
                    format!("no weight for target `{name}`: give one per target"),
                ));
            }
        }
    }
    Some(weights)
}

/// An answer a user holds.
#[derive(Clone, Copy, Debug)]
struct Answer {
    /// The target it names (an index in the DNS's targets).
    target: u32,
    /// When the resolution that gave it is over: requests wait until then.
    ready: SimTime,
    /// When the user drops it.
    expires: SimTime,
}

/// A request relayed to its target, until the target answers.
#[derive(Clone, Copy, Debug)]
struct Relayed {
    /// The clients' call, to answer.
    call: Call,
    /// Whether it was sent on an answer the user already held.
    cached: bool,
    /// Whether it reached the DNS inside the measured window.
    counted: bool,
    /// The way from the target back to the user's region.
    back: SimTime,
}

/// How the DNS picks a target at each resolution.
enum Chooser {
    /// Round robin or weighted round robin, over the healthy targets.
    Turns(Box<dyn Strategy>),
    /// The first healthy target in an order: the file's (failover), or per
    /// user region, by distance (geo).
    Ordered {
        /// The order of the targets for the users of each region (for
        /// failover, one order for everybody).
        orders: Vec<Vec<u32>>,
    },
}

/// A DNS while it runs.
pub struct Dns {
    name: String,
    targets: Vec<ComponentId>,
    target_names: Vec<String>,
    /// The index in `targets` of each component id (`u32::MAX` for others).
    target_of: Vec<u32>,
    chooser: Chooser,
    /// Whether answers depend on the user's region.
    geo: bool,
    geography: Geography,
    /// What the probes say of each replica of each target.
    health: Vec<Vec<ProbeState>>,
    /// Whether each target has a healthy replica.
    healthy: Vec<bool>,
    health_check: Option<HealthCheck>,
    probe_sent: SimTime,
    ttl: SimTime,
    resolve: SimTime,
    /// The unexpired answers, by user.
    answers: KeyMap<Answer>,
    /// The answers' expiry times in order (every answer lives as long), so
    /// that expired ones are dropped in amortised O(1): memory follows the
    /// users active within a TTL, not every user ever seen.
    expiry: VecDeque<(SimTime, u32)>,
    relayed: Slab<Relayed>,
    /// Unused: the strategies draw nothing, but their interface takes one.
    rng: SimRng,
    window: Window,
    completed: u64,
    resolutions: u64,
    stale: u64,
    probes: u64,
}

impl Dns {
    /// Builds the DNS described by `spec`.
    fn new(spec: &Spec, bx: &BuildContext<'_>) -> Self {
        let n = spec.targets.len() as u32;
        let topology = bx.topology;
        let mut target_of = vec![u32::MAX; topology.len()];
        for (i, &t) in spec.targets.iter().enumerate() {
            target_of[t] = i as u32;
        }
        let region_of_target: Vec<u16> = spec
            .targets
            .iter()
            .map(|&t| match topology.placement(t) {
                Placement::In(r) => r,
                Placement::Nowhere | Placement::Spread => NO_REGION,
            })
            .collect();
        let geography = topology.geography().clone();
        let chooser = match spec.strategy {
            Answering::RoundRobin => {
                Chooser::Turns(strategy::build(StrategyKind::RoundRobin, n, None))
            }
            Answering::Weighted => Chooser::Turns(strategy::build(
                StrategyKind::WeightedRoundRobin,
                n,
                spec.weights.as_deref(),
            )),
            Answering::Failover => Chooser::Ordered {
                orders: vec![(0..n).collect()],
            },
            Answering::Geo => Chooser::Ordered {
                orders: (0..geography.names().len() as u16)
                    .map(|r| nearest_first(r, &region_of_target, &geography))
                    .collect(),
            },
        };
        Self {
            name: bx.name().to_string(),
            targets: spec.targets.iter().map(|&t| bx.id(t)).collect(),
            target_names: spec
                .targets
                .iter()
                .map(|&t| topology.name(t).to_string())
                .collect(),
            target_of,
            chooser,
            geo: spec.strategy == Answering::Geo,
            geography,
            health: spec
                .targets
                .iter()
                .map(|&t| vec![ProbeState::default(); bx.replicas_of(t) as usize])
                .collect(),
            healthy: vec![true; n as usize],
            health_check: spec.health_check,
            probe_sent: SimTime::ZERO,
            ttl: spec.ttl,
            resolve: spec.resolve,
            answers: KeyMap::default(),
            expiry: VecDeque::new(),
            relayed: Slab::new(),
            rng: bx.rng("answers"),
            window: bx.window,
            completed: 0,
            resolutions: 0,
            stale: 0,
            probes: 0,
        }
    }

    /// A request arrived from the clients: find its user's answer, or
    /// resolve, then send it to the target.
    fn accept(&mut self, call: Call, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        self.forget_expired(now);
        let user = ctx.shared.request(call.req).map_or(0, |r| r.user);
        let counted = self.window.contains(now);
        let (target, ready, cached) = match self.answers.get(&user) {
            Some(answer) => (answer.target, answer.ready, true),
            None => {
                let Some(target) = self.choose(user) else {
                    send_reply(ctx, &call, Outcome::Failed(Cause::NoTarget));
                    return;
                };
                self.resolutions += u64::from(counted);
                let ready = now + self.resolve;
                if self.ttl > SimTime::ZERO {
                    let expires = ready + self.ttl;
                    self.answers.insert(
                        user,
                        Answer {
                            target,
                            ready,
                            expires,
                        },
                    );
                    self.expiry.push_back((expires, user));
                }
                (target, ready, false)
            }
        };
        let to = self.targets[target as usize];
        let hop = ctx.shared.client_hop(user, to);
        let token = self.relayed.insert(Relayed {
            call,
            cached,
            counted,
            back: hop,
        }) as u32;
        let relay = Call {
            req: call.req,
            reply_to: ctx.me(),
            token,
            replica: ANY_REPLICA,
            // The request comes from the user, outside every zone.
            zone: OUTSIDE,
        };
        ctx.send(to, ready.saturating_sub(now) + hop, Msg::Call(relay));
    }

    /// Drops the answers that expired by `now`.
    fn forget_expired(&mut self, now: SimTime) {
        while let Some(&(expires, user)) = self.expiry.front() {
            if expires > now {
                break;
            }
            self.expiry.pop_front();
            if self.answers.get(&user).is_some_and(|a| a.expires == expires) {
                self.answers.remove(&user);
            }
        }
    }

    /// Chooses the target of a resolution for `user`, among the healthy ones.
    fn choose(&mut self, user: u32) -> Option<u32> {
        match &mut self.chooser {
            Chooser::Turns(turns) => turns.pick(user, &mut self.rng),
            Chooser::Ordered { orders } => {
                let region = if self.geo {
                    self.geography.user_region(user) as usize
                } else {
                    0
                };
                let order = orders.get(region).or_else(|| orders.first())?;
                order
                    .iter()
                    .copied()
                    .find(|&t| self.healthy[t as usize])
            }
        }
    }

    /// A target answered a relayed request: pass the answer on to the user.
    fn answered(&mut self, token: u32, outcome: Outcome, ctx: &mut Ctx<'_>) {
        let Some(relayed) = self.relayed.try_remove(token as usize) else {
            return;
        };
        if relayed.counted {
            self.completed += 1;
            if relayed.cached && outcome == Outcome::Failed(Cause::Down) {
                self.stale += 1;
            }
        }
        send_reply_after(ctx, &relayed.call, outcome, relayed.back);
    }

    /// Probes every replica of every target.
    fn probe_all(&mut self, ctx: &mut Ctx<'_>) {
        let me = ctx.me();
        for (t, &target) in self.targets.iter().enumerate() {
            let replicas = self.health[t].len() as u32;
            let delay = ctx.shared.latency(me, target);
            for replica in 0..replicas {
                ctx.send(
                    target,
                    delay,
                    Msg::Probe {
                        reply_to: me,
                        zone: OUTSIDE,
                        replica,
                    },
                );
            }
            if self.window.contains(ctx.now()) {
                self.probes += u64::from(replicas);
            }
        }
    }

    /// Closes a round of health checks, takes the targets with no healthy
    /// replica out of the answers (and puts back those with one), and
    /// probes again.
    fn health_round(&mut self, ctx: &mut Ctx<'_>) {
        let Some(check) = self.health_check else {
            return;
        };
        let now = ctx.now();
        for t in 0..self.targets.len() {
            let mut any = false;
            for state in &mut self.health[t] {
                state.close_round(&check);
                any |= state.healthy;
            }
            if any != self.healthy[t] {
                self.healthy[t] = any;
                if let Chooser::Turns(turns) = &mut self.chooser {
                    turns.set_available(t as u32, any);
                }
                let verdict = if any { "healthy again" } else { "unhealthy" };
                let label = format!("{} marks {} {verdict}", self.name, self.target_names[t]);
                ctx.shared.recorder.mark(now, label);
            }
        }
        self.probe_sent = now;
        self.probe_all(ctx);
        ctx.schedule_self(check.interval, Msg::Timer(HEALTH_TIMER));
    }

    /// A target's replica answered a probe.
    fn load_report(&mut self, from: ComponentId, replica: u32, now: SimTime) {
        let in_time = self
            .health_check
            .is_some_and(|c| now - self.probe_sent <= c.timeout);
        let t = self.target_of.get(from.0 as usize).copied().unwrap_or(u32::MAX);
        if in_time {
            if let Some(state) = self
                .health
                .get_mut(t as usize)
                .and_then(|h| h.get_mut(replica as usize))
            {
                state.answer();
            }
        }
    }
}

/// Returns the targets in the order `geo` tries them for the users of
/// region `from`: their own region's first, then by the latency to theirs,
/// then in file order.
fn nearest_first(from: u16, region_of_target: &[u16], geography: &Geography) -> Vec<u32> {
    let mut order: Vec<u32> = (0..region_of_target.len() as u32).collect();
    order.sort_by_key(|&t| {
        let there = region_of_target[t as usize];
        (there != from, geography.distance(from, there), t)
    });
    order
}

impl Component<Msg, World> for Dns {
    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(check) = self.health_check {
            self.probe_sent = ctx.now();
            self.probe_all(ctx);
            ctx.schedule_self(check.interval, Msg::Timer(HEALTH_TIMER));
        }
    }

    fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
        match msg {
            Msg::Call(call) => self.accept(call, ctx),
            Msg::Reply { token, outcome } => self.answered(token, outcome, ctx),
            Msg::Timer(_) => self.health_round(ctx),
            Msg::Load { from, replica, .. } => self.load_report(from, replica, ctx.now()),
            Msg::Probe { .. } | Msg::Control(_) => {}
        }
    }

    fn on_finish(&mut self, ctx: &mut Ctx<'_>) {
        let mut extra = vec![
            Reading::of(&STALE_ANSWERS, self.stale as f64),
            Reading::of(&RESOLUTIONS, self.resolutions as f64),
        ];
        if self.health_check.is_some() {
            extra.push(Reading::of(&PROBES, self.probes as f64));
        }
        ctx.shared.recorder.component(ComponentStats {
            name: self.name.clone(),
            kind: <Spec as Kind>::NAME,
            utilization: 0.0,
            cores: 0,
            mean_queue: 0.0,
            completed: self.completed,
            rejected: 0,
            extra,
            up_levels: Vec::new(),
        });
    }
}

impl Part for Dns {
    /// The answers its users hold: per-user state, dropped when it expires.
    fn held(&self) -> usize {
        self.answers.len()
    }
}
