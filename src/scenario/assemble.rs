//! Assembles the sections of a scenario file into a [`Scenario`]: each part
//! reads its own section, and this module reads the top level, the network
//! and the objective, and hands the topology checks to `topology`.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::raw::{RawLink, RawNetwork, RawSlo};
use super::topology::{
    check_callees, check_consumers, check_cycles, check_geography, check_hosts, check_links,
    check_origins, check_region_latencies, check_regions,
};
use super::{lesson, Network, Scenario};
use crate::engine::SimTime;
use crate::keys::{KeySpace, Popularity};
use crate::metrics::Slo;
use crate::parts::geography::Geography;
use crate::parts::traffic::{self, RequestType, Source, Traffic};
use crate::parts::{cron, failures, ComponentDecl, Registry, SpecContext, Topology};
use crate::spec::limits::{
    MAX_COMPONENTS, MAX_MACHINES, MAX_NAME_CHARS, MAX_SLO_WINDOWS, MAX_TEXT_CHARS,
};
use crate::spec::units::{format_duration, format_duration_exact};
use crate::spec::{
    join_index, join_key, no_such_component, parse_lenient, unknown_field, Duration, Issue,
};

/// Top-level fields, in the order the documentation lists them.
const TOP_LEVEL: &[&str] = &[
    "name",
    "about",
    "seed",
    "duration",
    "warmup",
    "traffic",
    "entry",
    "network",
    "components",
    "failures",
    "cron",
    "slo",
    "regions",
    "lesson",
];

/// Assembles the sections of the tree into a scenario, with the kinds of
/// `registry`; returns `None` when something essential is missing. `file`
/// names the scenario file: the files it names (a trace) are relative to its
/// folder.
pub fn assemble(
    root: &Value,
    file: &str,
    registry: &Registry,
    issues: &mut Vec<Issue>,
    warnings: &mut Vec<Issue>,
) -> Option<Scenario> {
    let Some(map) = root.as_object() else {
        issues.push(Issue::new(
            "",
            "expected a mapping with at least name, duration, traffic, entry and components",
        ));
        return None;
    };
    for key in map.keys() {
        if !TOP_LEVEL.contains(&key.as_str()) {
            issues.push(Issue::new(key, unknown_field(key, TOP_LEVEL)));
        }
    }
    let name: Option<String> = required(map, "name", issues);
    if let Some(name) = &name {
        check_length("name", name, MAX_NAME_CHARS, issues);
    }
    let about: String = optional(map, "about", issues).unwrap_or_default();
    check_length("about", &about, MAX_TEXT_CHARS, issues);
    let seed: u64 = optional(map, "seed", issues).unwrap_or(1);
    let duration = required::<Duration>(map, "duration", issues).map(|d| d.0);
    let warmup = optional::<Duration>(map, "warmup", issues).map_or(SimTime::ZERO, |d| d.0);
    if let Some(duration) = duration {
        if duration == SimTime::ZERO {
            issues.push(Issue::new(
                "duration",
                "expected a positive duration, found 0",
            ));
        } else if warmup >= duration {
            issues.push(Issue::new(
                "warmup",
                format!("the warm-up ({warmup}) must be shorter than the duration ({duration})"),
            ));
        }
    }
    let base = std::path::Path::new(file)
        .parent()
        .unwrap_or(std::path::Path::new(""));
    let traffic = traffic::parse(map.get("traffic"), base, issues);
    let network = optional::<RawNetwork>(map, "network", issues);
    let entry: Option<String> = required(map, "entry", issues);
    let keys_written = map.get("traffic").and_then(|t| t.get("keys")).is_some();
    let (names, components) = check_components(
        map.get("components"),
        (traffic.as_ref(), map.get("traffic")),
        keys_written,
        registry,
        issues,
    );
    // Components without machines (a DNS) stand for the clients' side.
    let machineless: Vec<bool> = components
        .iter()
        .flatten()
        .map(|c| c.spec.replicas() == 0)
        .collect();
    let (mut network, region_links) = check_network(network, &names, &machineless, issues);
    let entry = entry.and_then(|e| match names.iter().position(|n| *n == e) {
        Some(i) => Some(i),
        None => {
            issues.push(Issue::new("entry", no_such_component(&e, &names)));
            None
        }
    });
    let components = components?;
    for c in &components {
        warnings.extend(c.spec.unused(&join_key("components", &c.name)));
    }
    let mut topology = Topology::of(&components);
    let regions = check_regions(map.get("regions"), &topology, (issues, warnings));
    if let Some(traffic) = &traffic {
        check_origins(&traffic.origins, &regions, issues);
    }
    network.regions = check_region_latencies(&region_links, &regions, issues);
    topology.set_geography(Geography::new(
        &regions,
        topology.zone_names(),
        &network.regions,
        traffic.as_ref().map_or(&[], |t| &t.origins),
    ));
    check_geography(&topology, issues);
    let failures = map
        .get("failures")
        .map(|f| failures::parse(f, &topology, &regions, duration, issues, warnings))
        .unwrap_or_default();
    let cron = map
        .get("cron")
        .map(|c| {
            let keys = traffic.as_ref().and_then(|t| t.keys.as_ref());
            cron::parse(c, &topology, keys, issues)
        })
        .unwrap_or_default();
    if let Some(end) = duration {
        warn_never_sent(traffic.as_ref(), &cron, end, warnings);
    }
    let measured = duration.filter(|d| *d > warmup).map(|d| d - warmup);
    let slo = check_slo(optional::<RawSlo>(map, "slo", issues), measured, issues);
    if let Some(measured) = measured {
        check_slo_windows(&slo, measured, issues);
    }
    check_machines(&components, issues);
    let type_names: Vec<&str> = traffic
        .as_ref()
        .map(|t| t.types.iter().map(|r| r.name.as_str()).collect())
        .unwrap_or_default();
    let lesson = lesson::parse(
        map.get("lesson"),
        &components,
        &topology,
        &type_names,
        issues,
    );
    check_links(&components, &topology, issues);
    check_hosts(&components, issues);
    check_callees(&components, entry, issues);
    check_consumers(&components, entry, issues);
    check_cycles(&components, issues);
    Some(Scenario {
        name: name?,
        about,
        seed,
        duration: duration?,
        warmup,
        traffic: traffic?,
        entry: entry?,
        network,
        components,
        topology,
        failures,
        cron,
        slo,
        regions,
        lesson,
        warnings: Vec::new(),
    })
}

/// Warns of what the file asks for and the run never does because it ends
/// first (at `end`): batch jobs that start later, a trace whose arrivals all
/// come later.
fn warn_never_sent(
    traffic: Option<&Traffic>,
    cron: &[cron::CronSpec],
    end: SimTime,
    warnings: &mut Vec<Issue>,
) {
    cron::warn_never_run(cron, end, warnings);
    if let Some(Source::Trace(trace)) = traffic.map(|t| &t.source) {
        trace.warn_after(end, "traffic.trace", warnings);
    }
}

/// Reads a field that must be present.
fn required<T: DeserializeOwned>(
    map: &Map<String, Value>,
    key: &str,
    issues: &mut Vec<Issue>,
) -> Option<T> {
    if !map.contains_key(key) {
        issues.push(Issue::new(key, format!("missing field `{key}`")));
        return None;
    }
    optional(map, key, issues)
}

/// Reads a field that may be absent.
fn optional<T: DeserializeOwned>(
    map: &Map<String, Value>,
    key: &str,
    issues: &mut Vec<Issue>,
) -> Option<T> {
    let value = map.get(key)?;
    parse_lenient(value, key, issues)
}

/// Refuses a text longer than `max` characters at `path`.
fn check_length(path: &str, text: &str, max: usize, issues: &mut Vec<Issue>) {
    let chars = text.chars().count();
    if chars > max {
        issues.push(Issue::new(
            path,
            format!("{chars} characters is too long: at most {max}"),
        ));
    }
}

/// Refuses an objective whose windows, over the measured time, would be more
/// than [`MAX_SLO_WINDOWS`] (each keeps its counters for the whole run).
fn check_slo_windows(slo: &Slo, measured: SimTime, issues: &mut Vec<Issue>) {
    let windows = measured.0 / slo.window.0.max(1);
    if windows > MAX_SLO_WINDOWS {
        issues.push(Issue::new(
            "slo.window",
            format!(
                "{} makes {windows} windows over the {} measured; the most is \
                 {MAX_SLO_WINDOWS} (use a window of {}s or more, or leave `window` \
                 out: the default grows with the run)",
                format_duration_exact(slo.window),
                format_duration(measured),
                // Whole seconds, written exactly: a rounded hint could fall short.
                default_window(measured).0 / SimTime::NANOS_PER_SEC,
            ),
        ));
    }
}

/// Returns the SLO window of a file that does not set one: 10 s, or, for a
/// run whose `measured` time would hold more than [`MAX_SLO_WINDOWS`] of
/// them, the whole number of seconds that keeps it within the limit.
fn default_window(measured: SimTime) -> SimTime {
    let least = Slo::default().window;
    let second = SimTime::NANOS_PER_SEC;
    let fitting = measured.0.div_ceil(MAX_SLO_WINDOWS).div_ceil(second) * second;
    least.max(SimTime(fitting))
}

/// Refuses a scenario with more than [`MAX_MACHINES`] machines in all.
fn check_machines(components: &[ComponentDecl], issues: &mut Vec<Issue>) {
    let machines: u64 = components
        .iter()
        .map(|c| u64::from(c.spec.replicas()))
        .sum();
    if machines > MAX_MACHINES {
        issues.push(Issue::new(
            "components",
            format!(
                "{machines} machines in all is beyond what one simulation holds (at most {MAX_MACHINES})"
            ),
        ));
    }
}

/// Builds the service-level objective (99.9% per 10 s window by default,
/// the window growing with a `measured` time too long for so many; see
/// [`default_window`]).
fn check_slo(raw: Option<RawSlo>, measured: Option<SimTime>, issues: &mut Vec<Issue>) -> Slo {
    let default = Slo {
        window: measured.map_or(Slo::default().window, default_window),
        ..Slo::default()
    };
    let Some(raw) = raw else { return default };
    let window = raw.window.map_or(default.window, |w| w.0);
    if window == SimTime::ZERO {
        issues.push(Issue::new(
            "slo.window",
            "expected a positive window, found 0",
        ));
    }
    let latency = raw.latency.map(|d| d.0);
    if latency == Some(SimTime::ZERO) {
        issues.push(Issue::new(
            "slo.latency",
            "expected a positive latency, found 0",
        ));
    }
    Slo {
        success: raw.success.map_or(default.success, |s| s.0),
        window: window.max(SimTime(1)),
        latency,
    }
}

/// Reads the network section; returns it with the latencies between
/// regions still to resolve (`network.regions`, as written), which need the
/// `regions:` section.
/// A link may not name a component without machines (`machineless`, by
/// index): the way between the clients and it costs nothing.
fn check_network(
    raw: Option<RawNetwork>,
    names: &[String],
    machineless: &[bool],
    issues: &mut Vec<Issue>,
) -> (Network, Vec<RawLink>) {
    let default_latency = SimTime(500_000);
    let Some(raw) = raw else {
        let network = Network {
            latency: default_latency,
            ipc: SimTime::ZERO,
            links: Vec::new(),
            regions: Vec::new(),
        };
        return (network, Vec::new());
    };
    let mut links = Vec::new();
    for (i, link) in raw.links.unwrap_or_default().iter().enumerate() {
        let path = join_key(&join_index("network.links", i), "between");
        if link.between.len() != 2 || link.between[0] == link.between[1] {
            issues.push(Issue::new(
                path,
                "expected two different component names, like [web, db]",
            ));
            continue;
        }
        let ends: Vec<Option<usize>> = link
            .between
            .iter()
            .map(|n| {
                let found = names.iter().position(|m| m == n);
                match found {
                    None => issues.push(Issue::new(&path, no_such_component(n, names))),
                    Some(i) if machineless.get(i).copied().unwrap_or(false) => {
                        issues.push(Issue::new(
                            &path,
                            format!(
                                "`{n}` has no machines (it stands for the clients' side): \
                                 a link joins two machines"
                            ),
                        ));
                        return None;
                    }
                    Some(_) => {}
                }
                found
            })
            .collect();
        if let (Some(a), Some(b)) = (ends[0], ends[1]) {
            links.push((a, b, link.latency.0));
        }
    }
    let network = Network {
        latency: raw.latency.map_or(default_latency, |d| d.0),
        ipc: raw.ipc.map_or(SimTime::ZERO, |d| d.0),
        links,
        regions: Vec::new(),
    };
    (network, raw.regions.unwrap_or_default())
}

/// Stands for the key space of a traffic section that failed validation.
const PLACEHOLDER_KEYS: KeySpace = KeySpace {
    count: 1,
    popularity: Popularity::Uniform,
};

/// Parses every component; returns all names, and the components if all parsed.
fn check_components(
    value: Option<&Value>,
    (traffic, value_of_traffic): (Option<&Traffic>, Option<&Value>),
    keys_written: bool,
    registry: &Registry,
    issues: &mut Vec<Issue>,
) -> (Vec<String>, Option<Vec<ComponentDecl>>) {
    let Some(value) = value else {
        issues.push(Issue::new("components", "missing field `components`"));
        return (Vec::new(), None);
    };
    let Some(map) = value.as_object().filter(|m| !m.is_empty()) else {
        issues.push(Issue::new(
            "components",
            "expected a mapping of component names to their settings",
        ));
        return (Vec::new(), None);
    };
    if map.len() > MAX_COMPONENTS {
        issues.push(Issue::new(
            "components",
            format!(
                "{} components is beyond what one simulation holds (at most {MAX_COMPONENTS})",
                map.len()
            ),
        ));
        return (Vec::new(), None);
    }
    let names: Vec<String> = map.keys().cloned().collect();
    for name in &names {
        if !valid_name(name) {
            issues.push(Issue::new(
                join_key("components", name),
                format!(
                    "`{}` is not a valid component name: use letters, digits, `-` and `_`, \
                     at most {MAX_NAME_CHARS} of them",
                    shorten(name)
                ),
            ));
        }
    }
    // A refused traffic section (already reported) still names its types.
    let declared =
        traffic::declared_types(value_of_traffic).unwrap_or_else(|| vec![RequestType::only()]);
    // When the traffic section is broken (already reported) but has keys,
    // components that need keys must not report their absence as well.
    let keys = match traffic {
        Some(t) => t.keys.as_ref(),
        None if keys_written => Some(&PLACEHOLDER_KEYS),
        None => None,
    };
    let cx = SpecContext::new(traffic.map_or(&declared[..], |t| &t.types), &names, keys);
    let mut out = Vec::new();
    for (name, body) in map {
        let path = join_key("components", name);
        match registry.parse(name, body, &path, &cx) {
            Ok(decl) => out.push(decl),
            Err(mut errs) => issues.append(&mut errs),
        }
    }
    // With a component missing, indices would no longer match names.
    let complete = out.len() == names.len();
    (names, complete.then_some(out))
}

/// Returns a name cut to a readable length for a message.
fn shorten(name: &str) -> String {
    const SHOWN: usize = 40;
    if name.chars().count() <= SHOWN {
        name.to_string()
    } else {
        format!("{}…", name.chars().take(SHOWN).collect::<String>())
    }
}

/// Returns true for names of at most [`MAX_NAME_CHARS`] letters, digits, `-`
/// and `_`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
}
