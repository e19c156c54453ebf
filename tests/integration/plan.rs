//! `plan`: the cheapest number of cores of an M/M/c queue that meets a p99
//! objective, against the response-time law of M/M/c from `src/theory.rs`;
//! the bound of theory when no number of cores can; bad objectives; the
//! shape of `--json`.

use serde_json::Value;
use tempfile::TempDir;

use crate::{at, number, scalesim};
use scalesim::metrics::ci::student_t_quantile;
use scalesim::parts::machine::price;
use scalesim::theory::mmc_sojourn_quantile;

/// λ = 50/s, exponential work of 100 ms, one server: an M/M/c queue.
const LAMBDA: f64 = 50.0;
/// Mean work per request [s].
const WORK_S: f64 = 0.1;
/// Replications of each setup that runs (the plan's default).
const REPLICATIONS: f64 = 5.0;

/// Writes the M/M/c scenario into `dir` and returns its path.
fn mmc_file(dir: &TempDir) -> String {
    let text = format!(
        "name: M/M/c plan\nseed: 7\nduration: 400s\nwarmup: 20s\n\
         traffic: {{rate: {LAMBDA}/s}}\nentry: web\n\
         components:\n  web: {{kind: server, cores: 1, work: {}ms, service: exponential}}\n",
        WORK_S * 1e3
    );
    let path = dir.path().join("mmc.yaml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Runs `plan FILE --vary cores=1..12 --slo SLO --json` and returns its JSON.
fn plan(slo: &str) -> Value {
    let dir = TempDir::new().unwrap();
    let file = mmc_file(&dir);
    let out = dir.path().join("out");
    let assert = scalesim()
        .args(["plan", &file, "--vary", "components.web.cores=1:12:1"])
        .args(["--slo", slo, "--json", "--out"])
        .arg(&out)
        .assert()
        .success();
    let json: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let written: Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(json, written, "--json prints what results.json holds");
    assert!(out.join("plan_frontier.svg").exists() || json["feasible"] == false);
    assert!(out.join("report.html").exists());
    json
}

/// The p99 of the response time of M/M/c with `c` cores [ms], or `None` when unstable.
fn theory_p99_ms(c: u32) -> Option<f64> {
    mmc_sojourn_quantile(c, LAMBDA, 1.0 / WORK_S, 0.99).map(|t| t * 1e3)
}

#[test]
fn plan_finds_the_cheapest_cores_that_meet_p99_as_theory_says() {
    // The price of a server is the catalogue's smallest machine with enough
    // cores (parts::machine::price): 5 to 8 cores cost the same. The plan
    // goes by price; among setups of the cheapest price that meets the
    // objective, the one with the most room under the limit wins, which for
    // a p99 ceiling is the most cores. Theory says which setups meet
    // p99 <= 1 s.
    let limit_ms = 1000.0;
    let mut order: Vec<u32> = (1..=12).collect();
    order.sort_by(|a, b| price(*a, 1.0).total_cmp(&price(*b, 1.0)).then(a.cmp(b)));
    let first_feasible = order
        .iter()
        .copied()
        .find(|&c| theory_p99_ms(c).is_some_and(|p| p < limit_ms * 0.8))
        .unwrap();
    // Every cheaper setup is unstable, or clearly above the limit.
    for &c in order.iter().take_while(|&&c| c != first_feasible) {
        assert!(
            theory_p99_ms(c).is_none_or(|p| p > limit_ms * 1.2),
            "c = {c}"
        );
    }
    let cheapest = price(first_feasible, 1.0);
    let expected = order
        .iter()
        .copied()
        .filter(|&c| price(c, 1.0) == cheapest)
        .max()
        .unwrap();
    assert_eq!(
        (first_feasible, expected),
        (6, 8),
        "λ = 50/s, S = 0.1 s: 6 cores are the fewest that meet the limit, and 8 cost the same"
    );

    let json = plan("p99<=1s");
    assert_eq!(json["feasible"], true, "{json:#}");
    let best = &json["best"];
    assert_eq!(
        at(best, "parameters")["components.web.cores"],
        Value::from(expected)
    );
    assert_eq!(number(best, "cost_per_hour"), price(expected, 1.0));
    // The simulated p99 agrees with theory: its 95% interval, widened to
    // 99.9% (the level of the validation suite), holds the exact value.
    let p99 = number(best, "latency_ms.p99");
    let ci = at(best, "latency_ms.p99_ci95");
    let half = (ci[1].as_f64().unwrap() - ci[0].as_f64().unwrap()) / 2.0;
    let df = number(best, "replications") - 1.0;
    assert_eq!(df + 1.0, REPLICATIONS);
    let widen = student_t_quantile(0.9995, df) / student_t_quantile(0.975, df);
    let exact = theory_p99_ms(expected).unwrap();
    assert!(
        (p99 - exact).abs() <= half * widen,
        "p99 {p99} ± {half} (×{widen}) vs theory {exact}"
    );
    // The setup considered before the winner that fails (at the same
    // price) fails for the reason theory gives: 5 cores carry a load of 5
    // busy cores.
    let next = &json["next_cheaper"];
    assert_eq!(
        at(next, "parameters")["components.web.cores"],
        Value::from(5)
    );
    assert!(
        next["reason"].as_str().unwrap().contains("unstable"),
        "{next:#}"
    );
    // Dearer setups did not run.
    let setups = json["setups"].as_array().unwrap();
    let dearer = setups
        .iter()
        .filter(|s| s["status"] == "not run: dearer")
        .count();
    assert_eq!(dearer, 12 - 8, "9 to 12 cores need not run");
    assert_eq!(json["binding"]["slo"], "p99<=1s");
}

#[test]
fn plan_states_the_bound_when_no_number_of_cores_can_meet_p99() {
    // No request is answered before its work is done: the p99 of the
    // response time is at least the p99 of exponential work, ln(100)·S.
    let bound_ms = 100f64.ln() * WORK_S * 1e3;
    assert!(bound_ms > 460.0 && bound_ms < 461.0);
    let json = plan("p99<0.46s");
    assert_eq!(json["feasible"], false, "{json:#}");
    assert!(json.get("best").is_none());
    let diagnosis = json["diagnosis"].to_string();
    assert!(
        diagnosis.contains(&format!("ln(100) × 100.0 ms = {bound_ms:.1} ms")),
        "{diagnosis}"
    );
    assert!(diagnosis.contains("only faster cores"), "{diagnosis}");
    // Theory rules every setup out: none ran.
    for s in json["setups"].as_array().unwrap() {
        assert_eq!(s["status"], "ruled out by theory", "{s:#}");
    }
}

#[test]
fn plan_refuses_bad_objectives_with_status_2() {
    let dir = TempDir::new().unwrap();
    let file = mmc_file(&dir);
    for (slo, says) in [
        ("p99", "expected METRIC<VALUE"),
        ("p99<fast", "takes a duration"),
        ("availability>=120%", "percent"),
        ("latency<1s", "not a figure"),
        ("components.nope.utilization<50%", "no component `nope`"),
    ] {
        let assert = scalesim()
            .args(["plan", &file, "--vary", "components.web.cores=6,7"])
            .args(["--slo", slo, "--out"])
            .arg(dir.path().join("out"))
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains(says), "{slo}: {stderr}");
        assert!(stderr.contains("--slo"), "{slo}: {stderr}");
    }
    let assert = scalesim()
        .args([
            "plan",
            &file,
            "--vary",
            "components.web.cores=6",
            "--slo",
            "p99<1s",
        ])
        .args(["--replications", "1", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("at least 2 replications"), "{stderr}");
}

#[test]
fn plan_prints_the_winner_binding_objective_and_the_setup_before_it() {
    let dir = TempDir::new().unwrap();
    let file = mmc_file(&dir);
    let assert = scalesim()
        .args(["plan", &file, "--vary", "components.web.cores=5:8:1"])
        .args([
            "--slo",
            "p99<=1s",
            "--slo",
            "availability>=99%",
            "--minimize",
            "cost",
        ])
        .args(["--set", "duration=100s", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    // 5 to 8 cores cost the same: the most cores leave the most room, and
    // a setup as dear as the winner is not called cheaper.
    assert!(stdout.contains("best: cores=8 at $0.45/h"), "{stdout}");
    assert!(stdout.contains("binding objective: "), "{stdout}");
    assert!(
        stdout.contains("at the same price: cores=5 at $0.45/h"),
        "{stdout}"
    );
    assert!(!stdout.contains("next cheaper"), "{stdout}");
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(html.contains("<h2>Plan</h2>"));
}

#[test]
fn at_equal_price_and_room_the_plan_takes_the_cores_paid_for() {
    // 6 to 8 cores are billed as the same machine, and all of them serve
    // every request: the same price and the same room under the limit.
    let dir = TempDir::new().unwrap();
    let file = mmc_file(&dir);
    let assert = scalesim()
        .args(["plan", &file, "--vary", "components.web.cores=6:8:1"])
        .args(["--slo", "availability>=99%", "--set", "duration=60s"])
        .args(["--json", "--quiet", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .success();
    let json: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(
        at(&json["best"], "parameters")["components.web.cores"],
        Value::from(8),
        "{json:#}"
    );
}

#[test]
fn plan_is_identical_on_one_or_two_threads() {
    let dir = TempDir::new().unwrap();
    let file = mmc_file(&dir);
    let results = |jobs: &str| {
        let out = dir.path().join(format!("out-{jobs}"));
        scalesim()
            .args(["plan", &file, "--vary", "components.web.cores=5:8:1"])
            .args(["--slo", "p99<=650ms", "--set", "duration=60s", "--quiet"])
            .args(["--jobs", jobs, "--out"])
            .arg(&out)
            .assert()
            .success();
        std::fs::read(out.join("results.json")).unwrap()
    };
    assert_eq!(results("1"), results("2"));
}

#[cfg(unix)]
#[test]
fn a_plan_cut_short_writes_no_verdict() {
    use std::process::{Command, Stdio};
    let dir = TempDir::new().unwrap();
    let file = mmc_file(&dir);
    let out = dir.path().join("out");
    // Runs long enough (5,000,000 requests per run) to be stopped mid-search.
    let child = Command::new(assert_cmd::cargo::cargo_bin("scalesim"))
        .args(["plan", &file, "--vary", "components.web.cores=1:12:1"])
        .args([
            "--slo",
            "p99<1s",
            "--set",
            "duration=100000s",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    // No verdict of infeasibility, nor any result: the search never ended.
    for name in ["results.json", "results.manifest.json", "report.html"] {
        assert!(!out.join(name).exists(), "{name} written: {stderr}");
    }
    // See: it said "finished runs will be kept", then, for the last batch
    // only, "keeping 0 finished run(s)": it keeps none, and says so once,
    // in the words of a sweep, with the runs of its whole search.
    assert!(!stderr.contains("will be kept"), "{stderr}");
    assert!(
        stderr.contains("a plan cut short has no verdict, so it keeps nothing"),
        "{stderr}"
    );
    let told: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("interrupted:"))
        .collect();
    assert_eq!(told.len(), 1, "{stderr}");
    assert!(
        told[0].starts_with("interrupted: keeping none of ")
            && told[0].contains(" finished run(s), abandoning ")
            && told[0].ends_with(
                "and the rest of the search (a plan cut short has no verdict, so it writes nothing)"
            ),
        "{stderr}"
    );
}
