//! Guard rails: an overloaded system with unbounded queues, a cap on events and
//! a cap on wall-clock time all stop a run cleanly, with results marked truncated.

use predicates::prelude::*;
use tempfile::TempDir;

use crate::{at, number, run_json, scalesim};

/// Twice more arrivals than one core can serve, and a queue without limit: the
/// requests in flight grow by about 1,000 a second, for an hour.
const OVERLOADED: &str = "\
name: overloaded
seed: 3
duration: 1h
traffic:
  rate: 2000/s
entry: web
network: {latency: 0ms}
components:
  web:
    kind: server
    cores: 1
    work: 1ms
    service: exponential
    queue: unbounded
";

/// Writes the overloaded scenario in a fresh folder and returns both.
fn overloaded() -> (TempDir, String) {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("overloaded.yaml");
    std::fs::write(&file, OVERLOADED).unwrap();
    let name = file.to_string_lossy().into_owned();
    (dir, name)
}

#[test]
fn overload_with_unbounded_queues_stops_at_the_default_cap() {
    let (_dir, file) = overloaded();
    let out = run_json(&[&file]);
    let result = &out.json[0];
    assert_eq!(at(result, "truncated.reason"), "max_in_flight");
    let at_s = number(result, "truncated.at_s");
    // A million requests pile up at about 1,000 a second.
    assert!((500.0..2000.0).contains(&at_s), "stopped at {at_s} s");
    assert_eq!(number(result, "simulated_s"), at_s);
    assert!(number(result, "requests.completed") > 0.0);
    assert!(number(result, "requests.unfinished") > 900_000.0);
}

#[test]
fn a_truncated_run_warns_on_stderr_and_shows_in_the_table() {
    let (dir, file) = overloaded();
    scalesim()
        .args(["run", &file, "--max-in-flight", "10000", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: overloaded (replication 0)",
        ))
        .stderr(predicate::str::contains("--max-in-flight"))
        .stdout(predicate::str::contains(
            "overloaded: truncated (max_in_flight)",
        ));
}

#[test]
fn max_in_flight_and_max_events_are_deterministic() {
    let (_dir, file) = overloaded();
    for flag in [["--max-in-flight", "20000"], ["--max-events", "123457"]] {
        let args = [file.as_str(), flag[0], flag[1], "--replications", "2"];
        let first = run_json(&args);
        let second = run_json(&args);
        assert!(first.file == second.file, "{flag:?}: different bytes");
    }
}

#[test]
fn max_events_stops_after_exactly_that_many_events() {
    let (_dir, file) = overloaded();
    let out = run_json(&[&file, "--max-events", "50000"]);
    let result = &out.json[0];
    assert_eq!(at(result, "truncated.reason"), "max_events");
    assert_eq!(number(result, "events"), 50000.0);
}

#[test]
fn max_wall_stops_a_long_run() {
    let (_dir, file) = overloaded();
    let out = run_json(&[&file, "--max-wall", "1ms", "--max-in-flight", "100000000"]);
    assert_eq!(at(&out.json[0], "truncated.reason"), "max_wall");
}

#[test]
fn a_complete_run_has_no_truncated_key() {
    let (_dir, file) = overloaded();
    let out = run_json(&[
        &file,
        "--set",
        "traffic.rate=100/s",
        "--set",
        "duration=20s",
    ]);
    assert!(out.json[0].get("truncated").is_none());
}

#[test]
fn a_bad_max_wall_is_bad_input() {
    scalesim()
        .args(["run", "scenarios/one-big-server.yaml", "--max-wall", "soon"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--max-wall"));
}
