//! Results as CSV: one row per scenario or grid point, and the time series.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::metrics::ScenarioResult;

/// Renders results as CSV. `parameters` names extra leading columns and `values`
/// gives each row's values for them (empty for a plain comparison).
pub fn results(
    results: &[ScenarioResult],
    parameters: &[String],
    values: &[Vec<String>],
) -> Result<Vec<u8>> {
    // The union of all figure columns, in first-seen order: scenarios may have
    // different components.
    let mut columns: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for r in results {
        for f in &r.figures {
            let name = f.path.join(".");
            if seen.insert(name.clone()) {
                columns.push(name.clone());
                if f.ci.is_some() {
                    columns.push(format!("{name}_ci95_low"));
                    columns.push(format!("{name}_ci95_high"));
                }
            }
        }
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["scenario".to_string()];
    header.extend(parameters.iter().cloned());
    header.extend(["seed".to_string(), "replications".to_string()]);
    header.extend(columns.iter().cloned());
    writer.write_record(&header).map_err(csv_error)?;
    for (i, r) in results.iter().enumerate() {
        let mut row = vec![r.scenario.clone()];
        row.extend(values.get(i).cloned().unwrap_or_default());
        row.extend([r.seed.to_string(), r.replications.to_string()]);
        for column in &columns {
            row.push(cell(r, column));
        }
        writer.write_record(&row).map_err(csv_error)?;
    }
    writer
        .into_inner()
        .map_err(|e| csv_error(e.into_error().into()))
}

/// Returns one cell: a figure, or one end of its interval.
fn cell(r: &ScenarioResult, column: &str) -> String {
    let (name, end) = match column.strip_suffix("_ci95_low") {
        Some(name) => (name, Some(false)),
        None => match column.strip_suffix("_ci95_high") {
            Some(name) => (name, Some(true)),
            None => (column, None),
        },
    };
    let Some(f) = r.figure(name) else {
        return String::new();
    };
    match (end, f.bounds()) {
        (None, _) if f.total && f.value.fract() == 0.0 => format!("{}", f.value),
        (None, _) => format!("{}", f.value),
        (Some(false), Some((low, _))) => format!("{low}"),
        (Some(true), Some((_, high))) => format!("{high}"),
        (Some(_), None) => String::new(),
    }
}

/// Renders the time series of every scenario as CSV: one row per window,
/// and a column `COMPONENT.GAUGE` for each gauge some scenario keeps (empty
/// for the scenarios that do not keep it).
pub fn time_series(results: &[ScenarioResult]) -> Result<Vec<u8>> {
    let mut gauges: Vec<(String, &str)> = Vec::new();
    for g in results.iter().flat_map(|r| &r.series.gauges) {
        if !gauges.iter().any(|(c, k)| *c == g.component && *k == g.key) {
            gauges.push((g.component.clone(), g.key));
        }
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "scenario",
        "start_s",
        "offered_rps",
        "throughput_rps",
        "errors_rps",
        "p99_ms",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    header.extend(gauges.iter().map(|(c, k)| format!("{c}.{k}")));
    writer.write_record(&header).map_err(csv_error)?;
    for r in results {
        // Each gauge column's values in this scenario, if it keeps that gauge.
        let columns: Vec<Option<&[f64]>> = gauges
            .iter()
            .map(|(c, k)| {
                r.series
                    .gauges
                    .iter()
                    .find(|g| g.component == *c && g.key == *k)
                    .map(|g| g.values.as_slice())
            })
            .collect();
        for (i, p) in r.series.points.iter().enumerate() {
            let mut row = vec![
                r.scenario.clone(),
                format!("{}", p.start_s),
                format!("{}", p.offered_rps),
                format!("{}", p.throughput_rps),
                format!("{}", p.errors_rps),
                format!("{}", p.p99_ms),
            ];
            row.extend(columns.iter().map(|values| {
                values
                    .and_then(|v| v.get(i))
                    .map_or_else(String::new, |v| format!("{v}"))
            }));
            writer.write_record(&row).map_err(csv_error)?;
        }
    }
    writer
        .into_inner()
        .map_err(|e| csv_error(e.into_error().into()))
}

fn csv_error(e: csv::Error) -> Error {
    Error::Write {
        path: "results.csv".into(),
        source: std::io::Error::other(e.to_string()),
    }
}
