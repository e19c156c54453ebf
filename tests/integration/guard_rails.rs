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
fn an_overloaded_run_says_why_requests_piled_up() {
    // See: a run stopped at the in-flight cap said only "the system is
    // overloaded", leaving the user to work out from what.
    let (dir, file) = overloaded();
    let out = scalesim()
        .args(["run", &file, "--max-in-flight", "20000", "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("requests arrived at"))
        .unwrap_or_else(|| panic!("no line of rates: {stderr}"));
    // Arrivals at 2000/s, answers at the core's 1000/s, what is in flight,
    // and Little's law that ties them to the time in the system.
    let rate = |after: &str| -> f64 {
        let rest = &line[line.find(after).unwrap() + after.len()..];
        rest[..rest.find("/s").unwrap()].parse().unwrap()
    };
    let (arrival, answer) = (rate("arrived at "), rate("answered at "));
    assert!((1900.0..2100.0).contains(&arrival), "{line}");
    assert!((950.0..1050.0).contains(&answer), "{line}");
    for words in [
        " were in flight after ",
        "by Little's law (in flight = arrival rate × time in system) each would spend about",
        "the system cannot keep up with its load",
    ] {
        assert!(line.contains(words), "`{words}` not in: {line}");
    }
}

/// Returns the lines of `stderr` that are warnings.
fn warnings(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_guard_rail_that_stops_every_point_of_a_sweep_or_a_plan_warns_once() {
    // See: a sweep of 3 points and 2 replications stopped by --max-events
    // printed the same warning 6 times, one a run; a plan once a run of
    // each of its batches.
    let (dir, file) = overloaded();
    let grid = [
        "--vary",
        "components.web.cores=1,2,3",
        "--max-events",
        "5000",
    ];
    let sweep = scalesim()
        .args(["sweep", &file])
        .args(grid)
        .args(["--replications", "2", "--out"])
        .arg(dir.path().join("sweep"))
        .output()
        .unwrap();
    assert_eq!(sweep.status.code(), Some(0));
    let lines = warnings(&sweep.stderr);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].starts_with("warning: 6 of 6 runs stopped between ")
            && lines[0]
                .contains("(the first: overloaded [components.web.cores=1] (replication 0))")
            && lines[0].contains("handled 5000 events (--max-events)"),
        "{}",
        lines[0]
    );
    let plan = scalesim()
        .args(["plan", &file])
        .args(grid)
        .args(["--slo", "p99<1s", "--out"])
        .arg(dir.path().join("plan"))
        .output()
        .unwrap();
    assert_eq!(plan.status.code(), Some(0));
    let lines = warnings(&plan.stderr);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].contains(" runs stopped ") && lines[0].contains("(--max-events)"),
        "{}",
        lines[0]
    );
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

/// A steady system (half loaded) that would run for 100 simulated hours.
const LONG: &str = "\
name: long
seed: 5
duration: 100h
traffic:
  rate: 1000/s
entry: web
components:
  web:
    kind: server
    cores: 2
    work: 1ms
";

/// A run that ends at once.
const SHORT_RUN: &str = "\
name: short
seed: 5
duration: 1s
traffic:
  rate: 10/s
entry: web
components:
  web:
    kind: server
    cores: 2
    work: 1ms
";

#[cfg(unix)]
#[test]
fn ctrl_c_keeps_finished_runs_and_exits_130() {
    let dir = TempDir::new().unwrap();
    let short = dir.path().join("short.yaml");
    let long = dir.path().join("long.yaml");
    std::fs::write(&short, SHORT_RUN).unwrap();
    std::fs::write(&long, LONG).unwrap();
    let out = dir.path().join("out");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("scalesim"))
        .arg("run")
        .arg(&short)
        .arg(&long)
        .args(["--jobs", "1", "--quiet", "--out"])
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = std::time::Instant::now();
    let status = child.wait().unwrap();
    assert!(started.elapsed().as_secs() < 10, "the run did not stop");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "stderr:\n{stderr}");
    assert!(stderr.contains("abandoning 1"), "stderr:\n{stderr}");
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(results.as_array().unwrap().len(), 1);
    assert_eq!(results[0]["scenario"], "short");
}

/// Every kind with a time average: an autoscaled group behind a balancer, a
/// database, a function and a queue with its workers, loaded enough that a
/// small event budget stops the run in the middle of its window.
const TIME_AVERAGES: &str = "\
name: time averages
seed: 5
duration: 60s
warmup: 2s
traffic:
  rate: 800/s
  keys: {count: 1000}
  requests: {page: {weight: 8}, buy: {weight: 2, op: write}}
entry: lb
components:
  lb: {kind: load_balancer, strategy: least_connections, targets: web}
  web:
    kind: server
    cores: 2
    work: 2ms
    boot: 0ms
    autoscale: {min: 1, max: 3, metric: cpu, target: 60%, interval: 1s}
    calls: {page: [db], buy: [db, thumbs, jobs]}
  db: {kind: database, cores: 4, work: 1ms, read_replicas: 1}
  thumbs: {kind: function, work: 20ms, cold_start: 100ms, keep_alive: 2s}
  jobs: {kind: queue}
  worker: {kind: server, consumes: jobs, cores: 2, work: 5ms}
";

/// The figures that average something over the measured window.
const TIME_AVERAGED: &[&str] = &[
    "replicas_mean",
    "replica_hours",
    "instances_mean",
    "backlog_mean",
    "in_system",
    "busiest_utilization",
    "load_spread",
    "uptime",
    "pool_uptime",
];

/// A run that a guard rail stops at time T reports, for every component, the
/// figures of the same run given T as its duration: time averages are taken
/// over the part of the window simulated, not over the whole window.
#[test]
fn a_run_stopped_early_reports_the_figures_of_a_run_that_ended_there() {
    use scalesim::runner::{simulate_guarded, Limits};
    use scalesim::scenario::load_text;

    let limits = Limits {
        max_events: Some(200_000),
        max_wall: None,
        max_in_flight: 1_000_000,
    };
    let scenario = load_text(TIME_AVERAGES, "time-averages.yaml", &[]).unwrap();
    let stopped = simulate_guarded(&scenario, 0, &limits, None);
    let at_s = stopped
        .truncated
        .expect("the event budget stops the run")
        .at_s;
    assert!(at_s > 10.0 && at_s < 50.0, "stopped at {at_s} s");

    let until = format!("duration: {}ns", (at_s * 1e9).round() as u64);
    let text = TIME_AVERAGES.replace("duration: 60s", &until);
    let ended = load_text(&text, "time-averages.yaml", &[]).unwrap();
    let whole = simulate_guarded(
        &ended,
        0,
        &Limits {
            max_events: None,
            ..limits
        },
        None,
    );
    assert!(whole.truncated.is_none());

    // Each figure of the stopped run against the same of the run that ended there.
    let same = |component: &str, figure: &str, stopped: f64, ended: f64| {
        let close = (stopped - ended).abs() <= 1e-6 * stopped.abs().max(ended.abs()).max(1e-9);
        assert!(
            close,
            "{component}.{figure}: {stopped} stopped against {ended} ended there"
        );
    };
    for (s, w) in stopped.components.iter().zip(&whole.components) {
        assert_eq!(s.name, w.name);
        same(&s.name, "utilization", s.utilization, w.utilization);
        same(&s.name, "mean_queue", s.mean_queue, w.mean_queue);
        for (rs, rw) in s.extra.iter().zip(&w.extra) {
            assert_eq!(rs.measure.key, rw.measure.key);
            // Counts and costs may differ by the work the whole run still
            // finishes after its window (its drain); time averages may not.
            if TIME_AVERAGED.contains(&rs.measure.key) {
                same(&s.name, rs.measure.key, rs.value, rw.value);
            }
        }
    }
}
