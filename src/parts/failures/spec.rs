//! The `failures:` section: its entries, their checks, and the validated
//! [`FailureSpec`] the schedule is built from.

use serde::Deserialize;
use serde_json::Value;

use crate::dist::{RawShape, Shape};
use crate::engine::SimTime;
use crate::parts::Topology;
use crate::spec::limits::MAX_SLOWDOWN;
use crate::spec::units::format_duration_exact;
use crate::spec::{join_index, join_key, no_such_component, parse_lenient, Duration, Issue};

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
        /// The zone or region as the file names it (for the time-series markers).
        name: String,
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

impl FailureSpec {
    /// Returns when it strikes, for the entries that strike at a set time.
    pub fn at(&self) -> Option<SimTime> {
        match self {
            FailureSpec::Crash { at, .. }
            | FailureSpec::PowerLoss { at, .. }
            | FailureSpec::Slow { at, .. }
            | FailureSpec::Partition { at, .. } => Some(*at),
            FailureSpec::Random { .. } => None,
        }
    }
}

/// Parses and checks `failures:` against the components (and their zones) of
/// a run that stops at `end` (when known). A failure at or after the end would
/// never happen: it is kept, with a warning (a run shortened with `--set
/// duration=...` is a common way to look quickly, and the warning says why
/// nothing fails).
pub fn parse(
    value: &Value,
    topology: &Topology,
    regions: &[(String, Vec<String>)],
    end: Option<SimTime>,
    issues: &mut Vec<Issue>,
    warnings: &mut Vec<Issue>,
) -> Vec<FailureSpec> {
    let Some(list) = value.as_array() else {
        issues.push(Issue::new("failures", "expected a list of failures"));
        return Vec::new();
    };
    let names = topology.names();
    let mut out = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        let path = join_index("failures", i);
        let before = out.len();
        parse_entry(entry, &path, topology, regions, &names, &mut out, issues);
        let at = out.get(before).and_then(FailureSpec::at);
        if let (Some(at), Some(end)) = (at, end) {
            if at >= end {
                warnings.push(Issue::new(
                    join_key(&path, "at"),
                    format!(
                        "{} is at or after the end of the run ({}): this failure never happens",
                        format_duration_exact(at),
                        format_duration_exact(end)
                    ),
                ));
            }
        }
    }
    out
}

/// Parses one entry of `failures:` at `path` into `out`.
fn parse_entry(
    entry: &Value,
    path: &str,
    topology: &Topology,
    regions: &[(String, Vec<String>)],
    names: &[String],
    out: &mut Vec<FailureSpec>,
    issues: &mut Vec<Issue>,
) {
    {
        let path = path.to_string();
        let kind = KINDS.iter().find(|k| entry.get(**k).is_some());
        let target = |name: &str, field: &str, issues: &mut Vec<Issue>| {
            let found = names.iter().position(|n| n == name);
            if found.is_none() {
                issues.push(Issue::new(
                    join_key(&path, field),
                    no_such_component(name, names),
                ));
            }
            found
        };
        let refuse = |t: usize, field: &str, what: &str, issues: &mut Vec<Issue>| {
            issues.push(Issue::new(
                join_key(&path, field),
                format!(
                    "`{}` is a {}: {what} does not apply to it",
                    names[t],
                    topology.kind(t)
                ),
            ));
        };
        let check_replica = |t: usize, replica: Option<u32>, issues: &mut Vec<Issue>| {
            let replicas = topology.replicas(t);
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
                    return;
                };
                let t = target(&raw.crash, "crash", issues);
                if let Some(t) = t.filter(|&t| !topology.crashes(t)) {
                    refuse(t, "crash", "a crash", issues);
                    return;
                }
                if let Some(t) = t {
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
                    return;
                };
                let region = regions.iter().find(|(name, _)| *name == raw.power_loss);
                let zones = match region {
                    Some((_, zones)) => zones.clone(),
                    None => vec![raw.power_loss.clone()],
                };
                // A zone named in `regions:` exists even with nothing in it yet
                // (declared to be filled later): its power loss stops nothing.
                let declared = regions.iter().any(|(_, zs)| zs.contains(&raw.power_loss));
                if region.is_none() && topology.zone_id(&raw.power_loss).is_none() && !declared {
                    let zones = topology.zone_names();
                    issues.push(Issue::new(
                        join_key(&path, "power_loss"),
                        format!(
                            "no component is placed in zone `{}` and no region has that name; \
                             the zones are {}",
                            raw.power_loss,
                            zones.join(", ")
                        ),
                    ));
                    return;
                }
                out.push(FailureSpec::PowerLoss {
                    at: raw.at.0,
                    name: raw.power_loss.clone(),
                    zones,
                    down: raw.down.map(|d| d.0),
                });
            }
            Some(&"slow") => {
                let Some(raw) = parse_lenient::<RawSlow>(entry, &path, issues) else {
                    return;
                };
                if !(raw.factor.is_finite() && raw.factor >= 1.0 && raw.factor <= MAX_SLOWDOWN) {
                    issues.push(Issue::new(
                        join_key(&path, "factor"),
                        format!(
                            "expected a slow-down factor from 1 to {MAX_SLOWDOWN:e}, found {}",
                            raw.factor
                        ),
                    ));
                }
                let t = target(&raw.slow, "slow", issues);
                if let Some(t) = t.filter(|&t| !topology.slows_down(t)) {
                    refuse(t, "slow", "a slow-down", issues);
                    return;
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
                    return;
                };
                let zone_names = topology.zone_names();
                let id = |name: &String| topology.zone_id(name);
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
                    return;
                };
                let law = match raw
                    .law
                    .as_ref()
                    .map_or(Ok(Shape::Exponential), RawShape::validate)
                {
                    Ok(law) => law,
                    Err(message) => {
                        issues.push(Issue::new(join_key(&path, "law"), message));
                        return;
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
                let t = target(&raw.random, "random", issues);
                if let Some(t) = t.filter(|&t| !topology.crashes(t)) {
                    refuse(t, "random", "a crash", issues);
                    return;
                }
                if let Some(t) = t {
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
}
