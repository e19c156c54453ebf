//! Throughput against offered load, and availability, per scenario.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::{self, Axis};
use super::style::{self, Entry, Mark};
use crate::error::Result;
use crate::metrics::ScenarioResult;
use crate::report::data::Comparison;
use crate::report::format;

/// File stem of the chart.
pub const STEM: &str = "throughput_availability";
/// Title of the chart.
pub const TITLE: &str = "Throughput and availability";

/// Height of the band under each panel for the scenario names \[px\].
const NAMES_HEIGHT: u32 = 130;

/// Returns the offered load of a scenario \[requests/s\]: what it completed
/// divided by the share it completed, which is arrivals per measured second.
pub fn offered_rps(r: &ScenarioResult) -> f64 {
    let throughput = r.value("throughput_rps");
    let availability = r.value("availability");
    if availability > 0.0 {
        throughput / availability
    } else {
        let points = &r.series.points;
        points.iter().map(|p| p.offered_rps).sum::<f64>() / points.len().max(1) as f64
    }
}

/// Draws two panels: on the left, throughput bars with the offered load as a
/// line across each bar (a bar short of its line is load turned away); on the
/// right, availability as dots on an axis zoomed to the range where the
/// scenarios differ, each dot labelled with its value.
pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &Comparison) -> Result<()> {
    let mut legend: Vec<Entry> = data
        .results
        .iter()
        .enumerate()
        .map(|(i, r)| Entry::new(&r.scenario, style::colour(i), Mark::Swatch))
        .collect();
    legend.push(Entry::new("offered load", style::INK, Mark::Line));
    let area = style::frame(root, STEM, TITLE, &legend)?;
    let (w, _) = area.dim_in_pixel();
    let (left, right) = area.split_horizontally(w * 55 / 100);
    throughput(root, &left, data)?;
    availability(root, &right, data)?;
    Ok(())
}

/// The frame of one panel.
struct Panel<'t> {
    caption: &'t str,
    /// The name of the y axis.
    y_desc: &'t str,
    /// Width of the band of y tick labels \[px\].
    y_band: u32,
    right_margin: u32,
}

/// Draws the frame of a panel with one column per scenario along x (`columns`
/// of them) and `y` up the side; returns the chart to draw the columns in.
fn panel<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    columns: usize,
    y: &Axis,
    frame: &Panel<'_>,
) -> Result<axes::Chart<'a, DB>> {
    let fail = style::fail(STEM);
    let x = Axis {
        ticks: Vec::new(),
        ..Axis::linear(-0.5, columns as f64 - 0.5)
    };
    let mut chart = ChartBuilder::on(area)
        .caption(frame.caption, style::text(style::AXIS_SIZE))
        .margin(20)
        .margin_right(frame.right_margin)
        .x_label_area_size(NAMES_HEIGHT)
        .y_label_area_size(frame.y_band)
        .build_cartesian_2d(x.coord(), y.coord())
        .map_err(&fail)?;
    let y_label = |v: &f64| y.label(*v);
    style::house_mesh(chart.configure_mesh().disable_x_mesh())
        .y_label_formatter(&y_label)
        .y_desc(frame.y_desc)
        .draw()
        .map_err(&fail)?;
    Ok(chart)
}

/// Draws the throughput panel.
fn throughput<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    data: &Comparison,
) -> Result<()> {
    let fail = style::fail(STEM);
    let n = data.results.len();
    let mut values = Vec::new();
    for r in &data.results {
        values.push(offered_rps(r));
        match r.figure("throughput_rps") {
            Some(f) => values.push(f.ci.map_or(f.value, |ci| ci.high())),
            None => values.push(0.0),
        }
    }
    let (lo, hi) = axes::zero_range(values, 1.18);
    let y = Axis::linear(lo, hi);
    let frame = Panel {
        caption: "Throughput",
        y_desc: "requests per second",
        y_band: 130,
        right_margin: 20,
    };
    let mut chart = panel(area, n, &y, &frame)?;

    for (i, r) in data.results.iter().enumerate() {
        let c = i as f64;
        let colour = style::colour(i);
        let thr = r.value("throughput_rps");
        let thr = if thr.is_finite() { thr } else { 0.0 };
        let offered = offered_rps(r);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(c - 0.32, 0.0), (c + 0.32, thr)],
                colour.filled(),
            )))
            .map_err(&fail)?;
        if let Some(ci) = r.figure("throughput_rps").and_then(|f| f.ci) {
            style::error_bar(&mut chart, STEM, c, (ci.low(), ci.high()), style::INK, 22)?;
        }
        if offered.is_finite() {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(c - 0.42, offered), (c + 0.42, offered)],
                    style::INK.stroke_width(5),
                )))
                .map_err(&fail)?;
        }
        // The label sits above everything drawn in the column.
        let ci_high = r
            .figure("throughput_rps")
            .and_then(|f| f.ci)
            .map_or(thr, |ci| ci.high());
        let top = [thr, offered, ci_high]
            .into_iter()
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        style::note(
            &mut chart,
            STEM,
            (c, top),
            format!("{}/s", format::sig(thr)),
            (0, -10),
            style::anchored(style::NOTE_SIZE, style::INK, HPos::Center, VPos::Bottom),
        )?;
    }
    names(root, &chart, data, lo)
}

/// Draws the availability panel.
fn availability<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    data: &Comparison,
) -> Result<()> {
    let fail = style::fail(STEM);
    let n = data.results.len();
    let worst = data
        .results
        .iter()
        .filter_map(|r| r.figure("availability"))
        .map(|f| f.ci.map_or(f.value, |ci| ci.low()) * 100.0)
        .filter(|v| v.is_finite())
        .fold(100.0_f64, f64::min);
    // Zoom to a round distance below 100% that shows the worst scenario.
    let gap = (100.0 - worst).max(0.05) * 1.3;
    let nice = [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
        .into_iter()
        .find(|g| *g >= gap)
        .unwrap_or(100.0);
    let lo = (100.0 - nice).max(0.0);
    let y = Axis {
        ticks: axes::linear_ticks(lo, 100.0, 5),
        ..Axis::linear(lo, 100.0 + nice * 0.1)
    };
    let frame = Panel {
        caption: "Availability",
        y_desc: "requests answered (%)",
        y_band: 140,
        // Room for the label right of the last dot.
        right_margin: 110,
    };
    let mut chart = panel(area, n, &y, &frame)?;

    for (i, r) in data.results.iter().enumerate() {
        let Some(f) = r.figure("availability").filter(|f| f.value.is_finite()) else {
            continue;
        };
        let c = i as f64;
        let colour = style::colour(i);
        let v = f.value * 100.0;
        if let Some(ci) = f.ci.filter(|ci| ci.half_width > 0.0) {
            // No share of requests exceeds 100%, whatever the interval's arithmetic says.
            let (low, high) = ((ci.low() * 100.0).max(lo), (ci.high() * 100.0).min(100.0));
            style::error_bar(&mut chart, STEM, c, (low, high), style::INK, 22)?;
        }
        chart
            .draw_series(std::iter::once(Circle::new((c, v), 14, colour.filled())))
            .map_err(&fail)?;
        style::note(
            &mut chart,
            STEM,
            (c, v),
            format!("{}%", format::percent(v)),
            (24, 0),
            style::anchored(style::NOTE_SIZE, style::INK, HPos::Left, VPos::Center),
        )?;
    }
    names(root, &chart, data, lo)
}

/// Writes each scenario's name under its column, wrapped (and shrunk if need
/// be) to the column's width.
fn names<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &axes::Chart<'_, DB>,
    data: &Comparison,
    base: f64,
) -> Result<()> {
    let origin = root.get_base_pixel();
    let (x0, y0) = chart.backend_coord(&(0.0, base));
    let (x1, _) = chart.backend_coord(&(1.0, base));
    let column = if data.results.len() > 1 {
        (x1 - x0).abs()
    } else {
        400
    };
    // Some air between the names of neighbouring columns, and under the band.
    let room = (column - 12, NAMES_HEIGHT as i32 - 14 - 8);
    let labels: Vec<(&str, (i32, i32))> = data
        .results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let (x, _) = chart.backend_coord(&(i as f64, base));
            (r.scenario.as_str(), (x - origin.0, y0 - origin.1 + 14))
        })
        .collect();
    style::wrapped_labels(root, STEM, &labels, room)
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn long_scenario_names_wrap_between_words_under_their_columns() {
        // See: "Sessions" / ", local" / "to each…" under the availability panel.
        let texts = sample::legible_texts(&sample::comparison_svg(&sample::sessions(), STEM));
        assert!(
            texts
                .iter()
                .all(|t| !t.starts_with(',') && !t.ends_with('…')),
            "{texts:?}"
        );
        // Each panel names every scenario, every word whole.
        let words = texts
            .iter()
            .filter(|t| t.split_whitespace().any(|w| w == "replicated"));
        assert_eq!(words.count(), 2 + 1, "two panels and the legend: {texts:?}");
    }
}
