//! The facts of a scenario's components that any part may read: names, kinds,
//! machines, hosts and zones, never another component's settings.

use super::geography::{Geography, Placement};
use super::kinds::ComponentDecl;
use crate::engine::SimTime;

/// What the other components may know of the sessions a component keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionFacts {
    /// How long a session lasts idle.
    pub ttl: SimTime,
    /// The component that stores them (`None`: each machine keeps its own).
    pub store: Option<usize>,
}

/// The facts of one component.
#[derive(Clone, Debug, PartialEq)]
struct Node {
    name: String,
    kind: &'static str,
    replicas: u32,
    host: Option<String>,
    zones: Vec<String>,
    boot: SimTime,
    crashes: bool,
    slows_down: bool,
    sessions: Option<SessionFacts>,
}

/// The facts of every component of a scenario, in file order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Topology {
    nodes: Vec<Node>,
    /// Every zone name, in order of first appearance: a zone's id is its index.
    zone_names: Vec<String>,
    /// The regions, the latencies between them and the users' home regions.
    geography: Geography,
}

impl Topology {
    /// Collects the facts of `components`.
    pub fn of(components: &[ComponentDecl]) -> Self {
        let nodes: Vec<Node> = components
            .iter()
            .map(|c| Node {
                name: c.name.clone(),
                kind: c.spec.kind(),
                replicas: c.spec.replicas(),
                host: c.host.clone(),
                zones: c.zones.clone(),
                boot: c.boot,
                crashes: c.spec.crashes(),
                slows_down: c.spec.slows_down(),
                sessions: c.spec.sessions(),
            })
            .collect();
        let mut zone_names: Vec<String> = Vec::new();
        for zone in nodes.iter().flat_map(|n| &n.zones) {
            if !zone_names.contains(zone) {
                zone_names.push(zone.clone());
            }
        }
        Self {
            nodes,
            zone_names,
            geography: Geography::default(),
        }
    }

    /// Sets the regions, their latencies and the users' home regions, once
    /// the scenario has checked them.
    pub fn set_geography(&mut self, geography: Geography) {
        self.geography = geography;
    }

    /// Returns the regions, their latencies and the users' home regions.
    pub fn geography(&self) -> &Geography {
        &self.geography
    }

    /// Returns where the machines of component `i` are: in one region, in
    /// several, or nowhere (no machine, or a zone in no region).
    pub fn placement(&self, i: usize) -> Placement {
        let Some(node) = self.nodes.get(i) else {
            return Placement::Nowhere;
        };
        self.geography.placement(
            node.zones
                .iter()
                .map(|z| self.zone_id(z).unwrap_or(u16::MAX)),
        )
    }

    /// Returns the number of components.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Returns true when there is no component.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Returns the name of component `i`.
    pub fn name(&self, i: usize) -> &str {
        self.nodes.get(i).map_or("", |n| n.name.as_str())
    }

    /// Returns every component name, in file order.
    pub fn names(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.name.clone()).collect()
    }

    /// Returns the index of the component called `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.name == name)
    }

    /// Returns the kind of component `i`.
    pub fn kind(&self, i: usize) -> &'static str {
        self.nodes.get(i).map_or("", |n| n.kind)
    }

    /// Returns the number of machines of component `i`.
    pub fn replicas(&self, i: usize) -> u32 {
        self.nodes.get(i).map_or(0, |n| n.replicas)
    }

    /// Returns the host component `i` runs on, if it names one.
    pub fn host(&self, i: usize) -> Option<&str> {
        self.nodes.get(i).and_then(|n| n.host.as_deref())
    }

    /// Returns true when components `a` and `b` run on the same named host.
    pub fn colocated(&self, a: usize, b: usize) -> bool {
        self.host(a).is_some() && self.host(a) == self.host(b)
    }

    /// Returns the time a machine of component `i` takes to start after a repair.
    pub fn boot(&self, i: usize) -> SimTime {
        self.nodes.get(i).map_or(SimTime::ZERO, |n| n.boot)
    }

    /// Returns true if the machines of component `i` can crash.
    pub fn crashes(&self, i: usize) -> bool {
        self.nodes.get(i).is_some_and(|n| n.crashes)
    }

    /// Returns true if a `slow:` failure applies to component `i`.
    pub fn slows_down(&self, i: usize) -> bool {
        self.nodes.get(i).is_some_and(|n| n.slows_down)
    }

    /// Returns the idle lifetime of the sessions component `i` keeps, if it
    /// keeps any.
    pub fn session_ttl(&self, i: usize) -> Option<SimTime> {
        self.nodes.get(i).and_then(|n| n.sessions).map(|s| s.ttl)
    }

    /// Returns true if some component keeps its sessions in component `i`.
    pub fn is_session_store(&self, i: usize) -> bool {
        self.nodes
            .iter()
            .any(|n| n.sessions.is_some_and(|s| s.store == Some(i)))
    }

    /// Returns the zone of each replica of component `i`.
    pub fn zones(&self, i: usize) -> &[String] {
        self.nodes.get(i).map_or(&[], |n| n.zones.as_slice())
    }

    /// Returns every zone name, in order of first appearance: a zone's id is its index.
    pub fn zone_names(&self) -> &[String] {
        &self.zone_names
    }

    /// Returns the id of the zone called `name`.
    pub fn zone_id(&self, name: &str) -> Option<u16> {
        self.zone_names
            .iter()
            .position(|z| z == name)
            .map(|i| i as u16)
    }

    /// Returns the zone id of every replica of every component.
    pub fn zone_ids(&self) -> Vec<Vec<u16>> {
        self.nodes
            .iter()
            .map(|n| {
                n.zones
                    .iter()
                    .map(|z| self.zone_id(z).unwrap_or(0))
                    .collect()
            })
            .collect()
    }

    /// Returns the (component, replica) pairs placed in any of `zones`.
    pub fn replicas_in(&self, zones: &[String]) -> Vec<(usize, u32)> {
        let mut out = Vec::new();
        for (c, node) in self.nodes.iter().enumerate() {
            for (replica, zone) in node.zones.iter().enumerate() {
                if zones.contains(zone) {
                    out.push((c, replica as u32));
                }
            }
        }
        out
    }
}
