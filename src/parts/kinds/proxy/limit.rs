//! Rate limits: token buckets that refill continuously, one for the whole
//! proxy or one per user.
//!
//! A bucket holds at most `burst` tokens and gains `rate` tokens per second,
//! continuously; a request takes one token, and a request that finds less
//! than one is refused. A bucket is kept as the single instant at which it
//! will be full again (the "theoretical arrival time" of the generic cell rate
//! algorithm), which is exact, costs one number per bucket, and makes a full
//! bucket the same as no bucket at all: per-user buckets that have refilled
//! are dropped, so memory follows the users active in the last `burst / rate`
//! seconds, not every user ever seen.

use serde::Deserialize;

use crate::engine::SimTime;
use crate::keys::KeyMap;

/// Whose requests share a bucket, as written in `per:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    /// One bucket per user: each user gets `rate` on its own.
    User,
    /// One bucket for every request that reaches the proxy.
    Global,
}

/// The validated settings of a rate limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Tokens added per second.
    pub rate: f64,
    /// Tokens a bucket holds at most: the longest burst it lets through.
    pub burst: u32,
    /// Whose requests share a bucket.
    pub per: Per,
}

/// The law of one token bucket: how fast it refills and how much it holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    /// Nanoseconds to gain one token (1 / rate).
    interval: f64,
    /// How far ahead of now the bucket's full instant may be for it still to
    /// hold a token: (burst - 1) intervals.
    tolerance: f64,
}

impl Bucket {
    /// Creates the law of a bucket of `burst` tokens refilled at `rate` per second.
    pub fn new(rate: f64, burst: u32) -> Self {
        let interval = 1e9 / rate;
        Self {
            interval,
            // Half a nanosecond of slack: the clock ticks in whole
            // nanoseconds, and without it the rounding of `now + k intervals
            // - now` could refuse the last token of a burst that arrives all
            // at one instant.
            tolerance: f64::from(burst.max(1) - 1) * interval + 0.5,
        }
    }

    /// Takes a token, at `now` (ns), from the bucket that is full at
    /// `full_at` (ns; any instant not after `now` for a full bucket): returns
    /// the instant the bucket is full again after giving it, or `None` when
    /// it holds less than one token (and is left as it was).
    #[inline]
    pub fn take(&self, full_at: f64, now: f64) -> Option<f64> {
        let full_at = full_at.max(now);
        // Tokens held = burst - (full_at - now) / interval, at least one.
        (full_at - now <= self.tolerance).then_some(full_at + self.interval)
    }

    /// Returns how long an empty bucket takes to fill: burst / rate.
    pub fn refill_time(&self) -> SimTime {
        SimTime::from_nanos_f64(self.tolerance - 0.5 + self.interval)
    }
}

/// The shortest time between two sweeps of the per-user buckets: a bucket
/// that refills in less is kept a little longer rather than swept at every
/// refill, so that a fast limit does not cost an event every few nanoseconds.
const MIN_SWEEP: SimTime = SimTime(1_000_000);

/// The buckets of one rate limit while a run goes on.
#[derive(Clone, Debug)]
pub struct Limiter {
    bucket: Bucket,
    per: Per,
    /// The global bucket's full instant (ns).
    global: f64,
    /// Each user's bucket's full instant (ns), for the users whose bucket is
    /// not full; a user without an entry has a full bucket. Only looked up
    /// and swept, never iterated in an order that reaches the results.
    users: KeyMap<f64>,
}

impl Limiter {
    /// Creates a limiter whose buckets all start full.
    pub fn new(limit: &RateLimit) -> Self {
        Self {
            bucket: Bucket::new(limit.rate, limit.burst),
            per: limit.per,
            global: 0.0,
            users: KeyMap::default(),
        }
    }

    /// Takes a token for a request of `user` at `now`; returns false when
    /// its bucket is empty (the request is refused).
    #[inline]
    pub fn admit(&mut self, user: u32, now: SimTime) -> bool {
        let now = now.0 as f64;
        match self.per {
            Per::Global => match self.bucket.take(self.global, now) {
                Some(full_at) => {
                    self.global = full_at;
                    true
                }
                None => false,
            },
            Per::User => {
                let full_at = self.users.get(&user).copied().unwrap_or(now);
                match self.bucket.take(full_at, now) {
                    Some(full_at) => {
                        self.users.insert(user, full_at);
                        true
                    }
                    None => false,
                }
            }
        }
    }

    /// Drops the per-user buckets that are full at `now` (they are the same
    /// as no bucket); returns true while some remain, to be swept later.
    pub fn sweep(&mut self, now: SimTime) -> bool {
        let now = now.0 as f64;
        self.users.retain(|_, full_at| *full_at > now);
        !self.users.is_empty()
    }

    /// Returns the time between two sweeps: the time an empty bucket takes
    /// to refill, so that a bucket is dropped at most that long after it is
    /// full, and no sooner than [`MIN_SWEEP`].
    pub fn sweep_interval(&self) -> SimTime {
        self.bucket.refill_time().max(MIN_SWEEP)
    }

    /// Returns the number of per-user buckets held.
    pub fn held(&self) -> usize {
        self.users.len()
    }

    /// Returns true when each user has a bucket of its own.
    pub fn per_user(&self) -> bool {
        self.per == Per::User
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_lets_a_burst_through_then_the_rate() {
        let bucket = Bucket::new(10.0, 3);
        let mut full_at = 0.0;
        let mut admitted = Vec::new();
        // A request every millisecond for one second.
        for ms in 0..1000u32 {
            let now = f64::from(ms) * 1e6;
            if let Some(next) = bucket.take(full_at, now) {
                full_at = next;
                admitted.push(ms);
            }
        }
        // Three at once from the full bucket, then one per 100 ms of refill:
        // the first token is back at 100 ms.
        assert_eq!(&admitted[..5], &[0, 1, 2, 100, 200]);
        assert_eq!(admitted.len(), 3 + 9);
        assert_eq!(bucket.refill_time(), SimTime(300_000_000));
    }

    #[test]
    fn a_whole_burst_passes_at_one_instant_late_in_a_run() {
        // See: at a rate whose interval is not a whole number of nanoseconds,
        // the rounding of `now + interval - now` refused the second token of
        // a burst of 2 arriving at one instant 1000 s into a run.
        let bucket = Bucket::new(221.483_039_236_131_93, 2);
        let later = 1e12;
        let first = bucket.take(0.0, later);
        let second = first.and_then(|full_at| bucket.take(full_at, later));
        assert!(second.is_some());
        assert!(second.and_then(|full_at| bucket.take(full_at, later)).is_none());
    }

    #[test]
    fn per_user_buckets_are_apart_and_dropped_once_full() {
        let mut limiter = Limiter::new(&RateLimit {
            rate: 1.0,
            burst: 2,
            per: Per::User,
        });
        let t = |s: f64| SimTime::from_secs_f64(s);
        assert!(limiter.admit(7, t(0.0)) && limiter.admit(7, t(0.1)));
        assert!(!limiter.admit(7, t(0.2)), "user 7 has spent its burst");
        assert!(limiter.admit(8, t(0.2)), "user 8 has a bucket of its own");
        assert_eq!(limiter.held(), 2);
        // User 7's bucket is full at 2.0 s, user 8's at 1.2 s.
        assert!(limiter.sweep(t(1.5)));
        assert_eq!(limiter.held(), 1);
        assert!(!limiter.sweep(t(2.0)));
        assert_eq!(limiter.held(), 0);
        // A dropped bucket is a full one: two requests pass again at once.
        assert!(limiter.admit(7, t(2.0)) && limiter.admit(7, t(2.0)));
        assert_eq!(limiter.sweep_interval(), t(2.0));
    }

    #[test]
    fn a_global_bucket_is_shared_and_keeps_no_user() {
        let mut limiter = Limiter::new(&RateLimit {
            rate: 1.0,
            burst: 1,
            per: Per::Global,
        });
        assert!(limiter.admit(1, SimTime::ZERO));
        assert!(!limiter.admit(2, SimTime(1)));
        assert!(limiter.admit(2, SimTime::from_secs_f64(1.0)));
        assert_eq!(limiter.held(), 0);
        assert!(!limiter.per_user());
    }
}
