//! The command line: argument definitions and one function per command.
//!
//! Only `main.rs` prints errors and chooses exit codes; commands return errors.

mod batch;
pub mod compare;
mod explain;
mod manual;
mod merge;
pub mod plan;
pub mod run;
mod scenarios;
pub mod serve;
pub mod showcase;
mod sweep;
mod trace;
mod validate;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::bundled;
use crate::engine::SimTime;
use crate::error::{Error, Result, ScenarioError};
use crate::report::folder::{self, Replaced};
use crate::report::Files;
use crate::runner::{self, Limits};
use crate::scenario::{self, Override, Scenario};
use crate::spec::limits::{MAX_JOBS, MAX_REPLICATIONS};
use crate::sweep::shard::Shard;

/// The `scalesim` command line.
#[derive(Debug, Parser)]
#[command(
    name = "scalesim",
    version,
    about = "Simulate scaling architectures: vertical, horizontal and hybrid setups under load and failures",
    long_about = "Simulate scaling architectures request by request. Without a command, runs the \
                  built-in showcase and writes its results to output/."
)]
pub struct Cli {
    /// What to do (default: the showcase).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of the showcase.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios (in parallel), print a summary table and write results.
    Run {
        /// Scenario files, or names of bundled scenarios (see `scalesim scenarios`).
        #[arg(required = true)]
        files: Vec<String>,
        /// Shared options.
        #[command(flatten)]
        common: CommonArgs,
        /// Request journeys.
        #[command(flatten)]
        trace: TraceArgs,
    },
    /// Run several scenarios on common random numbers and show them side by side.
    Compare {
        /// Scenario files, or names of bundled scenarios (the first is the baseline).
        #[arg(required = true)]
        files: Vec<String>,
        /// Shared options.
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Run a parameter grid in parallel and chart metrics against the parameters.
    Sweep {
        /// The scenario file, or the name of a bundled scenario.
        file: String,
        /// A field and its values: PATH=1,2,4,8 or PATH=start:stop:step (repeatable: a grid).
        #[arg(long = "vary", value_name = "PATH=VALUES", required = true)]
        vary: Vec<String>,
        /// A result to chart, like latency_ms.p99 (repeatable; default: p99, mean, throughput, availability).
        #[arg(long = "metric", value_name = "PATH")]
        metric: Vec<String>,
        /// Run only the K-th of N slices of the runs (K from 1 to N) and write
        /// them to --out as shard-K-of-N.json, for `scalesim merge`.
        #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
        shard: Option<Shard>,
        /// Shared options.
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Find the cheapest setup of a grid that meets every service-level
    /// objective, judged on 95% intervals, and chart the frontier.
    Plan {
        /// The scenario file, or the name of a bundled scenario.
        file: String,
        /// A field and its values: PATH=1,2,4,8 or PATH=start:stop:step (repeatable: a grid).
        #[arg(long = "vary", value_name = "PATH=VALUES", required = true)]
        vary: Vec<String>,
        /// An objective: METRIC<VALUE, <=, > or >=, like p99<200ms or availability>=99.9% (repeatable).
        #[arg(long = "slo", value_name = "OBJECTIVE", required = true)]
        slo: Vec<String>,
        /// The figure to minimise: cost (the default), p99... or a results path.
        #[arg(
            long = "minimise",
            visible_alias = "minimize",
            value_name = "FIGURE",
            default_value = "cost"
        )]
        minimise: String,
        /// Shared options (--replications: of each setup that runs; default 5).
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Merge the shards of a sweep (`sweep --shard K/N`) into the results,
    /// charts and report of the whole sweep.
    #[command(
        after_help = "The seed, replications, overrides and guard rails come from the shards: \
                      give them to each `scalesim sweep ... --shard K/N`."
    )]
    Merge {
        /// Folders holding shard-K-of-N.json files, or such files.
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// Where the results go and what is printed.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Check scenario files without running them.
    Validate {
        /// Scenario files, or names of bundled scenarios.
        #[arg(required = true)]
        files: Vec<String>,
        /// Overrides, checked like the file.
        #[command(flatten)]
        overrides: SetArgs,
        /// Print one object per file on stdout: its name, and `ok` or its errors.
        #[arg(long)]
        json: bool,
        /// Print nothing for valid files (errors and warnings are still shown).
        #[arg(long)]
        quiet: bool,
    },
    /// Explain a scenario: its lesson, its architecture, its knobs, what to
    /// watch and what queueing theory predicts where a formula applies.
    Explain {
        /// A scenario file, or the name of a bundled scenario.
        file: String,
        /// Overrides, applied before the scenario is explained.
        #[command(flatten)]
        overrides: SetArgs,
        /// Print the explanation as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Print a bundled scenario's YAML exactly, to copy and edit.
    Show {
        /// The name of a bundled scenario (see `scalesim scenarios`).
        name: String,
    },
    /// List the bundled scenarios with the lesson each one teaches.
    Scenarios {
        /// Print the list as JSON: one object per scenario.
        #[arg(long)]
        json: bool,
    },
    /// Serve the classroom page on this machine: pick a scenario, move its
    /// knobs, run it and watch the charts change, in a browser.
    #[command(
        after_help = "Guard rails: each run stops after --max-events events or --max-wall of \
                      wall-clock time (its figures are then marked truncated), at most \
                      --max-runs runs go at once (others are refused with a message), and a \
                      request body holds at most 1 MiB."
    )]
    Serve(ServeArgs),
    /// Print a shell completion script for scalesim (source it from your shell's start-up file).
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Print scalesim's manual page (roff), as `man` reads it.
    Man,
}

/// Options of `scalesim serve`.
#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// The port to listen on (0: any free port; the address is printed).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// The address to listen on: this machine only by default. Another
    /// address opens the page (and its runs) to the network.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Stop each run after N events; its figures are marked truncated.
    #[arg(long, value_name = "N", default_value_t = serve::DEFAULT_MAX_EVENTS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_events: u64,
    /// Stop each run after this much wall-clock time, like 30s or 2m.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_wall)]
    pub max_wall: Duration,
    /// Runs that may go at once (default: one per core); more are refused.
    #[arg(long, value_name = "N", value_parser = parse_jobs)]
    pub max_runs: Option<usize>,
}

impl ServeArgs {
    /// Returns the server's settings.
    pub fn settings(&self) -> serve::Settings {
        let mut settings = serve::Settings::new(self.host, self.port);
        settings.limits.max_events = Some(self.max_events);
        settings.limits.max_wall = Some(self.max_wall);
        if let Some(n) = self.max_runs {
            settings.max_runs = n;
        }
        settings
    }
}

/// Where results go and what is printed: the options of every command that
/// writes results.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Folder for results and charts.
    #[arg(long, default_value = "output")]
    pub out: PathBuf,
    /// Print machine-readable results on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Print nothing but errors (and --json output).
    #[arg(long)]
    pub quiet: bool,
}

/// The journeys of a sample of requests (`scalesim run` only).
#[derive(Debug, Args, Clone, Default)]
pub struct TraceArgs {
    /// Write every hop of a sample of requests to FILE, as JSON lines (the
    /// logs of the simulated system). FILE is new or a regular file to
    /// replace, in an existing folder outside --out, and no scenario file.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Share of requests sampled, in (0, 1] (default with --trace: 0.01).
    /// Without --trace, the sample only feeds the critical-path figures.
    #[arg(long, value_name = "P", value_parser = parse_sample)]
    pub trace_sample: Option<f64>,
}

impl TraceArgs {
    /// The share of requests whose journeys a run records, or `None` when
    /// it records none (neither flag given).
    pub fn sample(&self) -> Option<f64> {
        match (self.trace_sample, &self.trace) {
            (Some(p), _) => Some(p),
            (None, Some(_)) => Some(DEFAULT_TRACE_SAMPLE),
            (None, None) => None,
        }
    }
}

/// The share of requests `--trace` samples without `--trace-sample`.
pub const DEFAULT_TRACE_SAMPLE: f64 = 0.01;

/// Parses `--trace-sample`: a share of requests in (0, 1].
fn parse_sample(text: &str) -> std::result::Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(p) if p > 0.0 && p <= 1.0 => Ok(p),
        _ => Err(format!(
            "expected a share of requests greater than 0 and at most 1, like 0.01, found `{text}`"
        )),
    }
}

/// Overrides of fields of the scenario files.
#[derive(Debug, Args, Clone, Default)]
pub struct SetArgs {
    /// Override one field: PATH=VALUE, like components.web.replicas=8 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

/// How scenarios are run: seeds, replications, threads and guard rails.
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Seed for every scenario (overrides the files' `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Independent replications per scenario (figures get 95% confidence intervals; at most 10000).
    /// Default: 1 for run, 3 for sweep and the showcase, 5 for compare and plan.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_REPLICATIONS))]
    pub replications: Option<u64>,
    /// Threads to use (default: all cores; never more than the cores nor the runs).
    #[arg(long, value_parser = parse_jobs)]
    pub jobs: Option<usize>,
    /// Stop each run after N events; its results are marked truncated.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_events: Option<u64>,
    /// Stop each run after this much wall-clock time, like 30s or 5m (not deterministic).
    #[arg(long, value_name = "DURATION", value_parser = parse_wall)]
    pub max_wall: Option<Duration>,
    /// Stop a run when more requests than N are in flight at once (an overloaded system).
    #[arg(long, value_name = "N", default_value_t = runner::DEFAULT_MAX_IN_FLIGHT, value_parser = parse_positive)]
    pub max_in_flight: usize,
    /// Print on stderr how long the simulation took and its events per second
    /// (loading the files and writing the results are not counted).
    #[arg(long)]
    pub timing: bool,
}

impl Default for RunArgs {
    fn default() -> Self {
        Self {
            seed: None,
            replications: None,
            jobs: None,
            max_events: None,
            max_wall: None,
            max_in_flight: runner::DEFAULT_MAX_IN_FLIGHT,
            timing: false,
        }
    }
}

/// Options of the commands that run scenarios and write results: each group
/// defined once, and flattened here.
#[derive(Debug, Args, Clone)]
pub struct CommonArgs {
    /// Where results go and what is printed.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Overrides of fields.
    #[command(flatten)]
    pub overrides: SetArgs,
    /// How the scenarios are run.
    #[command(flatten)]
    pub run: RunArgs,
}

impl CommonArgs {
    /// Returns the options of a command that only writes results (`merge`):
    /// no override, and runs as the defaults have them.
    pub fn output_only(output: OutputArgs) -> Self {
        Self {
            output,
            overrides: SetArgs::default(),
            run: RunArgs::default(),
        }
    }

    /// Returns the guard rails the flags ask for.
    pub fn limits(&self) -> Limits {
        Limits {
            max_events: self.run.max_events,
            max_wall: self.run.max_wall,
            max_in_flight: self.run.max_in_flight,
        }
    }
}

/// Parses `--jobs`: from 1 to [`MAX_JOBS`].
fn parse_jobs(text: &str) -> std::result::Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_JOBS).contains(&n) => Ok(n),
        _ => Err(format!("expected a number of threads from 1 to {MAX_JOBS}")),
    }
}

/// Parses a positive whole number.
fn parse_positive(text: &str) -> std::result::Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("expected a positive whole number".to_string()),
    }
}

/// Parses `--max-wall` with the units of scenario files.
fn parse_wall(text: &str) -> std::result::Result<Duration, String> {
    let time = crate::spec::units::parse_duration(text)?;
    if time == SimTime::ZERO {
        return Err("expected a positive duration".into());
    }
    Ok(Duration::from_nanos(time.0))
}

/// Set by the first Ctrl-C: runs not finished yet are abandoned.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Set once results are being written (charts drawn, files written).
static WRITING: AtomicBool = AtomicBool::new(false);

/// Set by a Ctrl-C that comes while results are being written: the writing
/// stops within about a second.
static STOP_WRITING: AtomicBool = AtomicBool::new(false);

/// Cleared by a command that writes nothing when it is cut short (a plan,
/// which has no verdict until its search ends), so that Ctrl-C does not
/// promise to keep its finished runs.
static KEEPS_FINISHED: AtomicBool = AtomicBool::new(true);

/// Tells the Ctrl-C handler that this command keeps none of its finished
/// runs when it is interrupted.
pub fn keep_nothing_when_interrupted() {
    KEEPS_FINISHED.store(false, Ordering::SeqCst);
}

/// Installs the Ctrl-C handler and returns the flag it sets.
///
/// The handler also catches `SIGTERM` and `SIGHUP`: a scheduler that stops a
/// job (Slurm at its time limit, Kubernetes evicting a pod) first sends
/// `SIGTERM`, and a shard then still writes the runs it finished.
///
/// The first Ctrl-C sets the flag, so finished runs are kept and written; the
/// second quits at once with status 130, for a user who does not want to wait.
/// A Ctrl-C that comes while results are being written stops the writing
/// instead (see [`write_results`]); a second one then quits at once.
pub fn interrupt_flag() -> &'static AtomicBool {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let handler = ctrlc::set_handler(|| {
            if WRITING.load(Ordering::SeqCst) {
                INTERRUPTED.store(true, Ordering::SeqCst);
                if STOP_WRITING.swap(true, Ordering::SeqCst) {
                    std::process::exit(130);
                }
                eprintln!(
                    "\ninterrupting: the writing of results stops; press Ctrl-C again to quit now"
                );
                return;
            }
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            let kept = if KEEPS_FINISHED.load(Ordering::SeqCst) {
                "finished runs will be kept"
            } else {
                "a plan cut short has no verdict, so it keeps nothing"
            };
            eprintln!("\ninterrupting: {kept}; press Ctrl-C again to quit now");
        });
        // Without a handler, Ctrl-C keeps its default effect: quit at once.
        if let Err(e) = handler {
            eprintln!("warning: cannot catch Ctrl-C: {e}");
        }
    });
    &INTERRUPTED
}

/// Renders the files of the results of `command` (`scalesim sweep`, as a
/// user types it) with `render` and writes them into `--out` as one run
/// ([`folder::publish`]); returns them. Unless `--quiet`, warns once of
/// the files of another command's run that the writing removed because this
/// one does not write them ([`replaced_warning`]).
///
/// A Ctrl-C that came before, during the runs, does not stop the writing: the
/// finished runs are written, as [`interrupt_flag`] promises. One that comes
/// from now on sets the flag given to `render` and to the writing, which stop
/// within about a second.
pub fn write_results(
    common: &CommonArgs,
    command: &str,
    render: impl FnOnce(&AtomicBool) -> Result<Files>,
) -> Result<Files> {
    interrupt_flag();
    WRITING.store(true, Ordering::SeqCst);
    let output = &common.output;
    if !(output.quiet || output.json) {
        eprintln!("writing results to {}", output.out.display());
    }
    let cancel = &STOP_WRITING;
    let written = render(cancel).and_then(|files| {
        let replaced = folder::publish(&output.out, &files, command, Some(cancel))?;
        let warning = replaced_warning(&output.out, command, &replaced);
        if let Some(line) = warning.filter(|_| !output.quiet) {
            eprintln!("warning: {line}");
        }
        Ok(files)
    });
    // Stopped before the folder changed (a change makes the error `Incomplete`).
    written.map_err(|e| match e {
        Error::Interrupted => Error::NotWritten {
            dir: output.out.clone(),
        },
        other => other,
    })
}

/// Returns the warning of a write of `command` into `dir` that removed the
/// files a run of another command had written there and this one does not
/// write; `None` when it removed none, or when the previous run was of the
/// same command (it rewrites its own results, as expected) or of an unnamed
/// one (a manifest of an older scalesim).
///
/// Files scalesim did not write are never removed, so never named; the
/// leftovers of a stopped write are not either, as that write already
/// failed and said so.
pub fn replaced_warning(dir: &Path, command: &str, replaced: &Replaced) -> Option<String> {
    let previous = replaced.previous_command.as_deref()?;
    if previous == command || replaced.stale.is_empty() {
        return None;
    }
    let count = match replaced.stale.len() {
        1 => "1 file".to_string(),
        n => format!("{n} files"),
    };
    Some(format!(
        "{}: removed {count} that `{previous}` wrote there and `{command}` does not write ({})",
        dir.display(),
        listed(&replaced.stale),
    ))
}

/// Names the first few of `names`, and how many more there are.
fn listed(names: &[String]) -> String {
    const SHOWN: usize = 3;
    let shown = names.iter().take(SHOWN).map(String::as_str);
    let mut text = shown.collect::<Vec<_>>().join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

/// Returns an error if Ctrl-C was pressed, once what was finished is written.
pub fn check_interrupted() -> Result<()> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}

/// Refuses an `--out` that cannot be a folder (it, or a folder above it, is
/// a file), before any run starts.
pub fn check_out(out: &Path) -> Result<()> {
    match out.ancestors().find(|p| p.exists()) {
        Some(existing) if !existing.is_dir() => Err(Error::Usage(format!(
            "--out {}: {} is a file, not a folder",
            out.display(),
            existing.display()
        ))),
        _ => Ok(()),
    }
}

/// Runs the command line.
pub fn run(cli: Cli) -> Result<()> {
    if let Some(out) = cli
        .command
        .as_ref()
        .map_or(Some(&cli.common.output.out), Command::out)
    {
        check_out(out)?;
    }
    match cli.command {
        None => showcase::run(&cli.common),
        Some(Command::Run {
            files,
            common,
            trace,
        }) => run::run(&files, &common, &trace),
        Some(Command::Compare { files, common }) => compare::run(&files, &common),
        Some(Command::Sweep {
            file,
            vary,
            metric,
            shard,
            common,
        }) => sweep::run(&file, &vary, &metric, shard, &common),
        Some(Command::Plan {
            file,
            vary,
            slo,
            minimise,
            common,
        }) => plan::run(&file, &vary, &slo, &minimise, &common),
        Some(Command::Merge { dirs, output }) => {
            merge::run(&dirs, &CommonArgs::output_only(output))
        }
        Some(Command::Validate {
            files,
            overrides,
            json,
            quiet,
        }) => validate::run(&files, &overrides.set, json, quiet),
        Some(Command::Explain {
            file,
            overrides,
            json,
        }) => explain::run(&file, &overrides.set, json),
        Some(Command::Show { name }) => explain::show(&name),
        Some(Command::Scenarios { json }) => scenarios::run(json),
        Some(Command::Serve(args)) => serve::run(args.settings()),
        Some(Command::Completions { shell }) => manual::completions(shell),
        Some(Command::Man) => manual::man(),
    }
}

impl Command {
    /// Returns the folder of results of a command that writes results.
    fn out(&self) -> Option<&PathBuf> {
        match self {
            Command::Run { common, .. }
            | Command::Compare { common, .. }
            | Command::Sweep { common, .. }
            | Command::Plan { common, .. } => Some(&common.output.out),
            Command::Merge { output, .. } => Some(&output.out),
            Command::Validate { .. }
            | Command::Explain { .. }
            | Command::Show { .. }
            | Command::Scenarios { .. }
            | Command::Serve(_)
            | Command::Completions { .. }
            | Command::Man => None,
        }
    }
}

/// Parses `--set` arguments.
pub fn parse_overrides(set: &[String]) -> Result<Vec<Override>> {
    set.iter()
        .map(|s| Override::parse(s).map_err(|e| Error::Usage(format!("--set {e}"))))
        .collect()
}

/// Prints on stderr, once each, the warnings of the scenarios (what a file
/// asks for that it will not get), unless `quiet`.
pub fn show_warnings(scenarios: &[Scenario], quiet: bool) {
    if quiet {
        return;
    }
    let mut shown: Vec<&str> = Vec::new();
    for line in scenarios.iter().flat_map(|s| &s.warnings) {
        if !shown.contains(&line.as_str()) {
            eprintln!("warning: {line}");
            shown.push(line);
        }
    }
}

/// Loads every named scenario, reporting the errors of all files at once.
pub fn load_all(files: &[String], overrides: &[Override]) -> Result<Vec<Scenario>> {
    let mut scenarios = Vec::new();
    let mut failures: Vec<ScenarioError> = Vec::new();
    for file in files {
        match load_one(file, overrides) {
            Ok(s) => scenarios.push(s),
            Err(Error::Scenario(e)) => failures.push(e),
            Err(other) => return Err(other),
        }
    }
    if failures.is_empty() {
        return Ok(scenarios);
    }
    let issues = failures
        .iter()
        .map(|f| f.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    Err(Error::Usage(format!("invalid scenario\n{issues}")))
}

/// Loads a scenario from a file, or from the bundled set when no such file
/// exists; a name that is neither, but close to a bundled one, is refused
/// with that name as a suggestion.
pub fn load_one(file: &str, overrides: &[Override]) -> Result<Scenario> {
    let text = source(file)?;
    Ok(scenario::load_text(&text, file, overrides)?)
}

/// Returns the text of a scenario: the file `file`, or the bundled scenario
/// of that name when no such file exists; a name that is neither is refused
/// as such (with the bundled name it looks like, if any), by every command
/// that takes a scenario, in the same words.
pub fn source(file: &str) -> Result<Cow<'static, str>> {
    let path = Path::new(file);
    if !path.exists() {
        if let Some(text) = bundled::find(file) {
            return Ok(Cow::Borrowed(text));
        }
        return Err(match bundled::suggest(file) {
            Some(name) => unknown_name(file, name),
            None => Error::Usage(format!(
                "{file}: no such file, nor a bundled scenario of that name \
                 (`scalesim scenarios` lists them all)"
            )),
        });
    }
    Ok(Cow::Owned(scenario::read_text(path)?))
}

/// Returns the error of `file`, neither a file nor a bundled scenario, that
/// looks like a typo of the bundled scenario `name`.
pub fn unknown_name(file: &str, name: &str) -> Error {
    Error::Usage(format!(
        "{file}: no such file, nor a bundled scenario of that name; did you mean `{name}`? \
         (`scalesim scenarios` lists them all)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a `sweep` removed after a run of `previous` that wrote `stale`.
    fn replaced(previous: Option<&str>, stale: &[&str]) -> Replaced {
        Replaced {
            previous_command: previous.map(str::to_string),
            stale: stale.iter().map(|n| n.to_string()).collect(),
            leftovers: vec!["left.png".into()],
        }
    }

    #[test]
    fn another_command_is_named_with_the_files_removed() {
        let dir = Path::new("out");
        let stale = ["a.png", "a.svg", "b.png", "b.svg", "c.csv"];
        let warning = replaced_warning(
            dir,
            "scalesim sweep",
            &replaced(Some("scalesim compare"), &stale),
        );
        assert_eq!(
            warning.as_deref(),
            Some(
                "out: removed 5 files that `scalesim compare` wrote there and \
                 `scalesim sweep` does not write (a.png, a.svg, b.png and 2 more)"
            )
        );
        let one = replaced_warning(dir, "scalesim", &replaced(Some("scalesim run"), &["a.png"]));
        assert_eq!(
            one.as_deref(),
            Some("out: removed 1 file that `scalesim run` wrote there and `scalesim` does not write (a.png)")
        );
    }

    #[test]
    fn the_same_command_an_unnamed_one_or_nothing_removed_is_not_told() {
        let dir = Path::new("out");
        let sweep = "scalesim sweep";
        for (previous, stale) in [
            (Some(sweep), &["a.png"][..]),
            (None, &["a.png"][..]),
            (Some("scalesim compare"), &[][..]),
        ] {
            let warning = replaced_warning(dir, sweep, &replaced(previous, stale));
            assert_eq!(warning, None, "{previous:?} {stale:?}");
        }
    }
}
