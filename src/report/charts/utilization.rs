//! Utilisation of each component, per scenario.

use std::collections::HashSet;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::{self, Axis};
use super::style::{self, Mark};
use crate::error::Result;
use crate::report::data::Comparison;
use crate::report::format::has_cores;

/// File stem of the chart.
pub const STEM: &str = "utilization";
/// Title of the chart.
pub const TITLE: &str = "Utilisation per component";

/// Returns the names of the components with a utilisation (those with cores),
/// in the order they first appear across the scenarios.
pub fn components(data: &Comparison) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for r in &data.results {
        for f in &r.figures {
            if let [head, name, field] = f.path.as_slice() {
                if head == "components"
                    && field == "utilization"
                    && has_cores(r, name)
                    && seen.insert(name)
                {
                    names.push(name.clone());
                }
            }
        }
    }
    names
}

/// Most components the chart draws: beyond it, bars would be too thin to
/// read, so only the busiest are drawn.
pub const MAX_BARS: usize = 24;

/// Returns the components to draw: all of them, or the [`MAX_BARS`] busiest
/// (by their highest utilisation in any scenario), in their order.
fn busiest(data: &Comparison, names: Vec<String>) -> Vec<String> {
    if names.len() <= MAX_BARS {
        return names;
    }
    let peak = |name: &str| {
        let path = format!("components.{name}.utilization");
        data.results
            .iter()
            .filter_map(|r| r.figure(&path))
            .map(|f| f.value)
            .filter(|v| v.is_finite())
            .fold(0.0_f64, f64::max)
    };
    let mut ranked: Vec<(usize, f64)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (i, peak(n)))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut kept: Vec<usize> = ranked.iter().take(MAX_BARS).map(|&(i, _)| i).collect();
    kept.sort_unstable();
    kept.into_iter().map(|i| names[i].clone()).collect()
}

/// Draws one group of bars per component, one bar per scenario that has it,
/// each labelled with its percentage. A component near 100% is the bottleneck.
pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &Comparison) -> Result<()> {
    let fail = style::fail(STEM);
    let legend = style::scenario_legend(data, Mark::Swatch);
    let area = style::frame(root, STEM, TITLE, &legend)?;
    let all = components(data);
    let count = all.len();
    let names = busiest(data, all);
    let x_desc = if names.len() < count {
        format!("component (the {} busiest of {count})", names.len())
    } else {
        "component".to_string()
    };
    let path = |name: &str| format!("components.{name}.utilization");

    let peak_path = |name: &str| format!("components.{name}.busiest_utilization");
    let top = data
        .results
        .iter()
        .flat_map(|r| {
            names
                .iter()
                .flat_map(move |n| [r.figure(&path(n)), r.figure(&peak_path(n))])
                .flatten()
        })
        .map(|f| f.ci.map_or(f.value, |ci| ci.high()) * 100.0)
        .filter(|v| v.is_finite())
        .fold(100.0_f64, f64::max);
    let y = Axis {
        ticks: axes::linear_ticks(0.0, top, 5),
        ..Axis::linear(0.0, top * 1.12)
    };
    let x = Axis {
        ticks: (0..names.len()).map(|k| k as f64).collect(),
        ..Axis::linear(-0.5, names.len() as f64 - 0.5)
    };
    let mut chart = ChartBuilder::on(&area)
        .margin(20)
        .margin_right(40)
        .x_label_area_size(90)
        .y_label_area_size(130)
        .build_cartesian_2d(x.coord(), y.coord())
        .map_err(&fail)?;
    let x_label = |v: &f64| {
        names
            .get(v.round().max(0.0) as usize)
            .cloned()
            .unwrap_or_default()
    };
    let y_label = |v: &f64| y.label(*v);
    style::house_mesh(chart.configure_mesh().disable_x_mesh())
        .x_label_style(style::text(style::AXIS_SIZE))
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .x_desc(x_desc)
        .y_desc("utilisation (%)")
        .draw()
        .map_err(&fail)?;

    let group = 0.8;
    for (k, name) in names.iter().enumerate() {
        let bars: Vec<(usize, f64, style::Bar, Option<f64>)> = data
            .results
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                // No bar where the utilisation does not apply: 0 would be false.
                if !has_cores(r, name) {
                    return None;
                }
                let f = r.figure(&path(name))?;
                let ci =
                    f.ci.filter(|ci| ci.half_width > 0.0)
                        .map(|ci| ((ci.low() * 100.0).max(0.0), ci.high() * 100.0));
                let peak = r
                    .figure(&peak_path(name))
                    .map(|p| p.value * 100.0)
                    .filter(|p| p.is_finite());
                f.value
                    .is_finite()
                    .then_some((i, f.value * 100.0, ci, peak))
            })
            .collect();
        // Bars keep one width even where fewer scenarios share a component.
        let width = (group / bars.len().max(1) as f64).min(0.3);
        let start = k as f64 - width * bars.len() as f64 / 2.0;
        for (j, (i, v, ci, peak)) in bars.iter().enumerate() {
            let left = start + j as f64 * width;
            let centre = left + width / 2.0;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(left + width * 0.06, 0.0), (left + width * 0.94, *v)],
                    style::colour(*i).filled(),
                )))
                .map_err(&fail)?;
            if let Some((lo, hi)) = ci {
                style::error_bar(&mut chart, STEM, centre, (*lo, *hi), style::INK, 18)?;
            }
            // The busiest machine, where the mean hides it: a bar across.
            if let Some(peak) = peak {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(left, *peak), (left + width, *peak)],
                        style::INK.stroke_width(4),
                    )))
                    .map_err(&fail)?;
                style::note(
                    &mut chart,
                    STEM,
                    (centre, *peak),
                    format!("busiest {peak:.0}%"),
                    (0, -8),
                    style::anchored(style::NOTE_SIZE, style::GREY, HPos::Center, VPos::Bottom),
                )?;
            }
            let above = ci.map_or(*v, |(_, hi)| hi.max(*v));
            style::note(
                &mut chart,
                STEM,
                (centre, above),
                format!("{:.0}%", v),
                (0, -8),
                style::anchored(style::NOTE_SIZE, style::INK, HPos::Center, VPos::Bottom),
            )?;
        }
    }
    Ok(())
}
