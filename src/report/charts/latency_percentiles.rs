//! Latency percentiles (p50, p90, p99, p99.9) per scenario, with 95% error bars.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::{self, Axis};
use super::style::{self, Mark};
use crate::error::Result;
use crate::report::data::Comparison;
use crate::report::format;

/// File stem of the chart.
pub const STEM: &str = "latency_percentiles";
/// Title of the chart.
pub const TITLE: &str = "Latency percentiles";

/// The percentiles shown, as (figure path, label).
const LEVELS: [(&str, &str); 4] = [
    ("latency_ms.p50", "p50"),
    ("latency_ms.p90", "p90"),
    ("latency_ms.p99", "p99"),
    ("latency_ms.p999", "p99.9"),
];

/// Draws the percentiles: one column per percentile, one dot per scenario in
/// its colour, joined across percentiles so each scenario's tail reads as a
/// line that rises. Latency goes on a log axis when the percentiles span
/// orders of magnitude, which the tail usually does under load.
pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &Comparison) -> Result<()> {
    let fail = style::fail(STEM);
    let legend = style::scenario_legend(data, Mark::Line);
    let area = style::frame(root, STEM, TITLE, &legend)?;

    let mut values = Vec::new();
    for r in &data.results {
        for (path, _) in LEVELS {
            if let Some(f) = r.figure(path) {
                values.push(f.value);
                if let Some(ci) = f.ci {
                    values.extend([ci.low(), ci.high()]);
                }
            }
        }
    }
    values.retain(|v| *v > 0.0);
    let y = Axis::fit(&values, 8.0, 1.15);
    let x = Axis {
        ticks: vec![0.0, 1.0, 2.0, 3.0],
        ..Axis::linear(-0.5, 3.5)
    };

    let mut chart = ChartBuilder::on(&area)
        .margin(20)
        .margin_right(50)
        .x_label_area_size(80)
        .y_label_area_size(130)
        .build_cartesian_2d(x.coord(), y.coord())
        .map_err(&fail)?;
    let x_label = |v: &f64| {
        LEVELS
            .get(v.round().max(0.0) as usize)
            .map_or(String::new(), |(_, l)| l.to_string())
    };
    let y_label = |v: &f64| y.label(*v);
    let y_desc = if y.scale == axes::Scale::Log {
        "latency (ms, log scale)"
    } else {
        "latency (ms)"
    };
    style::house_mesh(chart.configure_mesh().disable_x_mesh())
        .x_label_style(style::text(style::AXIS_SIZE))
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .y_desc(y_desc)
        .draw()
        .map_err(&fail)?;

    let n = data.results.len();
    // Spread the scenarios across a column so their error bars do not overlap.
    let spread = 0.6;
    let offset = |i: usize| {
        if n < 2 {
            0.0
        } else {
            -spread / 2.0 + spread * i as f64 / (n - 1) as f64
        }
    };
    let labelled = n <= 4;
    for (i, r) in data.results.iter().enumerate() {
        let colour = style::colour(i);
        let points: Vec<(f64, f64, style::Bar)> = LEVELS
            .iter()
            .enumerate()
            .filter_map(|(k, (path, _))| {
                let f = r.figure(path)?;
                let at = y.at(f.value);
                at.is_finite().then(|| {
                    let bar =
                        f.ci.filter(|ci| ci.half_width > 0.0)
                            .map(|ci| (y.clamped(ci.low()), y.clamped(ci.high())));
                    (k as f64 + offset(i), at, bar)
                })
            })
            .collect();
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|(px, py, _)| (*px, *py)),
                colour.mix(0.55).stroke_width(2),
            ))
            .map_err(&fail)?;
        for (px, _, bar) in &points {
            if let Some(bar) = bar {
                style::error_bar(&mut chart, STEM, *px, *bar, style::INK, 22)?;
            }
        }
        chart
            .draw_series(
                points
                    .iter()
                    .map(|(px, py, _)| Circle::new((*px, *py), 11, colour.filled())),
            )
            .map_err(&fail)?;
        if labelled {
            chart
                .draw_series(points.iter().map(|(px, py, _)| {
                    EmptyElement::at((*px, *py))
                        + Text::new(
                            format::sig(y.value(*py)),
                            (16, 0),
                            style::anchored(style::NOTE_SIZE, colour, HPos::Left, VPos::Center),
                        )
                }))
                .map_err(&fail)?;
        }
    }
    Ok(())
}
