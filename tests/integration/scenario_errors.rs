//! The gallery of bad scenario files: each is refused with exit status 2 and a
//! message naming the file, the line, the field and what was expected, by both
//! `validate` and `run`, and never with a panic.

use std::process::Output;

use tempfile::TempDir;

use crate::scalesim;

/// One bad file and what its error message must say.
struct Case {
    /// File name under `tests/bad/`.
    file: &'static str,
    /// Lines the error may be placed on; empty when the file has no line to point at.
    lines: &'static [usize],
    /// The field path named in the message (empty for a YAML syntax error).
    path: &'static str,
    /// A phrase of what was wrong or expected.
    expected: &'static str,
}

/// Files with exactly one mistake each.
const CASES: &[Case] = &[
    Case {
        file: "name_is_a_boolean.yaml",
        lines: &[2],
        path: "name",
        expected: "expected text, found the boolean false (written `no`); quote it to keep it text: name: \"no\"",
    },
    Case {
        file: "closed_think_beyond_rate_limit.yaml",
        lines: &[6],
        path: "traffic.closed.think",
        expected: "100 users thinking 1us send up to 1e8 requests per second",
    },
    Case {
        file: "lesson_knob_on_a_file.yaml",
        lines: &[12],
        path: "lesson.knobs[0].path",
        expected: "a knob cannot turn `traffic.trace`",
    },
    Case {
        file: "lesson_knobs_too_many_values.yaml",
        lines: &[10],
        path: "lesson.knobs",
        expected: "the knobs offer 69 values; at most 64",
    },
    Case {
        file: "lesson_knob_value_refused.yaml",
        lines: &[12],
        path: "lesson.knobs[0].values[1]",
        expected: "the knob cannot take `1000`: components.web.cores: no machine has 1000 cores",
    },
    Case {
        file: "lesson_knob_try_not_in_values.yaml",
        lines: &[11],
        path: "lesson.knobs[0].try",
        expected: "`4` is not among the knob's values (1, 2)",
    },
    Case {
        file: "lesson_knob_unknown_field.yaml",
        lines: &[11],
        path: "lesson.knobs[0].try",
        expected: "unknown field `threads`",
    },
    Case {
        file: "number_too_large.yaml",
        lines: &[7],
        path: "",
        expected: "`1e400` is not a finite number",
    },
    Case {
        file: "alias_inside_itself.yaml",
        lines: &[7],
        path: "",
        expected: "an alias refers to the value that holds it",
    },
    Case {
        file: "lesson_unknown_figure.yaml",
        lines: &[12],
        path: "lesson.figures[0]",
        expected: "a server does not report `hit_ratio`",
    },
    Case {
        file: "lesson_knob_wrong_direction.yaml",
        lines: &[15],
        path: "lesson.knobs[0].expect.latency.p99",
        expected: "expected `up` or `down`",
    },
    Case {
        file: "cores_beyond_ceiling.yaml",
        lines: &[11],
        path: "components.web.cores",
        expected: "the largest has 64",
    },
    Case {
        file: "unknown_machine.yaml",
        lines: &[11],
        path: "components.web.machine",
        expected: "unknown machine size `huge`",
    },
    Case {
        file: "crash_unknown_component.yaml",
        lines: &[12],
        path: "failures[0].crash",
        expected: "no component is called `wbe`",
    },
    Case {
        file: "power_loss_unknown_zone.yaml",
        lines: &[13],
        path: "failures[0].power_loss",
        expected: "no component is placed in zone `zone-z`",
    },
    Case {
        file: "health_check_timeout_too_long.yaml",
        lines: &[11],
        path: "components.lb.health_check.timeout",
        expected: "no longer than the interval",
    },
    Case {
        file: "backoff_without_retries.yaml",
        lines: &[6],
        path: "traffic.backoff",
        expected: "needs `retries`",
    },
    Case {
        file: "unknown_failure_kind.yaml",
        lines: &[12],
        path: "failures[0]",
        expected: "expected one of crash, power_loss, slow, partition, random",
    },
    Case {
        file: "unknown_top_level_field.yaml",
        lines: &[4],
        path: "colour",
        expected: "unknown field `colour`",
    },
    Case {
        file: "component_field_typo.yaml",
        lines: &[10],
        path: "components.web.coress",
        expected: "unknown field `coress`",
    },
    Case {
        file: "wrong_type_cores.yaml",
        lines: &[10],
        path: "components.web.cores",
        expected: "expected a whole number",
    },
    Case {
        file: "zero_cores.yaml",
        lines: &[11],
        path: "components.web.cores",
        expected: "positive number of cores",
    },
    Case {
        file: "zero_replicas.yaml",
        lines: &[10],
        path: "components.web.replicas",
        expected: "positive number of replicas",
    },
    Case {
        file: "zero_rate.yaml",
        lines: &[5],
        path: "traffic.rate",
        expected: "positive rate",
    },
    Case {
        file: "negative_rate.yaml",
        lines: &[7],
        path: "traffic.rate",
        expected: "non-negative rate",
    },
    Case {
        file: "rate_without_unit.yaml",
        lines: &[5],
        path: "traffic.rate",
        expected: "like 800/s",
    },
    Case {
        file: "duration_without_unit.yaml",
        lines: &[4],
        path: "duration",
        expected: "a duration with a unit",
    },
    Case {
        file: "unknown_time_unit.yaml",
        lines: &[3],
        path: "duration",
        expected: "unknown time unit `fortnights`",
    },
    Case {
        file: "weights_sum_to_zero.yaml",
        lines: &[6],
        path: "traffic.requests",
        expected: "weights sum to zero",
    },
    Case {
        file: "warmup_longer_than_run.yaml",
        lines: &[4],
        path: "warmup",
        expected: "must be shorter than the duration",
    },
    Case {
        file: "entry_missing_component.yaml",
        lines: &[6],
        path: "entry",
        expected: "no component is called `lb`",
    },
    Case {
        file: "targets_missing_component.yaml",
        lines: &[10],
        path: "components.lb.targets",
        expected: "no component is called `webb`",
    },
    Case {
        file: "calls_wait_more_than_calls.yaml",
        lines: &[11],
        path: "components.search.calls[0].wait",
        expected: "`wait: 5` over 3 calls",
    },
    Case {
        file: "breaker_threshold_above_100.yaml",
        lines: &[14],
        path: "components.web.edges.cart.circuit_breaker.failure_rate",
        expected: "a fraction between 0 and 1",
    },
    Case {
        file: "breaker_threshold_zero.yaml",
        lines: &[14],
        path: "components.web.edges.cart.circuit_breaker.failure_rate",
        expected: "expected a failure rate in (0, 100%], found 0%",
    },
    Case {
        file: "bulkhead_zero.yaml",
        lines: &[13],
        path: "components.web.edges.cart.bulkhead",
        expected: "expected a bulkhead from 1 to 10000000 calls in flight, found 0",
    },
    Case {
        file: "edge_timeout_negative.yaml",
        lines: &[14],
        path: "components.web.edges.cart.timeout",
        expected: "expected a timeout longer than 0 with a unit, like 250ms (leave it out to wait as long as it takes), found `-5ms`",
    },
    Case {
        file: "too_many_request_types.yaml",
        lines: &[7],
        path: "traffic.requests",
        expected: "expected at most 256 request types, found 257",
    },
    Case {
        file: "lesson_figure_unknown_type.yaml",
        lines: &[12],
        path: "lesson.figures[0]",
        expected: "no request type is called `update`",
    },
    Case {
        file: "timeout_zero.yaml",
        lines: &[6],
        path: "traffic.timeout",
        expected: "expected a timeout longer than 0 with a unit, like 250ms (leave it out to wait as long as it takes), found `0ms`",
    },
    Case {
        file: "edge_not_called.yaml",
        lines: &[13],
        path: "components.web.edges.orders",
        expected: "`orders` is not called by this component",
    },
    Case {
        file: "call_cycle.yaml",
        lines: &[8],
        path: "components.a",
        expected: "cycle: a -> b -> a",
    },
    Case {
        file: "unknown_kind.yaml",
        lines: &[9],
        path: "components.web.kind",
        expected: "unknown kind `serverless`",
    },
    Case {
        file: "unknown_strategy.yaml",
        lines: &[11],
        path: "components.lb.strategy",
        expected: "`fastest`, expected one of `round_robin`",
    },
    Case {
        file: "unknown_distribution.yaml",
        lines: &[11],
        path: "components.web.service",
        expected: "`poisson`, expected one of `deterministic`",
    },
    Case {
        file: "pareto_alpha_too_small.yaml",
        lines: &[11],
        path: "components.web.service",
        expected: "tail index above 1",
    },
    Case {
        file: "negative_queue.yaml",
        lines: &[11],
        path: "components.web.queue",
        expected: "expected a queue length (0 or more)",
    },
    // The bracket opens on line 11; a parser notices it is unclosed on line 11 or 12.
    Case {
        file: "yaml_unclosed_bracket_after_empty_key.yaml",
        lines: &[3],
        path: "",
        expected: "invalid YAML: unclosed bracket '['",
    },
    Case {
        file: "yaml_syntax_error.yaml",
        lines: &[11, 12],
        path: "",
        expected: "invalid YAML",
    },
    // A missing field has no line of its own: the top of the document will do.
    Case {
        file: "missing_traffic.yaml",
        lines: &[1, 2],
        path: "traffic",
        expected: "missing field `traffic`",
    },
    Case {
        file: "schedule_out_of_order.yaml",
        lines: &[10],
        path: "traffic.schedule[2].at",
        expected: "increasing order",
    },
    Case {
        file: "weights_count_mismatch.yaml",
        lines: &[12],
        path: "components.lb.weights",
        expected: "one weight per replica of `web` (3), found 2",
    },
    Case {
        file: "work_unknown_request_type.yaml",
        lines: &[16],
        path: "components.web.work.delete",
        expected: "`delete` is not a request type",
    },
    // See: a `rate: ~` was rejected with no message at all.
    Case {
        file: "null_rate.yaml",
        lines: &[5],
        path: "traffic.rate",
        expected: "expected a value, found nothing",
    },
    Case {
        file: "cache_without_backend.yaml",
        lines: &[9],
        path: "components.cache",
        expected: "missing field `backend`",
    },
    Case {
        file: "unknown_eviction.yaml",
        lines: &[12],
        path: "components.cache.eviction",
        expected: "`oldest`, expected one of `lru`, `lfu`, `fifo`, `random`",
    },
    Case {
        file: "cache_without_keys.yaml",
        lines: &[8],
        path: "components.cache",
        expected: "needs requests with keys: add `traffic.keys`",
    },
    Case {
        file: "zipf_s_not_positive.yaml",
        lines: &[9],
        path: "traffic.keys.s",
        expected: "positive Zipf exponent, found -0.5",
    },
    Case {
        file: "unknown_op.yaml",
        lines: &[9],
        path: "traffic.requests.write.op",
        expected: "`update`, expected `read` or `write`",
    },
    Case {
        file: "zero_shards.yaml",
        lines: &[11],
        path: "components.db.shards",
        expected: "number of shards from 1 to 1024, found 0",
    },
    Case {
        file: "reads_from_missing_replicas.yaml",
        lines: &[11],
        path: "components.db.reads",
        expected: "needs `read_replicas`",
    },
    Case {
        file: "sticky_with_ip_hash.yaml",
        lines: &[12],
        path: "components.lb.sticky",
        expected: "`strategy: ip_hash` is sticky already",
    },
    Case {
        file: "sticky_unknown_kind.yaml",
        lines: &[11],
        path: "components.lb.sticky",
        expected: "unknown variant `source_ip`, expected `none` or `cookie`",
    },
    Case {
        file: "session_store_not_a_store.yaml",
        lines: &[12],
        path: "components.web.sessions.store",
        expected: "must be a cache or a database, but `api` is a server",
    },
    Case {
        file: "session_store_unknown_field.yaml",
        lines: &[11],
        path: "components.web.sessions.replicated",
        expected: "unknown field `replicated`, expected `store`",
    },
    Case {
        file: "session_miss_without_sessions.yaml",
        lines: &[12],
        path: "components.web.session_miss",
        expected: "applies only to a server that keeps sessions",
    },
    Case {
        file: "login_work_negative.yaml",
        lines: &[13],
        path: "components.web.login_work",
        expected: "expected a non-negative duration, found `-5ms`",
    },
    Case {
        file: "session_ttl_typo.yaml",
        lines: &[12],
        path: "components.web.session_tll",
        expected: "unknown field `session_tll`",
    },
    Case {
        file: "dns_target_missing.yaml",
        lines: &[10],
        path: "components.dns.targets[1]",
        expected: "no component is called `web-c`",
    },
    Case {
        file: "dns_ttl_negative.yaml",
        lines: &[11],
        path: "components.dns.ttl",
        expected: "expected a non-negative duration",
    },
    Case {
        file: "dns_weighted_without_weights.yaml",
        lines: &[8],
        path: "components.dns",
        expected: "`strategy: weighted` needs `weights`",
    },
    Case {
        file: "queue_consumes_not_a_queue.yaml",
        lines: &[13],
        path: "components.worker.consumes",
        expected: "`web` is a server, not a queue",
    },
    Case {
        file: "queue_nobody_consumes.yaml",
        lines: &[12],
        path: "components.orders",
        expected: "nobody consumes queue `orders`",
    },
    Case {
        file: "queue_capacity_zero.yaml",
        lines: &[14],
        path: "components.orders.capacity",
        expected: "expected a positive number of messages, found 0",
    },
    Case {
        file: "queue_capacity_over_limit.yaml",
        lines: &[14],
        path: "components.orders.capacity",
        expected: "(at most 10000000)",
    },
    Case {
        file: "queue_unknown_delivery.yaml",
        lines: &[14],
        path: "components.orders.delivery",
        expected: "expected `at_least_once` or `at_most_once`",
    },
    Case {
        file: "queue_unknown_field.yaml",
        lines: &[14],
        path: "components.orders.visibility",
        expected: "unknown field `visibility`",
    },
    Case {
        file: "function_without_work.yaml",
        lines: &[8, 9],
        path: "components.resize.work",
        expected: "missing field `work`",
    },
    Case {
        file: "function_zero_concurrency.yaml",
        lines: &[11],
        path: "components.resize.concurrency",
        expected: "expected a positive number of instances, found 0",
    },
    Case {
        file: "function_concurrency_over_limit.yaml",
        lines: &[11],
        path: "components.resize.concurrency",
        expected: "(at most 1000000)",
    },
    Case {
        file: "function_unknown_field.yaml",
        lines: &[11],
        path: "components.resize.cores",
        expected: "unknown field `cores`",
    },
    Case {
        file: "queue_worker_called.yaml",
        lines: &[16],
        path: "components.worker.consumes",
        expected: "a worker has no other traffic",
    },
    Case {
        file: "dns_unknown_field.yaml",
        lines: &[11],
        path: "components.dns.time_to_live",
        expected: "unknown field `time_to_live`",
    },
    Case {
        file: "dns_geo_without_origins.yaml",
        lines: &[11],
        path: "components.dns.strategy",
        expected: "give the users home regions with traffic.origins",
    },
    Case {
        file: "origins_unknown_region.yaml",
        lines: &[6],
        path: "traffic.origins.asia",
        expected: "no region is called `asia`",
    },
    Case {
        file: "region_latency_unknown_region.yaml",
        lines: &[9],
        path: "network.regions[0].between",
        expected: "no region is called `asia`",
    },
    Case {
        file: "region_latency_missing_pair.yaml",
        lines: &[8],
        path: "network.regions",
        expected: "no latency between `us` and `ap`",
    },
    Case {
        file: "component_across_regions.yaml",
        lines: &[11],
        path: "components.web",
        expected: "its machines are in regions eu and us",
    },
    Case {
        file: "closed_with_rate.yaml",
        lines: &[5],
        path: "traffic.rate",
        expected: "applies to an open loop, and this traffic has `closed`",
    },
    Case {
        file: "closed_zero_users.yaml",
        lines: &[5],
        path: "traffic.closed.users",
        expected: "expected a positive number of users",
    },
    Case {
        file: "closed_with_users.yaml",
        lines: &[5],
        path: "traffic.users",
        expected: "the users are the loop's",
    },
    Case {
        file: "closed_unknown_field.yaml",
        lines: &[5],
        path: "traffic.closed.ramp",
        expected: "unknown field `ramp`",
    },
    Case {
        file: "trace_missing_file.yaml",
        lines: &[5],
        path: "traffic.trace",
        expected: "cannot read the trace `tests/bad/traces/no-such-file.csv`",
    },
    Case {
        file: "trace_unsorted.yaml",
        lines: &[5],
        path: "traffic.trace",
        expected: "traces/unsorted.csv:4: the times must not decrease",
    },
    Case {
        file: "trace_not_a_number.yaml",
        lines: &[5],
        path: "traffic.trace",
        expected: "traces/not_a_number.csv:3: expected a time in seconds",
    },
    Case {
        file: "trace_unknown_type.yaml",
        lines: &[5],
        path: "traffic.trace",
        expected: "traces/unknown_type.csv:3: `buy` is not a request type",
    },
    Case {
        file: "trace_unknown_type_work_per_type.yaml",
        lines: &[6],
        path: "traffic.trace",
        expected: "traces/unknown_type.csv:3: `buy` is not a request type",
    },
    Case {
        file: "trace_missing_file_work_per_type.yaml",
        lines: &[6],
        path: "traffic.trace",
        expected: "cannot read the trace `tests/bad/traces/no-such-file.csv`",
    },
    Case {
        file: "retries_negative_with_backoff.yaml",
        lines: &[7],
        path: "traffic.retries",
        expected: "expected a whole number from 0 to 100, found -1",
    },
    Case {
        file: "retries_too_many.yaml",
        lines: &[6],
        path: "traffic.retries",
        expected: "expected a whole number from 0 to 100, found 4000000000",
    },
    Case {
        file: "cron_every_shorter_than_work.yaml",
        lines: &[7],
        path: "cron[0].every",
        expected: "the period must not be shorter than the work",
    },
    Case {
        file: "cron_on_not_a_server.yaml",
        lines: &[7],
        path: "cron[0].on",
        expected: "`pages` is a cache: batch jobs run on the cores of a server",
    },
    Case {
        file: "cron_warms_not_a_cache.yaml",
        lines: &[7],
        path: "cron[0].warms",
        expected: "`db` is a database: a batch job warms a cache",
    },
    Case {
        file: "cron_unknown_field.yaml",
        lines: &[7],
        path: "cron[0].start",
        expected: "unknown field `start`",
    },
    Case {
        file: "empty.yaml",
        lines: &[1],
        path: "",
        expected: "expected a mapping",
    },
    Case {
        file: "autoscale_min_above_max.yaml",
        lines: &[12],
        path: "components.web.autoscale.min",
        expected: "expected at most `max` (2), found 5",
    },
    Case {
        file: "autoscale_cpu_target_zero.yaml",
        lines: &[15],
        path: "components.web.autoscale.target",
        expected: "a cpu target above 0% and at most 100%",
    },
    Case {
        file: "autoscale_cpu_target_above_100.yaml",
        lines: &[15],
        path: "components.web.autoscale.target",
        expected: "found 150%",
    },
    Case {
        file: "autoscale_unknown_metric.yaml",
        lines: &[14],
        path: "components.web.autoscale.metric",
        expected: "unknown variant `memory`",
    },
    Case {
        file: "autoscale_max_over_limit.yaml",
        lines: &[13],
        path: "components.web.autoscale.max",
        expected: "at most 100000",
    },
    Case {
        file: "autoscale_replicas_outside_range.yaml",
        lines: &[11],
        path: "components.web.replicas",
        expected: "`replicas` is the number serving at the start",
    },
    Case {
        file: "autoscale_unknown_field.yaml",
        lines: &[16],
        path: "components.web.autoscale.cooldwn",
        expected: "unknown field `cooldwn`",
    },
    Case {
        file: "rate_limit_zero_rate.yaml",
        lines: &[11],
        path: "components.edge.rate_limit.rate",
        expected: "expected a positive rate",
    },
    Case {
        file: "rate_limit_zero_burst.yaml",
        lines: &[13],
        path: "components.edge.rate_limit.burst",
        expected: "expected a burst of at least 1 token",
    },
    Case {
        file: "rate_limit_unknown_per.yaml",
        lines: &[13],
        path: "components.edge.rate_limit.per",
        expected: "`ip`, expected `user` or `global`",
    },
    Case {
        file: "proxy_targets_missing_component.yaml",
        lines: &[10],
        path: "components.edge.targets",
        expected: "no component is called `wbe`",
    },
    Case {
        file: "cron_jobs_beyond_rate_limit.yaml",
        lines: &[13],
        path: "cron[0].every",
        expected: "100000 jobs every 1us is 1e11 jobs per second, beyond what one simulation can take (at most 1e7 per second",
    },
    Case {
        file: "calls_group_without_parallel.yaml",
        lines: &[11],
        path: "components.web.calls[0]",
        expected: "missing field `parallel`",
    },
    Case {
        file: "queue_worker_publishes_to_its_queue.yaml",
        lines: &[13],
        path: "components.q",
        expected: "calls form a cycle: q -> w -> q",
    },
    Case {
        file: "replication_without_replicas.yaml",
        lines: &[15],
        path: "components.db.replication",
        expected: "`replication` needs `read_replicas`",
    },
    Case {
        file: "partitioning_without_shards.yaml",
        lines: &[15],
        path: "components.db.by",
        expected: "`by` needs `shards`",
    },
    Case {
        file: "too_many_call_steps.yaml",
        lines: &[11],
        path: "components.web.calls",
        expected: "expected at most 256 steps of calls per request type (calls, nested lists and groups), found 257",
    },
    Case {
        file: "proxy_unknown_field.yaml",
        lines: &[13],
        path: "components.edge.rate_limit.window",
        expected: "unknown field `window`, expected one of `rate`, `burst`, `per`",
    },
];

/// Returns the file's path as given on the command line.
fn bad(file: &str) -> String {
    format!("tests/bad/{file}")
}

/// Runs `scalesim validate FILE...`.
fn validate(files: &[&str]) -> Output {
    scalesim()
        .arg("validate")
        .args(files.iter().map(|f| bad(f)))
        .output()
        .unwrap()
}

/// Runs `scalesim run FILE --out DIR`; returns the output and whether results were written.
fn run(file: &str) -> (Output, bool) {
    let out = TempDir::new().unwrap();
    let output = scalesim()
        .arg("run")
        .arg(bad(file))
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    (output, out.path().join("results.json").exists())
}

/// Returns the lines of stderr that report an issue of `file`.
fn issue_lines(stderr: &str, file: &str) -> Vec<String> {
    let name = bad(file);
    stderr
        .lines()
        .filter(|l| l.starts_with(&format!("{name}:")))
        .map(str::to_string)
        .collect()
}

/// Checks one refusal; returns what is wrong with it, if anything.
fn check(case: &Case, command: &str, output: &Output) -> Option<String> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut problems = Vec::new();
    if output.status.code() != Some(2) {
        problems.push(format!(
            "exit status {:?}, expected 2",
            output.status.code()
        ));
    }
    if stderr.contains("panicked") {
        problems.push("it panicked".to_string());
    }
    let name = bad(case.file);
    let prefixes: Vec<String> = if case.lines.is_empty() {
        vec![format!("{name}:")]
    } else {
        case.lines
            .iter()
            .map(|line| format!("{name}:{line}:"))
            .collect()
    };
    let field = format!("{}: ", case.path);
    let found = stderr.lines().any(|l| {
        prefixes.iter().any(|p| l.starts_with(p.as_str()))
            && (case.path.is_empty() || l.contains(&field))
            && l.contains(case.expected)
    });
    if !found {
        problems.push(format!(
            "no line starts with one of {prefixes:?} and names `{}` with \"{}\"",
            case.path, case.expected
        ));
    }
    (!problems.is_empty()).then(|| {
        format!(
            "{command} {name}: {}\n--- stderr ---\n{stderr}",
            problems.join("; ")
        )
    })
}

#[test]
fn the_gallery_has_one_file_per_case_and_nothing_else() {
    let mut on_disk: Vec<String> = std::fs::read_dir(crate::root().join("tests/bad"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(|c| c.file.to_string()).collect();
    listed.push("several_mistakes.yaml".to_string());
    // The trace files that the trace cases name.
    listed.push("traces".to_string());
    listed.sort();
    assert_eq!(on_disk, listed, "every file in tests/bad/ must be checked");
    assert!(CASES.len() >= 18);
}

#[test]
fn validate_refuses_each_bad_file_with_line_field_and_reason() {
    let failures: Vec<String> = CASES
        .iter()
        .filter_map(|case| check(case, "validate", &validate(&[case.file])))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn run_refuses_each_bad_file_with_line_field_and_reason() {
    let failures: Vec<String> = CASES
        .iter()
        .filter_map(|case| {
            let (output, wrote) = run(case.file);
            let mut failure = check(case, "run", &output);
            if wrote {
                failure = Some(format!(
                    "run {}: wrote results.json for an invalid file\n{}",
                    case.file,
                    failure.unwrap_or_default()
                ));
            }
            failure
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_single_mistake_gives_a_single_error() {
    let failures: Vec<String> = CASES
        .iter()
        .filter_map(|case| {
            let output = validate(&[case.file]);
            let stderr = String::from_utf8_lossy(&output.stderr);
            let issues = issue_lines(&stderr, case.file);
            (issues.len() != 1).then(|| {
                format!(
                    "{}: {} errors for one mistake:\n{}",
                    case.file,
                    issues.len(),
                    issues.join("\n")
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_mistake_of_a_file_is_reported_at_once_in_file_order() {
    let file = "several_mistakes.yaml";
    let expected: [(usize, &str, &str); 4] = [
        (3, "duration", "a duration with a unit"),
        (5, "traffic.rate", "like 800/s"),
        (10, "components.lb.targets", "no component is called `webb`"),
        (14, "components.web.cores", "positive number of cores"),
    ];
    for (command, output) in [("validate", validate(&[file])), ("run", run(file).0)] {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{command}: {stderr}");
        assert!(!stderr.contains("panicked"), "{command}: {stderr}");
        let issues = issue_lines(&stderr, file);
        let mut last = 0;
        for (line, path, phrase) in expected {
            let prefix = format!("{}:{line}:", bad(file));
            let position = issues
                .iter()
                .position(|l| {
                    l.starts_with(&prefix) && l.contains(&format!("{path}: ")) && l.contains(phrase)
                })
                .unwrap_or_else(|| {
                    panic!("{command}: no `{prefix} {path}: ...{phrase}...` in:\n{stderr}")
                });
            assert!(
                position >= last,
                "{command}: line {line} is reported out of file order:\n{stderr}"
            );
            last = position;
        }
    }
}

#[test]
fn validate_reports_every_bad_file_and_accepts_the_good_ones() {
    let output = scalesim()
        .arg("validate")
        .arg(bad("zero_cores.yaml"))
        .arg("scenarios/one-big-server.yaml")
        .arg(bad("zero_replicas.yaml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("tests/bad/zero_cores.yaml:11:"), "{stderr}");
    assert!(
        stderr.contains("tests/bad/zero_replicas.yaml:10:"),
        "{stderr}"
    );
    assert!(
        stdout.contains("scenarios/one-big-server.yaml: ok"),
        "{stdout}"
    );
}

#[test]
fn run_with_one_bad_file_runs_nothing() {
    let out = TempDir::new().unwrap();
    let output = scalesim()
        .arg("run")
        .arg("scenarios/one-big-server.yaml")
        .arg(bad("zero_cores.yaml"))
        .arg("--out")
        .arg(out.path())
        .args(crate::SHORT)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("tests/bad/zero_cores.yaml:11:"), "{stderr}");
    assert!(!out.path().join("results.json").exists());
}

/// Writes `text` as `scenario.yaml` in a fresh folder; returns the folder.
fn scratch(text: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("scenario.yaml"), text).unwrap();
    dir
}

/// A one-server scenario with `extra` lines added to the server.
fn one_server(rate: &str, duration: &str, extra: &str) -> String {
    format!(
        "name: edge case\nduration: {duration}\ntraffic:\n  rate: {rate}\nentry: web\n\
         components:\n  web:\n    kind: server\n    work: 4ms\n{extra}"
    )
}

#[test]
fn a_huge_replica_count_is_bad_input() {
    let dir = scratch(&one_server("100/s", "2s", "    replicas: 4294967295\n"));
    let output = scalesim()
        .current_dir(dir.path())
        .args(["run", "scenario.yaml", "--out", "out", "--quiet"])
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("scenario.yaml:10:") && stderr.contains("components.web.replicas"),
        "{stderr}"
    );
}

#[test]
fn a_rate_beyond_the_clock_resolution_does_not_hang() {
    // At 1e12/s over 1 us, about a million requests arrive: a finite run.
    let dir = scratch(&one_server("1e12/s", "1us", ""));
    let output = scalesim()
        .current_dir(dir.path())
        .args(["run", "scenario.yaml", "--out", "out", "--quiet"])
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) => {}
        Some(2) => assert!(stderr.contains("traffic.rate"), "{stderr}"),
        other => panic!("exit status {other:?} (killed after 30 s?):\n{stderr}"),
    }
}

#[test]
fn a_section_of_the_wrong_type_is_explained_in_plain_words() {
    let dir = scratch(
        "name: x\nduration: 2s\ntraffic:\nentry: web\ncomponents:\n  web: {kind: server, work: 4ms}\n",
    );
    let output = scalesim()
        .current_dir(dir.path())
        .args(["validate", "scenario.yaml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("scenario.yaml:3:1: traffic: "), "{stderr}");
    assert!(
        !stderr.contains("struct") && !stderr.contains("Raw"),
        "the message names an internal type: {stderr}"
    );
}
