//! The checks of a scenario that look at several components at once:
//! regions and their zones, settings that depend on other components, hosts
//! shared by components, and cycles of calls.

use serde_json::Value;

use super::raw::RawLink;
use crate::engine::SimTime;
use crate::parts::geography::Placement;
use crate::parts::kinds::DEFAULT_ZONE;
use crate::parts::{ComponentDecl, Topology};
use crate::spec::{join_index, join_key, parse_lenient, Issue};

/// Checks that every region of `traffic.origins` is one of `regions:`.
pub fn check_origins(
    origins: &[(String, f64)],
    regions: &[(String, Vec<String>)],
    issues: &mut Vec<Issue>,
) {
    for (region, _) in origins {
        if !regions.iter().any(|(r, _)| r == region) {
            issues.push(Issue::new(
                join_key("traffic.origins", region),
                no_such_region(region, regions),
            ));
        }
    }
}

/// Returns the message for a region name that `regions:` does not define.
fn no_such_region(region: &str, regions: &[(String, Vec<String>)]) -> String {
    let known: Vec<&str> = regions.iter().map(|(r, _)| r.as_str()).collect();
    let expected = if known.is_empty() {
        "a `regions:` section that groups zones into regions, like regions: {eu: [zone-a]}"
            .to_string()
    } else {
        format!("one of the regions: {}", known.join(", "))
    };
    format!("no region is called `{region}`: expected {expected}")
}

/// Reads `network.regions: [{between: [eu, us], latency: 45ms}]` into
/// (region, region, latency) by the regions' indices: each entry names two
/// different regions of `regions:`, each pair once, and when any pair is
/// given every pair must be, so that no hop between regions silently costs
/// the ordinary latency.
pub fn check_region_latencies(
    raw: &[RawLink],
    regions: &[(String, Vec<String>)],
    issues: &mut Vec<Issue>,
) -> Vec<(usize, usize, SimTime)> {
    let mut out: Vec<(usize, usize, SimTime)> = Vec::new();
    let mut given: Vec<(usize, usize, usize)> = Vec::new();
    let before = issues.len();
    for (i, link) in raw.iter().enumerate() {
        let path = join_key(&join_index("network.regions", i), "between");
        if link.between.len() != 2 || link.between[0] == link.between[1] {
            issues.push(Issue::new(
                path,
                "expected two different region names, like [eu, us]",
            ));
            continue;
        }
        let ends: Vec<Option<usize>> = link
            .between
            .iter()
            .map(|name| {
                let found = regions.iter().position(|(r, _)| r == name);
                if found.is_none() {
                    issues.push(Issue::new(&path, no_such_region(name, regions)));
                }
                found
            })
            .collect();
        let (Some(a), Some(b)) = (ends[0], ends[1]) else {
            continue;
        };
        let pair = (a.min(b), a.max(b));
        if let Some(&(_, _, first)) = given.iter().find(|g| (g.0, g.1) == pair) {
            issues.push(Issue::new(
                path,
                format!(
                    "the latency between `{}` and `{}` is already given by network.regions[{first}]",
                    link.between[0], link.between[1]
                ),
            ));
            continue;
        }
        given.push((pair.0, pair.1, i));
        out.push((a, b, link.latency.0));
    }
    if raw.is_empty() || issues.len() > before {
        return out;
    }
    for a in 0..regions.len() {
        for b in a + 1..regions.len() {
            if !given.iter().any(|g| (g.0, g.1) == (a, b)) {
                let (x, y) = (&regions[a].0, &regions[b].0);
                issues.push(Issue::new(
                    "network.regions",
                    format!(
                        "no latency between `{x}` and `{y}`: give one for every pair of \
                         regions, like {{between: [{x}, {y}], latency: 80ms}}"
                    ),
                ));
            }
        }
    }
    out
}

/// With latencies between regions, checks that every component with
/// machines sits in one region: each hop's latency is then known when it
/// is sent, before the callee chooses which of its machines serves it.
pub fn check_geography(topology: &Topology, issues: &mut Vec<Issue>) {
    if !topology.geography().has_latencies() {
        return;
    }
    let regions = topology.geography();
    for c in 0..topology.len() {
        let zones = topology.zones(c);
        if zones.is_empty() {
            continue;
        }
        let path = join_key("components", topology.name(c));
        match topology.placement(c) {
            Placement::In(_) => {}
            Placement::Nowhere => {
                let lost = zones
                    .iter()
                    .find(|z| {
                        topology
                            .zone_id(z)
                            .is_none_or(|id| regions.region_of_zone(id) == u16::MAX)
                    })
                    .map_or("", String::as_str);
                issues.push(Issue::new(path, no_region(topology, c, lost)));
            }
            Placement::Spread => {
                let mut names: Vec<&str> = Vec::new();
                for z in zones {
                    let region = topology.zone_id(z).map(|id| regions.region_of_zone(id));
                    if let Some(name) = region.and_then(|r| regions.names().get(r as usize)) {
                        if !names.contains(&name.as_str()) {
                            names.push(name);
                        }
                    }
                }
                issues.push(Issue::new(
                    path,
                    format!(
                        "its machines are in regions {}: with latencies between regions \
                         (network.regions) a component sits in one region; give each region \
                         a component of its own",
                        names.join(" and ")
                    ),
                ));
            }
        }
    }
}

/// Returns the message for component `c`, whose zone `lost` is in no region
/// while hops between regions have latencies.
///
/// A component without `zone:` is in zone `default`, which the message says
/// rather than naming a zone the file never wrote. A function, though it
/// has no machines of the scenario's, is placed too: its region sets the
/// latency of the calls to it, so it needs a `zone:` like a server.
fn no_region(topology: &Topology, c: usize, lost: &str) -> String {
    let rule = "with latencies between regions (network.regions) every component's zone \
                must be in one of `regions:`";
    if lost != DEFAULT_ZONE {
        return format!("zone `{lost}` is in no region: {rule}");
    }
    let why = if topology.kind(c) == "function" {
        " (a function runs on the platform's machines, but its region sets the latency \
         of the calls to it)"
    } else {
        ""
    };
    format!(
        "no `zone:` is given, so it is in zone `{DEFAULT_ZONE}`, which is in no region: \
         {rule}; add `zone:` with a zone of `regions:`{why}"
    )
}

/// Refuses calls to a component without machines (a DNS): it stands for
/// the clients' side, so only the clients reach it, as the `entry` (one that
/// is not the entry would never be used).
pub fn check_callees(components: &[ComponentDecl], entry: Option<usize>, issues: &mut Vec<Issue>) {
    for (i, c) in components.iter().enumerate() {
        if c.spec.replicas() == 0 && entry.is_some_and(|e| e != i) {
            issues.push(Issue::new(
                join_key("components", &c.name),
                format!(
                    "a {} answers the clients only, so it must be the `entry` (entry: {})",
                    c.spec.kind(),
                    c.name
                ),
            ));
        }
    }
    for c in components {
        for d in c.spec.downstream() {
            let Some(callee) = components.get(d) else {
                continue;
            };
            if callee.spec.replicas() == 0 {
                issues.push(Issue::new(
                    join_key("components", &c.name),
                    format!(
                        "`{}` sends requests to `{}`, which has no machines: a {} answers \
                         the clients only (make it the `entry`)",
                        c.name,
                        callee.name,
                        callee.spec.kind()
                    ),
                ));
            }
        }
    }
}

/// Checks the workers of queues: `consumes` names a queue; a worker has no
/// other traffic (it is not the entry and nobody sends it requests); every
/// queue has a worker.
pub fn check_consumers(
    components: &[ComponentDecl],
    entry: Option<usize>,
    issues: &mut Vec<Issue>,
) {
    for (i, c) in components.iter().enumerate() {
        let Some(q) = c.spec.consumes() else { continue };
        let path = join_key(&join_key("components", &c.name), "consumes");
        if let Some(queue) = components.get(q).filter(|q| !q.spec.is_queue()) {
            issues.push(Issue::new(
                &path,
                format!(
                    "`{}` is a {}, not a queue: `consumes` names a component of `kind: queue`",
                    queue.name,
                    queue.spec.kind()
                ),
            ));
        }
        if entry == Some(i) {
            issues.push(Issue::new(
                &path,
                format!(
                    "`{}` takes its jobs from a queue, so it cannot be the `entry`: a worker \
                     has no other traffic",
                    c.name
                ),
            ));
        }
        for caller in components
            .iter()
            .filter(|o| o.spec.downstream().contains(&i))
        {
            issues.push(Issue::new(
                &path,
                format!(
                    "`{}` sends requests to `{}`, which takes its jobs from a queue: a worker \
                     has no other traffic (publish to the queue instead)",
                    caller.name, c.name
                ),
            ));
        }
    }
    for (i, q) in components.iter().enumerate() {
        if q.spec.is_queue() && !components.iter().any(|c| c.spec.consumes() == Some(i)) {
            issues.push(Issue::new(
                join_key("components", &q.name),
                format!(
                    "nobody consumes queue `{}`: add `consumes: {}` to a server, whose cores \
                     then take its jobs",
                    q.name, q.name
                ),
            ));
        }
    }
}

/// Reads `regions: {eu: [zone-a, zone-b]}`: every zone named belongs to one
/// region only. A zone that holds no component is a warning, not a mistake:
/// it may be declared to fail it (a power loss of it stops nothing) or to
/// fill it later.
pub fn check_regions(
    value: Option<&Value>,
    topology: &Topology,
    (issues, warnings): (&mut Vec<Issue>, &mut Vec<Issue>),
) -> Vec<(String, Vec<String>)> {
    let Some(value) = value else {
        return Vec::new();
    };
    let Some(raw) =
        parse_lenient::<indexmap::IndexMap<String, Vec<String>>>(value, "regions", issues)
    else {
        return Vec::new();
    };
    let mut seen: Vec<&String> = Vec::new();
    for (region, zones) in &raw {
        let path = join_key("regions", region);
        if topology.zone_id(region).is_some() {
            issues.push(Issue::new(
                &path,
                format!(
                    "`{region}` is already the name of a zone: a region needs a name of its own \
                     (a power loss naming it would be ambiguous)"
                ),
            ));
        }
        if zones.is_empty() {
            issues.push(Issue::new(&path, "expected a list of zones"));
        }
        for zone in zones {
            if topology.zone_id(zone).is_none() {
                warnings.push(Issue::new(
                    &path,
                    format!(
                        "no component is placed in zone `{zone}` (yet): a power loss of it \
                         stops nothing"
                    ),
                ));
            }
            if seen.contains(&zone) {
                issues.push(Issue::new(
                    &path,
                    format!("zone `{zone}` is already in another region"),
                ));
            }
            seen.push(zone);
        }
    }
    raw.into_iter().collect()
}

/// Checks settings that depend on other components (like weights per replica).
pub fn check_links(components: &[ComponentDecl], topology: &Topology, issues: &mut Vec<Issue>) {
    for c in components {
        let path = join_key("components", &c.name);
        issues.extend(c.spec.check_against(&path, topology));
    }
}

/// Components on one host are one machine per replica, so replica counts must agree.
pub fn check_hosts(components: &[ComponentDecl], issues: &mut Vec<Issue>) {
    for (i, a) in components.iter().enumerate() {
        let Some(host) = &a.host else { continue };
        if let Some(b) = components[..i]
            .iter()
            .find(|b| b.host.as_ref() == Some(host))
        {
            if a.spec.replicas() != b.spec.replicas() {
                issues.push(Issue::new(
                    format!("components.{}.host", a.name),
                    format!(
                        "`{}` has {} replicas but `{}` on the same host `{host}` has {}: \
                         co-located components need the same number of replicas (one per machine)",
                        a.name,
                        a.spec.replicas(),
                        b.name,
                        b.spec.replicas()
                    ),
                ));
            }
        }
    }
}

/// Returns where the work of each component goes next: its calls and
/// balancer targets, and, for a queue, the workers that consume it (a
/// publish becomes their job). Built once, so that a walk of the graph
/// looks each component up in O(1) instead of scanning for its workers.
fn next_hops(cs: &[ComponentDecl]) -> Vec<Vec<usize>> {
    let mut hops: Vec<Vec<usize>> = cs.iter().map(|c| c.spec.downstream()).collect();
    for (w, c) in cs.iter().enumerate() {
        if let Some(queue) = c
            .spec
            .consumes()
            .filter(|&q| cs.get(q).is_some_and(|q| q.spec.is_queue()))
        {
            hops[queue].push(w);
        }
    }
    hops
}

/// Reports a cycle in the graph of calls and balancer targets, and a worker
/// whose calls lead back, directly or not, to the queue it consumes.
pub fn check_cycles(components: &[ComponentDecl], issues: &mut Vec<Issue>) {
    let Some(cycle) = find_cycle(components) else {
        return;
    };
    let names: Vec<&str> = cycle.iter().map(|&c| components[c].name.as_str()).collect();
    // Through a queue, each job publishes the next and ends: the requests
    // finish, but the jobs never stop coming.
    let why = if cycle.iter().any(|&c| components[c].spec.is_queue()) {
        "each job publishes another to the queue it came from, forever"
    } else {
        "a request would never finish"
    };
    issues.push(Issue::new(
        format!("components.{}", names[0]),
        format!("calls form a cycle: {} ({why})", names.join(" -> ")),
    ));
}

/// Returns the first cycle of calls, balancer targets and queues to their
/// workers ([`next_hops`]) met depth first
/// from each component in order, as the components along it with the first
/// again at the end.
///
/// The walk keeps its own stack instead of recursing: a chain of calls may
/// be as deep as the scenario has components, deeper than a thread's stack.
fn find_cycle(components: &[ComponentDecl]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let hops = next_hops(components);
    let mut marks = vec![Mark::New; components.len()];
    for root in 0..components.len() {
        if marks[root] != Mark::New {
            continue;
        }
        // The open path from `root`: each component, whom it calls, and how
        // many of those were looked at.
        let mut trail = vec![(root, hops[root].as_slice(), 0)];
        marks[root] = Mark::Open;
        while let Some((i, callees, looked)) = trail.last_mut() {
            let Some(&next) = callees.get(*looked) else {
                marks[*i] = Mark::Done;
                trail.pop();
                continue;
            };
            *looked += 1;
            match marks.get(next) {
                Some(Mark::Open) => {
                    let from = trail.iter().position(|t| t.0 == next).unwrap_or(0);
                    let mut cycle: Vec<usize> = trail[from..].iter().map(|t| t.0).collect();
                    cycle.push(next);
                    return Some(cycle);
                }
                Some(Mark::New) => {
                    marks[next] = Mark::Open;
                    trail.push((next, hops[next].as_slice(), 0));
                }
                _ => {}
            }
        }
    }
    None
}
