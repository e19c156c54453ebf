//! Offered load, throughput, p99 latency and errors over the run, window by window.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::{self, Axis};
use super::style::{self, Mark};
use crate::error::Result;
use crate::metrics::{Marker, SeriesPoint};
use crate::report::data::Comparison;

/// File stem of the chart.
pub const STEM: &str = "time_series";
/// Title of the chart.
pub const TITLE: &str = "Over the run";
/// Size of the chart \[px\]: four panels need more height than one plot.
pub const SIZE: (u32, u32) = (1600, 1600);

/// One panel: its caption, its unit and the value it plots.
struct Panel {
    caption: &'static str,
    unit: &'static str,
    value: fn(&SeriesPoint) -> f64,
    /// Latency may span orders of magnitude when a queue builds up.
    may_be_log: bool,
}

/// The panels, top to bottom.
const PANELS: [Panel; 4] = [
    Panel {
        caption: "Offered load",
        unit: "requests/s",
        value: |p| p.offered_rps,
        may_be_log: false,
    },
    Panel {
        caption: "Throughput",
        unit: "requests/s",
        value: |p| p.throughput_rps,
        may_be_log: false,
    },
    Panel {
        caption: "p99 latency",
        unit: "ms",
        // A window with no answers has no latency, not a latency of zero.
        value: |p| if p.p99_ms > 0.0 { p.p99_ms } else { f64::NAN },
        may_be_log: true,
    },
    Panel {
        caption: "Errors (rejected, timed out, failed)",
        unit: "requests/s",
        value: |p| p.errors_rps,
        may_be_log: false,
    },
];

/// Draws four stacked panels sharing the time axis, one line per scenario,
/// with the run's markers (end of warm-up, rate changes, failures) as dashed
/// vertical lines labelled at the top.
pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &Comparison) -> Result<()> {
    let fail = style::fail(STEM);
    let legend = style::scenario_legend(data, Mark::Line);
    let area = style::frame(root, STEM, TITLE, &legend)?;

    let end = data
        .results
        .iter()
        .flat_map(|r| {
            r.series
                .points
                .last()
                .map(|p| p.start_s + r.series.window_s)
        })
        .fold(0.0_f64, f64::max);
    let end = if end > 0.0 { end } else { 1.0 };
    let x = Axis {
        ticks: axes::linear_ticks(0.0, end, 10),
        ..Axis::linear(0.0, end)
    };
    let markers: Vec<Marker> = markers(data)
        .into_iter()
        .filter(|m| (0.0..=end).contains(&m.at_s))
        .collect();

    let (_, height) = area.dim_in_pixel();
    let panel = (height.saturating_sub(style::TIME_AXIS_HEIGHT) / 4) as i32;
    let panels = area.split_by_breakpoints([0_i32; 0], [panel, 2 * panel, 3 * panel]);
    let label_headroom = match panels.first() {
        Some(top) => label_headroom(top, &markers, &x)?,
        None => MIN_LABEL_HEADROOM,
    };
    for (k, (spec, panel_area)) in PANELS.iter().zip(panels.iter()).enumerate() {
        let bottom = k + 1 == PANELS.len();
        let values: Vec<f64> = data
            .results
            .iter()
            .flat_map(|r| r.series.points.iter().map(spec.value))
            .collect();
        // The top panel keeps room above the data for the markers' labels.
        let headroom = if k == 0 { label_headroom } else { 1.15 };
        let y = if spec.may_be_log {
            Axis::fit(&values, 30.0, headroom)
        } else {
            Axis::fit(&values, f64::INFINITY, headroom)
        };
        let unit = if y.scale == axes::Scale::Log {
            format!("{}, log", spec.unit)
        } else {
            spec.unit.to_string()
        };
        let mut chart = style::time_panel(panel_area, STEM, spec.caption, &x, &y, unit, bottom)?;

        let (y0, y1) = (y.at(y.lo), y.at(y.hi));
        for m in &markers {
            chart
                .draw_series(DashedLineSeries::new(
                    [(m.at_s, y0), (m.at_s, y1)],
                    12,
                    8,
                    style::GREY.stroke_width(2),
                ))
                .map_err(&fail)?;
        }
        if k == 0 {
            label_markers(&chart, &markers, y1)?;
        }
        for (i, r) in data.results.iter().enumerate() {
            let half = r.series.window_s / 2.0;
            let points = r
                .series
                .points
                .iter()
                .map(|p| (p.start_s + half, y.at((spec.value)(p))));
            for segment in segments(points) {
                chart
                    .draw_series(LineSeries::new(
                        segment,
                        style::colour(i).stroke_width(style::line_width(i, data.results.len(), 2)),
                    ))
                    .map_err(&fail)?;
            }
        }
    }
    Ok(())
}

/// Returns the markers of every scenario once each, in time order.
fn markers(data: &Comparison) -> Vec<Marker> {
    let mut all: Vec<Marker> = Vec::new();
    for r in &data.results {
        for m in &r.series.markers {
            let seen = all
                .iter()
                .any(|o| o.label == m.label && (o.at_s - m.at_s).abs() < 1e-9);
            if !seen && m.at_s.is_finite() {
                all.push(m.clone());
            }
        }
    }
    all.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    all
}

/// Margins of a panel's plot inside its area \[px\]: left (margin and the
/// y labels), right and top.
const PLOT_LEFT: i32 = style::PANEL_MARGINS.0 + style::PANEL_Y_LABELS as i32;
const PLOT_RIGHT: i32 = style::PANEL_MARGINS.1;
const PLOT_TOP: i32 = style::PANEL_MARGINS.2;

/// The least headroom of the top panel, which keeps room for one row of labels.
const MIN_LABEL_HEADROOM: f64 = 1.45;
/// The most: beyond it the data would be squeezed flat; labels may then cross it.
const MAX_LABEL_HEADROOM: f64 = 4.0;

/// Returns the headroom of the top panel (`area`): enough for the rows of
/// marker labels to sit above its data, estimated from where its plot will
/// be (the chart is not built yet).
fn label_headroom<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    markers: &[Marker],
    x: &Axis,
) -> Result<f64> {
    let fail = style::fail(STEM);
    let text = label_style();
    let (xs, ys) = area.get_pixel_range();
    let (left, right) = (xs.start + PLOT_LEFT, xs.end - PLOT_RIGHT);
    let (_, caption) = area
        .estimate_text_size("Offered load", &style::text(style::AXIS_SIZE))
        .map_err(&fail)?;
    let plot = (ys.end - ys.start - PLOT_TOP - i32::try_from(caption).unwrap_or(0)).max(1);
    let span = (x.hi - x.lo).max(f64::MIN_POSITIVE);
    let mut widths = Vec::with_capacity(markers.len());
    for m in markers {
        let (w, _) = area.estimate_text_size(&m.label, &text).map_err(&fail)?;
        let px = left + ((m.at_s - x.lo) / span * f64::from(right - left)) as i32;
        widths.push((px, i32::try_from(w).unwrap_or(0)));
    }
    let rows = layout(&widths, right)
        .iter()
        .map(|&(row, _)| row + 1)
        .max()
        .unwrap_or(0)
        .min(MAX_LABEL_ROWS);
    // The labels' block, and a row's height of air between it and the data.
    let block = label_dy(rows) + (style::NOTE_SIZE * 1.2) as i32;
    let free = 1.0 - f64::from(block) / f64::from(plot);
    Ok(if free > 1.0 / MAX_LABEL_HEADROOM {
        (1.0 / free).clamp(MIN_LABEL_HEADROOM, MAX_LABEL_HEADROOM)
    } else {
        MAX_LABEL_HEADROOM
    })
}

/// Rows of marker labels at most: a marker whose label would need another
/// keeps its dashed line, unlabelled, so that many markers close together (a
/// circuit breaker opening and half-opening every second) cannot cover the
/// chart; the markers are all listed in results.json.
const MAX_LABEL_ROWS: usize = 3;

/// The style of the markers' labels.
fn label_style() -> TextStyle<'static> {
    style::anchored(style::NOTE_SIZE, style::GREY, HPos::Left, VPos::Top)
}

/// Returns the distance from the top of the plot to the top of label row `row` \[px\].
fn label_dy(row: usize) -> i32 {
    6 + row as i32 * (style::NOTE_SIZE * 1.2) as i32
}

/// Places labels, given each one's line (in pixels) and width: returns the
/// row of each and the offset of its left end from its line. A label goes on
/// the right of its line, or on the left when it would run past `right_edge`,
/// and down a row when it would run into an earlier label.
fn layout(labels: &[(i32, i32)], right_edge: i32) -> Vec<(usize, i32)> {
    let mut row_ends: Vec<i32> = Vec::new();
    labels
        .iter()
        .map(|&(px, w)| {
            let left = if px + 12 + w > right_edge {
                -(12 + w)
            } else {
                8
            };
            let (start, end) = (px + left, px + left + w);
            let row = row_ends
                .iter()
                .position(|&row_end| start > row_end + 10)
                .unwrap_or(row_ends.len());
            if row == row_ends.len() {
                row_ends.push(0);
            }
            row_ends[row] = end;
            (row, left)
        })
        .collect()
}

/// Writes each marker's label at the top of its line, placed by [`layout`].
fn label_markers<DB: DrawingBackend>(
    chart: &axes::Chart<'_, DB>,
    markers: &[Marker],
    top: f64,
) -> Result<()> {
    let fail = style::fail(STEM);
    let text = label_style();
    let area = chart.plotting_area();
    let right_edge = area.get_pixel_range().0.end;
    let mut widths = Vec::with_capacity(markers.len());
    for m in markers {
        let (px, _) = chart.backend_coord(&(m.at_s, top));
        let (w, _) = area.estimate_text_size(&m.label, &text).map_err(&fail)?;
        widths.push((px, i32::try_from(w).unwrap_or(0)));
    }
    for (m, ((row, left), (_, w))) in markers
        .iter()
        .zip(layout(&widths, right_edge).into_iter().zip(widths))
        .filter(|(_, ((row, _), _))| *row < MAX_LABEL_ROWS)
    {
        let dy = label_dy(row);
        // A white box behind the label keeps it legible over lines and grid.
        let h = (style::NOTE_SIZE * 0.95) as i32;
        let label = EmptyElement::at((m.at_s, top))
            + Rectangle::new([(left - 3, dy - 2), (left + 4 + w, dy + h)], WHITE.filled())
            + Text::new(m.label.clone(), (left, dy), text.clone());
        area.draw(&label).map_err(&fail)?;
    }
    Ok(())
}

/// Splits a line where a value cannot be drawn (a window with no answers on a
/// log axis), so the gap shows instead of a line to nowhere.
fn segments(points: impl Iterator<Item = (f64, f64)>) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (x, y) in points {
        if y.is_finite() && x.is_finite() {
            if let Some(last) = out.last_mut() {
                last.push((x, y));
            }
        } else if out.last().is_some_and(|l| !l.is_empty()) {
            out.push(Vec::new());
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::{layout, segments};

    #[test]
    fn labels_that_would_collide_go_down_a_row_and_overflow_to_the_left() {
        // Two labels at the same line, a third far to the right, a fourth
        // that would pass the right edge.
        let rows = layout(&[(100, 200), (100, 200), (600, 100), (950, 100)], 1000);
        assert_eq!(rows, vec![(0, 8), (1, 8), (0, 8), (0, -112)]);
    }

    #[test]
    fn lines_break_at_missing_values() {
        let points = [(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0), (3.0, 4.0)];
        assert_eq!(
            segments(points.into_iter()),
            vec![vec![(0.0, 1.0)], vec![(2.0, 3.0), (3.0, 4.0)]]
        );
    }
}
