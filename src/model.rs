//! The vocabulary shared by the parts of a simulated architecture: the
//! messages they exchange, how a call ends, and the record of a request.
//!
//! Every `Call` is answered exactly once, whatever happens on the way
//! (rejected, failed...). Parts rely on that invariant to free their per-call
//! state, so a new kind must keep it.

use crate::engine::{ComponentId, SimTime};

/// Replica number meaning "any replica: the callee chooses".
pub const ANY_REPLICA: u32 = u32::MAX;

/// A request handed to a component, with the address its answer goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    /// The client request this call serves (a key of the world's request table).
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
    /// What the call reads or writes: the request's own key, or its user's
    /// session. It fits in the padding after `zone`, so a message is no larger.
    pub about: About,
}

/// What a call is about, for the data stores that answer it.
///
/// A request names one key (`Request::key`) and one operation (its type's
/// `op`); a server that keeps its sessions in a store also reads and writes
/// the session of the request's user, which is keyed by the user's id and is
/// a read or a write whatever the request's type says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum About {
    /// The request's own key, read or written as its type says.
    #[default]
    Request,
    /// A read of the session of the request's user.
    SessionRead,
    /// A write of the session of the request's user (after a login).
    SessionWrite,
}

impl About {
    /// Returns the key the call is about and whether it writes it.
    #[inline]
    pub fn key_and_op(self, request: &Request) -> (u32, bool) {
        match self {
            About::Request => (request.key, request.write),
            About::SessionRead => (request.user, false),
            About::SessionWrite => (request.user, true),
        }
    }
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
    /// A proxy's firewall dropped it as hostile traffic.
    Firewall,
    /// A proxy's auth check refused it: it carried no credentials.
    Unauthorized,
    /// A rate limit refused it: its user (or everyone) had no token left.
    RateLimited,
    /// The replica that served it had no session for its user, and the
    /// server fails such requests rather than log the user in again.
    SessionLost,
    /// A circuit breaker on the way was open: the call failed at once.
    CircuitOpen,
    /// A bulkhead on the way was full: the call failed at once.
    BulkheadFull,
    /// A component stopped waiting for a call it made (the edge's timeout).
    CallTimeout,
    /// A function had no idle instance and already ran as many instances as
    /// its `concurrency` allows.
    Throttled,
}

impl Cause {
    /// Every cause, in report order.
    pub const ALL: [Cause; 13] = [
        Cause::Crash,
        Cause::Down,
        Cause::NoTarget,
        Cause::Failover,
        Cause::Partition,
        Cause::Firewall,
        Cause::Unauthorized,
        Cause::RateLimited,
        Cause::SessionLost,
        Cause::CircuitOpen,
        Cause::BulkheadFull,
        Cause::CallTimeout,
        Cause::Throttled,
    ];

    /// Returns true if a client retries a request that failed this way: a
    /// failure of the system may pass, while an answer about the request
    /// itself (hostile, without credentials, without a session) would be the
    /// same the next time. A rate limit's refusal and a function's throttling
    /// (both HTTP 429) are worth a retry after the backoff: the capacity they
    /// lacked may be free by then.
    pub fn worth_retrying(self) -> bool {
        !matches!(
            self,
            Cause::Firewall | Cause::Unauthorized | Cause::SessionLost
        )
    }

    /// Returns true if the system refused the request on purpose for what it
    /// is: hostile (dropped by a firewall) or without credentials (401).
    /// Such a request was not meant to be served, so no objective on
    /// availability over time counts it, as success or as failure. A rate
    /// limit's refusal is not one: the same request is served when the
    /// limit has room, so its user went unserved.
    pub fn refused_for_what_it_is(self) -> bool {
        matches!(self, Cause::Firewall | Cause::Unauthorized)
    }

    /// Returns the name used in results (`lost_in_crash`, `sent_to_down_node`...).
    pub fn name(self) -> &'static str {
        match self {
            Cause::Crash => "lost_in_crash",
            Cause::Down => "sent_to_down_node",
            Cause::NoTarget => "no_healthy_target",
            Cause::Failover => "during_failover",
            Cause::Partition => "network_partition",
            Cause::Firewall => "firewall_dropped",
            Cause::Unauthorized => "unauthorized",
            Cause::RateLimited => "rate_limited",
            Cause::SessionLost => "session_lost",
            Cause::CircuitOpen => "circuit_open",
            Cause::BulkheadFull => "bulkhead_full",
            Cause::CallTimeout => "call_timed_out",
            Cause::Throttled => "throttled",
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
    /// A batch job has just rebuilt what a cache holds: it fills with the
    /// keys it would hold in the long run (the whole cache, once), valid
    /// until the next rebuild, `life_ms` from now.
    Warm {
        /// How long the rebuilt entries stay valid, in milliseconds.
        life_ms: u32,
    },
}

/// An order for one replica of a component, or for all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Order {
    /// What happens.
    pub action: Action,
    /// Which replica ([`ANY_REPLICA`]: all).
    pub replica: u32,
    /// How many replicas the component has (what [`ANY_REPLICA`] stands for).
    pub replicas: u32,
}

/// What a request type does to the data it is about, as written in `op:`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Reads its key (the default: most traffic reads).
    #[default]
    Read,
    /// Writes its key: caches invalidate or update it, databases replicate it.
    Write,
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
    /// An order from the failure schedule.
    Control(Order),
    /// A load report: requests in service or waiting at one replica. A
    /// worker sends one to the queue it consumes as a *pull* (a core of
    /// `replica` is free), with `load` holding the replica's incarnation.
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
    /// Calls made for it that are still out, as far as a component that may
    /// stop waiting for its calls (a timeout, a group that answered) keeps
    /// count: while any is out, its record stays, since the callee still
    /// reads it (its type, its seed for the work).
    pub calls_out: u32,
    /// Its answer has reached its end (the clients, or the queue): the
    /// record stays only until `calls_out` falls to zero.
    pub ended: bool,
}

/// The `kind` of a request that is a batch job of a cron entry, not a
/// client request: it holds a core of the server it is sent to, for the work
/// carried in its `seed` (nanoseconds at speed 1, fixed rather than drawn),
/// and counts in none of the clients' figures.
pub const JOB_KIND: u16 = u16::MAX;

/// The `origin` of a request that is its client request's only attempt: the
/// clients keep no record of it (no timeout, no retries), and its answer ends
/// it as soon as the clients learn it.
pub const SINGLE_ATTEMPT: u32 = u32::MAX;
