//! How a DNS picks the target of a resolution among the healthy ones.
//!
//! Resolutions happen once per user per TTL, not once per request, and a
//! name has a few targets (one per region, or a handful of servers), so each
//! policy looks at the targets in O(targets) per resolution.

/// The policy of a DNS, with what it remembers between resolutions.
#[derive(Clone, Debug)]
pub enum Answers {
    /// Each resolution gets the next healthy target in turn.
    RoundRobin {
        /// Where the next turn starts.
        next: usize,
    },
    /// Smooth weighted round robin: at each resolution every healthy target
    /// gains its weight, the one furthest ahead is chosen and gives back the
    /// total. Deterministic, and in proportion to the weights over every run
    /// of turns (3 and 1 answer a, a, b, a, then again).
    Weighted {
        /// The weight of each target.
        weights: Vec<f64>,
        /// The credit of each target.
        current: Vec<f64>,
    },
    /// The first healthy target in an order: one for everybody (failover),
    /// or one per region of the users (geo).
    Ordered {
        /// The orders, each a permutation of the targets.
        orders: Vec<Vec<u32>>,
    },
}

impl Answers {
    /// Creates the weighted policy over targets of weights `weights`.
    pub fn weighted(weights: &[f64]) -> Self {
        Answers::Weighted {
            weights: weights.to_vec(),
            current: vec![0.0; weights.len()],
        }
    }

    /// Picks a target among those `healthy`, for a user whose order (for
    /// an ordered policy) is number `order`; `None` when none is healthy.
    pub fn pick(&mut self, order: usize, healthy: &[bool]) -> Option<u32> {
        let n = healthy.len();
        match self {
            Answers::RoundRobin { next } => {
                let chosen = (0..n).map(|i| (*next + i) % n).find(|&t| healthy[t])?;
                *next = (chosen + 1) % n;
                Some(chosen as u32)
            }
            Answers::Weighted { weights, current } => {
                let mut total = 0.0;
                let mut best: Option<usize> = None;
                for t in (0..n).filter(|&t| healthy[t]) {
                    current[t] += weights[t];
                    total += weights[t];
                    if best.is_none_or(|b| current[t] > current[b]) {
                        best = Some(t);
                    }
                }
                let chosen = best?;
                current[chosen] -= total;
                Some(chosen as u32)
            }
            Answers::Ordered { orders } => {
                let order = orders.get(order).or_else(|| orders.first())?;
                order.iter().copied().find(|&t| healthy[t as usize])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picks(answers: &mut Answers, healthy: &[bool], count: usize) -> Vec<Option<u32>> {
        (0..count).map(|_| answers.pick(0, healthy)).collect()
    }

    #[test]
    fn round_robin_takes_turns_and_skips_the_unhealthy() {
        let mut a = Answers::RoundRobin { next: 0 };
        let all = [true, true, true];
        assert_eq!(picks(&mut a, &all, 4), [Some(0), Some(1), Some(2), Some(0)]);
        assert_eq!(
            picks(&mut a, &[true, false, true], 3),
            [Some(2), Some(0), Some(2)]
        );
        assert_eq!(a.pick(0, &[false, false, false]), None);
    }

    #[test]
    fn weighted_turns_follow_the_weights_smoothly() {
        let mut a = Answers::weighted(&[3.0, 1.0]);
        let all = [true, true];
        assert_eq!(
            picks(&mut a, &all, 8),
            [Some(0), Some(0), Some(1), Some(0), Some(0), Some(0), Some(1), Some(0)]
        );
        assert_eq!(picks(&mut a, &[false, true], 2), [Some(1), Some(1)]);
    }

    #[test]
    fn ordered_answers_the_first_healthy_of_the_users_order() {
        let mut a = Answers::Ordered {
            orders: vec![vec![0, 1, 2], vec![2, 1, 0]],
        };
        assert_eq!(a.pick(0, &[true, true, true]), Some(0));
        assert_eq!(a.pick(1, &[true, true, true]), Some(2));
        assert_eq!(a.pick(1, &[true, true, false]), Some(1));
        assert_eq!(a.pick(0, &[false, false, true]), Some(2));
        assert_eq!(a.pick(0, &[false, false, false]), None);
    }
}
