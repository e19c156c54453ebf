//! The report's table of the figures of request types, edges and cron
//! entries: it shows what `results.json` of the same run holds, and is absent
//! from the report of a run without such figures.

use serde_json::Value;
use tempfile::TempDir;

use scalesim::metrics::measure::TYPE;

use crate::{number, scalesim, SHORT};

/// The heading of the table.
const HEADING: &str = "Request types, edges and cron entries";

/// What `scalesim run FILE SHORT ARGS --out TMP` wrote.
struct Written {
    /// `results.json`, parsed.
    results: Value,
    /// `report.html`.
    html: String,
}

/// Runs `file`, shortened, with `args`, and reads its results and report.
fn run(file: &str, args: &[&str]) -> Written {
    let out = TempDir::new().unwrap();
    scalesim()
        .arg("run")
        .arg(file)
        .args(SHORT)
        .args(args)
        .arg("--quiet")
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let read = |name: &str| std::fs::read_to_string(out.path().join(name)).unwrap();
    Written {
        results: serde_json::from_str(&read("results.json")).unwrap(),
        html: read("report.html"),
    }
}

/// Returns the rows of the table as the text of their cells (scenario, of,
/// figure, unit, value), or `None` when the report has no such table.
fn table_rows(html: &str) -> Option<Vec<Vec<String>>> {
    let start = html.find("id=\"run-figures\"")?;
    let rest = &html[start..];
    let body = &rest[rest.find("<tbody>")?..rest.find("</tbody>")?];
    let rows = body
        .split("<tr>")
        .skip(1)
        .map(|row| row.split("<td").skip(1).map(cell_text).collect())
        .collect();
    Some(rows)
}

/// Returns the text of a cell (what follows `<td`), without tags and with
/// the escapes undone.
fn cell_text(cell: &str) -> String {
    let mut text = String::new();
    let mut in_tag = true;
    for c in cell.split("</td>").next().unwrap_or("").chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .trim()
        .to_string()
}

/// Checks that `shown` (a value as the report writes it, three significant
/// digits or a whole count) reads as `expected`.
fn assert_reads_as(shown: &str, expected: f64, what: &str) {
    let value: f64 = shown
        .parse()
        .unwrap_or_else(|_| panic!("{what}: `{shown}` is not a number"));
    let tolerance = 0.005 * expected.abs() + 1e-9;
    assert!(
        (value - expected).abs() <= tolerance,
        "{what}: the report shows {shown}, results.json holds {expected}"
    );
}

#[test]
fn report_lists_the_figures_of_each_request_type_as_results_json_has_them() {
    let written = run(
        "scenarios/database-failover-async.yaml",
        &["--replications", "3"],
    );
    let result = &written.results[0];
    let scenario = result["scenario"].as_str().unwrap();
    let types = result["types"]
        .as_object()
        .expect("figures per request type");
    assert_eq!(types.len(), 2, "reads and writes: {types:?}");
    let rows = table_rows(&written.html).expect("the report has the table");
    assert_eq!(rows.len(), 2 * TYPE.len(), "{rows:?}");
    let mut intervals = 0;
    for name in types.keys() {
        for measure in TYPE {
            let path = format!("types.{name}.{}", measure.key);
            let row = rows
                .iter()
                .find(|r| r[1] == format!("type {name}") && r[2] == measure.label)
                .unwrap_or_else(|| panic!("no row for {path} in {rows:?}"));
            assert_eq!(row[0], scenario, "{path}");
            assert_eq!(row[3], measure.unit.symbol(), "{path}");
            let (value, half_width) = match row[4].split_once(" ±") {
                Some((value, half_width)) => (value, Some(half_width)),
                None => (row[4].as_str(), None),
            };
            let expected = number(result, &path);
            assert_reads_as(value, expected, &path);
            let ci = format!("{path}_ci95");
            if let Some(half_width) = half_width {
                // An interval is clamped below (a count stops at 0), never
                // above: its half-width is its upper bound less the mean.
                let high = crate::at(result, &ci)[1].as_f64().unwrap();
                assert_reads_as(half_width, high - expected, &ci);
                intervals += 1;
            }
        }
    }
    assert!(intervals > 0, "three replications give intervals: {rows:?}");
    assert_eq!(written.html.matches(HEADING).count(), 1);
    assert!(written.html.contains("± is the half-width"));
}

#[test]
fn report_has_no_table_of_run_figures_when_no_scenario_has_any() {
    let written = run("scenarios/one-server-utilisation.yaml", &[]);
    let result = &written.results[0];
    for head in ["types", "edges", "cron"] {
        assert!(result.get(head).is_none(), "`{head}` in {result}");
    }
    assert!(written.html.contains("<h2>Results</h2>"));
    assert!(table_rows(&written.html).is_none());
    assert!(!written.html.contains(HEADING));
}
