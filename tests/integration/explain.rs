//! `scalesim explain`, `show`, `completions`, `man`, the JSON of `scenarios`
//! and `validate`, `validate --quiet`, the suggestion of a bundled name for a
//! typo, and each command's help listing only its own flags.

use predicates::prelude::*;
use scalesim::keys::{probabilities, KeySpace, Popularity};
use scalesim::theory::{che_lru_hit_ratio, erlang_b, erlang_c, mmc_wait};
use serde_json::Value;
use tempfile::TempDir;

use crate::{bundled_files, chain, root, scalesim};

/// The M/M/4 queue of the spec: 3.6 requests/s on 4 cores of 1 s mean work.
const MM4: &str = "name: M/M/4\nduration: 1h\ntraffic: {rate: 3.6/s}\nentry: web\n\
                   components:\n  web: {kind: server, cores: 4, work: 1s}\n";

/// Writes `text` into a new folder as `name` and returns both.
fn file(name: &str, text: &str) -> (TempDir, String) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let path = path.to_string_lossy().into_owned();
    (dir, path)
}

/// Runs `scalesim ARGS`, checks it succeeded, and returns its stdout.
fn stdout(args: &[&str]) -> String {
    let assert = scalesim().args(args).assert().success();
    String::from_utf8(assert.get_output().stdout.clone()).unwrap()
}

/// Runs `scalesim ARGS --json`, checks it succeeded, and returns the JSON.
fn json(args: &[&str]) -> Value {
    let text = stdout(&[args, &["--json"]].concat());
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Returns the `figures` entry `name` of the first theory note, as a number.
fn predicted(explanation: &Value, name: &str) -> f64 {
    explanation["theory"][0]["figures"][name]
        .as_f64()
        .unwrap_or_else(|| panic!("no {name} in {explanation}"))
}

#[test]
fn explain_prints_the_lesson_the_architecture_and_the_knobs_with_their_values() {
    let text = stdout(&["explain", "database-failover-async"]);
    for expected in [
        "Lesson: with asynchronous replication, a primary failure loses the writes",
        "Architecture",
        "└→ db: database ×3 (8 cores",
        "async replication, lag 200ms",
        "components.db.replication = async",
        "values: async, semi_sync, sync",
        "try sync: lost writes down",
        "components.db.lag = 200ms",
        "components.db.election = 10s",
        "Watch",
        "components.db.lost_writes (lost writes)",
    ] {
        assert!(text.contains(expected), "{expected:?} is missing:\n{text}");
    }
    // No formula describes a replicated database that fails: nothing is said.
    assert!(!text.contains("Theory"), "{text}");
}

#[test]
fn explain_draws_who_calls_whom_with_replicas_and_zones() {
    let text = stdout(&["explain", "four-clones-round-robin"]);
    assert!(
        text.contains("└→ lb: load_balancer (round_robin)"),
        "{text}"
    );
    assert!(text.contains("   └→ web: server ×4 (2 cores"), "{text}");
    let text = stdout(&["explain", "dns-geo-two-regions"]);
    assert!(text.contains("├→ lb-eu: load_balancer"), "{text}");
    assert!(text.contains("zones eu-a/eu-b, regions eu"), "{text}");
}

#[test]
fn explain_reads_knob_values_after_set() {
    let text = stdout(&[
        "explain",
        "database-failover-async",
        "--set",
        "components.db.lag=1s",
    ]);
    assert!(text.contains("components.db.lag = 1s"), "{text}");
}

#[test]
fn explain_predicts_the_m_m_c_wait_of_one_station() {
    let (_dir, path) = file("mm4.yaml", MM4);
    let e = json(&["explain", &path]);
    assert_eq!(e["theory"][0]["model"], "M/M/4");
    assert_eq!(e["theory"][0]["component"], "web");
    let wait_ms = mmc_wait(4, 3.6, 1.0) * 1000.0;
    assert!((predicted(&e, "mean_wait_ms") - wait_ms).abs() < 1e-9);
    assert!((predicted(&e, "mean_latency_ms") - (wait_ms + 1000.0)).abs() < 1e-9);
    assert!((predicted(&e, "wait_probability") - erlang_c(4, 3.6)).abs() < 1e-12);
    assert!((predicted(&e, "rho") - 0.9).abs() < 1e-12);
    // The terminal shows the same numbers, rounded.
    let text = stdout(&["explain", &path]);
    assert!(text.contains("M/M/4 at web"), "{text}");
    assert!(text.contains("ρ = λ/(cμ) = 0.900"), "{text}");
    assert!(
        text.contains(&format!("mean wait {:.0} ms", wait_ms)),
        "{wait_ms}: {text}"
    );
}

#[test]
fn explain_gives_erlang_b_without_a_queue_and_nothing_when_unstable() {
    let (_dir, path) = file("mm4.yaml", MM4);
    let e = json(&["explain", &path, "--set", "components.web.queue=0"]);
    assert_eq!(e["theory"][0]["model"], "M/M/4/4 (Erlang loss)");
    assert!((predicted(&e, "blocking") - erlang_b(4, 3.6)).abs() < 1e-12);
    let text = stdout(&["explain", &path, "--set", "traffic.rate=5/s"]);
    assert!(text.contains("unstable"), "{text}");
    let text = stdout(&[
        "explain",
        &path,
        "--set",
        "components.web.service=deterministic",
    ]);
    assert!(
        !text.contains("Theory"),
        "M/D/4 has no formula here: {text}"
    );
}

#[test]
fn explain_gives_che_s_hit_ratio_for_an_lru_cache_under_zipf_reads() {
    let yaml = "name: cache\nduration: 1m\ntraffic:\n  rate: 1000/s\n  \
                keys: {count: 5000, popularity: zipf, s: 0.8}\nentry: cache\n\
                components:\n  cache: {kind: cache, capacity: 200, eviction: lru, backend: db}\n  \
                db: {kind: database, work: 1ms}\n";
    let (_dir, path) = file("cache.yaml", yaml);
    let e = json(&["explain", &path]);
    assert_eq!(e["theory"][0]["component"], "cache");
    let p = probabilities(&KeySpace {
        count: 5000,
        popularity: Popularity::Zipf { s: 0.8 },
    });
    let che = che_lru_hit_ratio(&p, 200.0);
    assert!((predicted(&e, "hit_ratio") - che).abs() < 1e-12);
    // A TTL breaks the model's assumptions: nothing is said.
    let e = json(&["explain", &path, "--set", "components.cache.ttl=1s"]);
    assert_eq!(e["theory"], Value::Array(Vec::new()));
}

#[test]
fn show_prints_each_bundled_file_byte_for_byte() {
    for file in bundled_files() {
        let name = file
            .strip_prefix("scenarios/")
            .and_then(|f| f.strip_suffix(".yaml"))
            .unwrap();
        let assert = scalesim().args(["show", name]).assert().success();
        let expected = std::fs::read(root().join(&file)).unwrap();
        assert!(
            assert.get_output().stdout == expected,
            "`scalesim show {name}` differs from {file}"
        );
    }
}

#[test]
fn a_mistyped_bundled_name_gets_a_suggestion_and_exit_2() {
    let out = TempDir::new().unwrap();
    let out = out.path().to_string_lossy().into_owned();
    for args in [
        vec!["run", "one-big-servr", "--out", &out],
        vec![
            "compare",
            "one-big-servr",
            "four-clones-round-robin",
            "--out",
            &out,
        ],
        vec!["validate", "one-big-servr"],
        vec!["explain", "one-big-servr"],
        vec!["show", "one-big-servr"],
    ] {
        scalesim()
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("did you mean `one-big-server`?"))
            .stderr(predicate::str::contains("panicked").not());
    }
    // A name close to none is a missing file, or for `show` no bundled scenario.
    scalesim()
        .args(["show", "my-own-architecture"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no bundled scenario"));
}

#[test]
fn every_command_that_takes_a_file_refuses_a_missing_one_in_the_same_words() {
    let out = TempDir::new().unwrap();
    let out = out.path().to_string_lossy().into_owned();
    let vary = "--vary=traffic.rate=1/s,2/s";
    for args in [
        vec!["run", "nosuch", "--out", &out],
        vec!["compare", "nosuch", "one-big-server", "--out", &out],
        vec!["validate", "nosuch"],
        vec!["explain", "nosuch"],
        vec!["sweep", "nosuch", vary, "--out", &out],
        vec!["plan", "nosuch", vary, "--slo", "p99<1s", "--out", &out],
    ] {
        scalesim()
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "nosuch: no such file, nor a bundled scenario of that name \
                 (`scalesim scenarios` lists them all)",
            ))
            .stderr(predicate::str::contains("os error").not());
    }
}

#[test]
fn explain_shows_an_autoscaled_server_s_range_not_its_most_machines() {
    let text = stdout(&["explain", "autoscale-daily"]);
    assert!(text.contains("autoscaled 2–12 on cpu 60%"), "{text}");
    assert!(!text.contains("×12"), "{text}");
}

#[test]
fn explain_gives_m_m_c_behind_a_balancer_that_adds_nothing() {
    let behind = "name: lb\nduration: 1h\ntraffic: {rate: 3.6/s}\nentry: lb\n\
                  network: {latency: 0ms}\ncomponents:\n  \
                  lb: {kind: load_balancer, strategy: round_robin, targets: web}\n  \
                  web: {kind: server, cores: 4, work: 1s}\n";
    let (_dir, path) = file("lb.yaml", behind);
    let e = json(&["explain", &path]);
    assert_eq!(e["theory"][0]["model"], "M/M/4");
    assert_eq!(e["theory"][0]["component"], "web");
    assert!((predicted(&e, "mean_wait_ms") - mmc_wait(4, 3.6, 1.0) * 1000.0).abs() < 1e-9);
    // With a hop of latency the balancer adds time: no formula.
    let (_dir, path) = file("far.yaml", &behind.replace("0ms", "1ms"));
    assert_eq!(
        json(&["explain", &path])["theory"],
        Value::Array(Vec::new())
    );
}

#[test]
fn explain_gives_no_hit_ratio_for_a_cache_no_request_reads() {
    let text = "name: c\nduration: 5m\ntraffic: {rate: 50/s, keys: {count: 2000}}\nentry: web\n\
                cron:\n  - {name: r, every: 1m, on: render, work: 10s, warms: pages}\n\
                components:\n  web: {kind: server, work: 2ms, calls: [render]}\n  \
                pages: {kind: cache, capacity: 500, backend: render}\n  \
                render: {kind: server, cores: 8, work: 40ms}\n";
    let (_dir, path) = file("cache.yaml", text);
    assert_eq!(
        json(&["explain", &path])["theory"],
        Value::Array(Vec::new())
    );
}

#[test]
fn explain_words_mixed_call_plans_as_they_are() {
    let text = "name: m\nduration: 1m\ntraffic:\n  rate: 50/s\n  requests:\n    \
                checkout: {weight: 1}\n    search: {weight: 1}\nentry: web\ncomponents:\n  \
                web:\n    kind: server\n    work: 2ms\n    calls:\n      \
                checkout: [cart, orders]\n      search: {parallel: [a, b], wait: 1}\n  \
                cart: {kind: server, work: 1ms}\n  orders: {kind: server, work: 1ms}\n  \
                a: {kind: server, work: 1ms}\n  b: {kind: server, work: 1ms}\n";
    let (_dir, path) = file("mixed.yaml", text);
    let shown = stdout(&["explain", &path]);
    assert!(
        shown.contains("calls in parallel for 1 of 2 request types, in sequence for the other"),
        "{shown}"
    );
    let all = text.replace(
        "checkout: [cart, orders]",
        "checkout: {parallel: [cart, orders]}",
    );
    let (_dir, path) = file("parallel.yaml", &all);
    let shown = stdout(&["explain", &path]);
    assert!(shown.contains("calls in parallel"), "{shown}");
    assert!(!shown.contains("request types"), "{shown}");
}

#[test]
fn completions_for_bash_complete_every_command() {
    let script = stdout(&["completions", "bash"]);
    assert!(
        script.contains("complete -F"),
        "not a bash completion script"
    );
    for command in [
        "run",
        "compare",
        "sweep",
        "merge",
        "validate",
        "explain",
        "show",
        "scenarios",
    ] {
        assert!(script.contains(command), "{command} is not completed");
    }
    scalesim().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn man_prints_a_roff_page_with_every_command() {
    let page = stdout(&["man"]);
    assert!(
        page.starts_with(".ie") || page.starts_with(".TH"),
        "{}",
        &page[..80]
    );
    assert!(page.contains(".TH scalesim"), "no title");
    assert!(
        page.contains(".SH \"SCALESIM EXPLAIN\""),
        "no section for explain"
    );
    assert!(
        page.contains("\\-\\-replications"),
        "the options of run are missing"
    );
}

#[test]
fn scenarios_json_lists_every_bundled_scenario() {
    let list = json(&["scenarios"]);
    let names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_string())
        .collect();
    for file in bundled_files() {
        let name = file
            .strip_prefix("scenarios/")
            .and_then(|f| f.strip_suffix(".yaml"))
            .unwrap();
        assert!(names.iter().any(|n| n == name), "{name} is not listed");
    }
    for item in list.as_array().unwrap() {
        assert!(item["lesson"].as_str().is_some_and(|l| l.ends_with('.')));
        assert!(item["figures"].is_array());
    }
}

#[test]
fn validate_json_reports_ok_or_errors_per_file() {
    let assert = scalesim()
        .args([
            "validate",
            "scenarios/one-big-server.yaml",
            "tests/bad/zero_cores.yaml",
            "--json",
        ])
        .assert()
        .code(2);
    let report: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let files = report.as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["file"], "scenarios/one-big-server.yaml");
    assert_eq!(files[0]["ok"], true);
    assert_eq!(files[0]["errors"], Value::Array(Vec::new()));
    assert_eq!(files[1]["ok"], false);
    let error = &files[1]["errors"][0];
    assert!(error["line"].as_u64().is_some(), "{error}");
    assert!(
        error["field"].as_str().unwrap().contains("cores"),
        "{error}"
    );
    assert!(error["text"]
        .as_str()
        .unwrap()
        .starts_with("tests/bad/zero_cores.yaml:"));
}

#[test]
fn validate_quiet_prints_nothing_for_good_files() {
    scalesim()
        .args([
            "validate",
            "--quiet",
            "one-big-server",
            "scenarios/retry-storm.yaml",
        ])
        .assert()
        .success()
        .stdout(predicate::str::is_empty());
    scalesim()
        .args(["validate", "--quiet", "tests/bad/zero_cores.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("zero_cores.yaml"));
}

#[test]
fn each_command_s_help_lists_only_its_own_flags() {
    let help = |command: &str| stdout(&[command, "--help"]);
    let validate = help("validate");
    for flag in [
        "--replications",
        "--seed",
        "--jobs",
        "--out",
        "--max-in-flight",
    ] {
        assert!(!validate.contains(flag), "validate --help shows {flag}");
    }
    for flag in ["--set", "--json", "--quiet"] {
        assert!(validate.contains(flag), "validate --help lacks {flag}");
    }
    let merge = help("merge");
    assert!(
        merge.contains("--out") && !merge.contains("--seed"),
        "{merge}"
    );
    let scenarios = help("scenarios");
    assert!(scenarios.contains("--json") && !scenarios.contains("--out"));
    let run = help("run");
    for flag in [
        "--replications",
        "--seed",
        "--set",
        "--out",
        "--json",
        "--jobs",
    ] {
        assert!(run.contains(flag), "run --help lacks {flag}");
    }
    // Flags that do not belong to a command are refused as bad input.
    scalesim()
        .args(["validate", "one-big-server", "--replications", "3"])
        .assert()
        .code(2);
}

#[test]
fn explain_draws_a_chain_as_long_as_a_scenario_holds() {
    // See: a chain of 19,999 proxies once overflowed the stack of `explain`,
    // which drew the tree by recursion, and aborted it.
    for kind in ["proxy", "server"] {
        let (_dir, path) = file("chain.yaml", &chain(20_000, kind));
        let text = stdout(&["explain", &path]);
        let drawn = text.lines().filter(|l| l.contains("→ s")).count();
        assert_eq!(
            drawn, 20_000,
            "{kind}: every component on a line of its own"
        );
        // Past the levels drawn with guides, a line gives its depth and
        // stays short: the drawing grows with the chain, not its square.
        assert!(text.contains("[19999] └→ s19999: server"), "{kind}");
        assert!(
            text.lines().all(|l| l.len() < 400),
            "{kind}: a line too long"
        );
        let explained = json(&["explain", &path]);
        let nodes = explained["architecture"].as_array().unwrap();
        assert_eq!(nodes.len(), 20_000);
        assert_eq!(nodes[19_999]["depth"], 19_999);
        assert_eq!(nodes[19_999]["name"], "s19999");
    }
}
