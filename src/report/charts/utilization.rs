//! Utilisation of each component, per scenario.

use std::collections::HashSet;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::{self, Axis};
use super::style::{self, Entry, Mark};
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
/// each labelled with its percentage (and its busiest machine's, above it).
/// A component near 100% is the bottleneck.
pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &Comparison) -> Result<()> {
    let fail = style::fail(STEM);
    let all = components(data);
    let count = all.len();
    let names = busiest(data, all);
    let bars: Vec<Vec<Bar>> = names.iter().map(|name| bars(data, name)).collect();
    let mut legend = style::scenario_legend(data, Mark::Swatch);
    if bars.iter().flatten().any(|b| b.peak.is_some()) {
        legend.push(Entry::new("busiest machine", style::INK, Mark::Line));
    }
    let area = style::frame(root, STEM, TITLE, &legend)?;
    let x_desc = if names.len() < count {
        format!("component (the {} busiest of {count})", names.len())
    } else {
        "component".to_string()
    };
    let top = bars
        .iter()
        .flatten()
        .flat_map(|b| [Some(b.mean), b.ci.map(|(_, hi)| hi), b.peak])
        .flatten()
        .filter(|v| v.is_finite())
        .fold(100.0_f64, f64::max);
    let y = Axis {
        ticks: axes::linear_ticks(0.0, top, 5),
        // Room above the tallest bar for its two lines of labels.
        ..Axis::linear(0.0, top * 1.2)
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
    // Every bar has one width, even where fewer scenarios share a component.
    let most = bars.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let width = (group / most as f64).min(0.3);
    let (x0, _) = chart.backend_coord(&(0.0, 0.0));
    let (x1, _) = chart.backend_coord(&(width, 0.0));
    let measure = |text: &str, size: f64| {
        area.estimate_text_size(text, &style::text(size))
            .map_or(i32::MAX, |(w, _)| i32::try_from(w).unwrap_or(i32::MAX))
    };
    let labels = fit_labels(&bars, x1 - x0, &measure);
    for (k, group_bars) in bars.iter().enumerate() {
        let start = k as f64 - width * group_bars.len() as f64 / 2.0;
        for (j, bar) in group_bars.iter().enumerate() {
            let left = start + j as f64 * width;
            draw_bar(&mut chart, bar, left, width)?;
            if let Some((size, lines)) = &labels {
                let centre = left + width / 2.0;
                let above = [Some(bar.mean), bar.ci.map(|(_, hi)| hi), bar.peak]
                    .into_iter()
                    .flatten()
                    .fold(0.0, f64::max);
                label_bar(&mut chart, (centre, above), &lines[k][j], *size)?;
            }
        }
    }
    Ok(())
}

/// One bar of the chart: a scenario's mean utilisation of a component \[%\],
/// its interval, and its busiest machine's.
#[derive(Clone, Debug)]
struct Bar {
    /// The scenario's index, for its colour.
    scenario: usize,
    /// Mean utilisation \[%\].
    mean: f64,
    /// The 95% interval of the mean \[%\], when there is one.
    ci: style::Bar,
    /// The busiest machine's utilisation \[%\], when there are several.
    peak: Option<f64>,
}

/// Returns the bars of component `name`, one per scenario that has it.
fn bars(data: &Comparison, name: &str) -> Vec<Bar> {
    let path = format!("components.{name}.utilization");
    let peak_path = format!("components.{name}.busiest_utilization");
    data.results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            // No bar where the utilisation does not apply: 0 would be false.
            if !has_cores(r, name) {
                return None;
            }
            let f = r.figure(&path)?;
            let ci =
                f.ci.filter(|ci| ci.half_width > 0.0)
                    .map(|ci| ((ci.low() * 100.0).max(0.0), ci.high() * 100.0));
            let peak = r
                .figure(&peak_path)
                .map(|p| p.value * 100.0)
                .filter(|p| p.is_finite());
            f.value.is_finite().then_some(Bar {
                scenario: i,
                mean: f.value * 100.0,
                ci,
                peak,
            })
        })
        .collect()
}

/// Draws a bar from `left`, `width` wide, with its interval and, across it,
/// the busiest machine's utilisation where the mean hides it.
fn draw_bar<DB: DrawingBackend>(
    chart: &mut axes::Chart<'_, DB>,
    bar: &Bar,
    left: f64,
    width: f64,
) -> Result<()> {
    let fail = style::fail(STEM);
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(left + width * 0.06, 0.0), (left + width * 0.94, bar.mean)],
            style::colour(bar.scenario).filled(),
        )))
        .map_err(&fail)?;
    if let Some((lo, hi)) = bar.ci {
        style::error_bar(chart, STEM, left + width / 2.0, (lo, hi), style::INK, 18)?;
    }
    if let Some(peak) = bar.peak {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(left, peak), (left + width, peak)],
                style::INK.stroke_width(4),
            )))
            .map_err(&fail)?;
    }
    Ok(())
}

/// Returns the lines written above a bar, bottom first: its mean, then the
/// busiest machine's where it rounds to another percentage (where it does
/// not, the bar across at the same height says enough).
fn bar_lines(bar: &Bar) -> Vec<String> {
    let mean = format!("{:.0}%", bar.mean);
    let mut lines = vec![mean.clone()];
    if let Some(peak) = bar.peak.map(|p| format!("{p:.0}%")) {
        if peak != mean {
            lines.push(format!("busiest {peak}"));
        }
    }
    lines
}

/// Smallest size of the labels above the bars \[px\]: below it they are
/// too small to read on a slide.
const MIN_LABEL_SIZE: f64 = 16.0;

/// Returns the size of the bars' labels and their lines (by component, then
/// bar), such that the widest fits a bar `slot` pixels wide (`measure` gives a
/// text's width at a size): the note size, or smaller, or without the busiest
/// machine's line; `None` when even the means do not fit, as then labels of
/// neighbouring bars would print over each other.
fn fit_labels(
    bars: &[Vec<Bar>],
    slot: i32,
    measure: &dyn Fn(&str, f64) -> i32,
) -> Option<(f64, Vec<Vec<Vec<String>>>)> {
    let full: Vec<Vec<Vec<String>>> = bars
        .iter()
        .map(|g| g.iter().map(bar_lines).collect())
        .collect();
    let means: Vec<Vec<Vec<String>>> = full
        .iter()
        .map(|g| g.iter().map(|l| l[..1].to_vec()).collect())
        .collect();
    let room = slot - 6;
    let fits = |lines: &Vec<Vec<Vec<String>>>, size: f64| {
        lines
            .iter()
            .flatten()
            .flatten()
            .all(|t| measure(t, size) <= room)
    };
    let sizes = || {
        let mut size = style::NOTE_SIZE;
        std::iter::from_fn(move || {
            let this = size;
            size -= 2.0;
            (this >= MIN_LABEL_SIZE).then_some(this)
        })
    };
    for lines in [full, means] {
        if let Some(size) = sizes().find(|&size| fits(&lines, size)) {
            return Some((size, lines));
        }
    }
    None
}

/// Writes `lines` stacked above the point `at` (drawing coordinates), the
/// first in ink, the others in grey.
fn label_bar<DB: DrawingBackend>(
    chart: &mut axes::Chart<'_, DB>,
    at: (f64, f64),
    lines: &[String],
    size: f64,
) -> Result<()> {
    let step = (size * 1.15) as i32;
    for (k, line) in lines.iter().enumerate() {
        let colour = if k == 0 { style::INK } else { style::GREY };
        style::note(
            chart,
            STEM,
            at,
            line.clone(),
            (0, -8 - k as i32 * step),
            style::anchored(size, colour, HPos::Center, VPos::Bottom),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn the_labels_of_the_bars_never_print_over_each_other() {
        // See: "busiest 20%" and the bar's "20%" printed as "busi20%20%".
        let texts = sample::legible_texts(&sample::comparison_svg(&sample::sessions(), STEM));
        for label in [
            "20%",
            "16%",
            "busiest 20%",
            "busiest 15%",
            "busiest machine",
        ] {
            assert!(
                texts.iter().any(|t| t == label),
                "{label} missing: {texts:?}"
            );
        }
        // A busiest machine as busy as the mean gets no second label.
        assert_eq!(
            texts.iter().filter(|t| t.starts_with("busiest 2")).count(),
            1
        );
    }

    #[test]
    fn labels_shrink_to_their_bar_then_drop_what_does_not_fit() {
        let bar = |mean, peak| Bar {
            scenario: 0,
            mean,
            ci: None,
            peak: Some(peak),
        };
        let bars = vec![vec![bar(16.0, 20.0), bar(20.0, 20.0)]];
        // Ten pixels a character at the note size, fewer when smaller.
        let measure = |t: &str, size: f64| (t.chars().count() as f64 * size * 0.4) as i32;
        let (size, lines) = fit_labels(&bars, 200, &measure).unwrap();
        assert_eq!(
            (size, lines[0][0].clone()),
            (
                style::NOTE_SIZE,
                vec!["16%".to_string(), "busiest 20%".to_string()]
            )
        );
        assert_eq!(lines[0][1], vec!["20%".to_string()]);
        let (size, _) = fit_labels(&bars, 100, &measure).unwrap();
        assert!((MIN_LABEL_SIZE..style::NOTE_SIZE).contains(&size));
        let (_, lines) = fit_labels(&bars, 40, &measure).unwrap();
        assert_eq!(lines[0][0], vec!["16%".to_string()]);
        assert!(fit_labels(&bars, 12, &measure).is_none());
    }
}
