//! The summary table printed in the terminal.

use std::fmt::Write;

use super::format::{has_cores, NOT_APPLICABLE};
use super::lessons::{cell, lessons};
use crate::metrics::ScenarioResult;

/// Renders the results of several scenarios as an aligned text table.
pub fn render(results: &[ScenarioResult], focus: &[String]) -> String {
    let header = [
        "scenario", "offered", "avail %", "thru/s", "mean ms", "p50 ms", "p99 ms", "p99.9 ms",
        "cost $/h",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for r in results {
        rows.push(vec![
            r.scenario.clone(),
            format!("{:.0}", r.value("requests.offered")),
            with_ci(r, "availability", 100.0, 3),
            with_ci(r, "throughput_rps", 1.0, 1),
            with_ci(r, "latency_ms.mean", 1.0, 2),
            with_ci(r, "latency_ms.p50", 1.0, 2),
            with_ci(r, "latency_ms.p99", 1.0, 2),
            with_ci(r, "latency_ms.p999", 1.0, 2),
            format!("{:.2}", r.value("cost_per_hour")),
        ]);
    }
    let mut out = align(&rows);
    out.push_str(&lesson_table(results, focus));
    for r in results {
        if let Some(first) = r.truncated.first() {
            let _ = writeln!(
                out,
                "! {}: truncated ({}) at {:.3} s in {} of {} run(s): figures cover the simulated part only",
                r.scenario,
                first.reason.name(),
                first.at_s,
                r.truncated.len(),
                r.replications
            );
        }
    }
    for r in results {
        let components = r.component_names();
        if components.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{}:", r.scenario);
        let mut rows = vec![vec![
            "  component".to_string(),
            "utilization %".into(),
            "busiest %".into(),
            "mean queue".into(),
            "completed".into(),
            "rejected".into(),
        ]];
        for name in components {
            let key = |f: &str| format!("components.{name}.{f}");
            let utilisation = if has_cores(r, name) {
                with_ci(r, &key("utilization"), 100.0, 1)
            } else {
                NOT_APPLICABLE.to_string()
            };
            rows.push(vec![
                format!("  {name}"),
                utilisation,
                with_ci(r, &key("busiest_utilization"), 100.0, 1),
                with_ci(r, &key("mean_queue"), 1.0, 2),
                format!("{:.0}", r.value(&key("completed"))),
                format!("{:.0}", r.value(&key("rejected"))),
            ]);
        }
        out.push_str(&align(&rows));
    }
    out
}

/// The figures the first table shows in its columns.
const IN_FIRST_TABLE: &[&str] = &[
    "requests.offered",
    "availability",
    "throughput_rps",
    "latency_ms.mean",
    "latency_ms.p50",
    "latency_ms.p99",
    "latency_ms.p999",
    "cost_per_hour",
];

/// Renders the lesson figures of the results, one column each (nothing when
/// no lesson figure has something to say). A lesson figure that the first
/// table shows already (a scenario about availability, p99 or cost) is not
/// shown twice.
fn lesson_table(results: &[ScenarioResult], focus: &[String]) -> String {
    let found: Vec<_> = lessons(results, focus)
        .into_iter()
        .filter(|l| !IN_FIRST_TABLE.contains(&l.path.as_str()))
        .collect();
    if found.is_empty() {
        return String::new();
    }
    let mut header = vec!["lesson figures".to_string()];
    header.extend(found.iter().map(|l| l.metric().axis()));
    let mut rows = vec![header];
    for r in results {
        let mut row = vec![r.scenario.clone()];
        row.extend(found.iter().map(|l| cell(r, &l.path)));
        rows.push(row);
    }
    format!("\n{}", align(&rows))
}

/// Formats a figure as `value` or `value ±half-width`, scaled.
fn with_ci(r: &ScenarioResult, path: &str, scale: f64, decimals: usize) -> String {
    // Adding 0.0 turns a negative zero (an empty sum) into "0.00", not "-0.00".
    let scale = |x: f64| x * scale + 0.0;
    match r.figure(path) {
        None => "-".into(),
        Some(f) => match (f.ci, visibly_cut(f, scale, decimals)) {
            // An interval cut at 0 or 100% is shown by its bounds, when the
            // cut shows at these decimals.
            (_, Some((low, high))) => format!(
                "{:.*} [{:.*}, {:.*}]",
                decimals,
                scale(f.value),
                decimals,
                scale(low),
                decimals,
                scale(high)
            ),
            (Some(ci), None) => format!(
                "{:.*} ±{:.*}",
                decimals,
                scale(f.value),
                decimals,
                scale(ci.half_width)
            ),
            (None, None) => format!("{:.*}", decimals, scale(f.value)),
        },
    }
}

/// Returns the bounds of `f`'s interval when its range cut it by more than
/// the last decimal shown, `None` otherwise.
fn visibly_cut(
    f: &crate::metrics::Figure,
    scale: impl Fn(f64) -> f64,
    decimals: usize,
) -> Option<(f64, f64)> {
    let (low, high) = f.cut_bounds()?;
    let ci = f.ci?;
    let shown = |x: f64| format!("{:.*}", decimals, scale(x) + 0.0);
    let same = |a: f64, b: f64| shown(a).trim_start_matches('-') == shown(b);
    (!same(ci.low(), low) || !same(ci.high(), high)).then_some((low, high))
}

/// Aligns rows into columns: the first left-aligned, the others right-aligned.
pub fn align(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if c == 0 {
                    format!("{cell:<w$}", w = widths[c])
                } else {
                    format!("{cell:>w$}", w = widths[c])
                }
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::report::charts::sample;

    #[test]
    fn a_lesson_figure_of_the_first_table_is_not_shown_twice() {
        let figures = [
            ("availability", 0.999, None),
            ("latency_ms.p99", 20.0, None),
            ("cost_per_hour", 1.5, None),
            ("slo.downtime_s", 10.0, None),
        ];
        let a = sample::result("A", &figures);
        let focus: Vec<String> = ["availability", "latency_ms.p99", "slo.downtime_s"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let table = render(&[a], &focus);
        let lessons = table
            .lines()
            .find(|l| l.starts_with("lesson figures"))
            .expect("a lesson table");
        assert!(lessons.contains("SLO downtime"), "{table}");
        assert!(!lessons.contains("availability"), "{table}");
        assert!(!lessons.contains("p99"), "{table}");
    }
}
