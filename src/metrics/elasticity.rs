//! The elasticity figures of an autoscaled component, after the SPEC Research
//! Group's: the share of the measured time with fewer replicas than the
//! demand needs (under-provisioned) and with more (over-provisioned); how far
//! off the supply was, on average, relative to the demand (the accuracy
//! figures); and the share of time when the supply moved against the demand
//! or without it (instability).
//!
//! Demand is known per window (the autoscaler's interval: the work offered in
//! it), and supply is a step function that may change at any instant, so the
//! meter keeps, for the window still open, the time spent at each supply
//! level, and judges it against the demand when the window closes. Memory is
//! the number of distinct supply levels seen in one window, never the length
//! of the run.

use std::cmp::Ordering;

use super::time_average::Window;
use crate::engine::SimTime;

/// The elasticity figures over the measured time.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Elasticity {
    /// Share of the measured time with supply below demand.
    pub under: f64,
    /// Share of the measured time with supply above demand.
    pub over: f64,
    /// Under-provisioning accuracy: the time-average of the missing
    /// replicas over the demand, `(d − s)⁺ / max(d, 1)`.
    pub under_accuracy: f64,
    /// Over-provisioning accuracy: the time-average of the extra replicas
    /// over the demand, `(s − d)⁺ / max(d, 1)`.
    pub over_accuracy: f64,
    /// Share of the measured time in intervals where the supply moved and
    /// the demand did not move the same way.
    pub instability: f64,
}

/// Accumulates supply against demand over the measured window.
#[derive(Clone, Debug)]
pub struct ElasticityMeter {
    window: Window,
    supply: u32,
    since: SimTime,
    /// Time (ns, inside the window) at each supply level since the last close.
    levels: Vec<(u32, u64)>,
    under_ns: u64,
    over_ns: u64,
    total_ns: u64,
    /// Missing and extra replicas over the demand, times nanoseconds.
    under_area: f64,
    over_area: f64,
    /// Time in intervals where supply and demand moved apart.
    unstable_ns: u64,
    /// The demand of the interval closed last, and the supply then.
    last: Option<(u32, u32)>,
}

impl ElasticityMeter {
    /// Starts at time 0 with `supply` replicas.
    pub fn new(window: Window, supply: u32) -> Self {
        Self {
            window,
            supply,
            since: SimTime::ZERO,
            levels: Vec::new(),
            under_ns: 0,
            over_ns: 0,
            total_ns: 0,
            under_area: 0.0,
            over_area: 0.0,
            unstable_ns: 0,
            last: None,
        }
    }

    /// Notes the time since the last change at the current supply.
    fn account(&mut self, now: SimTime) {
        let from = self.since.max(self.window.start);
        let to = now.min(self.window.end);
        self.since = now;
        if to <= from {
            return;
        }
        let span = (to - from).0;
        match self
            .levels
            .iter_mut()
            .find(|(level, _)| *level == self.supply)
        {
            Some((_, time)) => *time += span,
            None => self.levels.push((self.supply, span)),
        }
    }

    /// The supply becomes `level` at `now`.
    pub fn supply(&mut self, now: SimTime, level: u32) {
        if level != self.supply {
            self.account(now);
            self.supply = level;
        }
    }

    /// Closes the window that ends at `now`, whose demand was `demand`
    /// replicas: the time since the previous close is judged against it.
    pub fn close(&mut self, now: SimTime, demand: u32) {
        self.account(now);
        let scale = f64::from(demand.max(1));
        let mut judged = 0;
        for &(level, time) in &self.levels {
            if level < demand {
                self.under_ns += time;
                self.under_area += f64::from(demand - level) / scale * time as f64;
            } else if level > demand {
                self.over_ns += time;
                self.over_area += f64::from(level - demand) / scale * time as f64;
            }
            judged += time;
        }
        self.total_ns += judged;
        // An interval is unstable when the supply moved and the demand did
        // not move the same way (a supply that stays put while the demand
        // moves is lag, which the shares above measure). The first interval
        // has nothing to compare with: it counts as stable.
        if let Some((last_demand, last_supply)) = self.last {
            let moved = self.supply.cmp(&last_supply);
            if moved != Ordering::Equal && moved != demand.cmp(&last_demand) {
                self.unstable_ns += judged;
            }
        }
        self.last = Some((demand, self.supply));
        self.levels.clear();
    }

    /// Returns the shares so far (both 0 when no measured time was judged).
    pub fn shares(&self) -> Elasticity {
        if self.total_ns == 0 {
            return Elasticity::default();
        }
        let total = self.total_ns as f64;
        Elasticity {
            under: self.under_ns as f64 / total,
            over: self.over_ns as f64 / total,
            under_accuracy: self.under_area / total,
            over_accuracy: self.over_area / total,
            instability: self.unstable_ns as f64 / total,
        }
    }
}

/// Returns the elasticity of `supply` against `demand` over `window`.
///
/// Both are step functions given as `(start, value)` in time order: each
/// value holds until the next start, the last until the window's end. Demand
/// steps are the windows the meter closes; supply may change anywhere. The
/// first supply step is taken as the supply from time 0.
pub fn elasticity(
    demand: &[(SimTime, u32)],
    supply: &[(SimTime, u32)],
    window: Window,
) -> Elasticity {
    let first = supply.first().map_or(0, |s| s.1);
    let mut meter = ElasticityMeter::new(window, first);
    let mut changes = supply.iter().skip(1).peekable();
    for (i, &(_, value)) in demand.iter().enumerate() {
        let close_at = demand.get(i + 1).map_or(window.end, |d| d.0);
        while let Some(&&(at, level)) = changes.peek() {
            if at > close_at {
                break;
            }
            meter.supply(at, level);
            changes.next();
        }
        meter.close(close_at, value);
    }
    meter.shares()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> SimTime {
        SimTime(secs * 1_000_000_000)
    }

    #[test]
    fn a_known_trace_matches_the_hand_computation() {
        // Windows of 10 s from 0 to 60 s; the measured part is [10 s, 60 s).
        let window = Window {
            start: s(10),
            end: s(60),
        };
        let demand = [
            (s(0), 2),
            (s(10), 2),
            (s(20), 5),
            (s(30), 5),
            (s(40), 3),
            (s(50), 1),
        ];
        // Two replicas; a scale-out to 4 lands at 27 s and to 5 at 34 s; a
        // scale-in to 3 at 46 s, to 2 at 58 s.
        let supply = [(s(0), 2), (s(27), 4), (s(34), 5), (s(46), 3), (s(58), 2)];
        // Under: [20, 34) (7 s at 2, 7 s at 4 against 5): 14 s.
        // Over: [40, 46) at 5 against 3 (6 s); [50, 60) at 3 then 2 against 1 (10 s).
        // Equal: [10, 20), [34, 40), [46, 50): 20 s. Total 50 s.
        let e = elasticity(&demand, &supply, window);
        assert_eq!(e.under, 14.0 / 50.0);
        assert_eq!(e.over, 16.0 / 50.0);
        // Accuracy: under, 7 s short by 3 of 5 and 7 s short by 1 of 5;
        // over, 6 s by 2 of 3, then 8 s by 2 of 1 and 2 s by 1 of 1.
        let under = (7.0 * 3.0 / 5.0 + 7.0 * 1.0 / 5.0) / 50.0;
        let over = (6.0 * 2.0 / 3.0 + 8.0 * 2.0 + 2.0 * 1.0) / 50.0;
        assert!((e.under_accuracy - under).abs() < 1e-12, "{e:?}");
        assert!((e.over_accuracy - over).abs() < 1e-12, "{e:?}");
        // Instability, interval by interval against the one before (supply at
        // each close): [10, 20) demand 2 = 2, supply 2 = 2: stable; [20, 30)
        // demand up, supply up (2 → 4): stable; [30, 40) demand flat, supply
        // up (4 → 5): unstable; [40, 50) demand down, supply down (5 → 3):
        // stable; [50, 60) demand down, supply down (3 → 2): stable. The first
        // interval, [0, 10), is before the window.
        assert_eq!(e.instability, 10.0 / 50.0);
    }

    #[test]
    fn a_supply_that_lags_is_not_unstable_and_one_that_flaps_is() {
        let window = Window {
            start: s(0),
            end: s(40),
        };
        let demand = [(s(0), 2), (s(10), 3), (s(20), 2), (s(30), 3)];
        // The demand moves every interval; a supply that stays at 2 lags.
        let lagging = elasticity(&demand, &[(s(0), 2)], window);
        assert_eq!(lagging.instability, 0.0);
        assert_eq!(lagging.under, 20.0 / 40.0);
        // A supply that moves against the demand each time flaps.
        let flapping = [(s(0), 2), (s(15), 1), (s(25), 3), (s(35), 2)];
        let e = elasticity(&demand, &flapping, window);
        assert_eq!(e.instability, 30.0 / 40.0);
    }

    #[test]
    fn the_warm_up_is_left_out() {
        let window = Window {
            start: s(10),
            end: s(20),
        };
        let e = elasticity(&[(s(0), 3)], &[(s(0), 1), (s(10), 3)], window);
        assert_eq!(e, Elasticity::default());
    }
}
