//! Probability laws for amounts of work and other random durations.
//!
//! A [`Shape`] is a law with mean 1; the caller multiplies a draw by the mean it
//! wants. Keeping the shape apart from the mean lets one server draw different
//! request types from the same law with their own means, and keeps the
//! coefficient of variation (the spread relative to the mean) the one knob a
//! user turns.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Exp1, Gamma, LogNormal, Pareto};
use serde::Deserialize;

/// A distribution as written in a scenario: `exponential`, or `{lognormal: {cv: 2}}`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RawShape {
    /// Always exactly the mean.
    Deterministic,
    /// Memoryless: coefficient of variation 1.
    Exponential,
    /// Sum of `k` exponential phases: coefficient of variation 1/sqrt(k).
    Erlang {
        /// Number of phases (at least 1).
        k: u32,
    },
    /// Gamma law with the given coefficient of variation.
    Gamma {
        /// Standard deviation divided by the mean (positive).
        cv: f64,
    },
    /// Log-normal law with the given coefficient of variation.
    Lognormal {
        /// Standard deviation divided by the mean (positive).
        cv: f64,
    },
    /// Heavy-tailed Pareto law with tail index `alpha` (> 1 so the mean exists).
    Pareto {
        /// Tail index: smaller is heavier; the variance is infinite when alpha <= 2.
        alpha: f64,
    },
    /// Two-phase hyperexponential with balanced means, for a cv above 1.
    Hyperexponential {
        /// Standard deviation divided by the mean (greater than 1).
        cv: f64,
    },
}

/// A validated law with mean 1, ready to draw from.
#[derive(Clone, Debug)]
pub enum Shape {
    /// Always 1.
    Deterministic,
    /// Exponential with mean 1.
    Exponential,
    /// Gamma (and Erlang) with mean 1.
    Gamma(Gamma<f64>, f64),
    /// Log-normal with mean 1.
    LogNormal(LogNormal<f64>, f64),
    /// Pareto with mean 1.
    Pareto(Pareto<f64>, f64),
    /// Balanced two-phase hyperexponential with mean 1.
    HyperExp {
        /// Probability of the first phase.
        p: f64,
        /// Mean of the first phase.
        mean1: f64,
        /// Mean of the second phase.
        mean2: f64,
        /// Coefficient of variation.
        cv: f64,
    },
}

impl RawShape {
    /// Checks the parameters and returns the ready law, or what was expected.
    pub fn validate(&self) -> Result<Shape, String> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(format!("{name}: expected a positive number, found {v}"))
            }
        };
        Ok(match *self {
            RawShape::Deterministic => Shape::Deterministic,
            RawShape::Exponential => Shape::Exponential,
            RawShape::Erlang { k } => {
                if k == 0 {
                    return Err("k: expected a positive whole number of phases, found 0".into());
                }
                let k = f64::from(k);
                let gamma = Gamma::new(k, 1.0 / k).map_err(|e| e.to_string())?;
                Shape::Gamma(gamma, 1.0 / k.sqrt())
            }
            RawShape::Gamma { cv } => {
                let cv = positive("cv", cv)?;
                let shape = 1.0 / (cv * cv);
                let gamma = Gamma::new(shape, cv * cv).map_err(|e| e.to_string())?;
                Shape::Gamma(gamma, cv)
            }
            RawShape::Lognormal { cv } => {
                let cv = positive("cv", cv)?;
                let sigma2 = (1.0 + cv * cv).ln();
                let law =
                    LogNormal::new(-sigma2 / 2.0, sigma2.sqrt()).map_err(|e| e.to_string())?;
                Shape::LogNormal(law, cv)
            }
            RawShape::Pareto { alpha } => {
                if !(alpha.is_finite() && alpha > 1.0) {
                    return Err(format!(
                        "alpha: expected a tail index above 1 (so the mean exists), found {alpha}"
                    ));
                }
                let scale = (alpha - 1.0) / alpha;
                let law = Pareto::new(scale, alpha).map_err(|e| e.to_string())?;
                Shape::Pareto(law, alpha)
            }
            RawShape::Hyperexponential { cv } => {
                if !(cv.is_finite() && cv > 1.0) {
                    return Err(format!("cv: expected a number above 1, found {cv}"));
                }
                let c2 = cv * cv;
                let p = 0.5 * (1.0 + ((c2 - 1.0) / (c2 + 1.0)).sqrt());
                Shape::HyperExp {
                    p,
                    mean1: 1.0 / (2.0 * p),
                    mean2: 1.0 / (2.0 * (1.0 - p)),
                    cv,
                }
            }
        })
    }
}

impl Shape {
    /// Draws one value; its long-run mean is 1.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Shape::Deterministic => 1.0,
            Shape::Exponential => Exp1.sample(rng),
            Shape::Gamma(law, _) => law.sample(rng),
            Shape::LogNormal(law, _) => law.sample(rng),
            Shape::Pareto(law, _) => law.sample(rng),
            Shape::HyperExp {
                p, mean1, mean2, ..
            } => {
                let e: f64 = Exp1.sample(rng);
                if rng.random::<f64>() < *p {
                    e * mean1
                } else {
                    e * mean2
                }
            }
        }
    }

    /// Returns the squared coefficient of variation (infinite for Pareto with alpha <= 2).
    pub fn scv(&self) -> f64 {
        match self {
            Shape::Deterministic => 0.0,
            Shape::Exponential => 1.0,
            Shape::Gamma(_, cv) | Shape::LogNormal(_, cv) | Shape::HyperExp { cv, .. } => cv * cv,
            Shape::Pareto(_, alpha) => {
                if *alpha <= 2.0 {
                    f64::INFINITY
                } else {
                    1.0 / (alpha * (alpha - 2.0))
                }
            }
        }
    }

    /// Returns the law's name as `service:` writes it, with its spread when
    /// it has one (`lognormal cv 1.5`).
    pub fn name(&self) -> String {
        match self {
            Shape::Deterministic => "deterministic".into(),
            Shape::Exponential => "exponential".into(),
            Shape::Gamma(_, cv) => format!("gamma cv {cv}"),
            Shape::LogNormal(_, cv) => format!("lognormal cv {cv}"),
            Shape::Pareto(_, alpha) => format!("pareto alpha {alpha}"),
            Shape::HyperExp { cv, .. } => format!("hyperexponential cv {cv}"),
        }
    }

    /// Returns true for the exponential law (used to decide when theory applies).
    pub fn is_exponential(&self) -> bool {
        matches!(self, Shape::Exponential)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream_rng;

    fn moments(shape: &Shape, n: usize) -> (f64, f64) {
        let mut rng = stream_rng(7, 0, &["dist-test"]);
        let draws: Vec<f64> = (0..n).map(|_| shape.sample(&mut rng)).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
        (mean, var / (mean * mean))
    }

    #[test]
    fn every_shape_has_unit_mean_and_its_stated_spread() {
        let cases = [
            RawShape::Deterministic,
            RawShape::Exponential,
            RawShape::Erlang { k: 4 },
            RawShape::Gamma { cv: 0.5 },
            RawShape::Lognormal { cv: 1.5 },
            RawShape::Hyperexponential { cv: 2.0 },
            RawShape::Pareto { alpha: 4.5 },
        ];
        for raw in cases {
            let shape = raw.validate().unwrap();
            let (mean, scv) = moments(&shape, 400_000);
            // Standard error of the mean is at most cv / sqrt(n) = 2 / 632: 6 sigma.
            assert!((mean - 1.0).abs() < 0.02, "{raw:?}: mean {mean}");
            let expected = shape.scv();
            assert!(
                (scv - expected).abs() < 0.1 * expected.max(0.05),
                "{raw:?}: scv {scv} vs {expected}"
            );
        }
    }

    #[test]
    fn impossible_parameters_are_refused() {
        assert!(RawShape::Pareto { alpha: 1.0 }.validate().is_err());
        assert!(RawShape::Lognormal { cv: 0.0 }.validate().is_err());
        assert!(RawShape::Erlang { k: 0 }.validate().is_err());
        assert!(RawShape::Hyperexponential { cv: 0.5 }.validate().is_err());
    }
}
