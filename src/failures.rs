//! The failure schedule: crashes, power losses and slow-downs, at set times or
//! at random (MTBF / MTTR), and the component that carries them out.
//!
//! The schedule sends each affected component a `Msg::Control` order; the
//! component decides what a crash means for it (a server loses the requests it
//! holds, a balancer pair fails over...). A machine comes back after its repair
//! time plus its component's `boot` time, empty.

use serde::Deserialize;
use serde_json::Value;
use slab::Slab;

use crate::dist::{RawShape, Shape};
use crate::engine::{stream_rng, Component, ComponentId, SimRng, SimTime};
use crate::error::Issue;
use crate::model::{Action, Ctx, Msg, World, ANY_REPLICA};
use crate::scenario::locate::{join_index, join_key};
use crate::scenario::{no_such_component, parse_lenient, ComponentDecl, Duration, Scenario};

/// One entry of `failures:`, validated.
#[derive(Clone, Debug)]
pub enum FailureSpec {
    /// A replica (or all replicas) of a component stops at `at`, for `down` (or for good).
    Crash {
        /// When.
        at: SimTime,
        /// Component index.
        target: usize,
        /// Replica, or all of them.
        replica: Option<u32>,
        /// How long before the repair (`None`: never repaired).
        down: Option<SimTime>,
    },
    /// Every machine placed in the zones of `name` (a zone, or a region) stops at `at`.
    PowerLoss {
        /// When.
        at: SimTime,
        /// The zones that lose power.
        zones: Vec<String>,
        /// How long before power is back (`None`: never).
        down: Option<SimTime>,
    },
    /// A replica (or all) works `factor` times slower: a gray failure.
    Slow {
        /// When.
        at: SimTime,
        /// Component index.
        target: usize,
        /// Replica, or all of them.
        replica: Option<u32>,
        /// Slow-down factor (above 1).
        factor: f64,
        /// How long (`None`: until the end).
        during: Option<SimTime>,
    },
    /// The network between two zones is cut: calls across fail, probes go unanswered.
    Partition {
        /// When.
        at: SimTime,
        /// The two zone ids.
        zones: (u16, u16),
        /// The two zone names (for the time-series markers).
        names: (String, String),
        /// How long (`None`: until the end).
        during: Option<SimTime>,
    },
    /// Every replica of a component fails and is repaired at random, independently.
    Random {
        /// Component index.
        target: usize,
        /// Mean time between failures.
        mtbf: SimTime,
        /// Mean time to repair.
        mttr: SimTime,
        /// Law of both times around their means.
        law: Shape,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCrash {
    at: Duration,
    crash: String,
    replica: Option<u32>,
    #[serde(rename = "for")]
    down: Option<Duration>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPowerLoss {
    at: Duration,
    power_loss: String,
    #[serde(rename = "for")]
    down: Option<Duration>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlow {
    at: Duration,
    slow: String,
    replica: Option<u32>,
    factor: f64,
    #[serde(rename = "for")]
    during: Option<Duration>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPartition {
    at: Duration,
    partition: Vec<String>,
    #[serde(rename = "for")]
    during: Option<Duration>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRandom {
    random: String,
    mtbf: Duration,
    mttr: Duration,
    law: Option<RawShape>,
}

/// The kinds of entries, by the key that names them.
const KINDS: &[&str] = &["crash", "power_loss", "slow", "partition", "random"];

/// Parses and checks `failures:` against the components (and their zones).
pub fn parse(
    value: &Value,
    components: &[ComponentDecl],
    regions: &[(String, Vec<String>)],
    issues: &mut Vec<Issue>,
) -> Vec<FailureSpec> {
    let Some(list) = value.as_array() else {
        issues.push(Issue::new("failures", "expected a list of failures"));
        return Vec::new();
    };
    let names: Vec<String> = components.iter().map(|c| c.name.clone()).collect();
    let mut out = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        let path = join_index("failures", i);
        let kind = KINDS.iter().find(|k| entry.get(**k).is_some());
        let target = |name: &str, field: &str, issues: &mut Vec<Issue>| {
            let found = names.iter().position(|n| n == name);
            if found.is_none() {
                issues.push(Issue::new(
                    join_key(&path, field),
                    no_such_component(name, &names),
                ));
            }
            found
        };
        let check_replica = |t: usize, replica: Option<u32>, issues: &mut Vec<Issue>| {
            let replicas = components[t].spec.replicas();
            if let Some(r) = replica.filter(|&r| r >= replicas) {
                issues.push(Issue::new(
                    join_key(&path, "replica"),
                    format!("`{}` has replicas 0 to {}, not {r}", names[t], replicas - 1),
                ));
            }
        };
        match kind {
            Some(&"crash") => {
                let Some(raw) = parse_lenient::<RawCrash>(entry, &path, issues) else {
                    continue;
                };
                if let Some(t) = target(&raw.crash, "crash", issues) {
                    check_replica(t, raw.replica, issues);
                    out.push(FailureSpec::Crash {
                        at: raw.at.0,
                        target: t,
                        replica: raw.replica,
                        down: raw.down.map(|d| d.0),
                    });
                }
            }
            Some(&"power_loss") => {
                let Some(raw) = parse_lenient::<RawPowerLoss>(entry, &path, issues) else {
                    continue;
                };
                let region = regions.iter().find(|(name, _)| *name == raw.power_loss);
                let zones = match region {
                    Some((_, zones)) => zones.clone(),
                    None => vec![raw.power_loss.clone()],
                };
                if region.is_none() && !components.iter().any(|c| c.zones.contains(&raw.power_loss))
                {
                    let zones = zone_names(components);
                    issues.push(Issue::new(
                        join_key(&path, "power_loss"),
                        format!(
                            "no component is placed in zone `{}` and no region has that name; \
                             the zones are {}",
                            raw.power_loss,
                            zones.join(", ")
                        ),
                    ));
                    continue;
                }
                out.push(FailureSpec::PowerLoss {
                    at: raw.at.0,
                    zones,
                    down: raw.down.map(|d| d.0),
                });
            }
            Some(&"slow") => {
                let Some(raw) = parse_lenient::<RawSlow>(entry, &path, issues) else {
                    continue;
                };
                if !(raw.factor.is_finite() && raw.factor >= 1.0 && raw.factor <= 1e6) {
                    issues.push(Issue::new(
                        join_key(&path, "factor"),
                        format!(
                            "expected a slow-down factor of at least 1, found {}",
                            raw.factor
                        ),
                    ));
                }
                let t = target(&raw.slow, "slow", issues);
                if let Some(t) = t.filter(|&t| components[t].spec.kind() != "server") {
                    issues.push(Issue::new(
                        join_key(&path, "slow"),
                        format!(
                            "`{}` is a {}: slow-downs apply to servers",
                            names[t],
                            components[t].spec.kind()
                        ),
                    ));
                    continue;
                }
                if let Some(t) = t {
                    check_replica(t, raw.replica, issues);
                    out.push(FailureSpec::Slow {
                        at: raw.at.0,
                        target: t,
                        replica: raw.replica,
                        factor: raw.factor,
                        during: raw.during.map(|d| d.0),
                    });
                }
            }
            Some(&"partition") => {
                let Some(raw) = parse_lenient::<RawPartition>(entry, &path, issues) else {
                    continue;
                };
                let zone_names = zone_names(components);
                let id =
                    |name: &String| zone_names.iter().position(|z| z == name).map(|i| i as u16);
                match raw.partition.as_slice() {
                    [a, b] if a != b => match (id(a), id(b)) {
                        (Some(x), Some(y)) => out.push(FailureSpec::Partition {
                            at: raw.at.0,
                            zones: (x, y),
                            names: (a.clone(), b.clone()),
                            during: raw.during.map(|d| d.0),
                        }),
                        _ => issues.push(Issue::new(
                            join_key(&path, "partition"),
                            format!(
                                "expected two zones where components are placed; the zones are {}",
                                zone_names.join(", ")
                            ),
                        )),
                    },
                    _ => issues.push(Issue::new(
                        join_key(&path, "partition"),
                        "expected two different zones, like [zone-a, zone-b]",
                    )),
                }
            }
            Some(_) => {
                let Some(raw) = parse_lenient::<RawRandom>(entry, &path, issues) else {
                    continue;
                };
                let law = match raw
                    .law
                    .as_ref()
                    .map_or(Ok(Shape::Exponential), RawShape::validate)
                {
                    Ok(law) => law,
                    Err(message) => {
                        issues.push(Issue::new(join_key(&path, "law"), message));
                        continue;
                    }
                };
                for (field, value) in [("mtbf", raw.mtbf.0), ("mttr", raw.mttr.0)] {
                    if value == SimTime::ZERO {
                        issues.push(Issue::new(
                            join_key(&path, field),
                            "expected a positive duration, found 0",
                        ));
                    }
                }
                if let Some(t) = target(&raw.random, "random", issues) {
                    out.push(FailureSpec::Random {
                        target: t,
                        mtbf: raw.mtbf.0,
                        mttr: raw.mttr.0,
                        law,
                    });
                }
            }
            None => issues.push(Issue::new(
                path.clone(),
                format!(
                    "expected one of {} with its settings, like {{at: 3m, crash: web, for: 30s}}",
                    KINDS.join(", ")
                ),
            )),
        }
    }
    out
}

/// Returns every zone name in order of first appearance (the zone ids).
fn zone_names(components: &[ComponentDecl]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for zone in components.iter().flat_map(|c| &c.zones) {
        if !names.contains(zone) {
            names.push(zone.clone());
        }
    }
    names
}

/// A pending order of the schedule.
#[derive(Clone, Copy, Debug)]
enum Pending {
    /// Send `action` to `replica` of `target`.
    Order {
        target: usize,
        replica: u32,
        action: Action,
    },
    /// Cut (or mend) the network between two zones.
    Partition {
        zones: (u16, u16),
        cut: bool,
        label: usize,
    },
    /// A random failure of one replica (then its repair, then the next failure).
    RandomFail { source: usize, replica: u32 },
    /// The repair of a random failure.
    RandomRepair { source: usize, replica: u32 },
}

/// One `random:` entry while it runs, with one stream per replica.
struct RandomSource {
    target: usize,
    mtbf: f64,
    mttr: f64,
    law: Shape,
    rngs: Vec<SimRng>,
}

/// Carries out the failure schedule.
pub struct Injector {
    orders: Vec<(SimTime, Pending)>,
    pending: Slab<Pending>,
    sources: Vec<RandomSource>,
    names: Vec<String>,
    boot: Vec<SimTime>,
    /// Labels of the partitions, for the markers.
    partition_labels: Vec<String>,
}

impl Injector {
    /// Prepares the schedule of `scenario` for one replication.
    pub fn new(scenario: &Scenario, replication: u64) -> Self {
        let boot: Vec<SimTime> = scenario.components.iter().map(|c| c.boot).collect();
        let mut orders = Vec::new();
        let mut sources = Vec::new();
        let mut partition_labels = Vec::new();
        let order = |target: usize, replica: Option<u32>, action: Action| Pending::Order {
            target,
            replica: replica.unwrap_or(ANY_REPLICA),
            action,
        };
        for failure in &scenario.failures {
            match failure {
                FailureSpec::Crash {
                    at,
                    target,
                    replica,
                    down,
                } => {
                    orders.push((*at, order(*target, *replica, Action::Crash)));
                    if let Some(down) = down {
                        orders.push((
                            *at + *down + boot[*target],
                            order(*target, *replica, Action::Recover),
                        ));
                    }
                }
                FailureSpec::PowerLoss { at, zones, down } => {
                    for (c, decl) in scenario.components.iter().enumerate() {
                        for (replica, z) in decl.zones.iter().enumerate() {
                            if zones.contains(z) {
                                let replica = Some(replica as u32);
                                orders.push((*at, order(c, replica, Action::Crash)));
                                if let Some(down) = down {
                                    orders.push((
                                        *at + *down + boot[c],
                                        order(c, replica, Action::Recover),
                                    ));
                                }
                            }
                        }
                    }
                }
                FailureSpec::Slow {
                    at,
                    target,
                    replica,
                    factor,
                    during,
                } => {
                    let factor_milli = (factor * 1000.0).round() as u32;
                    orders.push((*at, order(*target, *replica, Action::Slow { factor_milli })));
                    if let Some(during) = during {
                        orders.push((*at + *during, order(*target, *replica, Action::Normal)));
                    }
                }
                FailureSpec::Partition {
                    at,
                    zones,
                    names,
                    during,
                } => {
                    let label = partition_labels.len();
                    partition_labels.push(format!("{} | {}", names.0, names.1));
                    let cut = |cut| Pending::Partition {
                        zones: *zones,
                        cut,
                        label,
                    };
                    orders.push((*at, cut(true)));
                    if let Some(during) = during {
                        orders.push((*at + *during, cut(false)));
                    }
                }
                FailureSpec::Random {
                    target,
                    mtbf,
                    mttr,
                    law,
                } => {
                    let decl = &scenario.components[*target];
                    let rngs = (0..decl.spec.replicas())
                        .map(|r| {
                            let replica = r.to_string();
                            stream_rng(
                                scenario.seed,
                                replication,
                                &[&decl.name, "failures", &replica],
                            )
                        })
                        .collect();
                    sources.push(RandomSource {
                        target: *target,
                        mtbf: mtbf.0 as f64,
                        mttr: mttr.0 as f64,
                        law: law.clone(),
                        rngs,
                    });
                }
            }
        }
        Self {
            orders,
            pending: Slab::new(),
            sources,
            names: scenario.components.iter().map(|c| c.name.clone()).collect(),
            boot,
            partition_labels,
        }
    }

    fn set(&mut self, delay: SimTime, pending: Pending, ctx: &mut Ctx<'_>) {
        let key = self.pending.insert(pending) as u64;
        ctx.schedule_self(delay, Msg::Timer(key));
    }

    /// Draws a time around `mean` nanoseconds from a random source's law.
    fn draw(&mut self, source: usize, replica: u32, mean: f64) -> SimTime {
        let s = &mut self.sources[source];
        let rng = &mut s.rngs[replica as usize];
        SimTime::from_nanos_f64(mean * s.law.sample(rng)).max(SimTime(1))
    }

    fn send(&self, target: usize, replica: u32, action: Action, ctx: &mut Ctx<'_>) {
        let label = match action {
            Action::Crash => Some("down"),
            Action::Recover => Some("back up"),
            Action::Slow { .. } => Some("slow"),
            Action::Normal => Some("normal speed"),
        };
        if let Some(label) = label {
            let which = if replica == ANY_REPLICA {
                String::new()
            } else {
                format!("[{replica}]")
            };
            let now = ctx.now();
            ctx.shared
                .recorder
                .mark(now, format!("{}{which} {label}", self.names[target]));
        }
        ctx.send(
            ComponentId(target as u32),
            SimTime::ZERO,
            Msg::Control { action, replica },
        );
    }
}

impl Component<Msg, World> for Injector {
    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        let orders = std::mem::take(&mut self.orders);
        for (at, pending) in orders {
            self.set(at, pending, ctx);
        }
        for source in 0..self.sources.len() {
            for replica in 0..self.sources[source].rngs.len() as u32 {
                let mean = self.sources[source].mtbf;
                let delay = self.draw(source, replica, mean);
                self.set(delay, Pending::RandomFail { source, replica }, ctx);
            }
        }
    }

    fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
        let Msg::Timer(key) = msg else { return };
        let Some(pending) = self.pending.try_remove(key as usize) else {
            return;
        };
        match pending {
            Pending::Order {
                target,
                replica,
                action,
            } => self.send(target, replica, action, ctx),
            Pending::Partition { zones, cut, label } => {
                let now = ctx.now();
                let text = self
                    .partition_labels
                    .get(label)
                    .cloned()
                    .unwrap_or_default();
                if cut {
                    ctx.shared.partitions.push(zones);
                    ctx.shared.recorder.mark(now, format!("network cut {text}"));
                } else {
                    if let Some(i) = ctx.shared.partitions.iter().position(|&z| z == zones) {
                        ctx.shared.partitions.remove(i);
                    }
                    ctx.shared
                        .recorder
                        .mark(now, format!("network mended {text}"));
                }
            }
            Pending::RandomFail { source, replica } => {
                let target = self.sources[source].target;
                self.send(target, replica, Action::Crash, ctx);
                let mean = self.sources[source].mttr;
                let repair = self.draw(source, replica, mean) + self.boot[target];
                self.set(repair, Pending::RandomRepair { source, replica }, ctx);
            }
            Pending::RandomRepair { source, replica } => {
                let target = self.sources[source].target;
                self.send(target, replica, Action::Recover, ctx);
                let mean = self.sources[source].mtbf;
                let next = self.draw(source, replica, mean);
                self.set(next, Pending::RandomFail { source, replica }, ctx);
            }
        }
    }
}
