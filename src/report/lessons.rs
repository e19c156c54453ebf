//! The lesson figures of a set of results: the figures declared as lessons
//! (lost writes, hit ratio, retry amplification...) that have something to
//! say in at least one of the results. The table, the report and the reading
//! put them first.

use super::format::{money, percent, sig, Metric};
use crate::metrics::{Measure, ScenarioResult, Unit};

/// One lesson figure: where it is in the results, and what it means.
#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    /// Its path in the results (`components.db.lost_writes`).
    pub path: String,
    /// Its declaration.
    pub measure: &'static Measure,
}

impl Lesson {
    /// Returns how it reads: its name (with its component's) and its unit.
    pub fn metric(&self) -> Metric {
        Metric::of(&self.path, self.measure)
    }
}

/// Returns the lesson figures of `results`: first the `focus` figures (those
/// the scenarios name in their `lesson:` section) that some result has,
/// shown even where nothing happens; then, in report order, each figure
/// declared as a lesson that some result has, unless every result that has
/// it shows its neutral value (no write lost, no retry).
pub fn lessons(results: &[ScenarioResult], focus: &[String]) -> Vec<Lesson> {
    let mut out: Vec<Lesson> = Vec::new();
    for path in focus {
        let found = results.iter().find_map(|r| r.figure(path));
        if let Some(f) = found.filter(|_| !out.iter().any(|l| l.path == *path)) {
            out.push(Lesson {
                path: path.clone(),
                measure: f.measure,
            });
        }
    }
    for result in results {
        for figure in result.figures.iter().filter(|f| f.measure.lesson) {
            let path = figure.path.join(".");
            if out.iter().any(|l| l.path == path) {
                continue;
            }
            let speaks = results.iter().any(|r| {
                r.figure(&path)
                    .is_some_and(|f| f.value.is_finite() && !f.measure.is_neutral(f.value))
            });
            if speaks {
                out.push(Lesson {
                    path,
                    measure: figure.measure,
                });
            }
        }
    }
    out
}

/// Formats a value of a figure declared by `measure` without its unit
/// (`38`, `99.95`, `0.45`): for a table whose header carries the unit.
pub fn number(measure: &Measure, value: f64) -> String {
    let shown = value * measure.unit.scale();
    match measure.unit {
        Unit::Share => percent(shown),
        Unit::Dollars | Unit::DollarsPerHour => money(shown),
        // A count summed over replications is whole; a mean of counts is not.
        Unit::Count if shown.fract() == 0.0 && shown.abs() < 1e15 => format!("{shown:.0}"),
        _ => sig(shown),
    }
}

/// Formats the figure at `path` of `result` as [`number`] does, with the
/// half-width of its interval when it has one, or `-` when it has none.
pub fn cell(result: &ScenarioResult, path: &str) -> String {
    match result.figure(path) {
        Some(f) if f.value.is_finite() => match (f.ci, f.cut_bounds()) {
            (Some(ci), _) if ci.half_width <= 0.0 => number(f.measure, f.value),
            (_, Some((low, high))) => format!(
                "{} [{}, {}]",
                number(f.measure, f.value),
                number(f.measure, low),
                number(f.measure, high)
            ),
            (Some(ci), None) => format!(
                "{} ±{}",
                number(f.measure, f.value),
                sig(ci.half_width * f.measure.unit.scale())
            ),
            (None, None) => number(f.measure, f.value),
        },
        _ => "-".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::sample;

    #[test]
    fn an_interval_cut_at_zero_is_shown_by_its_bounds_not_as_plus_minus() {
        let down = "slo.downtime_s";
        let cut = sample::result("cut", &[(down, 3.33, Some(14.3))]);
        assert_eq!(cell(&cut, down), "3.33 [0, 17.6]");
        let whole = sample::result("whole", &[(down, 30.0, Some(14.3))]);
        assert_eq!(cell(&whole, down), "30.0 ±14.3");
    }

    #[test]
    fn a_lesson_is_kept_where_some_result_has_something_to_say() {
        let lost = "components.db.lost_writes";
        let stale = "components.db.stale_read_ratio";
        let a = sample::result("Async", &[(lost, 38.0, None), (stale, 0.0, None)]);
        let b = sample::result("Sync", &[(lost, 0.0, None), (stale, 0.0, None)]);
        let found = lessons(&[a.clone(), b.clone()], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].path, lost);
        assert_eq!(found[0].metric().name, "db lost writes");
        assert!(
            lessons(std::slice::from_ref(&b), &[]).is_empty(),
            "nothing lost, nothing to say"
        );
        // A figure the scenario names is shown all the same, first.
        let named = lessons(&[b], &["components.db.stale_read_ratio".to_string()]);
        assert_eq!(named.len(), 1);
        assert_eq!(named[0].path, stale);
        assert_eq!(cell(&a, lost), "38");
        assert_eq!(cell(&a, "components.db.nothing"), "-");
    }
}
