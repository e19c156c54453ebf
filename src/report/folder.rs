//! A folder of results written as one run: never a mix of two runs, and no
//! temporary file left behind.
//!
//! - Each file is written under a unique hidden temporary name in the same
//!   folder (`.results.json.12345.7.tmp`: the process id and a counter), then
//!   renamed; the temporary file is removed on every error.
//! - [`publish`] holds a lock on the folder (`.scalesim.lock`, holding the
//!   process id) while it writes, so two processes never write one folder at
//!   once: the second waits for the first, up to [`LOCK_WAIT`].
//! - It removes the previous run's manifest, then the files that manifest
//!   lists (and no other: a file scalesim did not write stays), writes the new
//!   files, and writes the new manifest, [`MANIFEST`], last. The manifest
//!   names the command that wrote the run, so that a later run of another
//!   command can say whose files it removed ([`Replaced`]).
//! - Until the manifest is written, the names of the files that may be left
//!   (the previous run's, and each new one once renamed) are kept in
//!   [`JOURNAL`], so that the next write also removes what a stopped one left.
//!
//! So a folder with a manifest holds exactly one run's files; a write stopped
//! part-way (an error, a full disk, Ctrl-C, a killed process) leaves some new
//! files and no manifest, never old files beside new ones.
//!
//! The files of the previous run that the new one does not write (a
//! `compare`'s charts, before a `sweep` that draws others) are removed in the
//! same step as those it rewrites, after the old manifest and before the
//! first new file, and not after the new manifest: in between, a manifest
//! would list the new run while the old run's files still lay beside it,
//! which is the very mix the folder must never show. Files no manifest and no
//! journal lists are never removed, nor reported: they are the user's.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::error::{Error, Result};

/// The file written last into a folder of results: the run and its files.
pub const MANIFEST: &str = "results.manifest.json";

/// The lock file of a folder being written.
pub const LOCK: &str = ".scalesim.lock";

/// The names, one a line, of the files scalesim wrote into a folder whose
/// writing has not reached its manifest yet; removed once it has.
pub const JOURNAL: &str = ".scalesim.journal";

/// How long [`publish`] waits for another process that writes the same folder.
///
/// The lock is held only while files are written, after every chart and
/// page is drawn in memory, so a wait this long means the other process is
/// stuck rather than busy.
pub const LOCK_WAIT: Duration = Duration::from_secs(30);

/// The `format` field of a manifest.
const MANIFEST_FORMAT: &str = "scalesim-results";

/// The version of the manifest's layout: 2 adds `command`; a manifest of
/// version 1 is read all the same, as a run of an unnamed command.
const MANIFEST_VERSION: u32 = 2;

/// How often a waiting process tries the lock again.
const LOCK_POLL: Duration = Duration::from_millis(50);

/// The files of one run, in memory, in the order they are written.
#[derive(Clone, Debug, Default)]
pub struct Files {
    entries: Vec<(String, Vec<u8>)>,
}

impl Files {
    /// Creates an empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the file `name` (a plain file name, no folder); a second file of
    /// the same name replaces the first, in its place.
    pub fn add(&mut self, name: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        let (name, bytes) = (name.into(), bytes.into());
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = bytes,
            None => self.entries.push((name, bytes)),
        }
    }

    /// Returns the content of the file `name`, if the set has it.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, bytes)| bytes.as_slice())
    }

    /// Returns the names of the files, in writing order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    /// Returns the number of files.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Returns whether the set has no file.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Returns [`Error::Interrupted`] once `cancel` is set.
pub fn check(cancel: Option<&AtomicBool>) -> Result<()> {
    match cancel {
        Some(flag) if flag.load(Ordering::SeqCst) => Err(Error::Interrupted),
        _ => Ok(()),
    }
}

/// What a write removed besides the files it rewrote: files of earlier
/// runs that it does not write itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Replaced {
    /// The command that wrote the previous run, as its manifest names it
    /// (`scalesim compare`); `None` without a manifest, with a manifest of
    /// a version that did not name it, or with a name unfit for a terminal
    /// (control characters, over 100 characters).
    pub previous_command: Option<String>,
    /// The files the previous run's manifest listed that this run does not
    /// write, removed, in the manifest's order.
    pub stale: Vec<String>,
    /// The files a write stopped part-way had left (named by the journal
    /// alone) that this run does not write, removed.
    pub leftovers: Vec<String>,
}

/// Writes `files`, the results of `command` (`scalesim sweep`, as a user
/// types it), into the folder `dir` as one run, replacing the previous run's
/// files, and writes [`MANIFEST`] last; returns what it removed besides the
/// files it rewrote.
///
/// `cancel` is checked before each file: once it is set, writing stops with
/// [`Error::Interrupted`] if nothing changed yet, or with
/// [`Error::Incomplete`] if some files were replaced; any other failure after
/// the first change is [`Error::Incomplete`] too. Another process that writes
/// the same folder is waited for, up to [`LOCK_WAIT`] ([`Error::Busy`]).
pub fn publish(
    dir: &Path,
    files: &Files,
    command: &str,
    cancel: Option<&AtomicBool>,
) -> Result<Replaced> {
    publish_with(dir, files, command, cancel, LOCK_WAIT)
}

/// Does [`publish`], waiting up to `wait` for the lock.
fn publish_with(
    dir: &Path,
    files: &Files,
    command: &str,
    cancel: Option<&AtomicBool>,
    wait: Duration,
) -> Result<Replaced> {
    for name in files.names() {
        if !is_plain(name) {
            return Err(Error::Write {
                path: dir.join(name),
                source: std::io::Error::new(ErrorKind::InvalidInput, "not a plain file name"),
            });
        }
    }
    fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let _lock = Lock::acquire(dir, cancel, wait)?;
    check(cancel)?;
    let previous = Previous::read(dir);
    let names = previous.names();
    remove_stale_temporaries(dir, names.iter().map(String::as_str).chain(files.names()));
    let mut journal = Journal::open(dir)?;
    journal.record(&names)?;
    // From here on the folder changes: a failure leaves it incomplete.
    let incomplete = |source: Error| Error::Incomplete {
        dir: dir.to_path_buf(),
        source: Box::new(source),
    };
    let mut replaced = Replaced {
        previous_command: previous.command.clone(),
        ..Replaced::default()
    };
    remove_if_present(&dir.join(MANIFEST)).map_err(incomplete)?;
    // Every file of the runs before goes now, those this run rewrites and
    // those it does not write alike: with the old manifest gone and before
    // the first new file, so that no moment shows a manifest beside files
    // of another run, and a stop leaves only names the journal holds.
    for name in &names {
        let removed = remove_if_present(&dir.join(name)).map_err(incomplete)?;
        if removed && files.get(name).is_none() {
            if previous.listed.contains(name) {
                replaced.stale.push(name.clone());
            } else {
                replaced.leftovers.push(name.clone());
            }
        }
    }
    for (name, bytes) in &files.entries {
        check(cancel).map_err(incomplete)?;
        write_atomic(&dir.join(name), bytes).map_err(incomplete)?;
        journal
            .record(std::slice::from_ref(name))
            .map_err(incomplete)?;
    }
    write_atomic(&dir.join(MANIFEST), manifest(files, command).as_bytes()).map_err(incomplete)?;
    journal.close();
    Ok(replaced)
}

/// The journal of a folder being written: [`JOURNAL`], open for appending.
struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    /// Opens the journal of `dir`, keeping what a stopped write recorded.
    fn open(dir: &Path) -> Result<Journal> {
        let path = dir.join(JOURNAL);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
        Ok(Journal { path, file })
    }

    /// Records that the files `names` may be in the folder.
    fn record(&mut self, names: &[String]) -> Result<()> {
        let text: String = names.iter().map(|n| format!("{n}\n")).collect();
        self.file
            .write_all(text.as_bytes())
            .map_err(|source| Error::Write {
                path: self.path.clone(),
                source,
            })
    }

    /// Removes the journal, once the manifest lists every file.
    fn close(self) {
        // Were it left, the next write would only remove files that this
        // run's manifest lists anyway.
        let _ = fs::remove_file(&self.path);
    }
}

/// Returns the text of the manifest of `files`: the command that wrote them,
/// the run (process id and time) and each file with its size.
fn manifest(files: &Files, command: &str) -> String {
    let unix_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let list: Vec<Value> = files
        .entries
        .iter()
        .map(|(name, bytes)| json!({"name": name, "bytes": bytes.len()}))
        .collect();
    let value = json!({
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "scalesim": env!("CARGO_PKG_VERSION"),
        "command": command,
        "run": {"pid": std::process::id(), "written_unix_ms": unix_ms},
        "files": list,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// What scalesim wrote into a folder before: the files its manifest lists,
/// with the command the manifest names, and those its journal names.
#[derive(Debug, Default)]
struct Previous {
    /// The command the manifest names, if it names one.
    command: Option<String>,
    /// The plain names the manifest lists, each once, never the manifest.
    listed: Vec<String>,
    /// The plain names the journal holds, each once.
    journaled: Vec<String>,
}

impl Previous {
    /// Reads the manifest and the journal of `dir`; a manifest that cannot be
    /// read, or is not one of scalesim's, lists nothing and names no command.
    fn read(dir: &Path) -> Previous {
        let manifest = fs::read_to_string(dir.join(MANIFEST))
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .filter(|v| v.get("format").and_then(Value::as_str) == Some(MANIFEST_FORMAT))
            .unwrap_or(Value::Null);
        let listed = manifest
            .get("files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|f| f.get("name").and_then(Value::as_str));
        let journal = fs::read_to_string(dir.join(JOURNAL)).unwrap_or_default();
        Previous {
            command: manifest
                .get("command")
                .and_then(Value::as_str)
                .filter(|c| is_command(c))
                .map(str::to_string),
            listed: ours(listed),
            journaled: ours(journal.lines()),
        }
    }

    /// Returns every name, those the manifest lists first, each once.
    fn names(&self) -> Vec<String> {
        ours(
            self.listed
                .iter()
                .chain(&self.journaled)
                .map(String::as_str),
        )
    }
}

/// Returns the plain `names` that a run may have written, each once, in
/// order: never the manifest, nor a path outside the folder.
fn ours<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    for name in names {
        if is_plain(name) && name != MANIFEST && !kept.iter().any(|n| n == name) {
            kept.push(name.to_string());
        }
    }
    kept
}

/// Returns whether `text`, read from a manifest, may name a command: short
/// and without control characters. The command is shown on a terminal, so a
/// manifest edited by hand must not move its cursor or fill the screen.
fn is_command(text: &str) -> bool {
    const LONGEST: usize = 100;
    !text.is_empty() && text.chars().count() <= LONGEST && !text.chars().any(char::is_control)
}

/// Returns whether `name` is a plain, visible file name: no folder, no `..`,
/// not hidden (so neither the lock nor a temporary file).
fn is_plain(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && Path::new(name).file_name() == Some(name.as_ref())
}

/// Removes the file at `path`, if there is one (a folder there is left
/// alone); returns whether it removed one.
fn remove_if_present(path: &Path) -> Result<bool> {
    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_dir() => match fs::remove_file(path) {
            Ok(()) => Ok(true),
            Err(source) if source.kind() == ErrorKind::NotFound => Ok(false),
            Err(source) => Err(Error::Write {
                path: path.to_path_buf(),
                source,
            }),
        },
        _ => Ok(false),
    }
}

/// Removes the temporary files of `names` that a killed process left in
/// `dir`. Files of these names are only written under the folder's lock, so
/// while it is held, any temporary file of theirs is a leftover.
fn remove_stale_temporaries<'a>(dir: &Path, names: impl Iterator<Item = &'a str>) {
    let names: Vec<&str> = names.collect();
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        if names.iter().any(|n| is_temporary_of(file_name, n)) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Returns whether `file_name` is a temporary name of `name`:
/// `.NAME.PID.COUNTER.tmp`.
fn is_temporary_of(file_name: &str, name: &str) -> bool {
    let Some(rest) = file_name
        .strip_prefix('.')
        .and_then(|r| r.strip_prefix(name))
        .and_then(|r| r.strip_prefix('.'))
        .and_then(|r| r.strip_suffix(".tmp"))
    else {
        return false;
    };
    let mut parts = rest.split('.');
    let digits =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    digits(parts.next()) && digits(parts.next()) && parts.next().is_none()
}

/// Counts the temporary files of this process, so that each has its own name.
static TEMPORARIES: AtomicU64 = AtomicU64::new(0);

/// A temporary file (`.NAME.PID.COUNTER.tmp`), removed when dropped unless
/// it was renamed.
#[derive(Debug)]
pub struct Temporary {
    path: PathBuf,
    renamed: bool,
}

impl Temporary {
    /// Creates a new temporary file for `name` in `dir`, with a name no other
    /// process or thread uses; returns it and the file, open for writing.
    pub fn create(dir: &Path, name: &str) -> std::io::Result<(Temporary, File)> {
        loop {
            let n = TEMPORARIES.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    let temporary = Temporary {
                        path,
                        renamed: false,
                    };
                    return Ok((temporary, file));
                }
                // Left by an earlier process of the same id: take the next name.
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Returns where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the file to `path`; from then on it is not removed.
    fn rename(mut self, path: &Path) -> std::io::Result<()> {
        fs::rename(&self.path, path)?;
        self.renamed = true;
        Ok(())
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if !self.renamed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Writes `bytes` to `path` atomically: a unique temporary file in the same
/// folder, then a rename. Readers see the old file or the new one, never a
/// part; on an error, the temporary file is removed and `path` is unchanged.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// Writes the file at `path` atomically as [`write_atomic`] does, its bytes
/// streamed by `fill` (which may write more than memory holds).
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> Result<()> {
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir).map_err(err)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| err(std::io::Error::new(ErrorKind::InvalidInput, "no file name")))?;
    let (temporary, mut file) = Temporary::create(dir, name).map_err(err)?;
    fill(&mut file).map_err(err)?;
    // Closed before the rename, which some systems refuse on an open file.
    drop(file);
    temporary.rename(path).map_err(err)
}

/// The lock on a folder of results: the file [`LOCK`], holding the process
/// id, under an advisory lock of the operating system.
///
/// The system releases the lock when its process ends, however it ends, so a
/// lock file left by a killed process is simply taken over; the file is
/// removed when the lock is dropped.
#[derive(Debug)]
struct Lock {
    path: PathBuf,
    /// Kept open: closing it releases the lock.
    _file: File,
}

impl Lock {
    /// Takes the lock of `dir`, waiting up to `wait` for another process that
    /// holds it; stops waiting once `cancel` is set.
    fn acquire(dir: &Path, cancel: Option<&AtomicBool>, wait: Duration) -> Result<Lock> {
        let path = dir.join(LOCK);
        let err = |source| Error::Write {
            path: path.clone(),
            source,
        };
        let started = Instant::now();
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(err)?;
            match file.try_lock() {
                Ok(()) => {
                    // The holder before us removes the file before it lets go:
                    // a lock on a removed file locks nothing, so start again.
                    if !is_same_file(&file, &path) {
                        continue;
                    }
                    file.set_len(0).map_err(err)?;
                    writeln!(file, "{}", std::process::id()).map_err(err)?;
                    return Ok(Lock { path, _file: file });
                }
                // A file system without locks: go on unlocked, as before locks
                // existed (files are still written whole, the manifest last).
                Err(std::fs::TryLockError::Error(e)) if e.kind() == ErrorKind::Unsupported => {
                    return Ok(Lock { path, _file: file });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(err(e)),
                Err(std::fs::TryLockError::WouldBlock) => {
                    check(cancel)?;
                    if started.elapsed() >= wait {
                        let holder = fs::read_to_string(&path)
                            .ok()
                            .and_then(|text| text.trim().parse().ok());
                        return Err(Error::Busy {
                            dir: dir.to_path_buf(),
                            holder,
                            waited: wait,
                        });
                    }
                    std::thread::sleep(LOCK_POLL);
                }
            }
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still held, so that a waiting process that opened
        // this file sees it gone and makes a new one.
        let _ = fs::remove_file(&self.path);
    }
}

/// Returns whether the open `file` is still the file at `path`.
#[cfg(unix)]
fn is_same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

/// Returns whether the open `file` is still the file at `path` (elsewhere an
/// open file cannot be removed, so it is).
#[cfg(not(unix))]
fn is_same_file(_file: &File, _path: &Path) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The command the tests' runs name in their manifests.
    const RUN: &str = "scalesim run";

    /// Returns the names in `dir`, sorted.
    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Returns the names the manifest of `dir` lists.
    fn manifest_names(dir: &Path) -> Vec<String> {
        let value: Value = serde_json::from_slice(&fs::read(dir.join(MANIFEST)).unwrap()).unwrap();
        value["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect()
    }

    /// Returns a set of files named `names`, each holding `content`.
    fn files(names: &[&str], content: &str) -> Files {
        let mut files = Files::new();
        for name in names {
            files.add(*name, content);
        }
        files
    }

    #[test]
    fn a_run_writes_its_files_then_the_manifest_and_leaves_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let replaced = publish(&out, &files(&["a.json", "b.png"], "one"), RUN, None).unwrap();
        assert_eq!(replaced, Replaced::default(), "nothing was there before");
        assert_eq!(listing(&out), ["a.json", "b.png", MANIFEST]);
        assert_eq!(manifest_names(&out), ["a.json", "b.png"]);
        let value: Value = serde_json::from_slice(&fs::read(out.join(MANIFEST)).unwrap()).unwrap();
        assert_eq!(value["version"], 2);
        assert_eq!(value["command"], RUN);
        assert_eq!(value["run"]["pid"], std::process::id());
        assert_eq!(value["files"][0]["bytes"], 3);
    }

    #[test]
    fn a_new_run_removes_the_files_of_the_previous_one_and_only_those() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        fs::write(out.join(".gitkeep"), "").unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        publish(out, &files(&["a.json", "old.png"], "one"), RUN, None).unwrap();
        publish(out, &files(&["a.json", "new.png"], "two"), RUN, None).unwrap();
        assert_eq!(
            listing(out),
            [".gitkeep", "a.json", "new.png", "notes.txt", MANIFEST]
        );
        assert_eq!(fs::read_to_string(out.join("a.json")).unwrap(), "two");
        assert_eq!(manifest_names(out), ["a.json", "new.png"]);
    }

    #[test]
    fn a_run_of_another_command_reports_the_files_it_removed_and_whose() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        let compare = files(&["results.json", "cost.png", "cost.svg"], "one");
        publish(out, &compare, "scalesim compare", None).unwrap();
        let sweep = files(&["results.json", "sweep_p99.png"], "two");
        let replaced = publish(out, &sweep, "scalesim sweep", None).unwrap();
        assert_eq!(
            replaced,
            Replaced {
                previous_command: Some("scalesim compare".into()),
                stale: vec!["cost.png".into(), "cost.svg".into()],
                leftovers: vec![],
            }
        );
        assert_eq!(
            listing(out),
            ["notes.txt", "results.json", MANIFEST, "sweep_p99.png"]
        );
        assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
    }

    #[test]
    fn the_same_files_again_remove_nothing_stale() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        publish(out, &files(&["a.json", "b.png"], "one"), RUN, None).unwrap();
        let replaced = publish(out, &files(&["b.png", "a.json"], "two"), RUN, None).unwrap();
        assert_eq!(
            replaced,
            Replaced {
                previous_command: Some(RUN.into()),
                ..Replaced::default()
            }
        );
    }

    #[test]
    fn a_manifest_of_version_1_is_read_as_a_run_of_an_unnamed_command() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        for name in ["old.png", "a.json"] {
            fs::write(out.join(name), "old").unwrap();
        }
        let old = json!({
            "format": MANIFEST_FORMAT,
            "version": 1,
            "scalesim": "0.1.0",
            "run": {"pid": 1, "written_unix_ms": 0},
            "files": [{"name": "a.json", "bytes": 3}, {"name": "old.png", "bytes": 3}],
        });
        fs::write(out.join(MANIFEST), old.to_string()).unwrap();
        let replaced = publish(out, &files(&["a.json"], "new"), RUN, None).unwrap();
        assert_eq!(
            replaced,
            Replaced {
                previous_command: None,
                stale: vec!["old.png".into()],
                leftovers: vec![],
            }
        );
        assert_eq!(listing(out), ["a.json", MANIFEST]);
    }

    #[test]
    fn a_command_a_terminal_would_obey_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        for command in ["scalesim \u{1b}[2J", "two\nlines", "", &"x".repeat(101)] {
            publish(out, &files(&["a.json"], "one"), command, None).unwrap();
            let replaced = publish(out, &files(&["a.json"], "two"), RUN, None).unwrap();
            assert_eq!(replaced.previous_command, None, "{command:?}");
        }
        publish(out, &files(&["a.json"], "one"), "scalesim sweep", None).unwrap();
        let replaced = publish(out, &files(&["a.json"], "two"), RUN, None).unwrap();
        assert_eq!(replaced.previous_command.as_deref(), Some("scalesim sweep"));
    }

    #[test]
    fn a_listed_file_already_gone_is_not_counted() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        publish(out, &files(&["a.json", "old.png"], "one"), RUN, None).unwrap();
        fs::remove_file(out.join("old.png")).unwrap();
        let replaced = publish(out, &files(&["a.json"], "two"), RUN, None).unwrap();
        assert!(replaced.stale.is_empty(), "{replaced:?}");
    }

    #[test]
    fn a_manifest_never_makes_scalesim_remove_a_file_outside_its_run() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir_all(out.join("sub")).unwrap();
        for path in [".gitkeep", "sub/x", "../outside"] {
            fs::write(out.join(path), "keep").unwrap();
        }
        let hostile = json!({
            "format": MANIFEST_FORMAT,
            "files": [{"name": ".gitkeep"}, {"name": "sub/x"}, {"name": "../outside"},
                      {"name": "sub"}, {"name": LOCK}, {"name": ""}],
        });
        fs::write(out.join(MANIFEST), hostile.to_string()).unwrap();
        publish(&out, &files(&["a.json"], "one"), RUN, None).unwrap();
        for path in [".gitkeep", "sub/x", "../outside"] {
            assert!(out.join(path).exists(), "{path} was removed");
        }
    }

    #[test]
    fn a_failed_write_leaves_new_files_without_manifest_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        publish(out, &files(&["a.json", "old.png"], "one"), RUN, None).unwrap();
        // A folder where a file should go: its rename fails.
        fs::create_dir(out.join("b.csv")).unwrap();
        fs::write(out.join("b.csv/inside"), "x").unwrap();
        let err =
            publish(out, &files(&["a.json", "b.csv", "c.svg"], "two"), RUN, None).unwrap_err();
        assert!(
            matches!(&err, Error::Incomplete { source, .. }
            if matches!(**source, Error::Write { .. })),
            "{err}"
        );
        assert_eq!(err.exit_code(), 1);
        assert!(err.to_string().contains(MANIFEST), "{err}");
        assert_eq!(
            listing(out),
            [JOURNAL, "a.json", "b.csv"],
            "no manifest, old.png gone"
        );
        assert_eq!(fs::read_to_string(out.join("a.json")).unwrap(), "two");
    }

    #[test]
    fn a_failed_write_of_another_command_leaves_no_file_of_the_run_before() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        let compare = files(&["results.json", "cost.png", "cost.svg"], "one");
        publish(out, &compare, "scalesim compare", None).unwrap();
        // A folder where the sweep's second file should go: its rename fails.
        fs::create_dir(out.join("sweep.svg")).unwrap();
        fs::write(out.join("sweep.svg/inside"), "x").unwrap();
        let sweep = files(&["results.json", "sweep.svg", "sweep.png"], "two");
        let err = publish(out, &sweep, "scalesim sweep", None).unwrap_err();
        assert!(matches!(err, Error::Incomplete { .. }), "{err}");
        assert_eq!(
            listing(out),
            [JOURNAL, "notes.txt", "results.json", "sweep.svg"],
            "the compare's charts went before the first new file, the manifest with them"
        );
        assert_eq!(fs::read_to_string(out.join("results.json")).unwrap(), "two");
        fs::remove_dir_all(out.join("sweep.svg")).unwrap();
        // The folder holds no manifest: the next write knows no command, and
        // removes only names the journal holds.
        let replaced = publish(out, &sweep, "scalesim sweep", None).unwrap();
        assert_eq!(replaced, Replaced::default());
        assert_eq!(
            listing(out),
            [
                "notes.txt",
                "results.json",
                MANIFEST,
                "sweep.png",
                "sweep.svg"
            ]
        );
    }

    #[test]
    fn the_temporary_file_is_removed_when_the_rename_fails() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("taken");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("inside"), "x").unwrap();
        let err = write_atomic(&target, b"bytes").unwrap_err();
        assert!(
            matches!(&err, Error::Write { path, .. } if *path == target),
            "{err}"
        );
        assert_eq!(listing(dir.path()), ["taken"]);
    }

    #[test]
    fn the_next_write_removes_what_a_stopped_one_left() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        fs::write(out.join(".gitkeep"), "").unwrap();
        publish(out, &files(&["a.json", "old.png"], "one"), RUN, None).unwrap();
        // A write stopped after `new.png`: a folder stands where `blocked.csv` goes.
        fs::create_dir(out.join("blocked.csv")).unwrap();
        fs::write(out.join("blocked.csv/inside"), "x").unwrap();
        let stopped = files(&["new.png", "blocked.csv", "c.svg"], "two");
        assert!(publish(out, &stopped, RUN, None).is_err());
        fs::remove_dir_all(out.join("blocked.csv")).unwrap();
        assert_eq!(listing(out), [".gitkeep", JOURNAL, "new.png"]);
        // Another run, of other files: nothing of the stopped write stays,
        // and what it removed is told apart from the files of a whole run.
        let replaced = publish(out, &files(&["b.csv"], "three"), RUN, None).unwrap();
        assert_eq!(listing(out), [".gitkeep", "b.csv", MANIFEST]);
        assert_eq!(
            replaced,
            Replaced {
                previous_command: None,
                stale: vec![],
                leftovers: vec!["new.png".into()],
            }
        );
    }

    #[test]
    fn temporary_names_are_unique_and_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let (first, _) = Temporary::create(dir.path(), "a.json").unwrap();
        let (second, _) = Temporary::create(dir.path(), "a.json").unwrap();
        assert_ne!(first.path, second.path);
        let name = first
            .path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(is_temporary_of(&name, "a.json"), "{name}");
        assert!(name.starts_with(&format!(".a.json.{}.", std::process::id())));
        drop((first, second));
        assert!(
            listing(dir.path()).is_empty(),
            "dropped temporaries are removed"
        );
    }

    #[test]
    fn a_cancelled_write_before_any_change_leaves_the_previous_run() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        publish(out, &files(&["a.json"], "one"), RUN, None).unwrap();
        let cancel = AtomicBool::new(true);
        let err = publish(out, &files(&["b.json"], "two"), RUN, Some(&cancel)).unwrap_err();
        assert!(matches!(err, Error::Interrupted), "{err}");
        assert_eq!(listing(out), ["a.json", MANIFEST]);
    }

    #[test]
    fn leftovers_of_a_killed_writer_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        publish(out, &files(&["a.json"], "one"), RUN, None).unwrap();
        for name in [
            ".a.json.99999999.3.tmp",
            ".b.json.1.2.tmp",
            ".other.1.2.tmp",
        ] {
            fs::write(out.join(name), "left").unwrap();
        }
        // A stale lock: its file exists, but no process holds it.
        fs::write(out.join(LOCK), "99999999\n").unwrap();
        publish(out, &files(&["b.json"], "two"), RUN, None).unwrap();
        assert_eq!(listing(out), [".other.1.2.tmp", "b.json", MANIFEST]);
    }

    #[test]
    fn a_held_lock_is_waited_for_then_reported_with_its_process() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let held = Lock::acquire(out, None, LOCK_WAIT).unwrap();
        let started = Instant::now();
        let wait = Duration::from_millis(200);
        let err = publish_with(out, &files(&["a.json"], "one"), RUN, None, wait).unwrap_err();
        assert!(started.elapsed() >= wait);
        let pid = std::process::id();
        assert!(
            matches!(err, Error::Busy { holder: Some(p), .. } if p == pid),
            "{err}"
        );
        assert!(err.to_string().contains(&format!("process {pid}")), "{err}");
        assert_eq!(listing(out), [LOCK], "nothing written while locked");
        // Released a little later: the writer waiting for it goes on.
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            drop(held);
        });
        publish(out, &files(&["a.json"], "one"), RUN, None).unwrap();
        release.join().unwrap();
        assert_eq!(listing(out), ["a.json", MANIFEST]);
    }

    #[test]
    fn a_waiting_writer_stops_when_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let _held = Lock::acquire(dir.path(), None, LOCK_WAIT).unwrap();
        let cancel = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(100));
                cancel.store(true, Ordering::SeqCst);
            });
            let err =
                publish(dir.path(), &files(&["a.json"], "one"), RUN, Some(&cancel)).unwrap_err();
            assert!(matches!(err, Error::Interrupted), "{err}");
        });
    }

    #[test]
    fn a_file_name_with_a_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = publish(dir.path(), &files(&["../a.json"], "one"), RUN, None).unwrap_err();
        assert!(matches!(err, Error::Write { .. }), "{err}");
        assert!(listing(dir.path()).is_empty());
    }

    #[test]
    fn a_file_added_twice_is_written_once() {
        let mut files = files(&["a", "b"], "one");
        files.add("a", "two");
        assert_eq!(files.names().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(files.get("a"), Some(&b"two"[..]));
    }
}
