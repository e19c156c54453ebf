//! Little's law as a sanity check: at every station, the time-averaged number
//! of requests present (L) against their rate of departure times their mean
//! time there (λW), three figures measured independently of one another.
//!
//! Over a finite window the two differ only by what the requests present at
//! its start or end contribute, and each run measures a bound on that
//! (`little_edge`): the law holds at a station when |L − λW| lies within it.
//! The bound is exact, not statistical, so a station where the law does not
//! hold has a figure measured wrong (docs/model.md derives it, and says why
//! a confidence interval would be the wrong tolerance). This module returns
//! the check; the command line prints its line.

use super::format::sig;
use crate::metrics::ci::Interval;
use crate::metrics::ScenarioResult;
use crate::parts::station::{DEPARTURE_RPS, IN_SYSTEM, LITTLE_EDGE, LITTLE_GAP, SOJOURN_MS};

/// The keys of a station's figures that the check reads and shows.
pub const KEYS: [&str; 5] = [
    IN_SYSTEM.key,
    DEPARTURE_RPS.key,
    SOJOURN_MS.key,
    LITTLE_GAP.key,
    LITTLE_EDGE.key,
];

/// Little's law at one station of one scenario (means over replications).
#[derive(Clone, Debug, PartialEq)]
pub struct LittleCheck {
    /// The scenario.
    pub scenario: String,
    /// The component whose stations (over all its machines) are checked.
    pub component: String,
    /// L: requests in its stations, time-averaged.
    pub in_system: f64,
    /// λ: requests that left per second.
    pub departure_rps: f64,
    /// W: their mean time in the station, in milliseconds.
    pub sojourn_ms: f64,
    /// L − λW, the mean over replications of each run's exact difference.
    pub gap: f64,
    /// The 95% interval of L − λW over replications (`None` with one).
    pub gap_ci: Option<Interval>,
    /// The mean over replications of each run's edge bound on |L − λW|.
    pub edge: f64,
}

impl LittleCheck {
    /// Returns λW: the mean over replications of each run's product.
    ///
    /// With several replications this is not the product of the mean λ and
    /// the mean W (runs with more arrivals also wait longer), so it is
    /// taken from L and the gap, which are means of the runs' own figures.
    pub fn lambda_w(&self) -> f64 {
        self.in_system - self.gap
    }

    /// Returns true when |L − λW| lies within the edge bound.
    pub fn holds(&self) -> bool {
        holds(self.gap, self.edge)
    }

    /// Returns |L − λW| relative to the larger of L and λW (0 for an idle
    /// station, where both are 0).
    pub fn relative_gap(&self) -> f64 {
        relative(self.gap, self)
    }

    /// Returns the edge bound relative to the larger of L and λW.
    pub fn relative_edge(&self) -> f64 {
        relative(self.edge, self)
    }
}

/// Returns `x` relative to the larger of the check's L and λW.
fn relative(x: f64, check: &LittleCheck) -> f64 {
    let scale = check.in_system.abs().max(check.lambda_w().abs());
    if scale > 0.0 {
        x.abs() / scale
    } else {
        x.abs()
    }
}

/// A relative gap beyond which the summary says the station was far from a
/// steady state: in a run long enough for its figures, the requests at the
/// window's edges weigh a few percent at most.
const NOT_STEADY_GAP: f64 = 0.05;

/// Returns true when a gap L − λW lies within the edge bound `edge`.
///
/// Each run's gap lies within its own bound exactly (both come from integer
/// nanoseconds and one rounding each, which keeps their order), and the mean
/// of gaps within bounds lies within the mean of the bounds, so no allowance
/// is added: a gap beyond the bound is a wrong measurement, not noise.
pub fn holds(gap: f64, edge: f64) -> bool {
    gap.abs() <= edge
}

/// Returns the check at every station of every result, scenario by
/// scenario, in the order of the components.
pub fn checks(results: &[ScenarioResult]) -> Vec<LittleCheck> {
    let mut out = Vec::new();
    for r in results {
        for name in r.component_names() {
            let figure = |key: &str| r.figure(&format!("components.{name}.{key}"));
            let (Some(l), Some(lambda), Some(w), Some(gap), Some(edge)) = (
                figure(IN_SYSTEM.key),
                figure(DEPARTURE_RPS.key),
                figure(SOJOURN_MS.key),
                figure(LITTLE_GAP.key),
                figure(LITTLE_EDGE.key),
            ) else {
                continue;
            };
            out.push(LittleCheck {
                scenario: r.scenario.clone(),
                component: name.to_string(),
                in_system: l.value,
                departure_rps: lambda.value,
                sojourn_ms: w.value,
                gap: gap.value,
                gap_ci: gap.ci,
                edge: edge.value,
            });
        }
    }
    out
}

/// Returns the one line that sums the checks up: that the law holds at
/// every station, with the largest relative gap, or where it does not.
/// `None` when no station was checked.
pub fn summary_line(checks: &[LittleCheck]) -> Option<String> {
    if checks.is_empty() {
        return None;
    }
    let failed: Vec<&LittleCheck> = checks.iter().filter(|c| !c.holds()).collect();
    if failed.is_empty() {
        // The first of the largest, so that ties name the earliest station.
        let largest = checks.iter().fold(&checks[0], |best, c| {
            if c.relative_gap() > best.relative_gap() {
                c
            } else {
                best
            }
        });
        let mut line = format!(
            "Little's law holds at every station (largest gap {}%, at {} in {}, within its edge bound)",
            sig(largest.relative_gap() * 100.0),
            largest.component,
            largest.scenario
        );
        if largest.relative_gap() > NOT_STEADY_GAP {
            // A gap this large is allowed only by a large edge bound: many
            // requests were present at the window's edges.
            line.push_str(&format!(
                "; a gap that large comes from the requests present at the edges of the \
                 window: {} was far from a steady state",
                largest.component
            ));
        }
        return Some(line);
    }
    let places: Vec<String> = failed
        .iter()
        .map(|c| {
            format!(
                "{} in {} (L = {}, λW = {}, edge bound {})",
                c.component,
                c.scenario,
                sig(c.in_system),
                sig(c.lambda_w()),
                sig(c.edge)
            )
        })
        .collect();
    Some(format!(
        "! Little's law does not hold at {}: a figure is measured wrong",
        places.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::sample;

    fn station(l: f64, lambda: f64, w: f64, gap: f64, edge: f64) -> ScenarioResult {
        sample::result(
            "M/M/1",
            &[
                ("components.web.utilization", 0.5, None),
                ("components.web.in_system", l, None),
                ("components.web.departure_rps", lambda, None),
                ("components.web.sojourn_ms", w, None),
                ("components.web.little_gap", gap, None),
                ("components.web.little_edge", edge, None),
            ],
        )
    }

    #[test]
    fn agreeing_terms_hold_within_the_edge() {
        // L = 1.0001, λ = 500/s, W = 2 ms: λW = 1.0; the edge explains 0.0001.
        let found = checks(&[station(1.0001, 500.0, 2.0, 0.0001, 0.0002)]);
        assert_eq!(found.len(), 1);
        let check = &found[0];
        assert!(check.holds());
        assert!((check.lambda_w() - 1.0).abs() < 1e-12);
        assert!((check.relative_gap() - 1e-4 / 1.0001).abs() < 1e-12);
        let line = summary_line(&found).unwrap();
        assert_eq!(
            line,
            "Little's law holds at every station (largest gap 0.01000%, at web in M/M/1, within its edge bound)"
        );
    }

    #[test]
    fn a_large_gap_within_a_large_edge_says_the_station_was_not_steady() {
        // A queue still growing at the end: λW is 0.2 of L, all of it edge.
        let found = checks(&[station(5000.0, 100.0, 10_000.0, 4000.0, 4500.0)]);
        assert!(found[0].holds());
        let line = summary_line(&found).unwrap();
        assert!(
            line.starts_with("Little's law holds at every station (largest gap 80.0%"),
            "{line}"
        );
        assert!(line.ends_with("web was far from a steady state"), "{line}");
        // A small gap does not say so.
        let steady = summary_line(&checks(&[station(1.0001, 500.0, 2.0, 0.0001, 0.0002)]));
        assert!(!steady.unwrap().contains("steady"));
    }

    #[test]
    fn inconsistent_terms_do_not_hold() {
        // L counts twice the requests that λW accounts for, far beyond the edge.
        let found = checks(&[station(2.0, 500.0, 2.0, 1.0, 0.001)]);
        assert!(!found[0].holds());
        let line = summary_line(&found).unwrap();
        assert!(
            line.starts_with("! Little's law does not hold at web in M/M/1"),
            "{line}"
        );
        assert!(line.contains("L = 2.00, λW = 1.00"), "{line}");
        // A gap of either sign counts, and an undefined one never holds.
        assert!(!holds(-0.5, 0.1) && holds(-0.05, 0.1) && !holds(f64::NAN, 1.0));
    }

    #[test]
    fn components_without_stations_are_not_checked() {
        let cache = sample::result("Cache", &[("components.cache.hit_ratio", 0.9, None)]);
        assert!(checks(&[cache]).is_empty());
        assert_eq!(summary_line(&[]), None);
    }
}
