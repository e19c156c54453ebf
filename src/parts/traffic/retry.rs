//! Client retries: how many, and how long to wait before each.

use rand::RngExt;
use serde::Deserialize;

use crate::engine::{SimRng, SimTime};
use crate::spec::limits::{MAX_RETRIES, RETRIES};
use crate::spec::{join_key, refused, Duration, Fraction, Issue};

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

/// `backoff:` as written: the waits before retries (of the clients, or of a
/// component's calls on one edge).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBackoff {
    base: Option<Duration>,
    max: Option<Duration>,
    jitter: Option<Jitter>,
    budget: Option<Fraction>,
}

/// Builds a retry policy from `retries` and `backoff` written under
/// `parent` (`traffic`, or an edge); `None` when there are no retries.
pub fn policy(
    retries: Option<u32>,
    backoff: Option<&RawBackoff>,
    parent: &str,
    issues: &mut Vec<Issue>,
) -> Option<RetryPolicy> {
    let count = retries.unwrap_or(0);
    let retries_path = join_key(parent, "retries");
    if count > MAX_RETRIES {
        issues.push(Issue::new(retries_path.clone(), RETRIES.refusal(count)));
    }
    // Only a missing `retries` is a mistake: `retries: 0` turns retries off
    // on purpose (a `--set` or a sweep from a file with a backoff), and the
    // backoff then waits for nothing. A `retries` refused already is not
    // missing.
    if backoff.is_some() && retries.is_none() && !refused(issues, &retries_path) {
        issues.push(Issue::new(
            join_key(parent, "backoff"),
            "a backoff needs `retries` (how many times to retry)",
        ));
    }
    let base = backoff
        .and_then(|b| b.base)
        .map_or(SimTime::from_millis(100), |d| d.0);
    let max = backoff
        .and_then(|b| b.max)
        .map_or(SimTime::from_millis(10_000), |d| d.0);
    if max < base {
        issues.push(Issue::new(
            join_key(&join_key(parent, "backoff"), "max"),
            "the longest wait must not be shorter than `base`",
        ));
    }
    (count > 0).then_some(RetryPolicy {
        retries: count.min(MAX_RETRIES),
        base,
        max,
        jitter: backoff.and_then(|b| b.jitter).unwrap_or(Jitter::Full),
        budget: backoff.and_then(|b| b.budget).map(|f| f.0),
    })
}
