//! Per-window statistics over the whole run, for time-series charts.
//!
//! The run is cut into at most `MAX_WINDOWS` windows (1 s each by default, wider
//! for long runs), so the memory they take depends on the run's length in
//! windows, never on the number of requests.

use serde::Serialize;

use super::gauge::{Gauge, GaugeId, GaugeSeries, GaugeTrack};
use super::window_clock::WindowClock;
use crate::engine::SimTime;

/// Upper bound on the number of windows of a run.
pub const MAX_WINDOWS: u64 = 2000;
/// Windows kept while the run goes on: the run may outlast its planned
/// duration (the drain), and the windows past it are dropped at the end.
const KEPT_WINDOWS: u64 = MAX_WINDOWS + MAX_WINDOWS / 2;
/// Number of histogram buckets (eight per doubling): from 1 us up to about 3 days.
const BUCKETS: usize = 304;

/// Requests in one window, with a coarse latency histogram.
#[derive(Clone, Debug)]
struct WindowCounts {
    offered: u32,
    completed: u32,
    errors: u32,
    latency: Vec<u32>,
}

/// Collects per-window counts during a run.
#[derive(Clone, Debug)]
pub struct SeriesRecorder {
    width: SimTime,
    clock: WindowClock,
    windows: Vec<WindowCounts>,
    /// The gauges of the components, in the order they were asked for.
    gauges: Vec<GaugeTrack>,
}

/// One window of a time series (rates per second, latency in milliseconds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct SeriesPoint {
    /// Start of the window, in seconds of simulated time.
    pub start_s: f64,
    /// Arrivals per second.
    pub offered_rps: f64,
    /// Successful answers per second.
    pub throughput_rps: f64,
    /// Unsuccessful ends (rejected, timed out, failed) per second.
    pub errors_rps: f64,
    /// 99th percentile of the latency of the window's successful answers.
    pub p99_ms: f64,
}

/// A moment worth marking on a time series (a rate change, the end of the warm-up...).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Marker {
    /// When, in seconds of simulated time.
    pub at_s: f64,
    /// What happened.
    pub label: String,
}

/// A time series of one run (or the pointwise mean of several).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TimeSeries {
    /// Width of each window, in seconds.
    pub window_s: f64,
    /// The windows, in time order.
    pub points: Vec<SeriesPoint>,
    /// Moments to mark.
    pub markers: Vec<Marker>,
    /// The components' gauges (queue backlog, replicas...), each with one
    /// value per point.
    pub gauges: Vec<GaugeSeries>,
}

impl SeriesRecorder {
    /// Prepares windows covering `[0, duration)`: 1 s wide, or wider so that
    /// there are at most `MAX_WINDOWS`.
    pub fn new(duration: SimTime) -> Self {
        let second = SimTime::NANOS_PER_SEC;
        let seconds = duration.0.div_ceil(second).max(1);
        let width = seconds.div_ceil(MAX_WINDOWS).max(1) * second;
        Self {
            width: SimTime(width),
            clock: WindowClock::new(SimTime::ZERO, SimTime(width)),
            windows: Vec::new(),
            gauges: Vec::new(),
        }
    }

    /// Returns the handle of `component`'s gauge `gauge`, starting it (at
    /// value 0 from time 0) the first time it is asked for.
    pub fn gauge(&mut self, component: &str, gauge: &'static Gauge) -> GaugeId {
        let found = self
            .gauges
            .iter()
            .position(|t| t.component == component && t.gauge.key == gauge.key);
        let index = found.unwrap_or_else(|| {
            self.gauges.push(GaugeTrack::new(
                component.to_string(),
                gauge,
                self.width,
                KEPT_WINDOWS as usize,
            ));
            self.gauges.len() - 1
        });
        GaugeId(index as u32)
    }

    /// Sets the gauge `id` to `value` from `now` on.
    #[inline]
    pub fn set_gauge(&mut self, id: GaugeId, now: SimTime, value: f64) {
        if let Some(track) = self.gauges.get_mut(id.0 as usize) {
            track.set(now, value);
        }
    }

    /// Returns the window of time `t`, creating it if needed (none past the cap).
    #[inline]
    fn window(&mut self, t: SimTime) -> Option<&mut WindowCounts> {
        let index = self.clock.number(t)?;
        if index >= KEPT_WINDOWS {
            return None;
        }
        let index = index as usize;
        if index >= self.windows.len() {
            self.windows.resize(
                index + 1,
                WindowCounts {
                    offered: 0,
                    completed: 0,
                    errors: 0,
                    latency: Vec::new(),
                },
            );
        }
        self.windows.get_mut(index)
    }

    /// Notes an arrival at `t`.
    #[inline]
    pub fn offered(&mut self, t: SimTime) {
        if let Some(w) = self.window(t) {
            w.offered += 1;
        }
    }

    /// Takes back an arrival noted at `t`.
    pub fn withdraw_offered(&mut self, t: SimTime) {
        if let Some(w) = self.window(t) {
            w.offered = w.offered.saturating_sub(1);
        }
    }

    /// Notes a successful answer at `t` after `latency`.
    #[inline]
    pub fn completed(&mut self, t: SimTime, latency: SimTime) {
        if let Some(w) = self.window(t) {
            w.completed += 1;
            if w.latency.is_empty() {
                w.latency = vec![0; BUCKETS];
            }
            w.latency[bucket(latency)] += 1;
        }
    }

    /// Notes an unsuccessful end at `t`.
    #[inline]
    pub fn error(&mut self, t: SimTime) {
        if let Some(w) = self.window(t) {
            w.errors += 1;
        }
    }

    /// Returns the series up to `end` (windows past it are dropped).
    pub fn finish(&mut self, end: SimTime, markers: Vec<Marker>) -> TimeSeries {
        let width_s = self.width.as_secs_f64();
        let count = (end.0.div_ceil(self.width.0) as usize).min(self.windows.len());
        let points = self.windows[..count]
            .iter()
            .enumerate()
            .map(|(i, w)| SeriesPoint {
                start_s: i as f64 * width_s,
                offered_rps: f64::from(w.offered) / width_s,
                throughput_rps: f64::from(w.completed) / width_s,
                errors_rps: f64::from(w.errors) / width_s,
                p99_ms: percentile(&w.latency, 0.99),
            })
            .collect();
        let gauges = self
            .gauges
            .iter_mut()
            .map(|track| {
                let mut series = track.finish(end);
                // One value per point: the points stop at the last window
                // that saw a request.
                series.values.resize(count, 0.0);
                series
            })
            .collect();
        TimeSeries {
            window_s: width_s,
            points,
            markers,
            gauges,
        }
    }
}

/// Log2 of the upper edge of bucket 0 (1,024 ns, about 1 us).
const FIRST_OCTAVE: u32 = 10;

/// Returns the histogram bucket of a latency: log-linear, eight buckets per
/// doubling, found from the bits of the value (no floating-point logarithm on
/// the path of every answer).
#[inline]
fn bucket(latency: SimTime) -> usize {
    let ns = latency.0;
    if ns <= 1 << FIRST_OCTAVE {
        return 0;
    }
    let octave = 63 - ns.leading_zeros();
    let sub = (ns >> (octave - 3)) & 7;
    let index = (octave - FIRST_OCTAVE) as usize * 8 + sub as usize + 1;
    index.min(BUCKETS - 1)
}

/// Returns the upper edge of a bucket, in milliseconds.
fn bucket_upper_ms(index: usize) -> f64 {
    if index == 0 {
        return f64::from(1u32 << FIRST_OCTAVE) / 1e6;
    }
    let octave = (index - 1) / 8 + FIRST_OCTAVE as usize;
    let sub = ((index - 1) % 8) as f64;
    2f64.powi(octave as i32) * (1.0 + (sub + 1.0) / 8.0) / 1e6
}

/// Returns the `q` quantile of a bucket histogram, in milliseconds (0 if empty).
fn percentile(counts: &[u32], q: f64) -> f64 {
    let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    if total == 0 {
        return 0.0;
    }
    let rank = (q * total as f64).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (i, &c) in counts.iter().enumerate() {
        seen += u64::from(c);
        if seen >= rank {
            return bucket_upper_ms(i);
        }
    }
    bucket_upper_ms(counts.len() - 1)
}

impl TimeSeries {
    /// Returns the pointwise mean of several series of the same shape.
    pub fn mean(series: &[&TimeSeries]) -> TimeSeries {
        let Some(first) = series.first() else {
            return TimeSeries::default();
        };
        let n = series.len() as f64;
        let len = series.iter().map(|s| s.points.len()).min().unwrap_or(0);
        let points = (0..len)
            .map(|i| {
                let sum = |f: fn(&SeriesPoint) -> f64| {
                    series.iter().map(|s| f(&s.points[i])).sum::<f64>() / n
                };
                SeriesPoint {
                    start_s: first.points[i].start_s,
                    offered_rps: sum(|p| p.offered_rps),
                    throughput_rps: sum(|p| p.throughput_rps),
                    errors_rps: sum(|p| p.errors_rps),
                    p99_ms: sum(|p| p.p99_ms),
                }
            })
            .collect();
        TimeSeries {
            window_s: first.window_s,
            points,
            markers: first.markers.clone(),
            gauges: mean_gauges(series, len),
        }
    }
}

/// Returns the pointwise mean of each gauge of the first series over the
/// series that have it (the same component and key), cut to `len` points.
fn mean_gauges(series: &[&TimeSeries], len: usize) -> Vec<GaugeSeries> {
    let Some(first) = series.first() else {
        return Vec::new();
    };
    first
        .gauges
        .iter()
        .map(|g| {
            let same: Vec<&GaugeSeries> = series
                .iter()
                .filter_map(|s| {
                    s.gauges
                        .iter()
                        .find(|o| o.component == g.component && o.key == g.key)
                })
                .collect();
            let n = same.len() as f64;
            let len = same
                .iter()
                .map(|o| o.values.len())
                .min()
                .unwrap_or(0)
                .min(len);
            let values = (0..len)
                .map(|i| same.iter().map(|o| o.values[i]).sum::<f64>() / n)
                .collect();
            GaugeSeries {
                values,
                ..g.clone()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_count_and_rate_per_second() {
        let mut s = SeriesRecorder::new(SimTime::from_secs_f64(3.0));
        s.offered(SimTime::from_secs_f64(0.5));
        s.offered(SimTime::from_secs_f64(1.5));
        s.completed(SimTime::from_secs_f64(1.6), SimTime::from_millis(4));
        s.error(SimTime::from_secs_f64(2.1));
        let series = s.finish(SimTime::from_secs_f64(3.0), Vec::new());
        assert_eq!(series.window_s, 1.0);
        assert_eq!(series.points.len(), 3);
        assert_eq!(series.points[1].offered_rps, 1.0);
        assert_eq!(series.points[1].throughput_rps, 1.0);
        assert_eq!(series.points[2].errors_rps, 1.0);
        // 4 ms falls in a bucket whose upper edge is within 12.5% above it.
        let p99 = series.points[1].p99_ms;
        assert!((4.0..4.4).contains(&p99), "{p99}");
    }

    #[test]
    fn buckets_bound_their_values_within_an_eighth_of_an_octave() {
        for ns in [1_500u64, 4_000_000, 123_456_789, 9_999_999_999] {
            let upper = bucket_upper_ms(bucket(SimTime(ns))) * 1e6;
            let value = ns as f64;
            assert!(
                upper >= value && upper <= value * 1.125 + 1.0,
                "{ns}: {upper}"
            );
        }
    }

    const BACKLOG: Gauge = Gauge::new("backlog", "backlog", "messages");

    #[test]
    fn gauges_come_out_one_value_per_point_and_average_over_runs() {
        let run = |level: f64| {
            let mut s = SeriesRecorder::new(SimTime::from_secs_f64(2.0));
            let id = s.gauge("orders", &BACKLOG);
            assert_eq!(s.gauge("orders", &BACKLOG), id, "asked twice, kept once");
            s.offered(SimTime::from_secs_f64(1.5));
            s.set_gauge(id, SimTime::from_secs_f64(0.5), level);
            s.finish(SimTime::from_secs_f64(2.0), Vec::new())
        };
        let (a, b) = (run(2.0), run(4.0));
        assert_eq!(a.gauges.len(), 1);
        assert_eq!(a.gauges[0].values, vec![1.0, 2.0]);
        let mean = TimeSeries::mean(&[&a, &b]);
        assert_eq!(mean.gauges[0].values, vec![1.5, 3.0]);
        assert_eq!(mean.gauges[0].component, "orders");
    }

    #[test]
    fn long_runs_get_wider_windows() {
        let s = SeriesRecorder::new(SimTime::from_secs_f64(10.0 * 3600.0));
        assert_eq!(s.width, SimTime::from_secs_f64(18.0));
    }
}
