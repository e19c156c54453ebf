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

mod answers;

use answers::Answers;

use crate::engine::{Component, ComponentId, SimTime};
use crate::keys::KeyMap;
use crate::metrics::{Better, ComponentStats, Measure, Reading, Unit, Window};
use crate::model::{Call, Cause, Msg, Outcome, ANY_REPLICA, OUTSIDE};
use crate::parts::geography::{Geography, Placement, NO_REGION};
use crate::parts::health::{
    self,
    open_round, probe_replicas, HealthCheck, ProbeState, RawHealthCheck, PROBES,
};
use crate::parts::{
    send_reply, send_reply_after, BuildContext, Ctx, Kind, Part, SpecContext, Topology, World,
};
use crate::spec::{join_index, join_key, parse_lenient, refused, Duration, Issue};

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

    fn sketch(&self, _topology: &crate::parts::Topology) -> Vec<String> {
        let mut words = vec![
            crate::spec::units::yaml_name(&self.strategy),
            format!("ttl {}", crate::spec::units::format_duration(self.ttl)),
        ];
        if let Some(check) = &self.health_check {
            words.push(format!(
                "health checks every {}",
                crate::spec::units::format_duration(check.interval)
            ));
        }
        words
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
    let health_check = raw
        .health_check
        .as_ref()
        .and_then(|h| h.check(path, &mut issues));
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
            issues.push(Issue::text_expected(item_path, "a component name", item));
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
        if strategy == Answering::Weighted && !refused(issues, &weights_path) {
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

/// A DNS while it runs.
pub struct Dns {
    name: String,
    targets: Vec<ComponentId>,
    target_names: Vec<String>,
    /// The index in `targets` of each component id (`u32::MAX` for others).
    target_of: Vec<u32>,
    answers: Answers,
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
    held: KeyMap<Answer>,
    /// The answers' expiry times in order (every answer lives as long), so
    /// that expired ones are dropped in amortised O(1): memory follows the
    /// users active within a TTL, not every user ever seen.
    expiry: VecDeque<(SimTime, u32)>,
    relayed: Slab<Relayed>,
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
        let answers = match spec.strategy {
            Answering::RoundRobin => Answers::RoundRobin { next: 0 },
            Answering::Weighted => Answers::weighted(spec.weights.as_deref().unwrap_or(&[])),
            Answering::Failover => Answers::Ordered {
                orders: vec![(0..n).collect()],
            },
            Answering::Geo => Answers::Ordered {
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
            answers,
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
            held: KeyMap::default(),
            expiry: VecDeque::new(),
            relayed: Slab::new(),
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
        let (target, ready, cached) = match self.held.get(&user) {
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
                    self.held.insert(
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
            about: call.about,
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
            if self.held.get(&user).is_some_and(|a| a.expires == expires) {
                self.held.remove(&user);
            }
        }
    }

    /// Chooses the target of a resolution for `user`, among the healthy ones.
    fn choose(&mut self, user: u32) -> Option<u32> {
        let order = if self.geo {
            self.geography.user_region(user) as usize
        } else {
            0
        };
        self.answers.pick(order, &self.healthy)
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
        for (t, &target) in self.targets.iter().enumerate() {
            // A DNS sits outside the zones of the system, as its users do.
            let sent = probe_replicas(ctx, target, self.health[t].len() as u32, OUTSIDE);
            if self.window.contains(ctx.now()) {
                self.probes += sent;
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
                let verdict = if any { "healthy again" } else { "unhealthy" };
                let label = format!("{} marks {} {verdict}", self.name, self.target_names[t]);
                ctx.shared.recorder.mark(now, label);
            }
        }
        self.probe_sent = open_round(self, &check, HEALTH_TIMER, ctx, Self::probe_all);
    }

    /// A target's replica answered a probe.
    fn load_report(&mut self, from: ComponentId, replica: u32, now: SimTime) {
        let in_time = health::answer_in_time(self.health_check, self.probe_sent, now);
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
            self.probe_sent = open_round(self, &check, HEALTH_TIMER, ctx, Self::probe_all);
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
        self.held.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::runner::{self, Limits};
    use crate::scenario::load_text;

    /// A DNS over two one-machine servers, `a` and `b`, with `dns` settings
    /// and extra top-level sections appended.
    fn scenario(dns: &str, extra: &str) -> String {
        format!(
            "
name: dns
seed: 5
duration: 60s
warmup: 10s
traffic: {{rate: 100/s, users: 500}}
entry: dns
network: {{latency: 0ms}}
components:
  dns: {{kind: dns, {dns}}}
  a: {{kind: server, cores: 8, work: 1ms, service: deterministic}}
  b: {{kind: server, cores: 8, work: 1ms, service: deterministic}}
{extra}"
        )
    }

    fn error(yaml: &str) -> String {
        load_text(yaml, "t.yaml", &[]).unwrap_err().to_string()
    }

    fn reading(run: &crate::metrics::RunSummary, component: &str, key: &str) -> f64 {
        let c = run.components.iter().find(|c| c.name == component).unwrap();
        c.reading(key).unwrap()
    }

    #[test]
    fn refuses_weights_that_do_not_fit_the_targets() {
        let e = error(&scenario("strategy: weighted, targets: [a, b]", ""));
        assert!(e.contains("components.dns: `strategy: weighted` needs `weights`"), "{e}");
        let e = error(&scenario(
            "strategy: weighted, targets: [a, b], weights: {a: 3, c: 1}",
            "",
        ));
        assert!(e.contains("components.dns.weights.c: `c` is not one of the targets"), "{e}");
        assert!(e.contains("no weight for target `b`"), "{e}");
        let e = error(&scenario(
            "strategy: weighted, targets: [a, b], weights: {a: 3, b: 0}",
            "",
        ));
        assert!(e.contains("components.dns.weights.b: expected a positive weight"), "{e}");
        let e = error(&scenario("targets: [a, b], weights: {a: 3, b: 1}", ""));
        assert!(e.contains("weights apply only to `strategy: weighted`"), "{e}");
    }

    #[test]
    fn refuses_targets_listed_twice_missing_or_without_machines() {
        let e = error(&scenario("targets: [a, a]", ""));
        assert!(e.contains("components.dns.targets[1]: `a` is already a target"), "{e}");
        let e = error(&scenario("targets: [a, c]", ""));
        assert!(e.contains("components.dns.targets[1]: no component is called `c`"), "{e}");
        let e = error(&scenario("ttl: 10s", ""));
        assert!(e.contains("components.dns: missing field `targets`"), "{e}");
        let e = error(&scenario("targets: [a, dns2]", "  dns2: {kind: dns, targets: [b]}\n"));
        assert!(e.contains("`dns2` has no machines to answer with"), "{e}");
        let e = error(&scenario("targets: [a], tll: 5s", ""));
        assert!(e.contains("components.dns.tll"), "{e}");
    }

    #[test]
    fn a_dns_has_no_machine_and_only_the_clients_reach_it() {
        let e = error(&scenario("targets: [a, b], zone: eu-a", ""));
        assert!(e.contains("components.dns.zone: a dns has no machines"), "{e}");
        let e = error(
            &scenario("targets: [b]", "  front: {kind: server, work: 1ms, calls: [dns]}\n")
                .replace("entry: dns", "entry: front"),
        );
        assert!(e.contains("`front` sends requests to `dns`, which has no machines"), "{e}");
        assert!(e.contains("components.dns: a dns answers the clients only, so it must be the `entry`"), "{e}");
    }

    #[test]
    fn geo_needs_origins_and_targets_in_regions() {
        let e = error(&scenario("strategy: geo, targets: [a, b]", ""));
        assert!(e.contains("components.dns.strategy: `geo` answers each user"), "{e}");
        assert!(e.contains("components.dns.targets[0]: `a`: its zone is in no region"), "{e}");
    }

    #[test]
    fn without_caching_every_request_resolves_and_round_robin_alternates() {
        let s = load_text(&scenario("targets: [a, b], ttl: 0s", ""), "t", &[]).unwrap();
        let run = runner::simulate(&s, 0);
        let completed = run.requests.completed as f64;
        assert_eq!(reading(&run, "dns", "resolutions"), completed);
        let (a, b) = (run.components[1].completed, run.components[2].completed);
        assert!(a.abs_diff(b) <= 1, "{a} {b}");
    }

    #[test]
    fn a_stale_answer_keeps_a_user_on_a_dead_target_until_it_expires() {
        // Failover: everyone is on `a` until the checks find it dead (3 missed
        // probes 1 s apart), and users who resolved before keep it for the TTL.
        let dns = "strategy: failover, targets: [a, b], ttl: 20s, \
                   health_check: {interval: 1s, unhealthy_after: 3}";
        let s = load_text(
            &scenario(dns, "failures:\n  - {at: 30.5s, crash: a}\n"),
            "t",
            &[],
        )
        .unwrap();
        let run = runner::simulate(&s, 0);
        let stale = reading(&run, "dns", "stale_answers");
        let down = run
            .errors
            .iter()
            .find(|(name, _)| *name == "sent_to_down_node")
            .unwrap()
            .1 as f64;
        // Every request refused by `a` after it died went on a cached answer
        // or on a fresh one given before detection (3.5 s).
        assert!(stale > 0.0 && stale <= down, "{stale} {down}");
        assert!(down - stale <= 100.0 * 3.5, "{stale} {down}");
        // Nothing reaches `a` once every answer naming it has expired.
        assert_eq!(run.requests.failed as f64, down);
        assert!(down < 100.0 * (3.5 + 20.0 + 1.0), "{down}");
    }

    #[test]
    fn expired_answers_are_dropped_so_memory_follows_the_active_users() {
        // 200,000 users send 2,000 requests a second: about 2,000 of them hold
        // an answer at a time with a TTL of 1 s, and 20,000 with 10 s. The
        // answers count against the cap on what is in flight.
        let yaml = |ttl: &str| {
            scenario(&format!("targets: [a, b], ttl: {ttl}"), "")
                .replace("rate: 100/s, users: 500", "rate: 2000/s, users: 200000")
                .replace("duration: 60s", "duration: 20s")
        };
        let limits = Limits {
            max_in_flight: 5_000,
            ..Limits::default()
        };
        let short = load_text(&yaml("1s"), "t", &[]).unwrap();
        assert!(runner::simulate_guarded(&short, 0, &limits, None)
            .truncated
            .is_none());
        let long = load_text(&yaml("10s"), "t", &[]).unwrap();
        assert!(runner::simulate_guarded(&long, 0, &limits, None)
            .truncated
            .is_some());
    }
}
