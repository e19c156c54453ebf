//! The axes of the charts: "nice" ticks on linear and log scales, ranges
//! around the values, and the coordinate that draws only those ticks.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;
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

    /// Returns an axis for the values shown: from zero when they come close
    /// to it, otherwise zoomed to their range (so that 99.9% and 99.99% stand
    /// apart), and logarithmic when they span orders of magnitude (latency
    /// near saturation).
    pub fn zoomed(values: &[f64]) -> Self {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !(lo.is_finite() && hi.is_finite()) {
            return Self::linear(0.0, 1.0);
        }
        if lo > 0.0 && hi / lo > 30.0 {
            return Self::fit(&finite, 30.0, 1.15);
        }
        if lo >= 0.0 && lo < 0.25 * hi {
            return Self::linear(0.0, hi * 1.1);
        }
        let pad = if hi > lo {
            (hi - lo) * 0.12
        } else {
            hi.abs().max(1.0) * 0.05
        };
        Self::linear(lo - pad, hi + pad)
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
}
