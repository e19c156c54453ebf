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
/// vertical lines labelled at the top, in their scenario's colour (grey for
/// those every scenario has).
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
    let markers: Vec<Event> = markers(data)
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
                    m.colour().stroke_width(2),
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

/// A marker as drawn: when, what, and whose.
#[derive(Clone, Debug, PartialEq)]
struct Event {
    /// When, in seconds of simulated time.
    at_s: f64,
    /// What happened.
    label: String,
    /// The scenario it belongs to, or `None` when every scenario drawn has it.
    scenario: Option<usize>,
}

impl Event {
    /// Returns the colour of its line and label: its scenario's, or grey
    /// when it is every scenario's.
    fn colour(&self) -> RGBColor {
        self.scenario.map_or(style::GREY, style::colour)
    }
}

/// Returns the markers of the scenarios in time order: one for a moment
/// every scenario marks alike (the end of the warm-up), one per scenario for
/// the others, so that each says whose it is.
fn markers(data: &Comparison) -> Vec<Event> {
    let same = |a: &Marker, b: &Marker| a.label == b.label && (a.at_s - b.at_s).abs() < 1e-9;
    let shared = |m: &Marker| {
        data.results.len() <= 1
            || data
                .results
                .iter()
                .all(|r| r.series.markers.iter().any(|o| same(o, m)))
    };
    let mut all: Vec<Event> = Vec::new();
    for (i, r) in data.results.iter().enumerate() {
        for m in r.series.markers.iter().filter(|m| m.at_s.is_finite()) {
            let scenario = (!shared(m)).then_some(i);
            let seen = all.iter().any(|o| {
                o.scenario == scenario && o.label == m.label && (o.at_s - m.at_s).abs() < 1e-9
            });
            if !seen {
                all.push(Event {
                    at_s: m.at_s,
                    label: m.label.clone(),
                    scenario,
                });
            }
        }
    }
    // Stable: at one moment, the scenarios' markers keep their order.
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
    markers: &[Event],
    x: &Axis,
) -> Result<f64> {
    let fail = style::fail(STEM);
    let text = label_style(style::GREY);
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
    let rows = layout(&widths, (left, right))
        .iter()
        .map(|&(row, _)| row + 1)
        .max()
        .unwrap_or(0)
        .min(label_rows(plot));
    // The labels' block, and a row's height of air between it and the data.
    let block = label_dy(rows) + (style::NOTE_SIZE * 1.2) as i32;
    let free = 1.0 - f64::from(block) / f64::from(plot);
    Ok(if free > 1.0 / MAX_LABEL_HEADROOM {
        (1.0 / free).clamp(MIN_LABEL_HEADROOM, MAX_LABEL_HEADROOM)
    } else {
        MAX_LABEL_HEADROOM
    })
}

/// Returns how many rows of marker labels a top panel whose plot is `plot`
/// pixels high holds: as many as its height, the lower ones over the data
/// (the offered load, the panel least read) once the data is squeezed to the
/// most headroom. A marker whose label would need yet another row keeps its
/// dashed line, unlabelled, so that dozens of markers close together (a
/// circuit breaker opening and half-opening every second) cannot run off
/// the panel; the markers are all listed in results.json.
fn label_rows(plot: i32) -> usize {
    let row = style::NOTE_SIZE * 1.2;
    ((f64::from(plot - 6) / row).floor() as usize).max(1)
}

/// The style of a marker's label, in `colour`.
fn label_style(colour: RGBColor) -> TextStyle<'static> {
    style::anchored(style::NOTE_SIZE, colour, HPos::Left, VPos::Top)
}

/// Returns the distance from the top of the plot to the top of label row `row` \[px\].
fn label_dy(row: usize) -> i32 {
    6 + row as i32 * (style::NOTE_SIZE * 1.2) as i32
}

/// Places labels, given each one's line (in pixels) and width: returns the
/// row of each and the offset of its left end from its line. A label goes in
/// the highest row where it runs into no earlier label, on the right of its
/// line or else on its left, keeping between `left_edge` and `right_edge`
/// where it can (on the left when the right would run past the edge).
fn layout(labels: &[(i32, i32)], (left_edge, right_edge): (i32, i32)) -> Vec<(usize, i32)> {
    let mut rows: Vec<Vec<(i32, i32)>> = Vec::new();
    let free = |row: &[(i32, i32)], (start, end): (i32, i32)| {
        row.iter().all(|&(s, e)| end + 10 < s || start > e + 10)
    };
    labels
        .iter()
        .map(|&(px, w)| {
            let (right, left) = (8, -(12 + w));
            let mut sides = Vec::with_capacity(2);
            if px + right + w <= right_edge {
                sides.push(right);
            }
            if px + left >= left_edge || sides.is_empty() {
                sides.push(left);
            }
            let span = |side: i32| (px + side, px + side + w);
            let (row, side) = (0..=rows.len())
                .find_map(|row| {
                    let taken = rows.get(row).map_or(&[][..], Vec::as_slice);
                    sides
                        .iter()
                        .find(|&&side| free(taken, span(side)))
                        .map(|&side| (row, side))
                })
                .unwrap_or((rows.len(), sides[0]));
            if row == rows.len() {
                rows.push(Vec::new());
            }
            rows[row].push(span(side));
            (row, side)
        })
        .collect()
}

/// Writes each marker's label at the top of its line, placed by [`layout`].
fn label_markers<DB: DrawingBackend>(
    chart: &axes::Chart<'_, DB>,
    markers: &[Event],
    top: f64,
) -> Result<()> {
    let fail = style::fail(STEM);
    let text = label_style(style::GREY);
    let area = chart.plotting_area();
    let (xs, ys) = area.get_pixel_range();
    let rows = label_rows(ys.end - ys.start);
    let mut widths = Vec::with_capacity(markers.len());
    for m in markers {
        let (px, _) = chart.backend_coord(&(m.at_s, top));
        let (w, _) = area.estimate_text_size(&m.label, &text).map_err(&fail)?;
        widths.push((px, i32::try_from(w).unwrap_or(0)));
    }
    for (m, ((row, left), (_, w))) in markers
        .iter()
        .zip(layout(&widths, (xs.start, xs.end)).into_iter().zip(widths))
        .filter(|(_, ((row, _), _))| *row < rows)
    {
        let dy = label_dy(row);
        // A white box behind the label keeps it legible over lines and grid.
        let h = (style::NOTE_SIZE * 0.95) as i32;
        let label = EmptyElement::at((m.at_s, top))
            + Rectangle::new([(left - 3, dy - 2), (left + 4 + w, dy + h)], WHITE.filled())
            + Text::new(m.label.clone(), (left, dy), label_style(m.colour()));
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
    use super::super::sample;
    use super::*;

    /// Returns the sample comparison with failures close together late in
    /// the run, each in one scenario, as two zones lost at nearby times.
    fn crowded() -> Comparison {
        let mut data = sample::comparison();
        let events = [
            (0, 40.0, "power lost in zone-a"),
            (1, 41.0, "power lost in zone-a"),
            (0, 42.0, "lb marks 2 replicas unhealthy"),
            (1, 42.5, "lb marks replica 0 unhealthy"),
            (0, 50.0, "zone-a back up"),
            (1, 54.0, "zone-a back up"),
            (0, 54.5, "lb marks 2 replicas healthy again"),
            (1, 55.0, "lb marks replica 0 healthy again"),
        ];
        for (i, at_s, label) in events {
            data.results[i].series.markers.push(Marker {
                at_s,
                label: label.into(),
            });
        }
        data
    }

    #[test]
    fn markers_say_whose_they_are() {
        let marks = markers(&crowded());
        let warmup = marks.iter().find(|m| m.label == "end of warm-up").unwrap();
        assert_eq!(warmup.scenario, None, "every scenario has it");
        let back: Vec<_> = marks
            .iter()
            .filter(|m| m.label == "zone-a back up")
            .collect();
        assert_eq!(back.len(), 2);
        assert_eq!((back[0].scenario, back[1].scenario), (Some(0), Some(1)));
        // One scenario alone: nothing to tell apart.
        let mut one = crowded();
        one.results.truncate(1);
        assert!(markers(&one).iter().all(|m| m.scenario.is_none()));
    }

    #[test]
    fn every_marker_is_labelled_in_its_scenarios_colour() {
        // See: the dashed lines of "zone-a back up" at 150 s and 154 s unlabelled.
        let data = crowded();
        let svg = sample::comparison_svg(&data, STEM);
        assert_eq!(sample::overprinted(&svg), Vec::<(String, String)>::new());
        for m in markers(&data) {
            let colour = m.colour();
            let fill = format!("fill=\"#{:02X}{:02X}{:02X}\"", colour.0, colour.1, colour.2);
            let labelled = svg.split("<text").any(|t| {
                t.split_once('>').is_some_and(|(attrs, rest)| {
                    attrs.contains(&fill) && rest.trim_start().starts_with(&m.label)
                })
            });
            assert!(labelled, "{} at {} s: no label in {fill}", m.label, m.at_s);
        }
    }

    #[test]
    fn labels_that_would_collide_go_down_a_row_and_overflow_to_the_left() {
        // Two labels at the same line, a third far to the right, a fourth
        // that would pass the right edge.
        let rows = layout(&[(100, 200), (100, 200), (600, 100), (950, 100)], (0, 1000));
        assert_eq!(rows, vec![(0, 8), (1, 8), (0, 8), (0, -112)]);
    }

    #[test]
    fn a_label_goes_left_of_its_line_where_that_keeps_it_higher() {
        // See: "zone-a back up" left unlabelled when its right was taken.
        // The second label's right is taken by the first; its left is free.
        let rows = layout(&[(500, 300), (480, 100)], (0, 1000));
        assert_eq!(rows, vec![(0, 8), (0, -112)]);
        // Near the left edge, it goes down a row rather than out.
        let rows = layout(&[(100, 300), (80, 100)], (0, 1000));
        assert_eq!(rows, vec![(0, 8), (1, 8)]);
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
