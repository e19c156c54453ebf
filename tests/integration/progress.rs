//! The progress bar within runs: shown on a terminal, moved by the simulated
//! time of a single long run, and never written under `--quiet` or `--json`.

use std::process::Command;

use predicates::prelude::*;
use tempfile::TempDir;

use crate::{root, scalesim};

/// One run of an hour of simulated time: about a second, several redraws.
const LONG_RUN: &[&str] = &["run", "one-big-server", "--set", "duration=1h"];

/// What the bar says of the simulated time of [`LONG_RUN`].
const BAR: &str = "of 1h 00m simulated";

#[test]
fn quiet_writes_nothing_on_stderr_during_a_long_run() {
    let out = TempDir::new().unwrap();
    scalesim()
        .args(LONG_RUN)
        .arg("--quiet")
        .arg("--out")
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::is_empty());
}

/// Runs `scalesim ARGS` on a pseudo-terminal (through util-linux's `script`,
/// which Debian always has) and returns what the terminal received: stdout
/// and stderr together.
#[cfg(target_os = "linux")]
fn on_a_terminal(args: &[&str]) -> String {
    let out = TempDir::new().unwrap();
    let binary = assert_cmd::cargo::cargo_bin("scalesim");
    let mut line = format!("'{}'", binary.display());
    for arg in args {
        line.push_str(&format!(" '{arg}'"));
    }
    line.push_str(&format!(" --out '{}'", out.path().display()));
    let output = Command::new("script")
        .current_dir(root())
        .env("TERM", "xterm")
        .args(["-qec", &line, "/dev/null"])
        .output()
        .expect("util-linux's `script` runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[cfg(target_os = "linux")]
#[test]
fn a_terminal_shows_the_simulated_time_of_a_single_run() {
    let seen = on_a_terminal(LONG_RUN);
    assert!(seen.contains(BAR), "{seen}");
    // The percentages drawn while the only run was still running.
    let during: Vec<u32> = seen
        .split(['\r', '\n'])
        .filter(|line| line.contains("0/1 runs") && line.contains(BAR))
        .filter_map(|line| {
            let (before, _) = line.split_once('%')?;
            before.rsplit(' ').next()?.parse().ok()
        })
        .collect();
    assert!(
        during.iter().any(|p| (1..100).contains(p)),
        "the bar did not move within the run: {during:?}\n{seen}"
    );
    assert!(during.windows(2).all(|w| w[0] <= w[1]), "{during:?}");
    assert!(seen.contains("writing results to"), "{seen}");
}

#[cfg(target_os = "linux")]
#[test]
fn quiet_or_json_hide_the_bar_even_on_a_terminal() {
    let quiet = on_a_terminal(&[LONG_RUN, &["--quiet"]].concat());
    assert_eq!(quiet, "", "a quiet run wrote to the terminal");
    let json = on_a_terminal(&[LONG_RUN, &["--json"]].concat());
    assert!(!json.contains(BAR), "{json}");
    assert!(json.trim_start().starts_with('['), "{json}");
}
