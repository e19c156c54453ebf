//! Request journeys: every hop of a deterministic sample of requests, written
//! as JSON lines while the run goes, and the critical path of each completed
//! one, split per component into queueing, service and network.
//!
//! A journey is one attempt of a client request. Its hops form a tree: the
//! first hop is the call of the clients to the entry, and each call a
//! component makes while it holds a hop of the journey is a child of that
//! hop. A hop is opened when its call is sent, started when a core takes it
//! (at once for kinds without cores), and closed by its answer.
//!
//! A run without a sample pays one branch per call, answer and start; with
//! one, an unsampled request pays an inline look-up, and only the sampled
//! ones reach the code of this module, which is cold and never inlined.
//!
//! Memory follows what is in flight: a journey is kept from its first call to
//! its answer, then written, walked and freed; [`Journeys::held`] counts the
//! hops kept, so that the run's guard on what is in flight sees them.

use std::io::Write;

use serde::Serialize;
use slab::Slab;

use crate::engine::SimTime;
use crate::model::{Outcome, Request};
use crate::spec::limits::MAX_HOPS_PER_JOURNEY;

/// How many of the slowest sampled journeys a run keeps for the report's
/// waterfall (and a scenario keeps over its replications).
pub const SLOWEST: usize = 5;

/// Room kept at the end of a run's share of the file for the line that says
/// the share is used.
const NOTICE_RESERVE: u64 = 512;

/// An empty place in the table from requests to journeys, or no parent.
const NONE: u32 = u32::MAX;

/// Where a run's journeys go, and how many bytes of lines it may write there.
pub struct Sink {
    /// The run's own stream (a temporary file, concatenated with the other
    /// runs' at the end).
    pub out: Box<dyn Write + Send>,
    /// Bytes of lines this run may write: its share of the file's limit.
    pub budget: u64,
}

/// What a run records of its requests' journeys: which it samples, their
/// names, and where their lines go.
pub struct JourneySetup {
    /// Share of client requests sampled, in (0, 1].
    pub sample: f64,
    /// The scenario's name, written on every line.
    pub scenario: String,
    /// The replication, written on every line.
    pub replication: u64,
    /// The name of each component, by its id (the clients and the other
    /// parts of the run after the scenario's components have none).
    pub components: Vec<String>,
    /// The name of each request type, by its index.
    pub types: Vec<String>,
    /// Where the lines go (`None`: only the critical path is kept).
    pub sink: Option<Sink>,
    /// Why the sink could not be opened, if it could not.
    pub error: Option<String>,
}

/// One hop of a journey: a call to a component and its answer.
#[derive(Clone, Copy, Debug)]
struct Hop {
    /// The hop of the caller, or [`NONE`] for the call of the clients.
    parent: u32,
    /// The callee.
    component: u32,
    /// The caller and its handle, which its answer quotes.
    caller: u32,
    token: u32,
    /// The replica that serves it, or [`NONE`] while unknown.
    replica: u32,
    /// The attempt of this call on its edge (1: the first try).
    attempt: u32,
    /// The state of the edge's circuit breaker when it was sent, if noted.
    breaker: Option<&'static str>,
    /// When the call left the caller.
    send: SimTime,
    /// When it reached the callee.
    arrive: SimTime,
    /// When a core took it (`None`: no core did, or the kind has none).
    start: Option<SimTime>,
    /// When the callee answered (`None`: not yet).
    end: Option<SimTime>,
    /// How long the answer took back to the caller.
    back: SimTime,
    /// How it ended.
    outcome: Option<Outcome>,
}

impl Hop {
    /// Returns when a core took the call: its arrival for a kind without
    /// cores or a call refused before service.
    fn started(&self) -> SimTime {
        self.start.unwrap_or(self.arrive)
    }

    /// Returns when the answer reached the caller, if it was sent.
    fn returned(&self) -> Option<SimTime> {
        self.end.map(|end| end + self.back)
    }
}

/// What an edge said about the next call it sends for a request.
#[derive(Clone, Copy, Debug)]
struct EdgeNote {
    callee: u32,
    attempt: u32,
    breaker: Option<&'static str>,
}

/// The journey of one sampled attempt, while it is in flight.
#[derive(Debug)]
struct Journey {
    /// The request's seed: its id in the lines, the same for every attempt.
    seed: u64,
    /// The client's attempt number.
    attempt: u32,
    kind: u16,
    user: u32,
    counted: bool,
    hops: Vec<Hop>,
    /// Whether some hop was left out, beyond [`MAX_HOPS_PER_JOURNEY`].
    overflow: bool,
    /// What edges noted for the next call to a callee, consumed by it.
    notes: Vec<EdgeNote>,
}

/// Time on the critical path at one component, summed over requests, in
/// nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Split {
    queueing: u128,
    service: u128,
    network: u128,
}

/// A component's part of the end-to-end latency of the sampled requests:
/// time on their critical paths there over their whole latency.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PathShare {
    /// The component.
    pub component: String,
    /// Waiting for a core (arrival to start of service).
    pub queueing: f64,
    /// Its own work, and any time there not covered by a call it waited for.
    pub service: f64,
    /// The way there and back.
    pub network: f64,
}

impl PathShare {
    /// Returns its whole share: queueing, service and network.
    pub fn share(&self) -> f64 {
        self.queueing + self.service + self.network
    }
}

/// One hop of a journey drawn on a waterfall, its times in milliseconds from
/// the journey's first call.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WaterfallBar {
    /// The callee.
    pub component: String,
    /// Its depth in the tree of calls (0 for the entry).
    pub depth: u32,
    /// The call left the caller.
    pub send_ms: f64,
    /// It reached the callee.
    pub arrive_ms: f64,
    /// A core took it.
    pub start_ms: f64,
    /// The callee answered (the end of the journey if it never did).
    pub end_ms: f64,
    /// The answer reached the caller.
    pub returned_ms: f64,
    /// How it ended (`ok`, `rejected`, a cause, or `open`).
    pub outcome: &'static str,
    /// Whether the hop is on the critical path.
    pub critical: bool,
}

/// One of the slowest sampled journeys, for the report's waterfall.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Waterfall {
    /// The replication it ran in.
    pub replication: u64,
    /// Its id in the journeys file.
    pub request: String,
    /// The client's attempt number.
    pub attempt: u32,
    /// Its request type.
    pub kind: String,
    /// Its end-to-end latency.
    pub latency_ms: f64,
    /// Its hops, in the order they were opened.
    pub bars: Vec<WaterfallBar>,
    /// The order in which it ended in its run (breaks ties of latency).
    #[serde(skip)]
    pub order: u64,
}

/// What a run recorded of its journeys.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JourneySummary {
    /// Attempts sampled.
    pub sampled: u64,
    /// Of those, the completed ones of the measured window whose critical
    /// path was walked.
    pub measured: u64,
    /// Journeys written to the file.
    pub written: u64,
    /// Journeys left out of the file once the run's share of it was used.
    pub dropped: u64,
    /// The first error met writing the file, if any (nothing more was
    /// written after it).
    pub error: Option<String>,
    /// Each component's share of the latency of the measured journeys, in
    /// scenario order (empty when no journey was measured).
    pub shares: Vec<PathShare>,
    /// The slowest measured journeys, slowest first.
    pub slowest: Vec<Waterfall>,
}

/// The journeys of one run: the sample in flight, the critical-path sums,
/// the slowest journeys, and the stream of lines.
pub struct Journeys {
    /// A request is sampled when the hash of its seed is below this.
    threshold: u64,
    /// Whether every request is sampled.
    all: bool,
    scenario: String,
    replication: u64,
    components: Vec<String>,
    types: Vec<String>,
    /// The journey of each request key, or [`NONE`].
    by_req: Vec<u32>,
    live: Slab<Journey>,
    /// Hops held by the live journeys.
    held: usize,
    /// Critical-path time per component id.
    splits: Vec<Split>,
    /// End-to-end latency of the measured journeys, summed, in nanoseconds.
    total: u128,
    sink: Option<Sink>,
    written_bytes: u64,
    /// Whether the run's share of the file is used.
    full: bool,
    summary: JourneySummary,
    ended: u64,
}

/// Returns a well-mixed hash of a request's seed, so that the sample does
/// not follow the draws the stations make from the same seed.
fn mix(seed: u64) -> u64 {
    let mut z = seed ^ 0x6a09_e667_f3bc_c909;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Returns the name of an outcome in the lines (`ok`, `rejected`, or the
/// cause of a failure, as in `errors`).
pub fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Ok => "ok",
        Outcome::Rejected => "rejected",
        Outcome::Failed(cause) => cause.name(),
    }
}

/// The outcome of a hop that had no answer when its journey was written:
/// a call of a group whose caller went on after the first `wait` answers.
/// Not "open", which is a circuit breaker's state.
pub const UNANSWERED: &str = "unanswered";

/// Returns a time in milliseconds.
fn ms(t: SimTime) -> f64 {
    t.0 as f64 / 1e6
}

impl Journeys {
    /// Creates the journeys of a run as `setup` says.
    pub fn new(setup: JourneySetup) -> Self {
        let sample = if setup.sample.is_finite() {
            setup.sample.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let summary = JourneySummary {
            error: setup.error,
            ..JourneySummary::default()
        };
        Self {
            // The largest u64 below 2^64 · sample (the cast saturates).
            threshold: (sample * 18_446_744_073_709_551_616.0) as u64,
            all: sample >= 1.0,
            scenario: setup.scenario,
            replication: setup.replication,
            splits: vec![Split::default(); setup.components.len()],
            components: setup.components,
            types: setup.types,
            by_req: Vec::new(),
            live: Slab::new(),
            held: 0,
            total: 0,
            sink: setup.sink,
            written_bytes: 0,
            full: false,
            summary,
            ended: 0,
        }
    }

    /// Returns true if the request of seed `seed` is in the sample: the
    /// same answer for every attempt of a client request, in every run.
    pub fn samples(&self, seed: u64) -> bool {
        self.all || mix(seed) < self.threshold
    }

    /// Returns the hops and journeys held, for the guard on what is in flight.
    pub fn held(&self) -> usize {
        self.held + self.live.len()
    }

    /// Returns true if request key `req` has a live journey: the one check
    /// every hook makes inline, so that an unsampled request costs a load
    /// and a branch.
    #[inline]
    fn traces(&self, req: u32) -> bool {
        self.by_req
            .get(req as usize)
            .is_some_and(|&slot| slot != NONE)
    }

    /// Returns the live journey of request key `req`, if it is sampled.
    #[inline]
    fn journey(&mut self, req: u32) -> Option<&mut Journey> {
        let slot = *self.by_req.get(req as usize)?;
        if slot == NONE {
            return None;
        }
        self.live.get_mut(slot as usize)
    }

    /// Starts the journey of attempt `attempt` of `request`, sent under key
    /// `req` by the clients (`clients`) to the entry `entry` at `send`, to
    /// arrive at `arrive`, if the request is in the sample.
    #[allow(clippy::too_many_arguments)]
    #[cold]
    #[inline(never)]
    pub fn begin(
        &mut self,
        req: u32,
        request: &Request,
        attempt: u32,
        clients: u32,
        entry: u32,
        send: SimTime,
        arrive: SimTime,
    ) {
        if !self.samples(request.seed) {
            return;
        }
        let root = Hop {
            parent: NONE,
            component: entry,
            caller: clients,
            token: req,
            replica: NONE,
            attempt,
            breaker: None,
            send,
            arrive,
            start: None,
            end: None,
            back: SimTime::ZERO,
            outcome: None,
        };
        let slot = self.live.insert(Journey {
            seed: request.seed,
            attempt,
            kind: request.kind,
            user: request.user,
            counted: request.counted,
            hops: vec![root],
            overflow: false,
            notes: Vec::new(),
        }) as u32;
        let i = req as usize;
        if self.by_req.len() <= i {
            self.by_req.resize(i + 1, NONE);
        }
        // A key is reused only once its request has ended; a journey still
        // there was left behind by a part that ended it another way.
        let stale = std::mem::replace(&mut self.by_req[i], slot);
        if stale != NONE {
            if let Some(old) = self.live.try_remove(stale as usize) {
                self.held = self.held.saturating_sub(old.hops.len());
            }
        }
        self.held += 1;
        self.summary.sampled += 1;
    }

    /// Opens a hop of request `req`'s journey: `caller` sent `callee` a call
    /// (its handle `token`, for `replica`) at `send`, to arrive at `arrive`.
    /// A call from a component that holds no open hop of the journey (work
    /// it does after answering) is left out.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn open(
        &mut self,
        req: u32,
        caller: u32,
        callee: u32,
        token: u32,
        replica: u32,
        send: SimTime,
        arrive: SimTime,
    ) {
        if self.traces(req) {
            self.open_hop(req, caller, callee, token, replica, send, arrive);
        }
    }

    /// Does [`Journeys::open`] for a sampled request.
    #[allow(clippy::too_many_arguments)]
    #[cold]
    #[inline(never)]
    fn open_hop(
        &mut self,
        req: u32,
        caller: u32,
        callee: u32,
        token: u32,
        replica: u32,
        send: SimTime,
        arrive: SimTime,
    ) {
        let Some(journey) = self.journey(req) else {
            return;
        };
        let Some(parent) = journey
            .hops
            .iter()
            .rposition(|h| h.component == caller && h.end.is_none())
        else {
            return;
        };
        if journey.hops.len() >= MAX_HOPS_PER_JOURNEY {
            journey.overflow = true;
            return;
        }
        let note = journey
            .notes
            .iter()
            .position(|n| n.callee == callee)
            .map(|i| journey.notes.swap_remove(i));
        journey.hops.push(Hop {
            parent: parent as u32,
            component: callee,
            caller,
            token,
            replica,
            attempt: note.map_or(1, |n| n.attempt),
            breaker: note.and_then(|n| n.breaker),
            send,
            arrive,
            start: None,
            end: None,
            back: SimTime::ZERO,
            outcome: None,
        });
        self.held += 1;
    }

    /// Notes that the next call of request `req` to `callee` is attempt
    /// `attempt` on its edge, sent while the edge's breaker is `breaker`
    /// (`None`: the edge has none).
    pub fn note_edge(
        &mut self,
        req: u32,
        callee: u32,
        attempt: u32,
        breaker: Option<&'static str>,
    ) {
        let Some(journey) = self.journey(req) else {
            return;
        };
        let note = EdgeNote {
            callee,
            attempt,
            breaker,
        };
        match journey.notes.iter_mut().find(|n| n.callee == callee) {
            Some(old) => *old = note,
            None => journey.notes.push(note),
        }
    }

    /// Finds the open hop of request `req` at `callee` for the call of
    /// `caller` with handle `token`.
    #[inline]
    fn hop(&mut self, req: u32, callee: u32, caller: u32, token: u32) -> Option<&mut Hop> {
        self.journey(req)?.hops.iter_mut().find(|h| {
            h.component == callee && h.caller == caller && h.token == token && h.end.is_none()
        })
    }

    /// Notes that a core of `replica` of `callee` took the call of `caller`
    /// (handle `token`) for request `req` at `now`.
    #[inline]
    pub fn start(
        &mut self,
        req: u32,
        callee: u32,
        caller: u32,
        token: u32,
        replica: u32,
        now: SimTime,
    ) {
        if self.traces(req) {
            self.start_hop(req, callee, caller, token, replica, now);
        }
    }

    /// Does [`Journeys::start`] for a sampled request.
    #[cold]
    #[inline(never)]
    fn start_hop(
        &mut self,
        req: u32,
        callee: u32,
        caller: u32,
        token: u32,
        replica: u32,
        now: SimTime,
    ) {
        if let Some(hop) = self.hop(req, callee, caller, token) {
            if hop.start.is_none() {
                hop.start = Some(now);
            }
            hop.replica = replica;
        }
    }

    /// Closes the hop of request `req` at `callee` for the call of `caller`
    /// (handle `token`): answered `outcome` at `now`, reaching the caller
    /// `back` later; `replica`, when named, is the replica that answered.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn close(
        &mut self,
        req: u32,
        callee: u32,
        caller: u32,
        token: u32,
        replica: u32,
        outcome: Outcome,
        now: SimTime,
        back: SimTime,
    ) {
        if self.traces(req) {
            self.close_hop(req, callee, caller, token, replica, outcome, now, back);
        }
    }

    /// Does [`Journeys::close`] for a sampled request.
    #[allow(clippy::too_many_arguments)]
    #[cold]
    #[inline(never)]
    fn close_hop(
        &mut self,
        req: u32,
        callee: u32,
        caller: u32,
        token: u32,
        replica: u32,
        outcome: Outcome,
        now: SimTime,
        back: SimTime,
    ) {
        if let Some(hop) = self.hop(req, callee, caller, token) {
            hop.end = Some(now);
            hop.back = back;
            hop.outcome = Some(outcome);
            if hop.replica == NONE {
                hop.replica = replica;
            }
        }
    }

    /// The caller (handle `token`) stopped waiting for its call to `callee`
    /// at `now` (the edge's timeout): the hop ends there, timed out, and on
    /// the critical path the wait counts at the callee, not at the caller.
    /// The callee's later start and answer no longer change it.
    #[cold]
    #[inline(never)]
    pub fn time_out(&mut self, req: u32, callee: u32, caller: u32, token: u32, now: SimTime) {
        if !self.traces(req) {
            return;
        }
        if let Some(hop) = self.hop(req, callee, caller, token) {
            hop.end = Some(now);
            hop.back = SimTime::ZERO;
            hop.outcome = Some(Outcome::Failed(crate::model::Cause::CallTimeout));
            if hop.start.is_none() {
                // Still queued when the caller gave up: all of it was queueing.
                hop.start = Some(now);
            }
        }
    }

    /// Ends the journey of request `req`, whose answer `outcome` reached the
    /// clients at `now`: walks its critical path, keeps it if it is among
    /// the slowest, writes its lines and frees it.
    #[cold]
    #[inline(never)]
    pub fn end(&mut self, req: u32, outcome: Outcome, now: SimTime) {
        let Some(slot) = self.by_req.get_mut(req as usize) else {
            return;
        };
        if *slot == NONE {
            return;
        }
        let journey = self.live.remove(*slot as usize);
        *slot = NONE;
        self.held = self.held.saturating_sub(journey.hops.len());
        self.ended += 1;
        let mut critical = vec![false; journey.hops.len()];
        let root = journey.hops[0];
        let latency = root
            .returned()
            .filter(|_| outcome == Outcome::Ok && !journey.overflow)
            .map(|returned| returned - root.send);
        if let Some(latency) = latency {
            // Walked for the lines too; only requests of the measured
            // window count in the figures, as they do in every other.
            let splits = journey.counted.then_some(&mut self.splits[..]);
            walk(&journey.hops, &mut critical, splits);
            if journey.counted {
                self.total += u128::from(latency.0);
                self.summary.measured += 1;
                self.keep_if_slow(&journey, &critical, latency);
            }
        }
        self.write(&journey, &critical, Some(outcome), now);
    }

    /// Keeps `journey` for the waterfall if it is among the [`SLOWEST`].
    fn keep_if_slow(&mut self, journey: &Journey, critical: &[bool], latency: SimTime) {
        let slowest = &self.summary.slowest;
        let latency_ms = ms(latency);
        if slowest.len() >= SLOWEST && slowest.iter().all(|w| w.latency_ms >= latency_ms) {
            return;
        }
        let waterfall = self.waterfall(journey, critical, latency_ms);
        let slowest = &mut self.summary.slowest;
        slowest.push(waterfall);
        // Slowest first; at a tie, the one that ended first.
        slowest.sort_by(|a, b| {
            b.latency_ms
                .total_cmp(&a.latency_ms)
                .then(a.order.cmp(&b.order))
        });
        slowest.truncate(SLOWEST);
    }

    /// Returns the waterfall of `journey`.
    fn waterfall(&self, journey: &Journey, critical: &[bool], latency_ms: f64) -> Waterfall {
        let origin = journey.hops[0].send;
        let mut depths: Vec<u32> = Vec::with_capacity(journey.hops.len());
        let bars = journey
            .hops
            .iter()
            .zip(critical)
            .map(|(h, &on_path)| {
                let depth = depths.get(h.parent as usize).map_or(0, |d| d + 1);
                depths.push(depth);
                let at = |t: SimTime| ms(t.saturating_sub(origin));
                let end = h.end.unwrap_or(h.started());
                WaterfallBar {
                    component: self.name(h.component).to_string(),
                    depth,
                    send_ms: at(h.send),
                    arrive_ms: at(h.arrive),
                    start_ms: at(h.started()),
                    end_ms: at(end),
                    returned_ms: at(end + h.back),
                    outcome: h.outcome.map_or(UNANSWERED, outcome_name),
                    critical: on_path,
                }
            })
            .collect();
        Waterfall {
            replication: self.replication,
            request: format!("{:016x}", journey.seed),
            attempt: journey.attempt,
            kind: self.type_name(journey.kind).to_string(),
            latency_ms,
            bars,
            order: self.ended,
        }
    }

    /// Returns the name of component `id`.
    fn name(&self, id: u32) -> &str {
        self.components.get(id as usize).map_or("?", String::as_str)
    }

    /// Returns the name of request type `kind`.
    fn type_name(&self, kind: u16) -> &str {
        self.types.get(kind as usize).map_or("?", String::as_str)
    }

    /// Writes the lines of `journey`, ended `outcome` at `now` (`None`: the
    /// run ended first), if the run's share of the file has room for them.
    fn write(
        &mut self,
        journey: &Journey,
        critical: &[bool],
        outcome: Option<Outcome>,
        now: SimTime,
    ) {
        let Some(budget) = self.sink.as_ref().map(|s| s.budget) else {
            return;
        };
        if self.full {
            self.summary.dropped += 1;
            return;
        }
        let text = self.lines(journey, critical, outcome, now);
        let fits = self.written_bytes + text.len() as u64 + NOTICE_RESERVE <= budget;
        if !fits {
            self.full = true;
            self.summary.dropped += 1;
            let notice = self.notice(budget);
            if self.written_bytes + notice.len() as u64 <= budget {
                self.emit(notice.as_bytes());
            }
            return;
        }
        self.emit(text.as_bytes());
        self.summary.written += 1;
    }

    /// Writes `bytes` to the sink; on an error, keeps it and writes no more.
    fn emit(&mut self, bytes: &[u8]) {
        let Some(sink) = self.sink.as_mut() else {
            return;
        };
        match sink.out.write_all(bytes) {
            Ok(()) => self.written_bytes += bytes.len() as u64,
            Err(e) => {
                self.summary.error = Some(e.to_string());
                self.sink = None;
            }
        }
    }

    /// Returns the line that says the run's share of the file is used.
    fn notice(&self, budget: u64) -> String {
        let line = NoticeLine {
            scenario: &self.scenario,
            replication: self.replication,
            kind: "limit",
            budget_bytes: budget,
            note: "this run's share of the journeys file is used: its later journeys are left out",
        };
        let mut text = serde_json::to_string(&line).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Returns the lines of a journey: one for the request, one per hop.
    fn lines(
        &self,
        journey: &Journey,
        critical: &[bool],
        outcome: Option<Outcome>,
        now: SimTime,
    ) -> String {
        let request = format!("{:016x}", journey.seed);
        let root = journey.hops[0];
        let head = RequestLine {
            scenario: &self.scenario,
            replication: self.replication,
            request: &request,
            attempt: journey.attempt,
            kind: "request",
            request_type: self.type_name(journey.kind),
            user: journey.user,
            counted: journey.counted,
            send_ms: ms(root.send),
            end_ms: outcome.map(|_| ms(now)),
            latency_ms: outcome.map(|_| ms(now.saturating_sub(root.send))),
            outcome: outcome.map_or("unfinished", outcome_name),
            hops: journey.hops.len() as u32,
            hops_left_out: journey.overflow,
        };
        let mut text = serde_json::to_string(&head).unwrap_or_default();
        text.push('\n');
        for (i, h) in journey.hops.iter().enumerate() {
            let line = HopLine {
                scenario: &self.scenario,
                replication: self.replication,
                request: &request,
                attempt: journey.attempt,
                kind: "hop",
                hop: i as u32,
                parent: (h.parent != NONE).then_some(h.parent),
                component: self.name(h.component),
                replica: (h.replica != NONE).then_some(h.replica),
                call_attempt: h.attempt,
                breaker: h.breaker,
                send_ms: ms(h.send),
                arrive_ms: ms(h.arrive),
                start_ms: h.start.map(ms),
                end_ms: h.end.map(ms),
                back_ms: h.end.map(|_| ms(h.back)),
                outcome: h.outcome.map_or(UNANSWERED, outcome_name),
                critical: critical.get(i).copied().unwrap_or(false),
            };
            text.push_str(&serde_json::to_string(&line).unwrap_or_default());
            text.push('\n');
        }
        text
    }

    /// Ends the run at `now`: writes the journeys still in flight as
    /// unfinished, flushes the file and returns what was recorded, with each
    /// of the `components` (the scenario's, by id) given its share.
    pub fn finish(mut self, now: SimTime, components: usize) -> JourneySummary {
        let live: Vec<Journey> = self.live.drain().collect();
        for journey in &live {
            let critical = vec![false; journey.hops.len()];
            self.write(journey, &critical, None, now);
        }
        if let Some(sink) = self.sink.as_mut() {
            if let Err(e) = sink.out.flush() {
                self.summary.error.get_or_insert(e.to_string());
            }
        }
        if self.total > 0 {
            let total = self.total as f64;
            self.summary.shares = self
                .splits
                .iter()
                .take(components)
                .enumerate()
                .map(|(id, s)| PathShare {
                    component: self.name(id as u32).to_string(),
                    queueing: s.queueing as f64 / total,
                    service: s.service as f64 / total,
                    network: s.network as f64 / total,
                })
                .collect();
        }
        self.summary
    }
}

/// Walks the critical path of a journey's hops from the answer of the first
/// backward, marking the hops on it and adding their time to `splits`.
fn walk(hops: &[Hop], critical: &mut [bool], mut splits: Option<&mut [Split]>) {
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); hops.len()];
    for (i, h) in hops.iter().enumerate().skip(1) {
        if let Some(list) = children.get_mut(h.parent as usize) {
            list.push(i);
        }
    }
    // Depth-first without recursion: a journey may be deep.
    let mut stack = vec![0usize];
    while let Some(i) = stack.pop() {
        let h = hops[i];
        let Some(end) = h.end else { continue };
        critical[i] = true;
        let mut split = Split {
            network: u128::from((h.arrive.saturating_sub(h.send) + h.back).0),
            ..Split::default()
        };
        let start = h.started().clamp(h.arrive, end);
        // Time at the component from `from` to `to`: waiting for a core
        // before `start`, serving after it.
        let at_component = |from: SimTime, to: SimTime, split: &mut Split| {
            let wait_end = to.min(start).max(from);
            split.queueing += u128::from(wait_end.saturating_sub(from).0);
            split.service += u128::from(to.saturating_sub(wait_end).0);
        };
        let mut t = end;
        // The call whose answer came last before `t` is the one the hop
        // waited for; before it was sent, the hop waited for the one before.
        while let Some(&c) = children[i]
            .iter()
            .filter(|&&c| {
                hops[c]
                    .returned()
                    .is_some_and(|r| r <= t && hops[c].send >= h.arrive)
            })
            .max_by_key(|&&c| hops[c].returned())
        {
            let child = hops[c];
            let returned = child.returned().unwrap_or(t);
            at_component(returned, t, &mut split);
            stack.push(c);
            t = child.send;
        }
        at_component(h.arrive, t, &mut split);
        if let Some(s) = splits
            .as_deref_mut()
            .and_then(|s| s.get_mut(h.component as usize))
        {
            s.queueing += split.queueing;
            s.service += split.service;
            s.network += split.network;
        }
    }
}

/// The line of a journey's request.
#[derive(Serialize)]
struct RequestLine<'a> {
    scenario: &'a str,
    replication: u64,
    request: &'a str,
    attempt: u32,
    #[serde(rename = "type")]
    kind: &'static str,
    request_type: &'a str,
    user: u32,
    counted: bool,
    send_ms: f64,
    end_ms: Option<f64>,
    latency_ms: Option<f64>,
    outcome: &'static str,
    hops: u32,
    hops_left_out: bool,
}

/// The line of one hop.
#[derive(Serialize)]
struct HopLine<'a> {
    scenario: &'a str,
    replication: u64,
    request: &'a str,
    attempt: u32,
    #[serde(rename = "type")]
    kind: &'static str,
    hop: u32,
    parent: Option<u32>,
    component: &'a str,
    replica: Option<u32>,
    call_attempt: u32,
    breaker: Option<&'static str>,
    send_ms: f64,
    arrive_ms: f64,
    start_ms: Option<f64>,
    end_ms: Option<f64>,
    back_ms: Option<f64>,
    outcome: &'static str,
    critical: bool,
}

/// The line that says a run's share of the file is used.
#[derive(Serialize)]
struct NoticeLine<'a> {
    scenario: &'a str,
    replication: u64,
    #[serde(rename = "type")]
    kind: &'static str,
    budget_bytes: u64,
    note: &'static str,
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::model::{Cause, SINGLE_ATTEMPT};

    /// A stream that keeps what is written, for the test to read.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    const CLIENTS: u32 = 9;

    fn t(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }

    fn request(seed: u64) -> Request {
        Request {
            kind: 0,
            user: 0,
            arrived: SimTime::ZERO,
            wait: SimTime::ZERO,
            counted: true,
            seed,
            origin: SINGLE_ATTEMPT,
            key: 0,
            write: false,
            calls_out: 0,
            ended: false,
        }
    }

    fn journeys(sample: f64, budget: u64) -> (Journeys, Shared) {
        let out = Shared::default();
        let setup = JourneySetup {
            sample,
            scenario: "s".into(),
            replication: 0,
            components: ["lb", "front", "a", "b"].map(String::from).to_vec(),
            types: vec!["read".into()],
            sink: Some(Sink {
                out: Box::new(out.clone()),
                budget,
            }),
            error: None,
        };
        (Journeys::new(setup), out)
    }

    /// A call of `caller` to `callee` sent at `send`, arriving 1 ms later,
    /// started at `start`, answered at `end`, back 1 ms later.
    #[allow(clippy::too_many_arguments)]
    fn call(j: &mut Journeys, caller: u32, callee: u32, send: u64, start: u64, end: u64) {
        j.open(0, caller, callee, 7, ANY, t(send), t(send + 1));
        j.start(0, callee, caller, 7, 0, t(start));
        j.close(0, callee, caller, 7, ANY, Outcome::Ok, t(end), t(1));
    }

    const ANY: u32 = u32::MAX;

    /// lb (no time of its own) calls front, which waits 1 ms for a core,
    /// works, then calls a and b one after the other; 18 ms in all.
    fn sequential(j: &mut Journeys) {
        j.begin(0, &request(1), 1, CLIENTS, 0, t(0), t(0));
        j.open(0, 0, 1, 3, ANY, t(0), t(1));
        j.start(0, 1, 0, 3, 0, t(2));
        call(j, 1, 2, 3, 4, 6);
        call(j, 1, 3, 8, 9, 14);
        j.close(0, 1, 0, 3, ANY, Outcome::Ok, t(17), t(1));
        j.close(0, 0, CLIENTS, 0, ANY, Outcome::Ok, t(18), SimTime::ZERO);
        j.end(0, Outcome::Ok, t(18));
    }

    #[test]
    fn sequential_calls_are_all_on_the_path_and_add_up_to_the_latency() {
        let (mut j, out) = journeys(1.0, 1 << 20);
        sequential(&mut j);
        let summary = j.finish(t(20), 4);
        assert_eq!(
            (summary.sampled, summary.measured, summary.written),
            (1, 1, 1)
        );
        let share = |name: &str| {
            let s = summary.shares.iter().find(|s| s.component == name).unwrap();
            [s.queueing, s.service, s.network].map(|x| (x * 18.0 * 1e6).round() / 1e6)
        };
        assert_eq!(share("lb"), [0.0, 0.0, 0.0]);
        // front: 1 ms for a core, 1 + 1 + 2 ms of its own around its two
        // calls, 2 ms of network; 0 + 9 + 4 + 7 = 18 ms.
        assert_eq!(share("front"), [1.0, 4.0, 2.0]);
        assert_eq!(share("a"), [0.0, 2.0, 2.0]);
        assert_eq!(share("b"), [0.0, 5.0, 2.0]);
        let total: f64 = summary.shares.iter().map(PathShare::share).sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0]["type"], "request");
        assert_eq!(lines[0]["latency_ms"], 18.0);
        assert_eq!(lines[2]["component"], "front");
        assert_eq!(lines[2]["start_ms"], 2.0);
        assert_eq!(lines[4]["parent"], 1);
        assert!(lines[1..].iter().all(|l| l["critical"] == true));
    }

    #[test]
    fn of_parallel_calls_only_the_last_answer_is_on_the_path() {
        let (mut j, _) = journeys(1.0, 1 << 20);
        j.begin(0, &request(1), 1, CLIENTS, 1, t(0), t(0));
        j.start(0, 1, CLIENTS, 0, 0, t(0));
        // Sent together: a answers at 4, b at 9.
        j.open(0, 1, 2, 0, ANY, t(1), t(2));
        j.open(0, 1, 3, 0, ANY, t(1), t(2));
        j.close(0, 2, 1, 0, ANY, Outcome::Ok, t(3), t(1));
        j.close(0, 3, 1, 0, ANY, Outcome::Ok, t(8), t(1));
        j.close(0, 1, CLIENTS, 0, ANY, Outcome::Ok, t(10), SimTime::ZERO);
        j.end(0, Outcome::Ok, t(10));
        let summary = j.finish(t(10), 4);
        let a = &summary.shares[2];
        assert_eq!(a.share(), 0.0);
        let b = &summary.shares[3];
        assert!((b.service - 0.6).abs() < 1e-12 && (b.network - 0.2).abs() < 1e-12);
        assert!((summary.shares[1].service - 0.2).abs() < 1e-12);
        let bars = &summary.slowest[0].bars;
        assert_eq!(
            bars.iter().map(|b| b.critical).collect::<Vec<_>>(),
            [true, false, true]
        );
        assert_eq!(bars[2].depth, 1);
    }

    #[test]
    fn failed_and_warm_up_journeys_are_written_but_not_measured() {
        let (mut j, out) = journeys(1.0, 1 << 20);
        let early = Request {
            counted: false,
            ..request(5)
        };
        j.begin(0, &early, 1, CLIENTS, 1, t(0), t(0));
        j.close(0, 1, CLIENTS, 0, ANY, Outcome::Ok, t(3), SimTime::ZERO);
        j.end(0, Outcome::Ok, t(3));
        j.begin(1, &request(6), 2, CLIENTS, 1, t(5), t(5));
        let crash = Outcome::Failed(Cause::Crash);
        j.close(1, 1, CLIENTS, 1, ANY, crash, t(6), SimTime::ZERO);
        j.end(1, crash, t(6));
        j.begin(2, &request(7), 1, CLIENTS, 1, t(7), t(7));
        assert_eq!(j.held(), 2);
        let summary = j.finish(t(9), 4);
        assert_eq!(
            (summary.sampled, summary.measured, summary.written),
            (3, 0, 3)
        );
        assert!(summary.shares.is_empty() && summary.slowest.is_empty());
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let outcomes: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("\"type\":\"request\""))
            .map(|l| {
                l.split("\"outcome\":\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
            })
            .collect();
        assert_eq!(outcomes, ["ok", "lost_in_crash", "unfinished"]);
        assert!(text.contains("\"attempt\":2"));
    }

    #[test]
    fn a_run_stops_writing_at_its_share_of_the_file_and_says_so() {
        let (mut j, out) = journeys(1.0, 2_000);
        for i in 0..20 {
            j.begin(i, &request(u64::from(i)), 1, CLIENTS, 1, t(0), t(0));
            j.close(i, 1, CLIENTS, i, ANY, Outcome::Ok, t(1), SimTime::ZERO);
            j.end(i, Outcome::Ok, t(1));
        }
        let summary = j.finish(t(2), 4);
        let written = out.0.lock().unwrap().len() as u64;
        assert!(written <= 2_000, "{written} bytes");
        assert!(summary.written > 0 && summary.dropped > 0);
        assert_eq!(summary.written + summary.dropped, 20);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert!(text.lines().last().unwrap().contains("\"type\":\"limit\""));
        // The critical path keeps every journey, written or not.
        assert_eq!(summary.measured, 20);
    }

    #[test]
    fn the_sample_is_decided_by_the_seed_at_the_asked_rate() {
        let (j, _) = journeys(0.1, 0);
        let n = 200_000u64;
        let kept = (0..n).filter(|&seed| j.samples(seed)).count() as f64;
        // Binomial: 0.1 ± 5 standard deviations.
        let sd = (n as f64 * 0.1 * 0.9).sqrt();
        assert!((kept - 0.1 * n as f64).abs() < 5.0 * sd, "{kept}");
        let (again, _) = journeys(0.1, 0);
        assert!((0..1000).all(|seed| j.samples(seed) == again.samples(seed)));
        let (all, _) = journeys(1.0, 0);
        assert!((0..1000).all(|seed| all.samples(seed)));
    }

    #[test]
    fn calls_after_the_answer_or_for_unsampled_requests_are_left_out() {
        let (mut j, _) = journeys(1.0, 1 << 20);
        // No journey for request 4: nothing happens.
        j.open(4, 1, 2, 0, ANY, t(0), t(1));
        sequential(&mut j);
        // Request 0 ended: a late call of front is no hop of anything.
        j.open(0, 1, 2, 3, ANY, t(20), t(21));
        assert_eq!(j.held(), 0);
    }

    #[test]
    fn an_edge_note_marks_the_next_call_to_its_callee() {
        let (mut j, out) = journeys(1.0, 1 << 20);
        j.begin(0, &request(1), 1, CLIENTS, 1, t(0), t(0));
        j.note_edge(0, 2, 3, Some("half_open"));
        j.open(0, 1, 2, 0, ANY, t(1), t(2));
        j.open(0, 1, 2, 0, ANY, t(1), t(2));
        j.end(0, Outcome::Rejected, t(4));
        j.finish(t(4), 4);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let hops: Vec<&str> = text.lines().skip(2).collect();
        assert!(hops[0].contains("\"call_attempt\":3,\"breaker\":\"half_open\""));
        assert!(hops[1].contains("\"call_attempt\":1,\"breaker\":null"));
    }
}
