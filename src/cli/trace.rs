//! `scalesim run --trace FILE`: each run streams its journeys to a
//! temporary file of its own, beside FILE; once the runs are over, the files
//! are joined in a fixed order (scenario, then replication) into FILE,
//! written atomically. So FILE holds the same bytes whatever `--jobs`, and a
//! run that fails leaves no temporary file behind.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::metrics::RunSummary;
use crate::report::folder::{self, Temporary};
use crate::runner::{JourneyOptions, OpenSink, Task};
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
    /// with `replications` replications each; refuses a target that is a
    /// folder before any run starts.
    pub fn new(target: Option<&Path>, scenarios: usize, replications: u64) -> Result<Self> {
        if let Some(path) = target {
            if path.is_dir() || path.file_name().is_none() {
                return Err(Error::Usage(format!(
                    "--trace {}: expected a file to write the journeys to, not a folder",
                    path.display()
                )));
            }
            let dir = folder_of(path);
            fs::create_dir_all(dir).map_err(|source| Error::Write {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let runs = (scenarios as u64).saturating_mul(replications).max(1);
        Ok(Self {
            target: target.map(Path::to_path_buf),
            budget: MAX_JOURNEY_FILE_BYTES / runs,
            parts: Mutex::new(Vec::new()),
        })
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

/// Returns the folder of `path` (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}
