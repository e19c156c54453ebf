//! The distribution of latency per scenario, on a log latency axis.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::{self, Axis};
use super::style::{self, Mark};
use crate::error::Result;
use crate::report::data::Comparison;

/// File stem of the chart.
pub const STEM: &str = "latency_cdf";
/// Title of the chart.
pub const TITLE: &str = "Latency distribution (CDF)";

/// Reference levels drawn across the chart, as (percent, label).
const REFERENCES: [(f64, &str); 3] = [(50.0, "p50"), (90.0, "p90"), (99.0, "p99")];

/// Draws the share of requests answered within each latency, one line per
/// scenario. The latency axis is logarithmic so that the body and the tail of
/// the distribution both stay readable.
pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &Comparison) -> Result<()> {
    let fail = style::fail(STEM);
    let legend = style::scenario_legend(data, Mark::Line);
    let area = style::frame(root, STEM, TITLE, &legend)?;

    let latencies = data
        .results
        .iter()
        .flat_map(|r| r.cdf.iter().map(|p| p.latency_ms));
    let (lo, hi) = axes::log_range(latencies).unwrap_or((0.1, 10.0));
    let x = Axis::log(lo, hi);
    let y = Axis {
        ticks: vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0],
        ..Axis::linear(0.0, 102.0)
    };
    let mut chart = ChartBuilder::on(&area)
        .margin(20)
        .margin_right(60)
        .x_label_area_size(90)
        .y_label_area_size(130)
        .build_cartesian_2d(x.coord(), y.coord())
        .map_err(&fail)?;
    let x_label = |v: &f64| x.label(*v);
    let y_label = |v: &f64| format!("{}%", y.label(*v));
    style::house_mesh(&mut chart.configure_mesh())
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .x_desc("latency (ms, log scale)")
        .y_desc("requests answered within (%)")
        .draw()
        .map_err(&fail)?;

    let (x0, x1) = (x.at(lo), x.at(hi));
    for (level, label) in REFERENCES {
        chart
            .draw_series(DashedLineSeries::new(
                [(x0, level), (x1, level)],
                10,
                8,
                style::GREY.stroke_width(2),
            ))
            .map_err(&fail)?;
        style::note(
            &mut chart,
            STEM,
            (x0, level),
            label.to_string(),
            (10, -6),
            style::anchored(style::NOTE_SIZE, style::GREY, HPos::Left, VPos::Bottom),
        )?;
    }
    for (i, r) in data.results.iter().enumerate() {
        let points: Vec<(f64, f64)> = r
            .cdf
            .iter()
            .filter(|p| p.latency_ms > 0.0)
            .map(|p| (x.at(p.latency_ms), p.quantile * 100.0))
            .collect();
        chart
            .draw_series(LineSeries::new(
                points,
                style::colour(i).stroke_width(style::line_width(i, data.results.len(), 3)),
            ))
            .map_err(&fail)?;
    }
    Ok(())
}
