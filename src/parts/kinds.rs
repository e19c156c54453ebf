//! The registry of component kinds: one list, from which every per-kind
//! dispatch is generated.
//!
//! Each kind lives in its own module (`kinds/<name>.rs`, with a folder beside
//! it when it has helpers): its settings implement [`Kind`] and its running
//! part implements [`Part`]. Adding a kind is writing that module and adding
//! one line to the `kinds!` list at the bottom of this file.
//!
//! Kinds defined outside the crate join through a [`Registry`]: their
//! settings are kept behind a pointer ([`ComponentSpec::Custom`]) and their
//! parts are called through one boxed variant ([`AnyPart::Custom`]), while the
//! built-in kinds keep a `match` the compiler can inline.

use std::sync::Arc;

use serde_json::Value;

use super::cron::Cron;
use super::failures::Injector;
use super::kind::{BuildContext, DynKind, Kind, Part, SpecContext};
use super::topology::{SessionFacts, Topology};
use super::traffic::Client;
use super::world::{Ctx, World};
use crate::engine::{Component, SimTime};
use crate::metrics::{measure, Gauge, Measure};
use crate::model::{Msg, Order};
use crate::spec::lenient::EMPTY_FIELD;
use crate::spec::{join_index, join_key, parse as parse_value, Duration, Issue};

/// Fields every kind accepts, read here rather than by each kind.
const COMMON_FIELDS: &[&str] = &["kind", "host", "zone", "zones", "boot"];

/// The zone of components that do not name one.
pub const DEFAULT_ZONE: &str = "default";

/// One named component of a scenario.
#[derive(Clone, Debug)]
pub struct ComponentDecl {
    /// Its name in the file.
    pub name: String,
    /// The machine it runs on; components with the same host talk by IPC.
    pub host: Option<String>,
    /// The zone (data centre, rack, power domain) of each replica.
    pub zones: Vec<String>,
    /// Time a replica takes to start after a repair.
    pub boot: SimTime,
    /// Its kind and settings.
    pub spec: ComponentSpec,
}

/// Generates, from the list of built-in kinds (`Variant => module`): the
/// kinds' modules, [`KINDS`], the [`ComponentSpec`] enum of settings, the
/// [`AnyPart`] enum of running parts and every `match` over them.
macro_rules! kinds {
    ($($variant:ident => $module:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// The built-in kinds, as written in `kind:`.
        pub const KINDS: &[&str] = &[$(<$module::Spec as Kind>::NAME),*];

        /// A component's validated settings, by kind.
        #[derive(Clone, Debug)]
        pub enum ComponentSpec {
            $(
                #[doc = concat!("`kind: ", stringify!($module), "`")]
                $variant($module::Spec),
            )*
            /// A kind registered from outside the crate (see [`Registry`]).
            Custom(Arc<dyn DynKind>),
        }

        impl ComponentSpec {
            /// Returns the settings as a [`DynKind`], for the facts every kind answers.
            fn facts(&self) -> &dyn DynKind {
                match self {
                    $(ComponentSpec::$variant(spec) => spec,)*
                    ComponentSpec::Custom(spec) => spec.as_ref(),
                }
            }

            /// Builds the part that simulates the component in one run.
            pub fn build(&self, bx: &BuildContext<'_>) -> AnyPart {
                match self {
                    $(ComponentSpec::$variant(spec) => AnyPart::$variant(Kind::build(spec, bx)),)*
                    ComponentSpec::Custom(spec) => AnyPart::Custom(spec.build_boxed(bx)),
                }
            }
        }

        /// Reads the settings of a built-in kind called `kind`, or returns
        /// `None` when no built-in kind has that name.
        fn parse_builtin(
            kind: &str,
            body: &Value,
            path: &str,
            cx: &SpecContext<'_>,
        ) -> Option<Result<ComponentSpec, Vec<Issue>>> {
            $(
                if kind == <$module::Spec as Kind>::NAME {
                    return Some(<$module::Spec as Kind>::parse(body, path, cx).map(ComponentSpec::$variant));
                }
            )*
            None
        }

        /// Returns what the built-in kind called `kind` measures.
        pub fn builtin_measures(kind: &str) -> Option<&'static [&'static Measure]> {
            $(
                if kind == <$module::Spec as Kind>::NAME {
                    return Some(<$module::Spec as Kind>::MEASURES);
                }
            )*
            None
        }

        /// Returns the gauges the built-in kind called `kind` puts into the time series.
        pub fn builtin_gauges(kind: &str) -> Option<&'static [&'static Gauge]> {
            $(
                if kind == <$module::Spec as Kind>::NAME {
                    return Some(<$module::Spec as Kind>::GAUGES);
                }
            )*
            None
        }

        /// Returns the declaration of a built-in kind's figure whose key is `key`.
        fn builtin_measure(key: &str) -> Option<&'static Measure> {
            $(
                if let Some(m) = <$module::Spec as Kind>::MEASURES.iter().find(|m| m.matches(key)) {
                    return Some(m);
                }
            )*
            None
        }

        /// Every part of a running model: the components, the failure
        /// schedule and the clients.
        ///
        /// The engine hands each event to its part through this enum: a
        /// `match` that the compiler sees through and can inline, where a
        /// `Box<dyn Part>` would cost an indirect call per event and hide the
        /// handler from the optimiser. Only kinds defined outside the crate
        /// pay that price, through [`AnyPart::Custom`].
        ///
        /// The parts differ in size (a server with call plans is the
        /// largest), and boxing the large ones would add the indirection
        /// this enum exists to avoid: a run holds one part per component,
        /// so the unused bytes of the small ones cost nothing that grows.
        #[allow(clippy::large_enum_variant)]
        pub enum AnyPart {
            $(
                #[doc = concat!("A `", stringify!($module), "` component.")]
                $variant(<$module::Spec as Kind>::Part),
            )*
            /// A component of a kind registered from outside the crate.
            Custom(Box<dyn Part>),
            /// The failure schedule.
            Injector(Injector),
            /// The clients.
            Client(Client),
            /// The batch jobs of `cron:`.
            Cron(Cron),
        }

        impl Component<Msg, World> for AnyPart {
            #[inline]
            fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
                // Orders reach a part through its `Part` methods, whose
                // defaults let a kind ignore what does not concern it.
                if let Msg::Control(order) = msg {
                    self.obey(order, ctx);
                    return;
                }
                match self {
                    $(AnyPart::$variant(part) => part.on_event(msg, ctx),)*
                    AnyPart::Custom(part) => part.on_event(msg, ctx),
                    AnyPart::Injector(part) => part.on_event(msg, ctx),
                    AnyPart::Client(part) => part.on_event(msg, ctx),
                    AnyPart::Cron(part) => part.on_event(msg, ctx),
                }
            }

            fn on_start(&mut self, ctx: &mut Ctx<'_>) {
                match self {
                    $(AnyPart::$variant(part) => part.on_start(ctx),)*
                    AnyPart::Custom(part) => part.on_start(ctx),
                    AnyPart::Injector(part) => part.on_start(ctx),
                    AnyPart::Client(part) => part.on_start(ctx),
                    AnyPart::Cron(part) => part.on_start(ctx),
                }
            }

            fn on_finish(&mut self, ctx: &mut Ctx<'_>) {
                match self {
                    $(AnyPart::$variant(part) => part.on_finish(ctx),)*
                    AnyPart::Custom(part) => part.on_finish(ctx),
                    AnyPart::Injector(part) => part.on_finish(ctx),
                    AnyPart::Client(part) => part.on_finish(ctx),
                    AnyPart::Cron(part) => part.on_finish(ctx),
                }
            }
        }

        impl AnyPart {
            /// Returns the per-request state the part holds beyond the request records.
            pub fn held(&self) -> usize {
                match self {
                    $(AnyPart::$variant(part) => part.held(),)*
                    AnyPart::Custom(part) => part.held(),
                    AnyPart::Injector(part) => part.held(),
                    AnyPart::Client(part) => part.held(),
                    AnyPart::Cron(part) => part.held(),
                }
            }

            /// Carries out an order of the failure schedule.
            fn obey(&mut self, order: Order, ctx: &mut Ctx<'_>) {
                match self {
                    $(AnyPart::$variant(part) => part.obey(order, ctx),)*
                    AnyPart::Custom(part) => part.obey(order, ctx),
                    AnyPart::Injector(part) => part.obey(order, ctx),
                    AnyPart::Client(part) => part.obey(order, ctx),
                    AnyPart::Cron(part) => part.obey(order, ctx),
                }
            }
        }
    };
}

// The registry: one line per built-in kind, in the order `KINDS` lists them.
kinds! {
    Server => server,
    LoadBalancer => load_balancer,
    Cache => cache,
    Database => database,
    Proxy => proxy,
    Dns => dns,
    Queue => queue,
    Function => function,
}

impl ComponentSpec {
    /// Returns the kind's name.
    pub fn kind(&self) -> &'static str {
        self.facts().name()
    }

    /// Returns what the kind measures beyond the figures of every component.
    pub fn measures(&self) -> &'static [&'static Measure] {
        self.facts().measures()
    }

    /// Describes the component's settings in a few words each, for
    /// `scalesim explain` ([`Kind::sketch`]).
    pub fn sketch(&self, topology: &Topology) -> Vec<String> {
        self.facts().sketch(topology)
    }

    /// Returns true if the component looks at the user id of a request (a
    /// balancer that hashes it): the clients draw user ids only then.
    pub fn uses_user_ids(&self) -> bool {
        self.facts().uses_user_ids()
    }

    /// Returns the number of replicas (machines) of the component.
    pub fn replicas(&self) -> u32 {
        self.facts().replicas()
    }

    /// Returns what the others may know of the sessions it keeps, if any.
    pub fn sessions(&self) -> Option<SessionFacts> {
        self.facts().sessions()
    }

    /// Returns the queue the component consumes, if it is a worker of one.
    pub fn consumes(&self) -> Option<usize> {
        self.facts().consumes()
    }

    /// Returns true if the component is a message queue.
    pub fn is_queue(&self) -> bool {
        self.facts().is_queue()
    }

    /// Returns true if the component's machines can crash.
    pub fn crashes(&self) -> bool {
        self.facts().crashes()
    }

    /// Returns true if a `slow:` failure applies to the component.
    pub fn slows_down(&self) -> bool {
        self.facts().slows_down()
    }

    /// Returns the price per hour of all its replicas.
    pub fn cost_per_hour(&self) -> f64 {
        self.facts().price_per_hour() * f64::from(self.replicas())
    }

    /// Returns the components this one sends requests to, sorted, each once.
    pub fn downstream(&self) -> Vec<usize> {
        let mut out = self.facts().downstream();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Checks the settings that depend on other components.
    pub fn check_against(&self, path: &str, topology: &Topology) -> Vec<Issue> {
        self.facts().check_against(path, topology)
    }

    /// Returns warnings for settings written but left unused.
    pub fn unused(&self, path: &str) -> Vec<Issue> {
        self.facts().unused(path)
    }
}

/// Returns the declaration of the figure at `path` in the results of a run
/// (a figure of every run, of every component, or of a built-in kind), or
/// [`measure::OTHER`] for a path nobody declares.
pub fn measure_of(path: &[String]) -> &'static Measure {
    declaration(path).unwrap_or(&measure::OTHER)
}

/// Returns the declaration of the figure at `path` in the results of a run
/// (a figure of every run, of every component, or of a built-in kind), if
/// there is one.
pub fn declaration(path: &[String]) -> Option<&'static Measure> {
    match path {
        [head, _, key] if head == "components" => measure::COMPONENT
            .iter()
            .copied()
            .find(|m| m.key == key)
            .or_else(|| builtin_measure(key)),
        // A kind's family of keys (`job_latency_ms.p99`), split at its dot.
        [head, _, rest @ ..] if head == "components" && rest.len() > 1 => {
            builtin_measure(&rest.join("."))
        }
        _ => measure::core(&path.join(".")),
    }
}

/// Reads the settings of a kind defined outside the crate.
type ParseFn = fn(&Value, &str, &SpecContext<'_>) -> Result<Arc<dyn DynKind>, Vec<Issue>>;

/// A kind registered from outside the crate.
#[derive(Clone, Copy)]
struct CustomKind {
    name: &'static str,
    measures: &'static [&'static Measure],
    parse: ParseFn,
}

/// Reads the settings of kind `K`, behind a pointer.
fn parse_custom<K: Kind>(
    body: &Value,
    path: &str,
    cx: &SpecContext<'_>,
) -> Result<Arc<dyn DynKind>, Vec<Issue>> {
    K::parse(body, path, cx).map(|spec| Arc::new(spec) as Arc<dyn DynKind>)
}

/// The kinds a scenario may use: the built-in ones, and those a program
/// adds with [`Registry::with`].
///
/// A built-in kind keeps its name: a kind added under the name of a built-in
/// one, or of one added before it, is never chosen.
#[derive(Clone, Default)]
pub struct Registry {
    custom: Vec<CustomKind>,
}

impl Registry {
    /// Returns the registry of the built-in kinds only.
    pub fn builtin() -> Self {
        Self::default()
    }

    /// Adds kind `K`, so that scenarios read with this registry may use
    /// `kind: K::NAME`.
    pub fn with<K: Kind>(mut self) -> Self {
        self.custom.push(CustomKind {
            name: K::NAME,
            measures: K::MEASURES,
            parse: parse_custom::<K>,
        });
        self
    }

    /// Returns the name of every kind, the built-in ones first.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = KINDS.to_vec();
        for kind in &self.custom {
            if !names.contains(&kind.name) {
                names.push(kind.name);
            }
        }
        names
    }

    /// Returns what the kind called `kind` measures.
    pub fn measures(&self, kind: &str) -> Option<&'static [&'static Measure]> {
        builtin_measures(kind).or_else(|| {
            self.custom
                .iter()
                .find(|k| k.name == kind)
                .map(|k| k.measures)
        })
    }

    /// Reads one entry of `components:` (the component called `name`, at `path`).
    pub fn parse(
        &self,
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
        let empty: Vec<Issue> = COMMON_FIELDS
            .iter()
            .filter(|f| map.get(**f).is_some_and(Value::is_null))
            .map(|f| Issue::new(join_key(path, f), EMPTY_FIELD))
            .collect();
        if !empty.is_empty() {
            return Err(empty);
        }
        let kind = match map.get("kind") {
            Some(Value::String(kind)) => kind.as_str(),
            Some(other) => {
                return Err(vec![Issue::text_expected(
                    join_key(path, "kind"),
                    "a kind name",
                    other,
                )])
            }
            None => {
                return Err(vec![Issue::new(
                    path,
                    format!("missing field `kind` (one of {})", self.names().join(", ")),
                )])
            }
        };
        let host = match map.get("host") {
            None => None,
            Some(Value::String(h)) => Some(h.clone()),
            Some(other) => {
                return Err(vec![Issue::text_expected(
                    join_key(path, "host"),
                    "a host name",
                    other,
                )])
            }
        };
        let mut rest = map.clone();
        for field in COMMON_FIELDS {
            rest.remove(*field);
        }
        let spec = self.parse_spec(kind, &Value::Object(rest), path, cx)?;
        if spec.replicas() == 0 {
            // A component without machines (a DNS) is the clients' side.
            let placed: Vec<Issue> = ["host", "zone", "zones", "boot"]
                .iter()
                .filter(|f| map.contains_key(**f))
                .map(|f| {
                    Issue::new(
                        join_key(path, f),
                        format!(
                            "a {kind} has no machines (it stands for the clients' side), \
                             so it takes no `{f}`"
                        ),
                    )
                })
                .collect();
            if !placed.is_empty() {
                return Err(placed);
            }
        }
        let zones = placement(map, path, spec.replicas())?;
        let boot = match map.get("boot") {
            None => SimTime::ZERO,
            Some(value) => {
                parse_value::<Duration>(value, &join_key(path, "boot"))
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

    /// Reads the settings of kind `kind`.
    fn parse_spec(
        &self,
        kind: &str,
        body: &Value,
        path: &str,
        cx: &SpecContext<'_>,
    ) -> Result<ComponentSpec, Vec<Issue>> {
        if let Some(parsed) = parse_builtin(kind, body, path, cx) {
            return parsed;
        }
        match self.custom.iter().find(|k| k.name == kind) {
            Some(custom) => (custom.parse)(body, path, cx).map(ComponentSpec::Custom),
            None => Err(vec![Issue::new(
                join_key(path, "kind"),
                format!(
                    "unknown kind `{kind}`, expected one of {}",
                    self.names().join(", ")
                ),
            )]),
        }
    }
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
            return Err(vec![Issue::text_expected(
                join_key(path, "zone"),
                "a zone name",
                other,
            )])
        }
        (None, Some(Value::Array(list))) if !list.is_empty() => list
            .iter()
            .enumerate()
            .map(|(i, z)| match z {
                Value::String(z) => Ok(z.clone()),
                other => Err(vec![Issue::text_expected(
                    join_index(&join_key(path, "zones"), i),
                    "a zone name",
                    other,
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
