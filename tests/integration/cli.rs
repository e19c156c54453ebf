//! The commands of `scalesim` on the bundled scenarios: exit codes, the JSON
//! results of the spec, `--set`, `--replications`, and bundled names.

use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

use crate::{at, bundled_files, number, run_json, scalesim, SHORT, SHORT_LABEL};

/// Keys every scenario's results must have, from the spec.
const SPEC_NUMBERS: &[&str] = &[
    "simulated_s",
    "events",
    "requests.offered",
    "requests.completed",
    "requests.rejected",
    "requests.timed_out",
    "requests.failed",
    "throughput_rps",
    "availability",
    "latency_ms.mean",
    "latency_ms.p50",
    "latency_ms.p90",
    "latency_ms.p99",
    "latency_ms.p999",
    "latency_ms.max",
    "wait_ms.mean",
    "wait_ms.p99",
    "cost_per_hour",
];

/// Returns the `name:` written in a scenario file.
fn scenario_name(file: &str) -> String {
    let text = std::fs::read_to_string(crate::root().join(file)).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("name:"))
        .unwrap_or_else(|| panic!("{file} has no `name:` line"))
        .trim()
        .to_string()
}

/// Returns the `seed:` of a bundled scenario file.
fn scenario_seed(file: &str) -> u64 {
    let text = std::fs::read_to_string(crate::root().join(file)).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("seed:"))
        .unwrap_or_else(|| panic!("{file} has no `seed:` line"))
        .trim()
        .parse()
        .unwrap()
}

/// Returns the only scenario of a results array.
fn only(results: &Value) -> &Value {
    let list = results.as_array().expect("results are a JSON array");
    assert_eq!(list.len(), 1, "expected one scenario in {results}");
    &list[0]
}

/// Calls `check` on every number in `value` whose key ends in `_ci95`, with its sibling.
fn each_interval(value: &Value, path: &str, check: &mut dyn FnMut(&str, &Value, &Value)) {
    let Some(map) = value.as_object() else { return };
    for (key, child) in map {
        let child_path = format!("{path}.{key}");
        if let Some(base) = key.strip_suffix("_ci95") {
            let sibling = map
                .get(base)
                .unwrap_or_else(|| panic!("{child_path} has no sibling `{base}`"));
            check(&child_path, sibling, child);
        } else {
            each_interval(child, &child_path, check);
        }
    }
}

#[test]
fn validate_accepts_every_bundled_scenario() {
    for file in bundled_files() {
        scalesim()
            .args(["validate", &file])
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("{file}: ok")));
    }
}

/// The benchmark models are scenario files too: a change of the format that
/// breaks one must fail here, not when someone next measures.
#[test]
fn every_benchmark_model_validates_and_runs() {
    let mut files: Vec<String> = std::fs::read_dir(crate::root().join("benches"))
        .expect("benches/ is readable")
        .map(|entry| entry.expect("a readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .map(|path| format!("benches/{}", path.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    assert!(files.len() >= 6, "{files:?}");
    for file in &files {
        scalesim()
            .args(["validate", file])
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("{file}: ok")));
        let run = run_json(&[file.as_str(), "--set", "duration=2s", "--set", "warmup=0s"]);
        let completed = number(only(&run.json), "requests.completed");
        assert!(completed > 0.0, "{file}: nothing completed in 2 s");
    }
}

#[test]
fn run_prints_the_spec_results_of_every_bundled_scenario() {
    for file in bundled_files() {
        let mut args = vec![file.as_str()];
        args.extend(SHORT);
        let run = run_json(&args);
        let result = only(&run.json);
        assert_eq!(
            at(result, "scenario"),
            &Value::from(scenario_name(&file) + SHORT_LABEL)
        );
        assert_eq!(at(result, "seed"), &Value::from(scenario_seed(&file)));
        assert_eq!(at(result, "replications"), &Value::from(1));
        for key in SPEC_NUMBERS {
            number(result, key);
        }
        let simulated = number(result, "simulated_s");
        // Arrivals stop at 20 s; requests in flight may then finish for at most
        // the measured window (18 s here), as docs/model.md states.
        assert!(
            (20.0..=38.0).contains(&simulated),
            "{file}: simulated_s {simulated} for a 20 s run with at most 18 s of drain"
        );
        assert!(number(result, "events") > 0.0, "{file}: no events");
        let offered = number(result, "requests.offered");
        let completed = number(result, "requests.completed");
        assert!(
            offered > 0.0 && completed <= offered,
            "{file}: {completed} of {offered}"
        );
        let availability = number(result, "availability");
        assert!(
            (0.0..=1.0).contains(&availability),
            "{file}: availability {availability}"
        );
        let percentiles: Vec<f64> = ["p50", "p90", "p99", "p999", "max"]
            .iter()
            .map(|p| number(result, &format!("latency_ms.{p}")))
            .collect();
        assert!(
            percentiles.windows(2).all(|w| w[0] <= w[1]) && percentiles[0] > 0.0,
            "{file}: latency percentiles out of order: {percentiles:?}"
        );
        let components = at(result, "components")
            .as_object()
            .expect("components is an object");
        assert!(!components.is_empty(), "{file}: no components");
        for (name, component) in components {
            for key in ["utilization", "mean_queue", "completed"] {
                number(component, key);
            }
            let utilization = number(component, "utilization");
            assert!(
                (0.0..=1.0).contains(&utilization),
                "{file}: {name} utilization {utilization}"
            );
        }
        let file_json: Value = serde_json::from_slice(&run.file).unwrap();
        assert_eq!(
            file_json, run.json,
            "{file}: results.json differs from stdout"
        );
    }
}

#[test]
fn run_without_json_prints_a_table_and_writes_results() {
    let out = TempDir::new().unwrap();
    scalesim()
        .args(["run", "scenarios/one-big-server.yaml"])
        .args(SHORT)
        .arg("--out")
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("One big server"))
        .stdout(predicate::str::contains("results.json"));
    let text = std::fs::read(out.path().join("results.json")).unwrap();
    let results: Value = serde_json::from_slice(&text).unwrap();
    let label = format!("One big server{SHORT_LABEL}");
    assert_eq!(at(only(&results), "scenario"), label.as_str());
}

#[test]
fn quiet_prints_nothing_on_success() {
    let out = TempDir::new().unwrap();
    scalesim()
        .args(["run", "one-big-server", "--quiet"])
        .args(SHORT)
        .arg("--out")
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::is_empty());
    assert!(out.path().join("results.json").exists());
}

#[test]
fn timing_reports_the_events_of_the_runs_on_stderr_only() {
    let out = TempDir::new().unwrap();
    let assert = scalesim()
        .args(["run", "one-big-server", "--quiet", "--timing", "--json"])
        .args(SHORT)
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let output = assert.get_output();
    let results: Value = serde_json::from_slice(&output.stdout).unwrap();
    let events = number(only(&results), "events") as u64;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with(&format!("timing: {events} events in 1 run(s), ")),
        "stderr: {stderr}"
    );
    assert!(
        stderr.trim_end().ends_with("M events/s"),
        "stderr: {stderr}"
    );
}

#[test]
fn set_replicas_changes_the_result() {
    let file = "scenarios/four-clones-round-robin.yaml";
    let mut base = vec![file];
    base.extend(SHORT);
    let four = run_json(&base);
    base.extend(["--set", "components.web.replicas=8"]);
    let eight = run_json(&base);
    let (four, eight) = (only(&four.json), only(&eight.json));
    let util4 = number(four, "components.web.utilization");
    let util8 = number(eight, "components.web.utilization");
    assert!(
        util8 < 0.75 * util4,
        "twice the replicas should roughly halve utilization: {util4} -> {util8}"
    );
    let p99_4 = number(four, "latency_ms.p99");
    let p99_8 = number(eight, "latency_ms.p99");
    assert!(
        p99_8 < p99_4,
        "more replicas should cut p99: {p99_4} -> {p99_8}"
    );
}

#[test]
fn set_with_an_impossible_value_is_bad_input_naming_set() {
    for command in ["validate", "run"] {
        let out = TempDir::new().unwrap();
        scalesim()
            .args([command, "scenarios/four-clones-round-robin.yaml"])
            .args(["--set", "components.web.replicas=0"])
            .args(out_flag(command, &out))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--set components.web.replicas=0"))
            .stderr(predicate::str::contains("components.web.replicas"))
            .stderr(predicate::str::contains("positive number of replicas"))
            .stderr(predicate::str::contains("panicked").not());
        assert!(!out.path().join("results.json").exists());
    }
}

/// Asserts that `--set set` on the four-clones scenario is bad input, for both
/// `validate` and `run`, and that the message names the override and `detail`.
/// Returns `--out DIR` for a command that writes results (`validate` does
/// not, and refuses the flag).
fn out_flag(command: &str, out: &TempDir) -> Vec<String> {
    if command == "validate" {
        Vec::new()
    } else {
        vec!["--out".into(), out.path().to_string_lossy().into_owned()]
    }
}

fn assert_set_is_bad_input(set: &str, detail: &str) {
    for command in ["validate", "run"] {
        let out = TempDir::new().unwrap();
        scalesim()
            .args([command, "scenarios/four-clones-round-robin.yaml"])
            .args(["--set", set])
            .args(out_flag(command, &out))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("--set {set}")))
            .stderr(predicate::str::contains(detail));
    }
}

#[test]
fn set_on_an_unknown_field_is_bad_input_naming_set() {
    assert_set_is_bad_input("components.web.coress=2", "unknown field `coress`");
}

#[test]
fn set_on_a_missing_component_is_bad_input_naming_set() {
    assert_set_is_bad_input("components.nope.cores=2", "components.nope");
}

#[test]
fn malformed_set_is_bad_input_naming_set() {
    for command in ["validate", "run"] {
        for bad in ["foo", "=3", "components.web[x].cores=2"] {
            let out = TempDir::new().unwrap();
            scalesim()
                .args([command, "scenarios/one-big-server.yaml", "--set", bad])
                .args(out_flag(command, &out))
                .assert()
                .code(2)
                .stderr(predicate::str::contains("--set"))
                .stderr(predicate::str::contains(bad))
                .stderr(predicate::str::contains("panicked").not());
        }
    }
}

/// Returns each bundled scenario's name with its line in `scalesim scenarios`,
/// failing if one is not listed.
fn listed_scenarios() -> Vec<(String, String)> {
    let assert = scalesim().arg("scenarios").assert().success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    bundled_files()
        .iter()
        .map(|file| {
            let name = file
                .strip_prefix("scenarios/")
                .and_then(|f| f.strip_suffix(".yaml"))
                .unwrap();
            let line = stdout
                .lines()
                .find(|l| l.split_whitespace().next() == Some(name))
                .unwrap_or_else(|| panic!("`scalesim scenarios` does not list {name}:\n{stdout}"));
            (name.to_string(), line.to_string())
        })
        .collect()
}

#[test]
fn scenarios_lists_every_bundled_scenario_by_name() {
    for (name, line) in listed_scenarios() {
        assert!(
            line.trim_start_matches(name.as_str()).trim().len() > 10,
            "{name} is listed without a lesson: {line:?}"
        );
    }
}

#[test]
fn scenarios_lists_whole_lessons() {
    for (name, line) in listed_scenarios() {
        assert!(
            line.trim_end().ends_with('.'),
            "the lesson of {name} is cut short: {line:?}"
        );
    }
}

#[test]
fn a_bundled_scenario_runs_by_name_from_any_folder() {
    let elsewhere = TempDir::new().unwrap();
    let out = elsewhere.path().join("out");
    let assert = scalesim()
        .current_dir(elsewhere.path())
        .args(["run", "one-big-server", "--json"])
        .args(SHORT)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let results: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let label = format!("One big server{SHORT_LABEL}");
    assert_eq!(at(only(&results), "scenario"), label.as_str());
    assert!(out.join("results.json").exists());
    scalesim()
        .current_dir(elsewhere.path())
        .args(["validate", "four-clones-round-robin"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ok"));
}

#[test]
fn a_missing_file_is_bad_input() {
    for command in ["validate", "run"] {
        let out = TempDir::new().unwrap();
        scalesim()
            .args([command, "tests/bad/no-such-file.yaml"])
            .args(out_flag(command, &out))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("tests/bad/no-such-file.yaml"))
            .stderr(predicate::str::contains("panicked").not());
    }
}

#[test]
fn bad_arguments_are_bad_input() {
    scalesim()
        .args(["run", "one-big-server", "--no-such-flag"])
        .assert()
        .code(2);
    scalesim().arg("run").assert().code(2);
    let out = TempDir::new().unwrap();
    scalesim()
        .args(["run", "one-big-server", "--replications", "0"])
        .arg("--out")
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--replications"));
}

#[test]
fn help_and_version_succeed() {
    scalesim()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("validate"));
    scalesim()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn replications_add_confidence_intervals() {
    let mut args = vec!["scenarios/four-clones-round-robin.yaml"];
    args.extend(SHORT);
    let single = run_json(&args);
    let mut count = 0;
    each_interval(only(&single.json), "", &mut |path, _, _| {
        panic!("one replication should have no intervals, found {path}")
    });
    args.extend(["--replications", "3"]);
    let run = run_json(&args);
    let result = only(&run.json);
    assert_eq!(at(result, "replications"), &Value::from(3));
    for key in [
        "latency_ms.p99_ci95",
        "latency_ms.mean_ci95",
        "wait_ms.mean_ci95",
        "throughput_rps_ci95",
        "availability_ci95",
        "components.web.utilization_ci95",
    ] {
        at(result, key);
    }
    each_interval(result, "", &mut |path, value, interval| {
        count += 1;
        let bounds: Vec<f64> = interval
            .as_array()
            .unwrap_or_else(|| panic!("{path} is not an array: {interval}"))
            .iter()
            .map(|b| {
                b.as_f64()
                    .unwrap_or_else(|| panic!("{path}: {b} is not a number"))
            })
            .collect();
        let value = value.as_f64().unwrap();
        assert_eq!(bounds.len(), 2, "{path}: {interval}");
        assert!(
            bounds[0] <= value && value <= bounds[1],
            "{path}: {value} outside [{}, {}]",
            bounds[0],
            bounds[1]
        );
    });
    assert!(count >= 6, "only {count} intervals");
    let p99 = at(result, "latency_ms.p99_ci95").as_array().unwrap();
    assert!(
        p99[0].as_f64() < p99[1].as_f64(),
        "three different replications should give a p99 interval of positive width: {p99:?}"
    );
}

#[test]
fn the_showcase_runs_without_arguments_and_writes_to_output() {
    let folder = TempDir::new().unwrap();
    scalesim()
        .current_dir(folder.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("Vertical").and(predicate::str::contains("Hybrid")));
    let text = std::fs::read(folder.path().join("output/results.json"))
        .expect("the showcase writes output/results.json");
    let results: Value = serde_json::from_slice(&text).unwrap();
    assert!(
        results.as_array().is_some_and(|r| r.len() == 3),
        "the showcase compares vertical, horizontal and hybrid: {results}"
    );
    for file in ["report.html", "results.csv", "timeseries.csv"] {
        assert!(
            folder.path().join("output").join(file).exists(),
            "the showcase writes output/{file}"
        );
    }
}

#[test]
fn a_result_is_labelled_with_the_changes_made_to_its_file() {
    let out = tempfile::TempDir::new().unwrap();
    let assert = scalesim()
        .args(["run", "four-clones-round-robin"])
        .args(SHORT)
        .args(["--set", "components.web.replicas=8", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let label = "Four clones, round robin [duration=20s, warmup=2s, components.web.replicas=8]";
    let table = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(table.contains(label), "{table}");
    for file in ["results.json", "results.csv", "report.html"] {
        let text = std::fs::read_to_string(out.path().join(file)).unwrap();
        assert!(text.contains(label), "{file} lacks the label");
    }
}
