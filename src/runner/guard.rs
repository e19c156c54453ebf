//! Guard rails that stop a run early but cleanly: a number of events, a
//! wall-clock time, a number of requests in flight, or a cancel flag.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::metrics::StopReason;

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
}

impl<'a> Guard<'a> {
    pub(super) fn new(limits: Limits, cancel: Option<&'a AtomicBool>) -> Self {
        Self {
            limits,
            cancel,
            started: Instant::now(),
        }
    }

    /// Called with the events handled so far and the requests in flight,
    /// after each batch of [`Guard::events_to_next_check`] events; returns the
    /// guard rail that says stop, if any.
    ///
    /// Only the event count decides when the in-flight cap is looked at, so
    /// `max_events` and `max_in_flight` trip at the same event in every run of
    /// the same file and seed.
    pub(super) fn check(
        &mut self,
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

    /// Returns how many events may run after `events` before the next check:
    /// up to the next multiple of [`CHECK_EVERY`], or to `max_events`.
    pub(super) fn events_to_next_check(&self, events: u64) -> u64 {
        let to_multiple = CHECK_EVERY - events % CHECK_EVERY;
        self.limits
            .max_events
            .map_or(to_multiple, |m| to_multiple.min(m.saturating_sub(events)))
    }
}
