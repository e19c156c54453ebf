//! Price per hour against p99 latency: the trade-off between the scenarios.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::{self, Axis};
use super::style::{self, Entry, Mark};
use crate::error::Result;
use crate::report::data::Comparison;
use crate::report::format;
use crate::report::reading::meets_objective;

/// File stem of the chart.
pub const STEM: &str = "cost_vs_p99";
/// Title of the chart.
pub const TITLE: &str = "Cost against p99 latency";

/// Returns the indices of the scenarios on the trade-off frontier, cheapest
/// first: those that no other scenario beats on both price and p99.
pub fn frontier(points: &[(f64, f64)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].0.is_finite() && points[i].1.is_finite())
        .collect();
    order.sort_by(|&a, &b| {
        points[a]
            .0
            .total_cmp(&points[b].0)
            .then(points[a].1.total_cmp(&points[b].1))
    });
    let mut best = f64::INFINITY;
    let mut out = Vec::new();
    for i in order {
        if points[i].1 < best {
            best = points[i].1;
            out.push(i);
        }
    }
    out
}

/// Returns the setups of `data` on its trade-off frontier of price against
/// p99, from the cheapest. A setup that misses the availability objective is
/// never on it (the chart draws it hollow): its p99 covers only the requests
/// it answered.
pub fn frontier_of(data: &Comparison) -> Vec<usize> {
    let eligible: Vec<(f64, f64)> = data
        .results
        .iter()
        .map(|r| match meets_objective(r) {
            true => (r.value("cost_per_hour"), r.value("latency_ms.p99")),
            false => (f64::NAN, f64::NAN),
        })
        .collect();
    frontier(&eligible)
}

/// Draws one labelled point per scenario, price across and p99 up, with the
/// frontier dashed through the scenarios worth choosing: lower left is better.
pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &Comparison) -> Result<()> {
    let fail = style::fail(STEM);
    let points: Vec<(f64, f64)> = data
        .results
        .iter()
        .map(|r| (r.value("cost_per_hour"), r.value("latency_ms.p99")))
        .collect();
    let meets: Vec<bool> = data.results.iter().map(meets_objective).collect();
    let front = frontier_of(data);
    let mut legend: Vec<Entry> = data
        .results
        .iter()
        .enumerate()
        .map(|(i, r)| Entry::new(&r.scenario, style::colour(i), Mark::Swatch))
        .collect();
    if front.len() > 1 {
        legend.push(Entry::new("trade-off frontier", style::GREY, Mark::Dashed));
    }
    if meets.iter().any(|ok| !ok) {
        legend.push(Entry::new(
            "hollow: misses the availability objective",
            style::GREY,
            Mark::Ring,
        ));
    }
    let area = style::frame(root, STEM, TITLE, &legend)?;

    // Room to the right of the dearest point keeps its label inside the frame.
    let (_, x_hi) = axes::zero_range(points.iter().map(|p| p.0), 1.0);
    let x = Axis::linear(0.0, x_hi * 1.3);
    let mut latencies: Vec<f64> = points.iter().map(|p| p.1).collect();
    for r in &data.results {
        if let Some(ci) = r.figure("latency_ms.p99").and_then(|f| f.ci) {
            latencies.extend([ci.low(), ci.high()]);
        }
    }
    latencies.retain(|v| *v > 0.0);
    let y = Axis::fit(&latencies, 30.0, 1.25);

    let mut chart = ChartBuilder::on(&area)
        .margin(20)
        .margin_right(60)
        .x_label_area_size(90)
        .y_label_area_size(130)
        .build_cartesian_2d(x.coord(), y.coord())
        .map_err(&fail)?;
    let x_label = |v: &f64| format!("${}", x.label(*v));
    let y_label = |v: &f64| y.label(*v);
    let y_desc = if y.scale == axes::Scale::Log {
        "p99 latency (ms, log scale)"
    } else {
        "p99 latency (ms)"
    };
    style::house_mesh(&mut chart.configure_mesh())
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .x_desc("cost per hour ($/h)")
        .y_desc(y_desc)
        .draw()
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
    let (_, y_top) = (y.at(y.lo), y.at(y.hi));
    style::note(
        &mut chart,
        STEM,
        (x.at(x.hi), y_top),
        "lower left is better".to_string(),
        (-12, 10),
        style::anchored(style::NOTE_SIZE, style::GREY, HPos::Right, VPos::Top),
    )?;
    let mut labels = Vec::new();
    for (i, r) in data.results.iter().enumerate() {
        let (cost, p99) = points[i];
        let at = y.at(p99);
        if !(cost.is_finite() && at.is_finite()) {
            continue;
        }
        let colour = style::colour(i);
        if let Some(ci) = r
            .figure("latency_ms.p99")
            .and_then(|f| f.ci)
            .filter(|ci| ci.half_width > 0.0)
        {
            style::error_bar(
                &mut chart,
                STEM,
                cost,
                (y.clamped(ci.low()), y.clamped(ci.high())),
                style::INK,
                22,
            )?;
        }
        let marker = if meets[i] {
            colour.filled()
        } else {
            colour.stroke_width(5)
        };
        chart
            .draw_series(std::iter::once(Circle::new((cost, at), 15, marker)))
            .map_err(&fail)?;
        labels.push((i, cost, at));
    }
    place_labels(root, &chart, data, &points, &labels)?;
    Ok(())
}

/// Writes each point's label beside it: to the right in the left half of the
/// chart and to the left in the right half, pushed down when it would cover
/// another label (scenarios of equal price sit on the same vertical).
fn place_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &axes::Chart<'_, DB>,
    data: &Comparison,
    points: &[(f64, f64)],
    labels: &[(usize, f64, f64)],
) -> Result<()> {
    let fail = style::fail(STEM);
    let origin = root.get_base_pixel();
    let (width, _) = root.dim_in_pixel();
    let mid = i32::try_from(width / 2).unwrap_or(0) + origin.0;
    let text = style::text(style::NOTE_SIZE);
    let row = (style::NOTE_SIZE * 1.25) as i32;
    // (left edge, right edge, y) of the labels written so far.
    let mut placed: Vec<(i32, i32, i32)> = Vec::new();
    let mut order: Vec<&(usize, f64, f64)> = labels.iter().collect();
    order.sort_by(|a, b| b.2.total_cmp(&a.2));
    for &&(i, x, y) in &order {
        let (cost, p99) = points[i];
        let result = &data.results[i];
        let answered = if meets_objective(result) {
            String::new()
        } else {
            format!(
                ", {}% answered",
                format::percent(result.value("availability") * 100.0)
            )
        };
        let label = format!(
            "{} ({} ms, ${}/h{answered})",
            result.scenario,
            format::sig(p99),
            format::money(cost)
        );
        let (w, _) = root.estimate_text_size(&label, &text).map_err(&fail)?;
        let w = i32::try_from(w).unwrap_or(0);
        let (px, mut py) = chart.backend_coord(&(x, y));
        let right = px < mid;
        let (x0, x1) = if right {
            (px + 24, px + 24 + w)
        } else {
            (px - 24 - w, px - 24)
        };
        while placed
            .iter()
            .any(|&(a, b, c)| a < x1 && x0 < b && (c - py).abs() < row)
        {
            py += row;
        }
        placed.push((x0, x1, py));
        // Anchoring at the end nearest the point keeps the gap exact even where
        // a viewer's font is wider or narrower than the one measured here.
        let (x, h) = if right {
            (x0, HPos::Left)
        } else {
            (x1, HPos::Right)
        };
        root.draw(&Text::new(
            label,
            (x - origin.0, py - origin.1),
            style::anchored(style::NOTE_SIZE, style::INK, h, VPos::Center),
        ))
        .map_err(&fail)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::frontier;

    #[test]
    fn frontier_keeps_the_undominated() {
        // (cost, p99): the second is dearer and slower than the first.
        let points = [(1.0, 10.0), (2.0, 12.0), (3.0, 4.0), (0.5, 30.0)];
        assert_eq!(frontier(&points), vec![3, 0, 2]);
    }
}
