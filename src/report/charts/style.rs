//! The look shared by every chart: the embedded font, sizes, colours, the band
//! with the title and the legend, axis ticks, and how numbers and metrics read.

use std::fmt::Display;
use std::sync::OnceLock;

use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use crate::error::{Error, Result};
use crate::metrics::Measure;

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

/// Draws `text` as up to three centred lines below `(x, y)`: scenario names are
/// often longer than the space under one bar.
pub fn wrapped_label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    what: &str,
    label: &str,
    (x, y): (i32, i32),
    max_chars: usize,
) -> Result<()> {
    for (i, line) in wrap(label, max_chars, 3).iter().enumerate() {
        root.draw(&Text::new(
            line.clone(),
            (x, y + i as i32 * (TICK_SIZE * 1.2) as i32),
            anchored(TICK_SIZE, INK, HPos::Center, VPos::Top),
        ))
        .map_err(fail(what))?;
    }
    Ok(())
}

/// Splits `text` into at most `max_lines` lines of about `width` characters,
/// cutting between words, and ends a shortened text with an ellipsis.
pub fn wrap(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let width = width.max(4);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        while word.chars().count() > width {
            let head: String = word.chars().take(width).collect();
            let tail: String = word.chars().skip(width).collect();
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            lines.push(head);
            word = tail;
        }
        if current.is_empty() {
            current = word;
        } else if current.chars().count() + 1 + word.chars().count() <= width {
            current.push(' ');
            current.push_str(&word);
        } else {
            lines.push(std::mem::replace(&mut current, word));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            let kept: String = last.chars().take(width.saturating_sub(1)).collect();
            *last = format!("{}…", kept.trim_end());
        }
    }
    lines
}

/// Returns "nice" tick values (1, 2 or 5 times a power of ten apart) covering
/// `[lo, hi]`, about `count` of them.
pub fn linear_ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / count.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let mut ticks = Vec::new();
    let mut k = (lo / step).ceil();
    while k * step <= hi + step * 1e-9 {
        // Rounding keeps labels like 0.30000000000000004 out of the axis.
        ticks.push(round_to(k * step, step));
        k += 1.0;
    }
    ticks
}

/// Rounds `v` to the precision of `step`.
fn round_to(v: f64, step: f64) -> f64 {
    let digits = (-step.log10().floor()).max(0.0) as i32 + 1;
    let scale = 10f64.powi(digits);
    (v * scale).round() / scale
}

/// Returns ticks at 1, 2 and 5 times powers of ten within `[lo, hi]` (both
/// positive), thinned to powers of ten over many decades and refined to linear
/// ticks within less than a decade.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return vec![lo];
    }
    let decades = (hi / lo).log10();
    let multipliers: &[f64] = if decades > 6.0 {
        &[1.0]
    } else {
        &[1.0, 2.0, 5.0]
    };
    let mut ticks = Vec::new();
    let mut power = 10f64.powf(lo.log10().floor());
    while power <= hi {
        for m in multipliers {
            let v = m * power;
            if v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9) {
                ticks.push(round_to(v, power));
            }
        }
        power *= 10.0;
    }
    if ticks.len() < 3 {
        return linear_ticks(lo, hi, 5)
            .into_iter()
            .filter(|t| *t > 0.0)
            .collect();
    }
    ticks
}

/// Returns a log-axis range around the positive values of `values`, or `None`
/// when there is none.
pub fn log_range(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return None;
    }
    // A margin of a fraction of a decade on each side keeps marks off the frame.
    Some((lo / 1.6, hi * 1.6))
}

/// Returns a linear range from zero (or the smallest value, if negative) to a
/// little above the largest of `values`.
pub fn zero_range(values: impl IntoIterator<Item = f64>, headroom: f64) -> (f64, f64) {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((0.0_f64, 0.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let hi = if hi <= lo { lo + 1.0 } else { hi };
    (lo * headroom, hi * headroom)
}

/// The coordinate of an [`Axis`] on a chart: linear, with the axis's ticks as
/// its only grid lines and labels.
#[derive(Clone, Debug)]
pub struct Coord {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for Coord {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi - self.lo;
        if span == 0.0 || !value.is_finite() {
            return limit.0;
        }
        let pixels = f64::from(limit.1 - limit.0);
        limit.0 + ((value - self.lo) / span * pixels).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Only the chosen ticks: no automatic light grid between them.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// A chart drawn with two [`Axis`] coordinates.
pub type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Coord, Coord>>;

/// How values map onto an axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Evenly spaced values.
    Linear,
    /// Evenly spaced powers of ten, for values spanning orders of magnitude.
    Log,
}

/// One axis: its scale, its range and its ticks, in the data's units.
///
/// Charts draw on plain linear coordinates and place `log10(v)` there for a log
/// axis; the ticks then carry the real values. One coordinate type for every
/// axis keeps each chart a single function rather than one per combination of
/// scales.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The scale.
    pub scale: Scale,
    /// Lowest value shown.
    pub lo: f64,
    /// Highest value shown.
    pub hi: f64,
    /// Values that get a tick and a label.
    pub ticks: Vec<f64>,
}

impl Axis {
    /// Returns a linear axis over `[lo, hi]` with round ticks.
    pub fn linear(lo: f64, hi: f64) -> Self {
        Self {
            scale: Scale::Linear,
            lo,
            hi,
            ticks: linear_ticks(lo, hi, 6),
        }
    }

    /// Returns a log axis over `[lo, hi]` (both positive) with 1-2-5 ticks.
    pub fn log(lo: f64, hi: f64) -> Self {
        Self {
            scale: Scale::Log,
            lo,
            hi,
            ticks: log_ticks(lo, hi),
        }
    }

    /// Returns an axis for `values`: logarithmic when they are all positive and
    /// span more than `span` times, otherwise linear from zero with headroom.
    pub fn fit(values: &[f64], span: f64, headroom: f64) -> Self {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let positive = finite.iter().all(|v| *v > 0.0);
        if positive {
            if let Some((lo, hi)) = log_range(finite.iter().copied()) {
                if hi / lo > span * 1.6 * 1.6 {
                    return Self::log(lo, hi);
                }
            }
        }
        let (lo, hi) = zero_range(finite, headroom);
        Self::linear(lo, hi)
    }

    /// Returns where `v` sits on the drawing coordinate (NaN if it cannot be shown).
    pub fn at(&self, v: f64) -> f64 {
        match self.scale {
            Scale::Linear => v,
            Scale::Log if v > 0.0 => v.log10(),
            Scale::Log => f64::NAN,
        }
    }

    /// Returns the value at drawing coordinate `x`.
    pub fn value(&self, x: f64) -> f64 {
        match self.scale {
            Scale::Linear => x,
            Scale::Log => 10f64.powf(x),
        }
    }

    /// Returns `v` placed on the axis and clamped to its range, for marks such
    /// as error bars that must stay inside the frame.
    pub fn clamped(&self, v: f64) -> f64 {
        let (lo, hi) = (self.at(self.lo), self.at(self.hi));
        let x = self.at(v);
        if x.is_nan() {
            lo
        } else {
            x.clamp(lo, hi)
        }
    }

    /// Returns the coordinate range with its ticks, for `build_cartesian_2d`.
    pub fn coord(&self) -> Coord {
        let ticks: Vec<f64> = self
            .ticks
            .iter()
            .map(|t| self.at(*t))
            .filter(|t| t.is_finite())
            .collect();
        Coord {
            lo: self.at(self.lo),
            hi: self.at(self.hi),
            ticks,
        }
    }

    /// Returns the label of the tick at drawing coordinate `x`.
    pub fn label(&self, x: f64) -> String {
        tick(self.value(x))
    }
}

/// Formats a tick value without trailing zeros (`0.5`, `20`, `1000`).
pub fn tick(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// Formats a number with about three significant digits (`0.412`, `3.07`, `41.2`, `1234`).
pub fn sig(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let a = v.abs();
    if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        let decimals = (-a.log10().floor()) as usize + 2;
        format!("{v:.decimals$}")
    }
}

/// What a metric is called on an axis and in sentences, and how to scale it.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    /// A short name (`p99 latency`).
    pub name: String,
    /// Its unit (`ms`, `%`, `requests/s`), empty if it has none.
    pub unit: String,
    /// Factor from the stored value to the shown one (100 for fractions shown in %).
    pub scale: f64,
}

impl Metric {
    /// Returns the axis label: the name with its unit in brackets.
    pub fn axis(&self) -> String {
        if self.unit.is_empty() {
            self.name.clone()
        } else {
            format!("{} ({})", self.name, self.unit)
        }
    }

    /// Formats a stored value with its unit (`41.2 ms`, `99.95%`).
    pub fn show(&self, v: f64) -> String {
        let shown = v * self.scale;
        match self.unit.as_str() {
            "%" => format!("{}%", percent(shown)),
            "$/h" => format!("${}/h", money(shown)),
            "$" => format!("${}", money(shown)),
            "" => sig(shown),
            unit => format!("{} {unit}", sig(shown)),
        }
    }
}

/// Formats a percentage with enough decimals to tell 99.9 from 99.99.
pub fn percent(p: f64) -> String {
    if !p.is_finite() {
        "-".into()
    } else if (99.0..100.0).contains(&p) {
        // Keep digits until the distance to 100% shows.
        let gap = 100.0 - p;
        let decimals = ((-gap.log10()).ceil() as usize).clamp(2, 5);
        format!("{p:.decimals$}")
    } else if p.abs() >= 10.0 || p == 0.0 {
        format!("{p:.1}")
    } else {
        format!("{p:.2}")
    }
}

/// Formats an amount of money with two decimals, or three below a cent.
pub fn money(v: f64) -> String {
    if v.abs() < 0.1 && v != 0.0 {
        format!("{v:.3}")
    } else {
        format!("{v:.2}")
    }
}

/// Returns how to show the result at `path` (`latency_ms.p99`, `availability`...),
/// from the declaration of its figure.
pub fn metric(path: &str) -> Metric {
    let parts: Vec<String> = path.split('.').map(str::to_string).collect();
    Metric::of(path, crate::parts::kinds::measure_of(&parts))
}

impl Metric {
    /// Returns how to show the figure at `path` declared by `measure`: its
    /// label (with the component's name for a component's figure) and unit.
    pub fn of(path: &str, measure: &Measure) -> Metric {
        let parts: Vec<&str> = path.split('.').collect();
        let name = match parts.as_slice() {
            _ if measure.label.is_empty() => path.to_string(),
            ["components", component, key] => {
                format!("{component} {}", measure.label_for(key))
            }
            ["errors", cause] => format!("{} ({})", measure.label, cause.replace('_', " ")),
            _ => measure.label.to_string(),
        };
        Metric {
            name,
            unit: measure.unit.symbol().to_string(),
            scale: measure.unit.scale(),
        }
    }
}

/// Returns how a percentile key reads (`p999` is p99.9).
pub fn quantile_name(key: &str) -> String {
    match key {
        "p999" => "p99.9".into(),
        "p9999" => "p99.99".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_round() {
        assert_eq!(
            linear_ticks(0.0, 100.0, 5),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(linear_ticks(0.0, 1.0, 4), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    }

    #[test]
    fn log_ticks_follow_one_two_five() {
        assert_eq!(log_ticks(0.8, 60.0), vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0]);
        // Within one decade there are too few, so ticks turn linear.
        assert_eq!(log_ticks(3.0, 8.0), vec![3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
    }

    #[test]
    fn wrap_cuts_between_words_and_ellipsises() {
        assert_eq!(
            wrap("Four clones, least connections", 14, 3),
            vec!["Four clones,", "least", "connections"]
        );
        assert_eq!(wrap("a b c d e f", 4, 2), vec!["a b", "c d…"]);
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(sig(41.234), "41.2");
        assert_eq!(sig(0.0412), "0.0412");
        assert_eq!(sig(1234.0), "1234");
        assert_eq!(percent(99.95), "99.95");
        assert_eq!(percent(99.9993), "99.9993");
        assert_eq!(percent(100.0), "100.0");
        assert_eq!(metric("latency_ms.p999").axis(), "p99.9 latency (ms)");
        assert_eq!(metric("availability").show(0.9995), "99.95%");
        assert_eq!(
            metric("components.web.utilization").axis(),
            "web utilisation (%)"
        );
    }
}
