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
    /// The replicas of each component, which an order for all of them names.
    replicas: Vec<u32>,
    pending: Slab<Pending>,
    sources: Vec<RandomSource>,
    names: Vec<String>,
    boot: Vec<SimTime>,
    /// Labels of the partitions, for the markers.
    partition_labels: Vec<String>,
}

impl Injector {
    /// Prepares the schedule of `failures` over the components of
    /// `topology`, for replication `replication` of a scenario seeded `seed`.
    pub fn new(failures: &[FailureSpec], topology: &Topology, seed: u64, replication: u64) -> Self {
        let boot: Vec<SimTime> = (0..topology.len()).map(|c| topology.boot(c)).collect();
        let mut orders = Vec::new();
        let mut sources = Vec::new();
        let mut partition_labels = Vec::new();
        let order = |target: usize, replica: Option<u32>, action: Action| Pending::Order {
            target,
            replica: replica.unwrap_or(ANY_REPLICA),
            action,
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
                FailureSpec::PowerLoss { at, zones, down } => {
                    for (c, replica) in topology.replicas_in(zones) {
                        let replica = Some(replica);
                        orders.push((*at, order(c, replica, Action::Crash)));
                        if let Some(down) = down {
                            orders
                                .push((*at + *down + boot[c], order(c, replica, Action::Recover)));
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
            Msg::Control(Order {
                action,
                replica,
                replicas: self.replicas.get(target).copied().unwrap_or(0),
            }),
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

/// The failure schedule takes no orders of its own.
impl Part for Injector {}
