//! Simulated time: an integer count of nanoseconds.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A point in (or span of) simulated time, in integer nanoseconds.
///
/// Integers keep event ordering exact and results reproducible: two events
/// scheduled for the same instant compare equal, whatever the arithmetic that
/// produced them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    /// The origin of simulated time.
    pub const ZERO: SimTime = SimTime(0);
    /// The largest representable time, used as "never".
    pub const MAX: SimTime = SimTime(u64::MAX);
    /// Nanoseconds in one second.
    pub const NANOS_PER_SEC: u64 = 1_000_000_000;

    /// Returns the time `secs` seconds after the origin, rounded to the nearest nanosecond.
    pub fn from_secs_f64(secs: f64) -> SimTime {
        SimTime::from_nanos_f64(secs * Self::NANOS_PER_SEC as f64)
    }

    /// Returns the time `ms` milliseconds after the origin.
    pub fn from_millis(ms: u64) -> SimTime {
        SimTime(ms.saturating_mul(1_000_000))
    }

    /// Returns a time from a (possibly fractional) count of nanoseconds, saturating.
    pub fn from_nanos_f64(nanos: f64) -> SimTime {
        if nanos.is_nan() || nanos <= 0.0 {
            SimTime(0)
        } else if nanos >= i64::MAX as f64 {
            // Beyond 292 years: never, for a simulation.
            SimTime::MAX
        } else {
            // Adding one half and truncating rounds a positive number to the
            // nearest integer like `f64::round`, without its call into the
            // runtime library, on the hottest path of every run. The signed
            // conversion is one instruction where the unsigned one is several.
            SimTime((nanos + 0.5) as i64 as u64)
        }
    }

    /// Returns this time in seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / Self::NANOS_PER_SEC as f64
    }

    /// Returns this time in milliseconds.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// Returns the later-minus-earlier difference, or zero if `earlier` is later.
    pub fn saturating_sub(self, earlier: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(earlier.0))
    }
}

impl Add for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign for SimTime {
    fn add_assign(&mut self, rhs: SimTime) {
        *self = *self + rhs;
    }
}

impl Sub for SimTime {
    type Output = SimTime;
    fn sub(self, rhs: SimTime) -> SimTime {
        self.saturating_sub(rhs)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}s", self.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_trip() {
        assert_eq!(SimTime::from_secs_f64(1.5).0, 1_500_000_000);
        assert_eq!(SimTime::from_millis(4).as_millis_f64(), 4.0);
        assert_eq!(SimTime::from_nanos_f64(-3.0), SimTime::ZERO);
        assert_eq!(SimTime::from_nanos_f64(f64::INFINITY), SimTime::MAX);
        assert_eq!(SimTime::from_nanos_f64(1e19), SimTime::MAX);
        assert_eq!(SimTime::from_nanos_f64(f64::NAN), SimTime::ZERO);
        // Rounds to the nearest nanosecond, halves away from zero.
        assert_eq!(SimTime::from_nanos_f64(2.5), SimTime(3));
        assert_eq!(SimTime::from_nanos_f64(2.49), SimTime(2));
        assert_eq!(SimTime::from_nanos_f64(0.2), SimTime(0));
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(SimTime(3) - SimTime(5), SimTime(0));
        assert_eq!(SimTime::MAX + SimTime(1), SimTime::MAX);
    }
}
