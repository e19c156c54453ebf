//! The calls a component makes after its own work, shared by every kind that
//! calls others (servers, functions): the plan of each request type
//! (sequences and parallel groups, nested) and the resilience of each edge
//! (timeout, retries, bulkhead, circuit breaker, fallback).
//!
//! A [`Caller`] runs the plans of one component. Its host hands it a job
//! when the job's own work is done ([`Caller::start`]), routes to it the
//! answers whose token has [`CALL_TOKEN`] and the timers whose tag has
//! [`CALL_TIMER`], and learns from each of those when a job's plan is
//! complete, and with what outcome.
//!
//! Every call the caller sends is one *attempt*, kept until its answer comes
//! back (every call is answered exactly once), even when nobody waits for
//! it any more: a timed-out attempt, a branch of a group that already
//! answered, or an attempt of a job lost in a crash. Those answers are
//! *wasted* work, counted per edge. Attempts count in the host's
//! [`Part::held`](crate::parts::Part::held), so the in-flight guard bounds them.
//!
//! A request type whose plan is a plain list of calls (no group, and no
//! setting on any of its edges) takes a cheaper road: its job keeps its place
//! in the list in a *lane* indexed by the host's handle of the job, with no
//! entry for the plan or its attempts; what it does, event for event, is what
//! the general plan would do.

pub mod breaker;
pub mod edge;
pub mod plan;

use std::collections::VecDeque;

use slab::Slab;

use crate::engine::{ComponentId, SimRng, SimTime};
use crate::metrics::measure;
use crate::model::{About, Call, Cause, Msg, Outcome, ANY_REPLICA};
use crate::parts::{send_call, BuildContext, Ctx};
use breaker::{Breaker, Change};
use edge::{EdgeSpec, Fallback};
use plan::Step;

/// Answer tokens with this bit are the caller's (the attempt's slot below it).
pub const CALL_TOKEN: u32 = 1 << 31;

/// Timer tags with this bit (and neither of the two above it) are the
/// caller's: an attempt's backoff (slot and serial), or with
/// `BREAKER_TIMER` an edge's breaker half-opening, or with
/// `DEADLINE_TIMER` an edge's next timeout (the edge in the low bits). A
/// host keeps its own timer tags clear of bits 59 to 61.
pub const CALL_TIMER: u64 = 1 << 61;

/// See [`CALL_TIMER`].
const BREAKER_TIMER: u64 = 1 << 60;

/// See [`CALL_TIMER`].
const DEADLINE_TIMER: u64 = 1 << 59;

/// Attempt serials take 27 bits, from bit 32 of a timer tag.
const SERIAL_MASK: u32 = 0x07ff_ffff;

/// Answer tokens and plan handles with this bit (below [`CALL_TOKEN`]) are a
/// plain plan's: the host's handle of the job below it. Attempt slots and
/// plan slots stay below it (a slab of a billion entries would not fit).
const PLAIN: u32 = 1 << 30;

/// No parent: the root of a plan.
const ROOT: u16 = u16::MAX;

/// The settings of every call of a component: the plan of each request
/// type and the resilience of each edge.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallsSpec {
    /// The plan of each request type (an empty sequence: no calls).
    pub plans: Vec<Step>,
    /// The resilience of edges that have settings, by callee index.
    pub edges: Vec<(usize, EdgeSpec)>,
}

impl CallsSpec {
    /// Reads a component's `calls:` and `edges:` (either may be absent),
    /// written under `path`; with `all_parallel` (a server's `fanout:
    /// parallel`), each type's top-level list is one group waiting for all.
    pub fn parse(
        calls: Option<&serde_json::Value>,
        edges: Option<&serde_json::Value>,
        all_parallel: bool,
        path: &str,
        cx: &crate::parts::SpecContext<'_>,
        issues: &mut Vec<crate::spec::Issue>,
    ) -> CallsSpec {
        let plans = match calls {
            None => vec![Step::none(); cx.types.len()],
            Some(value) => plan::parse(
                value,
                &crate::spec::join_key(path, "calls"),
                cx,
                all_parallel,
                issues,
            ),
        };
        let mut spec = CallsSpec {
            plans,
            edges: Vec::new(),
        };
        if let Some(value) = edges {
            let callees = spec.callees();
            let edges_path = crate::spec::join_key(path, "edges");
            spec.edges = edge::parse(value, &edges_path, cx, &callees, issues);
        }
        spec
    }

    /// Returns every component called, each once, in the order written.
    pub fn callees(&self) -> Vec<usize> {
        let mut all = Vec::new();
        for plan in &self.plans {
            plan.callees(&mut all);
        }
        let mut seen = std::collections::HashSet::new();
        all.retain(|c| seen.insert(*c));
        all
    }

    /// Returns whether any request type calls anything.
    pub fn any(&self) -> bool {
        self.plans.iter().any(|p| !p.is_empty())
    }

    /// Describes each guarded edge (`to recs: timeout 250ms, fallback`), for
    /// `explain`.
    pub fn sketch(&self, topology: &crate::parts::Topology) -> Vec<String> {
        self.edges
            .iter()
            .map(|(callee, e)| format!("to {}: {}", topology.name(*callee), e.describe()))
            .collect()
    }

    /// Returns whether any plan has a parallel group.
    pub fn has_group(&self) -> bool {
        self.plans.iter().any(Step::has_group)
    }

    /// Says how the calls go when some are made in parallel, for `explain`
    /// (`calls in parallel`, or which share of the request types make
    /// them); `None` when every call waits for the one before.
    pub fn order_words(&self) -> Option<String> {
        let orders: Vec<plan::Order> = self
            .plans
            .iter()
            .map(Step::order)
            .filter(|o| *o != plan::Order::None)
            .collect();
        let sequential = orders
            .iter()
            .filter(|o| **o == plan::Order::Sequence)
            .count();
        if sequential == orders.len() {
            return None;
        }
        if orders.iter().all(|o| *o == plan::Order::Parallel) {
            return Some("calls in parallel".into());
        }
        if sequential == 0 {
            return Some("calls in sequence and in parallel".into());
        }
        let rest = if sequential == 1 {
            "the other"
        } else {
            "the others"
        };
        Some(format!(
            "calls in parallel for {} of {} request types, in sequence for {rest}",
            orders.len() - sequential,
            orders.len()
        ))
    }
}

/// How a plan began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Begun {
    /// It is already over, with this outcome.
    Over(Outcome),
    /// It runs; the handle names it to [`Caller::abandon`].
    Running(u32),
}

/// The job a plan runs for, as its host knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobRef {
    /// The host's handle of the job.
    pub token: u32,
    /// Tells the job from earlier ones with the same handle.
    pub serial: u32,
}

/// A step of a compiled plan; the children of a node are contiguous.
#[derive(Clone, Copy, Debug)]
struct Node {
    parent: u16,
    first: u16,
    count: u16,
    kind: NodeKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodeKind {
    Call { edge: u16 },
    Sequence,
    Parallel { wait: u16 },
}

/// Flattens a plan breadth first, so that each node's children follow one
/// another; `edge_of` maps a callee to its edge.
fn compile(root: &Step, edge_of: &dyn Fn(usize) -> u16) -> Vec<Node> {
    let mut nodes = Vec::new();
    let mut queue: std::collections::VecDeque<(&Step, u16)> = [(root, ROOT)].into();
    while let Some((step, parent)) = queue.pop_front() {
        let kind = match step {
            Step::Call(c) => NodeKind::Call { edge: edge_of(*c) },
            Step::Sequence(_) => NodeKind::Sequence,
            Step::Parallel { wait, .. } => NodeKind::Parallel { wait: *wait },
        };
        nodes.push(Node {
            parent,
            first: 0,
            count: 0,
            kind,
        });
        let me = (nodes.len() - 1) as u16;
        if let Step::Sequence(children)
        | Step::Parallel {
            branches: children, ..
        } = step
        {
            nodes[me as usize].count = children.len() as u16;
            for child in children {
                queue.push_back((child, me));
            }
        }
    }
    // Breadth first, the children of node i start right after the children
    // of the nodes before it.
    let mut next = 1u16;
    for node in &mut nodes {
        node.first = next;
        next += node.count;
    }
    nodes
}

/// The progress of one node of a job's plan.
#[derive(Clone, Copy, Debug, Default)]
struct NodeState {
    /// Sequences: the child running. Groups: branches that succeeded.
    counter: u16,
    /// Groups: branches that failed.
    failed: u16,
    /// Settled: later news of this node or its children is ignored.
    done: bool,
}

/// A job whose plan is running.
#[derive(Debug)]
struct Progress {
    job: JobRef,
    /// Tells this progress from earlier ones in the same slot.
    serial: u32,
    kind: u16,
    req: u32,
    replica: u32,
    nodes: Vec<NodeState>,
    /// The first failure of a call, the outcome of a group that fails.
    failure: Option<Outcome>,
}

/// What an attempt is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Sent; the caller waits for its answer.
    Waiting,
    /// Failed; waiting for its backoff before it is sent again.
    Backoff,
    /// Timed out: only its answer is awaited, to be thrown away.
    Abandoned,
}

/// One call sent (or about to be sent again) on an edge.
#[derive(Clone, Copy, Debug)]
struct Attempt {
    /// The request the call serves (its record is held while the call is out).
    req: u32,
    progress: u32,
    progress_serial: u32,
    node: u16,
    edge: u16,
    /// 0 for the first try, then the retry's number.
    retry: u16,
    serial: u32,
    phase: Phase,
    /// The breaker's epoch when it was sent.
    epoch: u32,
    /// Whether its request counts in the statistics.
    counted: bool,
}

/// What the lane of a job of a plain plan holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum LaneState {
    /// No call out: the lane is free for the next job with its handle.
    #[default]
    Free,
    /// The job waits for the answer of its call.
    Calling,
    /// The job was lost in a crash: its call's answer is thrown away.
    Orphan,
}

/// A job of a plain plan, in the lane of the host's handle of the job: one
/// call out at a time, so one token per lane tells its answer.
#[derive(Clone, Copy, Debug, Default)]
struct Lane {
    state: LaneState,
    /// The host's serial of the job.
    serial: u32,
    kind: u16,
    /// The call out: its index in the plain plan.
    step: u16,
    req: u32,
    replica: u32,
    /// Whether the request counts in the statistics (read only when the
    /// edges' figures are reported).
    counted: bool,
}

/// The counts of an edge over the window.
#[derive(Clone, Copy, Debug, Default)]
struct EdgeCounts {
    calls: u64,
    attempts: u64,
    failures: u64,
    timeouts: u64,
    short_circuited: u64,
    rejected_by_bulkhead: u64,
    retries: u64,
    failed_calls: u64,
    degraded: u64,
    wasted: u64,
}

/// One edge while it runs.
struct Edge {
    target: ComponentId,
    colocated: bool,
    /// `caller->callee`, for results and markers.
    label: String,
    spec: EdgeSpec,
    in_flight: u32,
    breaker: Option<Breaker>,
    /// Retries the budget allows now, if the edge's retries have one.
    budget: f64,
    counts: EdgeCounts,
    /// Time the breaker spent open within the window.
    open_ns: u64,
    /// The deadlines of the attempts sent with a timeout, in the order sent
    /// (one timeout per edge, so also in the order they fall due), with the
    /// slot and serial of each: one timer per edge waits for the first that
    /// is still waiting, instead of one timer per attempt.
    deadlines: VecDeque<(SimTime, u32, u32)>,
    /// Whether that timer is set.
    deadline_timer: bool,
}

/// Runs the call plans of one component.
pub struct Caller {
    /// Per request type, its compiled plan (empty: no calls).
    plans: Vec<Vec<Node>>,
    edges: Vec<Edge>,
    progress: Slab<Progress>,
    attempts: Slab<Attempt>,
    next_serial: u32,
    /// Node vectors of finished jobs, reused.
    spare: Vec<Vec<NodeState>>,
    rng: SimRng,
    /// Jobs whose plan is over, with its outcome, for the host to take
    /// ([`Caller::next_finished`]).
    finished: VecDeque<(JobRef, Outcome)>,
    /// Whether the edges' figures are reported: only when the component
    /// guards an edge or calls in parallel, where they tell something.
    reports: bool,
    /// Per request type, the edges of its calls in order if its plan is
    /// plain (no group, no setting on any of its edges), else empty.
    plain: Vec<Vec<u16>>,
    /// The jobs of plain plans, by the host's handle of the job.
    lanes: Vec<Lane>,
    /// Lanes calling, and orphaned: [`Caller::held`] counts them as the
    /// general plan counts its entries (a plan and its attempt, an attempt).
    calling: usize,
    orphans: usize,
}

impl Caller {
    /// Builds the caller of the component `bx` builds.
    pub fn new(spec: &CallsSpec, bx: &BuildContext<'_>) -> Self {
        let callees = spec.callees();
        let edges: Vec<Edge> = callees
            .iter()
            .map(|&c| {
                let settings = spec
                    .edges
                    .iter()
                    .find(|(callee, _)| *callee == c)
                    .map(|(_, s)| *s)
                    .unwrap_or_default();
                Edge {
                    target: bx.id(c),
                    colocated: bx.colocated(c),
                    label: format!("{}->{}", bx.name(), bx.topology.name(c)),
                    spec: settings,
                    in_flight: 0,
                    breaker: settings.breaker.map(Breaker::new),
                    budget: 0.0,
                    counts: EdgeCounts::default(),
                    open_ns: 0,
                    deadlines: VecDeque::new(),
                    deadline_timer: false,
                }
            })
            .collect();
        let edge_of = |c: usize| callees.iter().position(|&x| x == c).unwrap_or(0) as u16;
        let plans = spec
            .plans
            .iter()
            .map(|p| {
                if p.is_empty() {
                    Vec::new()
                } else {
                    compile(p, &edge_of)
                }
            })
            .collect();
        let plain = spec
            .plans
            .iter()
            .map(|p| {
                let mut order = Vec::new();
                p.callees(&mut order);
                let order: Vec<u16> = order.into_iter().map(edge_of).collect();
                // A sequence of sequences runs its calls in the order
                // written, stopping at the first failure, as one list does.
                let bare = order
                    .iter()
                    .all(|&e| edges[e as usize].spec == EdgeSpec::default());
                if p.has_group() || !bare {
                    Vec::new()
                } else {
                    order
                }
            })
            .collect();
        Self {
            plans,
            edges,
            progress: Slab::new(),
            attempts: Slab::new(),
            next_serial: 0,
            spare: Vec::new(),
            rng: bx.rng("edges"),
            finished: VecDeque::new(),
            reports: !spec.edges.is_empty() || spec.has_group(),
            plain,
            lanes: Vec::new(),
            calling: 0,
            orphans: 0,
        }
    }

    /// Returns whether requests of type `kind` call anything.
    pub fn calls(&self, kind: u16) -> bool {
        self.plans.get(kind as usize).is_some_and(|p| !p.is_empty())
    }

    /// Attempts kept (waiting, backing off, or awaited to be thrown away),
    /// jobs whose plan runs, and deadlines kept: the caller's share of what
    /// is in flight.
    pub fn held(&self) -> usize {
        let deadlines: usize = self.edges.iter().map(|e| e.deadlines.len()).sum();
        self.attempts.len() + self.progress.len() + deadlines + 2 * self.calling + self.orphans
    }

    /// Returns the next job whose plan is over, with the plan's outcome: a
    /// host takes them all after each answer or timer it hands over.
    pub fn next_finished(&mut self) -> Option<(JobRef, Outcome)> {
        self.finished.pop_front()
    }

    /// Starts the plan of `job`, a request `req` of type `kind` served on
    /// `replica`. The plan may be over at once (no calls, or every call
    /// failed fast); otherwise the host hears of its end from
    /// [`Caller::answered`] or [`Caller::timer`], and keeps the handle to
    /// [`Caller::abandon`] it.
    pub fn start(
        &mut self,
        job: JobRef,
        req: u32,
        kind: u16,
        replica: u32,
        ctx: &mut Ctx<'_>,
    ) -> Begun {
        let size = self.plans.get(kind as usize).map_or(0, Vec::len);
        if size == 0 {
            return Begun::Over(Outcome::Ok);
        }
        let first = self
            .plain
            .get(kind as usize)
            .and_then(|p| p.first().copied());
        match first {
            Some(e) if self.lane_free(job.token) => {
                self.lanes[job.token as usize] = Lane {
                    state: LaneState::Calling,
                    serial: job.serial,
                    kind,
                    step: 0,
                    req,
                    replica,
                    counted: false,
                };
                self.calling += 1;
                self.call_plain(job.token, e, ctx);
                Begun::Running(PLAIN | job.token)
            }
            _ => self.start_plan(job, req, kind, replica, size, ctx),
        }
    }

    /// Starts the general plan of `job`, whose plan has `size` nodes.
    fn start_plan(
        &mut self,
        job: JobRef,
        req: u32,
        kind: u16,
        replica: u32,
        size: usize,
        ctx: &mut Ctx<'_>,
    ) -> Begun {
        let mut nodes = self.spare.pop().unwrap_or_default();
        nodes.clear();
        nodes.resize(size, NodeState::default());
        self.next_serial = self.next_serial.wrapping_add(1);
        let p = self.progress.insert(Progress {
            job,
            serial: self.next_serial,
            kind,
            req,
            replica,
            nodes,
            failure: None,
        }) as u32;
        self.run(p, 0, ctx);
        // Only this plan can end while it starts.
        match self.finished.pop_front() {
            Some((_, outcome)) => Begun::Over(outcome),
            None => Begun::Running(p),
        }
    }

    /// An answer whose token has [`CALL_TOKEN`] came back; the plan it
    /// completes, if any, is then in [`Caller::next_finished`].
    pub fn answered(&mut self, token: u32, outcome: Outcome, ctx: &mut Ctx<'_>) {
        let slot = (token & !CALL_TOKEN) as usize;
        // A lane's token is no slot of an attempt (they stay below `PLAIN`):
        // testing it only there costs the general plan nothing.
        let Some(&attempt) = self.attempts.get(slot) else {
            if token & PLAIN != 0 {
                self.answered_plain(token & !(CALL_TOKEN | PLAIN), outcome, ctx);
            }
            return;
        };
        if attempt.phase != Phase::Backoff {
            ctx.shared.release_request(attempt.req);
        }
        match attempt.phase {
            Phase::Backoff => return,
            Phase::Abandoned => {
                self.attempts.remove(slot);
                self.count(attempt.counted, attempt.edge, |c| &mut c.wasted);
                return;
            }
            Phase::Waiting => {}
        }
        self.attempts.remove(slot);
        let edge = &mut self.edges[attempt.edge as usize];
        edge.in_flight -= 1;
        let failed = outcome != Outcome::Ok;
        self.judge(attempt.edge, failed, attempt.epoch, ctx);
        if !self.live(attempt.progress, attempt.progress_serial, attempt.node) {
            self.count(attempt.counted, attempt.edge, |c| &mut c.wasted);
            return;
        }
        if failed {
            self.count(attempt.counted, attempt.edge, |c| &mut c.failures);
            self.failed_attempt(attempt, outcome, ctx);
        } else {
            self.settle(attempt.progress, attempt.node, Outcome::Ok, ctx);
        }
    }

    /// A timer whose tag has [`CALL_TIMER`] fired; the plans it completes,
    /// if any, are then in [`Caller::next_finished`].
    pub fn timer(&mut self, tag: u64, ctx: &mut Ctx<'_>) {
        let low = (tag & u64::from(u32::MAX)) as u32;
        if tag & BREAKER_TIMER != 0 {
            self.half_open(low as u16, ctx);
            return;
        }
        if tag & DEADLINE_TIMER != 0 {
            self.deadlines_due(low as u16, ctx);
            return;
        }
        let serial = ((tag >> 32) as u32) & SERIAL_MASK;
        let slot = low as usize;
        let Some(&attempt) = self.attempts.get(slot) else {
            return;
        };
        if attempt.serial != serial || attempt.phase != Phase::Backoff {
            return;
        }
        self.attempts.remove(slot);
        if self.live(attempt.progress, attempt.progress_serial, attempt.node) {
            self.issue(attempt.progress, attempt.node, attempt.retry, ctx);
        }
    }

    /// The deadline timer of edge `e` fired: times out every attempt due,
    /// drops the deadlines of attempts already answered, and sets the timer
    /// for the first attempt still waiting.
    fn deadlines_due(&mut self, e: u16, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        self.edges[e as usize].deadline_timer = false;
        while let Some(&(due, slot, serial)) = self.edges[e as usize].deadlines.front() {
            let waiting = self
                .attempts
                .get(slot as usize)
                .filter(|a| a.serial == serial && a.phase == Phase::Waiting)
                .copied();
            let Some(attempt) = waiting else {
                self.edges[e as usize].deadlines.pop_front();
                continue;
            };
            if due > now {
                self.edges[e as usize].deadline_timer = true;
                let tag = CALL_TIMER | DEADLINE_TIMER | u64::from(e);
                ctx.schedule_self(due - now, Msg::Timer(tag));
                return;
            }
            self.edges[e as usize].deadlines.pop_front();
            self.time_out(slot as usize, attempt, ctx);
        }
    }

    /// The plan `handle` of `job` will not be needed: its host lost the job
    /// (a crash). Its attempts stay until their answers come back, then count
    /// as wasted.
    pub fn abandon(&mut self, handle: u32, job: JobRef) {
        if handle & PLAIN != 0 {
            let lane = self.lanes.get_mut(job.token as usize);
            if let Some(lane) = lane.filter(|l| l.state == LaneState::Calling) {
                if lane.serial == job.serial {
                    lane.state = LaneState::Orphan;
                    self.calling -= 1;
                    self.orphans += 1;
                }
            }
            return;
        }
        if self
            .progress
            .get(handle as usize)
            .is_some_and(|p| p.job == job)
        {
            let progress = self.progress.remove(handle as usize);
            self.spare.push(progress.nodes);
        }
    }

    /// Reports the figures of every edge, and time the breakers spent open,
    /// if the component guards an edge or calls in parallel.
    pub fn report(&mut self, ctx: &mut Ctx<'_>) {
        if !self.reports {
            return;
        }
        let window = ctx.shared.recorder.window();
        let now = ctx.now();
        for edge in &mut self.edges {
            if let Some(b) = edge.breaker.as_ref() {
                if b.state() == breaker::State::Open {
                    let end = (b.opened_at() + b.open_for()).min(now).min(window.end);
                    edge.open_ns += overlap(b.opened_at(), end, window.start, window.end);
                }
            }
            let c = edge.counts;
            let values = [
                c.calls as f64,
                c.attempts as f64,
                c.failures as f64,
                c.timeouts as f64,
                c.short_circuited as f64,
                c.rejected_by_bulkhead as f64,
                c.retries as f64,
                c.failed_calls as f64,
                c.degraded as f64,
                c.wasted as f64,
                edge.open_ns as f64 / 1e9,
            ];
            for (measure, value) in measure::EDGE.iter().zip(values) {
                let path = format!("edges.{}.{}", edge.label, measure.key);
                let total = measure.key != "open_s";
                ctx.shared.recorder.figure(path, measure, value, total);
            }
        }
    }

    /// Returns whether the node of a running plan still matters: the plan is
    /// there, and neither the node nor any group around it has settled.
    fn live(&self, p: u32, serial: u32, node: u16) -> bool {
        let Some(progress) = self.progress.get(p as usize) else {
            return false;
        };
        if progress.serial != serial {
            return false;
        }
        let plan = &self.plans[progress.kind as usize];
        let mut n = node;
        while n != ROOT {
            if progress.nodes[n as usize].done {
                return false;
            }
            n = plan[n as usize].parent;
        }
        true
    }

    /// Starts node `node` of plan `p`.
    fn run(&mut self, p: u32, node: u16, ctx: &mut Ctx<'_>) {
        let Some(progress) = self.progress.get(p as usize) else {
            return;
        };
        let n = self.plans[progress.kind as usize][node as usize];
        match n.kind {
            NodeKind::Call { .. } => self.issue(p, node, 0, ctx),
            NodeKind::Sequence if n.count == 0 => self.settle(p, node, Outcome::Ok, ctx),
            NodeKind::Sequence => self.run(p, n.first, ctx),
            NodeKind::Parallel { .. } => {
                let serial = progress.serial;
                for child in n.first..n.first + n.count {
                    // A branch that failed fast may have settled the group.
                    if !self.live(p, serial, node) {
                        break;
                    }
                    self.run(p, child, ctx);
                }
            }
        }
    }

    /// Node `node` of plan `p` is over with `outcome`: moves its parent on.
    fn settle(&mut self, p: u32, node: u16, outcome: Outcome, ctx: &mut Ctx<'_>) {
        let Some(progress) = self.progress.get_mut(p as usize) else {
            return;
        };
        let plan = &self.plans[progress.kind as usize];
        progress.nodes[node as usize].done = true;
        if outcome != Outcome::Ok && progress.failure.is_none() {
            progress.failure = Some(outcome);
        }
        let parent = plan[node as usize].parent;
        if parent == ROOT {
            let progress = self.progress.remove(p as usize);
            self.finished.push_back((progress.job, outcome));
            self.spare.push(progress.nodes);
            return;
        }
        let up = plan[parent as usize];
        let state = &mut progress.nodes[parent as usize];
        if state.done {
            return;
        }
        match up.kind {
            NodeKind::Sequence => {
                let next = node + 1;
                if outcome == Outcome::Ok && next < up.first + up.count {
                    state.counter += 1;
                    self.run(p, next, ctx);
                } else {
                    self.settle(p, parent, outcome, ctx);
                }
            }
            NodeKind::Parallel { wait } => {
                if outcome == Outcome::Ok {
                    state.counter += 1;
                    if state.counter >= wait {
                        self.settle(p, parent, Outcome::Ok, ctx);
                    }
                } else {
                    state.failed += 1;
                    if state.failed > up.count - wait {
                        let failure = progress.failure.unwrap_or(outcome);
                        self.settle(p, parent, failure, ctx);
                    }
                }
            }
            NodeKind::Call { .. } => {}
        }
    }

    /// Sends try number `retry` of the call at `node`, unless the edge's
    /// breaker or bulkhead fails it at once.
    fn issue(&mut self, p: u32, node: u16, retry: u16, ctx: &mut Ctx<'_>) {
        let Some(progress) = self.progress.get(p as usize) else {
            return;
        };
        let NodeKind::Call { edge: e } = self.plans[progress.kind as usize][node as usize].kind
        else {
            return;
        };
        let (req, replica, serial) = (progress.req, progress.replica, progress.serial);
        let counted = ctx.shared.request(req).is_some_and(|r| r.counted);
        let edge = &mut self.edges[e as usize];
        if retry == 0 {
            if counted {
                edge.counts.calls += 1;
            }
            if let Some(budget) = edge.spec.retry.and_then(|r| r.budget) {
                edge.budget = (edge.budget + budget).min(crate::parts::traffic::retry::BUDGET_CAP);
            }
        }
        if let Some(b) = edge.breaker.as_mut() {
            if !b.permit() {
                self.count(counted, e, |c| &mut c.short_circuited);
                self.give_up(
                    p,
                    node,
                    e,
                    counted,
                    Outcome::Failed(Cause::CircuitOpen),
                    ctx,
                );
                return;
            }
        }
        if edge
            .spec
            .bulkhead
            .is_some_and(|limit| edge.in_flight >= limit)
        {
            if let Some(b) = edge.breaker.as_mut() {
                b.give_back();
            }
            self.count(counted, e, |c| &mut c.rejected_by_bulkhead);
            self.give_up(
                p,
                node,
                e,
                counted,
                Outcome::Failed(Cause::BulkheadFull),
                ctx,
            );
            return;
        }
        edge.in_flight += 1;
        if counted {
            edge.counts.attempts += 1;
            // A retry counts when it is sent: one whose call was no longer
            // needed when its backoff ended is not.
            edge.counts.retries += u64::from(retry > 0);
        }
        let epoch = edge.breaker.as_ref().map_or(0, Breaker::epoch);
        let breaker = edge.breaker.as_ref().map(|b| b.state().name());
        let (target, colocated, timeout) = (edge.target, edge.colocated, edge.spec.timeout);
        self.next_serial = self.next_serial.wrapping_add(1);
        let attempt_serial = self.next_serial & SERIAL_MASK;
        let slot = self.attempts.insert(Attempt {
            req,
            progress: p,
            progress_serial: serial,
            node,
            edge: e,
            retry,
            serial: attempt_serial,
            phase: Phase::Waiting,
            epoch,
            counted,
        }) as u32;
        let token = CALL_TOKEN | slot;
        let attempt = u32::from(retry) + 1;
        send(
            target, colocated, req, replica, token, attempt, breaker, ctx,
        );
        if let Some(timeout) = timeout {
            let edge = &mut self.edges[e as usize];
            edge.deadlines
                .push_back((ctx.now() + timeout, slot, attempt_serial));
            if !edge.deadline_timer {
                edge.deadline_timer = true;
                let tag = CALL_TIMER | DEADLINE_TIMER | u64::from(e);
                ctx.schedule_self(timeout, Msg::Timer(tag));
            }
        }
    }

    /// Returns whether the lane of the job with handle `t` may take a plain
    /// plan, making room for it.
    fn lane_free(&mut self, t: u32) -> bool {
        if t >= PLAIN {
            return false;
        }
        let t = t as usize;
        if self.lanes.len() <= t {
            self.lanes.resize(t + 1, Lane::default());
        }
        // The call of a job lost in a crash may still be out on this lane:
        // its answer would look like the new job's, so the new job takes the
        // general plan.
        self.lanes[t].state == LaneState::Free
    }

    /// Sends the call of lane `t` on edge `e`: what [`Caller::issue`] does
    /// for an edge without settings, with no attempt kept.
    fn call_plain(&mut self, t: u32, e: u16, ctx: &mut Ctx<'_>) {
        let lane = &mut self.lanes[t as usize];
        let (req, replica) = (lane.req, lane.replica);
        if self.reports {
            lane.counted = ctx.shared.request(req).is_some_and(|r| r.counted);
            if lane.counted {
                let counts = &mut self.edges[e as usize].counts;
                counts.calls += 1;
                counts.attempts += 1;
            }
        }
        let edge = &self.edges[e as usize];
        let token = CALL_TOKEN | PLAIN | t;
        send(
            edge.target,
            edge.colocated,
            req,
            replica,
            token,
            1,
            None,
            ctx,
        );
    }

    /// The call of lane `t` was answered: the job's next call, or the end of
    /// its plan; or, for a job lost in a crash, the answer thrown away.
    /// Out of line: inlined, it makes [`Caller::answered`] of the general
    /// plan keep more registers on every answer.
    #[inline(never)]
    fn answered_plain(&mut self, t: u32, outcome: Outcome, ctx: &mut Ctx<'_>) {
        let Some(lane) = self.lanes.get(t as usize).copied() else {
            return;
        };
        if lane.state == LaneState::Free {
            return;
        }
        ctx.shared.release_request(lane.req);
        let plan = &self.plain[lane.kind as usize];
        let e = plan[lane.step as usize];
        let next = lane.step as usize + 1;
        if lane.state == LaneState::Orphan {
            self.lanes[t as usize].state = LaneState::Free;
            self.orphans -= 1;
            self.count(lane.counted, e, |c| &mut c.wasted);
        } else if outcome == Outcome::Ok && next < plan.len() {
            let following = plan[next];
            self.lanes[t as usize].step += 1;
            self.call_plain(t, following, ctx);
        } else {
            if outcome != Outcome::Ok {
                self.count(lane.counted, e, |c| &mut c.failures);
                self.count(lane.counted, e, |c| &mut c.failed_calls);
            }
            self.lanes[t as usize].state = LaneState::Free;
            self.calling -= 1;
            let job = JobRef {
                token: t,
                serial: lane.serial,
            };
            self.finished.push_back((job, outcome));
        }
    }

    /// The caller stops waiting for an attempt: it counts as failed.
    fn time_out(&mut self, slot: usize, attempt: Attempt, ctx: &mut Ctx<'_>) {
        if let Some(a) = self.attempts.get_mut(slot) {
            a.phase = Phase::Abandoned;
        }
        let (now, me) = (ctx.now(), ctx.me());
        let target = self.edges[attempt.edge as usize].target;
        let token = CALL_TOKEN | slot as u32;
        ctx.shared.note_timeout(attempt.req, target, me, token, now);
        self.edges[attempt.edge as usize].in_flight -= 1;
        self.count(attempt.counted, attempt.edge, |c| &mut c.timeouts);
        self.judge(attempt.edge, true, attempt.epoch, ctx);
        if self.live(attempt.progress, attempt.progress_serial, attempt.node) {
            self.failed_attempt(attempt, Outcome::Failed(Cause::CallTimeout), ctx);
        }
    }

    /// An attempt failed: retry it after its backoff, or give the call up.
    fn failed_attempt(&mut self, attempt: Attempt, outcome: Outcome, ctx: &mut Ctx<'_>) {
        let edge = &mut self.edges[attempt.edge as usize];
        let worth = match outcome {
            Outcome::Failed(cause) => cause.worth_retrying(),
            _ => true,
        };
        let allowed = edge
            .spec
            .retry
            .filter(|r| worth && u32::from(attempt.retry) < r.retries);
        let budget_ok = match allowed.and_then(|r| r.budget) {
            Some(_) if edge.budget >= 1.0 => {
                edge.budget -= 1.0;
                true
            }
            Some(_) => false,
            None => true,
        };
        match allowed {
            Some(policy) if budget_ok => {
                let retry = attempt.retry + 1;
                let wait = policy.backoff(u32::from(retry), &mut self.rng);
                self.next_serial = self.next_serial.wrapping_add(1);
                let serial = self.next_serial & SERIAL_MASK;
                let slot = self.attempts.insert(Attempt {
                    retry,
                    serial,
                    phase: Phase::Backoff,
                    ..attempt
                }) as u32;
                ctx.schedule_self(wait, Msg::Timer(attempt_tag(slot, serial)));
            }
            _ => self.give_up(
                attempt.progress,
                attempt.node,
                attempt.edge,
                attempt.counted,
                outcome,
                ctx,
            ),
        }
    }

    /// The call at `node` failed for good: the fallback covers it, or it
    /// fails its step.
    fn give_up(
        &mut self,
        p: u32,
        node: u16,
        e: u16,
        counted: bool,
        outcome: Outcome,
        ctx: &mut Ctx<'_>,
    ) {
        self.count(counted, e, |c| &mut c.failed_calls);
        if self.edges[e as usize].spec.fallback == Fallback::Degrade {
            self.count(counted, e, |c| &mut c.degraded);
            self.settle(p, node, Outcome::Ok, ctx);
        } else {
            self.settle(p, node, outcome, ctx);
        }
    }

    /// Records an attempt's outcome in the edge's breaker, and marks a change.
    fn judge(&mut self, e: u16, failed: bool, epoch: u32, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let edge = &mut self.edges[e as usize];
        let Some(b) = edge.breaker.as_mut() else {
            return;
        };
        let closed_at = match b.record(failed, epoch, now) {
            Change::None => return,
            Change::Opened => {
                let open_for = b.open_for();
                let tag = CALL_TIMER | BREAKER_TIMER | u64::from(e);
                ctx.schedule_self(open_for, Msg::Timer(tag));
                "opens"
            }
            Change::Closed => "closes",
        };
        let label = format!("{} breaker {closed_at}", edge.label);
        ctx.shared.recorder.mark(now, label);
    }

    /// An edge's breaker has been open for its time: it half-opens.
    fn half_open(&mut self, e: u16, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let window = ctx.shared.recorder.window();
        let Some(edge) = self.edges.get_mut(e as usize) else {
            return;
        };
        let Some(b) = edge.breaker.as_mut() else {
            return;
        };
        let opened = b.opened_at();
        if b.half_open(now) {
            edge.open_ns += overlap(opened, now, window.start, window.end);
            let label = format!("{} breaker half-opens", edge.label);
            ctx.shared.recorder.mark(now, label);
        }
    }

    /// Adds one to a count of edge `e`, if the request counts.
    fn count(&mut self, counted: bool, e: u16, field: impl Fn(&mut EdgeCounts) -> &mut u64) {
        if counted {
            *field(&mut self.edges[e as usize].counts) += 1;
        }
    }
}

/// Sends to `target` (`colocated`: on this machine) the call of request
/// `req` served on `replica`, whose answer comes back with `token`: try
/// number `attempt` (from 1), sent while the edge's breaker is `breaker`.
/// Inlined on both roads: as a call of its own, passing its arguments costs
/// the general plan more per attempt than the call it shares saves.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn send(
    target: ComponentId,
    colocated: bool,
    req: u32,
    replica: u32,
    token: u32,
    attempt: u32,
    breaker: Option<&'static str>,
    ctx: &mut Ctx<'_>,
) {
    let call = Call {
        req,
        reply_to: ctx.me(),
        token,
        // A co-located callee is the one on this machine.
        replica: if colocated { replica } else { ANY_REPLICA },
        zone: ctx.shared.zone(ctx.me(), replica),
        about: About::Request,
    };
    // The callee must find the request's record until it answers, even if
    // the request's answer reaches its end before: this caller may stop
    // waiting (a timeout, a group that answered, a crash of its replica),
    // and so may a part upstream that keeps no hold of its own (a balancer
    // or a proxy that crashes answers at once). No caller can tell when it
    // sends which of those will happen.
    ctx.shared.hold_request(req);
    // A sampled request's journey shows the try and the breaker's state.
    ctx.shared.note_edge(req, target, attempt, breaker);
    send_call(ctx, target, call);
}

/// The tag of a timer of attempt `slot` with `serial`.
fn attempt_tag(slot: u32, serial: u32) -> u64 {
    CALL_TIMER | (u64::from(serial & SERIAL_MASK) << 32) | u64::from(slot)
}

/// Nanoseconds of [from, to) within [start, end).
fn overlap(from: SimTime, to: SimTime, start: SimTime, end: SimTime) -> u64 {
    let a = from.max(start);
    let b = to.min(end);
    b.0.saturating_sub(a.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(step: &Step) -> Vec<Node> {
        compile(step, &|c| c as u16)
    }

    #[test]
    fn children_of_a_node_are_contiguous_and_point_back() {
        // [a, {parallel: [b, [c, d]], wait: 1}, e]
        let plan = Step::Sequence(vec![
            Step::Call(0),
            Step::Parallel {
                branches: vec![
                    Step::Call(1),
                    Step::Sequence(vec![Step::Call(2), Step::Call(3)]),
                ],
                wait: 1,
            },
            Step::Call(4),
        ]);
        let nodes = compiled(&plan);
        assert_eq!(nodes.len(), 8);
        for (i, node) in nodes.iter().enumerate() {
            for child in node.first..node.first + node.count {
                assert_eq!(nodes[child as usize].parent as usize, i);
            }
        }
        assert_eq!(nodes[0].count, 3);
        assert_eq!(nodes[2].kind, NodeKind::Parallel { wait: 1 });
        let calls: Vec<u16> = nodes
            .iter()
            .filter_map(|n| match n.kind {
                NodeKind::Call { edge } => Some(edge),
                _ => None,
            })
            .collect();
        assert_eq!(calls, vec![0, 4, 1, 2, 3]);
    }

    /// A scenario whose `web` (component 0) may call `db` (1) and `cache` (2).
    fn three_components() -> crate::scenario::Scenario {
        let yaml = "name: calls test
seed: 1
duration: 1s
traffic: {rate: 10/s}
entry: web
components:
  web: {kind: server, work: 1ms, calls: [db, cache]}
  db: {kind: database, work: 1ms}
  cache: {kind: server, work: 1ms}
";
        crate::scenario::load_text(yaml, "t", &[]).unwrap()
    }

    fn build_context(s: &crate::scenario::Scenario) -> BuildContext<'_> {
        BuildContext {
            index: 0,
            seed: s.seed,
            replication: 0,
            window: crate::metrics::Window {
                start: SimTime::ZERO,
                end: s.duration,
            },
            topology: &s.topology,
        }
    }

    /// Returns, per request type, whether its plan takes the plain road.
    fn plain_types(plans: Vec<Step>, edges: Vec<(usize, EdgeSpec)>) -> Vec<bool> {
        let s = three_components();
        let caller = Caller::new(&CallsSpec { plans, edges }, &build_context(&s));
        caller.plain.iter().map(|p| !p.is_empty()).collect()
    }

    #[test]
    fn only_plans_of_bare_calls_take_the_plain_road() {
        let list = || Step::Sequence(vec![Step::Call(1), Step::Call(2)]);
        let nested = Step::Sequence(vec![Step::Sequence(vec![Step::Call(1)]), Step::Call(2)]);
        let group = Step::Sequence(vec![Step::Parallel {
            branches: vec![Step::Call(1), Step::Call(2)],
            wait: 2,
        }]);
        assert_eq!(plain_types(vec![list(), nested], vec![]), [true, true]);
        // A group in one type leaves the other type's list plain.
        assert_eq!(plain_types(vec![list(), group], vec![]), [true, false]);
        // A setting on one edge of the list: the general plan.
        let timeout = EdgeSpec {
            timeout: Some(SimTime::from_millis(100)),
            ..EdgeSpec::default()
        };
        assert_eq!(plain_types(vec![list()], vec![(2, timeout)]), [false]);
        let degrade = EdgeSpec {
            fallback: Fallback::Degrade,
            ..EdgeSpec::default()
        };
        assert_eq!(plain_types(vec![list()], vec![(1, degrade)]), [false]);
        // A setting on an edge the list does not take leaves it plain.
        let only_db = Step::Sequence(vec![Step::Call(1)]);
        assert_eq!(
            plain_types(vec![only_db, list()], vec![(2, timeout)]),
            [true, false]
        );
        // An edge written without settings guards nothing.
        assert_eq!(
            plain_types(vec![list()], vec![(1, EdgeSpec::default())]),
            [true]
        );
    }

    /// What the callee saw, and what the caller finished.
    #[derive(Default)]
    struct Log {
        /// Calls answered whose request had a record when answered.
        readable: u32,
        /// Calls answered.
        answered: u32,
        finished: Vec<(JobRef, Outcome)>,
        /// The host's checks that ran.
        checks: u32,
    }

    type SharedLog = std::rc::Rc<std::cell::RefCell<Log>>;

    /// Answers every call 10 ns after it comes, noting whether its request
    /// still has a record.
    struct Callee(SharedLog);

    impl crate::engine::Component<Msg, crate::parts::World> for Callee {
        fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
            if let Msg::Call(call) = msg {
                let mut log = self.0.borrow_mut();
                log.answered += 1;
                log.readable += u32::from(ctx.shared.request(call.req).is_some());
                let reply = Msg::Reply {
                    token: call.token,
                    outcome: Outcome::Ok,
                };
                ctx.send(call.reply_to, SimTime(10), reply);
            }
        }
    }

    fn request() -> crate::model::Request {
        crate::model::Request {
            kind: 0,
            user: 0,
            arrived: SimTime::ZERO,
            wait: SimTime::ZERO,
            counted: true,
            seed: 0,
            origin: 0,
            key: 0,
            write: false,
            calls_out: 0,
            ended: false,
        }
    }

    /// Hands an answer to `caller` and logs the plans it finished.
    fn hand_over(caller: &mut Caller, log: &SharedLog, msg: Msg, ctx: &mut Ctx<'_>) {
        if let Msg::Reply { token, outcome } = msg {
            caller.answered(token, outcome, ctx);
            while let Some(done) = caller.next_finished() {
                log.borrow_mut().finished.push(done);
            }
        }
    }

    /// Runs the host that `host` makes of a caller of `plan` (for every
    /// type) as component 0, with [`Callee`] as component 1 (`db`), from a
    /// `Timer(1)` at time 1; returns the log and the world at the end.
    fn simulate(
        plan: Step,
        host: impl FnOnce(
            Caller,
            SharedLog,
        ) -> Box<dyn crate::engine::Component<Msg, crate::parts::World>>,
    ) -> (SharedLog, crate::parts::World) {
        use crate::engine::Simulation;

        let s = three_components();
        let spec = CallsSpec {
            plans: vec![plan],
            edges: Vec::new(),
        };
        let caller = Caller::new(&spec, &build_context(&s));
        let log = SharedLog::default();
        let window = crate::metrics::Window {
            start: SimTime::ZERO,
            end: s.duration,
        };
        let recorder =
            crate::metrics::Recorder::new(window, s.duration, crate::metrics::Slo::default());
        let world = crate::parts::World::new(recorder, Default::default(), vec![]);
        let mut sim: Simulation<Msg, crate::parts::World> = Simulation::new(world);
        let first = sim.add(host(caller, log.clone()));
        sim.add(Box::new(Callee(log.clone())));
        sim.schedule(SimTime(1), first, Msg::Timer(1));
        sim.run_until(SimTime(1000), |_| false);
        (log, sim.shared)
    }

    /// A host of a caller whose plan is `[db, db]`: at time 1 it starts jobs
    /// 0 and 1, at time 2 it loses job 1 in a crash (ending its request, as
    /// the crash's answer would) and starts job 2 with job 1's handle.
    struct Host {
        caller: Caller,
        log: SharedLog,
        handles: Vec<u32>,
    }

    impl crate::engine::Component<Msg, crate::parts::World> for Host {
        fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
            let c = &mut self.caller;
            match msg {
                Msg::Timer(1) => {
                    for token in 0..2 {
                        let req = ctx.shared.requests.insert(request()) as u32;
                        let job = JobRef { token, serial: 7 };
                        let Begun::Running(handle) = c.start(job, req, 0, 0, ctx) else {
                            panic!("a plan of calls is over at once");
                        };
                        assert_ne!(handle & PLAIN, 0, "a plain plan takes its lane");
                        self.handles.push(handle);
                    }
                    assert!(c.progress.is_empty() && c.attempts.is_empty());
                    // Each job: its plan and its call, as the general plan counts.
                    assert_eq!(c.held(), 4);
                    ctx.schedule_self(SimTime(1), Msg::Timer(2));
                }
                Msg::Timer(2) => {
                    let lost = JobRef {
                        token: 1,
                        serial: 7,
                    };
                    c.abandon(self.handles[1], lost);
                    assert_eq!(c.held(), 3, "the lost job's call is still out");
                    // Its request ends; the record stays for the call out.
                    let req = c.lanes[1].req;
                    assert!(ctx.shared.take_request(req).is_some());
                    assert!(ctx.shared.request(req).is_some());
                    // The lane's answer is still to come: a job with the
                    // same handle takes the general plan.
                    let req = ctx.shared.requests.insert(request()) as u32;
                    let job = JobRef {
                        token: 1,
                        serial: 8,
                    };
                    let Begun::Running(handle) = c.start(job, req, 0, 0, ctx) else {
                        panic!("a plan of calls is over at once");
                    };
                    assert_eq!(handle & PLAIN, 0);
                    assert_eq!(c.progress.len(), 1);
                    self.log.borrow_mut().checks += 1;
                }
                reply => hand_over(c, &self.log, reply, ctx),
            }
        }
    }

    #[test]
    fn a_plain_plan_keeps_no_entries_and_a_crash_throws_its_answer_away() {
        let twice = Step::Sequence(vec![Step::Call(1), Step::Call(1)]);
        let (log, world) = simulate(twice, |caller, log| {
            Box::new(Host {
                caller,
                log,
                handles: Vec::new(),
            })
        });
        let log = log.borrow();
        assert_eq!(log.checks, 1);
        // Job 0 made both its calls and finished; job 1's first answer was
        // thrown away; job 2, on the general plan, made both its calls.
        assert_eq!(log.answered, 5);
        assert_eq!(log.readable, 5, "every callee found its request");
        let finished: Vec<(u32, u32, Outcome)> = log
            .finished
            .iter()
            .map(|(job, outcome)| (job.token, job.serial, *outcome))
            .collect();
        assert_eq!(finished, [(0, 7, Outcome::Ok), (1, 8, Outcome::Ok)]);
        // The lost job's record went with its call; the others never ended.
        assert_eq!(world.requests.len(), 2);
    }

    /// A host whose one job calls `db` once; at time 2 its request is
    /// answered by another part (a balancer in front that crashed answers at
    /// once, keeping no hold of its own).
    struct Bypassed {
        caller: Caller,
        log: SharedLog,
        req: u32,
    }

    impl crate::engine::Component<Msg, crate::parts::World> for Bypassed {
        fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
            match msg {
                Msg::Timer(1) => {
                    self.req = ctx.shared.requests.insert(request()) as u32;
                    let job = JobRef {
                        token: 0,
                        serial: 1,
                    };
                    let begun = self.caller.start(job, self.req, 0, 0, ctx);
                    assert_eq!(begun, Begun::Running(PLAIN));
                    ctx.schedule_self(SimTime(1), Msg::Timer(2));
                }
                Msg::Timer(2) => {
                    assert!(ctx.shared.take_request(self.req).is_some());
                    assert!(ctx.shared.request(self.req).is_some());
                    self.log.borrow_mut().checks += 1;
                }
                reply => {
                    hand_over(&mut self.caller, &self.log, reply, ctx);
                    // The plan is over; the record went with its call.
                    assert!(ctx.shared.request(self.req).is_none());
                }
            }
        }
    }

    #[test]
    fn a_request_answered_upstream_stays_readable_while_its_plain_call_is_out() {
        let once = Step::Sequence(vec![Step::Call(1)]);
        let (log, world) = simulate(once, |caller, log| {
            Box::new(Bypassed {
                caller,
                log,
                req: 0,
            })
        });
        let log = log.borrow();
        assert_eq!((log.checks, log.answered, log.readable), (1, 1, 1));
        assert_eq!(log.finished.len(), 1);
        assert!(world.requests.is_empty());
    }

    #[test]
    fn attempt_tags_stay_clear_of_the_hosts_bits() {
        let tag = attempt_tag(u32::MAX >> 1, u32::MAX);
        assert_eq!(tag & (1 << 62), 0);
        assert_eq!(tag & (1 << 63), 0);
        assert_eq!(tag & BREAKER_TIMER, 0);
        assert_eq!(tag & DEADLINE_TIMER, 0);
        assert_ne!(tag & CALL_TIMER, 0);
    }
}
