//! `compare` and `sweep`: their outputs, their determinism, and the variance
//! reduction that common random numbers bring to a comparison.

use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

use crate::{number, scalesim, SHORT};
use scalesim::metrics::{paired_difference, RunSummary};
use scalesim::{runner, scenario};

const RR: &str = "scenarios/four-clones-round-robin.yaml";
const LC: &str = "scenarios/four-clones-least-connections.yaml";

/// Asserts that `stem`.png is a PNG and `stem`.svg an SVG, both of non-trivial size.
fn assert_chart(dir: &std::path::Path, stem: &str) {
    let png = std::fs::read(dir.join(format!("{stem}.png"))).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{stem}.png is not a PNG"
    );
    assert!(png.len() > 10_000, "{stem}.png is only {} bytes", png.len());
    let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
    assert!(
        svg.contains("<svg") && svg.contains("<text"),
        "{stem}.svg has no text"
    );
    assert!(svg.len() > 2_000, "{stem}.svg is only {} bytes", svg.len());
}

/// Runs `args` with `--out` in a fresh folder and returns the folder.
fn run_in_folder(args: &[&str]) -> TempDir {
    let out = TempDir::new().unwrap();
    let mut all: Vec<&str> = args.to_vec();
    let out_path = out.path().to_str().unwrap().to_string();
    all.extend(["--out", &out_path, "--quiet"]);
    scalesim().args(&all).assert().success();
    out
}

#[test]
fn compare_prints_differences_and_writes_every_output() {
    let out = TempDir::new().unwrap();
    let mut args = vec!["compare", RR, LC, "--replications", "3", "--out"];
    let out_path = out.path().to_str().unwrap().to_string();
    args.push(&out_path);
    args.extend(SHORT);
    scalesim()
        .args(&args)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Differences from `Four clones, round robin [duration=20s, warmup=2s]`",
        ))
        .stdout(predicate::str::contains("p99 latency (ms)"));
    for file in [
        "results.json",
        "results.csv",
        "timeseries.csv",
        "report.html",
    ] {
        let size = std::fs::metadata(out.path().join(file)).unwrap().len();
        assert!(size > 100, "{file} is only {size} bytes");
    }
    for chart in [
        "latency_percentiles",
        "latency_cdf",
        "throughput_availability",
        "time_series",
        "cost_vs_p99",
        "utilization",
    ] {
        assert_chart(out.path(), chart);
    }
    let results: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("results.json")).unwrap()).unwrap();
    let list = results.as_array().unwrap();
    assert_eq!(list.len(), 2);
    // Common random numbers: both scenarios ran on the first one's seed and saw
    // exactly the same arrivals.
    assert_eq!(list[0]["seed"], list[1]["seed"]);
    assert_eq!(
        number(&list[0], "requests.offered"),
        number(&list[1], "requests.offered")
    );
    assert_eq!(list[0]["replications"], Value::from(3));
}

#[test]
fn compare_of_one_scenario_is_refused() {
    scalesim()
        .args(["compare", RR])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "compare needs two scenarios or more",
        ));
}

#[test]
fn compare_says_which_seeds_it_leaves_unused_and_why_one_replication_has_no_differences() {
    let out = TempDir::new().unwrap();
    let assert = scalesim()
        .args(["compare", RR, LC])
        .args(SHORT)
        .args(["--set", "seed=7", "--replications", "1", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(!stdout.contains("Differences from"), "{stdout}");
    assert!(stdout.contains("need --replications 2 or more"), "{stdout}");
    // `--set seed=7` gives both files the same seed: nothing to warn of.
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(!stderr.contains("are not used"), "{stderr}");

    // A later file with a seed of its own is run on the first file's.
    let dir = TempDir::new().unwrap();
    let other = dir.path().join("other-seed.yaml");
    let text = std::fs::read_to_string(crate::root().join(LC)).unwrap();
    let text: String = text
        .lines()
        .map(|l| if l.starts_with("seed:") { "seed: 8" } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&other, text).unwrap();
    let assert = scalesim()
        .args(["compare", RR])
        .arg(&other)
        .args(SHORT)
        .args(["--replications", "2", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("(seed 8)"), "{stderr}");
    assert!(stderr.contains("are not used"), "{stderr}");
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(stdout.contains("Differences from"), "{stdout}");
}

#[test]
fn compare_is_identical_on_one_or_two_threads() {
    let mut args = vec!["compare", RR, LC, "--replications", "4"];
    args.extend(SHORT);
    let mut one = args.clone();
    one.extend(["--jobs", "1"]);
    let mut two = args;
    two.extend(["--jobs", "2"]);
    let (a, b) = (run_in_folder(&one), run_in_folder(&two));
    for file in ["results.json", "results.csv", "timeseries.csv"] {
        assert_eq!(
            std::fs::read(a.path().join(file)).unwrap(),
            std::fs::read(b.path().join(file)).unwrap(),
            "{file} differs between --jobs 1 and --jobs 2"
        );
    }
}

#[test]
fn sweep_writes_a_grid_csv_with_parameter_columns() {
    let mut args = vec![
        "sweep",
        "scenarios/one-big-server.yaml",
        "--vary",
        "components.box.cores=7,8,10",
        "--vary",
        "traffic.rate=1000:1500:500/s",
        "--replications",
        "2",
    ];
    args.extend(SHORT);
    let out = run_in_folder(&args);
    let mut reader = csv::Reader::from_path(out.path().join("results.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        &header[..5],
        [
            "scenario",
            "components.box.cores",
            "traffic.rate",
            "seed",
            "replications"
        ]
    );
    for column in [
        "latency_ms.p99",
        "latency_ms.p99_ci95_low",
        "throughput_rps",
        "availability",
    ] {
        assert!(
            header.iter().any(|h| h == column),
            "no column {column} in {header:?}"
        );
    }
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(rows.iter().all(|r| r.len() == header.len()), "ragged rows");
    assert_eq!(rows.len(), 6, "3 x 2 grid points");
    assert_eq!((&rows[0][1], &rows[0][2]), ("7", "1000/s"));
    assert_eq!((&rows[1][1], &rows[1][2]), ("7", "1500/s"));
    assert_eq!((&rows[5][1], &rows[5][2]), ("10", "1500/s"));
    for metric in [
        "latency_ms_p99",
        "latency_ms_mean",
        "throughput_rps",
        "availability",
    ] {
        assert_chart(out.path(), &format!("sweep_{metric}"));
    }
    let results: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("results.json")).unwrap()).unwrap();
    let first = &results.as_array().unwrap()[0];
    assert_eq!(
        first["parameters"]["components.box.cores"],
        Value::from("7")
    );
    // More cores at the same load: a lower mean latency.
    let mean = |i: usize| number(&results[i], "latency_ms.mean");
    assert!(
        mean(4) < mean(0),
        "10 cores ({}) not faster than 7 ({})",
        mean(4),
        mean(0)
    );
}

#[test]
fn an_m_m_c_sweep_of_the_mean_wait_has_its_erlang_c_curve() {
    let mut args = vec![
        "sweep",
        "one-server-utilisation",
        "--vary",
        "traffic.rate=100:300:200/s",
        "--metric",
        "wait_ms.mean",
    ];
    args.extend(SHORT);
    let out = run_in_folder(&args);
    let report = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(report.contains("mean wait (ms) theory"), "{report}");
    assert!(
        report.contains("Simulation and theory differ by at most"),
        "the reading compares the two"
    );
}

#[test]
fn a_run_of_an_m_m_c_scenario_reports_its_theory() {
    let mut args = vec!["run", "one-server-utilisation"];
    args.extend(SHORT);
    let out = run_in_folder(&args);
    let report = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(report.contains("<h2>Theory</h2>"), "{report}");
    assert!(report.contains("M/M/4 at app"), "{report}");
    assert!(report.contains("an arrival waits with probability"));
    assert!(report.contains("<td class=\"label\">mean wait (ms)</td>"));
    // A scenario no formula describes gets no such section.
    let mut args = vec!["run", "database-failover-async"];
    args.extend(SHORT);
    let out = run_in_folder(&args);
    let report = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(!report.contains("<h2>Theory</h2>"));
}

#[test]
fn sweep_is_identical_on_one_or_two_threads() {
    let mut args = vec![
        "sweep",
        "scenarios/one-big-server.yaml",
        "--vary",
        "components.box.cores=8,9",
        "--replications",
        "2",
    ];
    args.extend(SHORT);
    let mut one = args.clone();
    one.extend(["--jobs", "1"]);
    let mut two = args;
    two.extend(["--jobs", "2"]);
    let (a, b) = (run_in_folder(&one), run_in_folder(&two));
    for file in ["results.json", "results.csv"] {
        assert_eq!(
            std::fs::read(a.path().join(file)).unwrap(),
            std::fs::read(b.path().join(file)).unwrap(),
            "{file} differs between --jobs 1 and --jobs 2"
        );
    }
}

#[test]
fn sweep_rejects_bad_values_and_unknown_metrics() {
    // Each sweep of one-big-server (its arguments after the file), and a
    // phrase its refusal must hold.
    let cases: &[(&[&str], &str)] = &[
        (
            &["--vary", "components.box.cores=0,8"],
            "expected a positive number of cores",
        ),
        // The point's value came from --vary, and the message says so.
        (
            &["--vary", "components.box.cores=0,8"],
            "--vary components.box.cores=0",
        ),
        (&["--vary", "components.box.cores=1,,2"], "an empty value"),
        (
            &["--vary", "components.box.cores=2,2"],
            "`2` is listed twice",
        ),
        (
            &[
                "--vary",
                "components.box.cores=1,2",
                "--vary",
                "components.box.cores=3,4",
            ],
            "is varied twice",
        ),
        (
            &[
                "--vary",
                "components.box.cores=1,2",
                "--set",
                "components.box.cores=8",
            ],
            "both varied (--vary) and fixed (--set)",
        ),
        (
            &[
                "--vary",
                "components.box.cores=8",
                "--metric",
                "latency_ms.p77",
            ],
            "--metric latency_ms.p77",
        ),
        (&["--vary", "components.box.cores=9:1:1"], "--vary"),
    ];
    for (args, said) in cases {
        scalesim()
            .args(["sweep", "one-big-server"])
            .args(*args)
            .args(SHORT)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(*said));
    }
}

/// Runs replications of one big server with 8 cores and with 10, the second on `second_seed`.
fn pair(second_seed: u64, replications: u64) -> (Vec<RunSummary>, Vec<RunSummary>) {
    let load = |cores: &str| {
        let overrides = [
            scenario::Override::parse("duration=30s").unwrap(),
            scenario::Override::parse("warmup=3s").unwrap(),
            scenario::Override::parse(&format!("components.box.cores={cores}")).unwrap(),
        ];
        scenario::load(
            &crate::root().join("scenarios/one-big-server.yaml"),
            &overrides,
        )
        .unwrap()
    };
    let a = load("8");
    let mut b = load("10");
    b.seed = second_seed;
    let mut runs = runner::run_all(&[a, b], replications, 0).unwrap();
    let b_runs = runs.pop().unwrap();
    (runs.pop().unwrap(), b_runs)
}

#[test]
fn common_random_numbers_narrow_the_interval_of_a_difference() {
    // 8 cores against 10 on the same load. With the same seed both see the same
    // arrivals and per-request work, so most of the noise cancels in the
    // difference; with another seed the noise of both runs adds up.
    let (a, b_common) = pair(42, 16);
    let (_, b_independent) = pair(4242, 16);
    for path in ["latency_ms.mean", "latency_ms.p99"] {
        let common = paired_difference(&a, &b_common, path, 0.95).unwrap();
        let independent = paired_difference(&a, &b_independent, path, 0.95).unwrap();
        eprintln!(
            "{path}: difference {:.4} ± {:.4} with common random numbers, {:.4} ± {:.4} without",
            common.mean, common.half_width, independent.mean, independent.half_width
        );
        // The margin keeps the test clear of the noise in the half-widths
        // themselves (16 replications: about 18% relative spread each).
        assert!(
            common.half_width < 0.75 * independent.half_width,
            "{path}: common random numbers did not narrow the interval ({} vs {})",
            common.half_width,
            independent.half_width
        );
    }
}
