//! What `scalesim explain` says of a scenario: its lesson, its architecture
//! drawn as a tree, its knobs with their current values, the figures to
//! watch, and what queueing theory predicts where a formula applies. Built
//! here, printed by the command line.

use serde::Serialize;
use serde_json::{Map, Value};

use super::format::sig;
use crate::parts::kinds::{measure_of, DEFAULT_ZONE};
use crate::parts::traffic::ArrivalLaw;
use crate::parts::ComponentSpec;
use crate::scenario::lesson::Direction;
use crate::scenario::{value_at, Scenario};
use crate::theory;

/// The levels of the architecture's tree drawn with their guides; a node
/// deeper is drawn at that indent with its depth written out.
pub const DRAWN_LEVELS: usize = 32;

/// Everything `scalesim explain` says of one scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    /// The scenario's name.
    pub name: String,
    /// Its `about:` text.
    pub about: String,
    /// The `# Lesson:` comment of the file, on one line (empty without one).
    pub lesson: String,
    /// The `# Knob:` comment of the file, on one line.
    pub knob_comment: String,
    /// The `# Watch:` comment of the file, on one line.
    pub watch_comment: String,
    /// The clients: rate, arrivals, request mix, users and keys.
    pub traffic: String,
    /// The components, depth first from the entry along whom each calls,
    /// then those no request reaches from the entry.
    pub architecture: Vec<Node>,
    /// The knobs of the `lesson:` section.
    pub knobs: Vec<KnobView>,
    /// The lesson figures: what to watch.
    pub watch: Vec<Figure>,
    /// What theory predicts, where a formula applies (empty elsewhere).
    pub theory: Vec<Theory>,
}

/// One component in the drawing of the architecture.
#[derive(Clone, Debug, Serialize)]
pub struct Node {
    /// Its depth in the tree: 0 for the entry, 1 for whom it calls...
    pub depth: usize,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: String,
    /// Its machines (for an autoscaled component, the most it may hold).
    pub replicas: u32,
    /// Whether its replicas come and go with an autoscaler (its details
    /// then give their range instead of one count).
    pub autoscaled: bool,
    /// The zones of its machines, each once, in order (none when every
    /// machine is in the default zone).
    pub zones: Vec<String>,
    /// The regions of those zones, each once.
    pub regions: Vec<String>,
    /// The host it shares with others, if any.
    pub host: Option<String>,
    /// Its settings in a few words each.
    pub details: Vec<String>,
    /// True when it was drawn already higher in the tree (its callees are
    /// not repeated). A root (`depth` 0) other than the first, the entry, is
    /// called by nothing the entry reaches.
    pub repeated: bool,
}

/// One knob: its field, its current value and the values to try.
#[derive(Clone, Debug, Serialize)]
pub struct KnobView {
    /// The field path, as `--set` takes it.
    pub path: String,
    /// The value in the file (after `--set`), as YAML text; `None` when the
    /// file leaves the field to its default.
    pub current: Option<String>,
    /// The values worth trying.
    pub values: Vec<String>,
    /// The value to try first.
    #[serde(rename = "try")]
    pub try_value: String,
    /// What that value does: each figure and the way it moves.
    pub expect: Vec<Expectation>,
}

/// A figure a knob moves, and which way.
#[derive(Clone, Debug, Serialize)]
pub struct Expectation {
    /// The figure's path in the results.
    pub figure: String,
    /// How the figure reads.
    pub label: String,
    /// `up` or `down`.
    pub direction: &'static str,
}

/// A figure to watch.
#[derive(Clone, Debug, Serialize)]
pub struct Figure {
    /// Its path in the results.
    pub path: String,
    /// How it reads.
    pub label: String,
}

/// What a formula predicts for part of the scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Theory {
    /// The model: `M/M/4`, `M/M/2/2 (Erlang B)`, `LRU (Che)`.
    pub model: String,
    /// The component it describes.
    pub component: String,
    /// What the model assumes of it, and what it predicts, in a sentence or two.
    pub statement: String,
    /// The inputs and predictions by name (rates per second, times in ms).
    pub figures: Map<String, Value>,
}

/// Explains `scenario`, whose file text (after `overrides` given as
/// `PATH=VALUE` pairs by the caller through `tree`) is `text`; `tree` is the
/// file's tree with the overrides applied, from which knob values are read.
pub fn explain(scenario: &Scenario, text: &str, tree: Option<&Value>) -> Explanation {
    Explanation {
        name: scenario.name.clone(),
        about: scenario.about.trim().to_string(),
        lesson: header(text, "Lesson"),
        knob_comment: header(text, "Knob"),
        watch_comment: header(text, "Watch"),
        traffic: traffic(scenario),
        architecture: architecture(scenario),
        knobs: knobs(scenario, tree),
        watch: scenario
            .lesson
            .figures
            .iter()
            .map(|path| Figure {
                path: path.clone(),
                label: label(path),
            })
            .collect(),
        theory: theory_of(scenario),
    }
}

/// Returns a header comment of a scenario file, `# LABEL: ...`, with the
/// comment lines that continue it (indented), joined into one line; empty
/// when the file has none.
pub fn header(text: &str, label: &str) -> String {
    let start = format!("# {label}:");
    let mut lines = text.lines().skip_while(|l| !l.starts_with(&start));
    let Some(first) = lines.next() else {
        return String::new();
    };
    let mut words: Vec<&str> = vec![first.trim_start_matches(&start).trim()];
    // Continuation lines are indented comments; the next `# Label:` ends it.
    for line in lines {
        match line.strip_prefix('#') {
            Some(rest) if rest.starts_with("  ") => words.push(rest.trim()),
            _ => break,
        }
    }
    words.join(" ")
}

/// Returns how the figure at `path` reads, or the path when it has no label.
fn label(path: &str) -> String {
    let parts: Vec<String> = path.split('.').map(str::to_string).collect();
    let measure = measure_of(&parts);
    if measure.label.is_empty() {
        path.to_string()
    } else {
        measure.label_for(path).to_string()
    }
}

/// Describes the clients in one line.
fn traffic(scenario: &Scenario) -> String {
    let t = &scenario.traffic;
    let mut words = Vec::new();
    match (t.schedule.first(), t.schedule.last()) {
        (Some(first), Some(_)) if t.schedule.len() == 1 && first.from == first.to => {
            words.push(format!("{}/s", sig(first.from)));
        }
        (Some(_), Some(_)) => {
            let rates = t.schedule.iter().flat_map(|r| [r.from, r.to]);
            let (low, high) = rates.fold((f64::INFINITY, 0.0f64), |(l, h), r| (l.min(r), h.max(r)));
            words.push(format!(
                "{}/s to {}/s over a schedule of {} segments",
                sig(low),
                sig(high),
                t.schedule.len()
            ));
        }
        _ => {}
    }
    words.push(match t.arrivals {
        ArrivalLaw::Poisson => "Poisson arrivals".into(),
        ArrivalLaw::Constant => "evenly spaced arrivals".into(),
    });
    if t.types.len() > 1 {
        let total: f64 = t.types.iter().map(|r| r.weight).sum();
        let mix: Vec<String> = t
            .types
            .iter()
            .map(|r| format!("{} {}%", r.name, sig(100.0 * r.weight / total)))
            .collect();
        words.push(format!("requests {}", mix.join(", ")));
    }
    if t.users.count > 1 {
        words.push(format!("{} users", t.users.count));
    }
    if let Some(keys) = t.keys {
        words.push(format!(
            "{} keys {}",
            keys.count,
            match keys.popularity {
                crate::keys::Popularity::Uniform => "uniform".to_string(),
                crate::keys::Popularity::Zipf { s } => format!("zipf s {s}"),
            }
        ));
    }
    if let Some(timeout) = t.timeout {
        words.push(format!(
            "timeout {}",
            crate::spec::units::format_duration(timeout)
        ));
    }
    words.join(", ")
}

/// Draws the components depth first from the entry, then those no request
/// reaches from it (a store only a failure touches, say).
fn architecture(scenario: &Scenario) -> Vec<Node> {
    let mut drawn = vec![false; scenario.components.len()];
    let mut nodes = Vec::new();
    draw_tree(scenario, scenario.entry, &mut drawn, &mut nodes);
    for i in 0..scenario.components.len() {
        if !drawn[i] {
            draw_tree(scenario, i, &mut drawn, &mut nodes);
        }
    }
    nodes
}

/// Draws the tree of component `root`: each component, then whom it calls
/// in order, once each (one drawn already is marked, its callees left out).
///
/// The walk keeps its own stack instead of recursing: a chain of calls may
/// be as deep as the scenario has components, deeper than a thread's stack.
fn draw_tree(scenario: &Scenario, root: usize, drawn: &mut [bool], nodes: &mut Vec<Node>) {
    // The components still to draw with their depths, the next on top.
    let mut stack = vec![(root, 0)];
    while let Some((i, depth)) = stack.pop() {
        let repeated = drawn[i];
        drawn[i] = true;
        nodes.push(node(scenario, i, depth, repeated));
        if !repeated {
            // Reversed, so that the first callee comes off the stack first.
            let callees = scenario.components[i].spec.downstream();
            stack.extend(callees.into_iter().rev().map(|next| (next, depth + 1)));
        }
    }
}

/// Describes component `i` at `depth` in the tree.
fn node(scenario: &Scenario, i: usize, depth: usize, repeated: bool) -> Node {
    let topology = &scenario.topology;
    let mut zones: Vec<String> = Vec::new();
    for zone in topology.zones(i) {
        if !zones.contains(zone) {
            zones.push(zone.clone());
        }
    }
    let mut regions: Vec<String> = Vec::new();
    for (region, held) in &scenario.regions {
        if zones.iter().any(|z| held.contains(z)) && !regions.contains(region) {
            regions.push(region.clone());
        }
    }
    if zones.iter().all(|z| z == DEFAULT_ZONE) {
        zones.clear();
    }
    Node {
        depth,
        name: topology.name(i).to_string(),
        kind: topology.kind(i).to_string(),
        replicas: topology.replicas(i),
        autoscaled: matches!(
            &scenario.components[i].spec,
            ComponentSpec::Server(s) if s.autoscale.is_some()
        ),
        zones,
        regions,
        host: topology.host(i).map(str::to_string),
        details: scenario.components[i].spec.sketch(topology),
        repeated,
    }
}

/// Returns the knobs with the values the file gives them.
fn knobs(scenario: &Scenario, tree: Option<&Value>) -> Vec<KnobView> {
    scenario
        .lesson
        .knobs
        .iter()
        .map(|knob| KnobView {
            path: knob.path.clone(),
            current: tree.and_then(|t| value_at(t, &knob.path)).map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
            values: knob.values.clone(),
            try_value: knob.try_value.clone(),
            expect: knob
                .expect
                .iter()
                .map(|(figure, direction)| Expectation {
                    figure: figure.clone(),
                    label: label(figure),
                    direction: match direction {
                        Direction::Up => "up",
                        Direction::Down => "down",
                    },
                })
                .collect(),
        })
        .collect()
}

/// Returns what theory predicts: the M/M/c family for a scenario that is one
/// station, Che's approximation for each LRU cache it applies to. `explain`
/// prints it, and the report sets it beside the simulated figures.
pub fn theory_of(scenario: &Scenario) -> Vec<Theory> {
    let mut notes: Vec<Theory> = theory::station(scenario)
        .map(|station| station_note(scenario, &station))
        .into_iter()
        .collect();
    for cache in theory::lru_caches(scenario) {
        let hit_ratio = cache.hit_ratio();
        let mut figures = Map::new();
        figures.insert("capacity".into(), cache.capacity.into());
        figures.insert("keys".into(), cache.keys.count.into());
        figures.insert("hit_ratio".into(), hit_ratio.into());
        notes.push(Theory {
            model: "LRU (Che's approximation)".into(),
            component: scenario.topology.name(cache.component).to_string(),
            statement: format!(
                "{} entries, reads drawn independently from {} keys: long-run hit ratio ≈ {}",
                cache.capacity,
                cache.keys.count,
                sig(hit_ratio)
            ),
            figures,
        });
    }
    notes
}

/// Returns what the M/M/c family predicts of a scenario that is one station.
fn station_note(scenario: &Scenario, station: &theory::Station) -> Theory {
    let c = station.cores;
    let (lambda, mu, rho) = (station.lambda, station.mu, station.rho());
    let mut figures = Map::new();
    figures.insert("lambda_per_s".into(), lambda.into());
    figures.insert("mu_per_s".into(), mu.into());
    figures.insert("cores".into(), c.into());
    figures.insert("rho".into(), rho.into());
    let inputs = format!(
        "λ = {}/s, μ = {}/s per core, c = {c}, ρ = λ/(cμ) = {}",
        sig(lambda),
        sig(mu),
        sig(rho)
    );
    let (model, predicted) = match station.queue {
        None => {
            let model = format!("M/M/{c}");
            match (station.wait_probability(), station.mean_wait_ms()) {
                (Some(waits), Some(wait_ms)) => {
                    let latency_ms = wait_ms + 1000.0 / mu;
                    figures.insert("wait_probability".into(), waits.into());
                    figures.insert("mean_wait_ms".into(), wait_ms.into());
                    figures.insert("mean_latency_ms".into(), latency_ms.into());
                    let text = format!(
                        "an arrival waits with probability {} (Erlang C); mean wait {} ms, \
                         mean latency {} ms",
                        sig(waits),
                        sig(wait_ms),
                        sig(latency_ms)
                    );
                    (model, text)
                }
                _ => (
                    model,
                    "ρ ≥ 1: unstable, the queue grows without bound".to_string(),
                ),
            }
        }
        Some(0) => {
            let blocking = theory::erlang_b(c, lambda / mu);
            figures.insert("blocking".into(), blocking.into());
            figures.insert("mean_latency_ms".into(), (1000.0 / mu).into());
            let text = format!(
                "no waiting room: a share {} of requests is refused (Erlang B), \
                 and the answered take {} ms on average",
                sig(blocking),
                sig(1000.0 / mu)
            );
            (format!("M/M/{c}/{c} (Erlang loss)"), text)
        }
        Some(queue) => {
            let model = format!("M/M/{c}/{}", c + queue);
            match theory::predict(scenario) {
                Some(p) => {
                    figures.insert("blocking".into(), (1.0 - p.availability).into());
                    figures.insert("mean_latency_ms".into(), p.mean_latency_ms.into());
                    let text = format!(
                        "a share {} of requests is refused (the queue is full), \
                         and the answered take {} ms on average",
                        sig(1.0 - p.availability),
                        sig(p.mean_latency_ms)
                    );
                    (model, text)
                }
                None => (model, String::new()),
            }
        }
    };
    let spread = if station.replicas > 1 {
        format!(
            "each of {} replicas behind a random balancer, Poisson arrivals, exponential work: ",
            station.replicas
        )
    } else if station.server != scenario.entry {
        "behind a balancer that adds no time, Poisson arrivals, exponential work: ".to_string()
    } else {
        "Poisson arrivals, exponential work: ".to_string()
    };
    Theory {
        model,
        component: scenario.topology.name(station.server).to_string(),
        statement: format!("{spread}{inputs}; {predicted}"),
        figures,
    }
}

/// Renders an explanation for the terminal.
pub fn render(e: &Explanation) -> String {
    let mut out = String::new();
    out.push_str(&format!("{}\n", e.name));
    if !e.about.is_empty() {
        for line in e.about.lines() {
            out.push_str(&format!("  {line}\n"));
        }
    }
    let headers = [
        ("Lesson", &e.lesson),
        ("Knob", &e.knob_comment),
        ("Watch", &e.watch_comment),
    ];
    if headers.iter().any(|(_, text)| !text.is_empty()) {
        out.push('\n');
    }
    for (label, text) in headers {
        if !text.is_empty() {
            out.push_str(&format!("{label}: {text}\n"));
        }
    }
    out.push_str("\nArchitecture\n");
    out.push_str(&render_architecture(e));
    if !e.knobs.is_empty() {
        out.push_str("\nKnobs (turn one with --set PATH=VALUE)\n");
        for knob in &e.knobs {
            out.push_str(&render_knob(knob));
        }
    }
    if !e.watch.is_empty() {
        out.push_str("\nWatch\n");
        for figure in &e.watch {
            out.push_str(&format!("  {} ({})\n", figure.path, figure.label));
        }
    }
    if !e.theory.is_empty() {
        out.push_str("\nTheory\n");
        for note in &e.theory {
            out.push_str(&format!(
                "  {} at {}: {}\n",
                note.model, note.component, note.statement
            ));
        }
    }
    out
}

/// Draws the architecture: the entry's tree under the clients, then the
/// trees of the components no request reaches from the entry.
fn render_architecture(e: &Explanation) -> String {
    let mut out = format!("  clients: {}\n", e.traffic);
    // The first root after the entry starts the unreached components.
    let split = e
        .architecture
        .iter()
        .skip(1)
        .position(|n| n.depth == 0)
        .map_or(e.architecture.len(), |i| i + 1);
    let (reached, unreached) = e.architecture.split_at(split);
    out.push_str(&render_tree(reached, "  "));
    if !unreached.is_empty() {
        out.push_str("  not called from the entry:\n");
        out.push_str(&render_tree(unreached, "  "));
    }
    out
}

/// Draws `nodes` (depth first, as [`architecture`] lists them) as a tree
/// whose roots hang from an implicit root, each line after `margin`.
///
/// A node deeper than [`DRAWN_LEVELS`] keeps the guides of the first levels
/// only and gives its depth in brackets, so that the drawing of a long chain
/// grows with its length and not with its square.
fn render_tree(nodes: &[Node], margin: &str) -> String {
    // Built from the last node up: `goes_on[depth]` says whether, after the
    // node at hand, another node comes at `depth` before the tree climbs
    // above it; then the branch at that depth goes on below.
    let mut goes_on: Vec<bool> = Vec::new();
    let mut lines = Vec::with_capacity(nodes.len());
    for node in nodes.iter().rev() {
        let at = |depth: usize| goes_on.get(depth).copied().unwrap_or(false);
        let mut line = margin.to_string();
        for depth in 0..node.depth.min(DRAWN_LEVELS) {
            line.push_str(if at(depth) { "│  " } else { "   " });
        }
        if node.depth > DRAWN_LEVELS {
            line.push_str(&format!("[{}] ", node.depth));
        }
        line.push_str(if at(node.depth) { "├→ " } else { "└→ " });
        line.push_str(&render_node(node));
        lines.push(line);
        // The node ends every branch deeper than itself and goes on its own.
        goes_on.resize(node.depth + 1, false);
        goes_on[node.depth] = true;
    }
    lines.into_iter().rev().collect()
}

/// Renders one component: its name, kind, machines and settings.
fn render_node(node: &Node) -> String {
    let mut line = format!("{}: {}", node.name, node.kind);
    if node.replicas > 1 && !node.autoscaled {
        line.push_str(&format!(" ×{}", node.replicas));
    }
    if node.repeated && node.depth > 0 {
        line.push_str(" (drawn above)\n");
        return line;
    }
    let mut words = node.details.clone();
    if !node.zones.is_empty() {
        words.push(format!("zones {}", node.zones.join("/")));
    }
    if !node.regions.is_empty() {
        words.push(format!("regions {}", node.regions.join("/")));
    }
    if let Some(host) = &node.host {
        words.push(format!("on host {host}"));
    }
    if !words.is_empty() {
        line.push_str(&format!(" ({})", words.join(", ")));
    }
    line.push('\n');
    line
}

/// Renders one knob: its path and value, the values to try, what one does.
fn render_knob(knob: &KnobView) -> String {
    let current = knob.current.as_deref().unwrap_or("(the default)");
    let mut text = format!("  {} = {current}\n", knob.path);
    if !knob.values.is_empty() {
        text.push_str(&format!("      values: {}\n", knob.values.join(", ")));
    }
    let moves: Vec<String> = knob
        .expect
        .iter()
        .map(|e| format!("{} {}", e.label, e.direction))
        .collect();
    text.push_str(&format!(
        "      try {}: {}\n",
        knob.try_value,
        moves.join(", ")
    ));
    text
}

/// Returns the explanation as JSON.
pub fn to_json(e: &Explanation) -> Value {
    serde_json::to_value(e).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_comment_is_read_with_its_continuation_lines() {
        let text = "# Lesson: one\n#   two.\n# Knob: `x`\n# Watch: y\nname: n\n";
        assert_eq!(header(text, "Lesson"), "one two.");
        assert_eq!(header(text, "Knob"), "`x`");
        assert_eq!(header(text, "Watch"), "y");
        assert_eq!(header(text, "Other"), "");
    }
}
