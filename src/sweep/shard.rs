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
//! figure by name, as the bit pattern of its `f64` (JSON numbers do not carry
//! NaN and need care to round-trip), so the merged results are the very same
//! bytes as those of the sweep run in one process.
//!
//! # What a partial file holds, and what `merge` checks
//!
//! A partial file (layout version [`FORMAT_VERSION`]) is one JSON object: the
//! version of scalesim that wrote it, the sweep's [`fingerprint`], K and N,
//! the sweep's [`Outline`], whether Ctrl-C or a signal stopped the shard
//! before it finished its runs, the runs it finished (each with its point,
//! replication, scenario name, seed, early stop if any, and its figures as an
//! object from path to `[bits, is-a-total]`), and last a [`checksum`] of all
//! the rest.
//!
//! [`Partial::read`] refuses a file that is not JSON or is cut short, a file
//! of another layout version, and a file whose checksum does not match its
//! content. The checksum guards against accidents and hand edits (a file cut
//! short, a flipped bit, a number changed in an editor); it is no defence
//! against someone who edits a file and computes its checksum again.
//!
//! [`merge`] refuses, naming the file: shards written by another version of
//! scalesim; shards of different sweeps (another fingerprint, or another
//! outline under the same fingerprint); shards of different N; a shard given
//! twice or missing; a shard stopped before it finished its runs
//! (*incomplete*), and one that lacks runs although it finished them all;
//! runs outside the grid, runs in the wrong shard and runs given twice; and
//! runs whose figures are not what a run gives: a figure no part of scalesim
//! reports, a figure of every run left out, a name listed twice, figure names
//! that differ from those of the other runs of the same point, or a value that
//! no run can give. Every figure is a finite number in every run, except those
//! whose declaration says they may be undefined ([`Measure::may_be_undefined`]:
//! the nines of a run that met its objective in every window), which may be
//! NaN; none is ever infinite.
//!
//! [`Measure::may_be_undefined`]: method@crate::metrics::Measure::may_be_undefined

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::fnv1a;
use crate::error::{Error, Result};
use crate::metrics::measure::{COMPONENT, CORE};
use crate::metrics::{FlatFigure, FlatRun, ScenarioResult, StopReason, Truncation};
use crate::parts::kinds::{declaration, measure_of};
use crate::report::{self, data::SweepData};
use crate::runner::{Limits, Task};
use crate::scenario::Scenario;
use crate::sweep::{Outline, PointOutline};

/// The `format` field of every partial file.
const FORMAT: &str = "scalesim-shard";

/// Version of the partial file's layout; a file of another version is refused.
///
/// Version 2 stores each run's figures by name and adds the checksum and
/// whether the shard was stopped early; version 1 files are refused.
pub const FORMAT_VERSION: u32 = 2;

/// The key of the checksum in a partial file.
const CHECKSUM: &str = "checksum";

/// Most problems `merge` lists; it counts the others.
const MAX_PROBLEMS: usize = 20;

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
        // The tasks K-1, K-1+N, K-1+2N... below `total`, counted without
        // an addition that could overflow.
        total / self.count + u64::from(total % self.count >= self.index)
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

    /// Returns true if K is between 1 and N.
    fn is_valid(&self) -> bool {
        (1..=self.count).contains(&self.index)
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

/// Returns the checksum of a partial file's content: the FNV-1a hash (64 bits,
/// as 16 hex digits) of its compact JSON text, members in the order written,
/// without the `checksum` member itself (which `content` must not hold).
///
/// Any change of one byte of the content changes the checksum, and a random
/// change goes unnoticed once in 2^64. The checksum detects accidents and
/// hand edits; anyone may compute it again, so it proves nothing about who
/// wrote the file.
pub fn checksum(content: &Value) -> String {
    // A `Value` always serialises; an empty text would only make a mismatch.
    let text = serde_json::to_vec(content).unwrap_or_default();
    format!("{:016x}", fnv1a(&text))
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
    /// True when Ctrl-C or a signal stopped the shard before it finished
    /// every run it was dealt.
    pub stopped_early: bool,
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

    /// Reads a partial file, refusing one that is damaged, edited by hand, of
    /// another layout version or not a partial file at all; the message names
    /// the file.
    pub fn read(path: &Path) -> Result<Partial> {
        let bytes = std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let parsed = match std::str::from_utf8(&bytes) {
            Ok(text) => Partial::from_json(text),
            Err(e) => Err(format!(
                "not a shard of a sweep: not UTF-8 text (byte {} is not)",
                e.valid_up_to()
            )),
        };
        parsed.map_err(|e| Error::Usage(format!("{}: {e}", path.display())))
    }

    /// Returns the partial file's text: one JSON object on one line, its
    /// checksum last.
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
            stopped_early: self.stopped_early,
            runs: self
                .runs
                .iter()
                .map(|(task, run)| RunRecord::of(*task, run))
                .collect(),
        };
        let mut value = serde_json::to_value(&record)?;
        let sum = checksum(&value);
        if let Value::Object(map) = &mut value {
            map.insert(CHECKSUM.into(), Value::String(sum));
        }
        let mut text = serde_json::to_string(&value)?;
        text.push('\n');
        Ok(text)
    }

    /// Parses a partial file's text; the error says what is wrong, in words
    /// that follow the file's name.
    pub fn from_json(text: &str) -> Result<Partial, String> {
        let mut value: Value = serde_json::from_str(text).map_err(|e| {
            if e.is_eof() {
                format!("the file ends too early ({e}): it was cut short")
            } else {
                format!("not a shard of a sweep: not JSON ({e})")
            }
        })?;
        let Value::Object(map) = &mut value else {
            return Err("not a shard of a sweep: not a JSON object".into());
        };
        if map.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(format!(
                "not a shard of a sweep: no `\"format\": \"{FORMAT}\"`"
            ));
        }
        let version = map.get("version").and_then(Value::as_u64);
        if version != Some(u64::from(FORMAT_VERSION)) {
            return Err(format!(
                "a shard file of layout version {}, where scalesim {} reads version \
                 {FORMAT_VERSION} only: run the shards again with this version of scalesim",
                version.map_or("unknown".to_string(), |v| v.to_string()),
                env!("CARGO_PKG_VERSION")
            ));
        }
        let stored = match map.shift_remove(CHECKSUM) {
            Some(Value::String(sum)) => sum,
            Some(_) => return Err("was edited or damaged: its checksum is not a string".into()),
            None => return Err("was edited or damaged: it has no checksum".into()),
        };
        let actual = checksum(&value);
        if stored != actual {
            return Err(format!(
                "was edited or damaged after it was written: it carries checksum {stored}, \
                 but its content has checksum {actual}; run its shard again"
            ));
        }
        let record: FileRecord =
            serde_json::from_value(value).map_err(|e| format!("not a shard of a sweep: {e}"))?;
        let shard = Shard::parse(&format!("{}/{}", record.shard, record.shards))
            .map_err(|e| format!("shard {}/{}: {e}", record.shard, record.shards))?;
        let outline = record.sweep.outline()?;
        let tasks = (outline.points.len() as u64)
            .checked_mul(outline.replications)
            .ok_or("its grid has more runs than can be counted")?;
        if record.tasks != tasks {
            return Err(format!(
                "{} tasks, where its grid has {tasks}",
                record.tasks
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
            stopped_early: record.stopped_early,
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
        } else if arg.exists() {
            return Err(Error::Usage(format!(
                "{}: neither a shard file nor a folder of them (a device, a FIFO or a socket)",
                arg.display()
            )));
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
/// exactly once, each with the figures a run gives, and returns the sweep's
/// data, aggregated exactly as an unsharded sweep aggregates it (figure by
/// figure, by name). The problems found are reported together, each naming
/// its file; the [module documentation](self) lists what is checked.
pub fn merge(parts: &[(PathBuf, Partial)]) -> Result<SweepData> {
    let Some((_, first)) = parts.first() else {
        return Err(Error::Usage("no shard files to merge".into()));
    };
    same_sweep(parts)?;
    let outline = &first.outline;
    let mut problems = Problems::default();
    coverage(parts, &mut problems);
    let runs = place_runs(parts, &mut problems);
    let mut per_point: Vec<Vec<&Placed<'_>>> = vec![Vec::new(); outline.points.len()];
    for placed in runs.values() {
        // Every placed run is of a point of the grid.
        if let Some(list) = per_point.get_mut(placed.task.scenario) {
            list.push(placed);
        }
    }
    for runs in &per_point {
        check_point(outline, runs, &mut problems);
    }
    problems.finish()?;
    let results = per_point
        .iter()
        .map(|runs| {
            let runs: Vec<FlatRun> = runs.iter().map(|p| p.run.clone()).collect();
            (!runs.is_empty()).then(|| ScenarioResult::from_flat(&runs))
        })
        .collect();
    Ok(outline.data(results))
}

/// A run of a shard, where `merge` found it.
struct Placed<'a> {
    /// The partial file.
    path: &'a Path,
    /// Its point and replication.
    task: Task,
    /// Its number in the sweep.
    number: u64,
    /// The run.
    run: &'a FlatRun,
}

/// The problems `merge` found, in the order found.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, problem: String) {
        self.0.push(problem);
    }

    /// Returns every problem found as one usage error, if there is one.
    fn finish(&mut self) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        let more = self.0.len().saturating_sub(MAX_PROBLEMS);
        let mut lines: Vec<String> = self.0.drain(..).take(MAX_PROBLEMS).collect();
        if more > 0 {
            lines.push(format!("... and {more} more problems"));
        }
        Err(Error::Usage(lines.join("\n")))
    }
}

/// Checks that the shards come from this version of scalesim, from one sweep
/// and from one N.
fn same_sweep(parts: &[(PathBuf, Partial)]) -> Result<()> {
    let mut problems = Problems::default();
    let ours = env!("CARGO_PKG_VERSION");
    for (path, part) in parts {
        if part.version != ours {
            problems.push(format!(
                "{} was written by scalesim {}, and this is scalesim {ours}: run every shard \
                 again with this version (another version may give other results)",
                path.display(),
                part.version
            ));
        }
    }
    problems.finish()?;
    let Some((first_path, first)) = parts.first() else {
        return Ok(());
    };
    let first_outline = OutlineRecord::of(&first.outline);
    for (path, part) in &parts[1..] {
        if part.fingerprint != first.fingerprint {
            problems.push(format!(
                "{} is a shard of another sweep than {} (sweep {}, not sweep {}): shards must \
                 come from the same file, --vary, --set, --seed, --replications, --metric, \
                 --max-events and --max-in-flight",
                path.display(),
                first_path.display(),
                part.fingerprint,
                first.fingerprint,
            ));
        } else if OutlineRecord::of(&part.outline) != first_outline {
            problems.push(format!(
                "{} and {} carry the fingerprint of the same sweep, but not the same grid, \
                 metrics, replications or predictions: one of them was edited after it was \
                 written",
                path.display(),
                first_path.display(),
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
    problems.finish()
}

/// Checks that every shard of 1 to N is given exactly once.
fn coverage(parts: &[(PathBuf, Partial)], problems: &mut Problems) {
    let Some((_, first)) = parts.first() else {
        return;
    };
    let count = first.shard.count;
    let mut by_index: BTreeMap<u64, &Path> = BTreeMap::new();
    for (path, part) in parts {
        if !part.shard.is_valid() {
            problems.push(format!(
                "{}: there is no shard {}",
                path.display(),
                part.shard
            ));
        } else if let Some(other) = by_index.insert(part.shard.index, path) {
            problems.push(format!(
                "shard {} is given twice: {} and {}",
                part.shard,
                other.display(),
                path.display()
            ));
        }
    }
    // Counted rather than listed: N may be large, and only a few are named.
    let missing = count - by_index.len() as u64;
    let named: Vec<u64> = (1..=count)
        .filter(|k| !by_index.contains_key(k))
        .take(SHOWN)
        .collect();
    match named[..] {
        [] => {}
        [index] if missing == 1 => {
            let shard = Shard { index, count };
            problems.push(format!(
                "shard {shard} is missing (no {})",
                shard.file_name()
            ));
        }
        _ => problems.push(format!(
            "shards {} of {count} are missing (no shard-K-of-{count}.json for them)",
            list(&named, missing)
        )),
    }
}

/// Places every run of every shard by its number in the sweep, and returns
/// them in that order; reports the runs that have no place or are there
/// twice, the runs whose figures no run gives, and the shards that lack runs.
fn place_runs<'a>(
    parts: &'a [(PathBuf, Partial)],
    problems: &mut Problems,
) -> BTreeMap<u64, Placed<'a>> {
    let mut placed: BTreeMap<u64, Placed<'a>> = BTreeMap::new();
    let Some((_, first)) = parts.first() else {
        return placed;
    };
    let outline = &first.outline;
    let points = outline.points.len();
    let replications = outline.replications;
    let total = outline.tasks();
    let mut seen: BTreeSet<Shard> = BTreeSet::new();
    for (path, part) in parts {
        // A shard given twice is said once, by `coverage`; its second
        // file's runs would only repeat it run by run.
        if part.shard.is_valid() && !seen.insert(part.shard) {
            continue;
        }
        let mut held = 0;
        for (task, run) in &part.runs {
            if task.scenario >= points || task.replication >= replications {
                problems.push(format!(
                    "{}: a run of point {} replication {} is outside the grid ({points} points \
                     of {replications} replications, counted from 0)",
                    path.display(),
                    task.scenario,
                    task.replication
                ));
                continue;
            }
            // Below the number of tasks, so it does not overflow.
            let number = task.scenario as u64 * replications + task.replication;
            let name = run_name(outline, *task, number);
            if !part.shard.takes(number) {
                problems.push(format!(
                    "{}: {name} does not belong to shard {}",
                    path.display(),
                    part.shard
                ));
                continue;
            }
            if let Some(other) = placed.get(&number) {
                let place = if other.path == path.as_path() {
                    format!("twice in {}", path.display())
                } else {
                    format!("in {} and in {}", other.path.display(), path.display())
                };
                problems.push(format!("{name} is given {place}"));
                continue;
            }
            for problem in run_problems(run) {
                problems.push(format!("{}: {name} {problem}", path.display()));
            }
            placed.insert(
                number,
                Placed {
                    path,
                    task: *task,
                    number,
                    run,
                },
            );
            held += 1;
        }
        let shard = part.shard;
        let expected = if shard.is_valid() {
            shard.size(total)
        } else {
            0
        };
        if held >= expected {
            continue;
        }
        if part.stopped_early {
            problems.push(format!(
                "shard {shard} is incomplete: {held} of its {expected} runs finished before \
                 Ctrl-C or a signal stopped it ({}); run it again",
                path.display()
            ));
        } else {
            // The shard's own runs, in order; stops after a few missing ones.
            let lacking: Vec<u64> = (0..)
                .map(|j: u64| {
                    j.saturating_mul(shard.count)
                        .saturating_add(shard.index - 1)
                })
                .take_while(|&n| n < total)
                .filter(|n| !placed.contains_key(n))
                .take(SHOWN)
                .collect();
            let absent = match expected - held {
                1 => format!("run {} is", list(&lacking, 1)),
                n => format!("runs {} are", list(&lacking, n)),
            };
            problems.push(format!(
                "{}: shard {shard} finished its {expected} runs, but the file holds {held} \
                 ({absent} not in it): it was changed after it was written",
                path.display(),
            ));
        }
    }
    placed
}

/// Names a run for a message: its number, point (with its values) and replication.
fn run_name(outline: &Outline, task: Task, number: u64) -> String {
    let values = outline
        .points
        .get(task.scenario)
        .map_or(String::new(), |p| {
            let pairs: Vec<String> = outline
                .parameters
                .iter()
                .zip(&p.labels)
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!(" [{}]", pairs.join(", "))
        });
    format!(
        "run {number} (point {}{values}, replication {})",
        task.scenario, task.replication
    )
}

/// Returns what is wrong with the figures and the early stop of one run, in
/// words that follow the run's name; nothing for a run as a sweep writes it.
fn run_problems(run: &FlatRun) -> Vec<String> {
    let mut problems = Vec::new();
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut twice = Vec::new();
    let mut unknown = Vec::new();
    let mut impossible = Vec::new();
    let mut components: BTreeSet<&str> = BTreeSet::new();
    for figure in &run.figures {
        let name = figure.path.join(".");
        if let [head, component, _] = &figure.path[..] {
            if head == "components" {
                components.insert(component);
            }
        }
        match declaration(&figure.path) {
            None => unknown.push(name.clone()),
            Some(m) if !m.admits(figure.value) => {
                impossible.push(format!("{name} = {}", figure.value));
            }
            Some(_) => {}
        }
        if !names.insert(name.clone()) {
            twice.push(name);
        }
    }
    let mut lacking: Vec<String> = CORE
        .iter()
        .map(|m| m.key.to_string())
        .filter(|k| !names.contains(k))
        .collect();
    for component in components {
        lacking.extend(
            COMPONENT
                .iter()
                .map(|m| format!("components.{component}.{}", m.key))
                .filter(|k| !names.contains(k)),
        );
    }
    if !twice.is_empty() {
        problems.push(format!("lists figures twice: {}", twice.join(", ")));
    }
    if !unknown.is_empty() {
        problems.push(format!(
            "has figures that scalesim does not report: {}",
            unknown.join(", ")
        ));
    }
    if !lacking.is_empty() {
        problems.push(format!(
            "lacks figures that every run reports: {}",
            lacking.join(", ")
        ));
    }
    if !impossible.is_empty() {
        let undefined: Vec<&str> = CORE
            .iter()
            .filter(|m| m.may_be_undefined)
            .map(|m| m.key)
            .collect();
        problems.push(format!(
            "has values that no run gives: {} (every figure is a finite number, except {}, \
             which may be undefined: NaN)",
            impossible.join(", "),
            undefined.join(" and ")
        ));
    }
    if let Some(t) = run.truncated {
        if t.reason == StopReason::Interrupted {
            problems.push("was stopped by Ctrl-C, and a shard never writes such a run".to_string());
        } else if !(t.at_s.is_finite() && t.at_s >= 0.0) {
            problems.push(format!(
                "stopped early at a time that no run stops at: {} s",
                t.at_s
            ));
        }
    }
    problems
}

/// Checks that the runs of one point (in replication order) list the same
/// figures and name the same scenario and seed; a run that differs from most
/// of the others is named.
fn check_point(outline: &Outline, runs: &[&Placed<'_>], problems: &mut Problems) {
    /// The figure names of a run, each with whether it is a total.
    fn names(run: &FlatRun) -> BTreeMap<String, bool> {
        run.figures
            .iter()
            .map(|f| (f.path.join("."), f.total))
            .collect()
    }
    let lists: Vec<BTreeMap<String, bool>> = runs.iter().map(|p| names(p.run)).collect();
    let Some(usual) = most_common(&lists) else {
        return;
    };
    for (placed, list) in runs.iter().zip(&lists) {
        if list == usual {
            continue;
        }
        let name = run_name(outline, placed.task, placed.number);
        let lacks: Vec<&str> = usual
            .keys()
            .filter(|k| !list.contains_key(*k))
            .map(String::as_str)
            .collect();
        let extra: Vec<&str> = list
            .keys()
            .filter(|k| !usual.contains_key(*k))
            .map(String::as_str)
            .collect();
        let flipped: Vec<&str> = list
            .iter()
            .filter(|(k, total)| usual.get(*k).is_some_and(|t| t != *total))
            .map(|(k, _)| k.as_str())
            .collect();
        let mut differences = Vec::new();
        if !lacks.is_empty() {
            differences.push(format!("lacks {}", lacks.join(", ")));
        }
        if !extra.is_empty() {
            differences.push(format!("has {} besides", extra.join(", ")));
        }
        if !flipped.is_empty() {
            differences.push(format!(
                "sums or averages {} the other way",
                flipped.join(", ")
            ));
        }
        problems.push(format!(
            "{}: {name} does not list the figures of the other runs of its point: it {}",
            placed.path.display(),
            differences.join(", and ")
        ));
    }
    let identities: Vec<(&str, u64)> = runs
        .iter()
        .map(|p| (p.run.scenario.as_str(), p.run.seed))
        .collect();
    let Some(&(scenario, seed)) = most_common(&identities) else {
        return;
    };
    for (placed, &(other, other_seed)) in runs.iter().zip(&identities) {
        if (other, other_seed) != (scenario, seed) {
            problems.push(format!(
                "{}: {} is a run of `{other}` with seed {other_seed}, where the other runs \
                 of its point are runs of `{scenario}` with seed {seed}",
                placed.path.display(),
                run_name(outline, placed.task, placed.number)
            ));
        }
    }
}

/// Returns the most common item, the earliest among equally common ones.
fn most_common<T: Ord>(items: &[T]) -> Option<&T> {
    let mut counts: BTreeMap<&T, (usize, usize)> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        counts.entry(item).or_insert((0, i)).0 += 1;
    }
    counts
        .into_iter()
        .max_by(|(_, (n, i)), (_, (m, j))| n.cmp(m).then(j.cmp(i)))
        .map(|(item, _)| item)
}

/// Most numbers a message lists.
const SHOWN: usize = 10;

/// Lists numbers in words: `1, 2 and 3`, or the first ten of `count` and how
/// many more.
fn list(numbers: &[u64], count: u64) -> String {
    let words: Vec<String> = numbers.iter().take(SHOWN).map(u64::to_string).collect();
    let more = count.saturating_sub(words.len() as u64);
    match words.len() {
        _ if more > 0 => format!("{} and {more} more", words.join(", ")),
        n if n > 1 => format!("{} and {}", words[..n - 1].join(", "), words[n - 1]),
        _ => words.join(""),
    }
}

/// The partial file, as written (without its checksum, which follows it).
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
    /// True when the shard was stopped before it finished its runs.
    stopped_early: bool,
    /// The runs this shard finished.
    runs: Vec<RunRecord>,
}

/// An [`Outline`], with every number as its bit pattern.
#[derive(Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct OutlineRecord {
    scenario: String,
    parameters: Vec<String>,
    metrics: Vec<String>,
    replications: u64,
    points: Vec<PointRecord>,
}

/// A [`PointOutline`], with every number as its bit pattern.
#[derive(Serialize, Deserialize, PartialEq, Eq)]
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
    /// Each figure by its path (`latency_ms.p99`): the bits of its value, and
    /// whether it is a total; in report order.
    figures: IndexMap<String, (u64, bool)>,
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

    /// Returns the outline, if it has the shape of a sweep's.
    fn outline(self) -> Result<Outline, String> {
        if self.replications == 0 {
            return Err("its sweep has no replications".into());
        }
        if self.points.is_empty() {
            return Err("its sweep has no grid points".into());
        }
        let width = self.parameters.len();
        if let Some(i) = self
            .points
            .iter()
            .position(|p| p.labels.len() != width || p.values.len() != width)
        {
            return Err(format!(
                "point {i} of its grid does not have one value for each of the {width} \
                 parameters"
            ));
        }
        Ok(Outline {
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
        })
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
                .map(|f| (f.path.join("."), (f.value.to_bits(), f.total)))
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
        let figures = self
            .figures
            .into_iter()
            .map(|(name, (bits, total))| {
                let path: Vec<String> = name.split('.').map(str::to_string).collect();
                if path.iter().any(String::is_empty) {
                    return Err(format!("`{name}` is not the name of a figure"));
                }
                Ok(FlatFigure {
                    measure: measure_of(&path),
                    path,
                    value: f64::from_bits(bits),
                    total,
                })
            })
            .collect::<Result<_, String>>()?;
        let run = FlatRun {
            scenario: self.scenario,
            seed: self.seed,
            replication: self.replication,
            figures,
            truncated,
        };
        Ok((task, run))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Override;

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
        assert_eq!(list(&[3], 1), "3");
        assert_eq!(list(&[3, 5], 2), "3 and 5");
        assert_eq!(list(&[1, 2, 3], 3), "1, 2 and 3");
        let many: Vec<u64> = (1..=25).collect();
        assert_eq!(list(&many, 25), "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 15 more");
        assert_eq!(
            list(&many[..10], 1 << 40),
            "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 1099511627766 more"
        );
    }

    #[test]
    fn the_size_of_a_shard_does_not_overflow() {
        let shard = Shard { index: 3, count: 3 };
        assert_eq!(shard.size(u64::MAX), u64::MAX / 3);
        let last = Shard {
            index: u64::MAX,
            count: u64::MAX,
        };
        // Its only task is the last one, u64::MAX - 1.
        assert_eq!(last.size(u64::MAX), 1);
        assert_eq!(last.size(u64::MAX - 1), 0);
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
            stopped_early: true,
            runs: vec![(task, run.clone())],
        };
        let back = Partial::from_json(&part.to_json().unwrap()).unwrap();
        assert_eq!(back.shard, part.shard);
        assert_eq!(back.fingerprint, part.fingerprint);
        assert!(back.stopped_early);
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
        assert!(Partial::from_json("[]")
            .unwrap_err()
            .contains("not a JSON object"));
        assert!(Partial::from_json("{}").unwrap_err().contains("format"));
        let other = r#"{"format": "scalesim-shard", "version": 99}"#;
        assert!(Partial::from_json(other)
            .unwrap_err()
            .contains("version 99"));
        let old = r#"{"format": "scalesim-shard", "version": 1, "runs": []}"#;
        let e = Partial::from_json(old).unwrap_err();
        assert!(
            e.contains("layout version 1") && e.contains("run the shards again"),
            "{e}"
        );
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

    /// A sweep of 2 points (the same small scenario under two labels) of 2
    /// replications, cut in `count` shards as `sweep --shard` writes them.
    fn honest(count: u64) -> Vec<(PathBuf, Partial)> {
        let text = "name: small\nseed: 7\nduration: 3s\nwarmup: 1s\ntraffic: {rate: 300/s}\n\
                    entry: web\ncomponents:\n  web: {kind: server, cores: 2, work: 5ms}\n";
        let scenario = crate::scenario::load_text(text, "small.yaml", &[]).unwrap();
        let point = |label: &str| PointOutline {
            labels: vec![label.into()],
            values: vec![Some(2.0)],
            theory: Vec::new(),
        };
        let outline = Outline {
            scenario: "small".into(),
            parameters: vec!["components.web.cores".into()],
            metrics: vec!["latency_ms.p99".into()],
            replications: 2,
            points: vec![point("2"), point("2.0")],
        };
        let runs: Vec<(Task, FlatRun)> = crate::runner::tasks(2, 2)
            .into_iter()
            .map(|task| {
                let run = crate::runner::simulate_guarded(
                    &scenario,
                    task.replication,
                    &Limits::default(),
                    None,
                );
                (task, FlatRun::of(&run))
            })
            .collect();
        (1..=count)
            .map(|index| {
                let shard = Shard { index, count };
                let part = Partial {
                    shard,
                    fingerprint: "0123456789abcdef".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    outline: outline.clone(),
                    stopped_early: false,
                    runs: runs
                        .iter()
                        .filter(|(t, _)| shard.takes(task_number(*t, 2)))
                        .cloned()
                        .collect(),
                };
                (PathBuf::from(shard.file_name()), part)
            })
            .collect()
    }

    /// Returns the figures of every point of merged data, as Debug text.
    fn merged(parts: &[(PathBuf, Partial)]) -> Result<String> {
        let data = merge(parts)?;
        Ok(format!(
            "{:?}",
            data.points
                .iter()
                .map(|p| &p.result.figures)
                .collect::<Vec<_>>()
        ))
    }

    /// Returns the message of a refused merge.
    fn refusal(parts: &[(PathBuf, Partial)]) -> String {
        match merge(parts) {
            Ok(_) => panic!("merge accepted what it should refuse"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn honest_shards_merge_whatever_their_number() {
        let whole = merged(&honest(1)).unwrap();
        for count in 2..=5 {
            assert_eq!(merged(&honest(count)).unwrap(), whole, "{count} shards");
        }
    }

    #[test]
    fn figures_are_matched_by_name_not_by_position() {
        let whole = merged(&honest(2)).unwrap();
        let mut parts = honest(2);
        // A run that lists its figures in another order gives the same result.
        parts[1].1.runs[0].1.figures.reverse();
        assert_eq!(merged(&parts).unwrap(), whole);
        // A run without a figure is refused, with its name.
        let mut parts = honest(2);
        let figures = &mut parts[1].1.runs[0].1.figures;
        let at = figures
            .iter()
            .position(|f| f.path.join(".") == "requests.rejected")
            .unwrap();
        figures.remove(at);
        let e = refusal(&parts);
        assert!(
            e.contains("lacks figures that every run reports: requests.rejected"),
            "{e}"
        );
        assert!(e.contains("shard-2-of-2.json"), "{e}");
    }

    #[test]
    fn runs_of_one_point_must_list_the_same_figures() {
        let mut parts = honest(1);
        // A component figure that only one run of its point has.
        let extra = flat("components.web.hit_ratio", 0.5, false);
        parts[0].1.runs[1].1.figures.push(extra);
        let e = refusal(&parts);
        assert!(
            e.contains("run 1 (point 0 [components.web.cores=2], replication 1)"),
            "{e}"
        );
        assert!(e.contains("has components.web.hit_ratio besides"), "{e}");
        let mut parts = honest(1);
        let figure = &mut parts[0].1.runs[2].1.figures[1];
        figure.total = !figure.total;
        let e = refusal(&parts);
        assert!(e.contains("sums or averages events the other way"), "{e}");
        let mut parts = honest(1);
        parts[0].1.runs[3].1.seed = 8;
        let e = refusal(&parts);
        assert!(e.contains("with seed 8, where the other runs"), "{e}");
    }

    #[test]
    fn only_figures_that_may_be_undefined_may_be_nan() {
        let set = |path: &str, value: f64| {
            let mut parts = honest(1);
            for f in &mut parts[0].1.runs[0].1.figures {
                if f.path.join(".") == path {
                    f.value = value;
                }
            }
            merge(&parts).map(|_| ()).map_err(|e| e.to_string())
        };
        assert!(set("slo.nines", f64::NAN).is_ok());
        for (path, value) in [
            ("slo.nines", f64::INFINITY),
            ("latency_ms.p99", f64::NAN),
            ("requests.rejected", f64::NEG_INFINITY),
            ("components.web.utilization", f64::NAN),
        ] {
            let e = set(path, value).unwrap_err();
            assert!(e.contains(&format!("{path} = {value}")), "{e}");
            assert!(e.contains("has values that no run gives"), "{e}");
        }
    }

    #[test]
    fn runs_out_of_place_are_refused() {
        let mut parts = honest(2);
        let (task, run) = parts[0].1.runs[0].clone();
        parts[0].1.runs.push((task, run.clone()));
        assert!(refusal(&parts).contains("is given twice in shard-1-of-2.json"));
        let mut parts = honest(2);
        parts[1].1.runs.push((task, run.clone()));
        assert!(refusal(&parts).contains("does not belong to shard 2 of 2"));
        for (point, replication) in [(2, 0), (0, 2), (usize::MAX, u64::MAX)] {
            let mut parts = honest(2);
            let outside = Task {
                scenario: point,
                replication,
            };
            parts[0].1.runs.push((outside, run.clone()));
            assert!(refusal(&parts).contains("is outside the grid"));
        }
    }

    #[test]
    fn a_shard_without_all_its_runs_says_why() {
        let mut parts = honest(2);
        parts[0].1.runs.pop();
        let e = refusal(&parts);
        assert!(
            e.contains("finished its 2 runs, but the file holds 1 (run 2 is not in it)"),
            "{e}"
        );
        assert!(!e.contains("incomplete"), "{e}");
        parts[0].1.stopped_early = true;
        let e = refusal(&parts);
        assert!(
            e.contains("shard 1 of 2 is incomplete: 1 of its 2 runs finished"),
            "{e}"
        );
    }

    #[test]
    fn a_huge_n_is_counted_not_listed() {
        let mut parts = honest(1);
        parts[0].1.shard = Shard {
            index: 1,
            count: u64::MAX,
        };
        let e = refusal(&parts);
        assert!(
            e.contains("shards 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and"),
            "{e}"
        );
    }

    #[test]
    fn many_problems_are_counted_beyond_a_few() {
        let mut parts = honest(1);
        for (_, run) in &mut parts[0].1.runs {
            for f in &mut run.figures {
                f.value = f64::INFINITY;
            }
            run.seed += 1;
            run.figures.push(flat("bogus", 1.0, false));
        }
        parts[0].1.runs.truncate(3);
        let mut extra = parts[0].1.runs.clone();
        for (task, _) in &mut extra {
            task.scenario = 9;
        }
        for _ in 0..10 {
            parts[0].1.runs.extend(extra.clone());
        }
        let e = refusal(&parts);
        assert_eq!(e.lines().count(), MAX_PROBLEMS + 1, "{e}");
        assert!(e.ends_with("more problems"), "{e}");
    }

    #[test]
    fn every_bundled_scenario_gives_runs_that_merge_accepts() {
        let short = [
            Override::set("duration", "4s"),
            Override::set("warmup", "1s"),
        ];
        let capped = Limits {
            max_events: Some(3_000),
            ..Limits::default()
        };
        for (name, text) in crate::bundled::BUNDLED {
            let scenario = crate::scenario::load_text(text, name, &short).unwrap();
            for limits in [Limits::default(), capped] {
                let run = FlatRun::of(&crate::runner::simulate_guarded(
                    &scenario, 0, &limits, None,
                ));
                let problems = run_problems(&run);
                assert!(problems.is_empty(), "{name}: {problems:?}");
            }
        }
    }

    /// Puts a checksum on edited content, as only a deliberate forger would.
    fn reseal(mut value: Value) -> String {
        if let Value::Object(map) = &mut value {
            map.shift_remove(CHECKSUM);
            let sum = checksum(&Value::Object(map.clone()));
            map.insert(CHECKSUM.into(), Value::String(sum));
        }
        value.to_string()
    }

    #[test]
    fn any_change_of_one_byte_is_refused() {
        let text = honest(2)[0].1.to_json().unwrap();
        assert!(Partial::from_json(&text).is_ok());
        let bytes = text.trim_end().as_bytes();
        for i in 0..bytes.len() {
            for flip in [0x01, 0x02, 0x10] {
                let mut changed = bytes.to_vec();
                changed[i] ^= flip;
                let Ok(changed) = String::from_utf8(changed) else {
                    continue;
                };
                assert!(
                    Partial::from_json(&changed).is_err(),
                    "byte {i} ^ {flip:#x}"
                );
            }
        }
        let mut value: Value = serde_json::from_str(&text).unwrap();
        value["runs"][0]["seed"] = Value::from(8);
        let e = Partial::from_json(&value.to_string()).unwrap_err();
        assert!(e.contains("was edited or damaged"), "{e}");
        // Whitespace is not content: a file pretty-printed by a tool still reads.
        let pretty = serde_json::to_string_pretty(&serde_json::from_str::<Value>(&text).unwrap());
        assert!(Partial::from_json(&pretty.unwrap()).is_ok());
    }

    #[test]
    fn no_file_content_makes_read_or_merge_panic() {
        let parts = honest(2);
        let text = parts[0].1.to_json().unwrap();
        // Every way of cutting the file short.
        for end in 0..text.len() - 1 {
            let e = Partial::from_json(&text[..end]).unwrap_err();
            assert!(e.contains("cut short"), "{end}: {e}");
        }
        // Random bytes, from a fixed generator.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for len in 0..2_000 {
            let junk: Vec<u8> = (0..len % 300)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    // Mostly JSON's own characters, so that parsing goes deep.
                    b"{}[]\",:0123456789.eE-+ abc\\ntrue"[(state >> 59) as usize % 32]
                })
                .collect();
            let _ = Partial::from_json(&String::from_utf8_lossy(&junk));
        }
        // Deep nesting, inside the file and alone.
        for deep in ["[".repeat(100_000), "{\"a\":".repeat(100_000)] {
            assert!(Partial::from_json(&deep).is_err());
            let mut value: Value = serde_json::from_str(&text).unwrap();
            value["runs"][0]["figures"]["events"] = Value::String(deep.clone());
            let inner = reseal(value).replace(&format!("\"{}\"", deep), &deep);
            assert!(Partial::from_json(&inner).is_err());
        }
        // Every leaf of the file replaced by hostile values, with a checksum
        // computed again: read refuses it or merge does, and neither panics.
        let hostile = [
            Value::Null,
            Value::from(0),
            Value::from(-1),
            Value::from(u64::MAX),
            serde_json::from_str("1e308").unwrap(),
            serde_json::from_str("18446744073709551616").unwrap(),
            Value::from(""),
            Value::from("a..b"),
            Value::from(f64::NAN.to_bits()),
            Value::from(f64::INFINITY.to_bits()),
            Value::from(f64::MAX.to_bits()),
            Value::Array(Vec::new()),
            serde_json::json!({}),
            Value::Bool(true),
        ];
        let original: Value = serde_json::from_str(&text).unwrap();
        let mut leaves = Vec::new();
        collect_leaves(&original, String::new(), &mut leaves);
        assert!(leaves.len() > 100, "{}", leaves.len());
        for pointer in &leaves {
            for value in &hostile {
                let mut edited = original.clone();
                if let Some(leaf) = edited.pointer_mut(pointer) {
                    *leaf = value.clone();
                }
                if let Ok(part) = Partial::from_json(&reseal(edited)) {
                    let set = [(parts[1].0.clone(), parts[1].1.clone()), ("x".into(), part)];
                    let _ = merge(&set);
                }
            }
        }
    }

    /// Lists the JSON pointer of every leaf of `value` (and of empty containers).
    fn collect_leaves(value: &Value, at: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (k, v) in map {
                    collect_leaves(
                        v,
                        format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                        out,
                    );
                }
            }
            Value::Array(list) if !list.is_empty() => {
                for (i, v) in list.iter().enumerate() {
                    collect_leaves(v, format!("{at}/{i}"), out);
                }
            }
            _ => out.push(at),
        }
    }
}
