//! Guard rails that stop a run early but cleanly: a number of events, a
//! wall-clock time, a number of requests in flight, a cancel flag, or a
//! simulated clock that stands still.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::engine::SimTime;
use crate::metrics::{StopReason, MAX_EVENTS_AT_ONE_INSTANT};

/// Default cap on requests in flight: far above any healthy system, and well
/// below what would exhaust memory (a request in flight takes about 100 bytes).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1_000_000;

/// How often, in events, the guard looks at the clock, the cancel flag and the
/// requests in flight: rarely enough to cost nothing, often enough to react
/// within milliseconds.
const CHECK_EVERY: u64 = 4096;

/// Guard rails that stop a run early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Stop after this many events (deterministic).
    pub max_events: Option<u64>,
    /// Stop after this much wall-clock time (not deterministic).
    pub max_wall: Option<Duration>,
    /// Stop when more requests than this are in flight at once (deterministic).
    pub max_in_flight: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_events: None,
            max_wall: None,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
        }
    }
}

/// Watches one run for its guard rails.
pub(super) struct Guard<'a> {
    limits: Limits,
    cancel: Option<&'a AtomicBool>,
    started: Instant,
    /// The simulated time of the last check, and the events handled when
    /// the clock first showed it.
    instant: (SimTime, u64),
}

impl<'a> Guard<'a> {
    pub(super) fn new(limits: Limits, cancel: Option<&'a AtomicBool>) -> Self {
        Self {
            limits,
            cancel,
            started: Instant::now(),
            instant: (SimTime::ZERO, 0),
        }
    }

    /// Called with the simulated time, the events handled so far and the
    /// requests in flight, after each batch of [`Guard::events_to_next_check`]
    /// events; returns the guard rail that says stop, if any.
    ///
    /// Only the event count decides when the in-flight cap and the clock are
    /// looked at, so `max_events`, `max_in_flight` and a stalled clock trip
    /// at the same event in every run of the same file and seed.
    pub(super) fn check(
        &mut self,
        now: SimTime,
        events: u64,
        in_flight: impl FnOnce() -> usize,
    ) -> Option<StopReason> {
        if self.limits.max_events.is_some_and(|m| events >= m) {
            return Some(StopReason::MaxEvents);
        }
        if !events.is_multiple_of(CHECK_EVERY) {
            return None;
        }
        if in_flight() > self.limits.max_in_flight {
            return Some(StopReason::MaxInFlight);
        }
        if self.stalled(now, events) {
            return Some(StopReason::Stalled);
        }
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Some(StopReason::Interrupted);
        }
        if self
            .limits
            .max_wall
            .is_some_and(|w| self.started.elapsed() >= w)
        {
            return Some(StopReason::MaxWall);
        }
        None
    }

    /// Returns whether the simulated clock has shown `now` for more than
    /// [`MAX_EVENTS_AT_ONE_INSTANT`] events, `events` being handled so far.
    fn stalled(&mut self, now: SimTime, events: u64) -> bool {
        let (seen, since) = self.instant;
        if now != seen {
            self.instant = (now, events);
            return false;
        }
        events - since > MAX_EVENTS_AT_ONE_INSTANT
    }

    /// Returns how many events may run after `events` before the next check:
    /// up to the next multiple of [`CHECK_EVERY`], or to `max_events`.
    pub(super) fn events_to_next_check(&self, events: u64) -> u64 {
        let to_multiple = CHECK_EVERY - events % CHECK_EVERY;
        self.limits
            .max_events
            .map_or(to_multiple, |m| to_multiple.min(m.saturating_sub(events)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_clock_that_stands_still_for_the_whole_limit_stalls() {
        let mut guard = Guard::new(Limits::default(), None);
        let step = CHECK_EVERY;
        let mut events = 0;
        let mut look = |guard: &mut Guard<'_>, at: u64| {
            events += step;
            guard.check(SimTime(at), events, || 0)
        };
        // Time moves at each look: no stall, however many events.
        for t in 0..(2 * MAX_EVENTS_AT_ONE_INSTANT / step) {
            assert_eq!(look(&mut guard, t), None);
        }
        // Then it stands still: a stall at the first look once more than the
        // limit of events have passed since the clock first showed that time.
        assert_eq!(look(&mut guard, 7), None);
        let mut since = 0;
        while look(&mut guard, 7).is_none() {
            since += step;
            assert!(since <= MAX_EVENTS_AT_ONE_INSTANT, "no stall after {since}");
        }
        assert!(
            since + step > MAX_EVENTS_AT_ONE_INSTANT,
            "stalled after {since}"
        );
    }
}
