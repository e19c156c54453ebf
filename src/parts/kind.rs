//! What a kind of component is to the rest of scalesim: one trait for its
//! settings ([`Kind`]) and one for its behaviour while it runs ([`Part`]).
//!
//! A kind's module implements both; the registry (`parts::kinds`) lists it
//! once, and every per-kind dispatch is generated from that list.

use std::collections::HashMap;
use std::fmt;

use indexmap::IndexMap;
use serde_json::Value;

use super::topology::{SessionFacts, Topology};
use super::traffic::RequestType;
use super::world::{Ctx, World};
use crate::engine::{stream_rng, Component, ComponentId, SimRng, SimTime};
use crate::keys::KeySpace;
use crate::metrics::{Gauge, Measure, Window};
use crate::model::{addressed, Action, Msg, Order};
use crate::spec::{join_key, no_such_component, Issue};

/// A kind of component: what `kind: NAME` means in a scenario file.
///
/// It is implemented by the kind's validated settings (its spec), and it says
/// everything the rest of scalesim may know of the kind: its name, how to read
/// it, its facts (machines, price, whom it calls), what it measures, and how
/// to build the part that simulates it.
pub trait Kind: Clone + fmt::Debug + Send + Sync + 'static {
    /// The name written in `kind:`.
    const NAME: &'static str;
    /// What it measures beyond the figures of every component (utilisation,
    /// mean queue, completed, rejected), in report order.
    const MEASURES: &'static [&'static Measure];
    /// The gauges its part puts into the time series (a queue's backlog, the
    /// replicas of a group): stepwise values, kept as their time-weighted
    /// mean per window. The part asks the recorder for a handle to each when
    /// the run starts (`recorder.gauge(name, &GAUGE)`) and sets it whenever
    /// the value changes (`recorder.set_gauge(id, now, value)`).
    const GAUGES: &'static [&'static Gauge] = &[];
    /// The part that simulates it.
    type Part: Part + 'static;

    /// Reads and checks its own fields; `kind`, `host`, `zone`, `zones` and
    /// `boot` are read by the registry and are not in `body`.
    fn parse(body: &Value, path: &str, cx: &SpecContext<'_>) -> Result<Self, Vec<Issue>>;

    /// Returns the number of its machines.
    fn replicas(&self) -> u32;

    /// Returns the price per hour of one of its machines.
    fn price_per_hour(&self) -> f64;

    /// Returns the components it sends requests to (their indices).
    fn downstream(&self) -> Vec<usize> {
        Vec::new()
    }

    /// Describes its settings in a few words each (`round_robin`, `2
    /// cores`), for the architecture `scalesim explain` draws: what a reader
    /// needs to tell it apart, not every field. Whom it calls is drawn from
    /// [`Kind::downstream`] and need not be repeated.
    fn sketch(&self, _topology: &Topology) -> Vec<String> {
        Vec::new()
    }

    /// Returns true if it looks at the user id of requests (the clients
    /// draw user ids only when some component does).
    fn uses_user_ids(&self) -> bool {
        false
    }

    /// Returns what the others may know of the sessions it keeps, if it
    /// keeps any: how long they last idle, and the component that stores
    /// them (a balancer in front keeps its cookies as long; a store needs no
    /// request keys).
    fn sessions(&self) -> Option<SessionFacts> {
        None
    }

    /// Returns the queue it consumes (its index), if it is a worker of one.
    fn consumes(&self) -> Option<usize> {
        None
    }

    /// Returns true if it is a message queue, which workers may consume.
    fn is_queue(&self) -> bool {
        false
    }

    /// Returns true if its machines can crash (a `crash:`, `random:` or
    /// `power_loss:` failure reaches its part's [`Part::crash`]); a kind that
    /// says so implements `crash` and `recover`.
    fn crashes(&self) -> bool {
        false
    }

    /// Returns true if a `slow:` failure (a gray failure) applies to it; a
    /// kind that says so implements `slow_down` and `normal_speed`.
    fn slows_down(&self) -> bool {
        false
    }

    /// Checks the settings that depend on the facts of other components
    /// (like one weight per replica of a target); `path` is its own.
    fn check_against(&self, _path: &str, _topology: &Topology) -> Vec<Issue> {
        Vec::new()
    }

    /// Returns warnings, at fields under `path`, for settings that were
    /// written but that the others leave unused (the file asks for them and
    /// will not get them). They are warnings, not errors, when a `--set`, a
    /// sweep or a lesson's knob commonly makes them so.
    fn unused(&self, _path: &str) -> Vec<Issue> {
        Vec::new()
    }

    /// Builds the part that simulates it in one run.
    fn build(&self, bx: &BuildContext<'_>) -> Self::Part;
}

/// A [`Kind`] behind a pointer: what the registry keeps of a kind defined
/// outside the crate. Every [`Kind`] is one.
pub trait DynKind: fmt::Debug + Send + Sync {
    /// Returns [`Kind::NAME`].
    fn name(&self) -> &'static str;
    /// Returns [`Kind::MEASURES`].
    fn measures(&self) -> &'static [&'static Measure];
    /// Returns [`Kind::GAUGES`].
    fn gauges(&self) -> &'static [&'static Gauge];
    /// Returns [`Kind::replicas`].
    fn replicas(&self) -> u32;
    /// Returns [`Kind::price_per_hour`].
    fn price_per_hour(&self) -> f64;
    /// Returns [`Kind::downstream`].
    fn downstream(&self) -> Vec<usize>;
    /// Returns [`Kind::sketch`].
    fn sketch(&self, topology: &Topology) -> Vec<String>;
    /// Returns [`Kind::uses_user_ids`].
    fn uses_user_ids(&self) -> bool;
    /// Returns [`Kind::sessions`].
    fn sessions(&self) -> Option<SessionFacts>;
    /// Returns [`Kind::consumes`].
    fn consumes(&self) -> Option<usize>;
    /// Returns [`Kind::is_queue`].
    fn is_queue(&self) -> bool;
    /// Returns [`Kind::crashes`].
    fn crashes(&self) -> bool;
    /// Returns [`Kind::slows_down`].
    fn slows_down(&self) -> bool;
    /// Returns [`Kind::check_against`].
    fn check_against(&self, path: &str, topology: &Topology) -> Vec<Issue>;
    /// Returns [`Kind::unused`].
    fn unused(&self, path: &str) -> Vec<Issue>;
    /// Builds the part, boxed.
    fn build_boxed(&self, bx: &BuildContext<'_>) -> Box<dyn Part>;
}

impl<K: Kind> DynKind for K {
    fn name(&self) -> &'static str {
        K::NAME
    }
    fn measures(&self) -> &'static [&'static Measure] {
        K::MEASURES
    }
    fn gauges(&self) -> &'static [&'static Gauge] {
        K::GAUGES
    }
    fn replicas(&self) -> u32 {
        Kind::replicas(self)
    }
    fn price_per_hour(&self) -> f64 {
        Kind::price_per_hour(self)
    }
    fn downstream(&self) -> Vec<usize> {
        Kind::downstream(self)
    }
    fn sketch(&self, topology: &Topology) -> Vec<String> {
        Kind::sketch(self, topology)
    }
    fn uses_user_ids(&self) -> bool {
        Kind::uses_user_ids(self)
    }
    fn sessions(&self) -> Option<SessionFacts> {
        Kind::sessions(self)
    }
    fn consumes(&self) -> Option<usize> {
        Kind::consumes(self)
    }
    fn is_queue(&self) -> bool {
        Kind::is_queue(self)
    }
    fn crashes(&self) -> bool {
        Kind::crashes(self)
    }
    fn slows_down(&self) -> bool {
        Kind::slows_down(self)
    }
    fn check_against(&self, path: &str, topology: &Topology) -> Vec<Issue> {
        Kind::check_against(self, path, topology)
    }
    fn unused(&self, path: &str) -> Vec<Issue> {
        Kind::unused(self, path)
    }
    fn build_boxed(&self, bx: &BuildContext<'_>) -> Box<dyn Part> {
        Box::new(Kind::build(self, bx))
    }
}

/// A component while it runs: the engine's [`Component`], plus how it takes
/// the orders of the failure schedule.
///
/// Every order has a default: a part that does not override `crash` ignores
/// crashes, and so on. A new order (scaling, say) is a new method with a
/// default here, and no kind has to change for it.
pub trait Part: Component<Msg, World> {
    /// Returns how many pieces of per-request state it holds beyond the
    /// records of the requests in flight (jobs kept after their request was
    /// answered, writes on their way to replicas, deadlines): counted against
    /// the in-flight guard rail, so that memory stays bounded by it.
    fn held(&self) -> usize {
        0
    }

    /// Replica `replica` stops: it loses what it holds and refuses new work.
    fn crash(&mut self, _replica: u32, _ctx: &mut Ctx<'_>) {}

    /// Replica `replica` is back (after its repair and boot), empty.
    fn recover(&mut self, _replica: u32, _ctx: &mut Ctx<'_>) {}

    /// Replica `replica` stays up but works `factor` times slower.
    fn slow_down(&mut self, _replica: u32, _factor: f64, _ctx: &mut Ctx<'_>) {}

    /// Replica `replica` works at its normal speed again.
    fn normal_speed(&mut self, _replica: u32, _ctx: &mut Ctx<'_>) {}
    /// A batch job has rebuilt what it holds: it fills with the entries it
    /// would hold in the long run, valid for `life` (a cache; every other
    /// kind ignores it).
    fn warm(&mut self, _life: SimTime, _ctx: &mut Ctx<'_>) {}

    /// Carries out `order`, replica by replica.
    fn obey(&mut self, order: Order, ctx: &mut Ctx<'_>) {
        if let Action::Warm { life_ms } = order.action {
            self.warm(SimTime::from_millis(u64::from(life_ms)), ctx);
            return;
        }
        for replica in addressed(order.replica, order.replicas) {
            match order.action {
                Action::Crash => self.crash(replica, ctx),
                Action::Recover => self.recover(replica, ctx),
                Action::Slow { factor_milli } => {
                    self.slow_down(replica, f64::from(factor_milli) / 1000.0, ctx)
                }
                Action::Normal => self.normal_speed(replica, ctx),
                Action::Warm { .. } => {}
            }
        }
    }
}

impl Component<Msg, World> for Box<dyn Part> {
    #[inline]
    fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
        self.as_mut().on_event(msg, ctx);
    }

    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        self.as_mut().on_start(ctx);
    }

    fn on_finish(&mut self, ctx: &mut Ctx<'_>) {
        self.as_mut().on_finish(ctx);
    }
}

impl Part for Box<dyn Part> {
    fn held(&self) -> usize {
        self.as_ref().held()
    }

    fn obey(&mut self, order: Order, ctx: &mut Ctx<'_>) {
        self.as_mut().obey(order, ctx);
    }
}

/// What a kind may know of the rest of the scenario while it reads its
/// settings: the request types, the component names and the key space.
pub struct SpecContext<'a> {
    /// The request types of the mix.
    pub types: &'a [RequestType],
    /// Every component name, in file order.
    pub names: &'a [String],
    /// The key space of the traffic, if it has one.
    pub keys: Option<&'a KeySpace>,
    /// The index of each component name, so that a name resolves at once.
    index: HashMap<&'a str, usize>,
}

impl<'a> SpecContext<'a> {
    /// Creates the context of a scenario with these request types, component
    /// names (in file order) and key space.
    pub fn new(types: &'a [RequestType], names: &'a [String], keys: Option<&'a KeySpace>) -> Self {
        let mut index = HashMap::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            index.entry(name.as_str()).or_insert(i);
        }
        Self {
            types,
            names,
            keys,
            index,
        }
    }

    /// Resolves a component name written at `path` to its index.
    pub fn resolve(&self, name: &str, path: &str) -> Result<usize, Issue> {
        self.index
            .get(name)
            .copied()
            .ok_or_else(|| Issue::new(path, no_such_component(name, self.names)))
    }

    /// Returns an issue at `path` when the traffic has no key space, which
    /// `what` (like "a cache") needs to tell requests apart.
    pub fn require_keys(&self, path: &str, what: &str) -> Option<Issue> {
        self.keys
            .is_none()
            .then(|| Issue::new(path, needs_keys(what)))
    }

    /// Resolves a request type name written at `path` to its index.
    pub fn request_type(&self, name: &str, path: &str) -> Result<usize, Issue> {
        self.types
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(|| Issue::new(path, self.not_a_type(name)))
    }

    /// Resolves where each request type goes, for a kind that forwards
    /// requests (a balancer, a proxy): `routes: {type: component}` (L7), with
    /// `targets` as the component of every type it does not name.
    ///
    /// `what` says what `targets` is (`the component to balance over`) in the
    /// message for a component that gives neither. Returns one component per
    /// request type, or pushes the issues found and returns an empty list.
    pub fn routes(
        &self,
        targets: Option<&str>,
        routes: Option<&IndexMap<String, String>>,
        path: &str,
        what: &str,
        issues: &mut Vec<Issue>,
    ) -> Vec<usize> {
        let before = issues.len();
        let default_target = targets.and_then(|t| {
            self.resolve(t, &join_key(path, "targets"))
                .map_err(|e| issues.push(e))
                .ok()
        });
        let mut chosen: Vec<Option<usize>> = vec![default_target; self.types.len()];
        for (kind, target) in routes.into_iter().flatten() {
            let route_path = join_key(&join_key(path, "routes"), kind);
            let t = self
                .request_type(kind, &route_path)
                .map_err(|e| issues.push(e))
                .ok();
            let c = self
                .resolve(target, &route_path)
                .map_err(|e| issues.push(e))
                .ok();
            if let (Some(t), Some(c)) = (t, c) {
                chosen[t] = Some(c);
            }
        }
        if targets.is_none() && routes.is_none() {
            issues.push(Issue::new(
                path,
                format!("missing field `targets` ({what}) or `routes`"),
            ));
        } else if issues.len() == before {
            for (t, route) in chosen.iter().enumerate() {
                if route.is_none() {
                    issues.push(Issue::new(
                        join_key(path, "routes"),
                        format!(
                            "no route for request type `{}` (add it, or give `targets` as the default)",
                            self.types[t].name
                        ),
                    ));
                }
            }
        }
        if issues.len() > before {
            return Vec::new();
        }
        chosen.into_iter().flatten().collect()
    }

    /// Returns the message for a request type name that is not in the mix.
    pub fn not_a_type(&self, name: &str) -> String {
        let names: Vec<&str> = self.types.iter().map(|t| t.name.as_str()).collect();
        format!(
            "`{name}` is not a request type; the types are {}",
            names.join(", ")
        )
    }
}

/// Returns the message for `what` (like "a cache"), which needs requests
/// with keys in a scenario whose traffic gives none.
pub fn needs_keys(what: &str) -> String {
    format!(
        "{what} needs requests with keys: add `traffic.keys`, like \
         keys: {{count: 100000, popularity: zipf, s: 0.9}}"
    )
}

/// What a part is given to build itself: its place, its random streams and
/// the facts of the other components, never their settings.
pub struct BuildContext<'a> {
    /// The index of the component being built (its `ComponentId` too).
    pub index: usize,
    /// The scenario's seed.
    pub seed: u64,
    /// The replication number, for the random streams.
    pub replication: u64,
    /// The measured window.
    pub window: Window,
    /// The facts of every component.
    pub topology: &'a Topology,
}

impl BuildContext<'_> {
    /// Returns the component's name.
    pub fn name(&self) -> &str {
        self.topology.name(self.index)
    }

    /// Returns the component's random stream for `purpose`.
    pub fn rng(&self, purpose: &str) -> SimRng {
        stream_rng(self.seed, self.replication, &[self.name(), purpose])
    }

    /// Returns true when component `other` runs on the same host as this one.
    pub fn colocated(&self, other: usize) -> bool {
        self.topology.colocated(self.index, other)
    }

    /// Returns the id of component `index`.
    pub fn id(&self, index: usize) -> ComponentId {
        ComponentId(index as u32)
    }

    /// Returns the number of replicas of component `other`.
    pub fn replicas_of(&self, other: usize) -> u32 {
        self.topology.replicas(other)
    }
}
