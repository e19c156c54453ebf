//! Balancer high availability: a lone balancer, an active-passive pair, or an
//! active-active pair, and which member takes a request.

use rand::RngExt;
use serde::Deserialize;

use crate::engine::{SimRng, SimTime};
use crate::model::Cause;

/// How many balancers there are and how they share the work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ha {
    /// One balancer: its failure stops everything.
    None,
    /// Two balancers; the passive one takes over after the active one fails,
    /// once missed heartbeats reveal the failure and the takeover is done.
    ActivePassive,
    /// Two balancers each taking half the requests (clients pick one); a failed
    /// one keeps receiving its half until missed heartbeats reveal the failure.
    ActiveActive,
}

impl Ha {
    /// Returns the number of balancer machines.
    pub fn members(self) -> u32 {
        match self {
            Ha::None => 1,
            Ha::ActivePassive | Ha::ActiveActive => 2,
        }
    }
}

/// Heartbeats missed in a row before a member is known to be down.
pub const MISSED_HEARTBEATS: u64 = 3;

/// The state of the balancer machines.
#[derive(Clone, Debug)]
pub struct Pair {
    ha: Ha,
    up: Vec<bool>,
    down_since: Vec<SimTime>,
    /// Active-passive: the member taking traffic.
    active: u32,
    /// Active-passive: when the passive member will have taken over.
    takeover_done: SimTime,
    detection: SimTime,
    takeover: SimTime,
}

impl Pair {
    /// Creates the members, all up.
    pub fn new(ha: Ha, heartbeat: SimTime, takeover: SimTime) -> Self {
        let n = ha.members() as usize;
        Self {
            ha,
            up: vec![true; n],
            down_since: vec![SimTime::ZERO; n],
            active: 0,
            takeover_done: SimTime::ZERO,
            detection: SimTime(heartbeat.0.saturating_mul(MISSED_HEARTBEATS)),
            takeover,
        }
    }

    /// Notes that member `m` went down or came back.
    pub fn set(&mut self, m: u32, up: bool, now: SimTime) {
        let Some(state) = self.up.get_mut(m as usize) else {
            return;
        };
        *state = up;
        if !up {
            self.down_since[m as usize] = now;
            if self.ha == Ha::ActivePassive && m == self.active {
                self.takeover_done = now + self.detection + self.takeover;
            }
        }
    }

    /// Chooses the member that takes a request arriving at `now`, or says why none can.
    pub fn choose(&mut self, now: SimTime, rng: &mut SimRng) -> Result<u32, Cause> {
        match self.ha {
            Ha::None => self.up[0].then_some(0).ok_or(Cause::Down),
            Ha::ActivePassive => {
                let active = self.active as usize;
                if self.up[active] {
                    return Ok(self.active);
                }
                let other = 1 - self.active;
                if !self.up[other as usize] {
                    return Err(Cause::Down);
                }
                if now < self.takeover_done {
                    return Err(Cause::Failover);
                }
                self.active = other;
                Ok(other)
            }
            Ha::ActiveActive => {
                let m = rng.random_range(0..2u32);
                if self.up[m as usize] {
                    return Ok(m);
                }
                let other = 1 - m;
                let detected = now >= self.down_since[m as usize] + self.detection;
                if detected && self.up[other as usize] {
                    Ok(other)
                } else {
                    Err(Cause::Down)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream_rng;

    #[test]
    fn active_passive_fails_during_detection_and_takeover() {
        let mut rng = stream_rng(1, 0, &["pair"]);
        let mut p = Pair::new(Ha::ActivePassive, SimTime(10), SimTime(5));
        assert_eq!(p.choose(SimTime(0), &mut rng), Ok(0));
        p.set(0, false, SimTime(100));
        // Detected after 3 heartbeats (30), taken over 5 later: at 135.
        assert_eq!(p.choose(SimTime(134), &mut rng), Err(Cause::Failover));
        assert_eq!(p.choose(SimTime(135), &mut rng), Ok(1));
        p.set(0, true, SimTime(200));
        assert_eq!(p.choose(SimTime(201), &mut rng), Ok(1), "no fail-back");
    }

    #[test]
    fn active_active_loses_half_until_detection() {
        let mut rng = stream_rng(1, 0, &["pair"]);
        let mut p = Pair::new(Ha::ActiveActive, SimTime(10), SimTime(5));
        p.set(1, false, SimTime(100));
        let before: Vec<_> = (0..1000)
            .map(|_| p.choose(SimTime(110), &mut rng))
            .collect();
        let lost = before.iter().filter(|r| r.is_err()).count();
        assert!((400..600).contains(&lost), "{lost}");
        assert!((0..100).all(|_| p.choose(SimTime(130), &mut rng) == Ok(0)));
    }

    #[test]
    fn a_lone_balancer_is_a_single_point_of_failure() {
        let mut rng = stream_rng(1, 0, &["pair"]);
        let mut p = Pair::new(Ha::None, SimTime(10), SimTime(5));
        p.set(0, false, SimTime(1));
        assert_eq!(p.choose(SimTime(1_000), &mut rng), Err(Cause::Down));
    }
}
