//! Capacity planning: the cheapest setup of a grid that meets every
//! objective, judged on the 95% interval of each figure and not on its mean.
//!
//! The search orders the setups by the price of their machines (then by
//! size), rules out with queueing theory those no simulation could save,
//! runs the others group by group from the cheapest, adds replications
//! only to the setups whose interval straddles a limit, and stops at the
//! first group that holds a setup shown to meet every objective. How it
//! judges, prunes and breaks ties is written in `docs/plan.md`.

use crate::metrics::{Figure, FlatRun, ScenarioResult};
use crate::parts::kinds::declaration;
use crate::parts::ComponentSpec;
use crate::report::format;
use crate::runner::{self, Task};
use crate::scenario::Scenario;
use crate::spec::units::{parse_duration, parse_rate};
use crate::theory;

/// The most replications a setup gets when its interval keeps straddling a
/// limit: past it the setup counts as not shown to meet the objective.
pub const MAX_PLAN_REPLICATIONS: u64 = 40;

/// The figure minimised unless `--minimise` names another one.
pub const COST: &str = "cost_per_hour";

/// Which side of its limit a figure must stay on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `<`: strictly below.
    Below,
    /// `<=`: at most.
    AtMost,
    /// `>`: strictly above.
    Above,
    /// `>=`: at least.
    AtLeast,
}

impl Op {
    /// Returns the operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Below => "<",
            Op::AtMost => "<=",
            Op::Above => ">",
            Op::AtLeast => ">=",
        }
    }

    /// Returns true when the limit is a ceiling (`<`, `<=`).
    pub fn ceiling(self) -> bool {
        matches!(self, Op::Below | Op::AtMost)
    }

    /// Returns true when `x` is on the right side of `limit`.
    pub fn holds(self, x: f64, limit: f64) -> bool {
        match self {
            Op::Below => x < limit,
            Op::AtMost => x <= limit,
            Op::Above => x > limit,
            Op::AtLeast => x >= limit,
        }
    }
}

/// One service-level objective of `--slo`: a figure, a side and a limit.
#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    /// As the user wrote it (`p99<200ms`).
    pub text: String,
    /// The results path of the figure (`latency_ms.p99`).
    pub path: String,
    /// Which side of the limit it must stay on.
    pub op: Op,
    /// The limit, in the figure's stored unit (ms for latencies, a fraction
    /// for availability).
    pub limit: f64,
}

/// Latency names and the quantile each stands for (`None`: the mean).
const LATENCIES: &[(&str, Option<f64>)] = &[
    ("p50", Some(0.5)),
    ("p90", Some(0.9)),
    ("p99", Some(0.99)),
    ("p999", Some(0.999)),
    ("mean", None),
];

/// What `--slo` accepts, for error messages.
const SLO_EXPECTED: &str = "METRIC<VALUE (or <=, >, >=), like p99<200ms, \
    availability>=99.9%, throughput>=100/s or components.db.utilization<80%; \
    METRIC is p50, p90, p99, p999, mean, availability, throughput or a results path";

impl Objective {
    /// Parses `METRIC<VALUE` (or `<=`, `>`, `>=`); returns the reason when
    /// the text does not fit.
    pub fn parse(text: &str) -> Result<Objective, String> {
        let at = text
            .find(['<', '>'])
            .ok_or_else(|| format!("`{text}`: expected {SLO_EXPECTED}"))?;
        let (metric, rest) = text.split_at(at);
        let (op, value) = match (rest.as_bytes()[0], rest.as_bytes().get(1)) {
            (b'<', Some(b'=')) => (Op::AtMost, &rest[2..]),
            (b'<', _) => (Op::Below, &rest[1..]),
            (_, Some(b'=')) => (Op::AtLeast, &rest[2..]),
            _ => (Op::Above, &rest[1..]),
        };
        let (metric, value) = (metric.trim(), value.trim());
        if metric.is_empty() || value.is_empty() {
            return Err(format!("`{text}`: expected {SLO_EXPECTED}"));
        }
        if value.contains(['<', '>', '=']) {
            return Err(format!(
                "`{text}`: one comparison only; expected {SLO_EXPECTED}"
            ));
        }
        let (path, limit) = Self::read(metric, value).map_err(|e| format!("`{text}`: {e}"))?;
        if !limit.is_finite() {
            return Err(format!("`{text}`: the limit must be a finite number"));
        }
        Ok(Objective {
            text: text.trim().to_string(),
            path,
            op,
            limit,
        })
    }

    /// Returns the results path of `metric` and its limit read from `value`.
    fn read(metric: &str, value: &str) -> Result<(String, f64), String> {
        if let Some(&(name, _)) = LATENCIES.iter().find(|(n, _)| *n == metric) {
            let time = parse_duration(value).map_err(|_| {
                format!("{metric} takes a duration like 200ms or 0.5s, found `{value}`")
            })?;
            return Ok((format!("latency_ms.{name}"), time.0 as f64 / 1e6));
        }
        match metric {
            "availability" => crate::spec::units::parse_fraction(value)
                .map(|f| ("availability".to_string(), f))
                .map_err(|_| {
                    format!("availability takes a percent like 99.9% or a fraction like 0.999, found `{value}`")
                }),
            "throughput" => parse_rate(value)
                .or_else(|_| value.parse::<f64>())
                .map(|r| ("throughput_rps".to_string(), r))
                .map_err(|_| {
                    format!("throughput takes a rate like 100/s, found `{value}`")
                }),
            path => {
                let parts: Vec<String> = path.split('.').map(str::to_string).collect();
                if declaration(&parts).is_none() {
                    return Err(format!(
                        "`{path}` is not a figure of the results (expected {SLO_EXPECTED})"
                    ));
                }
                Ok((path.to_string(), read_number(path, value)?))
            }
        }
    }

    /// Judges the figure at its path in `result` on its 95% interval.
    pub fn judge(&self, result: &ScenarioResult) -> Judgement {
        match result.figure(&self.path) {
            Some(f) if f.value.is_finite() => self.judge_figure(f),
            _ => Judgement::Undefined,
        }
    }

    /// Judges one figure: met when its whole interval is on the right side
    /// of the limit, missed when its whole interval is on the wrong side,
    /// unsure when the interval straddles the limit.
    fn judge_figure(&self, figure: &Figure) -> Judgement {
        let (low, high) = figure.bounds().unwrap_or((figure.value, figure.value));
        let (worst, best) = if self.op.ceiling() {
            (high, low)
        } else {
            (low, high)
        };
        if self.op.holds(worst, self.limit) {
            Judgement::Met
        } else if !self.op.holds(best, self.limit) {
            Judgement::Missed
        } else {
            Judgement::Unsure
        }
    }

    /// Returns the slack of `result` on this objective: the distance from
    /// the worst bound of its interval to the limit, on the right side when
    /// positive, as a share of the room the limit leaves (see `room`).
    pub fn slack(&self, result: &ScenarioResult) -> f64 {
        let Some(f) = result.figure(&self.path).filter(|f| f.value.is_finite()) else {
            return f64::NEG_INFINITY;
        };
        let (low, high) = f.bounds().unwrap_or((f.value, f.value));
        let gap = if self.op.ceiling() {
            self.limit - high
        } else {
            low - self.limit
        };
        gap / room(self, f)
    }

    /// Formats a value of its figure with its unit (`412 ms`, `99.95%`).
    pub fn show(&self, value: f64) -> String {
        format::metric(&self.path).show(value)
    }

    /// Returns the figure with its interval, as read in a sentence
    /// (`p99 latency 412 ms [398, 430]`).
    pub fn describe(&self, result: &ScenarioResult) -> String {
        let metric = format::metric(&self.path);
        let Some(f) = result.figure(&self.path).filter(|f| f.value.is_finite()) else {
            return format!("{} undefined", metric.name);
        };
        match f.bounds() {
            Some((low, high)) => format!(
                "{} {} [{}, {}]",
                metric.name,
                metric.show(f.value),
                metric.show_apart(low, self.limit),
                metric.show_apart(high, self.limit)
            ),
            None => format!("{} {}", metric.name, metric.show(f.value)),
        }
    }
}

/// Returns the scale of slacks on `objective`: the error budget (1 − limit)
/// for a floor on a share that cannot pass 100% (availability ≥ 99.9%
/// leaves 0.1% of room, and using half of it is a slack of 50%), the limit
/// itself otherwise (or 1 for a limit of 0).
fn room(objective: &Objective, figure: &Figure) -> f64 {
    let share = figure.measure.unit == crate::metrics::measure::Unit::Share;
    if share && !objective.op.ceiling() && objective.limit < 1.0 {
        1.0 - objective.limit
    } else if objective.limit != 0.0 {
        objective.limit.abs()
    } else {
        1.0
    }
}

/// Reads the limit of a results path: a number, a percent (a share), a rate
/// (`100/s`) or, for a figure in milliseconds, a duration.
fn read_number(path: &str, value: &str) -> Result<f64, String> {
    if let Ok(x) = value.parse::<f64>() {
        return Ok(x);
    }
    if let Some(p) = value
        .strip_suffix('%')
        .and_then(|p| p.trim().parse::<f64>().ok())
    {
        return Ok(p / 100.0);
    }
    if value.ends_with("/s") || value.ends_with("/m") || value.ends_with("/h") {
        return parse_rate(value);
    }
    let in_ms = path.split('.').any(|p| p.ends_with("_ms"));
    match parse_duration(value) {
        Ok(t) if in_ms => Ok(t.0 as f64 / 1e6),
        _ => Err(format!(
            "expected a number, a percent or (for a figure in ms) a duration, found `{value}`"
        )),
    }
}

/// The verdict on one objective of one setup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// The whole 95% interval is on the right side of the limit.
    Met,
    /// The whole 95% interval is on the wrong side.
    Missed,
    /// The interval straddles the limit.
    Unsure,
    /// The figure is absent or undefined in the results.
    Undefined,
}

/// What the plan knows of one setup.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    /// Not run: a cheaper setup met every objective.
    Dearer,
    /// Not run: queueing theory shows it cannot meet an objective (why).
    RuledOut(String),
    /// Run: every objective met.
    Met,
    /// Run: the objective (its index) that it misses.
    Missed(usize),
    /// Run: the objective (its index) whose interval still straddles its
    /// limit after [`MAX_PLAN_REPLICATIONS`] replications.
    Unsure(usize),
    /// Run: a guard rail stopped its runs early (why).
    Stopped(String),
}

impl Status {
    /// Returns its name in the results (`feasible`, `misses`...).
    pub fn name(&self) -> &'static str {
        match self {
            Status::Dearer => "not run: dearer",
            Status::RuledOut(_) => "ruled out by theory",
            Status::Met => "feasible",
            Status::Missed(_) => "misses",
            Status::Unsure(_) => "unsure",
            Status::Stopped(_) => "stopped early",
        }
    }
}

/// One setup of the grid: a point with its scenario, price and size.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The value of each varied parameter, as written.
    pub labels: Vec<String>,
    /// Its scenario.
    pub scenario: Scenario,
    /// The price per hour of its machines as written.
    pub price: f64,
    /// Cores of all its servers (the size that breaks ties of price).
    pub cores: u64,
    /// Its machines.
    pub replicas: u64,
    /// Its runs, in replication order.
    pub runs: Vec<FlatRun>,
    /// Its figures over its runs (none until it has run).
    pub result: Option<ScenarioResult>,
    /// What the plan knows of it (`None`: not considered yet).
    pub status: Option<Status>,
}

impl Setup {
    /// Returns the setup of grid point `labels`.
    pub fn new(labels: Vec<String>, scenario: Scenario) -> Setup {
        let (mut cores, mut replicas) = (0u64, 0u64);
        for c in &scenario.components {
            let n = u64::from(c.spec.replicas());
            replicas += n;
            if let ComponentSpec::Server(server) = &c.spec {
                cores += n * u64::from(server.station.cores);
            }
        }
        Setup {
            labels,
            price: runner::cost_per_hour(&scenario),
            scenario,
            cores,
            replicas,
            runs: Vec::new(),
            result: None,
            status: None,
        }
    }

    /// Returns the value of the minimised figure: measured when it has run,
    /// the price as written otherwise (for the cost).
    pub fn minimised(&self, path: &str) -> f64 {
        match &self.result {
            Some(r) => r.value(path),
            None if path == COST => self.price,
            None => f64::NAN,
        }
    }
}

/// How the search runs.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Replications of every setup that runs.
    pub replications: u64,
    /// Replications a setup may grow to while its interval straddles a limit.
    pub max_replications: u64,
}

/// Runs the given tasks (setup index, replication) and returns their runs.
pub type RunFn<'a> = dyn FnMut(&[Scenario], &[Task]) -> crate::Result<Vec<(Task, FlatRun)>> + 'a;

/// The plan: the setups, the objectives and what the search found.
#[derive(Debug)]
pub struct Plan {
    /// The varied field paths.
    pub parameters: Vec<String>,
    /// The objectives, in the order given.
    pub objectives: Vec<Objective>,
    /// The figure minimised (`cost_per_hour`).
    pub minimise: String,
    /// Every setup, in grid order.
    pub setups: Vec<Setup>,
    /// The setups in the order the search considers them.
    pub order: Vec<usize>,
    /// The winner, if some setup met every objective.
    pub best: Option<usize>,
}

impl Plan {
    /// Prepares the plan of `setups`: orders them and rules out those that
    /// theory shows cannot meet an objective.
    pub fn new(
        parameters: Vec<String>,
        objectives: Vec<Objective>,
        minimise: String,
        setups: Vec<Setup>,
    ) -> Plan {
        let mut plan = Plan {
            parameters,
            objectives,
            minimise,
            order: Vec::new(),
            setups,
            best: None,
        };
        plan.order = (0..plan.setups.len()).collect();
        plan.sort();
        for setup in &mut plan.setups {
            if let Some(why) = ruled_out(&setup.scenario, &plan.objectives) {
                setup.status = Some(Status::RuledOut(why));
            }
        }
        plan
    }

    /// Orders the setups by their minimised figure (as written before they
    /// run, measured after; unknown ones last), then by size; a stable sort
    /// keeps the grid order among setups alike.
    fn sort(&mut self) {
        let setups = &self.setups;
        let minimise = &self.minimise;
        self.order.sort_by(|&a, &b| {
            let (a, b) = (&setups[a], &setups[b]);
            a.minimised(minimise)
                .total_cmp(&b.minimised(minimise))
                .then(a.cores.cmp(&b.cores))
                .then(a.replicas.cmp(&b.replicas))
        });
    }

    /// Returns true when the search can stop at the cheapest feasible group:
    /// the minimised figure is the price, known before any run.
    fn ordered(&self) -> bool {
        self.minimise == COST
    }

    /// Searches the setups: group by group in order of price when the cost
    /// is minimised (stopping at the first group with a feasible setup),
    /// all at once otherwise; then picks the winner.
    pub fn search(&mut self, settings: Settings, run: &mut RunFn<'_>) -> crate::Result<()> {
        let groups = self.groups();
        for (g, group) in groups.iter().enumerate() {
            let todo: Vec<usize> = group
                .iter()
                .copied()
                .filter(|&i| self.setups[i].status.is_none())
                .collect();
            if !self.ordered() {
                // Nothing is known before the runs: every setup runs.
                let all: Vec<usize> = groups.iter().flatten().copied().collect();
                let all: Vec<usize> = all
                    .into_iter()
                    .filter(|&i| self.setups[i].status.is_none())
                    .collect();
                self.evaluate(&all, settings, run)?;
                break;
            }
            self.evaluate(&todo, settings, run)?;
            let measured_price = todo.iter().all(|&i| {
                let s = &self.setups[i];
                let cost = s.minimised(COST);
                (cost - s.price).abs() <= 1e-9 * s.price.abs().max(1e-9)
            });
            let met = group
                .iter()
                .any(|&i| self.setups[i].status == Some(Status::Met));
            if met && measured_price {
                for &i in groups[g + 1..].iter().flatten() {
                    if self.setups[i].status.is_none() {
                        self.setups[i].status = Some(Status::Dearer);
                    }
                }
                break;
            }
        }
        // Measured figures order the setups that ran for the report.
        self.sort();
        self.best = self.pick();
        Ok(())
    }

    /// Returns the setups in order, grouped by equal minimised figure: the
    /// members of a group cost the same, so all of them run and the
    /// objectives tell them apart.
    fn groups(&self) -> Vec<Vec<usize>> {
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for &i in &self.order {
            let figure = self.setups[i].minimised(&self.minimise);
            match groups.last_mut() {
                Some(g) if self.setups[g[0]].minimised(&self.minimise) == figure => g.push(i),
                _ => groups.push(vec![i]),
            }
        }
        groups
    }

    /// Runs `setups` with the first replications, then adds replications, by
    /// doubling, to those whose interval straddles a limit, up to the cap.
    fn evaluate(
        &mut self,
        setups: &[usize],
        settings: Settings,
        run: &mut RunFn<'_>,
    ) -> crate::Result<()> {
        let mut pending: Vec<usize> = setups.to_vec();
        let mut target = settings.replications;
        while !pending.is_empty() {
            let tasks: Vec<Task> = pending
                .iter()
                .flat_map(|&i| {
                    let from = self.setups[i].runs.len() as u64;
                    (from..target).map(move |r| Task {
                        scenario: i,
                        replication: r,
                    })
                })
                .collect();
            let scenarios: Vec<Scenario> = self.setups.iter().map(|s| s.scenario.clone()).collect();
            let finished = run(&scenarios, &tasks)?;
            if finished.len() < tasks.len() {
                // Ctrl-C: what finished is kept, nothing more runs.
                for (task, flat) in finished {
                    self.setups[task.scenario].runs.push(flat);
                }
                for &i in &pending {
                    self.judge(i, true);
                }
                return Err(crate::Error::Interrupted);
            }
            for (task, flat) in finished {
                self.setups[task.scenario].runs.push(flat);
            }
            let last = target >= settings.max_replications;
            for &i in &pending {
                self.judge(i, last);
            }
            pending.retain(|&i| self.setups[i].status.is_none());
            target = (target * 2).min(settings.max_replications);
        }
        Ok(())
    }

    /// Aggregates the runs of setup `i` and judges it; leaves it undecided
    /// when an interval straddles a limit and it may still get replications
    /// (`last` false).
    fn judge(&mut self, i: usize, last: bool) {
        let setup = &mut self.setups[i];
        if setup.runs.is_empty() {
            return;
        }
        let result = ScenarioResult::from_flat(&setup.runs);
        let judgements: Vec<Judgement> = self.objectives.iter().map(|o| o.judge(&result)).collect();
        let stopped = result
            .truncated
            .first()
            .map(|t| t.reason.name().to_string());
        setup.status = if let Some(reason) = stopped {
            Some(Status::Stopped(reason))
        } else if let Some(k) = judgements
            .iter()
            .position(|j| matches!(j, Judgement::Missed | Judgement::Undefined))
        {
            Some(Status::Missed(k))
        } else if let Some(k) = judgements.iter().position(|j| *j == Judgement::Unsure) {
            last.then_some(Status::Unsure(k))
        } else {
            Some(Status::Met)
        };
        setup.result = Some(result);
    }

    /// Returns the feasible setup with the least minimised figure; ties go
    /// to the larger smallest slack (for the same money, the most room under
    /// the limits), then fewer machines, then more cores (those paid for).
    fn pick(&self) -> Option<usize> {
        let feasible = self
            .order
            .iter()
            .copied()
            .filter(|&i| self.setups[i].status == Some(Status::Met));
        feasible.min_by(|&a, &b| {
            let (x, y) = (&self.setups[a], &self.setups[b]);
            x.minimised(&self.minimise)
                .total_cmp(&y.minimised(&self.minimise))
                .then(self.least_slack(b).total_cmp(&self.least_slack(a)))
                .then(x.replicas.cmp(&y.replicas))
                .then(y.cores.cmp(&x.cores))
        })
    }

    /// Returns the smallest slack of setup `i` over the objectives.
    fn least_slack(&self, i: usize) -> f64 {
        self.binding(i).map_or(f64::NEG_INFINITY, |(_, s)| s)
    }

    /// Returns the binding objective of setup `i` (the one with the least
    /// slack) and its slack, once it has run.
    pub fn binding(&self, i: usize) -> Option<(usize, f64)> {
        let result = self.setups[i].result.as_ref()?;
        self.objectives
            .iter()
            .enumerate()
            .map(|(k, o)| (k, o.slack(result)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// Returns the setup considered just before the winner (the next
    /// cheaper one), if any.
    pub fn next_cheaper(&self) -> Option<usize> {
        let best = self.best?;
        let at = self.order.iter().position(|&i| i == best)?;
        self.order[..at]
            .iter()
            .rev()
            .copied()
            .find(|&i| !matches!(self.setups[i].status, Some(Status::Met) | None))
    }

    /// Returns why setup `i` is not the answer, as a sentence (empty for
    /// the winner).
    pub fn reason(&self, i: usize) -> String {
        let setup = &self.setups[i];
        let objective = |k: usize| &self.objectives[k];
        let described = |k: usize| {
            setup
                .result
                .as_ref()
                .map_or_else(String::new, |r| objective(k).describe(r))
        };
        match &setup.status {
            None => "not considered".into(),
            Some(Status::Dearer) => "not run: a cheaper setup meets every objective".into(),
            Some(Status::RuledOut(why)) => why.clone(),
            Some(Status::Met) => String::new(),
            Some(Status::Missed(k)) => format!(
                "misses {}: {} over {} replications",
                objective(*k).text,
                described(*k),
                setup.runs.len()
            ),
            Some(Status::Unsure(k)) => format!(
                "not shown to meet {}: {} still straddles the limit after {} replications",
                objective(*k).text,
                described(*k),
                setup.runs.len()
            ),
            Some(Status::Stopped(why)) => {
                format!("its runs stopped early ({why}): the system is overloaded")
            }
        }
    }

    /// Returns the diagnosis when no setup meets every objective: the bounds
    /// of theory that rule setups out, then the objective that came closest.
    pub fn diagnosis(&self) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        for s in &self.setups {
            if let Some(Status::RuledOut(why)) = &s.status {
                if !lines.contains(why) {
                    lines.push(why.clone());
                }
            }
        }
        let ruled = self
            .setups
            .iter()
            .filter(|s| matches!(s.status, Some(Status::RuledOut(_))))
            .count();
        if ruled == self.setups.len() {
            let first = format!(
                "no setup of the grid can meet the objectives: theory rules out all {ruled}"
            );
            lines.insert(0, first);
            return lines;
        }
        if let Some(i) = self.closest() {
            let (k, slack) = self.binding(i).unwrap_or((0, f64::NAN));
            lines.push(format!(
                "closest: {} came within {} of {} ({}), the objective it misses by the least share",
                self.name(i),
                format_share(-slack),
                self.objectives[k].text,
                self.setups[i]
                    .result
                    .as_ref()
                    .map_or_else(String::new, |r| self.objectives[k].describe(r))
            ));
        }
        lines
    }

    /// Returns the setup that ran whose worst objective missed by the least share.
    pub fn closest(&self) -> Option<usize> {
        (0..self.setups.len())
            .filter(|&i| self.setups[i].result.is_some())
            .max_by(|&a, &b| self.least_slack(a).total_cmp(&self.least_slack(b)))
    }

    /// Returns the name of setup `i`: its parameters (`cores=6`).
    pub fn name(&self, i: usize) -> String {
        let short = crate::report::charts::sweep::short_names(&self.parameters);
        short
            .iter()
            .zip(&self.setups[i].labels)
            .map(|(p, v)| format!("{p}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Formats a share of a limit (`12%`).
pub fn format_share(x: f64) -> String {
    if x.is_finite() {
        format!("{}%", format::sig(x * 100.0))
    } else {
        "-".into()
    }
}

/// Returns why no simulation of `scenario` can meet one of `objectives`,
/// when queueing theory shows it: the queue grows without end (a latency
/// objective), or the quantile of the work alone at the entry is already
/// past a latency limit.
pub fn ruled_out(scenario: &Scenario, objectives: &[Objective]) -> Option<String> {
    let station = theory::entry_station(scenario)?;
    // Ceilings on latency, with the quantile each stands for (`None`: the mean).
    let ceilings: Vec<(&Objective, &str, Option<f64>)> = objectives
        .iter()
        .filter(|o| o.op.ceiling())
        .filter_map(|o| {
            let name = o.path.strip_prefix("latency_ms.")?;
            let &(name, quantile) = LATENCIES.iter().find(|(n, _)| *n == name)?;
            Some((o, name, quantile))
        })
        .collect();
    // The bound of the work alone first: it holds for every number of
    // cores, so it is the diagnosis a user needs.
    for &(o, name, quantile) in &ceilings {
        let (bound_s, how) = match quantile {
            Some(q) if station.exponential => (
                station.service_quantile_s(q),
                format!(
                    "ln({}) × {} = {}",
                    odds(q),
                    ms(station.service_s),
                    ms(station.service_quantile_s(q))
                ),
            ),
            _ => (station.service_s, ms(station.service_s)),
        };
        if !o.op.holds(bound_s * 1e3, o.limit) {
            let law = if station.exponential {
                "exponential"
            } else {
                "deterministic"
            };
            return Some(format!(
                "cannot meet {}: the {name} of the work alone ({law}, {} per request at \
                 this speed) is {how}, and waiting only adds to it; more cores or \
                 replicas cannot help, only faster cores or less work",
                o.text,
                ms(station.service_s),
            ));
        }
    }
    let (o, _, _) = ceilings.first().filter(|_| station.unstable())?;
    let load = station.offered_load().unwrap_or(f64::NAN);
    Some(format!(
        "unstable: an offered load of {} busy cores on {} (ρ = {} ≥ 1); \
         its queue grows without end, so it cannot meet {}",
        format::sig(load),
        match station.cores {
            1 => "1 core".to_string(),
            n => format!("{n} cores"),
        },
        format::sig(load / station.cores as f64),
        o.text
    ))
}

/// Returns 1 / (1 − q) as written in ln(100): a whole number when it is one.
fn odds(q: f64) -> String {
    let n = 1.0 / (1.0 - q);
    if (n - n.round()).abs() < 1e-6 {
        format!("{}", n.round())
    } else {
        format::sig(n)
    }
}

/// Formats seconds as milliseconds with four significant digits (`460.5
/// ms`): a bound is compared with a limit, and three digits would round
/// 460.5 up past a limit of 460.6.
fn ms(seconds: f64) -> String {
    let v = seconds * 1e3;
    let digits = if v.abs() >= 1.0 {
        (3 - v.abs().log10().floor() as i32).max(0)
    } else {
        4
    };
    format!("{v:.*} ms", digits as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objectives_read_latencies_shares_and_paths() {
        let o = Objective::parse("p99<200ms").unwrap();
        assert_eq!(
            (o.path.as_str(), o.op, o.limit),
            ("latency_ms.p99", Op::Below, 200.0)
        );
        let o = Objective::parse("p999 <= 1.5s").unwrap();
        assert_eq!((o.op, o.limit), (Op::AtMost, 1500.0));
        let o = Objective::parse("availability>=99.9%").unwrap();
        assert_eq!(o.path, "availability");
        assert!((o.limit - 0.999).abs() < 1e-12);
        let o = Objective::parse("availability>0.99").unwrap();
        assert_eq!(o.op, Op::Above);
        let o = Objective::parse("throughput>=100/s").unwrap();
        assert_eq!((o.path.as_str(), o.limit), ("throughput_rps", 100.0));
        let o = Objective::parse("components.db.utilization<80%").unwrap();
        assert!((o.limit - 0.8).abs() < 1e-12);
        let o = Objective::parse("wait_ms.p99<=20ms").unwrap();
        assert_eq!(o.limit, 20.0);
    }

    #[test]
    fn bad_objectives_say_what_was_expected() {
        for (text, says) in [
            ("p99", "expected METRIC<VALUE"),
            ("p99<", "expected METRIC<VALUE"),
            ("p99<fast", "takes a duration"),
            ("availability>=150%", "percent"),
            ("latency<200ms", "not a figure"),
            ("p99<<2ms", "one comparison"),
            ("throughput>lots", "rate"),
        ] {
            let e = Objective::parse(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
            assert!(e.contains(text), "{text}: {e}");
        }
    }

    #[test]
    fn theory_rules_out_what_no_core_count_can_meet() {
        let text = "name: q\nduration: 1h\ntraffic: {rate: 50/s}\nentry: web\n\
                    components:\n  web: {kind: server, cores: 2, work: 100ms}\n";
        let load = |t: &str| crate::scenario::load_text(t, "t", &[]).unwrap();
        let slo = |t: &str| vec![Objective::parse(t).unwrap()];
        // The bound of the work alone comes before instability.
        let why = ruled_out(&load(text), &slo("p99<460ms")).unwrap();
        assert!(why.contains("ln(100) × 100.0 ms = 460.5 ms"), "{why}");
        let why = ruled_out(&load(text), &slo("p99<2s")).unwrap();
        assert!(
            why.starts_with("unstable") && why.contains("2 cores"),
            "{why}"
        );
        // Deterministic work: the p99 is at least the work itself.
        let fixed = text.replace("work: 100ms", "work: 100ms, service: deterministic");
        let fixed = fixed.replace("cores: 2", "cores: 8");
        assert!(ruled_out(&load(&fixed), &slo("p99<100ms")).is_some());
        assert!(ruled_out(&load(&fixed), &slo("p99<=100ms")).is_none());
        assert!(ruled_out(&load(&fixed), &slo("mean<99ms")).is_some());
        // Floors and other figures are never ruled out.
        assert!(ruled_out(&load(text), &slo("availability>=99%")).is_none());
    }

    #[test]
    fn an_interval_is_judged_by_its_worst_bound() {
        use crate::metrics::ci::Interval;
        let o = Objective::parse("p99<100ms").unwrap();
        let figure = |mean: f64, half: f64| Figure {
            path: vec!["latency_ms".into(), "p99".into()],
            value: mean,
            ci: Some(Interval {
                mean,
                half_width: half,
            }),
            total: false,
            measure: crate::parts::kinds::measure_of(&["latency_ms".into(), "p99".into()]),
        };
        assert_eq!(o.judge_figure(&figure(90.0, 5.0)), Judgement::Met);
        assert_eq!(o.judge_figure(&figure(98.0, 5.0)), Judgement::Unsure);
        assert_eq!(o.judge_figure(&figure(110.0, 5.0)), Judgement::Missed);
        let floor = Objective::parse("p99>=100ms").unwrap();
        assert_eq!(floor.judge_figure(&figure(110.0, 5.0)), Judgement::Met);
        assert_eq!(floor.judge_figure(&figure(102.0, 5.0)), Judgement::Unsure);
    }
}
