//! The request mix: which type each request is.

use rand::RngExt;

use super::Traffic;
use crate::engine::SimRng;

/// Draws request types by weight.
#[derive(Clone, Debug)]
pub struct Mix {
    cumulative: Vec<f64>,
}

impl Mix {
    /// Creates the mix of `traffic`'s request types.
    pub fn new(traffic: &Traffic) -> Self {
        let mut total = 0.0;
        let cumulative = traffic
            .types
            .iter()
            .map(|t| {
                total += t.weight;
                total
            })
            .collect();
        Self { cumulative }
    }

    /// Draws a type index.
    #[inline]
    pub fn draw(&self, rng: &mut SimRng) -> u16 {
        if self.cumulative.len() <= 1 {
            return 0;
        }
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = rng.random::<f64>() * total;
        let index = self.cumulative.partition_point(|&c| c <= x);
        index.min(self.cumulative.len() - 1) as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{stream_rng, SimTime};
    use crate::parts::traffic::arrivals::tests::traffic;
    use crate::parts::traffic::{ArrivalLaw, RateSegment};

    #[test]
    fn mix_follows_the_weights() {
        let schedule = vec![RateSegment {
            start: SimTime::ZERO,
            end: SimTime::MAX,
            from: 1.0,
            to: 1.0,
        }];
        let mix = Mix::new(&traffic(schedule, ArrivalLaw::Poisson));
        let mut rng = stream_rng(5, 0, &["mix"]);
        let a = (0..100_000).filter(|_| mix.draw(&mut rng) == 0).count() as f64;
        // Binomial sd = sqrt(100000 * 0.75 * 0.25) = 137: allow 5 sd.
        assert!((a - 75_000.0).abs() < 685.0, "{a}");
    }
}
