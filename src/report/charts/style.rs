//! The look shared by every chart: the embedded font, sizes, colours, marks,
//! and the band with the title and the legend. Axes are in `axes`, and how
//! numbers read in `report::format`.

use std::fmt::Display;
use std::sync::OnceLock;

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use super::axes::{Axis, Chart};
use crate::error::{Error, Result};

/// Font family under which the embedded Noto Sans is registered.
pub const FONT: &str = "sans-serif";
/// Size of a chart's title \[px\].
pub const TITLE_SIZE: f64 = 46.0;
/// Size of the legend's text \[px\].
pub const LEGEND_SIZE: f64 = 30.0;
/// Size of axis descriptions \[px\].
pub const AXIS_SIZE: f64 = 32.0;
/// Size of tick labels \[px\].
pub const TICK_SIZE: f64 = 26.0;
/// Size of labels written next to data \[px\].
pub const NOTE_SIZE: f64 = 26.0;
/// Size of a chart with one plot \[px\].
pub const WIDE: (u32, u32) = (1600, 900);
/// Width of data lines \[px\].
pub const LINE_WIDTH: u32 = 4;
/// Colour of text, axes and neutral marks.
pub const INK: RGBColor = RGBColor(34, 34, 34);
/// Colour of secondary marks (frontier, offered load, grid).
pub const GREY: RGBColor = RGBColor(110, 110, 110);

/// The Okabe–Ito palette: distinct for readers with colour-vision deficiencies and
/// dark enough to stay visible on a washed-out projector (its yellow is left out).
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

/// Returns the width of the `i`-th of `n` lines \[px\]: earlier lines are drawn
/// wider, so a line hidden under a later one with the same values still shows
/// as a border around it.
pub fn line_width(i: usize, n: usize, base: u32) -> u32 {
    base + 2 * u32::try_from(n.saturating_sub(i + 1).min(3)).unwrap_or(3)
}

/// Returns the colour of the `i`-th scenario or line.
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Registers the embedded font once, so that text renders with no system fonts.
pub fn fonts() -> Result<()> {
    static READY: OnceLock<bool> = OnceLock::new();
    let ok = READY.get_or_init(|| {
        // Bold text falls back to this face in bitmaps; SVG asks the viewer for bold.
        plotters::style::register_font(FONT, FontStyle::Normal, ttf_noto_sans::REGULAR).is_ok()
    });
    if *ok {
        Ok(())
    } else {
        Err(Error::Draw {
            what: "charts".into(),
            message: "the embedded font could not be loaded".into(),
        })
    }
}

/// Returns a converter of plotters' errors into [`Error::Draw`] for chart `what`.
pub fn fail<E: Display>(what: &str) -> impl Fn(E) -> Error + '_ {
    move |e| Error::Draw {
        what: what.to_string(),
        message: e.to_string(),
    }
}

/// Returns the text style of `size` pixels in colour `INK`.
pub fn text(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&INK)
}

/// Returns the text style of `size` pixels, in `colour`, anchored at `h`/`v`.
pub fn anchored(size: f64, colour: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    (FONT, size).into_font().color(&colour).pos(Pos::new(h, v))
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// A filled square (bars, points).
    Swatch,
    /// A solid line.
    Line,
    /// A dashed line (theory, frontier).
    Dashed,
    /// A pale band (a confidence interval).
    Band,
    /// A hollow circle (a point that qualifies less).
    Ring,
}

/// One entry of a legend.
#[derive(Clone, Debug)]
pub struct Entry {
    /// What it names.
    pub label: String,
    /// Its colour.
    pub colour: RGBColor,
    /// How it is drawn.
    pub mark: Mark,
}

impl Entry {
    /// Creates a legend entry.
    pub fn new(label: impl Into<String>, colour: RGBColor, mark: Mark) -> Self {
        Self {
            label: label.into(),
            colour,
            mark,
        }
    }
}

/// Applies the house style to a chart's mesh: light grid lines, a firm axis,
/// and the tick and description fonts. Callers add labels and descriptions.
pub fn house_mesh<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.bold_line_style(RGBColor(225, 225, 225))
        .axis_style(INK.stroke_width(2))
        .label_style(text(TICK_SIZE))
        .axis_desc_style(text(AXIS_SIZE))
}

/// Width of the y labels and unit of a panel of a chart over time \[px\].
pub const PANEL_Y_LABELS: u32 = 150;
/// Margins of a panel's plot inside its area, before the y labels \[px\]:
/// left, right and top.
pub const PANEL_MARGINS: (i32, i32, i32) = (20, 50, 8);
/// Height of the time axis under the bottom panel of a chart over time \[px\].
pub const TIME_AXIS_HEIGHT: u32 = 90;

/// Builds one panel of a chart over time (named `what` in errors) on
/// `area`: its caption, a light grid, the values `y` in `unit`, and the
/// time `x` in seconds, labelled under the `bottom` panel only, so that
/// stacked panels share one time axis. Returns the chart to draw the series on.
pub fn time_panel<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    what: &str,
    caption: &str,
    x: &Axis,
    y: &Axis,
    unit: String,
    bottom: bool,
) -> Result<Chart<'a, DB>> {
    let fail = fail(what);
    let (left, right, top) = PANEL_MARGINS;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, text(AXIS_SIZE))
        .margin_left(left)
        .margin_right(right)
        .margin_top(top)
        .x_label_area_size(if bottom { TIME_AXIS_HEIGHT } else { 0 })
        .y_label_area_size(PANEL_Y_LABELS)
        .build_cartesian_2d(x.coord(), y.coord())
        .map_err(&fail)?;
    let x_label = |v: &f64| x.label(*v);
    let y_label = |v: &f64| y.label(*v);
    chart
        .configure_mesh()
        .bold_line_style(RGBColor(230, 230, 230))
        .axis_style(INK.stroke_width(2))
        .label_style(text(TICK_SIZE))
        .axis_desc_style(text(TICK_SIZE))
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .y_labels(5)
        .y_desc(unit)
        .x_desc(if bottom { "time (s)" } else { "" })
        .draw()
        .map_err(&fail)?;
    Ok(chart)
}

/// Returns a legend with one entry per scenario, in its own colour.
pub fn scenario_legend(data: &crate::report::data::Comparison, mark: Mark) -> Vec<Entry> {
    data.results
        .iter()
        .enumerate()
        .map(|(i, r)| Entry::new(&r.scenario, colour(i), mark))
        .collect()
}

/// Clears `root`, writes the title and a legend above the plot, and returns the
/// area left for the plot. A legend of its own band never hides data, which a
/// legend inside the plot can.
pub fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    what: &str,
    title: &str,
    legend: &[Entry],
) -> Result<DrawingArea<DB, Shift>> {
    let fail = fail(what);
    root.fill(&WHITE).map_err(&fail)?;
    let (width, _) = root.dim_in_pixel();
    let width = i32::try_from(width).unwrap_or(i32::MAX);
    let top = 18;
    root.draw(&Text::new(
        title.to_string(),
        (width / 2, top),
        (FONT, TITLE_SIZE, FontStyle::Bold)
            .into_font()
            .color(&INK)
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))
    .map_err(&fail)?;
    let mut y = top + (TITLE_SIZE * 1.35) as i32;

    // Lay the entries out in rows that fit the width, each row centred.
    let swatch = 44;
    let gap = 12;
    let spacing = 44;
    let style = text(LEGEND_SIZE);
    let mut rows: Vec<Vec<(&Entry, i32)>> = vec![Vec::new()];
    let mut row_width = 0;
    for entry in legend {
        let (w, _) = root
            .estimate_text_size(&entry.label, &style)
            .map_err(&fail)?;
        let w = swatch + gap + i32::try_from(w).unwrap_or(0);
        if row_width > 0 && row_width + spacing + w > width - 80 {
            rows.push(Vec::new());
            row_width = 0;
        }
        if row_width > 0 {
            row_width += spacing;
        }
        row_width += w;
        if let Some(row) = rows.last_mut() {
            row.push((entry, w));
        }
    }
    let row_height = (LEGEND_SIZE * 1.5) as i32;
    for row in rows.iter().filter(|r| !r.is_empty()) {
        let total: i32 = row.iter().map(|(_, w)| w).sum::<i32>() + spacing * (row.len() as i32 - 1);
        let mut x = (width - total) / 2;
        let mid = y + row_height / 2;
        for (entry, w) in row {
            draw_mark(root, entry, x, mid, swatch).map_err(&fail)?;
            root.draw(&Text::new(
                entry.label.clone(),
                (x + swatch + gap, mid),
                anchored(LEGEND_SIZE, INK, HPos::Left, VPos::Center),
            ))
            .map_err(&fail)?;
            x += w + spacing;
        }
        y += row_height;
    }
    let (_, rest) = root.split_vertically(y + 10);
    Ok(rest)
}

/// Draws the mark of a legend entry with its left edge at `x`, centred on `y`.
fn draw_mark<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    entry: &Entry,
    x: i32,
    y: i32,
    width: i32,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let colour = entry.colour;
    match entry.mark {
        Mark::Swatch => root.draw(&Rectangle::new(
            [(x + 8, y - 14), (x + width - 8, y + 14)],
            colour.filled(),
        )),
        Mark::Band => root.draw(&Rectangle::new(
            [(x, y - 14), (x + width, y + 14)],
            colour.mix(0.25).filled(),
        )),
        Mark::Ring => root.draw(&Circle::new((x + width / 2, y), 12, colour.stroke_width(4))),
        Mark::Line => root.draw(&PathElement::new(
            vec![(x, y), (x + width, y)],
            colour.stroke_width(LINE_WIDTH + 1),
        )),
        Mark::Dashed => {
            for i in 0..3 {
                let x0 = x + i * 16;
                root.draw(&PathElement::new(
                    vec![(x0, y), (x0 + 10, y)],
                    colour.stroke_width(LINE_WIDTH),
                ))?;
            }
            Ok(())
        }
    }
}

/// The low and high ends of an error bar, in drawing coordinates, if it has one.
pub type Bar = Option<(f64, f64)>;

/// Draws a vertical error bar from `lo` to `hi` at `x` (drawing coordinates),
/// with caps `cap` pixels wide.
pub fn error_bar<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    what: &str,
    x: f64,
    (lo, hi): (f64, f64),
    colour: RGBColor,
    cap: i32,
) -> Result<()> {
    if !(lo.is_finite() && hi.is_finite()) {
        return Ok(());
    }
    let style = colour.stroke_width(3);
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(x, lo), (x, hi)],
            style,
        )))
        .map_err(fail(what))?;
    chart
        .draw_series([lo, hi].into_iter().map(|y| {
            EmptyElement::at((x, y)) + PathElement::new(vec![(-cap / 2, 0), (cap / 2, 0)], style)
        }))
        .map_err(fail(what))?;
    Ok(())
}

/// Writes `text` by the point `at` (drawing coordinates), moved by `offset`
/// pixels and anchored as `style` says: the value beside a bar or a dot.
pub fn note<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    what: &str,
    at: (f64, f64),
    text: String,
    offset: (i32, i32),
    style: TextStyle<'static>,
) -> Result<()> {
    chart
        .draw_series(std::iter::once(
            EmptyElement::at(at) + Text::new(text, offset, style),
        ))
        .map_err(fail(what))?;
    Ok(())
}

/// Smallest size scenario names under columns are shrunk to \[px\].
const MIN_NAME_SIZE: f64 = 18.0;

/// Draws each of `labels` as centred lines below its point, within `width`
/// by `height` pixels: scenario names are often longer than the space under
/// one column. The names are wrapped between words at the tick size, or all
/// shrunk alike until each wraps so; only a name too long even then is cut,
/// and ends with an ellipsis.
pub fn wrapped_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    what: &str,
    labels: &[(&str, (i32, i32))],
    (width, height): (i32, i32),
) -> Result<()> {
    let fits = |text: &str, size: f64| {
        root.estimate_text_size(text, &self::text(size))
            .is_ok_and(|(w, _)| i64::from(w) <= i64::from(width))
    };
    let line_height = |size: f64| size * 1.2;
    let layout = |label: &str, size: f64| {
        let lines = ((f64::from(height) / line_height(size)).floor() as usize).max(1);
        wrap_by(label, &|t| fits(t, size), lines)
    };
    let mut size = TICK_SIZE;
    while size - 2.0 >= MIN_NAME_SIZE && !labels.iter().all(|(l, _)| layout(l, size).whole) {
        size -= 2.0;
    }
    for (label, (x, y)) in labels {
        for (i, line) in layout(label, size).lines.into_iter().enumerate() {
            root.draw(&Text::new(
                line,
                (*x, y + (i as f64 * line_height(size)) as i32),
                anchored(size, INK, HPos::Center, VPos::Top),
            ))
            .map_err(fail(what))?;
        }
    }
    Ok(())
}

/// A text split into lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wrapped {
    /// The lines, top first.
    pub lines: Vec<String>,
    /// True when every word is whole and nothing was left out.
    pub whole: bool,
}

/// Splits `text` into at most `max_lines` lines of about `width` characters,
/// cutting between words, and ends a shortened text with an ellipsis.
pub fn wrap(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let width = width.max(4);
    wrap_by(text, &|t| t.chars().count() <= width, max_lines).lines
}

/// Splits `text` into at most `max_lines` lines that each `fit`, cutting
/// between words (inside a word only when it alone does not fit), and ends a
/// shortened text with an ellipsis.
pub fn wrap_by(text: &str, fits: &dyn Fn(&str) -> bool, max_lines: usize) -> Wrapped {
    let mut lines: Vec<String> = Vec::new();
    let mut whole = true;
    let mut current = String::new();
    for word in text.split_whitespace() {
        let joined = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if fits(&joined) {
            current = joined;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        let mut rest: Vec<char> = word.chars().collect();
        while !fits(&rest.iter().collect::<String>()) && rest.len() > 1 {
            let head = longest_head(&rest, fits);
            lines.push(rest[..head].iter().collect());
            rest.drain(..head);
            whole = false;
        }
        current = rest.into_iter().collect();
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines.max(1) {
        lines.truncate(max_lines.max(1));
        whole = false;
        if let Some(last) = lines.last_mut() {
            let mut kept: Vec<char> = last.chars().collect();
            while !kept.is_empty()
                && !fits(&format!("{}…", kept.iter().collect::<String>().trim_end()))
            {
                kept.pop();
            }
            *last = format!("{}…", kept.iter().collect::<String>().trim_end());
        }
    }
    Wrapped { lines, whole }
}

/// Returns how many of the first `chars` fit (at least one).
fn longest_head(chars: &[char], fits: &dyn Fn(&str) -> bool) -> usize {
    (1..chars.len())
        .rev()
        .find(|&n| fits(&chars[..n].iter().collect::<String>()))
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_cuts_between_words_and_ellipsises() {
        assert_eq!(
            wrap("Four clones, least connections", 14, 3),
            vec!["Four clones,", "least", "connections"]
        );
        assert_eq!(wrap("a b c d e f", 4, 2), vec!["a b", "c d…"]);
    }

    #[test]
    fn wrap_cuts_inside_a_word_only_when_it_alone_is_too_wide() {
        let chars = |n: usize| move |t: &str| t.chars().count() <= n;
        let wrapped = wrap_by("Sessions, local to each clone", &chars(9), 4);
        assert_eq!(wrapped.lines, ["Sessions,", "local to", "each", "clone"]);
        assert!(wrapped.whole);
        let cut = wrap_by("sessions-store-replicated", &chars(10), 4);
        assert_eq!(cut.lines, ["sessions-s", "tore-repli", "cated"]);
        assert!(!cut.whole);
        assert!(!wrap_by("a b c", &chars(1), 2).whole);
    }
}
