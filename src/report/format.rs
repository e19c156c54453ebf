//! How numbers and figures read in tables, sentences and on axes: a few
//! significant digits, percentages that tell 99.9 from 99.99, money, and the
//! name and unit of each figure from its declaration.

use crate::metrics::{Measure, ScenarioResult};

/// Formats a number with about three significant digits (`0.412`, `3.07`, `41.2`, `1234`).
pub fn sig(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let a = v.abs();
    if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        let decimals = (-a.log10().floor()) as usize + 2;
        format!("{v:.decimals$}")
    }
}

/// What a cell shows for a figure that does not apply: the utilisation of a
/// component without cores, where 0 would be a false statement.
pub const NOT_APPLICABLE: &str = "—";

/// Returns false when component `name` of `result` serves on no cores (a
/// cache, a balancer without `work`), so that its utilisation does not apply;
/// true otherwise, also for results that do not say.
pub fn has_cores(result: &ScenarioResult, name: &str) -> bool {
    result
        .figure(&format!("components.{name}.cores"))
        .is_none_or(|f| f.value != 0.0)
}

/// What a metric is called on an axis and in sentences, and how to scale it.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    /// A short name (`p99 latency`).
    pub name: String,
    /// Its unit (`ms`, `%`, `requests/s`), empty if it has none.
    pub unit: String,
    /// Factor from the stored value to the shown one (100 for fractions shown in %).
    pub scale: f64,
}

impl Metric {
    /// Returns the axis label: the name with its unit in brackets.
    pub fn axis(&self) -> String {
        if self.unit.is_empty() {
            self.name.clone()
        } else {
            format!("{} ({})", self.name, self.unit)
        }
    }

    /// Formats a stored value with its unit (`41.2 ms`, `99.95%`).
    pub fn show(&self, v: f64) -> String {
        let shown = v * self.scale;
        match self.unit.as_str() {
            "%" => percent(shown) + "%",
            "$/h" | "$" => self.with_unit(&money(shown)),
            _ => self.with_unit(&sig(shown)),
        }
    }

    /// Formats `v` as [`Metric::show`] does, with more decimals where it
    /// would read the same as `limit` though it differs: the ends of an
    /// interval that straddles a limit show on which side each lies
    /// (`98.996%` under a floor of `99%`, not `99.0%`).
    pub fn show_apart(&self, v: f64, limit: f64) -> String {
        let plain = self.show(v);
        let (shown, bound) = (v * self.scale, limit * self.scale);
        // The number as written, read back: does it sit where `v` does?
        let read = plain
            .split_whitespace()
            .next()
            .map(|n| {
                n.trim_start_matches('$')
                    .trim_end_matches("/h")
                    .trim_end_matches('%')
            })
            .and_then(|n| n.parse::<f64>().ok());
        let same_side =
            read.is_some_and(|r| (r - bound).signum() == (shown - bound).signum() && r != bound);
        if v == limit || same_side || read.is_none() {
            return plain;
        }
        (1..=9)
            .map(|decimals| (format!("{shown:.decimals$}"), format!("{bound:.decimals$}")))
            .find(|(a, b)| a != b)
            .map_or(plain, |(a, _)| self.with_unit(&a))
    }

    /// Writes a formatted number with the metric's unit.
    fn with_unit(&self, number: &str) -> String {
        match self.unit.as_str() {
            "%" => format!("{number}%"),
            "$/h" => format!("${number}/h"),
            "$" => format!("${number}"),
            "" => number.to_string(),
            unit => format!("{number} {unit}"),
        }
    }
}

/// Formats a percentage with enough decimals to tell 99.9 from 99.99.
pub fn percent(p: f64) -> String {
    if !p.is_finite() {
        "-".into()
    } else if (99.0..100.0).contains(&p) {
        // Keep digits until the distance to 100% shows.
        let gap = 100.0 - p;
        let decimals = ((-gap.log10()).ceil() as usize).clamp(2, 5);
        format!("{p:.decimals$}")
    } else if p.abs() >= 10.0 || p == 0.0 {
        format!("{p:.1}")
    } else {
        format!("{p:.2}")
    }
}

/// Formats an amount of money with two decimals, or three below a cent.
pub fn money(v: f64) -> String {
    if v.abs() < 0.1 && v != 0.0 {
        format!("{v:.3}")
    } else {
        format!("{v:.2}")
    }
}

/// Returns how to show the result at `path` (`latency_ms.p99`, `availability`...),
/// from the declaration of its figure.
pub fn metric(path: &str) -> Metric {
    let parts: Vec<String> = path.split('.').map(str::to_string).collect();
    Metric::of(path, crate::parts::kinds::measure_of(&parts))
}

impl Metric {
    /// Returns how to show the figure at `path` declared by `measure`: its
    /// label (with the component's name for a component's figure) and unit.
    pub fn of(path: &str, measure: &Measure) -> Metric {
        let parts: Vec<&str> = path.split('.').collect();
        let name = match parts.as_slice() {
            _ if measure.label.is_empty() => path.to_string(),
            ["components", component, rest @ ..] if !rest.is_empty() => {
                format!("{component} {}", measure.label_for(&rest.join(".")))
            }
            ["errors", _] => measure.label_for(path).to_string(),
            ["types", kind, _] => format!("{} ({kind})", measure.label),
            _ => measure.label.to_string(),
        };
        Metric {
            name,
            unit: measure.unit.symbol().to_string(),
            scale: measure.unit.scale(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_end_beside_a_limit_shows_its_side() {
        let availability = metric("availability");
        assert_eq!(availability.show(0.98996), "99.0%");
        assert_eq!(availability.show_apart(0.98996, 0.99), "98.996%");
        assert_eq!(availability.show_apart(0.99012, 0.99), "99.01%");
        let p99 = metric("latency_ms.p99");
        assert_eq!(p99.show_apart(200.04, 200.0), "200.04 ms");
        assert_eq!(p99.show_apart(412.0, 200.0), p99.show(412.0));
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(sig(41.234), "41.2");
        assert_eq!(sig(0.0412), "0.0412");
        assert_eq!(sig(1234.0), "1234");
        assert_eq!(percent(99.95), "99.95");
        assert_eq!(percent(99.9993), "99.9993");
        assert_eq!(percent(100.0), "100.0");
        assert_eq!(metric("latency_ms.p999").axis(), "p99.9 latency (ms)");
        assert_eq!(metric("availability").show(0.9995), "99.95%");
        assert_eq!(
            metric("components.web.utilization").axis(),
            "web utilisation (%)"
        );
        assert_eq!(
            metric("types.write.latency_ms_p99").axis(),
            "p99 latency (write) (ms)"
        );
    }
}
