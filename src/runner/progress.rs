//! How far a batch of runs has got, while it runs: the runs publish it, a
//! caller (the command line's progress bar) reads it from another thread.
//!
//! Each run adds what it advanced to two shared counters once per batch of
//! events, the batch between two looks of the guard rails: two atomic
//! additions every few thousand events, nothing inside the event loop. The
//! counters are only written, never read, by the runs, so they cannot change
//! a result.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::engine::SimTime;

/// Nanoseconds in a millisecond, the unit of the simulated-time counter.
const NANOS_PER_MS: u64 = 1_000_000;

/// The progress of a batch of runs, summed over its runs.
///
/// Simulated time is counted in whole milliseconds, capped at each run's
/// duration (the drain after it is not counted), so that the sum over the
/// largest sweep allowed (ten million runs of thirty years) fits in 64 bits.
/// A run that ends, however it ends, counts its whole duration: when every
/// run has ended, [`Progress::simulated_ms`] is the sum of
/// [`Progress::share_ms`] over the runs.
#[derive(Debug, Default)]
pub struct Progress {
    simulated_ms: AtomicU64,
    events: AtomicU64,
}

impl Progress {
    /// Creates the progress of a batch that has not started.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the simulated time reached, summed over the runs, in milliseconds.
    pub fn simulated_ms(&self) -> u64 {
        self.simulated_ms.load(Ordering::Relaxed)
    }

    /// Returns the events handled so far, summed over the runs.
    pub fn events(&self) -> u64 {
        self.events.load(Ordering::Relaxed)
    }

    /// Returns what a run of `duration` adds to [`Progress::simulated_ms`]
    /// by its end, in milliseconds.
    pub fn share_ms(duration: SimTime) -> u64 {
        duration.0 / NANOS_PER_MS
    }
}

/// What one run has published into a [`Progress`] so far.
pub(super) struct Tracker<'a> {
    progress: Option<&'a Progress>,
    end_ms: u64,
    published_ms: u64,
    published_events: u64,
}

impl<'a> Tracker<'a> {
    /// Starts tracking a run of `duration` into `progress` (if any).
    pub(super) fn new(progress: Option<&'a Progress>, duration: SimTime) -> Self {
        Self {
            progress,
            end_ms: Progress::share_ms(duration),
            published_ms: 0,
            published_events: 0,
        }
    }

    /// Publishes that the run reached `now` after `events` events.
    pub(super) fn update(&mut self, now: SimTime, events: u64) {
        let ms = (now.0 / NANOS_PER_MS).min(self.end_ms);
        self.publish(ms, events);
    }

    /// Publishes that the run ended after `events` events: its whole duration
    /// counts as done.
    pub(super) fn finish(&mut self, events: u64) {
        self.publish(self.end_ms, events);
    }

    /// Adds what the run advanced since the last publication.
    fn publish(&mut self, ms: u64, events: u64) {
        let Some(progress) = self.progress else {
            return;
        };
        // The simulated time of a run never goes back, nor do its events.
        if ms > self.published_ms {
            progress
                .simulated_ms
                .fetch_add(ms - self.published_ms, Ordering::Relaxed);
            self.published_ms = ms;
        }
        if events > self.published_events {
            progress
                .events
                .fetch_add(events - self.published_events, Ordering::Relaxed);
            self.published_events = events;
        }
    }
}
