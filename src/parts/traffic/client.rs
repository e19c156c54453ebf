//! The population of clients as a part of the run: creates requests, sends
//! them to the entry, times them out, retries them, and records how each one
//! ended.

use std::collections::VecDeque;

use rand::RngExt;
use rand_distr::{Distribution, Exp1};
use slab::Slab;

use super::arrivals::Arrivals;
use super::mix::Mix;
use super::retry::{RetryPolicy, BUDGET_CAP};
use super::{ClosedLoop, Source, Traffic};
use crate::engine::{Component, ComponentId, SimRng, SimTime};
use crate::keys::KeySampler;
use crate::metrics::Ending;
use crate::model::{About, Call, Msg, Op, Outcome, Request, ANY_REPLICA, OUTSIDE, SINGLE_ATTEMPT};
use crate::parts::{Ctx, Part, World};

/// A client request that may take several attempts (the client has a timeout
/// or retries): alive from its arrival until its final answer and until every
/// attempt and timer that refers to it is over.
#[derive(Clone, Copy, Debug)]
struct Origin {
    /// The first attempt as sent: what every attempt repeats.
    first: Request,
    /// Attempts started so far.
    attempts: u32,
    /// The attempt whose answer is awaited, if any.
    current: Option<u32>,
    resolved: bool,
    /// Attempts sent and not yet answered (including abandoned ones).
    outstanding: u32,
    /// Timers set and not yet fired (deadlines included).
    timers: u32,
}

/// When an attempt of a client request times out, unless answered before.
#[derive(Clone, Copy, Debug)]
struct Deadline {
    due: SimTime,
    origin: u32,
    attempt: u32,
}

/// How many arrivals `Client::arrive_ahead` schedules at a time: one client
/// event per this many requests instead of one each. The requests wait as
/// late events in time order, which costs O(1) each, and at most this many
/// exist before their arrival.
pub const AHEAD: usize = 64;

/// Timer tags: the kind in the top two bits; a retry's tag also holds its
/// origin, and the end of a closed-loop user's think time its user.
const ARRIVAL: u64 = 0;
const TIMEOUT: u64 = 1 << 62;
const RETRY: u64 = 2 << 62;
const THOUGHT: u64 = 3 << 62;
const KIND_MASK: u64 = 3 << 62;

/// The population of clients: creates requests, sends them to the entry,
/// times them out, retries them, and records how each one ended.
pub struct Client {
    arrivals: Arrivals,
    mix: Mix,
    users: KeySampler,
    /// Whether each request type writes.
    writes: Vec<bool>,
    keys: Option<KeySampler>,
    entry: ComponentId,
    timeout: Option<SimTime>,
    retry: Option<RetryPolicy>,
    /// Retry-budget tokens available.
    tokens: f64,
    origins: Slab<Origin>,
    /// Deadlines of the attempts sent, in the order they fall due.
    ///
    /// Every attempt gets the same timeout, so deadlines are set in the order
    /// they fall due, and a FIFO holds them in order. One timer event at a time
    /// stands for the whole FIFO, set for the first deadline whose attempt is
    /// still unanswered: deadlines of answered attempts (nearly all of them)
    /// cost no event at all, and the future-event list does not grow with the
    /// requests in flight times the timeout.
    deadlines: VecDeque<Deadline>,
    /// Whether the timer of the first pending deadline is set.
    deadline_timer: bool,
    arrival_rng: SimRng,
    mix_rng: SimRng,
    user_rng: Option<SimRng>,
    work_rng: SimRng,
    retry_rng: SimRng,
    key_rng: SimRng,
    /// The users of a closed loop, if the traffic is one.
    closed: Option<ClosedLoop>,
    /// When the users of a closed loop stop sending.
    stop: SimTime,
    think_rng: SimRng,
}

/// The random streams of the client side, named so that every compared
/// architecture sees the same arrivals (common random numbers).
pub struct ClientStreams {
    /// Gaps between arrivals.
    pub arrivals: SimRng,
    /// Request types.
    pub mix: SimRng,
    /// User ids, or none when no component looks at them (then every
    /// request has user 0, and the draw per request is saved).
    pub users: Option<SimRng>,
    /// Per-request seeds of the work drawn at each station.
    pub work: SimRng,
    /// Jitter of the waits before retries.
    pub retries: SimRng,
    /// The key each request is about.
    pub keys: SimRng,
    /// The think times of closed-loop users.
    pub think: SimRng,
}

impl Client {
    /// Creates the clients of `traffic`, sending to `entry` until `stop`.
    pub fn new(
        traffic: &Traffic,
        entry: ComponentId,
        stop: SimTime,
        streams: ClientStreams,
    ) -> Self {
        Self {
            arrivals: Arrivals::new(traffic, stop),
            mix: Mix::new(traffic),
            users: KeySampler::new(&traffic.users),
            writes: traffic.types.iter().map(|t| t.op == Op::Write).collect(),
            keys: traffic.keys.as_ref().map(KeySampler::new),
            entry,
            timeout: traffic.timeout,
            retry: traffic.retry,
            tokens: BUDGET_CAP,
            origins: Slab::new(),
            deadlines: VecDeque::new(),
            deadline_timer: false,
            arrival_rng: streams.arrivals,
            mix_rng: streams.mix,
            user_rng: streams.users,
            work_rng: streams.work,
            retry_rng: streams.retries,
            key_rng: streams.keys,
            closed: match traffic.source {
                Source::Closed(closed) => Some(closed),
                Source::Open | Source::Trace(_) => None,
            },
            stop,
            think_rng: streams.think,
        }
    }

    /// Schedules the end of the think time of closed-loop user `user`,
    /// starting now: an exponential draw of mean `think`.
    fn think(&mut self, user: u32, think: SimTime, ctx: &mut Ctx<'_>) {
        let draw: f64 = Exp1.sample(&mut self.think_rng);
        let time = SimTime::from_nanos_f64(draw * think.0 as f64);
        ctx.schedule_self(time, Msg::Timer(THOUGHT | u64::from(user)));
    }

    /// Closed-loop user `user` has thought: it sends its next request, unless
    /// the run no longer takes new ones.
    fn thought(&mut self, user: u32, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        if now >= self.stop {
            return;
        }
        let request = self.new_request(now, Some(user), ctx);
        self.track(request, ctx);
    }

    /// Keeps a record of the client request `request`, arrived now, and
    /// sends its first attempt.
    fn track(&mut self, request: Request, ctx: &mut Ctx<'_>) {
        if let Some(ratio) = self.retry.and_then(|r| r.budget) {
            self.tokens = (self.tokens + ratio).min(BUDGET_CAP);
        }
        let origin = self.origins.insert(Origin {
            first: request,
            attempts: 0,
            current: None,
            resolved: false,
            outstanding: 0,
            timers: 0,
        }) as u32;
        self.start_attempt(origin, ctx);
    }

    /// Returns, for each client request kept in `origins` and not yet
    /// answered, whether it counts in the statistics.
    fn unresolved(&self) -> impl Iterator<Item = (bool, SimTime)> + '_ {
        self.origins
            .iter()
            .filter(|(_, o)| !o.resolved)
            .map(|(_, o)| (o.first.counted, o.first.arrived))
    }

    /// Sets the timer of the next arrival after `after` (the current time,
    /// or the last arrival scheduled ahead), if there is one before the end.
    ///
    /// Arrivals are late events: at a tie with anything else (possible with
    /// `arrivals: constant` and deterministic work), the system finishes what
    /// it was doing at that instant before the new request comes in.
    fn schedule_next(&mut self, after: SimTime, ctx: &mut Ctx<'_>) {
        if let Some(at) = self.arrivals.next_after(after, &mut self.arrival_rng) {
            let me = ctx.me();
            ctx.send_late(me, at - ctx.now(), Msg::Timer(ARRIVAL));
        }
    }

    /// The arrival timer fired.
    fn arrive(&mut self, ctx: &mut Ctx<'_>) {
        if self.timeout.is_none() && self.retry.is_none() {
            self.arrive_ahead(ctx);
            return;
        }
        let now = ctx.now();
        let request = self.new_request(now, None, ctx);
        self.track(request, ctx);
        self.schedule_next(now, ctx);
    }

    /// Sends the request arriving now and the next [`AHEAD`] - 1, each
    /// timed to reach the entry at its arrival, then sets the timer of the
    /// one after: for clients that keep no record of their requests (no
    /// timeout, no retries), whose requests need nothing from them until
    /// they end.
    fn arrive_ahead(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let mut at = now;
        for _ in 0..AHEAD {
            let request = self.new_request(at, None, ctx);
            send_attempt(self.entry, at - now, request, 1, ctx);
            match self.arrivals.next_after(at, &mut self.arrival_rng) {
                Some(next) => at = next,
                None => return,
            }
        }
        let me = ctx.me();
        ctx.send_late(me, at - now, Msg::Timer(ARRIVAL));
    }

    /// Creates the request arriving at `at`, sent by `user` (`None`: drawn
    /// from the users), draws what it is about and notes its arrival. A
    /// trace may give its type.
    fn new_request(&mut self, at: SimTime, user: Option<u32>, ctx: &mut Ctx<'_>) -> Request {
        let counted = ctx.shared.recorder.counts_arrival(at);
        let kind = match self.arrivals.kind() {
            Some(kind) => kind,
            None => self.mix.draw(&mut self.mix_rng),
        };
        let user = match user {
            Some(user) => user,
            None => self.user_rng.as_mut().map_or(0, |rng| self.users.draw(rng)),
        };
        let request = Request {
            kind,
            user,
            arrived: at,
            wait: SimTime::ZERO,
            counted,
            seed: self.work_rng.random(),
            origin: SINGLE_ATTEMPT,
            key: self
                .keys
                .as_ref()
                .map_or(0, |keys| keys.draw(&mut self.key_rng)),
            write: self.writes.get(kind as usize).copied().unwrap_or(false),
            calls_out: 0,
            ended: false,
        };
        ctx.shared.recorder.arrival(at, counted);
        ctx.shared.open += 1;
        request
    }

    /// Sends a new attempt of client request `o`.
    fn start_attempt(&mut self, o: u32, ctx: &mut Ctx<'_>) {
        let Some(origin) = self.origins.get_mut(o as usize) else {
            return;
        };
        origin.attempts += 1;
        origin.outstanding += 1;
        let request = Request {
            arrived: ctx.now(),
            origin: o,
            ..origin.first
        };
        let attempt = origin.attempts;
        origin.current = Some(send_attempt(
            self.entry,
            SimTime::ZERO,
            request,
            attempt,
            ctx,
        ));
        if let Some(timeout) = self.timeout {
            origin.timers += 1;
            self.deadlines.push_back(Deadline {
                due: ctx.now() + timeout,
                origin: o,
                attempt,
            });
            self.arm_deadline_timer(ctx);
        }
    }

    /// An attempt was answered.
    fn answered(&mut self, req: u32, outcome: Outcome, ctx: &mut Ctx<'_>) {
        // Answers about single attempts normally end them on the way
        // (`send_reply`); one that arrives as a message ends the same way.
        let now = ctx.now();
        if ctx.shared.end_single_attempt(req, outcome, now) {
            return;
        }
        let Some(request) = ctx.shared.take_request(req) else {
            return;
        };
        ctx.shared.end_journey(req, outcome, now);
        let o = request.origin;
        let Some(origin) = self.origins.get_mut(o as usize) else {
            return;
        };
        origin.outstanding = origin.outstanding.saturating_sub(1);
        if !origin.resolved && origin.current == Some(req) {
            origin.current = None;
            match outcome {
                Outcome::Ok => {
                    let latency = ctx.now() - origin.first.arrived;
                    let ending = Ending::Completed {
                        latency,
                        wait: request.wait,
                    };
                    self.resolve(o, ending, ctx);
                }
                Outcome::Rejected => self.attempt_failed(o, Ending::Rejected, ctx),
                Outcome::Failed(cause) => self.attempt_failed(o, Ending::Failed(cause), ctx),
            }
        }
        self.forget_if_done(o);
    }

    /// A timer of the client side fired.
    fn timer(&mut self, tag: u64, ctx: &mut Ctx<'_>) {
        let o = (tag & u64::from(u32::MAX)) as u32;
        match tag & KIND_MASK {
            ARRIVAL => self.arrive(ctx),
            THOUGHT => self.thought(o, ctx),
            TIMEOUT => {
                self.deadline_timer = false;
                self.expire_deadlines(ctx);
                self.arm_deadline_timer(ctx);
            }
            _ => {
                let Some(origin) = self.origins.get_mut(o as usize) else {
                    return;
                };
                origin.timers = origin.timers.saturating_sub(1);
                if !origin.resolved {
                    self.start_attempt(o, ctx);
                }
                self.forget_if_done(o);
            }
        }
    }

    /// Times out the attempts whose deadline has come and that are still unanswered.
    fn expire_deadlines(&mut self, ctx: &mut Ctx<'_>) {
        while let Some(&d) = self.deadlines.front().filter(|d| d.due <= ctx.now()) {
            self.deadlines.pop_front();
            if self.awaits(d) {
                if let Some(origin) = self.origins.get_mut(d.origin as usize) {
                    // Give up on this attempt; its answer, if it comes, is ignored.
                    origin.current = None;
                }
                self.attempt_failed(d.origin, Ending::TimedOut, ctx);
            }
            self.deadline_done(d.origin);
        }
    }

    /// Sets the timer for the first deadline whose attempt is still unanswered,
    /// dropping the deadlines of answered attempts in front of it.
    fn arm_deadline_timer(&mut self, ctx: &mut Ctx<'_>) {
        if self.deadline_timer {
            return;
        }
        while let Some(&d) = self.deadlines.front() {
            if self.awaits(d) {
                self.deadline_timer = true;
                ctx.schedule_self(d.due - ctx.now(), Msg::Timer(TIMEOUT));
                return;
            }
            self.deadlines.pop_front();
            self.deadline_done(d.origin);
        }
    }

    /// Returns true if the attempt of `d` is still waiting for its answer.
    fn awaits(&self, d: Deadline) -> bool {
        self.origins
            .get(d.origin as usize)
            .is_some_and(|o| !o.resolved && o.attempts == d.attempt && o.current.is_some())
    }

    /// A deadline no longer refers to its client request.
    fn deadline_done(&mut self, o: u32) {
        if let Some(origin) = self.origins.get_mut(o as usize) {
            origin.timers = origin.timers.saturating_sub(1);
        }
        self.forget_if_done(o);
    }

    /// An attempt ended badly: retry it if the policy allows, or give up.
    fn attempt_failed(&mut self, o: u32, ending: Ending, ctx: &mut Ctx<'_>) {
        let Some(origin) = self.origins.get_mut(o as usize) else {
            return;
        };
        if let Ending::Failed(cause) = ending {
            if !cause.worth_retrying() {
                self.resolve(o, ending, ctx);
                return;
            }
        }
        let budget_allows = match self.retry.and_then(|r| r.budget) {
            None => true,
            Some(_) if self.tokens >= 1.0 => {
                self.tokens -= 1.0;
                true
            }
            Some(_) => false,
        };
        match self.retry {
            Some(policy) if origin.attempts <= policy.retries && budget_allows => {
                let wait = policy.backoff(origin.attempts, &mut self.retry_rng);
                origin.timers += 1;
                ctx.schedule_self(wait, Msg::Timer(RETRY | u64::from(o)));
            }
            _ => self.resolve(o, ending, ctx),
        }
    }

    fn resolve(&mut self, o: u32, ending: Ending, ctx: &mut Ctx<'_>) {
        let Some(origin) = self.origins.get_mut(o as usize) else {
            return;
        };
        origin.resolved = true;
        let (counted, user, kind) = (origin.first.counted, origin.first.user, origin.first.kind);
        let now = ctx.now();
        ctx.shared.record_end(counted, kind, ending, now);
        if let Some(closed) = self.closed {
            // Its user has its answer (or gave up): it thinks, then sends again.
            self.think(user, closed.think, ctx);
        }
    }

    /// Frees a client request once nothing refers to it any more.
    fn forget_if_done(&mut self, o: u32) {
        if self
            .origins
            .get(o as usize)
            .is_some_and(|x| x.resolved && x.outstanding == 0 && x.timers == 0)
        {
            self.origins.remove(o as usize);
        }
    }
}

/// Sends attempt `attempt` of a client request to the entry, to arrive there
/// after `delay` (as a late event when it is scheduled ahead) and the way
/// from the user's region; returns its key in the world's requests.
fn send_attempt(
    entry: ComponentId,
    delay: SimTime,
    request: Request,
    attempt: u32,
    ctx: &mut Ctx<'_>,
) -> u32 {
    let hop = ctx.shared.client_hop(request.user, entry);
    let delay = delay + hop;
    ctx.shared.recorder.attempt(request.counted);
    let req = ctx.shared.requests.insert(request) as u32;
    let (me, arrive) = (ctx.me(), ctx.now() + delay);
    if let Some(journeys) = ctx.shared.journeys.as_deref_mut() {
        // The journey starts where its latency does: at the request's
        // arrival, before the way from the user's region.
        let send = arrive - hop;
        journeys.begin(req, &request, attempt, me.0, entry.0, send, arrive);
    }
    let call = Call {
        req,
        reply_to: ctx.me(),
        token: req,
        replica: ANY_REPLICA,
        zone: OUTSIDE,
        about: About::Request,
    };
    if delay == SimTime::ZERO {
        ctx.send(entry, delay, Msg::Call(call));
    } else {
        ctx.send_late(entry, delay, Msg::Call(call));
    }
    req
}

impl Component<Msg, World> for Client {
    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        match self.closed {
            // Every user starts thinking at 0: the first requests spread
            // over about one think time instead of arriving all at once.
            Some(closed) => {
                for user in 0..closed.users {
                    self.think(user, closed.think, ctx);
                }
            }
            None => self.schedule_next(SimTime::ZERO, ctx),
        }
    }

    fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
        match msg {
            Msg::Timer(tag) => self.timer(tag, ctx),
            Msg::Reply { token, outcome } => self.answered(token, outcome, ctx),
            Msg::Call(_) | Msg::Probe { .. } | Msg::Load { .. } | Msg::Control { .. } => {}
        }
    }

    fn on_finish(&mut self, ctx: &mut Ctx<'_>) {
        // Single attempts in flight are only in the world's records; the
        // client requests that may take several attempts are in `origins`.
        let now = ctx.now();
        let single: Vec<(SimTime, bool)> = ctx
            .shared
            .requests
            .iter()
            // An ended request kept only for its calls still out was answered.
            .filter(|(_, r)| r.origin == SINGLE_ATTEMPT && !r.ended)
            .map(|(_, r)| (r.arrived, r.counted))
            .collect();
        let mut unfinished = Vec::new();
        for (arrived, counted) in single {
            if arrived > now {
                // Scheduled ahead, and the run stopped early, before it arrived.
                ctx.shared.recorder.withdraw_arrival(arrived, counted);
                ctx.shared.open = ctx.shared.open.saturating_sub(1);
            } else if counted {
                unfinished.push(arrived);
            }
        }
        unfinished.extend(
            self.unresolved()
                .filter(|&(counted, _)| counted)
                .map(|(_, arrived)| arrived),
        );
        for arrived in unfinished {
            ctx.shared.recorder.unfinished(arrived);
        }
    }
}

/// The clients take no orders from the failure schedule.
impl Part for Client {
    /// The deadlines they keep: one per attempt sent, until it falls due,
    /// answered or not.
    fn held(&self) -> usize {
        self.deadlines.len()
    }
}
