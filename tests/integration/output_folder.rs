//! The folder of results (`--out`): never a mix of two runs, whatever happens
//! while it is written: two processes at once, a termination signal, a full
//! disk. A folder with `results.manifest.json` holds exactly the files it
//! lists, all from one run; files scalesim did not write are never removed.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

use crate::{root, scalesim};

/// The manifest's name.
const MANIFEST: &str = "results.manifest.json";

/// The hidden list of the files a write stopped part-way left.
const JOURNAL: &str = ".scalesim.journal";

/// A short run of a bundled scenario (about 0.1 s).
const RUN: &[&str] = &[
    "run",
    "scenarios/one-big-server.yaml",
    "--set",
    "duration=20s",
    "--set",
    "warmup=2s",
];

/// A short sweep, whose files differ from the run's (`sweep_*.png`...).
const SWEEP: &[&str] = &[
    "sweep",
    "scenarios/one-big-server.yaml",
    "--vary",
    "components.box.cores=4,8",
    "--replications",
    "1",
    "--set",
    "duration=20s",
    "--set",
    "warmup=2s",
];

/// Returns a `scalesim` process (not started) with `args`, in the crate's root.
fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("scalesim"));
    cmd.current_dir(root()).args(args);
    cmd
}

/// Runs `scalesim ARGS --out OUT --quiet` and checks that it succeeds.
fn write(args: &[&str], out: &Path) {
    scalesim()
        .args(args)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .assert()
        .success();
}

/// Returns the names of the files in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Returns the run's process id and the files `dir`'s manifest lists, sorted.
fn manifest(dir: &Path) -> (u64, Vec<String>) {
    let value: Value = serde_json::from_slice(&std::fs::read(dir.join(MANIFEST)).unwrap()).unwrap();
    let mut files: Vec<String> = value["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    files.sort();
    (value["run"]["pid"].as_u64().unwrap(), files)
}

/// Checks that `dir` holds one whole run beside the `foreign` files: a
/// manifest listing exactly the other files, no temporary file and no lock;
/// returns the files listed.
fn assert_whole(dir: &Path, foreign: &[&str]) -> Vec<String> {
    let (_, listed) = manifest(dir);
    let present: Vec<String> = names(dir)
        .into_iter()
        .filter(|n| n != MANIFEST && !foreign.contains(&n.as_str()))
        .collect();
    assert_eq!(listed, present, "the manifest lists the files present");
    listed
}

/// Checks that the files `names` are the same in `dir` and in `other`, byte for byte.
fn assert_same_files(dir: &Path, other: &Path, names: &[String]) {
    for name in names {
        let (a, b) = (dir.join(name), other.join(name));
        assert!(
            std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
            "{} and {} differ",
            a.display(),
            b.display()
        );
    }
}

/// Checks that `dir` has no hidden file but the `foreign` ones (no temporary
/// file, no lock).
fn assert_no_leftovers(dir: &Path, foreign: &[&str]) {
    for name in names(dir) {
        assert!(
            !name.starts_with('.') || foreign.contains(&name.as_str()),
            "{name} left in {}",
            dir.display()
        );
    }
}

/// Waits for `child` and returns its exit status and stderr.
fn finish(child: Child) -> (Option<i32>, String) {
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr)
}

#[test]
fn two_runs_into_one_folder_at_once_leave_one_whole_run() {
    let tmp = TempDir::new().unwrap();
    let shared = tmp.path().join("shared");
    let solo = |seed: &str| {
        let out = tmp.path().join(format!("solo-{seed}"));
        write(&[RUN, &["--seed", seed]].concat(), &out);
        out
    };
    let solos = [solo("1"), solo("2")];
    // A few rounds, so that the two often write at the same moment.
    for round in 0..3 {
        let children: Vec<(u64, Child)> = ["1", "2"]
            .iter()
            .map(|seed| {
                let child = command(&[RUN, &["--seed", seed, "--quiet", "--out"]].concat())
                    .arg(&shared)
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                (u64::from(child.id()), child)
            })
            .collect();
        let pids: Vec<u64> = children.iter().map(|(pid, _)| *pid).collect();
        for (_, child) in children {
            let (code, stderr) = finish(child);
            assert_eq!(code, Some(0), "round {round}: {stderr}");
        }
        let listed = assert_whole(&shared, &[]);
        assert_no_leftovers(&shared, &[]);
        // The run whose process wrote the manifest wrote every file listed.
        let (pid, _) = manifest(&shared);
        let winner = pids
            .iter()
            .position(|p| *p == pid)
            .expect("a pid of the two runs");
        assert_same_files(&shared, &solos[winner], &listed);
        assert_eq!(listed, manifest(&solos[winner]).1);
    }
}

#[test]
fn a_run_waits_for_the_process_that_holds_the_folder() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path();
    let lock = std::fs::File::create(out.join(".scalesim.lock")).unwrap();
    lock.lock().unwrap();
    let started = Instant::now();
    let child = command(&[RUN, &["--quiet", "--out"]].concat())
        .arg(out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        names(out),
        [".scalesim.lock"],
        "nothing written while locked"
    );
    drop(lock);
    let (code, stderr) = finish(child);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert_whole(out, &[]);
    assert_no_leftovers(out, &[]);
}

#[test]
fn a_new_run_replaces_the_previous_one_and_keeps_foreign_files() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path();
    std::fs::write(out.join(".gitkeep"), "").unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    write(SWEEP, out);
    let swept = assert_whole(out, &[".gitkeep", "notes.txt"]);
    assert!(
        swept.contains(&"sweep_latency_ms_p99.png".to_string()),
        "{swept:?}"
    );
    write(RUN, out);
    let ran = assert_whole(out, &[".gitkeep", "notes.txt"]);
    assert!(!ran.iter().any(|n| n.starts_with("sweep_")), "{ran:?}");
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert!(out.join(".gitkeep").is_file());
}

#[test]
fn out_naming_a_file_is_bad_input_before_any_run() {
    let tmp = TempDir::new().unwrap();
    let file = tmp.path().join("notes.txt");
    std::fs::write(&file, "mine").unwrap();
    // A run of 100 simulated hours: the check comes first, or the test hangs.
    for out in [file.clone(), file.join("inside")] {
        scalesim()
            .args([
                "run",
                "scenarios/one-big-server.yaml",
                "--set",
                "duration=100h",
            ])
            .arg("--out")
            .arg(&out)
            .timeout(Duration::from_secs(20))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "--out {}: {} is a file, not a folder",
                out.display(),
                file.display()
            )));
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}

/// A sweep that simulates in about a second and then draws for several
/// seconds: 20 charts of a 64 x 100 grid.
fn slow_to_draw_sweep() -> Vec<String> {
    let rates: Vec<String> = (1..=100).map(|i| format!("{}/s", i * 20)).collect();
    let mut args: Vec<String> = [
        "sweep",
        "scenarios/one-big-server.yaml",
        "--vary",
        "components.box.cores=1:64:1",
        "--replications",
        "1",
        "--set",
        "duration=10ms",
        "--set",
        "warmup=0s",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push("--vary".into());
    args.push(format!("traffic.rate={}", rates.join(",")));
    for metric in [
        "throughput_rps",
        "availability",
        "latency_ms.mean",
        "latency_ms.p50",
        "latency_ms.p90",
        "latency_ms.p99",
        "latency_ms.p999",
        "latency_ms.max",
        "wait_ms.mean",
        "wait_ms.p50",
        "wait_ms.p99",
        "wait_ms.p_wait",
        "cost_per_hour",
        "cost_per_million",
        "components.box.utilization",
        "components.box.mean_queue",
        "components.box.completed",
        "components.box.rejected",
        "requests.offered",
        "requests.completed",
    ] {
        args.push("--metric".into());
        args.push(metric.into());
    }
    args
}

#[cfg(unix)]
#[test]
fn sigterm_while_writing_stops_within_a_second_and_mixes_nothing() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join(".gitkeep"), "").unwrap();
    write(RUN, &out);
    let before = tmp.path().join("before");
    write(RUN, &before);
    let mut child = command(&[])
        .args(slow_to_draw_sweep())
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The line that says the writing began, then a little of the writing.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("writing results to") {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "no writing: {seen}"
        );
        seen.push_str(&line);
    }
    std::thread::sleep(Duration::from_millis(200));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let signalled = Instant::now();
    let status = child.wait().unwrap();
    let took = signalled.elapsed();
    std::io::Read::read_to_string(&mut stderr, &mut seen).unwrap();
    assert_eq!(status.code(), Some(130), "{seen}");
    assert!(took < Duration::from_secs(2), "stopped after {took:?}");
    assert!(seen.contains("interrupted"), "{seen}");
    assert_no_leftovers(&out, &[".gitkeep", JOURNAL]);
    if out.join(MANIFEST).exists() {
        // Stopped before any file changed: the previous run, whole.
        assert!(seen.contains("is unchanged"), "{seen}");
        assert!(!out.join(JOURNAL).exists());
        let listed = assert_whole(&out, &[".gitkeep"]);
        assert_same_files(&out, &before, &listed);
    } else {
        // Stopped part-way: only files of the new sweep, and it says so.
        assert!(seen.contains("incomplete"), "{seen}");
        let sweep_files = ["results.json", "results.csv", "report.html", ".gitkeep"];
        for name in names(&out) {
            assert!(
                name.starts_with("sweep_") || sweep_files.contains(&name.as_str()),
                "{name}: a file of the previous run beside the new ones"
            );
        }
    }
}

/// Returns a `scalesim` process that can write files of at most `kib` KiB,
/// like a disk that fills up: writes beyond fail (`File too large`).
#[cfg(unix)]
fn with_file_limit(kib: u32, args: &[&str], out: &Path) -> Command {
    let mut cmd = Command::new("bash");
    cmd.current_dir(root())
        .arg("-c")
        // SIGXFSZ ignored, the write fails with EFBIG instead of killing.
        .arg(format!("trap '' XFSZ; ulimit -f {kib}; exec \"$0\" \"$@\""))
        .arg(assert_cmd::cargo::cargo_bin("scalesim"))
        .args(args)
        .arg("--out")
        .arg(out);
    cmd
}

#[cfg(unix)]
#[test]
fn a_full_disk_fails_without_leftovers_or_a_mix() {
    let tmp = TempDir::new().unwrap();
    let out: PathBuf = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join(".gitkeep"), "").unwrap();
    write(SWEEP, &out);
    // results.json (a few KiB) fits; the charts (over 100 KiB) do not.
    let output = with_file_limit(48, &[RUN, &["--quiet"]].concat(), &out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("File too large"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}: the results there are incomplete",
            out.display()
        )),
        "{stderr}"
    );
    assert_no_leftovers(&out, &[".gitkeep", JOURNAL]);
    let left = names(&out);
    assert!(!left.contains(&MANIFEST.to_string()), "{left:?}");
    assert!(left.contains(&"timeseries.csv".to_string()), "{left:?}");
    assert!(!left.iter().any(|n| n.starts_with("sweep_")), "{left:?}");
    // Another command with room: the folder is whole again, and nothing the
    // stopped run wrote (its `timeseries.csv`) stays beside the sweep.
    write(SWEEP, &out);
    let listed = assert_whole(&out, &[".gitkeep"]);
    assert!(
        !listed.contains(&"timeseries.csv".to_string()),
        "{listed:?}"
    );
    assert_no_leftovers(&out, &[".gitkeep"]);
}

/// A short comparison, whose files (`cost_vs_p99.png`, `timeseries.csv`...)
/// are partly not a sweep's.
const COMPARE: &[&str] = &[
    "compare",
    "scenarios/one-big-server.yaml",
    "scenarios/four-clones-round-robin.yaml",
    "--replications",
    "2",
    "--set",
    "duration=20s",
    "--set",
    "warmup=2s",
];

/// Runs `scalesim ARGS --out OUT` (not quiet), checks that it succeeds and
/// returns its stderr.
fn write_loud(args: &[&str], out: &Path) -> String {
    let output = scalesim()
        .args(args)
        .arg("--out")
        .arg(out)
        .assert()
        .success()
        .get_output()
        .clone();
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Returns the command `dir`'s manifest names.
fn manifest_command(dir: &Path) -> String {
    let value: Value = serde_json::from_slice(&std::fs::read(dir.join(MANIFEST)).unwrap()).unwrap();
    value["command"].as_str().unwrap().to_string()
}

#[test]
fn a_sweep_after_a_compare_removes_the_compare_files_and_says_so() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    write_loud(COMPARE, out);
    assert_eq!(manifest_command(out), "scalesim compare");
    let (_, compared) = manifest(out);
    let stderr = write_loud(SWEEP, out);
    let swept = assert_whole(out, &["notes.txt"]);
    assert_eq!(manifest_command(out), "scalesim sweep");
    let gone: Vec<&String> = compared.iter().filter(|n| !swept.contains(n)).collect();
    assert!(
        gone.iter().any(|n| *n == "cost_vs_p99.png") && gone.iter().any(|n| *n == "timeseries.csv"),
        "{gone:?}"
    );
    for name in &gone {
        assert!(
            !out.join(name).exists(),
            "{name} of the compare is still there"
        );
    }
    assert!(
        stderr.contains(&format!(
            "warning: {}: removed {} files that `scalesim compare` wrote there and `scalesim sweep` does not write",
            out.display(),
            gone.len()
        )),
        "{stderr}"
    );
    assert_eq!(stderr.matches("warning:").count(), 1, "{stderr}");
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert!(!stderr.contains("notes.txt"), "{stderr}");
}

#[test]
fn the_same_command_twice_warns_of_nothing() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    for args in [COMPARE, SWEEP] {
        write_loud(args, out);
        let stderr = write_loud(args, out);
        assert!(!stderr.contains("warning"), "{args:?}: {stderr}");
        assert!(!stderr.contains("removed"), "{args:?}: {stderr}");
    }
    assert_whole(out, &["notes.txt"]);
}

#[test]
fn quiet_hides_the_warning_but_not_the_removal() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path();
    write(COMPARE, out);
    scalesim()
        .args(SWEEP)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
    assert_eq!(manifest_command(out), "scalesim sweep");
    assert!(!out.join("cost_vs_p99.png").exists());
    assert_whole(out, &[]);
}
