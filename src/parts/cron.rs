//! The `cron:` section: periodic batch jobs that load a server, and may
//! rebuild what a cache holds when they end.
//!
//! Every `every`, from `first`, a batch of `work` (at speed 1) is split into
//! `parallel` equal jobs, sent at once to the server `on` (job j to its
//! replica j modulo the replicas). A job enters the server's stations like a
//! request, competes for its cores with the live traffic and counts in its
//! utilisation, but it is not a client request: it counts in no figure of the
//! clients (offered, latency, availability). A job's work is fixed, not
//! drawn: the batch is split exactly. When every job of a batch has ended,
//! the batch ends; if all of them succeeded and the entry `warms` a cache,
//! the cache is refilled with the keys it would hold in the long run.

use serde::Deserialize;
use serde_json::Value;
use slab::Slab;

use crate::engine::{Component, ComponentId, SimTime};
use crate::keys::KeySpace;
use crate::metrics::measure::CRON;
use crate::model::{
    About, Action, Call, Msg, Order, Outcome, Request, ANY_REPLICA, JOB_KIND, OUTSIDE,
    SINGLE_ATTEMPT,
};
use crate::parts::{Ctx, Part, Topology, World};
use crate::spec::limits::{
    MAX_CRON_ENTRIES, MAX_CRON_PARALLEL, MAX_NAME_CHARS, MAX_RATE, MAX_WARM_KEYS,
};
use crate::spec::units::{format_duration, format_duration_exact};
use crate::spec::{join_index, join_key, no_such_component, parse_lenient, Duration, Issue};

/// One entry of `cron:`, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct CronSpec {
    /// Its name, for the results (`cron.NAME.runs`) and the chart markers.
    pub name: String,
    /// Time between the starts of two batches.
    pub every: SimTime,
    /// Start of the first batch.
    pub first: SimTime,
    /// The server whose cores run the jobs (component index).
    pub on: usize,
    /// Work of a whole batch at speed 1.
    pub work: SimTime,
    /// Jobs a batch is split into.
    pub parallel: u32,
    /// The cache a batch refills when it ends (component index).
    pub warms: Option<usize>,
}

impl CronSpec {
    /// Returns the work of one job at speed 1, in nanoseconds.
    pub fn job_work_ns(&self) -> u64 {
        self.work.0 / u64::from(self.parallel.max(1))
    }
}

/// One entry of `cron:` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCron {
    name: String,
    every: Duration,
    first: Option<Duration>,
    on: String,
    work: Duration,
    parallel: Option<u32>,
    warms: Option<String>,
}

/// Reads and checks the `cron:` section against the components of
/// `topology`; `keys` is the traffic's key space, which a cache needs to be
/// refilled.
pub fn parse(
    value: &Value,
    topology: &Topology,
    keys: Option<&KeySpace>,
    issues: &mut Vec<Issue>,
) -> Vec<CronSpec> {
    let Some(list) = value.as_array() else {
        issues.push(Issue::new(
            "cron",
            "expected a list of batch jobs, like \
             - {name: rebuild, every: 1h, first: 10m, on: worker, work: 8m, parallel: 4}",
        ));
        return Vec::new();
    };
    if list.len() > MAX_CRON_ENTRIES {
        issues.push(Issue::new(
            "cron",
            format!(
                "{} batch jobs is beyond what one simulation holds (at most {MAX_CRON_ENTRIES})",
                list.len()
            ),
        ));
        return Vec::new();
    }
    let mut out: Vec<CronSpec> = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let path = join_index("cron", i);
        let Some(raw) = parse_lenient::<RawCron>(item, &path, issues) else {
            continue;
        };
        if let Some(spec) = check(raw, &path, topology, keys, issues) {
            if out.iter().any(|c| c.name == spec.name) {
                issues.push(Issue::new(
                    join_key(&path, "name"),
                    format!("two batch jobs are called `{}`", spec.name),
                ));
                continue;
            }
            out.push(spec);
        }
    }
    if out.len() == list.len() {
        check_total_rate(&out, issues);
    }
    out
}

/// Checks one entry.
fn check(
    raw: RawCron,
    path: &str,
    topology: &Topology,
    keys: Option<&KeySpace>,
    issues: &mut Vec<Issue>,
) -> Option<CronSpec> {
    let before = issues.len();
    let valid_name = !raw.name.is_empty()
        && raw.name.chars().count() <= MAX_NAME_CHARS
        && raw
            .name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    if !valid_name {
        issues.push(Issue::new(
            join_key(path, "name"),
            format!(
                "`{}` is not a valid name: use letters, digits, `-` and `_`",
                raw.name
            ),
        ));
    }
    let (every, work) = (raw.every.0, raw.work.0);
    if work == SimTime::ZERO {
        issues.push(Issue::new(
            join_key(path, "work"),
            "expected a positive amount of work, found 0",
        ));
    }
    let parallel = raw.parallel.unwrap_or(1);
    if every == SimTime::ZERO {
        issues.push(Issue::new(
            join_key(path, "every"),
            "expected a positive period, found 0",
        ));
    } else if (1..=MAX_CRON_PARALLEL).contains(&parallel) {
        check_keeps_up(work, parallel, every, path, issues);
    }
    if parallel == 0 || parallel > MAX_CRON_PARALLEL {
        issues.push(Issue::new(
            join_key(path, "parallel"),
            format!("expected from 1 to {MAX_CRON_PARALLEL} jobs per batch, found {parallel}"),
        ));
    } else if every > SimTime::ZERO {
        check_job_rate(parallel, every, path, issues);
    }
    let names = topology.names();
    let on = match topology.index(&raw.on) {
        None => {
            issues.push(Issue::new(
                join_key(path, "on"),
                no_such_component(&raw.on, &names),
            ));
            None
        }
        Some(c) if topology.kind(c) != "server" => {
            issues.push(Issue::new(
                join_key(path, "on"),
                format!(
                    "`{}` is a {}: batch jobs run on the cores of a server",
                    raw.on,
                    topology.kind(c)
                ),
            ));
            None
        }
        Some(c) => Some(c),
    };
    let warms = raw
        .warms
        .as_deref()
        .and_then(|name| check_warms(name, &join_key(path, "warms"), topology, keys, issues));
    if issues.len() > before {
        return None;
    }
    Some(CronSpec {
        name: raw.name,
        every,
        // The first batch comes one period after the start unless told.
        first: raw.first.map_or(every, |d| d.0),
        on: on?,
        work,
        parallel,
        warms,
    })
}

/// Refuses a period shorter than one job's work (`work` / `parallel`, each
/// job on one core): even with a free core for every job, each batch would
/// then outlast the period and batches would pile up. `work` is the whole
/// batch's, split evenly; a batch that needs more cores than its server has
/// may still pile up, which its `batch_ms` shows, but the server's cores
/// may change (autoscaling) while a job's work does not.
fn check_keeps_up(
    work: SimTime,
    parallel: u32,
    every: SimTime,
    path: &str,
    issues: &mut Vec<Issue>,
) {
    let job = SimTime(work.0 / u64::from(parallel));
    if job <= every {
        return;
    }
    let batch = if parallel == 1 {
        format!("a batch of {} of work", format_duration_exact(work))
    } else {
        format!(
            "a batch of {} of work split into {parallel} jobs of {}",
            format_duration_exact(work),
            format_duration(job)
        )
    };
    issues.push(Issue::new(
        join_key(path, "every"),
        format!(
            "{batch} every {} could never keep up: the period must not be shorter than \
             the work of one job (work / parallel), which runs on one core",
            format_duration_exact(every)
        ),
    ));
}

/// Returns the jobs per second of `parallel` jobs every `every`.
fn job_rate(parallel: u32, every: SimTime) -> f64 {
    f64::from(parallel) * 1e9 / every.0 as f64
}

/// Refuses an entry whose jobs come faster than [`MAX_RATE`] per second:
/// each job is an event like an arrival, and a period of microseconds with
/// many jobs would make a short run take hours.
fn check_job_rate(parallel: u32, every: SimTime, path: &str, issues: &mut Vec<Issue>) {
    let rate = job_rate(parallel, every);
    if rate > MAX_RATE {
        issues.push(Issue::new(
            join_key(path, "every"),
            format!(
                "{parallel} jobs every {} is {rate:e} jobs per second, beyond what one \
                 simulation can take (at most {MAX_RATE:e} per second over all batch jobs)",
                format_duration(every)
            ),
        ));
    }
}

/// Refuses entries that are each within the limit but together send more
/// than [`MAX_RATE`] jobs per second.
fn check_total_rate(entries: &[CronSpec], issues: &mut Vec<Issue>) {
    let total: f64 = entries.iter().map(|e| job_rate(e.parallel, e.every)).sum();
    if total > MAX_RATE {
        issues.push(Issue::new(
            "cron",
            format!(
                "the batch jobs together make {total:e} jobs per second, beyond what one \
                 simulation can take (at most {MAX_RATE:e} per second over all batch jobs)"
            ),
        ));
    }
}

/// Warns of entries whose first batch would start at or after `end`: they
/// never run (a run shortened with `--set duration=...` is a common way to
/// look quickly, so this is not an error).
pub fn warn_never_run(entries: &[CronSpec], end: SimTime, warnings: &mut Vec<Issue>) {
    for (i, entry) in entries.iter().enumerate() {
        if entry.first >= end {
            warnings.push(Issue::new(
                join_key(&join_index("cron", i), "first"),
                format!(
                    "{} is at or after the end of the run ({}): this batch job never runs",
                    format_duration_exact(entry.first),
                    format_duration_exact(end)
                ),
            ));
        }
    }
}

/// Checks `warms:`: a cache that serves keyed data (not a session store),
/// whose keys are few enough to be looked at once per batch.
fn check_warms(
    name: &str,
    path: &str,
    topology: &Topology,
    keys: Option<&KeySpace>,
    issues: &mut Vec<Issue>,
) -> Option<usize> {
    let Some(c) = topology.index(name) else {
        issues.push(Issue::new(path, no_such_component(name, &topology.names())));
        return None;
    };
    if topology.kind(c) != "cache" {
        issues.push(Issue::new(
            path,
            format!(
                "`{name}` is a {}: a batch job warms a cache",
                topology.kind(c)
            ),
        ));
        return None;
    }
    match keys {
        None => {
            issues.push(Issue::new(
                path,
                "warming a cache needs requests with keys: add `traffic.keys`",
            ));
            None
        }
        Some(keys) if keys.count > MAX_WARM_KEYS => {
            issues.push(Issue::new(
                path,
                format!(
                    "a refill looks at every key once: at most {MAX_WARM_KEYS} keys, found {}",
                    keys.count
                ),
            ));
            None
        }
        Some(_) => Some(c),
    }
}

/// A batch running: its entry, when it started, and its jobs still out.
#[derive(Clone, Copy, Debug)]
struct Batch {
    entry: usize,
    started: SimTime,
    left: u32,
    failed: bool,
}

/// What one entry did over the measured window.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    runs: u64,
    jobs: u64,
    batch_ns: f64,
    wait_ns: f64,
}

/// The batch jobs of a run, as a part: starts the batches, sends their jobs
/// and notes when each batch ends.
pub struct Cron {
    entries: Vec<CronSpec>,
    /// The replicas of each entry's server.
    replicas: Vec<u32>,
    batches: Slab<Batch>,
    tallies: Vec<Tally>,
    /// Batches start only before this time.
    stop: SimTime,
    /// Batches that end in this window count in the figures.
    window: crate::metrics::Window,
}

impl Cron {
    /// Creates the part of `entries`, with the components of `topology`;
    /// batches start before `stop`.
    pub fn new(
        entries: &[CronSpec],
        topology: &Topology,
        stop: SimTime,
        window: crate::metrics::Window,
    ) -> Self {
        Self {
            replicas: entries.iter().map(|e| topology.replicas(e.on)).collect(),
            tallies: vec![Tally::default(); entries.len()],
            entries: entries.to_vec(),
            batches: Slab::new(),
            stop,
            window,
        }
    }

    /// Starts a batch of entry `e` now, and schedules the next one.
    fn start(&mut self, e: usize, ctx: &mut Ctx<'_>) {
        let Some(entry) = self.entries.get(e) else {
            return;
        };
        let now = ctx.now();
        let next = now + entry.every;
        if next < self.stop {
            ctx.schedule_self(entry.every, Msg::Timer(e as u64));
        }
        ctx.shared
            .recorder
            .mark(now, format!("cron {}", entry.name));
        let batch = self.batches.insert(Batch {
            entry: e,
            started: now,
            left: entry.parallel,
            failed: false,
        }) as u32;
        let (server, work) = (ComponentId(entry.on as u32), entry.job_work_ns());
        let replicas = self.replicas[e].max(1);
        for j in 0..entry.parallel {
            let request = Request {
                kind: JOB_KIND,
                user: 0,
                arrived: now,
                wait: SimTime::ZERO,
                counted: false,
                // A job's work travels in its seed: it is fixed, not drawn.
                seed: work,
                origin: SINGLE_ATTEMPT,
                // The batch the job belongs to.
                key: batch,
                write: false,
                calls_out: 0,
                ended: false,
            };
            let req = ctx.shared.requests.insert(request) as u32;
            let call = Call {
                req,
                reply_to: ctx.me(),
                token: req,
                replica: j % replicas,
                zone: OUTSIDE,
                about: About::Request,
            };
            ctx.send(server, SimTime::ZERO, Msg::Call(call));
        }
    }

    /// A job ended, well or not.
    fn answered(&mut self, req: u32, outcome: Outcome, ctx: &mut Ctx<'_>) {
        let Some(job) = ctx.shared.take_request(req) else {
            return;
        };
        let Some(batch) = self.batches.get_mut(job.key as usize) else {
            return;
        };
        batch.left = batch.left.saturating_sub(1);
        batch.failed |= outcome != Outcome::Ok;
        let now = ctx.now();
        let counted = self.window.contains(now);
        let e = batch.entry;
        if counted {
            let tally = &mut self.tallies[e];
            tally.jobs += 1;
            tally.wait_ns += job.wait.0 as f64;
        }
        if batch.left > 0 {
            return;
        }
        let batch = self.batches.remove(job.key as usize);
        if counted {
            let tally = &mut self.tallies[e];
            tally.runs += 1;
            tally.batch_ns += (now - batch.started).0 as f64;
        }
        if let (false, Some(cache)) = (batch.failed, self.entries[e].warms) {
            // The rebuilt pages hold until the next rebuild.
            let life_ms = self.entries[e].every.0 / 1_000_000;
            let order = Order {
                action: Action::Warm {
                    life_ms: u32::try_from(life_ms).unwrap_or(u32::MAX),
                },
                replica: ANY_REPLICA,
                replicas: 0,
            };
            ctx.send(
                ComponentId(cache as u32),
                SimTime::ZERO,
                Msg::Control(order),
            );
        }
    }
}

impl Component<Msg, World> for Cron {
    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        for (e, entry) in self.entries.iter().enumerate() {
            if entry.first < self.stop {
                ctx.schedule_self(entry.first, Msg::Timer(e as u64));
            }
        }
    }

    fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
        match msg {
            Msg::Timer(e) => self.start(e as usize, ctx),
            Msg::Reply { token, outcome } => self.answered(token, outcome, ctx),
            Msg::Call(_) | Msg::Probe { .. } | Msg::Load { .. } | Msg::Control(_) => {}
        }
    }

    fn on_finish(&mut self, ctx: &mut Ctx<'_>) {
        for (entry, t) in self.entries.iter().zip(&self.tallies) {
            let mean_ms = |sum_ns: f64, n: u64| {
                if n == 0 {
                    0.0
                } else {
                    sum_ns / n as f64 / 1e6
                }
            };
            let values = [
                (t.runs as f64, true),
                (t.jobs as f64, true),
                (mean_ms(t.batch_ns, t.runs), false),
                (mean_ms(t.wait_ns, t.jobs), false),
            ];
            for (measure, (value, total)) in CRON.iter().zip(values) {
                let path = format!("cron.{}.{}", entry.name, measure.key);
                ctx.shared.recorder.figure(path, measure, value, total);
            }
        }
    }
}

/// The batch jobs take no orders from the failure schedule.
impl Part for Cron {
    /// The batches running (their jobs are requests in flight).
    fn held(&self) -> usize {
        self.batches.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The issues of a batch of `work` split into `parallel` jobs every `every`.
    fn keeps_up(work: &str, parallel: u32, every: &str) -> Vec<Issue> {
        let time = |text: &str| crate::spec::units::parse_duration(text).unwrap();
        let mut issues = Vec::new();
        check_keeps_up(time(work), parallel, time(every), "cron[0]", &mut issues);
        issues
    }

    #[test]
    fn a_batch_split_over_jobs_keeps_up_when_each_job_fits_the_period() {
        // 2m over 4 jobs is 30s a job: a batch every minute keeps up on 4 cores.
        assert!(keeps_up("2m", 4, "1m").is_empty());
        assert!(keeps_up("1m", 1, "1m").is_empty());
        let issues = keeps_up("2m", 1, "1m");
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].path, "cron[0].every");
        assert!(
            issues[0]
                .message
                .starts_with("a batch of 2m of work every 1m could never keep up"),
            "{issues:?}"
        );
        let issues = keeps_up("8h", 4, "1h");
        assert!(
            issues[0]
                .message
                .starts_with("a batch of 8h of work split into 4 jobs of 2h every 1h"),
            "{issues:?}"
        );
    }
}
