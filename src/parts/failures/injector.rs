//! The part of a run that carries out the failure schedule.

use slab::Slab;

use super::spec::FailureSpec;
use crate::dist::Shape;
use crate::engine::{stream_rng, Component, ComponentId, SimRng, SimTime};
use crate::model::{Action, Msg, Order, ANY_REPLICA};
use crate::parts::{Ctx, Part, Topology, World};

/// A pending order of the schedule.
#[derive(Clone, Copy, Debug)]
enum Pending {
    /// Send `action` to `replica` of `target`.
    Order {
        target: usize,
        replica: u32,
        action: Action,
        mark: Mark,
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

/// How an order shows on the time series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    /// By the machine it concerns (`web[3] down`).
    Machine,
    /// By the label of that number (`power lost in zone-a`): the first order
    /// of a power loss speaks for the machines of the zone.
    Label(usize),
    /// Not at all: another order of the same moment speaks for it.
    Silent,
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
    /// The replicas of each component, which an order for all of them names.
    replicas: Vec<u32>,
    pending: Slab<Pending>,
    sources: Vec<RandomSource>,
    names: Vec<String>,
    boot: Vec<SimTime>,
    /// Labels of the partitions and power losses, for the markers.
    labels: Vec<String>,
}

impl Injector {
    /// Prepares the schedule of `failures` over the components of
    /// `topology`, for replication `replication` of a scenario seeded `seed`.
    pub fn new(failures: &[FailureSpec], topology: &Topology, seed: u64, replication: u64) -> Self {
        let boot: Vec<SimTime> = (0..topology.len()).map(|c| topology.boot(c)).collect();
        let mut orders = Vec::new();
        let mut sources = Vec::new();
        let mut labels = Vec::new();
        let order = |target: usize, replica: Option<u32>, action: Action| Pending::Order {
            target,
            replica: replica.unwrap_or(ANY_REPLICA),
            action,
            mark: Mark::Machine,
        };
        for failure in failures {
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
                FailureSpec::PowerLoss {
                    at,
                    name,
                    zones,
                    down,
                } => power_loss(
                    (*at, *down),
                    name,
                    &topology.replicas_in(zones),
                    topology,
                    &mut labels,
                    &mut orders,
                ),
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
                    let label = labels.len();
                    labels.push(format!("{} | {}", names.0, names.1));
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
                    let name = topology.name(*target);
                    let rngs = (0..topology.replicas(*target))
                        .map(|r| {
                            let replica = r.to_string();
                            stream_rng(seed, replication, &[name, "failures", &replica])
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
            names: topology.names(),
            replicas: (0..topology.len()).map(|c| topology.replicas(c)).collect(),
            boot,
            labels,
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

    fn send(&self, target: usize, replica: u32, action: Action, mark: Mark, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        match mark {
            Mark::Machine => {
                let label = match action {
                    Action::Crash => "down",
                    Action::Recover => "back up",
                    Action::Slow { .. } => "slow",
                    Action::Normal => "normal speed",
                    Action::Warm { .. } => "warmed",
                };
                let which = if replica == ANY_REPLICA {
                    String::new()
                } else {
                    format!("[{replica}]")
                };
                ctx.shared
                    .recorder
                    .mark(now, format!("{}{which} {label}", self.names[target]));
            }
            Mark::Label(i) => {
                let label = self.labels.get(i).cloned().unwrap_or_default();
                ctx.shared.recorder.mark(now, label);
            }
            Mark::Silent => {}
        }
        ctx.send(
            ComponentId(target as u32),
            SimTime::ZERO,
            Msg::Control(Order {
                action,
                replica,
                replicas: self.replicas.get(target).copied().unwrap_or(0),
            }),
        );
    }
}

/// Schedules a power loss at `when.0` (and the return of power after
/// `when.1`) on `machines`, the (component, replica) pairs placed in its
/// zones. One marker speaks for the zone's machines going down, and one for
/// their coming back up (after their boot): `zone-a back up`, or, when the
/// components of the zone boot for different times, one per component
/// (`db back up in zone-a`). One marker per machine would bury the time
/// series under labels.
fn power_loss(
    when: (SimTime, Option<SimTime>),
    name: &str,
    machines: &[(usize, u32)],
    topology: &Topology,
    labels: &mut Vec<String>,
    orders: &mut Vec<(SimTime, Pending)>,
) {
    let (at, down) = when;
    let back = |c: usize| down.map(|down| at + down + topology.boot(c));
    let one_time = machines
        .iter()
        .all(|&(c, _)| back(c) == back(machines[0].0));
    let lost = labels.len();
    labels.push(format!("power lost in {name}"));
    let mut announced: Vec<usize> = Vec::new();
    for (i, &(c, replica)) in machines.iter().enumerate() {
        let order = |action, mark| Pending::Order {
            target: c,
            replica,
            action,
            mark,
        };
        let mark = if i == 0 {
            Mark::Label(lost)
        } else {
            Mark::Silent
        };
        orders.push((at, order(Action::Crash, mark)));
        let Some(back) = back(c) else { continue };
        let mark = if announced.contains(&c) || (one_time && i > 0) {
            Mark::Silent
        } else {
            announced.push(c);
            labels.push(if one_time {
                format!("{name} back up")
            } else {
                format!("{} back up in {name}", topology.name(c))
            });
            Mark::Label(labels.len() - 1)
        };
        orders.push((back, order(Action::Recover, mark)));
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
                mark,
            } => self.send(target, replica, action, mark, ctx),
            Pending::Partition { zones, cut, label } => {
                let now = ctx.now();
                let text = self.labels.get(label).cloned().unwrap_or_default();
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
                self.send(target, replica, Action::Crash, Mark::Machine, ctx);
                let mean = self.sources[source].mttr;
                let repair = self.draw(source, replica, mean) + self.boot[target];
                self.set(repair, Pending::RandomRepair { source, replica }, ctx);
            }
            Pending::RandomRepair { source, replica } => {
                let target = self.sources[source].target;
                self.send(target, replica, Action::Recover, Mark::Machine, ctx);
                let mean = self.sources[source].mtbf;
                let next = self.draw(source, replica, mean);
                self.set(next, Pending::RandomFail { source, replica }, ctx);
            }
        }
    }
}

/// The failure schedule takes no orders of its own.
impl Part for Injector {}

#[cfg(test)]
mod tests {
    use crate::runner;
    use crate::scenario::load_text;

    /// Returns the labels of the markers of a run of `yaml`, in time order.
    fn markers(yaml: &str) -> Vec<String> {
        let s = load_text(yaml, "t", &[]).unwrap();
        let run = runner::simulate(&s, 0);
        run.series.markers.iter().map(|m| m.label.clone()).collect()
    }

    #[test]
    fn a_power_loss_is_marked_once_for_its_zone_not_once_per_machine() {
        let yaml = "name: zone
duration: 60s
warmup: 1s
traffic: {rate: 50/s}
entry: lb
components:
  lb:
    kind: load_balancer
    zone: edge
    targets: web
    health_check: {interval: 1s, timeout: 500ms, unhealthy_after: 2, healthy_after: 2}
  web: {kind: server, replicas: 6, zones: [zone-a, zone-b], work: 1ms, boot: 5s}
failures:
  - {at: 10s, power_loss: zone-a, for: 20s}
";
        let labels = markers(yaml);
        let count = |label: &str| labels.iter().filter(|l| *l == label).count();
        assert_eq!(count("power lost in zone-a"), 1, "{labels:?}");
        assert_eq!(count("zone-a back up"), 1, "{labels:?}");
        assert_eq!(count("lb marks 3 replicas unhealthy"), 1, "{labels:?}");
        assert_eq!(count("lb marks 3 replicas healthy again"), 1, "{labels:?}");
        assert!(!labels.iter().any(|l| l.contains("web[")), "{labels:?}");
        // Components that boot for different times are named as they come back.
        let mixed = yaml.replace("    zone: edge\n", "    zones: [zone-a]\n    boot: 1s\n");
        let labels = markers(&mixed);
        assert!(
            labels.contains(&"lb back up in zone-a".to_string()),
            "{labels:?}"
        );
        assert!(
            labels.contains(&"web back up in zone-a".to_string()),
            "{labels:?}"
        );
        // A crash of one machine still names it.
        let crash = yaml.replace(
            "{at: 10s, power_loss: zone-a, for: 20s}",
            "{at: 10s, crash: web, replica: 2, for: 20s}",
        );
        let labels = markers(&crash);
        assert!(labels.contains(&"web[2] down".to_string()), "{labels:?}");
        assert!(
            labels.contains(&"lb marks replica 2 unhealthy".to_string()),
            "{labels:?}"
        );
    }
}
