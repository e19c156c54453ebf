//! The frontier of a plan: the minimised figure across, the charted
//! objective up, feasible setups filled and the others hollow.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::{self, Axis};
use super::cost_vs_p99::frontier;
use super::place::{self, Rect};
use super::style::{self, Entry, Mark};
use crate::error::Result;
use crate::report::data::PlanData;
use crate::report::format;

/// File stem of the chart.
pub const STEM: &str = "plan_frontier";

/// Returns the title of the chart: the minimised figure against the charted
/// objective (`Plan: cost per hour against availability`).
pub fn title(data: &PlanData) -> String {
    format!(
        "Plan: {} against {}",
        format::metric(&data.minimised).name,
        format::metric(&data.charted.0).name
    )
}

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

/// Returns the legend: only what the chart draws (no frontier line under
/// two points, no hollow mark when every setup met the objectives).
fn legend(data: &PlanData, drawn: &[usize], front: &[usize]) -> Vec<Entry> {
    let metric = format::metric(&data.charted.0);
    let mut legend = Vec::new();
    if drawn.iter().any(|&i| data.setups[i].feasible) {
        legend.push(Entry::new(
            "meets every objective",
            style::colour(0),
            Mark::Swatch,
        ));
    }
    if drawn.iter().any(|&i| !data.setups[i].feasible) {
        legend.push(Entry::new(
            "hollow: misses one",
            style::colour(1),
            Mark::Ring,
        ));
    }
    if data.charted.1.is_finite() {
        legend.push(Entry::new(
            format!("limit: {}", metric.show(data.charted.1)),
            style::INK,
            Mark::Line,
        ));
    }
    if front.len() > 1 {
        legend.push(Entry::new("frontier", style::GREY, Mark::Dashed));
    }
    legend
}

/// Returns the low and high ends of the charted objective's 95% interval for
/// setup `i`, in the unit shown, when it has a proper one.
fn interval(data: &PlanData, i: usize) -> Option<(f64, f64)> {
    let scale = format::metric(&data.charted.0).scale;
    let ci = data.setups[i]
        .result
        .as_ref()?
        .figure(&data.charted.0)?
        .ci
        .filter(|ci| ci.half_width > 0.0)?;
    Some((ci.low() * scale, ci.high() * scale))
}

/// Returns the y axis in the unit shown (percent for a share): zoomed
/// around the setups, their intervals and the limit, so that a limit of
/// 99.99% and setups at 100% stand apart.
pub fn y_axis(data: &PlanData) -> Axis {
    let shown = format::metric(&data.charted.0);
    let mut ys: Vec<f64> = points(data).iter().map(|p| p.1 * shown.scale).collect();
    ys.push(data.charted.1 * shown.scale);
    for i in 0..data.setups.len() {
        if let Some((lo, hi)) = interval(data, i) {
            ys.extend([lo, hi]);
        }
    }
    if shown.unit == "%" {
        // No share goes past 100%, whatever an interval's arithmetic says.
        ys.iter_mut().for_each(|v| *v = v.clamp(0.0, 100.0));
    }
    Axis::zoomed(&ys)
}

/// Returns the label of the winner (`best: cores=2, speed=2.0`).
fn best_label(data: &PlanData, labels: &[String]) -> String {
    let name = data
        .parameters
        .iter()
        .zip(labels)
        .map(|(p, v)| format!("{}={v}", p.rsplit('.').next().unwrap_or(p)))
        .collect::<Vec<_>>()
        .join(", ");
    format!("best: {name}")
}

/// Draws one point per setup that ran, with its interval, the limit as a
/// line, the frontier through the setups worth choosing, and the winner's
/// name beside it, inside the plot and off the other marks.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &PlanData,
    ceiling: bool,
) -> Result<()> {
    let fail = style::fail(STEM);
    let shown = format::metric(&data.charted.0);
    let x_metric = format::metric(&data.minimised);
    let points = points(data);
    let front = frontier_of(data, ceiling);
    let drawn: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].0.is_finite() && points[i].1.is_finite())
        .collect();
    let area = style::frame(root, STEM, &title(data), &legend(data, &drawn, &front))?;
    let (_, x_hi) = axes::zero_range(drawn.iter().map(|&i| points[i].0), 1.0);
    let x = Axis::linear(0.0, x_hi * 1.15);
    let y = y_axis(data);
    let limit = y.at(data.charted.1 * shown.scale);
    let mut chart = ChartBuilder::on(&area)
        .margin(20)
        .margin_right(60)
        .x_label_area_size(90)
        .y_label_area_size(150)
        .build_cartesian_2d(x.coord(), y.coord())
        .map_err(&fail)?;
    let x_label = |v: &f64| x_metric.show(*v);
    let y_label = |v: &f64| y.label(*v);
    style::house_mesh(&mut chart.configure_mesh())
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .x_desc(x_metric.axis())
        .y_desc(shown.axis())
        .draw()
        .map_err(&fail)?;
    // What the winner's name must not cover, in pixels.
    let mut marks: Vec<Rect> = Vec::new();
    if limit.is_finite() {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x.lo, limit), (x.hi, limit)],
                style::INK.stroke_width(2),
            )))
            .map_err(&fail)?;
        let (left, y_px) = chart.backend_coord(&(x.lo, limit));
        let (right, _) = chart.backend_coord(&(x.hi, limit));
        marks.push(Rect {
            left,
            top: y_px - 3,
            right,
            bottom: y_px + 3,
        });
    }
    let at = |i: usize| (points[i].0, y.at(points[i].1 * shown.scale));
    if front.len() > 1 {
        chart
            .draw_series(DashedLineSeries::new(
                front.iter().map(|&i| at(i)),
                14,
                10,
                style::GREY.stroke_width(3),
            ))
            .map_err(&fail)?;
    }
    let mut best = None;
    for &i in &drawn {
        let s = &data.setups[i];
        let (cost, value) = at(i);
        if let Some((lo, hi)) = interval(data, i) {
            let bar = (y.clamped(lo), y.clamped(hi));
            style::error_bar(&mut chart, STEM, cost, bar, style::INK, 18)?;
            let (left, top) = chart.backend_coord(&(cost, bar.1));
            let (_, bottom) = chart.backend_coord(&(cost, bar.0));
            marks.push(Rect {
                left: left - 10,
                top,
                right: left + 10,
                bottom,
            });
        }
        let marker = if s.feasible {
            style::colour(0).filled()
        } else {
            style::colour(1).stroke_width(5)
        };
        let radius = if s.best { 20 } else { 13 };
        chart
            .draw_series(std::iter::once(Circle::new((cost, value), radius, marker)))
            .map_err(&fail)?;
        marks.push(Rect::around(
            chart.backend_coord(&(cost, value)),
            radius + 3,
        ));
        if s.best {
            best = Some((i, radius));
        }
    }
    if let Some((i, radius)) = best {
        label_best(&mut chart, data, at(i), radius, &marks)?;
    }
    Ok(())
}

/// Writes the winner's name beside its point `at` (drawing coordinates),
/// placed inside the plot and off `marks` (pixels).
fn label_best<DB: DrawingBackend>(
    chart: &mut axes::Chart<'_, DB>,
    data: &PlanData,
    at: (f64, f64),
    radius: i32,
    marks: &[Rect],
) -> Result<()> {
    let fail = style::fail(STEM);
    let Some(setup) = data.setups.iter().find(|s| s.best) else {
        return Ok(());
    };
    let text = best_label(data, &setup.labels);
    let style = style::anchored(style::NOTE_SIZE, style::INK, HPos::Left, VPos::Top);
    let area = chart.plotting_area();
    let (w, h) = area.estimate_text_size(&text, &style).map_err(&fail)?;
    let size = (
        i32::try_from(w).unwrap_or(i32::MAX / 4),
        i32::try_from(h).unwrap_or(0),
    );
    let (xs, ys) = area.get_pixel_range();
    let plot = Rect {
        left: xs.start + 6,
        top: ys.start + 6,
        right: xs.end - 6,
        bottom: ys.end - 6,
    };
    let (px, py) = chart.backend_coord(&at);
    let mark = Rect::around((px, py), radius);
    let placed = place::beside(mark, size, 10, &plot, marks);
    style::note(
        chart,
        STEM,
        at,
        text,
        (placed.left - px, placed.top - py),
        style,
    )
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    /// Returns the x of the SVG text whose content starts with `prefix`,
    /// when it is anchored at its start.
    fn text_x(svg: &str, prefix: &str) -> Option<i32> {
        svg.split("<text").skip(1).find_map(|t| {
            let (attrs, rest) = t.split_once('>')?;
            if !rest.trim_start().starts_with(prefix) {
                return None;
            }
            assert!(attrs.contains("text-anchor=\"start\""), "{attrs}");
            attrs.split("x=\"").nth(1)?.split('"').next()?.parse().ok()
        })
    }

    #[test]
    fn the_title_names_the_minimised_figure() {
        let mut data = sample::plan();
        assert_eq!(title(&data), "Plan: cost per hour against p99 latency");
        data.minimised = "latency_ms.p99".into();
        data.charted = ("availability".into(), 0.9999);
        assert_eq!(title(&data), "Plan: p99 latency against availability");
    }

    #[test]
    fn a_share_is_charted_in_percent_around_its_limit() {
        // See: availability drawn as fractions (0 to 1.25) on a percent axis.
        let mut data = sample::plan();
        data.charted = ("availability".into(), 0.9999);
        let y = y_axis(&data);
        assert!(y.lo > 99.9 && y.lo < 99.99, "{y:?}");
        assert!(y.hi > 100.0 && y.hi < 100.01, "{y:?}");
        assert!(y.ticks.iter().all(|t| (99.9..=100.01).contains(t)), "{y:?}");
    }

    #[test]
    fn the_legend_lists_only_what_is_drawn() {
        let labels = |data: &PlanData| {
            let drawn: Vec<usize> = (0..data.setups.len())
                .filter(|&i| data.setups[i].result.is_some())
                .collect();
            legend(data, &drawn, &frontier_of(data, true))
                .into_iter()
                .map(|e| e.label)
                .collect::<Vec<_>>()
        };
        let data = sample::plan();
        assert_eq!(
            labels(&data),
            [
                "meets every objective",
                "hollow: misses one",
                "limit: 30.0 ms",
                "frontier"
            ]
        );
        // Only the winner ran: no frontier, nothing hollow.
        let mut alone = sample::plan();
        alone.setups[0].result = None;
        assert_eq!(labels(&alone), ["meets every objective", "limit: 30.0 ms"]);
    }

    #[test]
    fn the_winners_name_stays_inside_the_plot() {
        // See: "best: cores=2, speed=2.…" cut at the right edge. The winner is
        // the dearest setup, so its point sits near the right of the plot.
        let data = sample::plan();
        let drawn = crate::report::charts::plan(&data, true, None).unwrap();
        let svg = &drawn[0].svg;
        let text = "best: cores=2, speed=2.0";
        let x = text_x(svg, text).expect("the winner is named");
        style::fonts().unwrap();
        let (width, _) = style::text(style::NOTE_SIZE).font.box_size(text).unwrap();
        let width = i32::try_from(width).unwrap();
        // The plot ends at the right margin (60 px) of the 1600 px chart.
        assert!(x > 150 && x + width <= 1600 - 60, "{x} + {width}");
    }
}
