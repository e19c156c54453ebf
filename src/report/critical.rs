//! The report's section on where the time goes: each component's share of
//! the end-to-end latency on the critical path of the sampled requests (a
//! stacked bar of queueing, service and network), and a waterfall of the
//! slowest sampled journeys. The views hold text and widths already
//! computed; the template `critical.html` lays them out as HTML bars.

use serde::Serialize;

use crate::metrics::{ScenarioResult, Waterfall};

/// Most hops drawn in one waterfall: a deeper journey shows its first ones.
const MAX_BARS: usize = 40;

/// One scenario's critical-path figures.
#[derive(Serialize)]
pub struct CriticalView {
    scenario: String,
    colour: String,
    /// `1,234 sampled requests`.
    requests: String,
    /// The component with the largest share, and what it is mostly.
    verdict: String,
    rows: Vec<CriticalRow>,
    waterfalls: Vec<WaterfallView>,
}

/// A component's stacked bar: widths in percent of the end-to-end latency.
#[derive(Serialize)]
struct CriticalRow {
    component: String,
    /// Its whole share, formatted (`42.1`).
    share: String,
    queueing: String,
    service: String,
    network: String,
    /// The widths of the three segments, in percent, for the bar.
    queueing_width: String,
    service_width: String,
    network_width: String,
}

/// One slow journey.
#[derive(Serialize)]
struct WaterfallView {
    /// `23.4 ms: request 9f… (type read), attempt 1, replication 0`.
    title: String,
    bars: Vec<BarView>,
    /// `12 more hops not drawn`, or empty.
    more: String,
}

/// One hop on a waterfall: its label and four segments, placed in percent
/// of the journey's latency.
#[derive(Serialize)]
struct BarView {
    label: String,
    /// Indentation of the label, in em, by depth.
    indent: String,
    outcome: &'static str,
    critical: bool,
    /// (left, width) of the way there, the wait for a core, the time at
    /// the component and the way back.
    there: (String, String),
    waiting: (String, String),
    busy: (String, String),
    back: (String, String),
    /// `arrive 1.0 · start 2.0 · end 5.1 · back 6.1 ms`.
    detail: String,
}

/// Returns the critical-path views of the results that have a sample, with
/// `colour` giving each scenario's colour by its index.
pub fn views(results: &[ScenarioResult], colour: &dyn Fn(usize) -> String) -> Vec<CriticalView> {
    results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.figure("critical_path.requests").is_some())
        .map(|(i, r)| view(r, colour(i)))
        .collect()
}

/// Returns the view of one scenario.
fn view(r: &ScenarioResult, colour: String) -> CriticalView {
    let value =
        |name: &str, part: &str| r.value(&format!("components.{name}.critical_path.{part}"));
    let mut rows: Vec<(f64, CriticalRow)> = Vec::new();
    let mut top: Option<(f64, String, &'static str)> = None;
    for name in r.component_names() {
        let [share, q, s, n] = ["share", "queueing", "service", "network"].map(|p| value(name, p));
        if !share.is_finite() {
            continue;
        }
        let mostly = if q >= s && q >= n {
            "queueing"
        } else if s >= n {
            "service"
        } else {
            "network"
        };
        if top.as_ref().is_none_or(|(best, _, _)| share > *best) {
            top = Some((share, name.to_string(), mostly));
        }
        let pct = |x: f64| format!("{:.1}", x * 100.0);
        let width = |x: f64| format!("{:.3}", (x * 100.0).clamp(0.0, 100.0));
        rows.push((
            share,
            CriticalRow {
                component: name.to_string(),
                share: pct(share),
                queueing: pct(q),
                service: pct(s),
                network: pct(n),
                queueing_width: width(q),
                service_width: width(s),
                network_width: width(n),
            },
        ));
    }
    let requests = r.value("critical_path.requests");
    // Components within a fifth of the largest share are not told apart by
    // a sample (identical leaves of a fan-out differ by noise alone).
    let close: Vec<&str> = match &top {
        Some((best, name, _)) => rows
            .iter()
            .filter(|(share, row)| *share >= 0.8 * best && row.component != *name)
            .map(|(_, row)| row.component.as_str())
            .collect(),
        None => Vec::new(),
    };
    let verdict = match top {
        Some((share, name, mostly)) if share > 0.0 && close.is_empty() => format!(
            "{name} holds the largest share of the latency on the critical path \
             ({:.1}%, mostly {mostly}): the first place to look before scaling.",
            share * 100.0
        ),
        Some((share, name, _)) if share > 0.0 => format!(
            "No component stands out: {name} ({:.1}%) and {} hold shares within a fifth \
             of each other, so the time is spread over them and scaling one alone helps \
             little.",
            share * 100.0,
            close.join(", ")
        ),
        _ => "No sampled request completed in the measured window.".to_string(),
    };
    CriticalView {
        scenario: r.scenario.clone(),
        colour,
        requests: format!(
            "{} sampled requests",
            crate::report::reading::count(requests)
        ),
        verdict,
        rows: rows.into_iter().map(|(_, row)| row).collect(),
        waterfalls: r.slowest.iter().map(waterfall).collect(),
    }
}

/// Returns the view of one slow journey.
fn waterfall(w: &Waterfall) -> WaterfallView {
    let scale = if w.latency_ms > 0.0 {
        100.0 / w.latency_ms
    } else {
        0.0
    };
    let span = |from: f64, to: f64| {
        let left = (from * scale).clamp(0.0, 100.0);
        let right = (to * scale).clamp(left, 100.0);
        (format!("{left:.3}"), format!("{:.3}", right - left))
    };
    let bars = w
        .bars
        .iter()
        .take(MAX_BARS)
        .map(|b| BarView {
            label: b.component.clone(),
            indent: format!("{:.1}", f64::from(b.depth.min(12)) * 0.8),
            outcome: b.outcome,
            critical: b.critical,
            there: span(b.send_ms, b.arrive_ms),
            waiting: span(b.arrive_ms, b.start_ms),
            busy: span(b.start_ms, b.end_ms),
            back: span(b.end_ms, b.returned_ms),
            detail: format!(
                "sent {:.2} · arrived {:.2} · started {:.2} · answered {:.2} · back {:.2} ms ({})",
                b.send_ms, b.arrive_ms, b.start_ms, b.end_ms, b.returned_ms, b.outcome
            ),
        })
        .collect();
    let hidden = w.bars.len().saturating_sub(MAX_BARS);
    WaterfallView {
        title: format!(
            "{:.2} ms: request {} (type {}), attempt {}, replication {}",
            w.latency_ms, w.request, w.kind, w.attempt, w.replication
        ),
        bars,
        more: if hidden > 0 {
            format!("{hidden} more hops not drawn")
        } else {
            String::new()
        },
    }
}
