//! The vocabulary shared by the components of a simulated architecture: the
//! messages they exchange, the request records, and the world they share.
//!
//! Every `Call` is answered exactly once, through [`send_reply`], whatever
//! happens on the way (rejected, failed...). Components rely on that
//! invariant to free their per-call state, so a new component must keep it.

use slab::Slab;

use crate::engine::{self, ComponentId, SimTime};
use crate::metrics::{Ending, Recorder};

/// Replica number meaning "any replica: the callee chooses".
pub const ANY_REPLICA: u32 = u32::MAX;

/// A request handed to a component, with the address its answer goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    /// The client request this call serves (a key of [`World::requests`]).
    pub req: u32,
    /// Who gets the reply.
    pub reply_to: ComponentId,
    /// The caller's own handle, quoted back in the reply.
    pub token: u32,
    /// Which replica of the callee should serve it, or [`ANY_REPLICA`].
    pub replica: u32,
    /// The zone of the caller's machine ([`OUTSIDE`] for the clients), so that
    /// a network partition between zones can cut the call.
    pub zone: u16,
}

/// Returns the replicas an order for `replica` addresses among `count`: that
/// one, or all of them for [`ANY_REPLICA`] (or any number out of range).
pub fn addressed(replica: u32, count: u32) -> std::ops::Range<u32> {
    if replica < count {
        replica..replica + 1
    } else {
        0..count
    }
}

/// The zone of the clients: outside every data centre, never partitioned.
pub const OUTSIDE: u16 = u16::MAX;

/// How a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Served.
    Ok,
    /// Refused because a queue or a capacity limit was full.
    Rejected,
    /// Not served because of a failure.
    Failed(Cause),
}

/// Why a call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cause {
    /// The machine holding it crashed (or lost power) while it was there.
    Crash,
    /// It was sent to a machine that was down (refused).
    Down,
    /// The balancer knew no healthy replica to send it to.
    NoTarget,
    /// A balancer pair was switching over to its passive member.
    Failover,
    /// The network between the two zones was cut.
    Partition,
}

impl Cause {
    /// Every cause, in report order.
    pub const ALL: [Cause; 5] = [
        Cause::Crash,
        Cause::Down,
        Cause::NoTarget,
        Cause::Failover,
        Cause::Partition,
    ];

    /// Returns the name used in results (`lost_in_crash`, `sent_to_down_node`...).
    pub fn name(self) -> &'static str {
        match self {
            Cause::Crash => "lost_in_crash",
            Cause::Down => "sent_to_down_node",
            Cause::NoTarget => "no_healthy_target",
            Cause::Failover => "during_failover",
            Cause::Partition => "network_partition",
        }
    }
}

/// A failure or recovery ordered by the failure schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The replica stops: it loses what it holds and refuses new work.
    Crash,
    /// The replica is back (after repair and boot), empty.
    Recover,
    /// The replica stays up but works `factor_milli / 1000` times slower.
    Slow {
        /// Slow-down factor, in thousandths.
        factor_milli: u32,
    },
    /// The replica works at its normal speed again.
    Normal,
}

/// A message between components.
///
/// `repr(u32)` gives the tag a word of its own and every field its natural
/// place: moved out of the event queue, a message is then copied in aligned
/// words, where the default layout had it copied as 23 bytes at odd offsets
/// through the stack, whose read back stalled the processor on every event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Msg {
    /// Serve this call and reply to its `reply_to`.
    Call(Call),
    /// The answer to an earlier call whose handle was `token`.
    Reply {
        /// The caller's handle from the call.
        token: u32,
        /// How it ended.
        outcome: Outcome,
    },
    /// A timer a component set for itself; the number means what the component wants.
    Timer(u64),
    /// A request for a load report of one replica, to be answered with [`Msg::Load`].
    Probe {
        /// Who asks.
        reply_to: ComponentId,
        /// The zone of the asking machine.
        zone: u16,
        /// Which replica.
        replica: u32,
    },
    /// An order from the failure schedule for one replica ([`ANY_REPLICA`]: all).
    Control {
        /// What happens.
        action: Action,
        /// Which replica.
        replica: u32,
    },
    /// A load report: requests in service or waiting at one replica.
    Load {
        /// The reporting component.
        from: ComponentId,
        /// The reporting replica.
        replica: u32,
        /// Requests in service plus waiting.
        load: u32,
    },
}

/// One attempt of a client request, alive from the moment it is sent to the
/// entry until its answer comes back (a retry is a new attempt).
#[derive(Clone, Copy, Debug)]
pub struct Request {
    /// Index of its type in the scenario's request mix.
    pub kind: u16,
    /// The client that sent it.
    pub user: u32,
    /// When it arrived at the entry.
    pub arrived: SimTime,
    /// Total time spent waiting in queues so far.
    pub wait: SimTime,
    /// Whether it arrived after the warm-up and counts in the statistics.
    pub counted: bool,
    /// The request's own random seed: every station draws this request's work
    /// from it, so the same request needs the same work in every compared
    /// architecture (common random numbers down to each request).
    pub seed: u64,
    /// The client request this is an attempt of: a key of the client's table,
    /// or [`SINGLE_ATTEMPT`] when this attempt is the whole client request (a
    /// client without timeout or retries keeps no table).
    pub origin: u32,
    /// The key it reads or writes (0 when the scenario has no `traffic.keys`).
    pub key: u32,
    /// Whether it writes its key (its type has `op: write`).
    pub write: bool,
}

/// The `origin` of a request that is its client request's only attempt: the
/// clients keep no record of it (no timeout, no retries), and its answer ends
/// it in [`World::end_single_attempt`].
pub const SINGLE_ATTEMPT: u32 = u32::MAX;

/// State shared by every component of one run.
pub struct World {
    /// Requests in flight; memory follows what is in flight, not what was simulated.
    pub requests: Slab<Request>,
    /// Where statistics go.
    pub recorder: Recorder,
    /// Client requests not answered yet (retries pending included).
    pub open: u64,
    /// The component that stands for the clients (none until the run sets it).
    pub clients: ComponentId,
    /// One-way latency between components, row-major `n * n`.
    latency: Vec<SimTime>,
    n: usize,
    /// Zone id of each replica of each component.
    zones: Vec<Vec<u16>>,
    /// Pairs of zones currently cut from each other.
    pub partitions: Vec<(u16, u16)>,
}

impl World {
    /// Creates a world with the given latency matrix (`n * n`, row-major) and
    /// the zone id of every replica of every component.
    pub fn new(recorder: Recorder, latency: Vec<SimTime>, n: usize, zones: Vec<Vec<u16>>) -> Self {
        debug_assert_eq!(latency.len(), n * n);
        Self {
            requests: Slab::new(),
            recorder,
            open: 0,
            clients: ComponentId(u32::MAX),
            latency,
            n,
            zones,
            partitions: Vec::new(),
        }
    }

    /// Returns the zone of `replica` of component `c` ([`OUTSIDE`] if unknown).
    #[inline]
    pub fn zone(&self, c: ComponentId, replica: u32) -> u16 {
        self.zones
            .get(c.0 as usize)
            .and_then(|z| z.get(replica as usize))
            .copied()
            .unwrap_or(OUTSIDE)
    }

    /// Returns true if the network between zones `a` and `b` is cut.
    #[inline]
    pub fn cut(&self, a: u16, b: u16) -> bool {
        !self.partitions.is_empty()
            && self
                .partitions
                .iter()
                .any(|&(x, y)| (x == a && y == b) || (x == b && y == a))
    }

    /// Returns true if the network between zone `from` and replica `replica`
    /// of component `c` is cut (the replica's zone is looked up only while
    /// some partition is in force).
    #[inline]
    pub fn cut_to(&self, from: u16, c: ComponentId, replica: u32) -> bool {
        !self.partitions.is_empty() && self.cut(from, self.zone(c, replica))
    }

    /// Returns the one-way latency of a message from `a` to `b`.
    #[inline]
    pub fn latency(&self, a: ComponentId, b: ComponentId) -> SimTime {
        let (a, b) = (a.0 as usize, b.0 as usize);
        if a < self.n && b < self.n {
            self.latency[a * self.n + b]
        } else {
            // The client side talks to the entry at no cost: latency is measured from
            // the arrival at the entry.
            SimTime::ZERO
        }
    }

    /// Ends the client request whose only attempt is `req`, as its answer
    /// `outcome` reaches the clients at `now`; returns false, and leaves the
    /// request alone, if the clients keep a record of it (timeouts, retries).
    ///
    /// Such a request needs nothing from the clients' own state, and the way
    /// back to them takes no time, so [`send_reply`] ends it here instead of
    /// sending the clients an event: the results are those the event would
    /// give, one event per request earlier in the same instant.
    pub fn end_single_attempt(&mut self, req: u32, outcome: Outcome, now: SimTime) -> bool {
        let single = self
            .requests
            .get(req as usize)
            .is_some_and(|r| r.origin == SINGLE_ATTEMPT);
        if !single {
            return false;
        }
        let request = self.requests.remove(req as usize);
        let ending = match outcome {
            Outcome::Ok => Ending::Completed {
                latency: now - request.arrived,
                wait: request.wait,
            },
            Outcome::Rejected => Ending::Rejected,
            Outcome::Failed(cause) => Ending::Failed(cause),
        };
        self.record_end(request.counted, ending, now);
        true
    }

    /// Records how a client request ended, at `now`.
    pub fn record_end(&mut self, counted: bool, ending: Ending, now: SimTime) {
        self.open = self.open.saturating_sub(1);
        self.recorder.finished(counted, ending, now);
    }

    /// Returns the request behind a call.
    #[inline]
    pub fn request(&self, req: u32) -> Option<&Request> {
        self.requests.get(req as usize)
    }
}

/// The engine context as the components of this model see it.
pub type Ctx<'a> = engine::Ctx<'a, Msg, World>;

/// Sends `call` to `to`, after the network latency between the two.
#[inline]
pub fn send_call(ctx: &mut Ctx<'_>, to: ComponentId, call: Call) {
    let delay = ctx.shared.latency(ctx.me(), to);
    ctx.send(to, delay, Msg::Call(call));
}

/// Answers a probe from `reply_to` with the `load` of `replica`, after the
/// network latency back to the prober.
#[inline]
pub fn send_load(ctx: &mut Ctx<'_>, reply_to: ComponentId, replica: u32, load: u32) {
    let delay = ctx.shared.latency(ctx.me(), reply_to);
    let from = ctx.me();
    ctx.send(
        reply_to,
        delay,
        Msg::Load {
            from,
            replica,
            load,
        },
    );
}

/// Answers `call` with `outcome`, after the network latency back to the caller.
///
/// An answer to the clients about a single attempt ends the request at once
/// ([`World::end_single_attempt`]); every other answer is a message.
#[inline]
pub fn send_reply(ctx: &mut Ctx<'_>, call: &Call, outcome: Outcome) {
    if call.reply_to == ctx.shared.clients {
        let now = ctx.now();
        if ctx.shared.end_single_attempt(call.token, outcome, now) {
            return;
        }
    }
    let delay = ctx.shared.latency(ctx.me(), call.reply_to);
    ctx.send(
        call.reply_to,
        delay,
        Msg::Reply {
            token: call.token,
            outcome,
        },
    );
}
