//! The components' gauges over the run (a queue's backlog, the replicas of a
//! group...): one panel per gauge key, one line per component and scenario.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{self, Axis};
use super::style::{self, Entry, Mark};
use crate::error::Result;
use crate::metrics::GaugeSeries;
use crate::report::data::Comparison;

/// File stem of the chart.
pub const STEM: &str = "gauges";
/// Title of the chart.
pub const TITLE: &str = "Gauges over the run";

/// Height of one panel \[px\].
const PANEL_HEIGHT: u32 = 520;
/// Height of the title, the legend and the time axis \[px\].
const FRAME_HEIGHT: u32 = 380;
/// Panels drawn at most (one per gauge key), so that the chart stays readable.
const MAX_PANELS: usize = 4;

/// One line of the chart: a gauge of a component in a scenario.
struct Line<'a> {
    /// Index of the scenario in the comparison.
    scenario: usize,
    gauge: &'a GaugeSeries,
    window_s: f64,
}

/// Returns the gauge keys of the comparison, in order of first appearance,
/// at most `MAX_PANELS` of them.
pub fn keys(data: &Comparison) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = Vec::new();
    for g in data.results.iter().flat_map(|r| &r.series.gauges) {
        if !keys.contains(&g.key) && keys.len() < MAX_PANELS {
            keys.push(g.key);
        }
    }
    keys
}

/// Returns the size of the chart for `panels` panels \[px\].
pub fn size(panels: usize) -> (u32, u32) {
    (1600, FRAME_HEIGHT + PANEL_HEIGHT * panels.max(1) as u32)
}

/// Returns every line to draw, in scenario then component order.
fn lines(data: &Comparison) -> Vec<Line<'_>> {
    data.results
        .iter()
        .enumerate()
        .flat_map(|(scenario, r)| {
            r.series.gauges.iter().map(move |gauge| Line {
                scenario,
                gauge,
                window_s: r.series.window_s,
            })
        })
        .collect()
}

/// Returns the name of a line in the legend: the component, after the
/// scenario when several are compared.
fn line_label(data: &Comparison, line: &Line<'_>) -> String {
    if data.results.len() > 1 {
        format!(
            "{}: {}",
            data.results[line.scenario].scenario, line.gauge.component
        )
    } else {
        line.gauge.component.clone()
    }
}

/// Draws one panel per gauge key, stacked and sharing the time axis; each
/// (scenario, component) line has its own colour, named in the legend.
pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &Comparison) -> Result<()> {
    let fail = style::fail(STEM);
    let keys = keys(data);
    let lines = lines(data);
    // A component's lines keep their colour in every panel.
    let mut names: Vec<String> = Vec::new();
    for line in &lines {
        let name = line_label(data, line);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let colour_of = |line: &Line<'_>| {
        let name = line_label(data, line);
        style::colour(names.iter().position(|n| *n == name).unwrap_or(0))
    };
    let legend: Vec<Entry> = names
        .iter()
        .enumerate()
        .map(|(i, n)| Entry::new(n.clone(), style::colour(i), Mark::Line))
        .collect();
    let area = style::frame(root, STEM, TITLE, &legend)?;

    let end = lines
        .iter()
        .map(|l| l.gauge.values.len() as f64 * l.window_s)
        .fold(0.0_f64, f64::max);
    let end = if end > 0.0 { end } else { 1.0 };
    let x = Axis {
        ticks: axes::linear_ticks(0.0, end, 10),
        ..Axis::linear(0.0, end)
    };

    let (_, height) = area.dim_in_pixel();
    let panel = height.saturating_sub(style::TIME_AXIS_HEIGHT) / keys.len().max(1) as u32;
    let breaks: Vec<i32> = (1..keys.len()).map(|k| (k as u32 * panel) as i32).collect();
    let panels = area.split_by_breakpoints([0_i32; 0], breaks);
    for (k, (key, panel_area)) in keys.iter().zip(panels.iter()).enumerate() {
        let bottom = k + 1 == keys.len();
        let of_key: Vec<&Line<'_>> = lines.iter().filter(|l| l.gauge.key == *key).collect();
        let values: Vec<f64> = of_key
            .iter()
            .flat_map(|l| l.gauge.values.iter().copied())
            .collect();
        let y = Axis::fit(&values, f64::INFINITY, 1.15);
        let (caption, unit) = of_key
            .first()
            .map_or(("", ""), |l| (l.gauge.label, l.gauge.unit));
        let mut chart = style::time_panel(panel_area, STEM, caption, &x, &y, unit.into(), bottom)?;
        for (i, line) in of_key.iter().enumerate() {
            let half = line.window_s / 2.0;
            let points: Vec<(f64, f64)> = line
                .gauge
                .values
                .iter()
                .enumerate()
                .map(|(w, &v)| (w as f64 * line.window_s + half, y.at(v)))
                .filter(|(_, v)| v.is_finite())
                .collect();
            chart
                .draw_series(LineSeries::new(
                    points,
                    colour_of(line).stroke_width(style::line_width(i, of_key.len(), 2)),
                ))
                .map_err(&fail)?;
        }
    }
    Ok(())
}
