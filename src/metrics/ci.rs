//! Confidence intervals over independent replications (Student t).

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

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

/// Degrees of freedom above which [`student_t_quantile`] uses a large-df expansion:
/// statrs' inverse CDF is exact to about 1e-12 up to 2·10⁴ but drifts beyond (3e-7 at
/// 3·10⁴, 8e-4 at 5·10⁶) and never returns from about 2·10⁷.
const LARGE_DF: f64 = 1e4;

/// Returns the `p`-quantile of Student's t distribution with `df` degrees of freedom.
///
/// Returns NaN when `p` is outside [0, 1] or `df` is not positive, where no quantile
/// exists; an infinite `df` gives the normal quantile.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        // statrs asserts on p outside [0, 1]: no panic may reach a user.
        return f64::NAN;
    }
    if df > LARGE_DF {
        return large_df_quantile(p, df);
    }
    // The constructor fails only for a NaN location, a scale that is not positive, or a
    // df that is NaN or not positive: location 0 and scale 1 are fixed here, so for any
    // df >= 1 (all `mean_interval` passes) it cannot fail, and otherwise the answer is NaN.
    match StudentsT::new(0.0, 1.0, df) {
        Ok(t) => t.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}

/// Returns the t quantile for a large `df` by its expansion around the normal quantile
/// (Abramowitz & Stegun 26.7.5), within 3e-16 of the exact value for df above [`LARGE_DF`].
fn large_df_quantile(p: f64, df: f64) -> f64 {
    let z = Normal::standard().inverse_cdf(p);
    let z2 = z * z;
    let g1 = (z2 + 1.0) * z / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_published_tables() {
        // Two-sided 95% (p = 0.975), 99.9% (p = 0.9995) and one-sided 95% critical values.
        let table = [
            (0.975, 1.0, 12.706),
            (0.975, 2.0, 4.303),
            (0.975, 4.0, 2.776),
            (0.975, 9.0, 2.262),
            (0.975, 10.0, 2.228),
            (0.975, 29.0, 2.045),
            (0.975, 30.0, 2.042),
            (0.975, 120.0, 1.980),
            (0.975, 1000.0, 1.962),
            (0.9995, 9.0, 4.781),
            (0.9995, 19.0, 3.883),
            (0.95, 5.0, 2.015),
        ];
        for (p, df, expected) in table {
            let q = student_t_quantile(p, df);
            assert!(
                (q - expected).abs() < 5e-4,
                "t({p}, {df}) = {q}, expected {expected}"
            );
            assert_eq!(student_t_quantile(1.0 - p, df), -q, "t is symmetric");
        }
    }

    #[test]
    fn t_quantile_tends_to_the_normal_one() {
        const Z: f64 = 1.959_963_984_540_054;
        let mut previous = student_t_quantile(0.975, 1000.0);
        for df in [1e4, 1e4 + 1.0, 1e5, 1e7, 1e9, 1e15, f64::INFINITY] {
            let q = student_t_quantile(0.975, df);
            assert!(q <= previous && q > Z - 1e-15, "t(0.975, {df}) = {q}");
            assert!((q - 1.960).abs() < 5e-4, "t(0.975, {df}) = {q}");
            previous = q;
        }
        assert!((student_t_quantile(0.975, f64::INFINITY) - Z).abs() < 1e-15);
        // Either side of the switch to the expansion, values agree to rounding.
        let (below, above) = (
            student_t_quantile(0.975, LARGE_DF),
            large_df_quantile(0.975, LARGE_DF),
        );
        assert!((below - above).abs() < 1e-11, "{below} vs {above}");
    }

    #[test]
    fn t_quantile_outside_its_domain_is_nan() {
        for (p, df) in [
            (1.5, 3.0),
            (-0.1, 3.0),
            (f64::NAN, 3.0),
            (0.975, 0.0),
            (0.975, -2.0),
        ] {
            assert!(student_t_quantile(p, df).is_nan(), "t({p}, {df})");
        }
        assert!(student_t_quantile(0.975, f64::NAN).is_nan());
        assert_eq!(student_t_quantile(1.0, 3.0), f64::INFINITY);
        assert_eq!(student_t_quantile(0.5, 3.0), 0.0);
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
