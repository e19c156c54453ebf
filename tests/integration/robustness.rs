//! Regression tests for inputs that once aborted, exhausted or hung scalesim:
//! sizes asked for before they were checked, memory that grew with the
//! requests, silent defaults and unclear messages. Each must now be a clear
//! error (exit status 2), a warning, or a run that stops cleanly.

use std::io::Write;

use tempfile::TempDir;

use crate::{number, run_json, scalesim};

/// A small valid scenario; `extra` is appended to its top level and
/// `web` to its server's settings.
fn scenario(extra: &str, web: &str) -> String {
    format!(
        "name: small\nseed: 3\nduration: 30s\nwarmup: 0s\ntraffic: {{rate: 10/s}}\n\
         entry: web\ncomponents:\n  web:\n    kind: server\n    work: 1ms\n{web}{extra}"
    )
}

/// Writes `text` to a file in a new temporary folder; returns both.
fn file(text: &str) -> (TempDir, std::path::PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("scenario.yaml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// Asserts that `validate` refuses `text` with exit status 2 and a message
/// holding every one of `words`.
fn refused(text: &str, words: &[&str]) {
    let (_dir, path) = file(text);
    let out = scalesim().arg("validate").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for w in words {
        assert!(stderr.contains(w), "`{w}` not in: {stderr}");
    }
}

#[test]
fn slo_windows_beyond_the_limit_are_refused_before_any_allocation() {
    // One window per nanosecond over 30 s once asked for 72 GB.
    refused(
        &scenario("slo: {window: 1ns}\n", ""),
        &["slo.window", "the most is 1000000"],
    );
}

#[test]
fn the_default_slo_window_grows_with_a_long_run() {
    // See: a run of 3000 h without `slo:` was refused for the default 10 s
    // window (1,080,000 windows, above the limit).
    let long = scenario("", "").replace("duration: 30s", "duration: 3000h");
    let (_dir, path) = file(&long);
    let path = path.to_str().unwrap();
    let window = |args: &[&str]| {
        let mut all = vec![path, "--max-events", "20000"];
        all.extend_from_slice(args);
        number(&run_json(&all).json[0], "slo.window_s")
    };
    // The measured time over the limit, rounded up to whole seconds.
    assert_eq!(window(&[]), 11.0);
    assert_eq!(window(&["--set", "slo={success: 99%}"]), 11.0);
    // The longest duration a file may give runs too.
    assert_eq!(window(&["--set", "duration=11574d"]), 1000.0);
    // A short run keeps 10 s, and a window the file sets is kept.
    assert_eq!(window(&["--set", "duration=1h"]), 10.0);
    assert_eq!(window(&["--set", "slo={window: 1m}"]), 60.0);
    // A window the file sets that breaks the limit is still refused, with
    // the way out.
    refused(
        &long.replace("warmup: 0s\n", "warmup: 0s\nslo: {window: 10s}\n"),
        &[
            "slo.window: 10s makes 1080000 windows over the 3000h measured; the most is 1000000",
            "use a window of 11s or more, or leave `window` out",
        ],
    );
}

#[test]
fn replications_and_threads_out_of_range_are_bad_input() {
    for args in [
        ["--replications", "100000000"],
        ["--replications", "0"],
        ["--jobs", "20000"],
        ["--jobs", "0"],
    ] {
        let out = scalesim()
            .args([
                "run",
                "one-big-server",
                "--out",
                "/nonexistent-never-written",
            ])
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(args[0]), "{stderr}");
    }
}

#[test]
fn a_cache_ring_beyond_the_limit_is_refused() {
    // 100,000 nodes of 10,000 points each, each within its own limit, once took 15 GB.
    let text = "name: ring\nduration: 10s\ntraffic: {rate: 1/s, keys: {count: 10}}\n\
                entry: c\ncomponents:\n  c: {kind: cache, replicas: 100000, \
                virtual_nodes: 10000, capacity: 10, backend: db}\n  db: {kind: database}\n";
    refused(text, &["components.c.virtual_nodes", "the most is 4000000"]);
}

#[test]
fn a_device_or_a_huge_file_is_not_read_to_the_end() {
    let out = scalesim().args(["validate", "/dev/zero"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("more than 4 MiB"), "{stderr}");
}

#[test]
fn a_name_of_a_million_characters_is_refused_at_once() {
    // A 10-million-character name once made writing the results take minutes.
    let long = "x".repeat(1_000_000);
    refused(
        &scenario("", "").replace("name: small", &format!("name: {long}")),
        &["name: a text of 1000000 characters is too long: at most 20000"],
    );
}

#[test]
fn text_that_is_not_utf8_is_placed_at_its_line() {
    let (_dir, path) = file("");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(b"name: caf\xe9\nduration: 10s\n").unwrap();
    let out = scalesim().arg("validate").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains(":1:10: invalid text"), "{stderr}");
}

#[test]
fn empty_fields_are_errors_not_defaults() {
    for field in ["queue:", "cores:", "replicas:", "speed: ~"] {
        refused(
            &scenario("", &format!("    {field}\n")),
            &["expected a value, found nothing"],
        );
    }
    let out = scalesim()
        .args([
            "validate",
            "one-big-server",
            "--set",
            "components.box.cores=",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("found nothing"));
}

#[test]
fn impossible_values_are_refused_with_their_limit() {
    refused(
        &scenario("", "    speed: 1e-300\n"),
        &["speed", "from 0.01 to 2"],
    );
    refused(
        &scenario("", "    price: 1e300/h\n"),
        &["price", "the most a machine may cost"],
    );
    refused(
        &scenario("", "    cores: 4294967296\n"),
        &["expected a whole number from 0 to 4294967295, found 4294967296"],
    );
    refused(
        &scenario("failures:\n  - {at: 5s, slow: web, factor: 1000001}\n", ""),
        &["factor", "from 1 to 1e6"],
    );
}

#[test]
fn the_closed_loop_cap_writes_the_think_time_as_a_duration() {
    // See: the refusal quoted the think time in raw seconds (`0.00002 s`).
    let closed = scenario("", "").replace(
        "traffic: {rate: 10/s}",
        "traffic: {closed: {users: 1000, think: 0.00002s}}",
    );
    refused(
        &closed,
        &[
            "traffic.closed.think",
            "1000 users thinking 20us send up to 5e7",
        ],
    );
}

#[test]
fn a_scalar_where_text_is_wanted_is_shown_in_quotes() {
    // See: `name: no` said "invalid type: boolean `false`, expected a string".
    let text = scenario("", "").replace("entry: web", "entry: 12");
    refused(
        &text,
        &["entry: expected text, found the number 12; quote it to keep it text: entry: \"12\""],
    );
    refused(
        &scenario("", "    zones: [a, off]\n"),
        &[
            "components.web.zones[1]: expected text (a zone name), found the boolean false \
           (written `off`); quote it to keep it text: \"off\"",
        ],
    );
    refused(
        &scenario("  b: {kind: server, work: 1ms}\n", "    calls: [b, yes]\n"),
        &[
            "components.web.calls[1]",
            "found the boolean true (written `yes`)",
            ": \"yes\"",
        ],
    );
    refused(
        &scenario("lesson: {figures: [1.50]}\n", ""),
        &["lesson.figures[0]: expected text, found the number 1.5 (written `1.50`)"],
    );
    // A list is no text, and quotes would not make it one.
    refused(
        &scenario("", "").replace("name: small", "name: [a]"),
        &["name: expected text, found a list"],
    );
    // An override names its flag.
    let (_dir, path) = file(&scenario("", ""));
    let out = scalesim()
        .arg("validate")
        .arg(&path)
        .args(["--set", "name=no"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--set name=no: name: expected text, found the boolean false (written `no`); quote it to keep it text: --set 'name=\"no\"'"),
        "{stderr}"
    );
    // And the value it suggests is taken.
    let out = scalesim()
        .arg("validate")
        .arg(&path)
        .args(["--set", "name=\"no\""])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_rate_the_schedule_hides_and_a_region_named_like_a_zone_are_refused() {
    refused(
        &scenario("", "").replace(
            "traffic: {rate: 10/s}",
            "traffic: {rate: 10/s, schedule: [{at: 0s, rate: 5/s}]}",
        ),
        &["traffic.rate", "never used"],
    );
    refused(
        &scenario("regions: {a: [a]}\n", "    zone: a\n"),
        &["regions.a", "already the name of a zone"],
    );
}

#[test]
fn a_failure_after_the_end_of_the_run_is_a_warning() {
    let (_dir, path) = file(&scenario(
        "failures:\n  - {at: 1m, crash: web, for: 10s}\n",
        "",
    ));
    let out = scalesim().arg("validate").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning:")
            && stderr.contains("failures[0].at")
            && stderr.contains("never happens"),
        "{stderr}"
    );
    // See: the times read `60.000s` and `30.000s`, not as the file wrote them.
    assert!(
        stderr.contains("1m is at or after the end of the run (30s)"),
        "{stderr}"
    );
}

/// Returns the stderr of `validate` on `text`, which must pass (exit 0).
fn accepted(text: &str) -> String {
    let (_dir, path) = file(text);
    let out = scalesim().arg("validate").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    stderr
}

#[test]
fn a_batch_job_that_starts_after_the_end_of_the_run_is_a_warning() {
    // See: a first batch at 1h in a 30 s run was accepted without a word.
    let stderr = accepted(&scenario(
        "cron: [{name: x, every: 1s, first: 1h, on: web, work: 1ms}]\n",
        "",
    ));
    assert!(
        stderr.contains("warning:")
            && stderr.contains("cron[0].first")
            && stderr.contains("this batch job never runs")
            && stderr.contains("1h is at or after the end of the run (30s)"),
        "{stderr}"
    );
    // A first batch inside the run is no warning.
    let stderr = accepted(&scenario(
        "cron: [{name: x, every: 1s, first: 10s, on: web, work: 1ms}]\n",
        "",
    ));
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn a_trace_whose_arrivals_all_come_after_the_end_is_a_warning() {
    // See: a trace whose only arrival was at 1e308 s ran, reporting 100 % availability.
    let text = scenario("", "").replace("traffic: {rate: 10/s}", "traffic: {trace: late.csv}");
    let (dir, path) = file(&text);
    let validate = |times: &str| {
        std::fs::write(dir.path().join("late.csv"), times).unwrap();
        let out = scalesim().arg("validate").arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        stderr
    };
    for late in ["1e308\n", "30\n45\n"] {
        let stderr = validate(late);
        assert!(
            stderr.contains("warning:")
                && stderr.contains("traffic.trace")
                && stderr.contains("no request arrives"),
            "{late}: {stderr}"
        );
    }
    let stderr = validate("29.5\n45\n");
    assert!(!stderr.contains("warning"), "{stderr}");
    // See: the warning quoted the time as the clock's last nanosecond
    // (`18446744073.710s`), a time the file never gave nor the run used.
    // It quotes the time used, as a duration: a time past the longest
    // duration is read as it.
    let stderr = validate("1e308\n");
    assert!(
        stderr.contains(
            "the first arrival of `late.csv` is at 277778h (the latest time a trace may give, \
             the longest duration: later times are read as it), at or after the end of the \
             run (30s)"
        ),
        "{stderr}"
    );
    let stderr = validate("90\n");
    assert!(
        stderr.contains("is at 1.5m, at or after the end of the run (30s)"),
        "{stderr}"
    );
}

#[test]
fn delivery_settings_unused_at_most_once_are_a_warning() {
    // See: `visibility_timeout` under `delivery: at_most_once` was ignored in silence.
    let queue = "  q: {kind: queue, delivery: at_most_once, visibility_timeout: 5s}\n\
                 \x20 w: {kind: server, consumes: q, work: 1ms}\n";
    let stderr = accepted(&scenario(queue, "    calls: [q]\n"));
    assert!(
        stderr.contains("warning:")
            && stderr.contains("components.q.visibility_timeout")
            && stderr.contains("applies to `delivery: at_least_once`"),
        "{stderr}"
    );
    let stderr = accepted(&scenario(
        &queue.replace("at_most_once", "at_least_once"),
        "    calls: [q]\n",
    ));
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn a_worker_whose_calls_lead_back_to_its_queue_is_a_cycle() {
    // See: a worker that published to its own queue made jobs forever.
    let queue = "  q: {kind: queue}\n\
                 \x20 w: {kind: server, consumes: q, work: 1ms, calls: [s]}\n\
                 \x20 s: {kind: server, work: 1ms, calls: [q]}\n";
    refused(
        &scenario(queue, "    calls: [q]\n"),
        &[
            "components.q",
            "calls form a cycle: q -> w -> s -> q",
            "forever",
        ],
    );
    // A worker that publishes to another queue, consumed by another worker, is no cycle.
    let chain = "  q: {kind: queue}\n\
                 \x20 w: {kind: server, consumes: q, work: 1ms, calls: [r]}\n\
                 \x20 r: {kind: queue}\n\
                 \x20 v: {kind: server, consumes: r, work: 1ms}\n";
    accepted(&scenario(chain, "    calls: [q]\n"));
}

#[test]
fn a_plan_of_exactly_the_most_call_steps_is_accepted() {
    // See: 256 calls were refused as "found 257", one more than written.
    let calls = |n: usize| format!("    calls: [{}]\n", vec!["b"; n].join(", "));
    let b = "  b: {kind: server, work: 1ms}\n";
    accepted(&scenario(b, &calls(256)));
    refused(&scenario(b, &calls(257)), &["found 257"]);
    // A group counts as one step besides its calls: 255 calls in a group are 256.
    let group = |n: usize| format!("    calls: [{{parallel: [{}]}}]\n", vec!["b"; n].join(", "));
    accepted(&scenario(b, &group(255)));
    refused(&scenario(b, &group(256)), &["found 257"]);
    // `fanout: parallel` adds no step to those written.
    accepted(&scenario(
        b,
        &format!("    fanout: parallel\n{}", calls(256)),
    ));
}

#[test]
fn yaml_troubles_are_explained_in_the_words_of_a_scenario() {
    refused("name: x\nname: y\n", &["the key `name` is written twice"]);
    refused("---\nname: x\n---\nname: y\n", &["several YAML documents"]);
    let mut bomb = String::from("a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n");
    for i in 1..9 {
        let p = i - 1;
        let row = vec![format!("*a{p}"); 10].join(",");
        bomb.push_str(&format!("a{i}: &a{i} [{row}]\n"));
    }
    refused(&bomb, &["anchors and aliases are expanded"]);
}

#[test]
fn a_huge_replication_lag_stops_at_the_in_flight_cap() {
    // Every unreplicated write is remembered: with a lag of ten hours under a
    // steady write load, memory once grew past 5 GB and nothing stopped it.
    let (_dir, path) = file(
        "name: lag\nseed: 1\nduration: 1h\nwarmup: 0s\n\
         traffic: {rate: 20000/s, keys: {count: 100000000}, requests: {put: {weight: 1, op: write}}}\n\
         entry: db\ncomponents:\n  db: {kind: database, cores: 64, work: 0ms, \
         read_replicas: 2, lag: 10h}\n",
    );
    let out = run_json(&[path.to_str().unwrap(), "--max-in-flight", "100000"]);
    let first = &out.json[0];
    assert_eq!(first["truncated"]["reason"], "max_in_flight", "{first}");
    // Stopped within seconds of simulated time, not after an hour.
    assert!(number(first, "truncated.at_s") < 30.0);
}

#[test]
fn the_largest_chain_of_components_runs() {
    // A chain of 15,000 servers once took six minutes and 2.4 GB, mostly to
    // write its results; now building, running and writing are linear.
    let mut text = String::from(
        "name: chain\nduration: 2s\nwarmup: 0s\ntraffic: {rate: 1/s}\nentry: s0\n\
         network: {latency: 0ms}\ncomponents:\n",
    );
    let n = 20_000;
    for i in 0..n {
        let calls = if i + 1 < n {
            format!(", calls: [s{}]", i + 1)
        } else {
            String::new()
        };
        text.push_str(&format!("  s{i}: {{kind: server, work: 1us{calls}}}\n"));
    }
    let (_dir, path) = file(&text);
    let out = run_json(&[path.to_str().unwrap()]);
    assert!(number(&out.json[0], "requests.completed") >= 1.0);
    // One component more is beyond the limit.
    text.push_str("  extra: {kind: server, work: 1us}\n");
    refused(&text, &["components", "at most 20000"]);
}

/// A balancer or a proxy that crashes answers its requests at once while
/// the servers behind it still work on them: each such request must stay
/// readable until its server is done, so that every job the servers finish
/// still makes its call to the database.
#[test]
fn a_crashed_relay_leaves_its_requests_readable_for_the_work_behind_it() {
    for front in [
        "lb: {kind: load_balancer, targets: web}",
        "lb: {kind: proxy, targets: web}",
    ] {
        let yaml = format!(
            "name: relay crash
seed: 3
duration: 20s
warmup: 0s
traffic:
  rate: 100/s
entry: lb
components:
  {front}
  web: {{kind: server, replicas: 2, cores: 64, work: 100ms, service: deterministic, calls: [db]}}
  db: {{kind: database, cores: 8, work: 1ms}}
failures:
  - {{at: 5s, crash: lb, for: 1s}}
  - {{at: 12s, crash: lb, for: 1s}}
"
        );
        let dir = TempDir::new().unwrap();
        let file = dir.path().join("relay-crash.yaml");
        std::fs::write(&file, yaml).unwrap();
        let run = run_json(&[file.to_str().unwrap()]);
        let result = &run.json[0];
        let served = number(result, "components.web.completed");
        let called = number(result, "components.db.completed");
        let failed = number(result, "requests.failed");
        assert!(failed > 0.0, "{front}: the crash failed no request");
        assert_eq!(served, called, "{front}: jobs served without their call");
    }
}
