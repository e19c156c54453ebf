//! Health checks, shared by the kinds that forward requests (balancers,
//! proxies, DNS): they probe every replica of their targets at an interval and
//! stop sending traffic to one that missed `unhealthy_after` probes in a row,
//! until it answers `healthy_after` in a row.

use rand::RngExt;
use serde::Deserialize;

use super::Ctx;
use crate::engine::{ComponentId, SimRng, SimTime};
use crate::metrics::{Better, Measure, Unit};
use crate::model::Msg;
use crate::spec::{join_key, Duration, Issue};

/// Load reports and health checks sent to the replicas.
pub const PROBES: Measure = Measure::new("probes", "probes", Unit::Count, Better::Neither);

/// `health_check:` as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHealthCheck {
    /// Time between two probes of a replica.
    pub interval: Duration,
    /// How long an answer may take and still count.
    pub timeout: Option<Duration>,
    /// Missed probes in a row that mark a replica unhealthy.
    pub unhealthy_after: Option<u32>,
    /// Answered probes in a row that mark it healthy again.
    pub healthy_after: Option<u32>,
}

/// Validated health-check settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HealthCheck {
    /// Time between two probes of a replica.
    pub interval: SimTime,
    /// How long an answer may take and still count.
    pub timeout: SimTime,
    /// Missed probes in a row that mark a replica unhealthy.
    pub unhealthy_after: u32,
    /// Answered probes in a row that mark it healthy again.
    pub healthy_after: u32,
}

/// Returns whether a probe's answer at `now` to a round opened at `sent`
/// counts: there is a check (`check`), and its timeout has not passed.
#[inline]
pub fn answer_in_time(check: Option<HealthCheck>, sent: SimTime, now: SimTime) -> bool {
    check.is_some_and(|c| now - sent <= c.timeout)
}

impl RawHealthCheck {
    /// Checks the settings; returns (field, message) on failure.
    pub fn validate(&self) -> Result<HealthCheck, (&'static str, String)> {
        let interval = self.interval.0;
        if interval == SimTime::ZERO {
            return Err(("interval", "expected a positive interval, found 0".into()));
        }
        let timeout = self.timeout.map_or(SimTime(interval.0 / 2), |t| t.0);
        if timeout == SimTime::ZERO || timeout > interval {
            return Err((
                "timeout",
                "expected a positive timeout no longer than the interval".into(),
            ));
        }
        let unhealthy_after = self.unhealthy_after.unwrap_or(3);
        let healthy_after = self.healthy_after.unwrap_or(2);
        if unhealthy_after == 0 {
            return Err((
                "unhealthy_after",
                "expected at least 1 probe, found 0".into(),
            ));
        }
        if healthy_after == 0 {
            return Err(("healthy_after", "expected at least 1 probe, found 0".into()));
        }
        Ok(HealthCheck {
            interval,
            timeout,
            unhealthy_after,
            healthy_after,
        })
    }
}

impl RawHealthCheck {
    /// Validates `health_check:` written at `path` (the component's own
    /// path); a mistake goes to `issues`, under the field it is about.
    pub fn check(&self, path: &str, issues: &mut Vec<Issue>) -> Option<HealthCheck> {
        self.validate()
            .map_err(|(field, message)| {
                issues.push(Issue::new(
                    join_key(&join_key(path, "health_check"), field),
                    message,
                ))
            })
            .ok()
    }
}

/// Opens a round of health checks of `part` at the time of `ctx`: `probe`
/// sends its probes, then the timer tagged `timer` is set to close the round
/// after the interval of `check`. Returns the time the probes left, against
/// which the answers are timed.
pub fn open_round<P>(
    part: &mut P,
    check: &HealthCheck,
    timer: u64,
    ctx: &mut Ctx<'_>,
    probe: fn(&mut P, &mut Ctx<'_>),
) -> SimTime {
    probe(part, ctx);
    ctx.schedule_self(check.interval, Msg::Timer(timer));
    ctx.now()
}

/// Sends a probe to each of the `replicas` of `target`, on behalf of a
/// machine in zone `from` (where the probes start, for network partitions);
/// returns how many were sent.
pub fn probe_replicas(ctx: &mut Ctx<'_>, target: ComponentId, replicas: u32, from: u16) -> u64 {
    let me = ctx.me();
    let delay = ctx.shared.latency(me, target);
    for replica in 0..replicas {
        ctx.send(
            target,
            delay,
            Msg::Probe {
                reply_to: me,
                zone: from,
                replica,
            },
        );
    }
    u64::from(replicas)
}

/// The replicas whose health changed in one round of checks, to be marked on
/// the run's timeline together: a zone outage changes many at once, and one
/// marker per verdict keeps the charts readable.
#[derive(Clone, Copy, Debug, Default)]
pub struct Verdicts {
    /// How many turned unhealthy (index 0) and healthy again (index 1).
    count: [u32; 2],
    /// The first replica of each verdict, named when it is the only one.
    first: [u32; 2],
}

impl Verdicts {
    /// Closes the round of one target's replicas (`states`, by replica):
    /// each replica whose health changed is passed to `changed`.
    pub fn close(
        &mut self,
        states: &mut [ProbeState],
        check: &HealthCheck,
        mut changed: impl FnMut(u32, bool),
    ) {
        for (replica, state) in states.iter_mut().enumerate() {
            if let Some(healthy) = state.close_round(check) {
                let replica = replica as u32;
                changed(replica, healthy);
                let verdict = usize::from(healthy);
                if self.count[verdict] == 0 {
                    self.first[verdict] = replica;
                }
                self.count[verdict] += 1;
            }
        }
    }

    /// Marks the round's verdicts on the run's timeline in the name of `prober`.
    pub fn mark(&self, prober: &str, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        for (verdict, label) in ["unhealthy", "healthy again"].iter().enumerate() {
            let which = match self.count[verdict] {
                0 => continue,
                1 => format!("replica {}", self.first[verdict]),
                many => format!("{many} replicas"),
            };
            ctx.shared
                .recorder
                .mark(now, format!("{prober} marks {which} {label}"));
        }
    }
}

/// The set of available replicas: membership in O(1), a uniform draw in O(1).
#[derive(Clone, Debug)]
pub struct Members {
    list: Vec<u32>,
    /// Position of each replica in `list`, or `u32::MAX` when absent.
    pos: Vec<u32>,
}

impl Members {
    /// Creates the set of all `n` replicas.
    pub fn new(n: u32) -> Self {
        Self {
            list: (0..n).collect(),
            pos: (0..n).collect(),
        }
    }

    /// Returns true if replica `r` is available.
    pub fn contains(&self, r: u32) -> bool {
        self.pos.get(r as usize).is_some_and(|&p| p != u32::MAX)
    }

    /// Makes replica `r` available or not.
    pub fn set(&mut self, r: u32, present: bool) {
        if present == self.contains(r) || r as usize >= self.pos.len() {
            return;
        }
        if present {
            self.pos[r as usize] = self.list.len() as u32;
            self.list.push(r);
        } else {
            let at = self.pos[r as usize] as usize;
            self.list.swap_remove(at);
            if let Some(&moved) = self.list.get(at) {
                self.pos[moved as usize] = at as u32;
            }
            self.pos[r as usize] = u32::MAX;
        }
    }

    /// Draws an available replica uniformly; `None` when none is.
    pub fn draw(&self, rng: &mut SimRng) -> Option<u32> {
        match self.list.len() {
            0 => None,
            1 => Some(self.list[0]),
            n => Some(self.list[rng.random_range(0..n)]),
        }
    }

    /// Returns the `i`-th available replica, in the set's own order (for a
    /// draw of its own, like two distinct replicas at once).
    pub fn nth(&self, i: usize) -> Option<u32> {
        self.list.get(i).copied()
    }

    /// Returns the number of available replicas.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Returns true when no replica is available.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Returns the number of replicas, available or not.
    pub fn total(&self) -> u32 {
        self.pos.len() as u32
    }

    /// Returns the first available replica at or after `start`, cyclically.
    /// O(1) when all are available; the scan only happens while some are down.
    pub fn next_from(&self, start: u32) -> Option<u32> {
        let n = self.total();
        if self.list.is_empty() {
            return None;
        }
        (0..n).map(|i| (start + i) % n).find(|&r| self.contains(r))
    }
}

/// What a balancer, a proxy or a DNS knows of one replica's health.
#[derive(Clone, Copy, Debug)]
pub struct ProbeState {
    /// Whether traffic goes to it.
    pub healthy: bool,
    misses: u32,
    answers: u32,
    answered: bool,
}

impl Default for ProbeState {
    fn default() -> Self {
        // Replicas start healthy, with the last probe counted as answered.
        Self {
            healthy: true,
            misses: 0,
            answers: 0,
            answered: true,
        }
    }
}

impl ProbeState {
    /// Notes an answer to the current probe.
    pub fn answer(&mut self) {
        self.answered = true;
    }

    /// Closes a round of probes; returns `Some(new health)` when it changed.
    pub fn close_round(&mut self, check: &HealthCheck) -> Option<bool> {
        if self.answered {
            self.answers += 1;
            self.misses = 0;
        } else {
            self.misses += 1;
            self.answers = 0;
        }
        self.answered = false;
        let was = self.healthy;
        if was && self.misses >= check.unhealthy_after {
            self.healthy = false;
        } else if !was && self.answers >= check.healthy_after {
            self.healthy = true;
        }
        (self.healthy != was).then_some(self.healthy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_unhealthy_after_misses_and_healthy_after_answers() {
        let check = HealthCheck {
            interval: SimTime(10),
            timeout: SimTime(5),
            unhealthy_after: 3,
            healthy_after: 2,
        };
        let mut p = ProbeState::default();
        assert_eq!(p.close_round(&check), None); // the first probe was answered
        assert_eq!(p.close_round(&check), None); // 1 miss
        assert_eq!(p.close_round(&check), None); // 2 misses
        assert_eq!(p.close_round(&check), Some(false)); // 3 misses
        p.answer();
        assert_eq!(p.close_round(&check), None); // 1 answer
        p.answer();
        assert_eq!(p.close_round(&check), Some(true)); // 2 answers
    }
}
