//! Builds the simulation of one run from a scenario: the parts, the world
//! they share, and the network between them.

use crate::engine::{stream_rng, ComponentId, SimTime, Simulation};
use crate::metrics::{Recorder, Window};
use crate::model::Msg;
use crate::parts::cron::Cron;
use crate::parts::failures::Injector;
use crate::parts::geography::{Placement, NO_REGION};
use crate::parts::traffic::{Client, ClientStreams, Source};
use crate::parts::world::{Latencies, CLIENT_SIDE, NO_HOST};
use crate::parts::{AnyPart, BuildContext, World};
use crate::scenario::Scenario;
use crate::spec::limits::MAX_TYPES_WITH_FIGURES;

/// Returns the price per hour of every machine of the scenario.
pub fn cost_per_hour(scenario: &Scenario) -> f64 {
    scenario
        .components
        .iter()
        .map(|c| c.spec.cost_per_hour())
        .sum()
}

/// Marks the moments a time series should show: the end of the warm-up and
/// every change of the arrival rate.
fn mark_schedule(scenario: &Scenario, recorder: &mut Recorder) {
    if scenario.warmup > SimTime::ZERO {
        recorder.mark(scenario.warmup, "end of warm-up");
    }
    for segment in scenario.traffic.schedule.iter().skip(1) {
        if segment.start < scenario.duration {
            let label = if segment.from == segment.to {
                format!("rate {:.0}/s", segment.from)
            } else {
                format!("ramp to {:.0}/s", segment.to)
            };
            recorder.mark(segment.start, label);
        }
    }
}

/// The simulation of one run, as the runner drives it.
pub type Run = Simulation<Msg, World, AnyPart>;

/// Builds the simulation of one replication: components in file order, then
/// the failure schedule (if any), the batch jobs (if any), then the clients.
pub fn build(scenario: &Scenario, replication: u64, window: Window) -> Run {
    let mut recorder = Recorder::new(window, scenario.duration, scenario.slo);
    let types = &scenario.traffic.types;
    if (2..=MAX_TYPES_WITH_FIGURES).contains(&types.len()) {
        recorder.track_types(types.iter().map(|t| t.name.clone()));
    }
    mark_schedule(scenario, &mut recorder);
    let topology = &scenario.topology;
    let world = World::new(recorder, latencies(scenario), topology.zone_ids());
    let mut sim = Simulation::new(world);
    for (index, decl) in scenario.components.iter().enumerate() {
        let bx = BuildContext {
            index,
            seed: scenario.seed,
            replication,
            window,
            topology,
        };
        sim.add(decl.spec.build(&bx));
    }
    let streams = ClientStreams {
        arrivals: stream_rng(scenario.seed, replication, &["traffic", "arrivals"]),
        mix: stream_rng(scenario.seed, replication, &["traffic", "mix"]),
        // Users living in regions make their requests' way depend on who sends them.
        users: (scenario.components.iter().any(|c| c.spec.uses_user_ids())
            || !scenario.traffic.origins.is_empty())
        .then(|| stream_rng(scenario.seed, replication, &["traffic", "users"])),
        work: stream_rng(scenario.seed, replication, &["traffic", "work"]),
        retries: stream_rng(scenario.seed, replication, &["traffic", "retries"]),
        keys: stream_rng(scenario.seed, replication, &["traffic", "keys"]),
        think: stream_rng(scenario.seed, replication, &["traffic", "think"]),
    };
    if let Source::Closed(closed) = scenario.traffic.source {
        sim.shared.recorder.closed_loop(closed.users, closed.think);
    }
    if !scenario.failures.is_empty() {
        sim.add(AnyPart::Injector(Injector::new(
            &scenario.failures,
            topology,
            scenario.seed,
            replication,
        )));
    }
    if !scenario.cron.is_empty() {
        sim.add(AnyPart::Cron(Cron::new(
            &scenario.cron,
            topology,
            scenario.duration,
            window,
        )));
    }
    let entry = ComponentId(scenario.entry as u32);
    sim.shared.clients = sim.next_id();
    sim.add(AnyPart::Client(Client::new(
        &scenario.traffic,
        entry,
        scenario.duration,
        streams,
    )));
    sim
}

/// The latencies between the components: IPC on a shared host, the network
/// otherwise (or the regions' between regions), and the per-link overrides
/// first; components without machines sit on the clients' side.
fn latencies(scenario: &Scenario) -> Latencies {
    let topology = &scenario.topology;
    let mut hosts: Vec<&str> = Vec::new();
    let host_ids = (0..topology.len())
        .map(|c| match topology.host(c) {
            _ if topology.replicas(c) == 0 => CLIENT_SIDE,
            None => NO_HOST,
            Some(host) => match hosts.iter().position(|h| *h == host) {
                Some(i) => i as u32,
                None => {
                    hosts.push(host);
                    (hosts.len() - 1) as u32
                }
            },
        })
        .collect();
    let regions = (0..topology.len())
        .map(|c| match topology.placement(c) {
            Placement::In(region) => region,
            Placement::Nowhere | Placement::Spread => NO_REGION,
        })
        .collect();
    Latencies::new(
        scenario.network.latency,
        scenario.network.ipc,
        host_ids,
        &scenario.network.links,
    )
    .with_regions(regions, topology.geography().clone())
}
