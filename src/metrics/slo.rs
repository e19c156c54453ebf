//! Availability over time: the share of windows in which the success ratio met
//! the service-level objective, and the downtime it implies.

use serde::Serialize;

use super::time_average::Window;
use super::window_clock::WindowClock;
use crate::engine::SimTime;

/// A service-level objective: the success ratio each window must reach.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slo {
    /// Required fraction of successful requests in a window.
    pub success: f64,
    /// Length of a window.
    pub window: SimTime,
    /// The latency an answer must not pass to count as a success (`None`:
    /// every answer does).
    pub latency: Option<SimTime>,
}

impl Default for Slo {
    /// 99.9% of requests answered in every 10-second window.
    fn default() -> Self {
        Self {
            success: 0.999,
            window: SimTime(10_000_000_000),
            latency: None,
        }
    }
}

/// Availability over time, from the SLO windows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct SloSummary {
    /// The required success ratio.
    pub target: f64,
    /// Length of a window, in seconds.
    pub window_s: f64,
    /// Fraction of windows that met the target.
    pub availability: f64,
    /// Time in windows that missed it, in seconds.
    pub downtime_s: f64,
    /// The availability as a number of nines (`-log10(1 - availability)`; absent at 100%).
    pub nines: f64,
    /// Downtime per year at this availability, in hours.
    pub downtime_per_year_h: f64,
}

/// Counts successes and failures per SLO window of the measured window.
#[derive(Clone, Debug)]
pub struct SloRecorder {
    slo: Slo,
    clock: WindowClock,
    /// (successes, failures) per SLO window, from the start of the measured window.
    counts: Vec<(u32, u32)>,
}

impl SloRecorder {
    /// Prepares the windows that fit entirely in the measured window.
    pub fn new(slo: Slo, window: Window) -> Self {
        let whole = (window.end - window.start).0 / slo.window.0.max(1);
        Self {
            slo,
            clock: WindowClock::new(window.start, slo.window),
            counts: vec![(0, 0); whole as usize],
        }
    }

    /// Notes a request that ended at `now`.
    #[inline]
    pub fn record(&mut self, now: SimTime, success: bool) {
        let Some(index) = self.clock.number(now) else {
            return;
        };
        if let Some((ok, bad)) = self.counts.get_mut(index as usize) {
            if success {
                *ok += 1;
            } else {
                *bad += 1;
            }
        }
    }

    /// Returns the availability over time. A window with no traffic meets the target.
    pub fn summarize(&self) -> SloSummary {
        let total = self.counts.len();
        let good = self
            .counts
            .iter()
            .filter(|&&(ok, bad)| {
                let n = ok + bad;
                n == 0 || f64::from(ok) / f64::from(n) >= self.slo.success
            })
            .count();
        let availability = if total == 0 {
            1.0
        } else {
            good as f64 / total as f64
        };
        let window_s = self.slo.window.as_secs_f64();
        SloSummary {
            target: self.slo.success,
            window_s,
            availability,
            downtime_s: (total - good) as f64 * window_s,
            nines: if availability < 1.0 {
                -(1.0 - availability).log10()
            } else {
                f64::NAN
            },
            downtime_per_year_h: (1.0 - availability) * 8760.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_below_target_count_as_downtime() {
        let window = Window {
            start: SimTime(0),
            end: SimTime(40),
        };
        let slo = Slo {
            latency: None,
            success: 0.9,
            window: SimTime(10),
        };
        let mut r = SloRecorder::new(slo, window);
        for t in 0..10 {
            r.record(SimTime(t), true); // window 0: all good
        }
        r.record(SimTime(12), true);
        r.record(SimTime(13), false); // window 1: 50%
                                      // Windows 2 and 3 are empty: they meet the target.
        let s = r.summarize();
        assert_eq!(s.availability, 0.75);
        assert_eq!(s.downtime_s, 10.0 * 1e-9);
        assert!((s.nines - (-(0.25f64).log10())).abs() < 1e-12);
    }
}
