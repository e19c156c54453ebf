//! Shards of a sweep: `sweep --shard K/N` runs one slice of a sweep's runs and
//! writes them to a partial file; `merge` checks that the partial files of one
//! sweep cover every run exactly once and rebuilds the sweep's data from them.
//!
//! The runs of a sweep are its tasks, numbered in the order the runner uses:
//! point-major (every replication of the first point, then of the second...).
//! Shard K of N takes the tasks whose number is K-1 modulo N. Dealing them
//! round robin, rather than in N blocks, spreads heavy and light points (a
//! grid over the load or the replicas) evenly over the shards.
//!
//! A run's seeds depend only on its scenario, its replication and the names
//! of its random streams, never on the process or thread that runs it, so a
//! task gives the same figures in any shard. The partial file stores each
//! figure as the bit pattern of its `f64` (JSON numbers do not carry NaN and
//! need care to round-trip), so the merged results are the very same bytes
//! as those of the sweep run in one process.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::fnv1a;
use crate::error::{Error, Result};
use crate::metrics::{FlatFigure, FlatRun, ScenarioResult, StopReason, Truncation};
use crate::report::{self, data::SweepData};
use crate::runner::{Limits, Task};
use crate::scenario::Scenario;
use crate::sweep::{Outline, PointOutline};

/// The `format` field of every partial file.
const FORMAT: &str = "scalesim-shard";

/// Version of the partial file's layout; a file of another version is refused.
pub const FORMAT_VERSION: u32 = 1;

/// One of N slices of a sweep's runs (`K/N`, with K from 1 to N).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shard {
    /// Which slice (1-based).
    pub index: u64,
    /// How many slices.
    pub count: u64,
}

impl Shard {
    /// Parses `K/N`; returns what was expected when the text does not fit.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let fits = || "expected K/N, like 2/8 (the second of 8 slices)".to_string();
        let (k, n) = text.trim().split_once('/').ok_or_else(fits)?;
        let index: u64 = k.trim().parse().map_err(|_| fits())?;
        let count: u64 = n.trim().parse().map_err(|_| fits())?;
        if count == 0 {
            return Err("N must be at least 1".into());
        }
        if index == 0 || index > count {
            return Err(format!(
                "K must be between 1 and {count} (shards are numbered from 1)"
            ));
        }
        Ok(Shard { index, count })
    }

    /// Returns true if task number `task` belongs to this shard.
    pub fn takes(&self, task: u64) -> bool {
        task % self.count == self.index - 1
    }

    /// Returns how many of `total` tasks belong to this shard.
    pub fn size(&self, total: u64) -> u64 {
        // The tasks K-1, K-1+N, K-1+2N... below `total`.
        (total + self.count - self.index) / self.count
    }

    /// Returns the name of this shard's partial file: `shard-K-of-N.json`.
    pub fn file_name(&self) -> String {
        format!("shard-{}-of-{}.json", self.index, self.count)
    }

    /// Returns the shard named by a partial file's name, if it is one.
    pub fn of_file_name(name: &str) -> Option<Shard> {
        let rest = name.strip_prefix("shard-")?.strip_suffix(".json")?;
        let (k, n) = rest.split_once("-of-")?;
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(k) || !all_digits(n) {
            return None;
        }
        Shard::parse(&format!("{k}/{n}")).ok()
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} of {}", self.index, self.count)
    }
}

/// Returns the task number of `task` in a sweep with `replications` replications per point.
pub fn task_number(task: Task, replications: u64) -> u64 {
    task.scenario as u64 * replications + task.replication
}

/// Returns a fingerprint of a sweep: a hash of everything that decides its
/// results, so that `merge` refuses shards of different sweeps.
///
/// It covers the version of scalesim, every point's scenario as checked (its
/// `Debug` text, after `--set`, `--vary` and `--seed`), the outline (grid,
/// metrics, replications, predictions), and the guard rails that stop runs at
/// the same event everywhere (`--max-events`, `--max-in-flight`). It leaves out
/// `--max-wall`, a budget of wall-clock time that may differ from machine to
/// machine (a run it stops says so in its results), and `--jobs`.
/// The hash is FNV-1a (64 bits), the same on every platform and in every process.
pub fn fingerprint(scenarios: &[Scenario], outline: &Outline, limits: &Limits) -> String {
    let mut text = format!(
        "scalesim {}\nmax_events {:?}\nmax_in_flight {}\n{outline:?}\n",
        env!("CARGO_PKG_VERSION"),
        limits.max_events,
        limits.max_in_flight
    );
    for scenario in scenarios {
        text.push_str(&format!("{scenario:?}\n"));
    }
    format!("{:016x}", fnv1a(text.as_bytes()))
}

/// What one shard of a sweep finished: the content of its partial file.
#[derive(Clone, Debug)]
pub struct Partial {
    /// Which shard.
    pub shard: Shard,
    /// The sweep's [`fingerprint`].
    pub fingerprint: String,
    /// The version of scalesim that wrote it.
    pub version: String,
    /// The sweep without its results.
    pub outline: Outline,
    /// Each finished run with its task (the task's `scenario` is the point's
    /// index), in task order.
    pub runs: Vec<(Task, FlatRun)>,
}

impl Partial {
    /// Returns the number of tasks of the whole sweep.
    pub fn total(&self) -> u64 {
        self.outline.tasks()
    }

    /// Writes `DIR/shard-K-of-N.json` atomically; returns its path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf> {
        let path = dir.join(self.shard.file_name());
        let text = self.to_json().map_err(|e| Error::Write {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        report::write_atomic(&path, text.as_bytes())?;
        Ok(path)
    }

    /// Reads a partial file.
    pub fn read(path: &Path) -> Result<Partial> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Partial::from_json(&text)
            .map_err(|e| Error::Usage(format!("{}: not a shard of a sweep: {e}", path.display())))
    }

    /// Returns the partial file's text: one JSON object on one line.
    pub fn to_json(&self) -> serde_json::Result<String> {
        let record = FileRecord {
            format: FORMAT.to_string(),
            version: FORMAT_VERSION,
            scalesim: self.version.clone(),
            fingerprint: self.fingerprint.clone(),
            shard: self.shard.index,
            shards: self.shard.count,
            tasks: self.total(),
            sweep: OutlineRecord::of(&self.outline),
            runs: self
                .runs
                .iter()
                .map(|(task, run)| RunRecord::of(*task, run))
                .collect(),
        };
        let mut text = serde_json::to_string(&record)?;
        text.push('\n');
        Ok(text)
    }

    /// Parses a partial file's text.
    pub fn from_json(text: &str) -> Result<Partial, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(format!("no `\"format\": \"{FORMAT}\"`"));
        }
        let version = value.get("version").and_then(Value::as_u64);
        if version != Some(u64::from(FORMAT_VERSION)) {
            return Err(format!(
                "layout version {}, where this scalesim reads version {FORMAT_VERSION}; \
                 run the shards again with this scalesim",
                version.map_or("unknown".to_string(), |v| v.to_string())
            ));
        }
        let record: FileRecord = serde_json::from_value(value).map_err(|e| e.to_string())?;
        let shard = Shard::parse(&format!("{}/{}", record.shard, record.shards))
            .map_err(|e| format!("shard {}/{}: {e}", record.shard, record.shards))?;
        let outline = record.sweep.outline();
        if record.tasks != outline.tasks() {
            return Err(format!(
                "{} tasks, where its grid has {}",
                record.tasks,
                outline.tasks()
            ));
        }
        let runs = record
            .runs
            .into_iter()
            .map(RunRecord::into_task)
            .collect::<Result<_, _>>()?;
        Ok(Partial {
            shard,
            fingerprint: record.fingerprint,
            version: record.scalesim,
            outline,
            runs,
        })
    }
}

/// Returns the partial files named by `args`: each argument is a partial file,
/// or a folder whose `shard-K-of-N.json` files are all taken.
pub fn find(args: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for arg in args {
        if arg.is_dir() {
            let entries = std::fs::read_dir(arg).map_err(|source| Error::Read {
                path: arg.clone(),
                source,
            })?;
            let mut found = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|source| Error::Read {
                    path: arg.clone(),
                    source,
                })?;
                let name = entry.file_name();
                if let Some(shard) = name.to_str().and_then(Shard::of_file_name) {
                    found.push((shard, entry.path()));
                }
            }
            if found.is_empty() {
                return Err(Error::Usage(format!(
                    "{}: no shard files (shard-K-of-N.json) in this folder",
                    arg.display()
                )));
            }
            found.sort();
            files.extend(found.into_iter().map(|(_, path)| path));
        } else if arg.is_file() {
            files.push(arg.clone());
        } else {
            return Err(Error::Usage(format!(
                "{}: no such file or folder",
                arg.display()
            )));
        }
    }
    // The same file named twice (as itself and through its folder) counts once.
    let mut seen = BTreeSet::new();
    files.retain(|f| seen.insert(f.canonicalize().unwrap_or_else(|_| f.clone())));
    Ok(files)
}

/// Checks that `parts` are the shards of one sweep and hold each of its runs
/// exactly once, and returns the sweep's data, aggregated exactly as an
/// unsharded sweep aggregates it. Every problem found is reported at once.
pub fn merge(parts: &[(PathBuf, Partial)]) -> Result<SweepData> {
    let Some((first_path, first)) = parts.first() else {
        return Err(Error::Usage("no shard files to merge".into()));
    };
    let mut problems = Vec::new();
    for (path, part) in &parts[1..] {
        if part.fingerprint != first.fingerprint {
            problems.push(format!(
                "{} is a shard of another sweep than {} (sweep {} of scalesim {}, not sweep {} \
                 of scalesim {}): shards must come from the same file, --vary, --set, --seed, \
                 --replications, --metric, --max-events and --max-in-flight",
                path.display(),
                first_path.display(),
                part.fingerprint,
                part.version,
                first.fingerprint,
                first.version
            ));
        } else if part.shard.count != first.shard.count {
            problems.push(format!(
                "{} is shard {}, but {} is shard {}: every shard must use the same N",
                path.display(),
                part.shard,
                first_path.display(),
                first.shard
            ));
        }
    }
    if !problems.is_empty() {
        return Err(Error::Usage(problems.join("\n")));
    }
    let count = first.shard.count;
    let outline = &first.outline;
    let total = outline.tasks();
    let replications = outline.replications;
    let mut by_index: BTreeMap<u64, &Path> = BTreeMap::new();
    for (path, part) in parts {
        if let Some(other) = by_index.insert(part.shard.index, path) {
            problems.push(format!(
                "shard {} is given twice: {} and {}",
                part.shard,
                other.display(),
                path.display()
            ));
        }
    }
    let missing: Vec<u64> = (1..=count).filter(|k| !by_index.contains_key(k)).collect();
    match missing[..] {
        [] => {}
        [index] => {
            let shard = Shard { index, count };
            problems.push(format!(
                "shard {shard} is missing (no {})",
                shard.file_name()
            ));
        }
        _ => problems.push(format!(
            "shards {} of {count} are missing (no shard-K-of-{count}.json for them)",
            list(&missing)
        )),
    }
    let mut runs: BTreeMap<u64, &FlatRun> = BTreeMap::new();
    for (path, part) in parts {
        let mut finished = 0;
        for (task, run) in &part.runs {
            let number = task_number(*task, replications);
            if task.scenario >= outline.points.len() || task.replication >= replications {
                problems.push(format!(
                    "{}: run of point {} replication {} is outside the grid",
                    path.display(),
                    task.scenario,
                    task.replication
                ));
            } else if !part.shard.takes(number) {
                problems.push(format!(
                    "{}: run {number} does not belong to shard {}",
                    path.display(),
                    part.shard
                ));
            } else if runs.insert(number, run).is_some() {
                problems.push(format!("{}: run {number} appears twice", path.display()));
            } else {
                finished += 1;
            }
        }
        let expected = part.shard.size(total);
        if finished < expected {
            problems.push(format!(
                "shard {} is incomplete: {finished} of its {expected} runs finished \
                 (it was interrupted); run it again",
                part.shard
            ));
        }
    }
    if !problems.is_empty() {
        return Err(Error::Usage(problems.join("\n")));
    }
    let mut per_point: Vec<Vec<FlatRun>> = vec![Vec::new(); outline.points.len()];
    for (number, run) in runs {
        per_point[(number / replications) as usize].push(run.clone());
    }
    let results = per_point
        .iter()
        .map(|runs| (!runs.is_empty()).then(|| ScenarioResult::from_flat(runs)))
        .collect();
    Ok(outline.data(results))
}

/// Lists numbers in words: `1, 2 and 3`, or the first ten and how many more.
fn list(numbers: &[u64]) -> String {
    const SHOWN: usize = 10;
    let words: Vec<String> = numbers.iter().take(SHOWN).map(u64::to_string).collect();
    match numbers.len() {
        n if n > SHOWN => format!("{} and {} more", words.join(", "), n - SHOWN),
        n if n > 1 => format!("{} and {}", words[..n - 1].join(", "), words[n - 1]),
        _ => words.join(""),
    }
}

/// The partial file, as written.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRecord {
    /// Always [`FORMAT`].
    format: String,
    /// [`FORMAT_VERSION`].
    version: u32,
    /// The version of scalesim that wrote the file.
    scalesim: String,
    /// The sweep's fingerprint.
    fingerprint: String,
    /// K.
    shard: u64,
    /// N.
    shards: u64,
    /// Runs in the whole sweep.
    tasks: u64,
    /// The sweep without its results.
    sweep: OutlineRecord,
    /// The runs this shard finished.
    runs: Vec<RunRecord>,
}

/// An [`Outline`], with every number as its bit pattern.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutlineRecord {
    scenario: String,
    parameters: Vec<String>,
    metrics: Vec<String>,
    replications: u64,
    points: Vec<PointRecord>,
}

/// A [`PointOutline`], with every number as its bit pattern.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PointRecord {
    labels: Vec<String>,
    values: Vec<Option<u64>>,
    theory: Vec<(String, u64)>,
}

/// One finished run, with every number as its bit pattern.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunRecord {
    point: usize,
    replication: u64,
    scenario: String,
    seed: u64,
    /// (path, bits of the value, is-a-total) for each figure, in report order.
    figures: Vec<(Vec<String>, u64, bool)>,
    truncated: Option<TruncationRecord>,
}

/// A [`Truncation`], with its time as a bit pattern.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TruncationRecord {
    reason: String,
    at_s: u64,
}

impl OutlineRecord {
    fn of(outline: &Outline) -> Self {
        Self {
            scenario: outline.scenario.clone(),
            parameters: outline.parameters.clone(),
            metrics: outline.metrics.clone(),
            replications: outline.replications,
            points: outline
                .points
                .iter()
                .map(|p| PointRecord {
                    labels: p.labels.clone(),
                    values: p.values.iter().map(|v| v.map(f64::to_bits)).collect(),
                    theory: p
                        .theory
                        .iter()
                        .map(|(m, v)| (m.clone(), v.to_bits()))
                        .collect(),
                })
                .collect(),
        }
    }

    fn outline(self) -> Outline {
        Outline {
            scenario: self.scenario,
            parameters: self.parameters,
            metrics: self.metrics,
            replications: self.replications,
            points: self
                .points
                .into_iter()
                .map(|p| PointOutline {
                    labels: p.labels,
                    values: p
                        .values
                        .into_iter()
                        .map(|v| v.map(f64::from_bits))
                        .collect(),
                    theory: p
                        .theory
                        .into_iter()
                        .map(|(m, v)| (m, f64::from_bits(v)))
                        .collect(),
                })
                .collect(),
        }
    }
}

impl RunRecord {
    fn of(task: Task, run: &FlatRun) -> Self {
        Self {
            point: task.scenario,
            replication: task.replication,
            scenario: run.scenario.clone(),
            seed: run.seed,
            figures: run
                .figures
                .iter()
                .map(|f| (f.path.clone(), f.value.to_bits(), f.total))
                .collect(),
            truncated: run.truncated.map(|t| TruncationRecord {
                reason: t.reason.name().to_string(),
                at_s: t.at_s.to_bits(),
            }),
        }
    }

    fn into_task(self) -> Result<(Task, FlatRun), String> {
        let truncated = match self.truncated {
            None => None,
            Some(t) => Some(Truncation {
                reason: StopReason::from_name(&t.reason)
                    .ok_or_else(|| format!("unknown reason `{}` for an early stop", t.reason))?,
                at_s: f64::from_bits(t.at_s),
            }),
        };
        let task = Task {
            scenario: self.point,
            replication: self.replication,
        };
        let run = FlatRun {
            scenario: self.scenario,
            seed: self.seed,
            replication: self.replication,
            figures: self
                .figures
                .into_iter()
                .map(|(path, bits, total)| FlatFigure {
                    measure: crate::parts::kinds::measure_of(&path),
                    path,
                    value: f64::from_bits(bits),
                    total,
                })
                .collect(),
            truncated,
        };
        Ok((task, run))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_k_of_n() {
        assert_eq!(Shard::parse("1/1"), Ok(Shard { index: 1, count: 1 }));
        assert_eq!(Shard::parse("3/8"), Ok(Shard { index: 3, count: 8 }));
        assert_eq!(Shard::parse(" 8 / 8 "), Ok(Shard { index: 8, count: 8 }));
    }

    #[test]
    fn refuses_bad_shards_with_a_reason() {
        for (text, reason) in [
            ("0/3", "numbered from 1"),
            ("4/3", "between 1 and 3"),
            ("1/0", "at least 1"),
            ("x", "expected K/N"),
            ("2", "expected K/N"),
            ("a/3", "expected K/N"),
            ("-1/3", "expected K/N"),
            ("1/3/4", "expected K/N"),
            ("", "expected K/N"),
        ] {
            let e = Shard::parse(text).unwrap_err();
            assert!(e.contains(reason), "{text:?}: {e}");
        }
    }

    #[test]
    fn shards_deal_the_tasks_round_robin_and_cover_them_once() {
        let count = 4;
        let total = 11;
        let shards: Vec<Shard> = (1..=count).map(|index| Shard { index, count }).collect();
        for task in 0..total {
            let owners: Vec<u64> = shards
                .iter()
                .filter(|s| s.takes(task))
                .map(|s| s.index)
                .collect();
            assert_eq!(owners, [task % count + 1]);
        }
        for total in 0..30 {
            for s in &shards {
                let counted = (0..total).filter(|&t| s.takes(t)).count() as u64;
                assert_eq!(s.size(total), counted, "shard {s} of {total} tasks");
            }
        }
        let sizes: Vec<u64> = shards.iter().map(|s| s.size(total)).collect();
        assert_eq!(sizes, [3, 3, 3, 2]);
    }

    #[test]
    fn lists_read_as_words() {
        assert_eq!(list(&[3]), "3");
        assert_eq!(list(&[3, 5]), "3 and 5");
        assert_eq!(list(&[1, 2, 3]), "1, 2 and 3");
        let many: Vec<u64> = (1..=25).collect();
        assert_eq!(list(&many), "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 15 more");
    }

    #[test]
    fn file_names_round_trip() {
        let shard = Shard {
            index: 2,
            count: 12,
        };
        assert_eq!(shard.file_name(), "shard-2-of-12.json");
        assert_eq!(Shard::of_file_name("shard-2-of-12.json"), Some(shard));
        for name in [
            "shard-0-of-3.json",
            "shard-2-of-12.json.tmp",
            "shard-a-of-3.json",
            "shard--of-3.json",
            "results.json",
        ] {
            assert_eq!(Shard::of_file_name(name), None, "{name}");
        }
    }

    fn outline() -> Outline {
        Outline {
            scenario: "s".into(),
            parameters: vec!["traffic.rate".into()],
            metrics: vec!["latency_ms.p99".into()],
            replications: 2,
            points: vec![PointOutline {
                labels: vec!["100/s".into()],
                values: vec![Some(100.0)],
                theory: vec![("latency_ms.mean".into(), 0.1 + 0.2)],
            }],
        }
    }

    /// A figure at `path`, with its declaration.
    fn flat(path: &str, value: f64, total: bool) -> FlatFigure {
        let path: Vec<String> = path.split('.').map(str::to_string).collect();
        FlatFigure {
            measure: crate::parts::kinds::measure_of(&path),
            path,
            value,
            total,
        }
    }

    #[test]
    fn the_partial_file_keeps_every_bit() {
        let run = FlatRun {
            scenario: "s [rate=100/s]".into(),
            seed: 42,
            replication: 1,
            figures: vec![
                flat("latency_ms.p99", 0.1 + 0.2, false),
                flat("slo.nines", f64::NAN, false),
                flat("x", -0.0, true),
            ],
            truncated: Some(Truncation {
                reason: StopReason::MaxInFlight,
                at_s: 1.0 / 3.0,
            }),
        };
        let task = Task {
            scenario: 0,
            replication: 1,
        };
        let part = Partial {
            shard: Shard { index: 2, count: 2 },
            fingerprint: "0123456789abcdef".into(),
            version: "0.1.0".into(),
            outline: outline(),
            runs: vec![(task, run.clone())],
        };
        let back = Partial::from_json(&part.to_json().unwrap()).unwrap();
        assert_eq!(back.shard, part.shard);
        assert_eq!(back.fingerprint, part.fingerprint);
        assert_eq!(format!("{:?}", back.outline), format!("{:?}", part.outline));
        assert_eq!(back.runs.len(), 1);
        assert_eq!(back.runs[0].0, task);
        let (a, b) = (&back.runs[0].1, &run);
        let bits =
            |r: &FlatRun| -> Vec<u64> { r.figures.iter().map(|f| f.value.to_bits()).collect() };
        assert_eq!(bits(a), bits(b));
        assert_eq!(a.truncated, b.truncated);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }

    #[test]
    fn refuses_other_files() {
        assert!(Partial::from_json("[]").unwrap_err().contains("format"));
        let other = r#"{"format": "scalesim-shard", "version": 99}"#;
        assert!(Partial::from_json(other)
            .unwrap_err()
            .contains("version 99"));
    }

    #[test]
    fn the_fingerprint_follows_what_decides_the_results() {
        let limits = Limits::default();
        let base = fingerprint(&[], &outline(), &limits);
        assert_eq!(base.len(), 16);
        assert_eq!(base, fingerprint(&[], &outline(), &limits));
        let mut more = outline();
        more.replications = 3;
        assert_ne!(base, fingerprint(&[], &more, &limits));
        let capped = Limits {
            max_events: Some(10),
            ..limits
        };
        assert_ne!(base, fingerprint(&[], &outline(), &capped));
        let walled = Limits {
            max_wall: Some(std::time::Duration::from_secs(5)),
            ..limits
        };
        assert_eq!(base, fingerprint(&[], &outline(), &walled));
    }
}
