//! The checks of a scenario that look at several components at once:
//! regions and their zones, settings that depend on other components, hosts
//! shared by components, and cycles of calls.

use serde_json::Value;

use crate::parts::{ComponentDecl, Topology};
use crate::spec::{join_key, parse_lenient, Issue};

/// Reads `regions: {eu: [zone-a, zone-b]}`: every zone named must hold a
/// Checks that every region of `traffic.origins` is one of `regions:`.
pub fn check_origins(
    origins: &[(String, f64)],
    regions: &[(String, Vec<String>)],
    issues: &mut Vec<Issue>,
) {
    for (region, _) in origins {
        if !regions.iter().any(|(r, _)| r == region) {
            let known: Vec<&str> = regions.iter().map(|(r, _)| r.as_str()).collect();
            let expected = if known.is_empty() {
                "a `regions:` section that groups zones into regions, like regions: {eu: [zone-a]}"
                    .to_string()
            } else {
                format!("one of the regions: {}", known.join(", "))
            };
            issues.push(Issue::new(
                join_key("traffic.origins", region),
                format!("no region is called `{region}`: expected {expected}"),
            ));
        }
    }
}

/// component, and belong to one region only.
pub fn check_regions(
    value: Option<&Value>,
    topology: &Topology,
    issues: &mut Vec<Issue>,
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
                issues.push(Issue::new(
                    &path,
                    format!("no component is placed in zone `{zone}`"),
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

/// Reports a cycle in the graph of calls and balancer targets.
pub fn check_cycles(components: &[ComponentDecl], issues: &mut Vec<Issue>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        i: usize,
        cs: &[ComponentDecl],
        marks: &mut [Mark],
        trail: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        marks[i] = Mark::Open;
        trail.push(i);
        for next in cs[i].spec.downstream() {
            match marks.get(next) {
                Some(Mark::Open) => {
                    let from = trail.iter().position(|&t| t == next).unwrap_or(0);
                    let mut cycle = trail[from..].to_vec();
                    cycle.push(next);
                    return Some(cycle);
                }
                Some(Mark::New) => {
                    if let Some(c) = visit(next, cs, marks, trail) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        trail.pop();
        marks[i] = Mark::Done;
        None
    }
    let mut marks = vec![Mark::New; components.len()];
    for i in 0..components.len() {
        if marks[i] == Mark::New {
            if let Some(cycle) = visit(i, components, &mut marks, &mut Vec::new()) {
                let names: Vec<&str> = cycle.iter().map(|&c| components[c].name.as_str()).collect();
                issues.push(Issue::new(
                    format!("components.{}", names[0]),
                    format!(
                        "calls form a cycle: {} (a request would never finish)",
                        names.join(" -> ")
                    ),
                ));
                return;
            }
        }
    }
}
