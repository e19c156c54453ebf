//! Time-weighted averages (utilisation, queue length) over the measured window.

use crate::engine::SimTime;

/// The measured part of a run: after the warm-up, until arrivals stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Start (the end of the warm-up).
    pub start: SimTime,
    /// End (when arrivals stop).
    pub end: SimTime,
}

impl Window {
    /// Returns the window's length in seconds.
    pub fn secs(&self) -> f64 {
        (self.end - self.start).as_secs_f64()
    }

    /// Returns true if `t` falls inside the window.
    pub fn contains(&self, t: SimTime) -> bool {
        t >= self.start && t < self.end
    }

    /// Returns the part of `[from, to)` that falls inside the window, in nanoseconds.
    #[inline]
    fn overlap(&self, from: SimTime, to: SimTime) -> u64 {
        let a = from.max(self.start);
        let b = to.min(self.end);
        b.0.saturating_sub(a.0)
    }
}

/// The integral of a piecewise-constant quantity over the window.
#[derive(Clone, Debug)]
pub struct TimeAverage {
    window: Window,
    value: u64,
    since: SimTime,
    area: f64,
}

impl TimeAverage {
    /// Starts at value 0 at time 0.
    pub fn new(window: Window) -> Self {
        Self {
            window,
            value: 0,
            since: SimTime::ZERO,
            area: 0.0,
        }
    }

    /// Changes the quantity to `value` at time `now`.
    #[inline]
    pub fn set(&mut self, now: SimTime, value: u64) {
        if value != self.value {
            self.close(now);
            self.value = value;
        }
    }

    /// Returns the current value.
    #[inline]
    pub fn value(&self) -> u64 {
        self.value
    }

    /// Accounts for the time up to `now` at the current value.
    #[inline]
    fn close(&mut self, now: SimTime) {
        if self.value > 0 {
            // Both fit in an i64 (a count, and nanoseconds within the window),
            // whose conversion to f64 is one instruction.
            let span = self.window.overlap(self.since, now) as i64;
            self.area += self.value as i64 as f64 * span as f64;
        }
        self.since = now;
    }

    /// Returns the time average over the window cut at `end` (its own end,
    /// or the time a run stopped early), accounting up to `now`.
    ///
    /// The end is given rather than read from `now`: a run that runs out of
    /// events before its end still measures the idle time after them.
    pub fn mean(&mut self, now: SimTime, end: SimTime) -> f64 {
        self.close(now);
        let span = self.window.overlap(self.window.start, end);
        if span == 0 {
            0.0
        } else {
            self.area / span as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_only_inside_the_window() {
        let window = Window {
            start: SimTime(10),
            end: SimTime(30),
        };
        let mut q = TimeAverage::new(window);
        q.set(SimTime(0), 4); // 4 over [0, 20): 10 units inside the window
        q.set(SimTime(20), 1); // 1 over [20, 40): 10 units inside
        assert!((q.mean(SimTime(40), window.end) - 2.5).abs() < 1e-12);
    }

    #[test]
    fn a_window_cut_early_averages_over_its_simulated_part() {
        let window = Window {
            start: SimTime(10),
            end: SimTime(110),
        };
        let mut q = TimeAverage::new(window);
        q.set(SimTime(0), 4); // 4 over [10, 20)
        q.set(SimTime(20), 2); // 2 over [20, 30), where the run stops
        assert!((q.mean(SimTime(30), SimTime(30)) - 3.0).abs() < 1e-12);
    }
}
