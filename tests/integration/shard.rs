//! `sweep --shard K/N` and `merge`: shards run as separate processes merge into
//! the very bytes of the unsharded sweep, and merge refuses incomplete or
//! mismatched sets of shards with bad-input errors naming the problem.

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

use crate::scalesim;

/// A small sweep: 2 points x 3 replications of short runs (about a second in all).
pub(crate) const SWEEP: &[&str] = &[
    "sweep",
    "scenarios/one-big-server.yaml",
    "--vary",
    "components.box.cores=8,10",
    "--replications",
    "3",
    "--set",
    "duration=5s",
    "--set",
    "warmup=1s",
];

/// Runs the small sweep with `extra` arguments, writing into `out`.
pub(crate) fn sweep(extra: &[&str], out: &Path) {
    scalesim()
        .args(SWEEP)
        .args(extra)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .assert()
        .success();
}

/// Runs `merge` on `inputs` (folders or partial files) into `out`.
pub(crate) fn merge(inputs: &[&Path], out: &Path) -> assert_cmd::assert::Assert {
    scalesim()
        .arg("merge")
        .args(inputs)
        .arg("--out")
        .arg(out)
        .assert()
}

/// Runs shard `k` of `n` of the small sweep into `out`; returns its partial file.
pub(crate) fn shard(k: u64, n: u64, extra: &[&str], out: &Path) -> PathBuf {
    sweep(&[&["--shard", &format!("{k}/{n}")], extra].concat(), out);
    let file = out.join(format!("shard-{k}-of-{n}.json"));
    assert!(file.is_file(), "shard {k}/{n} wrote no {}", file.display());
    file
}

/// Returns the names of the files in `dir`, sorted.
pub(crate) fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The manifest of a folder of results.
const MANIFEST: &str = "results.manifest.json";

/// Returns the files (names and sizes) that the manifest in `dir` lists.
fn manifest_files(dir: &Path) -> Value {
    let text = std::fs::read(dir.join(MANIFEST)).unwrap();
    serde_json::from_slice::<Value>(&text).unwrap()["files"].clone()
}

#[test]
fn shards_in_separate_processes_merge_into_the_bytes_of_the_whole_sweep() {
    let tmp = TempDir::new().unwrap();
    let whole = tmp.path().join("whole");
    sweep(&[], &whole);
    // Each shard in its own process and folder, as on a cluster. With 6 runs
    // dealt round robin, every shard holds runs of both points.
    let shards: Vec<PathBuf> = (1..=3)
        .map(|k| tmp.path().join("shards").join(k.to_string()))
        .collect();
    for (k, dir) in (1..=3).zip(&shards) {
        shard(k, 3, &[], dir);
        assert_eq!(names(dir), [format!("shard-{k}-of-3.json")]);
    }
    let merged = tmp.path().join("merged");
    // A folder or a partial file itself may be named.
    let assert = scalesim()
        .arg("merge")
        .arg(&shards[0])
        .arg(&shards[1])
        .arg(shards[2].join("shard-3-of-3.json"))
        .arg("--out")
        .arg(&merged)
        .arg("--json")
        .assert()
        .success();
    let files = names(&whole);
    for expected in ["results.json", "results.csv", "report.html"] {
        assert!(
            files.iter().any(|f| f == expected),
            "no {expected} in {files:?}"
        );
    }
    let charts = files
        .iter()
        .filter(|f| f.ends_with(".png") || f.ends_with(".svg"))
        .count();
    assert_eq!(charts, 8, "4 metrics x (PNG, SVG): {files:?}");
    assert_eq!(names(&merged), files, "merge wrote other files than sweep");
    // Every file is compared, the report included: nothing in them depends on
    // the time or the machine. Only the manifest names its run (process id and
    // time); the files it lists, with their sizes, are the same.
    assert_eq!(manifest_files(&whole), manifest_files(&merged));
    for file in files.iter().filter(|f| *f != MANIFEST) {
        let a = std::fs::read(whole.join(file)).unwrap();
        let b = std::fs::read(merged.join(file)).unwrap();
        assert!(
            a == b,
            "{file} differs between the whole sweep and the merged shards"
        );
    }
    // --json prints the results, as `sweep --json` does.
    assert_eq!(
        assert.get_output().stdout,
        std::fs::read(whole.join("results.json")).unwrap()
    );
}

#[test]
fn shards_in_one_folder_merge_by_naming_the_folder() {
    let tmp = TempDir::new().unwrap();
    let whole = tmp.path().join("whole");
    sweep(&["--metric", "latency_ms.p99"], &whole);
    let shards = tmp.path().join("shards");
    for k in 1..=2 {
        shard(k, 2, &["--metric", "latency_ms.p99"], &shards);
    }
    let merged = tmp.path().join("merged");
    scalesim()
        .arg("merge")
        .arg(&shards)
        .arg("--out")
        .arg(&merged)
        .arg("--quiet")
        .assert()
        .success()
        .stdout(predicate::str::is_empty());
    for file in names(&whole).into_iter().filter(|f| f != MANIFEST) {
        assert!(
            std::fs::read(whole.join(&file)).unwrap() == std::fs::read(merged.join(&file)).unwrap(),
            "{file} differs"
        );
    }
}

#[test]
fn merge_names_a_missing_shard() {
    let tmp = TempDir::new().unwrap();
    let shards = tmp.path().join("shards");
    shard(1, 3, &[], &shards);
    shard(3, 3, &[], &shards);
    let merged = tmp.path().join("merged");
    merge(&[&shards], &merged)
        .code(2)
        .stderr(predicate::str::contains("shard 2 of 3 is missing"))
        .stderr(predicate::str::contains("shard-2-of-3.json"));
    assert!(!merged.join("results.json").exists());
    merge(&[&shards.join("shard-1-of-3.json")], &merged)
        .code(2)
        .stderr(predicate::str::contains("shards 2 and 3 of 3 are missing"));
}

#[test]
fn merge_names_a_shard_with_runs_missing() {
    let tmp = TempDir::new().unwrap();
    let shards = tmp.path().join("shards");
    let one = shard(1, 2, &[], &shards);
    shard(2, 2, &[], &shards);
    // What a shard stopped by Ctrl-C leaves: fewer runs than it was dealt,
    // and the file says it was stopped.
    let mut partial: Value = serde_json::from_slice(&std::fs::read(&one).unwrap()).unwrap();
    let runs = partial["runs"].as_array_mut().unwrap();
    assert_eq!(runs.len(), 3);
    runs.pop();
    partial["stopped_early"] = Value::Bool(true);
    crate::hostile_shards::write_sealed(&one, partial);
    merge(&[&shards], &tmp.path().join("merged"))
        .code(2)
        .stderr(predicate::str::contains(
            "shard 1 of 2 is incomplete: 2 of its 3 runs finished",
        ));
}

#[test]
fn merge_refuses_shards_of_different_sweeps() {
    let tmp = TempDir::new().unwrap();
    let a = shard(1, 2, &[], &tmp.path().join("a"));
    // The same grid on another seed: other results, so another sweep.
    let b = shard(2, 2, &["--seed", "7"], &tmp.path().join("b"));
    merge(&[&a, &b], &tmp.path().join("merged"))
        .code(2)
        .stderr(predicate::str::contains("shard of another sweep"))
        .stderr(predicate::str::contains("shard-2-of-2.json"));
    // The same sweep cut in 2 and in 3.
    let c = shard(2, 3, &[], &tmp.path().join("c"));
    merge(&[&a, &c], &tmp.path().join("merged"))
        .code(2)
        .stderr(predicate::str::contains("every shard must use the same N"));
    // Two copies of one shard.
    let d = shard(1, 2, &[], &tmp.path().join("d"));
    merge(&[&a, &d], &tmp.path().join("merged"))
        .code(2)
        .stderr(predicate::str::contains("shard 1 of 2 is given twice"));
    assert!(!tmp.path().join("merged").join("results.json").exists());
}

#[test]
fn bad_shard_text_is_bad_input() {
    for (text, reason) in [
        ("0/3", "numbered from 1"),
        ("4/3", "between 1 and 3"),
        ("x", "expected K/N"),
    ] {
        let out = TempDir::new().unwrap();
        scalesim()
            .args(SWEEP)
            .args(["--shard", text, "--out"])
            .arg(out.path())
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--shard"))
            .stderr(predicate::str::contains(reason))
            .stderr(predicate::str::contains("panicked").not());
        assert!(names(out.path()).is_empty(), "--shard {text} wrote files");
    }
}

#[test]
fn merge_refuses_what_is_not_a_set_of_shards() {
    let tmp = TempDir::new().unwrap();
    scalesim()
        .arg("merge")
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no shard files"));
    scalesim()
        .arg("merge")
        .arg(tmp.path().join("nowhere"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no such file or folder"));
    let junk = tmp.path().join("shard-1-of-1.json");
    std::fs::write(&junk, "{\"results\": []}").unwrap();
    scalesim()
        .arg("merge")
        .arg(&junk)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a shard of a sweep"));
    let shards = tmp.path().join("shards");
    shard(1, 1, &[], &shards);
    scalesim()
        .arg("merge")
        .arg(&shards)
        .args(["--seed", "3", "--out"])
        .arg(tmp.path().join("merged"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--seed"));
}

/// Ctrl-C stops a shard cleanly: it writes the runs it finished (none here),
/// exits with 130, and merge names the shard as incomplete.
#[cfg(unix)]
#[test]
fn an_interrupted_shard_writes_what_it_finished_and_merge_refuses_it() {
    stopped_shard_is_incomplete("-INT");
}

/// A scheduler's `SIGTERM` (Slurm at a time limit, Kubernetes evicting a pod)
/// is handled like Ctrl-C.
#[cfg(unix)]
#[test]
fn a_terminated_shard_writes_what_it_finished_and_merge_refuses_it() {
    stopped_shard_is_incomplete("-TERM");
}

/// Sends `signal` to a running shard and checks what it leaves behind.
#[cfg(unix)]
fn stopped_shard_is_incomplete(signal: &str) {
    let tmp = TempDir::new().unwrap();
    let shards = tmp.path().join("shards");
    let bin = assert_cmd::cargo::cargo_bin("scalesim");
    // Runs of an hour of simulated time: far longer than the wait below.
    let child = std::process::Command::new(bin)
        .current_dir(crate::root())
        .args(&SWEEP[..6])
        .args([
            "--set",
            "duration=1h",
            "--jobs",
            "1",
            "--shard",
            "1/1",
            "--quiet",
        ])
        .arg("--out")
        .arg(&shards)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let killed = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{signal}: {stderr}");
    assert!(stderr.contains("interrupted"), "{signal}: {stderr}");
    assert!(shards.join("shard-1-of-1.json").is_file());
    merge(&[&shards], &tmp.path().join("merged"))
        .code(2)
        .stderr(predicate::str::contains("shard 1 of 1 is incomplete"));
}
