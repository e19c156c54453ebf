//! `scalesim run --trace FILE`: each run streams its journeys to a
//! temporary file of its own, beside FILE; once the runs are over, the files
//! are joined in a fixed order (scenario, then replication) into FILE,
//! written atomically. So FILE holds the same bytes whatever `--jobs`, and a
//! run that fails leaves no temporary file behind. Before any run,
//! [`check_target`] refuses a FILE that must not be replaced.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::metrics::RunSummary;
use crate::parts::traffic::Source;
use crate::report::folder::{self, Temporary};
use crate::runner::{JourneyOptions, OpenSink, Task};
use crate::scenario::Scenario;
use crate::spec::limits::MAX_JOURNEY_FILE_BYTES;

/// The journeys file of a batch of runs, while they run.
pub struct Recording {
    /// The file the journeys go to (`None`: they are only walked for the
    /// critical path, never written).
    target: Option<PathBuf>,
    /// Bytes each run may write: its share of [`MAX_JOURNEY_FILE_BYTES`].
    budget: u64,
    /// The temporary file of each run that opened one, removed on drop.
    parts: Mutex<Vec<(Task, Temporary)>>,
}

impl Recording {
    /// Prepares the journeys file `target` (if any) of `scenarios` scenarios
    /// with `replications` replications each; [`check_target`] has checked
    /// that the target may be written.
    pub fn new(target: Option<&Path>, scenarios: usize, replications: u64) -> Self {
        let runs = (scenarios as u64).saturating_mul(replications).max(1);
        Self {
            target: target.map(Path::to_path_buf),
            budget: MAX_JOURNEY_FILE_BYTES / runs,
            parts: Mutex::new(Vec::new()),
        }
    }

    /// Calls `work` with the options of runs that sample `sample` of their
    /// requests and write their journeys here.
    pub fn with_options<T>(&self, sample: f64, work: impl FnOnce(JourneyOptions<'_>) -> T) -> T {
        let open = |task: Task| self.open(task);
        let open: &OpenSink<'_> = &open;
        work(JourneyOptions {
            sample,
            open: self.target.is_some().then_some(open),
            budget: self.budget,
        })
    }

    /// Opens the temporary file of run `task`.
    fn open(&self, task: Task) -> io::Result<Box<dyn Write + Send>> {
        let Some(target) = &self.target else {
            return Ok(Box::new(io::sink()));
        };
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("journeys.jsonl");
        let (temporary, file) = Temporary::create(folder_of(target), name)?;
        let mut parts = self
            .parts
            .lock()
            .map_err(|_| io::Error::other("a run failed while opening its journeys file"))?;
        parts.push((task, temporary));
        Ok(Box::new(BufWriter::new(file)))
    }

    /// Joins the finished runs' files into the journeys file, in the order
    /// of `runs` (scenario, then replication); returns the warnings to show
    /// (journeys left out beyond the file's limit). Fails if a run could not
    /// write its journeys.
    pub fn finish(self, runs: &[Vec<RunSummary>]) -> Result<Vec<String>> {
        let Some(target) = self.target else {
            return Ok(Vec::new());
        };
        let write_error = |message: &str| Error::Write {
            path: target.clone(),
            source: io::Error::other(message.to_string()),
        };
        let mut warnings = Vec::new();
        for run in runs.iter().flatten() {
            let Some(journeys) = &run.journeys else {
                continue;
            };
            if let Some(message) = &journeys.error {
                return Err(write_error(message));
            }
            if journeys.dropped > 0 {
                warnings.push(format!(
                    "{} (replication {}): {} journeys left out of {}: the file holds at most \
                     {} MiB, shared among the runs (lower --trace-sample)",
                    run.scenario,
                    run.replication,
                    journeys.dropped,
                    target.display(),
                    MAX_JOURNEY_FILE_BYTES >> 20
                ));
            }
        }
        let mut parts = self
            .parts
            .into_inner()
            .map_err(|_| write_error("a run failed while writing its journeys"))?;
        parts.sort_by_key(|(task, _)| (task.scenario, task.replication));
        let finished = |task: &Task| {
            runs.get(task.scenario)
                .is_some_and(|r| r.iter().any(|run| run.replication == task.replication))
        };
        // The target was checked before the runs; it may have changed since,
        // and a rename would replace a device or a FIFO with a plain file.
        if let Some(kind) = special_kind(&target) {
            return Err(write_error(&format!("it became {kind} during the runs")));
        }
        folder::write_atomic_with(&target, |out| {
            let mut out = BufWriter::new(out);
            for (_, part) in parts.iter().filter(|(task, _)| finished(task)) {
                let mut file = File::open(part.path())?;
                io::copy(&mut file, &mut out)?;
            }
            out.flush()
        })?;
        Ok(warnings)
    }
}

/// Refuses, before any run starts, a `--trace` path the journeys must not
/// replace: a folder, anything else that is not a regular file (a device, a
/// FIFO, a socket; symbolic links are followed), one of the scenario
/// `files` of the command, a path in a folder that does not exist (no folder
/// is created for the journeys), and the `--out` folder `out`, a path inside
/// it or one that would hold it (that folder holds the files of one run,
/// those its manifest lists). An existing regular file is replaced.
pub fn check_target(path: &Path, files: &[String], out: &Path) -> Result<()> {
    let refuse = |why: String| Err(Error::Usage(format!("--trace {}: {why}", path.display())));
    if path.is_dir() || path.file_name().is_none() {
        return refuse("expected a file to write the journeys to, not a folder".into());
    }
    if let Some(kind) = special_kind(path) {
        return refuse(format!(
            "expected a new file or a regular file to replace, found {kind}"
        ));
    }
    let target = resolved(path);
    let problem = scenario_clash(&target, files)
        .or_else(|| out_clash(&target, out))
        .or_else(|| missing_folder(path));
    match problem {
        Some(why) => refuse(why),
        None => Ok(()),
    }
}

/// Refuses a `--trace` path that is the arrivals file a scenario replays
/// (`traffic.trace`), however either path is written: known once the
/// scenarios are loaded, and checked then, still before any run.
pub fn check_against_replays(path: &Path, scenarios: &[Scenario]) -> Result<()> {
    let target = resolved(path);
    let replayed = scenarios.iter().find_map(|s| match &s.traffic.source {
        Source::Trace(trace) if !trace.path.as_os_str().is_empty() => {
            (resolved(&trace.path) == target).then_some(&trace.file)
        }
        _ => None,
    });
    match replayed {
        Some(file) => Err(Error::Usage(format!(
            "--trace {}: this is the arrivals file {file} that a scenario replays; \
             the journeys would replace it",
            path.display()
        ))),
        None => Ok(()),
    }
}

/// Returns why the journeys file `target` (resolved) cannot be written when
/// it is one of the scenario `files`, however its path is written.
fn scenario_clash(target: &Path, files: &[String]) -> Option<String> {
    // A bundled scenario's name that is no file is not a path to protect:
    // the same rule as loading (a file of that name wins).
    files
        .iter()
        .filter(|f| Path::new(f).exists())
        .find(|f| resolved(Path::new(f)) == target)
        .map(|file| format!("this is the scenario file {file}; the journeys would replace it"))
}

/// Returns why the journeys file `path` cannot be written when its folder
/// is not one: no folder is made for it, so a missing one is named.
fn missing_folder(path: &Path) -> Option<String> {
    let dir = folder_of(path);
    if dir.is_dir() {
        None
    } else if dir.exists() {
        Some(format!("{} is a file, not a folder", dir.display()))
    } else {
        Some(format!(
            "the folder {} does not exist (scalesim creates no folder for the journeys; \
             create it first)",
            dir.display()
        ))
    }
}

/// Returns why the journeys file `target` (resolved) cannot go with the
/// `--out` folder `out`: that folder holds the files of one run, those its
/// manifest lists, so a journeys file there would mix two runs (and one
/// holding it, or the same path, cannot be a file and a folder at once).
fn out_clash(target: &Path, out: &Path) -> Option<String> {
    let folder = resolved(out);
    let (out, manifest) = (
        out.display(),
        "which holds the files of one run only (those its manifest lists)",
    );
    if target == folder {
        Some(format!(
            "this is the --out folder {out}, {manifest}; write the journeys outside it"
        ))
    } else if target.starts_with(&folder) {
        Some(format!(
            "this is inside the --out folder {out}, {manifest}; write the journeys outside it"
        ))
    } else if folder.starts_with(target) {
        Some(format!(
            "the --out folder {out} would be inside it; write the journeys elsewhere"
        ))
    } else {
        None
    }
}

/// Returns what `path` is when it exists and is neither a regular file nor
/// a folder (symbolic links followed), as a phrase: `a FIFO`, `a device`...
fn special_kind(path: &Path) -> Option<&'static str> {
    let kind = fs::metadata(path).ok()?.file_type();
    if kind.is_file() || kind.is_dir() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
        if kind.is_char_device() || kind.is_block_device() {
            return Some("a device");
        }
    }
    Some("something that is not a regular file")
}

/// Returns `path` absolute, with its symbolic links resolved as far as it
/// exists; the part that does not exist yet (so holds no link) is appended,
/// its `..` taken as written. Two paths that name the same file resolve to
/// the same path.
fn resolved(path: &Path) -> PathBuf {
    let mut existing = path;
    let mut missing: Vec<OsString> = Vec::new();
    let mut real = loop {
        let probe = if existing.as_os_str().is_empty() {
            Path::new(".")
        } else {
            existing
        };
        if let Ok(real) = fs::canonicalize(probe) {
            break real;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                missing.push(last.as_os_str().to_os_string());
                existing = parent;
            }
            // Nothing of it exists, not even the working folder: compare it as written.
            _ => return path.to_path_buf(),
        }
    };
    for part in missing.iter().rev() {
        match part.to_str() {
            Some("..") => {
                real.pop();
            }
            Some(".") => {}
            _ => real.push(part),
        }
    }
    real
}

/// Returns the folder of `path` (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_not_yet_made_resolves_like_the_same_path_written_plainly() {
        let here = resolved(Path::new("."));
        let roundabout = resolved(Path::new("no-such-folder/.././new/file.jsonl"));
        assert_eq!(roundabout, here.join("new").join("file.jsonl"));
        assert!(resolved(Path::new("new")).starts_with(&here));
    }
}
