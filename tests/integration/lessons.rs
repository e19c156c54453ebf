//! The bundled lessons, read as a class reads them: the comparisons that teach
//! a trade-off put its figure in front, and the reading never crowns a setup on
//! the latency of the few requests it answered.

use serde_json::Value;
use tempfile::TempDir;

use crate::{number, scalesim};

/// What `scalesim compare FILES --out TMP` printed and wrote.
struct Compared {
    /// The terminal table.
    stdout: String,
    /// `results.json`.
    results: Value,
    /// The reading of `report.html`, as text without tags.
    reading: String,
    /// `utilization.svg`.
    utilization: String,
}

/// Compares bundled scenarios with the default replications.
fn compare(files: &[&str]) -> Compared {
    let out = TempDir::new().unwrap();
    let assert = scalesim()
        .arg("compare")
        .args(files)
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    let read = |name: &str| std::fs::read_to_string(out.path().join(name)).unwrap();
    let results = serde_json::from_str(&read("results.json")).unwrap();
    Compared {
        stdout,
        results,
        reading: reading_of(&read("report.html")),
        utilization: read("utilization.svg"),
    }
}

/// Returns the text of the report's reading: from its heading to the next.
fn reading_of(html: &str) -> String {
    let start = html.find(">Reading<").expect("the report has a reading");
    let rest = &html[start..];
    let end = rest[1..].find("<h2").map_or(rest.len(), |i| i + 1);
    let mut text = String::new();
    let mut in_tag = false;
    for c in rest[..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Returns the line of the terminal table that starts with `label`.
fn line<'a>(stdout: &'a str, label: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no line starts with `{label}` in:\n{stdout}"))
}

#[test]
fn failover_names_the_writes_that_async_replication_loses() {
    let c = compare(&[
        "scenarios/database-failover-async.yaml",
        "scenarios/database-failover-sync.yaml",
    ]);
    assert!(
        c.reading.contains("Lost writes (db)"),
        "the reading does not talk of lost writes: {}",
        c.reading
    );
    let lost = |i: usize| number(&c.results[i], "components.db.lost_writes");
    assert!(
        lost(0) > 0.0 && lost(1) == 0.0,
        "async {} sync {}",
        lost(0),
        lost(1)
    );
    // The paired difference, sync minus async, is below zero beyond noise.
    let high = c.results[1]["differences"]["figures"]["components.db.lost_writes"]["ci95"][1]
        .as_f64()
        .expect("results.json holds the paired interval of lost writes");
    assert!(high < 0.0, "the paired interval reaches {high}");
    // The terminal's lesson table shows it beside the usual figures.
    assert!(line(&c.stdout, "lesson figures").contains("db lost writes"));
}

#[test]
fn shards_by_range_show_their_hot_shard() {
    let c = compare(&[
        "scenarios/shards-by-range.yaml",
        "scenarios/shards-by-hash.yaml",
    ]);
    let busiest = |i: usize| number(&c.results[i], "components.db.busiest_utilization");
    let mean = |i: usize| number(&c.results[i], "components.db.utilization");
    assert!(busiest(0) > 0.97, "the hot shard is {} busy", busiest(0));
    assert!(mean(0) < 0.5, "the mean of the shards is {}", mean(0));
    assert!(
        busiest(1) < 0.8,
        "spread by hash, the busiest is {}",
        busiest(1)
    );
    // The table: the component line of range gives the busiest at 100%.
    let after = &c.stdout[c.stdout.find("Shards by range:").unwrap()..];
    let db = line(after, "db");
    assert!(db.split_whitespace().any(|w| w == "100.0"), "{db}");
    // The chart draws the busiest shard across its bar.
    assert!(c.utilization.contains("busiest 100%"), "no hot shard drawn");
}

#[test]
fn a_retry_storm_is_never_the_best_setup() {
    let c = compare(&["scenarios/retry-storm.yaml", "scenarios/retry-backoff.yaml"]);
    for crowned in ["Retry storm has the best", "Retry storm is the only one"] {
        assert!(
            !c.reading.contains(crowned),
            "`{crowned}` in: {}",
            c.reading
        );
    }
    assert!(
        c.reading.contains("Retry storm has a lower p99")
            && c.reading.contains("but it answers only"),
        "the reading must say what the storm's p99 hides: {}",
        c.reading
    );
    assert!(c.reading.contains("Retry amplification"), "{}", c.reading);
}
