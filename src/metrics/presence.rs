//! The number of requests present in a station over the measured window, and
//! the time each one spent there: the three terms of Little's law, L = λW,
//! measured independently of one another.
//!
//! L is the time average of the count present; λ counts the requests that
//! left inside the window; W is the mean time those requests spent inside.
//! Over a finite window the law holds up to the requests that straddle its
//! edges, and this tracker also measures those edge terms, so a check can tell
//! an edge effect from a measurement that is wrong (docs/model.md derives the
//! bound). Memory is a dozen integers, whatever the number of requests: a
//! running sum of the arrival times of the requests present stands for their
//! ages, and the caller, which keeps each request's arrival time anyway, hands
//! it back when the request leaves.

use super::time_average::Window;
use crate::engine::SimTime;

/// Little's law's terms for one component over the measured window.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LittleTerms {
    /// L: requests present, time-averaged over the window.
    pub in_system: f64,
    /// λ: requests that left inside the window, per second.
    pub departure_rps: f64,
    /// W: mean time in the station of the requests that left inside the
    /// window, in milliseconds (0 when none left).
    pub sojourn_ms: f64,
    /// L − λW, computed exactly from integer nanoseconds before one division.
    pub gap: f64,
    /// The bound on |L − λW| that the requests present at the window's start
    /// or end account for: the larger of their summed ages inside the window
    /// at its end and before the window at its start, divided by its length.
    pub edge: f64,
}

/// Counts the requests present in one component's stations and the time
/// they spend there.
#[derive(Clone, Debug)]
pub struct Presence {
    window: Window,
    /// Requests present now.
    present: u64,
    /// When `present` last changed (or was looked at).
    since: SimTime,
    /// The integral of `present` over the window up to `since` [requests·ns].
    area: u128,
    /// The sum of the arrival times of the requests present [ns].
    arrived: u128,
    /// The same, each arrival time raised to the window's start if earlier.
    arrived_in_window: u128,
    /// Summed ages of the requests present just before the window's start.
    start_ages: Option<u128>,
    /// Summed time inside the window of the requests present just before its end.
    end_ages: Option<u128>,
    /// Requests that left inside the window.
    departures: u64,
    /// Their summed time in the station [ns].
    sojourns: u128,
}

impl Presence {
    /// Creates an empty tracker for the measured `window`.
    pub fn new(window: Window) -> Self {
        Self {
            window,
            present: 0,
            since: SimTime::ZERO,
            area: 0,
            arrived: 0,
            arrived_in_window: 0,
            start_ages: None,
            end_ages: None,
            departures: 0,
            sojourns: 0,
        }
    }

    /// Notes a request entering at `now`.
    #[inline(always)]
    pub fn enter(&mut self, now: SimTime) {
        self.pass(now);
        self.present += 1;
        self.arrived += u128::from(now.0);
        self.arrived_in_window += u128::from(now.max(self.window.start).0);
    }

    /// Notes a request leaving at `now`, served or not, that entered at `entered`.
    #[inline(always)]
    pub fn leave(&mut self, now: SimTime, entered: SimTime) {
        self.pass(now);
        self.present = self.present.saturating_sub(1);
        self.arrived = self.arrived.saturating_sub(u128::from(entered.0));
        self.arrived_in_window = self
            .arrived_in_window
            .saturating_sub(u128::from(entered.max(self.window.start).0));
        if self.window.contains(now) {
            self.departures += 1;
            self.sojourns += u128::from(now.saturating_sub(entered).0);
        }
    }

    /// Returns the requests present now.
    pub fn present(&self) -> u64 {
        self.present
    }

    /// Integrates up to `now`, first noting the ages at a window edge that
    /// `now` reaches for the first time.
    ///
    /// Every earlier call came before that edge, so the requests present
    /// arrived before it, and their summed ages at the edge are the count
    /// times the edge minus the sum of their arrival times.
    #[inline]
    fn pass(&mut self, now: SimTime) {
        if self.start_ages.is_none() && now >= self.window.start {
            self.start_ages = Some(self.ages_at(self.window.start, self.arrived));
        }
        if self.end_ages.is_none() && now >= self.window.end {
            self.end_ages = Some(self.ages_at(self.window.end, self.arrived_in_window));
        }
        if now > self.since {
            let from = self.since.max(self.window.start);
            let to = now.min(self.window.end);
            if to > from && self.present > 0 {
                self.area += u128::from(self.present) * u128::from((to - from).0);
            }
            self.since = now;
        }
    }

    /// Returns the summed ages at `edge` of the requests present, given the
    /// sum of their (possibly raised) arrival times.
    fn ages_at(&self, edge: SimTime, arrivals: u128) -> u128 {
        (u128::from(self.present) * u128::from(edge.0)).saturating_sub(arrivals)
    }

    /// Returns the terms of Little's law over the window, ended at `end`
    /// (the window's own end, or earlier when the run stopped early).
    pub fn terms(&mut self, end: SimTime) -> LittleTerms {
        let end = end.clamp(self.window.start, self.window.end);
        self.pass(end.max(self.since));
        // The state has not changed since the last event, which came before
        // any edge not yet noted: the ages at that edge are those of now.
        let start_ages = self
            .start_ages
            .unwrap_or_else(|| self.ages_at(self.window.start, self.arrived));
        let end_ages = match self.end_ages {
            Some(ages) if end == self.window.end => ages,
            _ => self.ages_at(end, self.arrived_in_window),
        };
        let span = (end - self.window.start).0;
        if span == 0 {
            return LittleTerms::default();
        }
        let span_f = span as f64;
        let gap = self.area as i128 - self.sojourns as i128;
        LittleTerms {
            in_system: self.area as f64 / span_f,
            departure_rps: self.departures as f64 / (span_f / 1e9),
            sojourn_ms: if self.departures == 0 {
                0.0
            } else {
                self.sojourns as f64 / self.departures as f64 / 1e6
            },
            gap: gap as f64 / span_f,
            edge: start_ages.max(end_ages) as f64 / span_f,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(start: u64, end: u64) -> Window {
        Window {
            start: SimTime(start),
            end: SimTime(end),
        }
    }

    #[test]
    fn inside_the_window_l_is_lambda_w_exactly() {
        let mut p = Presence::new(window(0, 100));
        // Two requests: [10, 30) and [20, 60). Area 20 + 40 = 60 over 100.
        p.enter(SimTime(10));
        p.enter(SimTime(20));
        p.leave(SimTime(30), SimTime(10));
        p.leave(SimTime(60), SimTime(20));
        let t = p.terms(SimTime(100));
        assert!((t.in_system - 0.6).abs() < 1e-12);
        assert!((t.departure_rps - 2.0 / 100e-9).abs() < 1e-3);
        assert!((t.sojourn_ms - 30e-6).abs() < 1e-15);
        assert_eq!((t.gap, t.edge), (0.0, 0.0));
    }

    #[test]
    fn requests_across_the_edges_make_the_gap_and_bound_it() {
        let mut p = Presence::new(window(100, 200));
        // Present at the start: entered at 40, leaves at 130 (sojourn 90,
        // of which 30 inside). Present at the end: entered at 150, leaves
        // at 260 (50 inside). One inside: [120, 140).
        p.enter(SimTime(40));
        p.enter(SimTime(120));
        p.leave(SimTime(130), SimTime(40));
        p.leave(SimTime(140), SimTime(120));
        p.enter(SimTime(150));
        p.leave(SimTime(260), SimTime(150));
        let t = p.terms(SimTime(200));
        // Area 30 + 20 + 50 = 100; sojourns of those that left inside: 90 + 20.
        assert!((t.in_system - 1.0).abs() < 1e-12);
        assert!((t.gap - (-10.0 / 100.0)).abs() < 1e-12);
        // Ages: 60 at the start, 50 at the end.
        assert!((t.edge - 0.6).abs() < 1e-12);
        assert!(t.gap.abs() <= t.edge);
    }

    #[test]
    fn a_run_stopped_early_ends_its_window_at_the_stop() {
        let mut p = Presence::new(window(0, 1000));
        p.enter(SimTime(10));
        let t = p.terms(SimTime(110));
        // One request present over [10, 110) of a window cut to 110.
        assert!((t.in_system - 100.0 / 110.0).abs() < 1e-12);
        assert_eq!(t.departure_rps, 0.0);
        assert!((t.edge - 100.0 / 110.0).abs() < 1e-12);
        assert!((t.gap - t.in_system).abs() < 1e-12);
    }
}
