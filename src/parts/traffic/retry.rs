//! Client retries: how many, and how long to wait before each.

use rand::RngExt;

use crate::engine::{SimRng, SimTime};

/// Retries of the client: how many, and how long to wait before each.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// Wait before the first retry; doubles at each further retry.
    pub base: SimTime,
    /// Longest wait before a retry.
    pub max: SimTime,
    /// How the wait is randomised.
    pub jitter: Jitter,
    /// Retries allowed per request sent, over time (a retry budget, as in gRPC's
    /// retry throttling): each new request earns this many tokens, each retry
    /// spends one. `None`: no budget.
    pub budget: Option<f64>,
}

/// Most tokens a retry budget can save up: enough for a burst of failures, not
/// enough to sustain a storm.
pub const BUDGET_CAP: f64 = 100.0;

/// Randomisation of the wait before a retry, so that clients that failed
/// together do not all retry together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    /// Exactly the backoff.
    None,
    /// Uniform between zero and the backoff.
    Full,
    /// Half the backoff plus a uniform draw up to the other half.
    Equal,
}

impl RetryPolicy {
    /// Returns the wait before retry number `retry` (1 for the first retry).
    pub fn backoff(&self, retry: u32, rng: &mut SimRng) -> SimTime {
        let doubled = self
            .base
            .0
            .saturating_mul(1u64 << (retry.saturating_sub(1)).min(40));
        let backoff = doubled.min(self.max.0) as f64;
        let wait = match self.jitter {
            Jitter::None => backoff,
            Jitter::Full => backoff * rng.random::<f64>(),
            Jitter::Equal => backoff / 2.0 + backoff / 2.0 * rng.random::<f64>(),
        };
        SimTime::from_nanos_f64(wait)
    }
}
