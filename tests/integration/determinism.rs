//! The same file, seed and version give byte-identical results, whatever the
//! number of threads; a different seed gives different results.

use serde_json::Value;

use crate::{bundled_files, run_json, RunOutput, SHORT, SHORT_LABEL};

/// Runs `file` shortened, with `extra` arguments.
fn run(file: &str, extra: &[&str]) -> RunOutput {
    let mut args = vec![file];
    args.extend(SHORT);
    args.extend(extra);
    run_json(&args)
}

/// Returns the results without their `seed` key, to compare what the seed changed.
fn without_seed(results: &Value) -> Value {
    let mut results = results.clone();
    for scenario in results.as_array_mut().unwrap() {
        scenario.as_object_mut().unwrap().remove("seed");
    }
    results
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    for file in bundled_files() {
        let first = run(&file, &["--seed", "7"]);
        let second = run(&file, &["--seed", "7"]);
        assert!(
            first.file == second.file,
            "{file}: two runs with seed 7 wrote different results.json"
        );
        assert_eq!(
            first.stdout, first.file,
            "{file}: --json printed something else than results.json"
        );
    }
}

#[test]
fn the_number_of_threads_does_not_change_the_bytes() {
    let file = "scenarios/four-clones-least-connections.yaml";
    let one = run(file, &["--replications", "4", "--jobs", "1"]);
    let two = run(file, &["--replications", "4", "--jobs", "2"]);
    assert!(
        one.file == two.file,
        "--jobs 1 and --jobs 2 wrote different results.json:\n{}\n---\n{}",
        String::from_utf8_lossy(&one.file),
        String::from_utf8_lossy(&two.file)
    );
}

#[test]
fn a_queue_and_its_backlog_gauge_do_not_depend_on_the_threads() {
    let file = "scenarios/checkout-queue.yaml";
    let one = run(file, &["--replications", "4", "--jobs", "1"]);
    let two = run(file, &["--replications", "4", "--jobs", "2"]);
    assert!(one.file == two.file, "--jobs 1 and --jobs 2 differ");
    let results: Value = serde_json::from_slice(&one.file).unwrap();
    let backlog = &results[0]["gauges"]["orders"]["backlog"]["values"];
    assert!(
        backlog.as_array().is_some_and(|v| !v.is_empty()),
        "the backlog gauge is in results.json: {backlog}"
    );
}

#[test]
fn several_scenarios_keep_their_order_and_bytes_across_threads() {
    let files = bundled_files();
    let mut args: Vec<&str> = files.iter().map(String::as_str).collect();
    args.extend(SHORT);
    args.extend(["--replications", "2"]);
    let mut one_args = args.clone();
    one_args.extend(["--jobs", "1"]);
    let mut two_args = args;
    two_args.extend(["--jobs", "2"]);
    let one = run_json(&one_args);
    let two = run_json(&two_args);
    assert!(
        one.file == two.file,
        "--jobs 1 and --jobs 2 differ on several scenarios"
    );
    let names: Vec<&str> = one
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scenario"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), files.len());
    for (file, name) in files.iter().zip(&names) {
        let text = std::fs::read_to_string(crate::root().join(file)).unwrap();
        assert!(
            text.lines()
                .any(|l| l == format!("name: {}", name.trim_end_matches(SHORT_LABEL))),
            "results are not in the order of the files: {file} came out as {name}"
        );
    }
}

#[test]
fn a_different_seed_gives_different_results() {
    let file = "scenarios/four-clones-round-robin.yaml";
    let one = run(file, &["--seed", "1"]);
    let two = run(file, &["--seed", "2"]);
    assert_eq!(one.json[0]["seed"], Value::from(1));
    assert_eq!(two.json[0]["seed"], Value::from(2));
    assert_ne!(
        one.json[0]["latency_ms"], two.json[0]["latency_ms"],
        "seeds 1 and 2 gave the same latencies"
    );
    assert_ne!(without_seed(&one.json), without_seed(&two.json));
}

#[test]
fn the_seed_in_the_file_is_used_without_seed_flag() {
    let file = "scenarios/one-big-server.yaml";
    let from_file = run(file, &[]);
    let same = run(file, &["--seed", "42"]);
    let other = run(file, &["--set", "seed=43"]);
    assert!(
        from_file.file == same.file,
        "the file's seed 42 and --seed 42 differ"
    );
    assert_eq!(other.json[0]["seed"], Value::from(43));
    assert_ne!(without_seed(&from_file.json), without_seed(&other.json));
}
