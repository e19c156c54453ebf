//! Gauges: stepwise values a component puts into the time series (a queue's
//! backlog, the replicas of a group, warm instances), each kept as its
//! time-weighted mean per window of the series.
//!
//! A kind declares its gauges (`Kind::GAUGES`); its part asks the recorder for
//! a handle to each gauge it keeps ([`Recorder::gauge`](super::Recorder::gauge)),
//! usually when the run starts, and sets the value whenever it changes. A
//! gauge costs one number per window of the series, whatever the number of
//! changes, so memory follows the run's length in windows, never the requests.

use serde::Serialize;

use super::window_clock::WindowClock;
use crate::engine::SimTime;

/// The declaration of one gauge: what it measures and in what unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gauge {
    /// Its key in the series (`backlog`); a key means the same in every kind.
    pub key: &'static str,
    /// How it reads on a chart's panel (`queue backlog`).
    pub label: &'static str,
    /// What it counts (`messages`, `replicas`), shown on the axis.
    pub unit: &'static str,
}

impl Gauge {
    /// Declares a gauge.
    pub const fn new(key: &'static str, label: &'static str, unit: &'static str) -> Self {
        Self { key, label, unit }
    }
}

/// A handle to one gauge of one component in a run's recorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GaugeId(pub(crate) u32);

/// One gauge of one component over a run: the time-weighted mean of its
/// value in each window of the series.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GaugeSeries {
    /// The component that keeps it.
    pub component: String,
    /// The gauge's key (`backlog`).
    pub key: &'static str,
    /// The gauge's label.
    pub label: &'static str,
    /// The gauge's unit.
    pub unit: &'static str,
    /// The time-weighted mean of the value in each window, aligned with the
    /// points of the series.
    pub values: Vec<f64>,
}

/// The running integral of one gauge, window by window.
#[derive(Clone, Debug)]
pub(crate) struct GaugeTrack {
    pub(crate) component: String,
    pub(crate) gauge: &'static Gauge,
    /// The value since `since`.
    value: f64,
    since: SimTime,
    /// The integral of the value over each window so far \[value × ns\].
    areas: Vec<f64>,
    clock: WindowClock,
    width: u64,
    /// Windows past this one are not kept (the series' cap).
    max_windows: usize,
}

impl GaugeTrack {
    /// Starts a gauge at value 0 at time 0, over windows of `width` (at most
    /// `max_windows` of them).
    pub(crate) fn new(
        component: String,
        gauge: &'static Gauge,
        width: SimTime,
        max_windows: usize,
    ) -> Self {
        Self {
            component,
            gauge,
            value: 0.0,
            since: SimTime::ZERO,
            areas: Vec::new(),
            clock: WindowClock::new(SimTime::ZERO, width),
            width: width.0.max(1),
            max_windows,
        }
    }

    /// Changes the value to `value` at `now` (a time before the last change
    /// counts as the last change's time: time never goes back in a run).
    #[inline]
    pub(crate) fn set(&mut self, now: SimTime, value: f64) {
        if value != self.value {
            self.close(now);
            self.value = value;
        }
    }

    /// Adds the current value over `[since, now)` to the windows it spans.
    fn close(&mut self, now: SimTime) {
        let now = now.max(self.since);
        if self.value != 0.0 {
            let mut from = self.since;
            while from < now {
                let Some(index) = self.clock.number(from) else {
                    break;
                };
                let index = index as usize;
                if index >= self.max_windows {
                    break;
                }
                let window_end = SimTime((index as u64 + 1).saturating_mul(self.width));
                let to = now.min(window_end);
                if index >= self.areas.len() {
                    self.areas.resize(index + 1, 0.0);
                }
                self.areas[index] += self.value * (to.0 - from.0) as f64;
                from = to;
            }
        }
        self.since = now;
    }

    /// Returns the gauge's means over the windows that start before `end`
    /// (the last one over its part before `end`), accounting up to `end`.
    pub(crate) fn finish(&mut self, end: SimTime) -> GaugeSeries {
        if self.since < end {
            self.close(end);
        }
        let count = (end.0.div_ceil(self.width) as usize).min(self.max_windows);
        let values = (0..count)
            .map(|i| {
                let start = i as u64 * self.width;
                let covered = end.0.min(start + self.width).saturating_sub(start);
                let area = self.areas.get(i).copied().unwrap_or(0.0);
                if covered == 0 {
                    0.0
                } else {
                    area / covered as f64
                }
            })
            .collect();
        GaugeSeries {
            component: self.component.clone(),
            key: self.gauge.key,
            label: self.gauge.label,
            unit: self.gauge.unit,
            values,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BACKLOG: Gauge = Gauge::new("backlog", "backlog", "messages");

    fn s(x: f64) -> SimTime {
        SimTime::from_secs_f64(x)
    }

    #[test]
    fn means_are_time_weighted_within_each_window() {
        let mut track = GaugeTrack::new("q".into(), &BACKLOG, s(1.0), 100);
        // 0 on [0, 0.25), 4 on [0.25, 1.5), 2 on [1.5, 1.75), 0 on [1.75, 2.6),
        // 10 from 2.6 to the end at 3.5.
        track.set(s(0.25), 4.0);
        track.set(s(1.5), 2.0);
        track.set(s(1.75), 0.0);
        track.set(s(2.6), 10.0);
        let series = track.finish(s(3.5));
        // By hand: window 0: 4 × 0.75 = 3; window 1: 4 × 0.5 + 2 × 0.25 =
        // 2.5; window 2: 10 × 0.4 = 4; window 3 (half of it run): 10.
        let expected = [3.0, 2.5, 4.0, 10.0];
        assert_eq!(series.values.len(), expected.len());
        for (got, want) in series.values.iter().zip(expected) {
            assert!((got - want).abs() < 1e-9, "{:?}", series.values);
        }
    }

    #[test]
    fn a_value_held_over_many_windows_fills_each() {
        let mut track = GaugeTrack::new("q".into(), &BACKLOG, s(1.0), 100);
        track.set(s(0.5), 3.0);
        let series = track.finish(s(5.0));
        assert_eq!(series.values, vec![1.5, 3.0, 3.0, 3.0, 3.0]);
    }

    #[test]
    fn windows_past_the_cap_are_not_kept() {
        let mut track = GaugeTrack::new("q".into(), &BACKLOG, s(1.0), 3);
        track.set(SimTime::ZERO, 1.0);
        track.set(s(10.0), 2.0);
        let series = track.finish(s(20.0));
        assert_eq!(series.values, vec![1.0, 1.0, 1.0]);
        assert!(track.areas.len() <= 3);
    }
}
