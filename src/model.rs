//! The vocabulary shared by the components of a simulated architecture: the
//! messages they exchange, the request records, and the world they share.
//!
//! Every `Call` is answered by exactly one `Reply`, whatever happens on the way
//! (rejected, failed...). Components rely on that invariant to free their
//! per-call state, so a new component must keep it.

use slab::Slab;

use crate::engine::{self, ComponentId, SimTime};
use crate::metrics::Recorder;

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
}

/// How a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Served.
    Ok,
    /// Refused because a queue or a capacity limit was full.
    Rejected,
    /// Lost: the component that held it failed.
    Failed,
}

/// A message between components.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// One client request, alive from its arrival at the entry until its answer.
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
    /// The key it reads or writes (0 when the scenario has no `traffic.keys`).
    pub key: u32,
    /// Whether it writes its key (its type has `op: write`).
    pub write: bool,
}

/// State shared by every component of one run.
pub struct World {
    /// Requests in flight; memory follows what is in flight, not what was simulated.
    pub requests: Slab<Request>,
    /// Where statistics go.
    pub recorder: Recorder,
    /// One-way latency between components, row-major `n * n`.
    latency: Vec<SimTime>,
    n: usize,
}

impl World {
    /// Creates a world with the given latency matrix (`n * n`, row-major).
    pub fn new(recorder: Recorder, latency: Vec<SimTime>, n: usize) -> Self {
        debug_assert_eq!(latency.len(), n * n);
        Self {
            requests: Slab::new(),
            recorder,
            latency,
            n,
        }
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

    /// Returns the request behind a call.
    #[inline]
    pub fn request(&self, req: u32) -> Option<&Request> {
        self.requests.get(req as usize)
    }
}

/// The engine context as the components of this model see it.
pub type Ctx<'a> = engine::Ctx<'a, Msg, World>;

/// A component of this model.
pub trait Node: engine::Component<Msg, World> {}
impl<T: engine::Component<Msg, World>> Node for T {}

/// Sends `call` to `to`, after the network latency between the two.
#[inline]
pub fn send_call(ctx: &mut Ctx<'_>, to: ComponentId, call: Call) {
    let delay = ctx.shared.latency(ctx.me(), to);
    ctx.send(to, delay, Msg::Call(call));
}

/// Answers `call` with `outcome`, after the network latency back to the caller.
#[inline]
pub fn send_reply(ctx: &mut Ctx<'_>, call: &Call, outcome: Outcome) {
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
