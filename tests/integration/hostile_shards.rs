//! A gallery of damaged and edited shards: `merge` refuses each with exit
//! status 2 and a message that names the file and says what is wrong, writes
//! no results, and never panics.
//!
//! The shards come from a real sweep (the small one of `shard.rs`, cut in 2),
//! run once per test process; each test edits copies of them. An edit that
//! should pass the checksum gets its checksum computed again, as only someone
//! set on forging a shard would do.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use predicates::prelude::*;
use serde_json::{Map, Value};
use tempfile::TempDir;

use crate::shard::{merge, names, shard};

/// Returns a folder holding the two honest shards of the small sweep, made
/// once for every test of this process.
fn pristine() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile-shards");
        let _ = std::fs::remove_dir_all(&dir);
        shard(1, 2, &[], &dir);
        shard(2, 2, &[], &dir);
        dir
    })
}

/// A copy of the honest shards in a folder of its own, to be edited.
struct Shards {
    tmp: TempDir,
}

impl Shards {
    fn new() -> Self {
        let tmp = TempDir::new().unwrap();
        std::fs::create_dir(tmp.path().join("shards")).unwrap();
        for k in 1..=2 {
            let name = format!("shard-{k}-of-2.json");
            std::fs::copy(
                pristine().join(&name),
                tmp.path().join("shards").join(&name),
            )
            .unwrap();
        }
        Self { tmp }
    }

    /// Returns the path of shard `k`.
    fn file(&self, k: u64) -> PathBuf {
        self.tmp
            .path()
            .join("shards")
            .join(format!("shard-{k}-of-2.json"))
    }

    /// Returns the content of shard `k`.
    fn read(&self, k: u64) -> Value {
        serde_json::from_slice(&std::fs::read(self.file(k)).unwrap()).unwrap()
    }

    /// Edits shard `k` and writes it back with its checksum computed again.
    fn forge(&self, k: u64, edit: impl FnOnce(&mut Value)) {
        let mut value = self.read(k);
        edit(&mut value);
        write_sealed(&self.file(k), value);
    }

    /// Edits shard `k` and writes it back as is, its old checksum included.
    fn edit(&self, k: u64, edit: impl FnOnce(&mut Value)) {
        let mut value = self.read(k);
        edit(&mut value);
        std::fs::write(self.file(k), value.to_string()).unwrap();
    }

    /// Runs `merge` on the folder, into a folder of results.
    fn merge(&self) -> assert_cmd::assert::Assert {
        merge(
            &[&self.tmp.path().join("shards")],
            &self.tmp.path().join("merged"),
        )
    }

    /// Checks that `merge` refuses the shards with exit status 2, a message
    /// holding each of `words`, and no results written.
    fn refused(&self, words: &[&str]) -> String {
        let assert = self.merge().code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        for word in words {
            assert!(stderr.contains(word), "no `{word}` in:\n{stderr}");
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            !self.tmp.path().join("merged").join("results.json").exists(),
            "merge wrote results from refused shards"
        );
        stderr
    }
}

/// Writes a shard's content with its checksum computed again.
pub fn write_sealed(path: &Path, mut value: Value) {
    let map = value.as_object_mut().unwrap();
    map.shift_remove("checksum");
    let sum = scalesim::sweep::shard::checksum(&Value::Object(map.clone()));
    map.insert("checksum".into(), Value::String(sum));
    std::fs::write(path, value.to_string()).unwrap();
}

/// Returns the figures of run `i` of a shard's content.
fn figures(value: &mut Value, i: usize) -> &mut Map<String, Value> {
    value["runs"][i]["figures"].as_object_mut().unwrap()
}

/// Returns the JSON form of a figure's value: its bit pattern.
fn bits(x: f64) -> Value {
    Value::from(x.to_bits())
}

#[test]
fn a_changed_number_is_called_edited_or_damaged() {
    let shards = Shards::new();
    // The hostile tester's edit: 44,350 rejected requests where there were none.
    shards.edit(1, |v| {
        figures(v, 0)["requests.rejected"][0] = bits(44_350.0)
    });
    shards.refused(&["shard-1-of-2.json", "was edited or damaged", "checksum"]);
}

#[test]
fn an_edited_label_version_or_metric_list_is_called_edited() {
    for edit in [
        (|v: &mut Value| v["sweep"]["points"][0]["labels"][0] = Value::from("9")) as fn(&mut Value),
        |v| v["scalesim"] = Value::from("0.0.1"),
        |v| v["sweep"]["metrics"] = serde_json::json!(["throughput_rps"]),
        |v| v["stopped_early"] = Value::Bool(true),
    ] {
        let shards = Shards::new();
        shards.edit(2, edit);
        shards.refused(&["shard-2-of-2.json", "was edited or damaged"]);
    }
}

#[test]
fn a_file_cut_short_is_called_cut_short() {
    let shards = Shards::new();
    let text = std::fs::read(shards.file(1)).unwrap();
    std::fs::write(shards.file(1), &text[..text.len() / 2]).unwrap();
    shards.refused(&["shard-1-of-2.json", "ends too early", "cut short"]);
}

#[test]
fn bytes_that_are_not_a_shard_are_refused() {
    let shards = Shards::new();
    std::fs::write(shards.file(1), [0xff, 0xfe, 0x00, 0x7b]).unwrap();
    shards.refused(&["shard-1-of-2.json", "not a shard of a sweep", "UTF-8"]);
    std::fs::write(shards.file(1), "[".repeat(100_000)).unwrap();
    shards.refused(&["shard-1-of-2.json", "not a shard of a sweep"]);
    std::fs::write(shards.file(1), "{\"format\": \"scalesim-shard\"} trailing").unwrap();
    shards.refused(&["shard-1-of-2.json", "not JSON"]);
}

#[test]
fn a_shard_without_its_checksum_is_refused() {
    let shards = Shards::new();
    shards.edit(1, |v| {
        v.as_object_mut().unwrap().shift_remove("checksum");
    });
    shards.refused(&["shard-1-of-2.json", "was edited or damaged", "no checksum"]);
}

#[test]
fn an_older_layout_is_refused_with_what_to_do() {
    let shards = Shards::new();
    shards.edit(1, |v| v["version"] = Value::from(1));
    shards.refused(&[
        "shard-1-of-2.json",
        "layout version 1",
        "run the shards again with this version",
    ]);
}

#[test]
fn a_shard_of_another_version_of_scalesim_is_refused() {
    let shards = Shards::new();
    shards.forge(2, |v| v["scalesim"] = Value::from("0.0.1"));
    shards.refused(&[
        "shard-2-of-2.json",
        "written by scalesim 0.0.1",
        "run every shard again with this version",
    ]);
}

#[test]
fn a_shard_of_another_sweep_is_refused() {
    let shards = Shards::new();
    shards.forge(2, |v| v["fingerprint"] = Value::from("0123456789abcdef"));
    shards.refused(&["shard-2-of-2.json", "is a shard of another sweep than"]);
}

#[test]
fn a_forged_grid_or_metric_list_is_another_outline() {
    for edit in [
        (|v: &mut Value| v["sweep"]["points"][0]["labels"][0] = Value::from("9")) as fn(&mut Value),
        |v| v["sweep"]["metrics"] = serde_json::json!(["throughput_rps"]),
    ] {
        let shards = Shards::new();
        shards.forge(2, edit);
        shards.refused(&[
            "shard-2-of-2.json",
            "not the same grid, metrics",
            "edited after it was written",
        ]);
    }
}

#[test]
fn a_shard_of_another_n_is_refused() {
    let shards = Shards::new();
    shards.forge(2, |v| v["shards"] = Value::from(3));
    shards.refused(&["shard-2-of-2.json", "every shard must use the same N"]);
}

#[test]
fn a_shard_given_twice_or_missing_is_refused() {
    let shards = Shards::new();
    let copy = shards.tmp.path().join("copy.json");
    std::fs::copy(shards.file(1), &copy).unwrap();
    let merged = shards.tmp.path().join("merged");
    merge(&[&shards.file(1), &copy, &shards.file(2)], &merged)
        .code(2)
        .stderr(predicate::str::contains("shard 1 of 2 is given twice"))
        .stderr(predicate::str::contains("copy.json"))
        // The copy is unchanged: only the duplicate is said, once.
        .stderr(predicate::str::contains("changed after it was written").not())
        .stderr(predicate::str::contains("is given in").not());
    merge(&[&shards.file(2)], &merged)
        .code(2)
        .stderr(predicate::str::contains("shard 1 of 2 is missing"));
}

#[test]
fn a_file_that_lost_runs_is_not_called_interrupted() {
    let shards = Shards::new();
    shards.forge(1, |v| {
        v["runs"].as_array_mut().unwrap().remove(1);
    });
    let stderr = shards.refused(&[
        "shard-1-of-2.json",
        "shard 1 of 2 finished its 3 runs, but the file holds 2 (run 2 is not in it)",
        "changed after it was written",
    ]);
    assert!(!stderr.contains("incomplete"), "{stderr}");
    assert!(!stderr.contains("interrupted"), "{stderr}");
}

#[test]
fn a_shard_stopped_early_is_called_incomplete() {
    let shards = Shards::new();
    shards.forge(2, |v| {
        v["runs"].as_array_mut().unwrap().pop();
        v["stopped_early"] = Value::Bool(true);
    });
    shards.refused(&[
        "shard 2 of 2 is incomplete: 2 of its 3 runs finished",
        "shard-2-of-2.json",
        "run it again",
    ]);
}

#[test]
fn a_removed_figure_is_named() {
    let shards = Shards::new();
    shards.forge(1, |v| {
        figures(v, 0).shift_remove("requests.rejected").unwrap();
    });
    shards.refused(&[
        "shard-1-of-2.json",
        "run 0 (point 0 [components.box.cores=8], replication 0)",
        "lacks figures that every run reports: requests.rejected",
        "does not list the figures of the other runs of its point: it lacks requests.rejected",
    ]);
}

#[test]
fn an_extra_figure_is_named() {
    let shards = Shards::new();
    shards.forge(1, |v| {
        figures(v, 1).insert("bogus".into(), serde_json::json!([0, false]));
    });
    shards.refused(&[
        "shard-1-of-2.json",
        "has figures that scalesim does not report: bogus",
        "has bogus besides",
    ]);
    // A figure scalesim reports, but not for this run's point.
    let shards = Shards::new();
    shards.forge(2, |v| {
        let hit_ratio = serde_json::json!([0.5_f64.to_bits(), false]);
        figures(v, 2).insert("components.box.hit_ratio".into(), hit_ratio);
    });
    shards.refused(&[
        "shard-2-of-2.json",
        "run 5 (point 1 [components.box.cores=10], replication 2)",
        "has components.box.hit_ratio besides",
    ]);
}

#[test]
fn a_renamed_figure_is_named_both_ways() {
    let shards = Shards::new();
    shards.forge(2, |v| {
        let runs = v["runs"].as_array_mut().unwrap();
        for run in runs {
            let figures = run["figures"].as_object_mut().unwrap();
            let value = figures.shift_remove("latency_ms.p99").unwrap();
            figures.insert("latency_ms.p98".into(), value);
        }
    });
    shards.refused(&[
        "has figures that scalesim does not report: latency_ms.p98",
        "lacks figures that every run reports: latency_ms.p99",
    ]);
}

#[test]
fn a_figure_that_is_a_total_in_one_run_only_is_named() {
    let shards = Shards::new();
    shards.forge(1, |v| {
        figures(v, 2)["latency_ms.mean"][1] = Value::Bool(true)
    });
    shards.refused(&["sums or averages latency_ms.mean the other way"]);
}

#[test]
fn nan_or_infinity_is_refused_where_no_run_gives_it() {
    for (figure, value, shown) in [
        ("latency_ms.p99", f64::NAN, "latency_ms.p99 = NaN"),
        ("availability", f64::INFINITY, "availability = inf"),
        (
            "components.box.utilization",
            f64::NAN,
            "components.box.utilization = NaN",
        ),
        ("slo.nines", f64::INFINITY, "slo.nines = inf"),
    ] {
        let shards = Shards::new();
        shards.forge(1, |v| figures(v, 0)[figure][0] = bits(value));
        shards.refused(&[
            "shard-1-of-2.json",
            "has values that no run gives",
            shown,
            "except slo.nines, which may be undefined",
        ]);
    }
}

#[test]
fn nan_nines_are_what_a_perfect_run_gives_and_merge() {
    // Every window met its objective: the nines are undefined, as a sweep writes them.
    let honest = Shards::new().read(1);
    let nines = honest["runs"][0]["figures"]["slo.nines"][0]
        .as_u64()
        .unwrap();
    assert!(
        f64::from_bits(nines).is_nan(),
        "the sweep's runs are no longer perfect"
    );
    let shards = Shards::new();
    shards.forge(1, |v| figures(v, 1)["slo.nines"][0] = bits(-f64::NAN));
    shards.merge().success();
}

#[test]
fn a_run_given_twice_is_refused() {
    let shards = Shards::new();
    shards.forge(1, |v| {
        let runs = v["runs"].as_array_mut().unwrap();
        let again = runs[0].clone();
        runs.push(again);
    });
    shards.refused(&["run 0 (point 0 [components.box.cores=8], replication 0) is given twice in"]);
    // The same run in the other shard, where it does not belong.
    let shards = Shards::new();
    let run = shards.read(1)["runs"][0].clone();
    shards.forge(2, |v| v["runs"].as_array_mut().unwrap().push(run));
    shards.refused(&[
        "shard-2-of-2.json",
        "run 0",
        "does not belong to shard 2 of 2",
    ]);
}

#[test]
fn runs_outside_the_grid_are_refused() {
    for (point, replication) in [(2, 0), (0, 3), (u64::MAX, 0)] {
        let shards = Shards::new();
        shards.forge(1, |v| {
            let runs = v["runs"].as_array_mut().unwrap();
            let mut outside = runs[0].clone();
            outside["point"] = Value::from(point);
            outside["replication"] = Value::from(replication);
            runs.push(outside);
        });
        let expected =
            format!("a run of point {point} replication {replication} is outside the grid");
        shards.refused(&["shard-1-of-2.json", &expected]);
    }
}

#[test]
fn absurd_numbers_are_refused_without_a_panic() {
    /// Returns a JSON number as a file may hold it, out of range or not.
    fn number(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }
    let edits: [fn(&mut Value); 12] = [
        |v| v["shards"] = Value::from(u64::MAX),
        |v| v["shard"] = Value::from(0),
        |v| v["shards"] = number("1e300"),
        |v| v["tasks"] = number("18446744073709551616"),
        |v| v["sweep"]["replications"] = Value::from(u64::MAX),
        |v| v["sweep"]["replications"] = Value::from(0),
        |v| v["sweep"]["points"] = Value::Array(Vec::new()),
        |v| v["runs"][0]["seed"] = Value::from(-1),
        |v| v["runs"][0]["figures"] = Value::Array(Vec::new()),
        |v| figures(v, 0)["events"] = Value::from("many"),
        |v| {
            figures(v, 0).insert("a..b".into(), serde_json::json!([0, true]));
        },
        |v| v["runs"][0]["truncated"] = serde_json::json!({"reason": "bored", "at_s": 0}),
    ];
    for edit in edits {
        let shards = Shards::new();
        shards.forge(1, edit);
        shards.refused(&["shard-1-of-2.json"]);
    }
}

#[test]
fn huge_but_finite_figures_do_not_make_merge_panic() {
    let shards = Shards::new();
    for k in 1..=2 {
        shards.forge(k, |v| {
            for run in v["runs"].as_array_mut().unwrap() {
                let figures = run["figures"].as_object_mut().unwrap();
                figures["latency_ms.p99"][0] = bits(f64::MAX);
                figures["throughput_rps"][0] = bits(-f64::MAX);
            }
        });
    }
    // Sums and means overflow to infinity; the results say so, as they would
    // for such runs, and nothing panics.
    shards
        .merge()
        .success()
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn honest_copies_still_merge() {
    let shards = Shards::new();
    // A pretty-printed shard is the same content.
    let pretty = serde_json::to_string_pretty(&shards.read(1)).unwrap();
    std::fs::write(shards.file(1), pretty).unwrap();
    shards.merge().success();
    assert!(names(&shards.tmp.path().join("merged")).contains(&"results.json".to_string()));
}
