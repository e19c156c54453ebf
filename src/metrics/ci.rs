//! Confidence intervals over independent replications (Student t).

/// A mean with the half-width of its confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// Sample mean.
    pub mean: f64,
    /// Half-width of the interval (0 with fewer than two samples).
    pub half_width: f64,
}

impl Interval {
    /// Returns the lower bound.
    pub fn low(&self) -> f64 {
        self.mean - self.half_width
    }

    /// Returns the upper bound.
    pub fn high(&self) -> f64 {
        self.mean + self.half_width
    }

    /// Returns true if `x` lies within the interval.
    pub fn contains(&self, x: f64) -> bool {
        x >= self.low() && x <= self.high()
    }
}

/// Returns the mean of `samples` with its two-sided confidence interval at `level` (e.g. 0.95).
pub fn mean_interval(samples: &[f64], level: f64) -> Interval {
    let n = samples.len();
    if n == 0 {
        return Interval {
            mean: f64::NAN,
            half_width: f64::NAN,
        };
    }
    let mean = samples.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Interval {
            mean,
            half_width: 0.0,
        };
    }
    let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    // Identical samples (a price, a constant) can differ in their last bit once
    // summed: that is rounding, not spread.
    if var.sqrt() <= 1e-12 * mean.abs() {
        return Interval {
            mean,
            half_width: 0.0,
        };
    }
    let t = student_t_quantile(0.5 + level / 2.0, (n - 1) as f64);
    Interval {
        mean,
        half_width: t * (var / n as f64).sqrt(),
    }
}

/// Returns the `p`-quantile of Student's t distribution with `df` degrees of freedom.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    if p == 0.5 {
        return 0.0;
    }
    if p < 0.5 {
        return -student_t_quantile(1.0 - p, df);
    }
    // Bisection on the CDF: monotone, and 200 halvings reach full f64 precision.
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    while student_t_cdf(hi, df) < p {
        hi *= 2.0;
        if hi > 1e12 {
            return f64::INFINITY;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if student_t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Returns P(T <= t) for Student's t with `df` degrees of freedom.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    let tail = 0.5 * regularized_beta(x, df / 2.0, 0.5);
    if t >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// The regularized incomplete beta function I_x(a, b), by its continued fraction.
fn regularized_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    // The fraction converges fast for x < (a + 1) / (a + b + 2); use symmetry otherwise.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_fraction(1.0 - x, b, a) / b
    }
}

/// Lentz's evaluation of the continued fraction of the incomplete beta function.
fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut result = d;
    for m in 1..500 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        // Even step.
        let num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + num * d;
        c = 1.0 + num / c;
        d = 1.0 / if d.abs() < TINY { TINY } else { d };
        c = if c.abs() < TINY { TINY } else { c };
        result *= d * c;
        // Odd step.
        let num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + num * d;
        c = 1.0 + num / c;
        d = 1.0 / if d.abs() < TINY { TINY } else { d };
        c = if c.abs() < TINY { TINY } else { c };
        let step = d * c;
        result *= step;
        if (step - 1.0).abs() < 1e-15 {
            break;
        }
    }
    result
}

/// The natural log of the gamma function (Lanczos approximation, g = 7).
fn ln_gamma(x: f64) -> f64 {
    const COEFFS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection formula.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = COEFFS[0];
    for (i, c) in COEFFS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + 7.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_published_tables() {
        // Two-sided 95% (p = 0.975) and 99.9% (p = 0.9995) critical values.
        let table = [
            (0.975, 1.0, 12.706),
            (0.975, 2.0, 4.303),
            (0.975, 4.0, 2.776),
            (0.975, 9.0, 2.262),
            (0.975, 10.0, 2.228),
            (0.975, 30.0, 2.042),
            (0.975, 1000.0, 1.962),
            (0.9995, 9.0, 4.781),
            (0.9995, 19.0, 3.883),
            (0.95, 5.0, 2.015),
        ];
        for (p, df, expected) in table {
            let q = student_t_quantile(p, df);
            assert!(
                (q - expected).abs() < 1e-3,
                "t({p}, {df}) = {q}, expected {expected}"
            );
        }
    }

    #[test]
    fn interval_of_known_samples() {
        let i = mean_interval(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.95);
        assert_eq!(i.mean, 3.0);
        // s = sqrt(2.5), t(0.975, 4) = 2.776: half-width = 2.776 * sqrt(2.5 / 5).
        assert!((i.half_width - 2.776_445 * 0.5_f64.sqrt()).abs() < 1e-4);
        assert!(i.contains(2.0) && !i.contains(5.0));
        assert_eq!(mean_interval(&[7.0], 0.95).half_width, 0.0);
    }
}
