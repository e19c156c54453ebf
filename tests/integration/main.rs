//! Integration tests of the `scalesim` binary: its commands and exit codes, the
//! gallery of bad scenario files in `tests/bad/`, the gallery of damaged and
//! edited shard files, the determinism of results, the shape of the cluster
//! examples, the output shown in the README, the report's table of the
//! figures of request types, edges and cron entries, and the lessons of the
//! bundled scenarios (each knob moves its figures the way the scenario says).
//!
//! Every test runs the built binary in the crate's root folder, so file names in
//! messages read as they do for a user (`tests/bad/zero_cores.yaml:11:5: ...`).

// A test that cannot read its own output should stop right there, loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod cluster_examples;
mod compare_sweep;
mod concepts;
mod determinism;
mod explain;
mod guard_rails;
mod hostile_shards;
mod journeys;
mod knobs;
mod layers;
mod lessons;
mod output_folder;
mod plan;
mod progress;
mod readme;
mod report_figures;
mod robustness;
mod scenario_errors;
mod serve;
mod shard;
mod traces;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// Overrides that shorten a run, so that the suite stays fast.
pub const SHORT: [&str; 4] = ["--set", "duration=20s", "--set", "warmup=2s"];

/// What [`SHORT`] adds to a scenario's name: a result is labelled with the
/// changes made to its file.
pub const SHORT_LABEL: &str = " [duration=20s, warmup=2s]";

/// Returns the crate's root folder, where `scenarios/` and `tests/bad/` live.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Returns a `scalesim` command that runs in the crate's root folder.
pub fn scalesim() -> Command {
    let mut cmd = Command::cargo_bin("scalesim").expect("the scalesim binary is built");
    cmd.current_dir(root());
    cmd
}

/// Returns the bundled scenario files as `scenarios/NAME.yaml`, sorted.
pub fn bundled_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/ exists")
        .map(|entry| entry.expect("scenarios/ is readable").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .map(|path| format!("scenarios/{}", path.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no bundled scenarios in scenarios/");
    files
}

/// What a successful `scalesim run --json` left behind.
pub struct RunOutput {
    /// The results printed on stdout, parsed.
    pub json: Value,
    /// The raw bytes of `results.json` in the output folder.
    pub file: Vec<u8>,
    /// The raw bytes printed on stdout.
    pub stdout: Vec<u8>,
}

/// Runs `scalesim run ARGS --json --out TMP`, checks it succeeded, and returns its results.
pub fn run_json(args: &[&str]) -> RunOutput {
    let out = TempDir::new().unwrap();
    let assert = scalesim()
        .arg("run")
        .args(args)
        .arg("--json")
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let stdout = assert.get_output().stdout.clone();
    let json: Value = serde_json::from_slice(&stdout).unwrap_or_else(|e| {
        panic!(
            "`run {args:?} --json` did not print valid JSON ({e}):\n{}",
            String::from_utf8_lossy(&stdout)
        )
    });
    let file = std::fs::read(out.path().join("results.json"))
        .expect("run writes results.json in the --out folder");
    RunOutput { json, file, stdout }
}

/// Returns the value at a dotted `path` (`latency_ms.p99`), failing the test when it is absent.
pub fn at<'a>(value: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(value, |node, key| {
        node.get(key)
            .unwrap_or_else(|| panic!("results have no `{path}` (no `{key}` in {node})"))
    })
}

/// Returns the number at a dotted `path`, failing the test when it is absent or not a number.
pub fn number(value: &Value, path: &str) -> f64 {
    at(value, path)
        .as_f64()
        .unwrap_or_else(|| panic!("`{path}` is not a number: {}", at(value, path)))
}

/// Returns a scenario whose `n` components form one chain from the entry:
/// `s0` to `s{n-2}`, each of `kind` (`proxy` or `server`), passing each
/// request to the next, and the server `s{n-1}` at the end.
pub fn chain(n: usize, kind: &str) -> String {
    let mut text = String::from(
        "name: chain\nduration: 2s\nwarmup: 0s\ntraffic: {rate: 10/s}\nentry: s0\n\
         network: {latency: 0ms}\ncomponents:\n",
    );
    for i in 0..n - 1 {
        let next = i + 1;
        text.push_str(&match kind {
            "proxy" => format!("  s{i}: {{kind: proxy, targets: s{next}}}\n"),
            _ => format!("  s{i}: {{kind: {kind}, work: 1us, calls: [s{next}]}}\n"),
        });
    }
    text.push_str(&format!("  s{}: {{kind: server, work: 1us}}\n", n - 1));
    text
}
