//! A circuit breaker on one edge, with the closed → open → half-open states
//! of resilience4j and Hystrix.
//!
//! - **Closed**: every call goes through and its outcome is recorded in a
//!   sliding window (the last N calls, or the calls of the last T seconds in
//!   ten buckets). Once the window holds `min_calls` outcomes and the share
//!   of failures reaches `failure_rate`, the breaker opens.
//! - **Open**: every call fails at once, for `open_for`; then the breaker
//!   half-opens.
//! - **Half-open**: `half_open_calls` calls go through as probes, the others
//!   fail at once. When all the probes have answered, the breaker opens again
//!   if their failure share reaches `failure_rate`, and closes otherwise, with
//!   an empty window.
//!
//! An outcome counts only in the state its call was sent in (an answer that
//! comes back after the state changed is not recorded), which the `epoch`
//! tells.

use crate::engine::SimTime;

/// How much history the breaker judges.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Window {
    /// The last N calls.
    Calls(u32),
    /// The calls of the last `T`, in ten buckets of `T / 10`.
    Time(SimTime),
}

/// The settings of a breaker (`circuit_breaker:` of an edge).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreakerSpec {
    /// The share of failed calls at which it opens, in (0, 1].
    pub failure_rate: f64,
    /// The history it judges.
    pub window: Window,
    /// Outcomes the window must hold before it judges.
    pub min_calls: u32,
    /// How long it stays open.
    pub open_for: SimTime,
    /// Probe calls let through while half-open.
    pub half_open_calls: u32,
}

/// The state of a breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Calls go through and are judged.
    Closed,
    /// Calls fail at once.
    Open,
    /// A few probe calls go through.
    HalfOpen,
}

impl State {
    /// Returns the state's name, for markers and journeys.
    pub fn name(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half_open",
        }
    }
}

/// Buckets of a time window.
const BUCKETS: usize = 10;

/// Outcomes recorded in the window.
#[derive(Clone, Debug)]
enum History {
    /// A ring of the last N outcomes (true: failed).
    Calls {
        ring: Vec<bool>,
        next: usize,
        filled: usize,
        failed: usize,
    },
    /// Calls and failures per bucket, each bucket tagged with its number
    /// since the start of the run.
    Time {
        bucket: SimTime,
        slots: [(u64, u32, u32); BUCKETS],
    },
}

impl History {
    fn new(window: Window) -> Self {
        match window {
            Window::Calls(n) => History::Calls {
                ring: vec![false; n.max(1) as usize],
                next: 0,
                filled: 0,
                failed: 0,
            },
            Window::Time(t) => History::Time {
                bucket: SimTime(t.0.div_ceil(BUCKETS as u64).max(1)),
                slots: [(u64::MAX, 0, 0); BUCKETS],
            },
        }
    }

    fn record(&mut self, failed: bool, now: SimTime) {
        match self {
            History::Calls {
                ring,
                next,
                filled,
                failed: failures,
            } => {
                if *filled == ring.len() {
                    *failures -= usize::from(ring[*next]);
                } else {
                    *filled += 1;
                }
                ring[*next] = failed;
                *failures += usize::from(failed);
                *next = (*next + 1) % ring.len();
            }
            History::Time { bucket, slots } => {
                let number = now.0 / bucket.0;
                let slot = &mut slots[(number % BUCKETS as u64) as usize];
                if slot.0 != number {
                    *slot = (number, 0, 0);
                }
                slot.1 += 1;
                slot.2 += u32::from(failed);
            }
        }
    }

    /// Returns (calls, failures) in the window at `now`.
    fn totals(&self, now: SimTime) -> (u64, u64) {
        match self {
            History::Calls { filled, failed, .. } => (*filled as u64, *failed as u64),
            History::Time { bucket, slots } => {
                let number = now.0 / bucket.0;
                let oldest = number.saturating_sub(BUCKETS as u64 - 1);
                slots
                    .iter()
                    .filter(|s| s.0 != u64::MAX && s.0 >= oldest && s.0 <= number)
                    .fold((0, 0), |(c, f), s| (c + u64::from(s.1), f + u64::from(s.2)))
            }
        }
    }
}

/// What a recorded outcome did to the breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Nothing.
    None,
    /// It opened (from closed or half-open).
    Opened,
    /// It closed (from half-open).
    Closed,
}

/// A circuit breaker while it runs.
#[derive(Clone, Debug)]
pub struct Breaker {
    spec: BreakerSpec,
    state: State,
    history: History,
    /// Counted up at each change of state.
    epoch: u32,
    /// Probes still to let through, answered, and failed (half-open).
    probes_left: u32,
    probes_answered: u32,
    probes_failed: u32,
    /// When it last opened.
    opened_at: SimTime,
}

impl Breaker {
    /// A closed breaker with an empty window.
    pub fn new(spec: BreakerSpec) -> Self {
        Self {
            spec,
            state: State::Closed,
            history: History::new(spec.window),
            epoch: 0,
            probes_left: 0,
            probes_answered: 0,
            probes_failed: 0,
            opened_at: SimTime::ZERO,
        }
    }

    /// Its state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Its epoch: the number of changes of state so far.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// How long it stays open.
    pub fn open_for(&self) -> SimTime {
        self.spec.open_for
    }

    /// When it last opened.
    pub fn opened_at(&self) -> SimTime {
        self.opened_at
    }

    /// Asks to send a call: false means the call fails at once.
    pub fn permit(&mut self) -> bool {
        match self.state {
            State::Closed => true,
            State::Open => false,
            State::HalfOpen if self.probes_left > 0 => {
                self.probes_left -= 1;
                true
            }
            State::HalfOpen => false,
        }
    }

    /// Gives back a permit taken for a call that was not sent after all.
    pub fn give_back(&mut self) {
        if self.state == State::HalfOpen {
            self.probes_left += 1;
        }
    }

    /// Records the outcome of a call sent in `epoch`, at `now`.
    pub fn record(&mut self, failed: bool, epoch: u32, now: SimTime) -> Change {
        if epoch != self.epoch {
            return Change::None;
        }
        match self.state {
            State::Closed => {
                self.history.record(failed, now);
                let (calls, failures) = self.history.totals(now);
                let need = match self.spec.window {
                    Window::Calls(n) => u64::from(self.spec.min_calls.min(n)),
                    Window::Time(_) => u64::from(self.spec.min_calls),
                };
                if calls >= need.max(1)
                    && failures as f64 >= self.spec.failure_rate * calls as f64 - 1e-9
                {
                    self.open(now);
                    return Change::Opened;
                }
                Change::None
            }
            State::Open => Change::None,
            State::HalfOpen => {
                self.probes_answered += 1;
                self.probes_failed += u32::from(failed);
                if self.probes_answered < self.spec.half_open_calls {
                    return Change::None;
                }
                let share = f64::from(self.probes_failed) / f64::from(self.probes_answered);
                if share >= self.spec.failure_rate {
                    self.open(now);
                    Change::Opened
                } else {
                    self.state = State::Closed;
                    self.epoch += 1;
                    self.history = History::new(self.spec.window);
                    Change::Closed
                }
            }
        }
    }

    /// Half-opens the breaker if it is open and has been for `open_for`, at
    /// `now`; returns whether it did.
    pub fn half_open(&mut self, now: SimTime) -> bool {
        if self.state != State::Open || now < self.opened_at + self.spec.open_for {
            return false;
        }
        self.state = State::HalfOpen;
        self.epoch += 1;
        self.probes_left = self.spec.half_open_calls;
        self.probes_answered = 0;
        self.probes_failed = 0;
        true
    }

    fn open(&mut self, now: SimTime) {
        self.state = State::Open;
        self.epoch += 1;
        self.opened_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(failure_rate: f64, window: Window, min_calls: u32) -> BreakerSpec {
        BreakerSpec {
            failure_rate,
            window,
            min_calls,
            open_for: SimTime::from_millis(1000),
            half_open_calls: 3,
        }
    }

    /// Feeds a count window of `n` calls with a baseline pattern of failure
    /// share `p0` spread evenly, then failures only; returns the number of
    /// the failing call (from 1) at which the breaker opens.
    fn opening_call(theta: f64, n: u32, p0_every: Option<u32>) -> u32 {
        let mut b = Breaker::new(spec(theta, Window::Calls(n), n));
        let t = SimTime::ZERO;
        for i in 0..n {
            let failed = p0_every.is_some_and(|k| i % k == 0);
            assert_eq!(
                b.record(failed, 0, t),
                Change::None,
                "opened in the baseline"
            );
        }
        for k in 1..=n {
            if b.record(true, 0, t) == Change::Opened {
                return k;
            }
        }
        panic!("never opened");
    }

    /// With a baseline failure share p0 and threshold theta, a count window
    /// of N calls opens at call ceil((theta − p0)N / (1 − p0)) of the failing
    /// regime: each new failure replaces an old outcome that failed with
    /// share p0.
    #[test]
    fn opens_at_the_call_the_window_law_gives() {
        let cases = [
            (0.5, 10, None, 0.0),
            (0.5, 10, Some(5), 0.2),
            (0.5, 100, Some(10), 0.1),
            (0.2, 50, None, 0.0),
            (1.0, 20, Some(4), 0.25),
        ];
        for (theta, n, every, p0) in cases {
            let expected = ((theta - p0) * f64::from(n) / (1.0 - p0) - 1e-9).ceil() as u32;
            assert_eq!(
                opening_call(theta, n, every),
                expected,
                "theta {theta}, N {n}, p0 {p0}"
            );
        }
    }

    #[test]
    fn judges_nothing_before_min_calls() {
        let mut b = Breaker::new(spec(0.5, Window::Calls(100), 10));
        for _ in 0..9 {
            assert_eq!(b.record(true, 0, SimTime::ZERO), Change::None);
        }
        assert_eq!(b.record(true, 0, SimTime::ZERO), Change::Opened);
        assert_eq!(b.state(), State::Open);
        assert!(!b.permit());
    }

    #[test]
    fn half_opens_after_open_for_then_closes_on_good_probes() {
        let mut b = Breaker::new(spec(0.5, Window::Calls(2), 2));
        b.record(true, 0, SimTime::ZERO);
        assert_eq!(b.record(true, 0, SimTime::ZERO), Change::Opened);
        assert!(!b.half_open(SimTime::from_millis(999)));
        assert!(b.half_open(SimTime::from_millis(1000)));
        let epoch = b.epoch();
        assert!(b.permit() && b.permit() && b.permit());
        assert!(!b.permit(), "only half_open_calls probes pass");
        // An answer to a call sent before the breaker opened is not a probe.
        assert_eq!(b.record(true, 0, SimTime::from_millis(1001)), Change::None);
        assert_eq!(
            b.record(false, epoch, SimTime::from_millis(1002)),
            Change::None
        );
        assert_eq!(
            b.record(true, epoch, SimTime::from_millis(1003)),
            Change::None
        );
        assert_eq!(
            b.record(false, epoch, SimTime::from_millis(1004)),
            Change::Closed
        );
        assert_eq!(b.state(), State::Closed);
        assert!(b.permit());
    }

    #[test]
    fn reopens_on_failed_probes() {
        let mut b = Breaker::new(spec(0.5, Window::Calls(1), 1));
        assert_eq!(b.record(true, 0, SimTime::ZERO), Change::Opened);
        assert!(b.half_open(SimTime::from_millis(1000)));
        let epoch = b.epoch();
        for _ in 0..2 {
            b.permit();
            assert_eq!(
                b.record(true, epoch, SimTime::from_millis(1100)),
                Change::None
            );
        }
        b.permit();
        assert_eq!(
            b.record(false, epoch, SimTime::from_millis(1100)),
            Change::Opened
        );
        assert_eq!(b.opened_at(), SimTime::from_millis(1100));
    }

    #[test]
    fn a_time_window_forgets_old_buckets() {
        let window = Window::Time(SimTime::from_millis(10_000));
        let mut b = Breaker::new(spec(0.5, window, 4));
        // Three failures long ago, then successes: the failures leave the window.
        for ms in [0, 100, 200] {
            b.record(true, 0, SimTime::from_millis(ms));
        }
        for ms in [20_000, 20_100, 20_200] {
            assert_eq!(b.record(false, 0, SimTime::from_millis(ms)), Change::None);
        }
        assert_eq!(
            b.record(true, 0, SimTime::from_millis(20_300)),
            Change::None
        );
        // Within the window: 1 failure in 4, then 3 more failures open it.
        assert_eq!(
            b.record(true, 0, SimTime::from_millis(20_400)),
            Change::None
        );
        assert_eq!(
            b.record(true, 0, SimTime::from_millis(20_500)),
            Change::Opened
        );
    }
}
