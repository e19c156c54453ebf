//! The frontier of a plan: the minimised figure (the cost) across, the
//! charted objective up, feasible setups filled and the others hollow.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::{self, Axis};
use super::cost_vs_p99::frontier;
use super::style::{self, Entry, Mark};
use crate::error::Result;
use crate::report::data::PlanData;
use crate::report::format;

/// File stem of the chart.
pub const STEM: &str = "plan_frontier";
/// Title of the chart.
pub const TITLE: &str = "Plan: cost against the objective";

/// Returns (minimised, charted objective) of each setup that ran; NaN for the others.
fn points(data: &PlanData) -> Vec<(f64, f64)> {
    data.setups
        .iter()
        .map(|s| match &s.result {
            Some(r) => (s.minimised, r.value(&data.charted.0)),
            None => (f64::NAN, f64::NAN),
        })
        .collect()
}

/// Returns the setups on the trade-off frontier, cheapest first: those no
/// other setup that ran beats on both the minimised figure and the charted
/// objective (lower is better below a ceiling, higher above a floor).
pub fn frontier_of(data: &PlanData, ceiling: bool) -> Vec<usize> {
    let sign = if ceiling { 1.0 } else { -1.0 };
    let oriented: Vec<(f64, f64)> = points(data)
        .into_iter()
        .map(|(x, y)| (x, sign * y))
        .collect();
    frontier(&oriented)
}

/// Draws one point per setup that ran, with its interval, the limit as a
/// dashed line, and the frontier through the setups worth choosing.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &PlanData,
    ceiling: bool,
) -> Result<()> {
    let fail = style::fail(STEM);
    let (path, limit) = (&data.charted.0, data.charted.1);
    let metric = format::metric(path);
    let x_metric = format::metric(&data.minimised);
    let points = points(data);
    let front = frontier_of(data, ceiling);
    let legend = vec![
        Entry::new("meets every objective", style::colour(0), Mark::Swatch),
        Entry::new("hollow: misses one", style::colour(1), Mark::Ring),
        Entry::new(
            format!("limit: {}", metric.show(limit)),
            style::INK,
            Mark::Line,
        ),
        Entry::new("frontier", style::GREY, Mark::Dashed),
    ];
    let area = style::frame(root, STEM, TITLE, &legend)?;
    let (_, x_hi) = axes::zero_range(points.iter().map(|p| p.0), 1.0);
    let x = Axis::linear(0.0, x_hi * 1.15);
    let mut ys: Vec<f64> = points.iter().map(|p| p.1).collect();
    ys.push(limit);
    for s in &data.setups {
        if let Some(ci) = s
            .result
            .as_ref()
            .and_then(|r| r.figure(path))
            .and_then(|f| f.ci)
        {
            ys.extend([ci.low(), ci.high()]);
        }
    }
    ys.retain(|v| v.is_finite() && *v > 0.0);
    let y = Axis::fit(&ys, 30.0, 1.25);
    let mut chart = ChartBuilder::on(&area)
        .margin(20)
        .margin_right(60)
        .x_label_area_size(90)
        .y_label_area_size(130)
        .build_cartesian_2d(x.coord(), y.coord())
        .map_err(&fail)?;
    let x_label = |v: &f64| x_metric.show(*v);
    let y_label = |v: &f64| y.label(*v);
    style::house_mesh(&mut chart.configure_mesh())
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .x_desc(x_metric.axis())
        .y_desc(metric.axis())
        .draw()
        .map_err(&fail)?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(x.lo, y.at(limit)), (x.hi, y.at(limit))],
            style::INK.stroke_width(2),
        )))
        .map_err(&fail)?;
    if front.len() > 1 {
        chart
            .draw_series(DashedLineSeries::new(
                front.iter().map(|&i| (points[i].0, y.at(points[i].1))),
                14,
                10,
                style::GREY.stroke_width(3),
            ))
            .map_err(&fail)?;
    }
    for (i, s) in data.setups.iter().enumerate() {
        let (cost, value) = points[i];
        let at = y.at(value);
        if !(cost.is_finite() && at.is_finite()) {
            continue;
        }
        if let Some(ci) = s
            .result
            .as_ref()
            .and_then(|r| r.figure(path))
            .and_then(|f| f.ci)
            .filter(|ci| ci.half_width > 0.0)
        {
            let bar = (y.clamped(ci.low()), y.clamped(ci.high()));
            style::error_bar(&mut chart, STEM, cost, bar, style::INK, 18)?;
        }
        let marker = if s.feasible {
            style::colour(0).filled()
        } else {
            style::colour(1).stroke_width(5)
        };
        let radius = if s.best { 20 } else { 13 };
        chart
            .draw_series(std::iter::once(Circle::new((cost, at), radius, marker)))
            .map_err(&fail)?;
        if s.best {
            let name = data
                .parameters
                .iter()
                .zip(&s.labels)
                .map(|(p, v)| format!("{}={v}", p.rsplit('.').next().unwrap_or(p)))
                .collect::<Vec<_>>()
                .join(", ");
            style::note(
                &mut chart,
                STEM,
                (cost, at),
                format!("best: {name}"),
                (28, 0),
                style::anchored(style::NOTE_SIZE, style::INK, HPos::Left, VPos::Center),
            )?;
        }
    }
    Ok(())
}
