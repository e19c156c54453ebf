//! `scalesim run --trace FILE --trace-sample P`: the journeys of a sample of
//! requests as JSON lines, the same bytes for any `--jobs`, and each
//! component's share of the critical path in the results.

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

use crate::{number, run_json, scalesim, SHORT};

/// Writes `yaml` into `dir` as `NAME.yaml` and returns its path.
fn scenario(dir: &TempDir, name: &str, yaml: &str) -> String {
    let path = dir.path().join(format!("{name}.yaml"));
    std::fs::write(&path, yaml).unwrap();
    path.to_string_lossy().into_owned()
}

/// Runs `file` with `args`, writing the journeys to `DIR/NAME`; returns the
/// results and the lines of the journeys file.
fn traced(dir: &TempDir, file: &str, name: &str, args: &[&str]) -> (Value, Vec<u8>) {
    let trace = dir.path().join(name);
    let trace_arg = trace.to_string_lossy().into_owned();
    let mut all = vec![file, "--trace", &trace_arg];
    all.extend(args);
    let run = run_json(&all);
    let bytes = std::fs::read(&trace).expect("--trace writes its file");
    (run.json, bytes)
}

/// Parses the lines of a journeys file.
fn lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is a JSON object"))
        .collect()
}

/// A chain: a balancer, then three servers, each calling the next, with
/// 1 ms between machines.
const CHAIN: &str = "
name: chain
seed: 5
duration: 30s
warmup: 0s
traffic: {rate: 300/s}
entry: lb
network: {latency: 1ms}
components:
  lb: {kind: load_balancer, targets: a}
  a: {kind: server, replicas: 2, cores: 2, work: 2ms, calls: [b]}
  b: {kind: server, cores: 2, work: 1ms, calls: [c]}
  c: {kind: server, cores: 2, work: 2ms}
";

#[test]
fn the_journeys_file_has_the_same_bytes_for_any_number_of_threads() {
    let dir = TempDir::new().unwrap();
    let file = scenario(&dir, "chain", CHAIN);
    let args = ["--replications", "2", "--trace-sample", "0.05"];
    let (one_results, one) = traced(
        &dir,
        &file,
        "one.jsonl",
        &[&args[..], &["--jobs", "1"]].concat(),
    );
    let (two_results, two) = traced(
        &dir,
        &file,
        "two.jsonl",
        &[&args[..], &["--jobs", "2"]].concat(),
    );
    assert!(one == two, "--jobs 1 and --jobs 2 wrote different journeys");
    assert_eq!(one_results, two_results);
    let parsed = lines(&one);
    assert!(parsed.len() > 500, "{} lines", parsed.len());
    // Replication 0's journeys, then replication 1's.
    let replications: Vec<u64> = parsed
        .iter()
        .map(|l| l["replication"].as_u64().unwrap())
        .collect();
    assert!(replications.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!((replications[0], *replications.last().unwrap()), (0, 1));
    // No temporary file is left beside it.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn the_hops_of_a_chain_add_up_to_the_end_to_end_latency() {
    let dir = TempDir::new().unwrap();
    let file = scenario(&dir, "chain", CHAIN);
    let (results, bytes) = traced(&dir, &file, "chain.jsonl", &["--trace-sample", "0.2"]);
    let parsed = lines(&bytes);
    let requests: Vec<&Value> = parsed.iter().filter(|l| l["type"] == "request").collect();
    let mut checked = 0;
    for request in requests.iter().filter(|r| r["outcome"] == "ok") {
        let id = &request["request"];
        let hops: Vec<&Value> = parsed
            .iter()
            .filter(|l| {
                l["type"] == "hop" && &l["request"] == id && l["attempt"] == request["attempt"]
            })
            .collect();
        assert_eq!(hops.len(), 4, "lb, a, b, c: {hops:?}");
        let f = |h: &Value, k: &str| h[k].as_f64().unwrap();
        // Each hop: the way there and back, and its time at the component
        // outside the call it waits for; summed over the chain, the latency.
        let mut sum = 0.0;
        for (i, h) in hops.iter().enumerate() {
            assert_eq!(h["critical"], true);
            let returned = f(h, "end_ms") + f(h, "back_ms");
            let mut own = returned - f(h, "send_ms");
            if let Some(child) = hops.get(i + 1) {
                assert_eq!(child["parent"].as_u64(), Some(i as u64));
                own -= f(child, "end_ms") + f(child, "back_ms") - f(child, "send_ms");
            }
            assert!(own >= -1e-9, "hop {i}: {own} ms");
            sum += own;
        }
        let latency = f(request, "latency_ms");
        assert!(
            (sum - latency).abs() < 1e-6,
            "{sum} ms of hops, {latency} ms of latency"
        );
        // Four hops between machines, there and back: 1 ms each.
        let network: f64 = hops
            .iter()
            .map(|h| f(h, "arrive_ms") - f(h, "send_ms") + f(h, "back_ms"))
            .sum();
        assert!((network - 6.0).abs() < 1e-9, "{network} ms of network");
        checked += 1;
    }
    assert!(checked > 1000, "{checked} journeys");
    let shares: f64 = ["lb", "a", "b", "c"]
        .iter()
        .map(|c| number(&results[0], &format!("components.{c}.critical_path.share")))
        .sum();
    assert!((shares - 1.0).abs() < 1e-4, "{shares}");
    let network = number(&results[0], "components.c.critical_path.network");
    let mean = number(&results[0], "latency_ms.mean");
    // c's part of the network is its 2 ms over the mean latency.
    assert!(
        (network - 2.0 / mean).abs() < 0.02,
        "{network} against {}",
        2.0 / mean
    );
}

#[test]
fn of_a_parallel_fan_out_only_the_slowest_branch_is_on_the_critical_path() {
    let dir = TempDir::new().unwrap();
    let yaml = "
name: fan-out
seed: 2
duration: 20s
warmup: 1s
traffic: {rate: 50/s}
entry: front
network: {latency: 1ms}
components:
  front: {kind: server, cores: 8, work: 1ms, service: deterministic, fanout: parallel, calls: [fast, slow]}
  fast: {kind: server, cores: 8, work: 1ms, service: deterministic}
  slow: {kind: server, cores: 8, work: 5ms, service: deterministic}
";
    let file = scenario(&dir, "fan", yaml);
    let (results, bytes) = traced(&dir, &file, "fan.jsonl", &["--trace-sample", "1"]);
    let r = &results[0];
    assert_eq!(number(r, "components.fast.critical_path.share"), 0.0);
    // 1 ms at front, then 2 ms of network and 5 ms at slow: 8 ms in all.
    for (path, expected) in [
        ("components.front.critical_path.service", 1.0 / 8.0),
        ("components.slow.critical_path.service", 5.0 / 8.0),
        ("components.slow.critical_path.network", 2.0 / 8.0),
    ] {
        assert!((number(r, path) - expected).abs() < 1e-6, "{path}");
    }
    let parsed = lines(&bytes);
    let fast: Vec<&Value> = parsed.iter().filter(|l| l["component"] == "fast").collect();
    assert!(!fast.is_empty());
    assert!(fast
        .iter()
        .all(|h| h["critical"] == false && h["parent"] == 0));
    assert!(parsed
        .iter()
        .filter(|l| l["component"] == "slow" && l["outcome"] == "ok")
        .all(|h| h["critical"] == true));
}

#[test]
fn a_call_the_caller_did_not_wait_for_is_an_unanswered_hop() {
    let dir = TempDir::new().unwrap();
    let yaml = "
name: first-answer
seed: 2
duration: 10s
warmup: 1s
traffic: {rate: 50/s}
entry: front
network: {latency: 1ms}
components:
  front: {kind: server, cores: 8, work: 1ms, service: deterministic, calls: {request: {parallel: [fast, slow], wait: 1}}}
  fast: {kind: server, cores: 8, work: 1ms, service: deterministic}
  slow: {kind: server, cores: 8, work: 50ms, service: deterministic}
";
    let file = scenario(&dir, "first", yaml);
    let (_, bytes) = traced(&dir, &file, "first.jsonl", &["--trace-sample", "1"]);
    let parsed = lines(&bytes);
    let slow: Vec<&Value> = parsed.iter().filter(|l| l["component"] == "slow").collect();
    assert!(!slow.is_empty());
    // The answer leaves after the fast branch: the slow one has no answer yet.
    for hop in slow {
        assert_eq!(hop["outcome"], "unanswered", "{hop}");
        assert!(hop["end_ms"].is_null(), "{hop}");
    }
}

#[test]
fn the_sample_holds_the_asked_share_of_requests() {
    let dir = TempDir::new().unwrap();
    let file = scenario(&dir, "chain", CHAIN);
    let p = 0.03;
    let (results, bytes) = traced(&dir, &file, "sample.jsonl", &["--trace-sample", "0.03"]);
    let sampled = lines(&bytes)
        .iter()
        .filter(|l| l["type"] == "request")
        .count() as f64;
    // No warm-up and no retries: every offered request is one attempt.
    let offered = number(&results[0], "requests.offered");
    let sd = (offered * p * (1.0 - p)).sqrt();
    // 4.4 standard deviations: a false alarm once in 100,000 runs.
    assert!(
        (sampled - p * offered).abs() < 4.4 * sd,
        "{sampled} sampled of {offered}, expected {} ± {}",
        p * offered,
        4.4 * sd
    );
    assert_eq!(number(&results[0], "critical_path.requests"), sampled);
}

#[test]
fn without_a_sample_the_results_have_no_critical_path() {
    let mut args = vec!["scenarios/one-big-server.yaml"];
    args.extend(SHORT);
    let results = run_json(&args).json;
    assert!(results[0].get("critical_path").is_none());
    let components = results[0]["components"].as_object().unwrap();
    assert!(components
        .values()
        .all(|c| c.get("critical_path").is_none()));
}

#[test]
fn a_sample_outside_zero_to_one_is_bad_input_naming_the_flag() {
    for bad in ["0", "1.5", "-0.1", "nan", "inf", "half"] {
        let out = TempDir::new().unwrap();
        scalesim()
            .args(["run", "scenarios/one-big-server.yaml"])
            .arg(format!("--trace-sample={bad}"))
            .arg("--out")
            .arg(out.path())
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--trace-sample"))
            .stderr(predicate::str::contains("greater than 0 and at most 1"))
            .stderr(predicate::str::contains("panicked").not());
        assert!(!out.path().join("results.json").exists());
    }
}

#[test]
fn a_folder_as_the_journeys_file_is_bad_input() {
    let out = TempDir::new().unwrap();
    scalesim()
        .args(["run", "scenarios/one-big-server.yaml", "--trace"])
        .arg(out.path())
        .arg("--out")
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--trace"))
        .stderr(predicate::str::contains("not a folder"));
}

/// A small scenario to run with a `--trace` that must be refused.
const TINY: &str = "
name: tiny
seed: 1
duration: 2s
warmup: 0s
traffic: {rate: 50/s}
entry: web
components:
  web: {kind: server, cores: 1, work: 2ms}
";

/// Runs `run FILE --trace TRACE --out OUT`, checks it is refused as bad
/// input with a message naming `--trace` and saying `why`, and that no run
/// wrote results into `out`.
fn refused(file: &Path, trace: &Path, out: &Path, why: &str) {
    scalesim()
        .arg("run")
        .arg(file)
        .arg("--trace")
        .arg(trace)
        .arg("--out")
        .arg(out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "--trace {}",
            trace.display()
        )))
        .stderr(predicate::str::contains(why))
        .stderr(predicate::str::contains("panicked").not());
    assert!(!out.join("results.json").exists());
}

#[test]
fn the_scenario_file_as_the_journeys_file_is_refused_and_left_untouched() {
    // See: `run victim.yaml --trace victim.yaml` replaced the scenario with its journeys.
    let dir = TempDir::new().unwrap();
    let file = PathBuf::from(scenario(&dir, "victim", TINY));
    let out = dir.path().join("out");
    // The same file, however it is written.
    let spellings = [file.clone(), dir.path().join(".").join("victim.yaml")];
    for trace in &spellings {
        refused(&file, trace, &out, "is the scenario file");
    }
    #[cfg(unix)]
    {
        let link = dir.path().join("link.yaml");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        refused(&file, &link, &out, "is the scenario file");
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), TINY);
}

#[test]
fn the_arrivals_a_scenario_replays_as_the_journeys_file_are_refused_and_left_untouched() {
    let dir = TempDir::new().unwrap();
    let arrivals = "0.1\n0.2\n0.5\n";
    std::fs::write(dir.path().join("arrivals.csv"), arrivals).unwrap();
    let replay = TINY.replace("traffic: {rate: 50/s}", "traffic: {trace: arrivals.csv}");
    let file = PathBuf::from(scenario(&dir, "replay", &replay));
    let out = dir.path().join("out");
    let trace = dir.path().join("arrivals.csv");
    refused(
        &file,
        &trace,
        &out,
        "is the arrivals file arrivals.csv that a scenario replays",
    );
    assert_eq!(std::fs::read_to_string(&trace).unwrap(), arrivals);
}

#[cfg(unix)]
#[test]
fn a_fifo_as_the_journeys_file_is_refused_and_left_a_fifo() {
    // See: `--trace FIFO` renamed a plain file over the FIFO (and over a device).
    use std::os::unix::fs::FileTypeExt;
    let dir = TempDir::new().unwrap();
    let file = PathBuf::from(scenario(&dir, "tiny", TINY));
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&fifo, &link).unwrap();
    for trace in [&fifo, &link] {
        refused(&file, trace, &dir.path().join("out"), "found a FIFO");
    }
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
}

#[test]
fn a_journeys_file_inside_the_out_folder_is_refused_and_left_untouched() {
    // See: journeys written into --out were not in its manifest, so the
    // next run left them beside its own results.
    let dir = TempDir::new().unwrap();
    let file = PathBuf::from(scenario(&dir, "tiny", TINY));
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let trace = out.join("journeys.jsonl");
    std::fs::write(&trace, "kept\n").unwrap();
    refused(&file, &trace, &out, "is inside the --out folder");
    assert_eq!(std::fs::read_to_string(&trace).unwrap(), "kept\n");
}

#[test]
fn the_out_folder_as_the_journeys_file_is_refused_before_it_exists() {
    // See: `--out NEW --trace NEW` ran every run, then failed with exit 1.
    let dir = TempDir::new().unwrap();
    let file = PathBuf::from(scenario(&dir, "tiny", TINY));
    let new = dir.path().join("new");
    refused(&file, &new, &new, "is the --out folder");
    refused(&file, &new, &new.join("results"), "would be inside it");
    assert!(!new.exists());
}

#[test]
fn a_journeys_file_in_a_missing_folder_is_refused_and_no_folder_is_made() {
    // See: `--trace /nonexistent/dir/t.jsonl` created the folders.
    let dir = TempDir::new().unwrap();
    let file = PathBuf::from(scenario(&dir, "tiny", TINY));
    let missing = dir.path().join("missing");
    let trace = missing.join("deeper").join("t.jsonl");
    let why = format!(
        "the folder {} does not exist",
        missing.join("deeper").display()
    );
    refused(&file, &trace, &dir.path().join("out"), &why);
    assert!(!missing.exists());
    // Under a file, the message says so.
    refused(
        &file,
        &file.join("t.jsonl"),
        &dir.path().join("out"),
        "is a file, not a folder",
    );
}

#[test]
fn an_existing_regular_file_is_replaced_by_the_journeys() {
    let dir = TempDir::new().unwrap();
    let file = scenario(&dir, "tiny", TINY);
    std::fs::write(dir.path().join("old.jsonl"), "old\n").unwrap();
    let (_, bytes) = traced(&dir, &file, "old.jsonl", &["--trace-sample", "1"]);
    let parsed = lines(&bytes);
    assert!(!parsed.is_empty());
    assert!(parsed.iter().all(|l| l["scenario"] == "tiny"));
}
