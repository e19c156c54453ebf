//! The registry of component kinds.
//!
//! Each kind lives in its own module with its settings (`Spec`), their
//! validation, the simulated behaviour and its unit tests. Adding a kind means
//! writing that module and adding one variant and one line to each `match` here,
//! and one variant to [`Part`] and its `each_part!` list.

pub mod cache;
pub mod database;
pub mod lifecycle;
pub mod load_balancer;
pub mod machine;
pub mod server;
pub mod station;

use serde_json::Value;

use crate::engine::{stream_rng, Component, ComponentId, SimRng, SimTime};
use crate::error::Issue;
use crate::failures::Injector;
use crate::keys::KeySpace;
use crate::metrics::Window;
use crate::model::{Ctx, Msg, World};
use crate::scenario::locate::join_key;
use crate::scenario::{ComponentDecl, RequestType, Scenario};
use crate::traffic::Client;

/// The kinds a scenario may use, as written in `kind:`.
pub const KINDS: &[&str] = &["server", "load_balancer", "cache", "database"];

/// Fields every kind accepts, read here rather than by each kind.
const COMMON_FIELDS: &[&str] = &["kind", "host", "zone", "zones", "boot"];

/// The zone of components that do not name one.
pub const DEFAULT_ZONE: &str = "default";

/// A component's validated settings, by kind.
#[derive(Clone, Debug)]
pub enum ComponentSpec {
    /// `kind: server`
    Server(server::Spec),
    /// `kind: load_balancer`
    LoadBalancer(load_balancer::Spec),
    /// `kind: cache`
    Cache(cache::Spec),
    /// `kind: database`
    Database(database::Spec),
}

/// What a kind needs to know about the rest of the scenario while validating.
pub struct SpecContext<'a> {
    /// The request types of the mix.
    pub types: &'a [RequestType],
    /// Every component name, in file order.
    pub names: &'a [String],
    /// The key space of the traffic, if it has one.
    pub keys: Option<&'a KeySpace>,
}

impl SpecContext<'_> {
    /// Resolves a component name written at `path` to its index.
    pub fn resolve(&self, name: &str, path: &str) -> Result<usize, Issue> {
        self.names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| Issue::new(path, crate::scenario::no_such_component(name, self.names)))
    }

    /// Returns an issue at `path` when the traffic has no key space, which
    /// `what` (like "a cache") needs to tell requests apart.
    pub fn require_keys(&self, path: &str, what: &str) -> Option<Issue> {
        self.keys.is_none().then(|| {
            Issue::new(
                path,
                format!(
                    "{what} needs requests with keys: add `traffic.keys`, like \
                     keys: {{count: 100000, popularity: zipf, s: 0.9}}"
                ),
            )
        })
    }

    /// Resolves a request type name written at `path` to its index.
    pub fn request_type(&self, name: &str, path: &str) -> Result<usize, Issue> {
        self.types
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = self.types.iter().map(|t| t.name.as_str()).collect();
                Issue::new(
                    path,
                    format!(
                        "`{name}` is not a request type; the types are {}",
                        names.join(", ")
                    ),
                )
            })
    }
}

/// Parses one entry of `components:`.
pub fn parse(
    name: &str,
    body: &Value,
    path: &str,
    cx: &SpecContext<'_>,
) -> Result<ComponentDecl, Vec<Issue>> {
    let Some(map) = body.as_object() else {
        return Err(vec![Issue::new(
            path,
            "expected a mapping with at least `kind`",
        )]);
    };
    let kind = match map.get("kind") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(other) => {
            return Err(vec![Issue::new(
                join_key(path, "kind"),
                format!("expected a kind name, found {other}"),
            )])
        }
        None => {
            return Err(vec![Issue::new(
                path,
                format!("missing field `kind` (one of {})", KINDS.join(", ")),
            )])
        }
    };
    let host = match map.get("host") {
        None => None,
        Some(Value::String(h)) => Some(h.clone()),
        Some(other) => {
            return Err(vec![Issue::new(
                join_key(path, "host"),
                format!("expected a host name, found {other}"),
            )])
        }
    };
    let mut rest = map.clone();
    for field in COMMON_FIELDS {
        rest.remove(*field);
    }
    let rest = Value::Object(rest);
    let spec = match kind {
        "server" => server::parse(&rest, path, cx).map(ComponentSpec::Server),
        "load_balancer" => load_balancer::parse(&rest, path, cx).map(ComponentSpec::LoadBalancer),
        "cache" => cache::parse(&rest, path, cx).map(ComponentSpec::Cache),
        "database" => database::parse(&rest, path, cx).map(ComponentSpec::Database),
        other => Err(vec![Issue::new(
            join_key(path, "kind"),
            format!(
                "unknown kind `{other}`, expected one of {}",
                KINDS.join(", ")
            ),
        )]),
    }?;
    let zones = placement(map, path, spec.replicas())?;
    let boot = match map.get("boot") {
        None => SimTime::ZERO,
        Some(value) => {
            crate::scenario::parse_value::<crate::scenario::Duration>(
                value,
                &join_key(path, "boot"),
            )
            .map_err(|e| vec![e])?
            .0
        }
    };
    Ok(ComponentDecl {
        name: name.to_string(),
        host,
        zones,
        boot,
        spec,
    })
}

/// Reads `zone: a` (every replica in a) or `zones: [a, b]` (replica i in
/// zone i modulo the list) into one zone per replica.
fn placement(
    map: &serde_json::Map<String, Value>,
    path: &str,
    replicas: u32,
) -> Result<Vec<String>, Vec<Issue>> {
    let zones: Vec<String> = match (map.get("zone"), map.get("zones")) {
        (Some(_), Some(_)) => {
            return Err(vec![Issue::new(
                join_key(path, "zones"),
                "give `zone` or `zones`, not both",
            )])
        }
        (Some(Value::String(z)), None) => vec![z.clone()],
        (Some(other), None) => {
            return Err(vec![Issue::new(
                join_key(path, "zone"),
                format!("expected a zone name, found {other}"),
            )])
        }
        (None, Some(Value::Array(list))) if !list.is_empty() => list
            .iter()
            .map(|z| match z {
                Value::String(z) => Ok(z.clone()),
                other => Err(vec![Issue::new(
                    join_key(path, "zones"),
                    format!("expected zone names, found {other}"),
                )]),
            })
            .collect::<Result<_, _>>()?,
        (None, Some(other)) => {
            return Err(vec![Issue::new(
                join_key(path, "zones"),
                format!("expected a list of zone names, found {other}"),
            )])
        }
        (None, None) => vec![DEFAULT_ZONE.to_string()],
    };
    Ok((0..replicas as usize)
        .map(|i| zones[i % zones.len()].clone())
        .collect())
}

impl ComponentSpec {
    /// Returns the kind's name.
    pub fn kind(&self) -> &'static str {
        match self {
            ComponentSpec::Server(_) => "server",
            ComponentSpec::LoadBalancer(_) => "load_balancer",
            ComponentSpec::Cache(_) => "cache",
            ComponentSpec::Database(_) => "database",
        }
    }

    /// Returns true if the component looks at the user id of a request (a
    /// balancer that hashes it): the clients draw user ids only then.
    pub fn uses_user_ids(&self) -> bool {
        match self {
            ComponentSpec::LoadBalancer(b) => b.strategy == load_balancer::StrategyKind::IpHash,
            ComponentSpec::Server(_) | ComponentSpec::Cache(_) | ComponentSpec::Database(_) => {
                false
            }
        }
    }

    /// Returns the number of replicas (machines) of the component.
    pub fn replicas(&self) -> u32 {
        match self {
            ComponentSpec::Server(s) => s.replicas,
            ComponentSpec::LoadBalancer(b) => b.ha.members(),
            ComponentSpec::Cache(c) => c.replicas,
            ComponentSpec::Database(d) => d.nodes(),
        }
    }

    /// Returns the price per hour of all its replicas.
    pub fn cost_per_hour(&self) -> f64 {
        let per_machine = match self {
            ComponentSpec::Server(s) => s.station.price_per_hour,
            ComponentSpec::LoadBalancer(b) => b.station.price_per_hour,
            ComponentSpec::Cache(c) => c.price_per_hour,
            ComponentSpec::Database(d) => d.station.price_per_hour,
        };
        per_machine * f64::from(self.replicas())
    }

    /// Returns the components this one sends requests to.
    pub fn downstream(&self) -> Vec<usize> {
        let mut out = match self {
            ComponentSpec::Server(s) => s.calls.iter().flatten().copied().collect(),
            ComponentSpec::LoadBalancer(b) => b.routes.clone(),
            ComponentSpec::Cache(c) => vec![c.backend],
            ComponentSpec::Database(_) => Vec::new(),
        };
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Checks the settings that depend on other components.
    pub fn check_against(&self, path: &str, all: &[ComponentDecl]) -> Vec<Issue> {
        match self {
            ComponentSpec::Server(_) | ComponentSpec::Cache(_) | ComponentSpec::Database(_) => {
                Vec::new()
            }
            ComponentSpec::LoadBalancer(b) => b.check_against(path, all),
        }
    }

    /// Builds the simulated component.
    pub fn build(&self, bx: &BuildContext<'_>) -> Part {
        match self {
            ComponentSpec::Server(s) => Part::Server(server::Server::new(s, bx)),
            ComponentSpec::LoadBalancer(b) => {
                Part::LoadBalancer(load_balancer::LoadBalancer::new(b, bx))
            }
            ComponentSpec::Cache(c) => Part::Cache(cache::Cache::new(c, bx)),
            ComponentSpec::Database(d) => Part::Database(database::Database::new(d, bx)),
        }
    }
}

/// Every part of a running model, components and the client side alike.
///
/// The engine hands each event to its part through this enum: a `match` that
/// the compiler sees through and can inline, where a `Box<dyn Component>`
/// would cost an indirect call per event and hide the handler from the
/// optimiser.
pub enum Part {
    /// A `server` component.
    Server(server::Server),
    /// A `load_balancer` component.
    LoadBalancer(load_balancer::LoadBalancer),
    /// A `cache` component.
    Cache(cache::Cache),
    /// A `database` component.
    Database(database::Database),
    /// The failure schedule.
    Injector(Injector),
    /// The clients.
    Client(Client),
}

/// Calls `$call` on the component inside a [`Part`], whatever its type.
macro_rules! each_part {
    ($part:expr, $c:ident => $call:expr) => {
        match $part {
            Part::Server($c) => $call,
            Part::LoadBalancer($c) => $call,
            Part::Cache($c) => $call,
            Part::Database($c) => $call,
            Part::Injector($c) => $call,
            Part::Client($c) => $call,
        }
    };
}

impl Component<Msg, World> for Part {
    #[inline]
    fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
        each_part!(self, c => c.on_event(msg, ctx))
    }

    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        each_part!(self, c => c.on_start(ctx))
    }

    fn on_finish(&mut self, ctx: &mut Ctx<'_>) {
        each_part!(self, c => c.on_finish(ctx))
    }
}

/// What a component needs from the scenario while it is built.
pub struct BuildContext<'a> {
    /// The whole scenario.
    pub scenario: &'a Scenario,
    /// The index of the component being built (its `ComponentId` too).
    pub index: usize,
    /// The replication number, for the random streams.
    pub replication: u64,
    /// The measured window.
    pub window: Window,
}

impl BuildContext<'_> {
    /// Returns the component's name.
    pub fn name(&self) -> &str {
        &self.scenario.components[self.index].name
    }

    /// Returns the component's random stream for `purpose`.
    pub fn rng(&self, purpose: &str) -> SimRng {
        stream_rng(
            self.scenario.seed,
            self.replication,
            &[self.name(), purpose],
        )
    }

    /// Returns true when component `other` runs on the same host as this one.
    pub fn colocated(&self, other: usize) -> bool {
        let me = &self.scenario.components[self.index].host;
        me.is_some() && *me == self.scenario.components[other].host
    }

    /// Returns the id of component `index`.
    pub fn id(&self, index: usize) -> ComponentId {
        ComponentId(index as u32)
    }
}
