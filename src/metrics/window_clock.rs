//! Numbering of fixed-width windows of simulated time.

use crate::engine::SimTime;

/// Maps a time to the number of the fixed-width window that holds it,
/// counting from an origin.
///
/// A run asks about times in nearly increasing order, so the clock remembers
/// the bounds of the last window it found: most look-ups then cost two
/// comparisons instead of a 64-bit division, which takes tens of cycles and
/// was asked for several times per request (time series and SLO windows).
#[derive(Clone, Copy, Debug)]
pub struct WindowClock {
    origin: SimTime,
    width: u64,
    /// The last window found: its number and its bounds `[start, end)` in ns.
    number: u64,
    start: u64,
    end: u64,
}

impl WindowClock {
    /// Creates a clock of windows of `width` (at least 1 ns) from `origin` on.
    pub fn new(origin: SimTime, width: SimTime) -> Self {
        let width = width.0.max(1);
        Self {
            origin,
            width,
            number: 0,
            start: origin.0,
            end: origin.0.saturating_add(width),
        }
    }

    /// Returns the number of the window holding `t`, or `None` before the origin.
    #[inline]
    pub fn number(&mut self, t: SimTime) -> Option<u64> {
        if t.0 >= self.start && t.0 < self.end {
            return Some(self.number);
        }
        let since = t.0.checked_sub(self.origin.0)?;
        self.number = since / self.width;
        self.start = self.origin.0 + self.number * self.width;
        self.end = self.start.saturating_add(self.width);
        Some(self.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_the_division_in_any_order() {
        let mut clock = WindowClock::new(SimTime(100), SimTime(7));
        let times = [100, 106, 107, 99, 250, 113, 114, 5, 100, 1_000_000, 106];
        for t in times {
            let expected = if t < 100 { None } else { Some((t - 100) / 7) };
            assert_eq!(clock.number(SimTime(t)), expected, "t = {t}");
        }
    }
}
