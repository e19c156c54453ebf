//! Which replicas of a component are up, how fast they run, and for how long
//! they were up: the shared mechanics of failures, used by every kind that can
//! crash.

use super::station::any_replica;
use super::Ctx;
use crate::engine::{SimRng, SimTime};
use crate::metrics::{Better, Measure, Reading, Unit, Window};
use crate::model::{Call, Cause};

/// The mean fraction of the replicas that were up over the measured window.
pub const UPTIME: Measure = Measure::new("uptime", "replicas up", Unit::Share, Better::Higher);

/// The fraction of the measured window during which at least one replica was up.
pub const POOL_UPTIME: Measure = Measure::new(
    "pool_uptime",
    "time with a replica up",
    Unit::Share,
    Better::Higher,
);

/// Up/down state and speed of each replica, with time-weighted statistics.
#[derive(Clone, Debug)]
pub struct Lifecycle {
    up: Vec<bool>,
    slow: Vec<f64>,
    up_count: u32,
    window: Window,
    since: SimTime,
    /// Time (ns, inside the window) spent with exactly `i` replicas up.
    level_time: Vec<f64>,
}

impl Lifecycle {
    /// All `replicas` up, at normal speed.
    pub fn new(replicas: u32, window: Window) -> Self {
        Self {
            up: vec![true; replicas as usize],
            slow: vec![1.0; replicas as usize],
            up_count: replicas,
            window,
            since: SimTime::ZERO,
            level_time: vec![0.0; replicas as usize + 1],
        }
    }

    /// Returns true if `replica` is up.
    #[inline]
    pub fn is_up(&self, replica: u32) -> bool {
        self.up.get(replica as usize).copied().unwrap_or(false)
    }

    /// Returns the machine that serves `call`: the replica it names, or one
    /// drawn uniformly from `rng`; or why it cannot be served there (the
    /// network to it is cut, or the machine is down and refuses the
    /// connection).
    #[inline(always)]
    pub fn machine_for(&self, call: &Call, rng: &mut SimRng, ctx: &Ctx<'_>) -> Result<u32, Cause> {
        let replicas = self.replicas();
        let replica = if call.replica < replicas {
            call.replica
        } else {
            any_replica(replicas, rng)
        };
        if ctx.shared.cut_to(call.zone, ctx.me(), replica) {
            Err(Cause::Partition)
        } else if !self.is_up(replica) {
            Err(Cause::Down)
        } else {
            Ok(replica)
        }
    }

    /// Returns the factor by which `replica`'s work takes longer (1 when healthy).
    #[inline]
    pub fn slowdown(&self, replica: u32) -> f64 {
        self.slow.get(replica as usize).copied().unwrap_or(1.0)
    }

    /// Makes `replica`'s work take `factor` times longer (1: its normal speed).
    pub fn set_slowdown(&mut self, replica: u32, factor: f64) {
        if let Some(slow) = self.slow.get_mut(replica as usize) {
            *slow = factor;
        }
    }

    /// Sets the state of one replica; returns true if it changed.
    pub fn set(&mut self, replica: u32, up: bool, now: SimTime) -> bool {
        let Some(state) = self.up.get_mut(replica as usize) else {
            return false;
        };
        if *state == up {
            return false;
        }
        *state = up;
        self.account(now);
        if up {
            self.up_count += 1;
        } else {
            self.up_count -= 1;
        }
        true
    }

    /// Adds the time since the last change to the current level.
    fn account(&mut self, now: SimTime) {
        let from = self.since.max(self.window.start);
        let to = now.min(self.window.end);
        if to > from {
            self.level_time[self.up_count as usize] += (to - from).0 as f64;
        }
        self.since = now;
    }

    /// Returns the fraction of the window spent with exactly `i` replicas up, for each `i`.
    pub fn levels(&mut self, now: SimTime) -> Vec<f64> {
        self.account(now);
        let total: f64 = self.level_time.iter().sum();
        if total <= 0.0 {
            let mut all = vec![0.0; self.level_time.len()];
            all[self.up_count as usize] = 1.0;
            return all;
        }
        self.level_time.iter().map(|t| t / total).collect()
    }

    /// Returns (mean fraction of replicas up, fraction of time at least one was up).
    pub fn uptime(&mut self, now: SimTime) -> (f64, f64) {
        let levels = self.levels(now);
        let n = (levels.len() - 1).max(1) as f64;
        let mean = levels
            .iter()
            .enumerate()
            .map(|(i, p)| i as f64 * p)
            .sum::<f64>()
            / n;
        let pool = 1.0 - levels[0];
        (mean, pool)
    }

    /// Returns the readings of [`UPTIME`] and [`POOL_UPTIME`] at `now`.
    pub fn readings(&mut self, now: SimTime) -> [Reading; 2] {
        let (uptime, pool) = self.uptime(now);
        [
            Reading::of(&UPTIME, uptime),
            Reading::of(&POOL_UPTIME, pool),
        ]
    }

    /// Returns the number of replicas.
    pub fn replicas(&self) -> u32 {
        self.up.len() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_time_at_each_level() {
        let window = Window {
            start: SimTime(0),
            end: SimTime(100),
        };
        let mut l = Lifecycle::new(2, window);
        assert!(l.set(0, false, SimTime(50)));
        assert!(!l.set(0, false, SimTime(60)));
        assert!(l.set(1, false, SimTime(75)));
        // 2 up over [0, 50), 1 up over [50, 75), none over [75, 100).
        assert_eq!(l.levels(SimTime(100)), vec![0.25, 0.25, 0.5]);
        let (mean, pool) = l.uptime(SimTime(100));
        assert!((mean - 0.625).abs() < 1e-12 && (pool - 0.75).abs() < 1e-12);
        l.set_slowdown(1, 2.5);
        assert_eq!(l.slowdown(1), 2.5);
    }
}
