//! The state every part of one run shares, and the helpers that send messages
//! between parts across the network.
//!
//! Every `Call` is answered exactly once, through [`send_reply`], whatever
//! happens on the way (rejected, failed...). Parts rely on that invariant to
//! free their per-call state, so a new kind must keep it.

use slab::Slab;

use super::geography::{Geography, NO_REGION};
use crate::engine::{self, ComponentId, SimTime};
use crate::metrics::{Ending, Journeys, Recorder};
use crate::model::{Call, Msg, Outcome, Request, OUTSIDE, SINGLE_ATTEMPT};

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
    /// One-way latencies between components.
    latencies: Latencies,
    /// Zone id of each replica of each component.
    zones: Vec<Vec<u16>>,
    /// Pairs of zones currently cut from each other.
    pub partitions: Vec<(u16, u16)>,
    /// The replicas that take new work, per component whose machines come
    /// and go (an autoscaled server); empty for the others.
    fleets: Vec<Fleet>,
    /// The journeys of the sampled requests, when the run records them
    /// (`--trace`, `--trace-sample`): every hook below costs one branch
    /// on `None` otherwise.
    pub journeys: Option<Box<Journeys>>,
}

/// Which replicas of one component take new work, as its autoscaler
/// registers them, the way an autoscaling group registers its machines with
/// the balancers in front of it.
#[derive(Clone, Debug, Default)]
pub struct Fleet {
    /// Bumped at every change, so that a balancer looks again only then.
    generation: u64,
    /// Whether each replica takes new work.
    in_service: Vec<bool>,
    /// Whether a call sent while no replica takes work still reaches the
    /// component, which then starts one (scale from zero).
    wakes: bool,
}

impl World {
    /// Creates a world with the latencies between its components and the
    /// zone id of every replica of every component.
    pub fn new(recorder: Recorder, latencies: Latencies, zones: Vec<Vec<u16>>) -> Self {
        Self {
            requests: Slab::new(),
            recorder,
            open: 0,
            clients: ComponentId(u32::MAX),
            latencies,
            zones,
            partitions: Vec::new(),
            fleets: Vec::new(),
            journeys: None,
        }
    }

    /// Returns the generation of component `c`'s fleet: 0 for a component
    /// whose replicas never come and go, so a balancer that has seen 0 has
    /// nothing to look at.
    #[inline]
    pub fn fleet_generation(&self, c: ComponentId) -> u64 {
        self.fleets.get(c.0 as usize).map_or(0, |f| f.generation)
    }

    /// Returns whether `replica` of component `c` takes new work (true for a
    /// component whose replicas never come and go).
    #[inline]
    pub fn in_service(&self, c: ComponentId, replica: u32) -> bool {
        self.fleets
            .get(c.0 as usize)
            .filter(|f| f.generation > 0)
            .is_none_or(|f| f.in_service.get(replica as usize).copied().unwrap_or(false))
    }

    /// Returns true if a call to component `c` while none of its replicas
    /// takes work wakes one up (it is sent with no replica named).
    pub fn wakes(&self, c: ComponentId) -> bool {
        self.fleets.get(c.0 as usize).is_some_and(|f| f.wakes)
    }

    /// Registers component `c` as one whose `replicas` machines come and
    /// go, with the replicas `serving` taking work; `wakes` says whether a
    /// call sent while none does starts one.
    pub fn register_fleet(&mut self, c: ComponentId, replicas: u32, serving: &[u32], wakes: bool) {
        let i = c.0 as usize;
        if self.fleets.len() <= i {
            self.fleets.resize_with(i + 1, Fleet::default);
        }
        let mut in_service = vec![false; replicas as usize];
        for &r in serving {
            if let Some(state) = in_service.get_mut(r as usize) {
                *state = true;
            }
        }
        let fleet = &mut self.fleets[i];
        fleet.in_service = in_service;
        fleet.wakes = wakes;
        fleet.generation += 1;
    }

    /// Registers (`on`) or deregisters `replica` of component `c`, which
    /// [`World::register_fleet`] registered.
    pub fn set_in_service(&mut self, c: ComponentId, replica: u32, on: bool) {
        let Some(fleet) = self.fleets.get_mut(c.0 as usize) else {
            return;
        };
        if let Some(state) = fleet.in_service.get_mut(replica as usize) {
            *state = on;
            fleet.generation += 1;
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
        self.latencies.between(a.0, b.0)
    }

    /// Returns the one-way latency between user `user` and component `c`:
    /// nothing unless the user lives in another region than `c`'s machines
    /// (see [`Geography::user_hop`]).
    #[inline]
    pub fn client_hop(&self, user: u32, c: ComponentId) -> SimTime {
        self.latencies.client_hop(user, c.0)
    }

    /// Returns the time the answer to request `req` takes from component `c`
    /// back to its user (as [`World::client_hop`]).
    #[inline]
    fn way_back(&self, req: u32, c: ComponentId) -> SimTime {
        if !self.latencies.clients_travel {
            return SimTime::ZERO;
        }
        self.request(req)
            .map_or(SimTime::ZERO, |r| self.client_hop(r.user, c))
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
            .is_some_and(|r| r.origin == SINGLE_ATTEMPT && !r.ended);
        if !single {
            return false;
        }
        let Some(request) = self.take_request(req) else {
            return false;
        };
        self.end_journey(req, outcome, now);
        let ending = match outcome {
            Outcome::Ok => Ending::Completed {
                latency: now - request.arrived,
                wait: request.wait,
            },
            Outcome::Rejected => Ending::Rejected,
            Outcome::Failed(cause) => Ending::Failed(cause),
        };
        self.record_end(request.counted, request.kind, ending, now);
        true
    }

    /// Ends the journey of request `req`, if it is sampled, as its answer
    /// `outcome` reaches the clients at `now`: the clients call this when
    /// they take the request out of [`World::requests`].
    #[inline]
    pub fn end_journey(&mut self, req: u32, outcome: Outcome, now: SimTime) {
        if let Some(journeys) = self.journeys.as_deref_mut() {
            journeys.end(req, outcome, now);
        }
    }

    /// Annotates the next call of request `req` to `callee`, if the request
    /// is sampled: it is attempt `attempt` on its edge (1 for the first try),
    /// sent while the edge's circuit breaker is `breaker` (`closed`, `open`,
    /// `half_open`; `None` for an edge without one). A part with per-edge retries or breakers calls this just
    /// before [`send_call`]; the note is consumed by that call's hop, and a
    /// later note for the same callee replaces one not yet consumed.
    #[inline]
    pub fn note_edge(
        &mut self,
        req: u32,
        callee: ComponentId,
        attempt: u32,
        breaker: Option<&'static str>,
    ) {
        if let Some(journeys) = self.journeys.as_deref_mut() {
            journeys.note_edge(req, callee.0, attempt, breaker);
        }
    }

    /// Notes, in the journey of a sampled request `req`, that `caller`
    /// stopped waiting for its call (handle `token`) to `callee` at `now`.
    #[inline]
    pub fn note_timeout(
        &mut self,
        req: u32,
        callee: ComponentId,
        caller: ComponentId,
        token: u32,
        now: SimTime,
    ) {
        if let Some(journeys) = self.journeys.as_deref_mut() {
            journeys.time_out(req, callee.0, caller.0, token, now);
        }
    }

    /// Takes the record of request `req`, whose answer has reached its end:
    /// removed, or kept (and marked ended) while calls made for it are still
    /// out. Returns `None` if it has no record or has already ended.
    pub fn take_request(&mut self, req: u32) -> Option<Request> {
        let request = self.requests.get_mut(req as usize)?;
        if request.ended {
            return None;
        }
        if request.calls_out > 0 {
            request.ended = true;
            return Some(*request);
        }
        Some(self.requests.remove(req as usize))
    }

    /// Notes a call made for request `req` that its caller may stop waiting
    /// for: the record stays until [`World::release_request`].
    #[inline]
    pub fn hold_request(&mut self, req: u32) {
        if let Some(request) = self.requests.get_mut(req as usize) {
            request.calls_out += 1;
        }
    }

    /// A call noted by [`World::hold_request`] was answered: the record of an
    /// ended request goes with its last such call.
    #[inline]
    pub fn release_request(&mut self, req: u32) {
        let Some(request) = self.requests.get_mut(req as usize) else {
            return;
        };
        request.calls_out = request.calls_out.saturating_sub(1);
        if request.calls_out == 0 && request.ended {
            self.requests.remove(req as usize);
        }
    }

    /// Records how a client request of type `kind` ended, at `now`.
    pub fn record_end(&mut self, counted: bool, kind: u16, ending: Ending, now: SimTime) {
        self.open = self.open.saturating_sub(1);
        self.recorder.finished(counted, kind, ending, now);
    }

    /// Returns the request behind a call.
    #[inline]
    pub fn request(&self, req: u32) -> Option<&Request> {
        self.requests.get(req as usize)
    }
}

/// The one-way latencies between the components of a run: the network's
/// between machines, IPC's between components on one host (or a component
/// and itself), the regions' between machines of two regions, and per-link
/// overrides; and the latencies between the users and the components.
///
/// Kept as facts rather than as a matrix of every pair, so that memory and
/// building time grow with the components, not with their square.
#[derive(Clone, Debug, Default)]
pub struct Latencies {
    /// Between two machines.
    network: SimTime,
    /// Between two components on one host.
    ipc: SimTime,
    /// The host of each component, [`NO_HOST`], or [`CLIENT_SIDE`].
    hosts: Vec<u32>,
    /// Per-link overrides, by `(a << 32) | b`, sorted, both directions.
    links: Vec<(u64, SimTime)>,
    /// The region of each component, or empty when no latencies between
    /// regions are given (every hop between machines is then ordinary).
    regions: Vec<u16>,
    /// The regions, their latencies and the users' home regions.
    geography: Geography,
    /// Whether a hop between a user and a component may take time (the
    /// users live in regions and the regions are apart).
    clients_travel: bool,
}

/// The host of a component that names none.
pub const NO_HOST: u32 = u32::MAX;

/// The host of a component without machines (a DNS): it stands for the
/// clients' side, and messages between it and anything take no time.
pub const CLIENT_SIDE: u32 = u32::MAX - 1;

impl Latencies {
    /// Creates the latencies of components placed on `hosts` (one entry each,
    /// [`NO_HOST`] for none), with `links` overriding pairs (either way).
    pub fn new(
        network: SimTime,
        ipc: SimTime,
        hosts: Vec<u32>,
        links: &[(usize, usize, SimTime)],
    ) -> Self {
        let mut pairs: Vec<(u64, SimTime)> = Vec::with_capacity(2 * links.len());
        for &(a, b, latency) in links {
            pairs.push(((a as u64) << 32 | b as u64, latency));
            pairs.push(((b as u64) << 32 | a as u64, latency));
        }
        pairs.sort_by_key(|&(key, _)| key);
        // A pair given twice keeps its last value, as a matrix written in order would.
        pairs.reverse();
        pairs.dedup_by_key(|&mut (key, _)| key);
        pairs.reverse();
        Self {
            network,
            ipc,
            hosts,
            links: pairs,
            regions: Vec::new(),
            geography: Geography::default(),
            clients_travel: false,
        }
    }

    /// Places the components in regions (one entry each, [`NO_REGION`] for
    /// none) of `geography`: with latencies between regions, a hop between
    /// machines of two regions takes that latency instead of the network's,
    /// and with the users' home regions too, so does a hop between a user
    /// and a machine of another region.
    pub fn with_regions(mut self, regions: Vec<u16>, geography: Geography) -> Self {
        if geography.has_latencies() {
            self.regions = regions;
        }
        self.clients_travel = geography.has_latencies() && geography.has_origins();
        self.geography = geography;
        self
    }

    /// Returns the one-way latency of a message from component `a` to `b`.
    #[inline]
    pub fn between(&self, a: u32, b: u32) -> SimTime {
        let n = self.hosts.len() as u32;
        if a >= n || b >= n {
            // The client side talks to the entry at no cost: latency is
            // measured from the arrival at the entry (the users' regions
            // are added apart, by `client_hop`).
            return SimTime::ZERO;
        }
        if !self.links.is_empty() {
            // No link names a component without machines (the scenario
            // refuses it).
            let key = u64::from(a) << 32 | u64::from(b);
            if let Ok(i) = self.links.binary_search_by_key(&key, |&(k, _)| k) {
                return self.links[i].1;
            }
        }
        let (host_a, host_b) = (self.hosts[a as usize], self.hosts[b as usize]);
        if a == b || (host_a != NO_HOST && host_a == host_b) {
            // Two components without machines never talk to each other.
            self.ipc
        } else if host_a == CLIENT_SIDE || host_b == CLIENT_SIDE {
            SimTime::ZERO
        } else if self.regions.is_empty() {
            self.network
        } else {
            self.geography
                .between(self.regions[a as usize], self.regions[b as usize])
                .unwrap_or(self.network)
        }
    }

    /// Returns the one-way latency between user `user` and component `c`.
    #[inline]
    pub fn client_hop(&self, user: u32, c: u32) -> SimTime {
        if !self.clients_travel {
            return SimTime::ZERO;
        }
        let region = self.regions.get(c as usize).copied().unwrap_or(NO_REGION);
        self.geography.user_hop(user, region)
    }
}

/// The engine context as the components of this model see it.
pub type Ctx<'a> = engine::Ctx<'a, Msg, World>;

/// Sends `call` to `to`, after the network latency between the two.
#[inline]
pub fn send_call(ctx: &mut Ctx<'_>, to: ComponentId, call: Call) {
    let (me, now) = (ctx.me(), ctx.now());
    let delay = ctx.shared.latency(me, to);
    if let Some(journeys) = ctx.shared.journeys.as_deref_mut() {
        let (caller, token, replica) = (me.0, call.token, call.replica);
        journeys.open(call.req, caller, to.0, token, replica, now, now + delay);
    }
    ctx.send(to, delay, Msg::Call(call));
}

/// Notes that a core of `replica` of this component took `call` now, for
/// the journeys of sampled requests: a kind calls it where the service of a
/// call starts ([`Stations::begin`](super::station::Stations::begin)'s
/// callers, a database's queries). A kind without cores needs not: its
/// calls start as they arrive.
#[inline]
pub fn note_start(ctx: &mut Ctx<'_>, call: &Call, replica: u32) {
    let (me, now) = (ctx.me(), ctx.now());
    if let Some(journeys) = ctx.shared.journeys.as_deref_mut() {
        journeys.start(call.req, me.0, call.reply_to.0, call.token, replica, now);
    }
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

/// Answers a probe of `replica` sent from a machine in zone `from`: a replica
/// that is `up` and not cut off from the prober reports its `load`; one that
/// is down or cut off stays silent, which is how health checks notice it.
#[inline]
pub fn answer_probe(
    ctx: &mut Ctx<'_>,
    up: bool,
    reply_to: ComponentId,
    from: u16,
    replica: u32,
    load: u32,
) {
    let here = ctx.shared.zone(ctx.me(), replica);
    if up && !ctx.shared.cut(from, here) {
        send_load(ctx, reply_to, replica, load);
    }
}

/// Answers `call` with `outcome`, after the network latency back to the
/// caller (to the clients: the way back to the user's region, if it lives in
/// another; a hop to the clients takes no time otherwise, as latency is
/// measured from the arrival at the entry).
#[inline]
pub fn send_reply(ctx: &mut Ctx<'_>, call: &Call, outcome: Outcome) {
    let delay = if call.reply_to == ctx.shared.clients {
        ctx.shared.way_back(call.req, ctx.me())
    } else {
        ctx.shared.latency(ctx.me(), call.reply_to)
    };
    send_reply_after(ctx, call, outcome, delay);
}

/// Answers `call` with `outcome`, to reach the caller after `delay`: for a
/// part that works out the way back itself (a DNS, whose answers travel to
/// the user's region).
///
/// An answer to the clients about a single attempt that takes no time on its
/// way ends the request at once ([`World::end_single_attempt`]); every other
/// answer is a message.
#[inline]
pub fn send_reply_after(ctx: &mut Ctx<'_>, call: &Call, outcome: Outcome, delay: SimTime) {
    let (me, now) = (ctx.me(), ctx.now());
    if let Some(journeys) = ctx.shared.journeys.as_deref_mut() {
        let (caller, token) = (call.reply_to.0, call.token);
        journeys.close(
            call.req,
            me.0,
            caller,
            token,
            call.replica,
            outcome,
            now,
            delay,
        );
    }
    if delay == SimTime::ZERO && call.reply_to == ctx.shared.clients {
        let now = ctx.now();
        if ctx.shared.end_single_attempt(call.token, outcome, now) {
            return;
        }
    }
    ctx.send(
        call.reply_to,
        delay,
        Msg::Reply {
            token: call.token,
            outcome,
        },
    );
}
