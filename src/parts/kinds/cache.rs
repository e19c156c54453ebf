//! `kind: cache`: an in-memory key-value layer in front of another component.
//!
//! A read looks its key up on the node that owns it (consistent hashing over
//! `replicas` nodes); a hit is answered after `hit_time`, a miss goes to the
//! `backend` and fills the cache on the way back. A write goes to the backend,
//! and once the backend has acknowledged it the cache applies its write
//! policy: drop the key (`invalidate`), store the new value (`write_through`),
//! or leave the old value to expire (`ttl_only`).
//!
//! A cache starts empty (cold), or, with `warm_start: true`, holding what an
//! LRU cache holds after serving the traffic for a long time: a run then
//! measures the cache at work, not its first minutes.
//!
//! A read is stale when the value it gets is older than the last write of its
//! key that this cache has seen acknowledged. Two ways make one: a write under
//! `ttl_only` leaves the old value cached, and a miss that was sent to the
//! backend before a write was acknowledged brings back the old value and
//! fills the cache with it (the classic cache-aside race).

mod eviction;
mod ring;
mod store;

use std::collections::BinaryHeap;

use rand::RngExt;
use serde::Deserialize;
use serde_json::Value;
use slab::Slab;

pub use eviction::EvictionKind;
use ring::Ring;
use store::{Lookup, Store};

use crate::engine::{Component, ComponentId, SimRng, SimTime};
use crate::keys::{KeyMap, KeySpace, Popularity};
use crate::metrics::{Better, ComponentStats, Measure, Reading, Unit, Window};
use crate::model::{About, Call, Cause, Msg, Outcome, ANY_REPLICA};
use crate::parts::data::{READS, STALE_READS, STALE_READ_RATIO, WRITES};
use crate::parts::machine;
use crate::parts::kind::needs_keys;
use crate::parts::{
    send_call, send_load, send_reply, BuildContext, Ctx, Kind, Part, SpecContext, Topology, World,
};
use crate::spec::limits::{MAX_REPLICAS, MAX_RING_POINTS, MAX_VIRTUAL_NODES, MAX_WARM_KEYS};
use crate::spec::{join_key, parse_lenient, refused, Duration, Issue, Price};

/// Time a lookup takes when `hit_time` is not given: an in-memory store on
/// the local network answers in about a tenth of a millisecond.
const DEFAULT_HIT_TIME: SimTime = SimTime(100_000);
/// Points per node on the hash ring when `virtual_nodes` is not given (the
/// ketama default).
const DEFAULT_VIRTUAL_NODES: u32 = 160;

/// What a cache does when a write of a key it may hold is acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WritePolicy {
    /// Drop the key: the next read misses and fetches the new value.
    Invalidate,
    /// Store the new value: the next read hits, fresh.
    WriteThrough,
    /// Do nothing: the old value is served (stale) until its ttl runs out.
    TtlOnly,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    replicas: Option<u32>,
    capacity: Option<u32>,
    eviction: Option<EvictionKind>,
    ttl: Option<Duration>,
    hit_time: Option<Duration>,
    backend: Option<String>,
    write_policy: Option<WritePolicy>,
    virtual_nodes: Option<u32>,
    warm_start: Option<bool>,
    price: Option<Price>,
}

/// The validated settings of a cache.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Nodes of the cluster; keys are spread over them by consistent hashing.
    pub replicas: u32,
    /// Entries one node holds.
    pub capacity: u32,
    /// Which entry a full node drops.
    pub eviction: EvictionKind,
    /// How long a filled value is served (`None`: until evicted or invalidated).
    pub ttl: Option<SimTime>,
    /// Time a lookup takes, hit or miss.
    pub hit_time: SimTime,
    /// Index of the component misses and writes go to; `None` only for a
    /// session store, which holds the sessions itself (a miss is no session).
    pub backend: Option<usize>,
    /// Whether the traffic gives requests keys: a cache that serves data
    /// needs them, a session store does not (it is keyed by user).
    pub keys_given: bool,
    /// What an acknowledged write does to the cached value.
    pub write_policy: WritePolicy,
    /// Points per node on the hash ring.
    pub virtual_nodes: u32,
    /// The keys requests draw from when the cache starts warm (each node
    /// holding what LRU would hold in the long run), `None` when it starts
    /// empty.
    pub warm_keys: Option<KeySpace>,
    /// The keys requests draw from, when a batch job may rebuild what the
    /// cache holds (`cron:` with `warms:`): at most [`MAX_WARM_KEYS`] of them.
    pub keys: Option<KeySpace>,
    /// Price of one node per hour.
    pub price_per_hour: f64,
}

/// The share of reads answered from the cache.
pub const HIT_RATIO: Measure =
    Measure::new("hit_ratio", "hit ratio", Unit::Share, Better::Higher).lesson(None);
/// Reads answered from the cache.
pub const HITS: Measure = Measure::new("hits", "hits", Unit::Count, Better::Higher);
/// Reads sent on to the backend.
pub const MISSES: Measure = Measure::new("misses", "misses", Unit::Count, Better::Lower);
/// Entries dropped to make room.
pub const EVICTIONS: Measure = Measure::new("evictions", "evictions", Unit::Count, Better::Neither);
/// Entries dropped because their time to live ran out.
pub const EXPIRATIONS: Measure =
    Measure::new("expirations", "expirations", Unit::Count, Better::Neither);
/// Entries held at the end of the run, over all nodes.
pub const ENTRIES: Measure = Measure::new("entries", "entries", Unit::Count, Better::Neither);

impl Kind for Spec {
    const NAME: &'static str = "cache";
    const MEASURES: &'static [&'static Measure] = &[
        &HIT_RATIO,
        &STALE_READ_RATIO,
        &READS,
        &HITS,
        &MISSES,
        &STALE_READS,
        &WRITES,
        &EVICTIONS,
        &EXPIRATIONS,
        &ENTRIES,
    ];
    type Part = Cache;

    fn parse(body: &Value, path: &str, cx: &SpecContext<'_>) -> Result<Self, Vec<Issue>> {
        parse(body, path, cx)
    }

    fn sketch(&self, _topology: &crate::parts::Topology) -> Vec<String> {
        let mut words = vec![
            format!("{} entries per node", self.capacity),
            crate::spec::units::yaml_name(&self.eviction),
        ];
        if let Some(ttl) = self.ttl {
            words.push(format!("ttl {}", crate::spec::units::format_duration(ttl)));
        }
        if self.backend.is_some() {
            words.push(format!("writes: {}", crate::spec::units::yaml_name(&self.write_policy)));
        }
        words
    }

    fn replicas(&self) -> u32 {
        self.replicas
    }

    fn crashes(&self) -> bool {
        true
    }

    fn price_per_hour(&self) -> f64 {
        self.price_per_hour
    }

    fn downstream(&self) -> Vec<usize> {
        self.backend.into_iter().collect()
    }

    /// Checks what a cache needs unless it only keeps sessions: a backend
    /// for its misses and writes, and requests with keys.
    fn check_against(&self, path: &str, topology: &Topology) -> Vec<Issue> {
        let name = path.rsplit('.').next().unwrap_or(path);
        let session_store = topology
            .index(name)
            .is_some_and(|i| topology.is_session_store(i));
        let mut issues = Vec::new();
        if self.backend.is_none() && !session_store {
            issues.push(Issue::new(path, MISSING_BACKEND));
        }
        if !self.keys_given && !session_store {
            issues.push(Issue::new(path, needs_keys("a cache")));
        }
        issues
    }

    fn build(&self, bx: &BuildContext<'_>) -> Cache {
        Cache::new(self, bx)
    }
}

/// Parses the fields of a cache (without the fields every kind has).
fn parse(body: &Value, path: &str, cx: &SpecContext<'_>) -> Result<Spec, Vec<Issue>> {
    let mut issues = Vec::new();
    let raw: Raw = parse_lenient(body, path, &mut issues).ok_or_else(|| issues.clone())?;
    let replicas = raw.replicas.unwrap_or(1);
    if replicas == 0 || replicas > MAX_REPLICAS {
        issues.push(Issue::new(
            join_key(path, "replicas"),
            format!("expected a number of cache nodes from 1 to {MAX_REPLICAS}, found {replicas}"),
        ));
    }
    let capacity = match raw.capacity {
        None => {
            issues.push(Issue::new(
                path,
                "missing field `capacity` (the entries one cache node holds)",
            ));
            1
        }
        Some(0) => {
            issues.push(Issue::new(
                join_key(path, "capacity"),
                "expected a positive number of entries, found 0",
            ));
            1
        }
        Some(c) => c.min(u32::MAX - 1),
    };
    // A cache without a backend, or without keys, is refused when the
    // scenario is checked as a whole, unless it is a session store.
    let backend = raw.backend.as_ref().and_then(|name| {
        cx.resolve(name, &join_key(path, "backend"))
            .map_err(|e| issues.push(e))
            .ok()
    });
    let ttl = raw.ttl.map(|d| d.0);
    if ttl == Some(SimTime::ZERO) {
        issues.push(Issue::new(
            join_key(path, "ttl"),
            "expected a positive time to live, found 0 (to cache nothing, remove the cache)",
        ));
    }
    let write_policy = raw.write_policy.unwrap_or(WritePolicy::Invalidate);
    if write_policy == WritePolicy::TtlOnly
        && ttl.is_none()
        && !refused(&issues, &join_key(path, "ttl"))
    {
        issues.push(Issue::new(
            join_key(path, "write_policy"),
            "`ttl_only` needs a `ttl`: without one a stale value would be served until evicted",
        ));
    }
    let virtual_nodes = raw.virtual_nodes.unwrap_or(DEFAULT_VIRTUAL_NODES);
    if virtual_nodes == 0 || virtual_nodes > MAX_VIRTUAL_NODES {
        issues.push(Issue::new(
            join_key(path, "virtual_nodes"),
            format!(
                "expected from 1 to {MAX_VIRTUAL_NODES} points per node, found {virtual_nodes}"
            ),
        ));
    } else if u64::from(replicas) * u64::from(virtual_nodes) > MAX_RING_POINTS {
        issues.push(Issue::new(
            join_key(path, "virtual_nodes"),
            format!(
                "{replicas} nodes of {virtual_nodes} points make a ring of {} points; \
                 the most is {MAX_RING_POINTS} (use fewer virtual nodes)",
                u64::from(replicas) * u64::from(virtual_nodes)
            ),
        ));
    }
    let warm_keys = match (raw.warm_start, cx.keys) {
        (Some(true), Some(keys)) if keys.count > MAX_WARM_KEYS => {
            issues.push(Issue::new(
                join_key(path, "warm_start"),
                format!(
                    "a warm start looks at every key once: at most {MAX_WARM_KEYS} keys, \
                     found {} in traffic.keys (start cold, with a longer warmup)",
                    keys.count
                ),
            ));
            None
        }
        (Some(true), Some(keys)) => Some(*keys),
        _ => None,
    };
    if !issues.is_empty() {
        return Err(issues);
    }
    Ok(Spec {
        replicas,
        capacity,
        eviction: raw.eviction.unwrap_or(EvictionKind::Lru),
        ttl,
        hit_time: raw.hit_time.map_or(DEFAULT_HIT_TIME, |d| d.0),
        backend,
        keys_given: cx.keys.is_some(),
        write_policy,
        virtual_nodes,
        warm_keys,
        keys: cx.keys.copied().filter(|k| k.count <= MAX_WARM_KEYS),
        price_per_hour: raw
            .price
            .map_or_else(|| machine::price(2, 1.0), |p| p.per_hour),
    })
}

/// Why a cache that is not a session store needs a backend.
const MISSING_BACKEND: &str = "missing field `backend` (the component a miss goes to, like a database)";

/// Timer tag of a lookup that has taken its `hit_time` (the low bits are the token).
const LOOKUP: u64 = 0;

/// A request inside the cache, from its arrival to its answer.
#[derive(Clone, Copy, Debug)]
struct Pending {
    call: Call,
    key: u32,
    write: bool,
    /// The node that served it.
    node: u32,
    /// Write acknowledgements seen when a miss was sent to the backend.
    writes_seen: u64,
    /// Already answered (its node failed): freed silently when its last
    /// message comes back.
    orphan: bool,
}

/// Misses of one key in flight to the backend, and the last write of the key
/// acknowledged meanwhile: enough to tell whether a fill brings an old value.
#[derive(Clone, Copy, Debug, Default)]
struct InFlight {
    misses: u32,
    /// Sequence number of the last acknowledged write of the key.
    last_write: u64,
}

/// Counts over the measured window.
#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    reads: u64,
    hits: u64,
    stale: u64,
    writes: u64,
    evictions: u64,
    expirations: u64,
    /// Requests answered successfully.
    answered: u64,
}

/// A cache while it runs.
pub struct Cache {
    name: String,
    backend: Option<ComponentId>,
    nodes: Vec<Store>,
    ring: Ring,
    eviction: EvictionKind,
    policy: WritePolicy,
    ttl: Option<SimTime>,
    hit_time: SimTime,
    pending: Slab<Pending>,
    /// Keys with misses in flight; bounded by the requests in flight.
    in_flight: KeyMap<InFlight>,
    /// Write acknowledgements so far: a logical clock that orders writes and
    /// misses exactly, even at the same instant.
    write_acks: u64,
    window: Window,
    rng: SimRng,
    counts: Counters,
    /// Requests of a failed node, answered already, kept until their lookup
    /// or their backend's answer comes back.
    orphans: usize,
    /// The keys a batch job refills the cache with, if it may be refilled.
    keys: Option<KeySpace>,
    /// The draws of those refills.
    refill_rng: SimRng,
}

impl Cache {
    /// Builds the cache described by `spec`, empty or warm.
    fn new(spec: &Spec, bx: &BuildContext<'_>) -> Self {
        let ring = Ring::new(spec.replicas, spec.virtual_nodes);
        let mut nodes: Vec<Store> = (0..spec.replicas)
            .map(|_| Store::new(spec.capacity, spec.eviction))
            .collect();
        if let Some(keys) = &spec.warm_keys {
            warm_up(&mut nodes, &ring, keys, spec.ttl, &mut bx.rng("warm"));
        }
        Self {
            name: bx.name().to_string(),
            backend: spec.backend.map(|b| bx.id(b)),
            nodes,
            ring,
            eviction: spec.eviction,
            policy: spec.write_policy,
            ttl: spec.ttl,
            hit_time: spec.hit_time,
            pending: Slab::new(),
            in_flight: KeyMap::default(),
            write_acks: 0,
            window: bx.window,
            rng: bx.rng("evict"),
            counts: Counters::default(),
            orphans: 0,
            keys: spec.keys,
            refill_rng: bx.rng("refill"),
        }
    }

    /// Takes node `node` out of the cluster: its entries are lost, its keys
    /// move to the next nodes on the ring, and the requests it was serving
    /// fail.
    fn node_failed(&mut self, node: u32, ctx: &mut Ctx<'_>) {
        self.ring.set_up(node, false);
        if let Some(store) = self.nodes.get_mut(node as usize) {
            store.clear(self.eviction);
        }
        let calls: Vec<Call> = self
            .pending
            .iter_mut()
            .filter(|(_, p)| p.node == node && !p.orphan)
            .map(|(_, p)| {
                p.orphan = true;
                p.call
            })
            .collect();
        self.orphans += calls.len();
        for call in calls {
            // Answered now while the backend may still work on it: its
            // record stays until the orphan leaves (`look_up`, `answered`).
            ctx.shared.hold_request(call.req);
            self.answer(&call, Outcome::Failed(Cause::Crash), ctx);
        }
    }

    /// Puts node `node` back in the cluster, empty: it takes its keys back and
    /// misses on all of them at first (a cold cache).
    fn node_recovered(&mut self, node: u32) {
        if let Some(store) = self.nodes.get_mut(node as usize) {
            store.clear(self.eviction);
        }
        self.ring.set_up(node, true);
    }

    fn counting(&self, ctx: &Ctx<'_>) -> bool {
        self.window.contains(ctx.now())
    }

    fn accept(&mut self, call: Call, ctx: &mut Ctx<'_>) {
        let (key, write) = ctx
            .shared
            .request(call.req)
            .map_or((0, false), |r| call.about.key_and_op(r));
        let Some(node) = self.ring.node_of(key) else {
            self.answer(&call, Outcome::Failed(Cause::Down), ctx);
            return;
        };
        let token = self.pending.insert(Pending {
            call,
            key,
            write,
            node,
            writes_seen: 0,
            orphan: false,
        }) as u32;
        if self.hit_time == SimTime::ZERO {
            self.look_up(token, ctx);
        } else {
            ctx.schedule_self(self.hit_time, Msg::Timer(LOOKUP | u64::from(token)));
        }
    }

    /// The lookup is done: answer a hit, or send a miss or a write to the backend.
    fn look_up(&mut self, token: u32, ctx: &mut Ctx<'_>) {
        let Some(p) = self.pending.get(token as usize).copied() else {
            return;
        };
        if p.orphan {
            self.pending.remove(token as usize);
            self.orphans -= 1;
            ctx.shared.release_request(p.call.req);
            return;
        }
        let counting = self.counting(ctx);
        if p.write {
            if counting {
                self.counts.writes += 1;
            }
            if self.backend.is_some() {
                self.forward(token, ctx);
            } else {
                // The cache is the store: the write stores the value here.
                self.pending.remove(token as usize);
                self.fill(p.key, false, ctx.now());
                self.answer(&p.call, Outcome::Ok, ctx);
            }
            return;
        }
        let now = ctx.now();
        let lookup = match self.nodes.get_mut(p.node as usize) {
            Some(store) => store.get(p.key, now),
            None => Lookup::Miss,
        };
        if counting {
            self.counts.reads += 1;
        }
        match lookup {
            Lookup::Hit { stale } => {
                if counting {
                    self.counts.hits += 1;
                    self.counts.stale += u64::from(stale);
                }
                self.pending.remove(token as usize);
                self.answer(&p.call, Outcome::Ok, ctx);
            }
            Lookup::Expired | Lookup::Miss => {
                if counting && lookup == Lookup::Expired {
                    self.counts.expirations += 1;
                }
                if self.backend.is_none() {
                    self.not_found(token, ctx);
                    return;
                }
                self.in_flight.entry(p.key).or_default().misses += 1;
                if let Some(p) = self.pending.get_mut(token as usize) {
                    p.writes_seen = self.write_acks;
                }
                self.forward(token, ctx);
            }
        }
    }

    /// Answers a read that missed in a cache with no backend: a session that
    /// is not there is lost; a data read is answered with nothing found.
    fn not_found(&mut self, token: u32, ctx: &mut Ctx<'_>) {
        let p = self.pending.remove(token as usize);
        let outcome = if p.call.about == About::SessionRead {
            Outcome::Failed(Cause::SessionLost)
        } else {
            Outcome::Ok
        };
        self.answer(&p.call, outcome, ctx);
    }

    fn forward(&mut self, token: u32, ctx: &mut Ctx<'_>) {
        let (Some(p), Some(backend)) = (self.pending.get(token as usize), self.backend) else {
            return;
        };
        let call = Call {
            req: p.call.req,
            reply_to: ctx.me(),
            token,
            replica: ANY_REPLICA,
            zone: ctx.shared.zone(ctx.me(), 0),
            about: p.call.about,
        };
        send_call(ctx, backend, call);
    }

    /// The backend answered a miss or a write.
    fn answered(&mut self, token: u32, outcome: Outcome, ctx: &mut Ctx<'_>) {
        if !self.pending.contains(token as usize) {
            return;
        }
        let p = self.pending.remove(token as usize);
        if p.orphan {
            self.orphans -= 1;
            ctx.shared.release_request(p.call.req);
        }
        if p.write {
            if outcome == Outcome::Ok {
                self.write_acknowledged(p.key, ctx.now());
            }
        } else {
            // The miss is no longer in flight, whatever happens next.
            let overtaken = match self.in_flight.get_mut(&p.key) {
                Some(f) => {
                    f.misses = f.misses.saturating_sub(1);
                    let overtaken = f.last_write > p.writes_seen;
                    if f.misses == 0 {
                        self.in_flight.remove(&p.key);
                    }
                    overtaken
                }
                None => false,
            };
            if outcome == Outcome::Ok && !p.orphan {
                self.fill(p.key, overtaken, ctx.now());
            }
        }
        if !p.orphan {
            self.answer(&p.call, outcome, ctx);
        }
    }

    /// Applies the write policy to a write the backend has acknowledged.
    fn write_acknowledged(&mut self, key: u32, now: SimTime) {
        self.write_acks += 1;
        if let Some(f) = self.in_flight.get_mut(&key) {
            f.last_write = self.write_acks;
        }
        let Some(node) = self.ring.node_of(key) else {
            return;
        };
        let expires = self.expiry(now);
        let Some(store) = self.nodes.get_mut(node as usize) else {
            return;
        };
        match self.policy {
            WritePolicy::Invalidate => {
                store.remove(key);
            }
            WritePolicy::WriteThrough => {
                let evicted = store.put(key, expires, false, &mut self.rng);
                if evicted && self.window.contains(now) {
                    self.counts.evictions += 1;
                }
            }
            WritePolicy::TtlOnly => store.mark_stale(key),
        }
    }

    /// Stores the value a miss brought back; `stale` when a write of the key
    /// was acknowledged while the miss was in flight.
    fn fill(&mut self, key: u32, stale: bool, now: SimTime) {
        let Some(node) = self.ring.node_of(key) else {
            return;
        };
        let expires = self.expiry(now);
        if let Some(store) = self.nodes.get_mut(node as usize) {
            let evicted = store.put(key, expires, stale, &mut self.rng);
            if evicted && self.window.contains(now) {
                self.counts.evictions += 1;
            }
        }
    }

    fn expiry(&self, now: SimTime) -> SimTime {
        self.ttl.map_or(SimTime::MAX, |ttl| now + ttl)
    }

    fn answer(&mut self, call: &Call, outcome: Outcome, ctx: &mut Ctx<'_>) {
        if outcome == Outcome::Ok && self.counting(ctx) {
            self.counts.answered += 1;
        }
        send_reply(ctx, call, outcome);
    }
}

/// Fills `nodes` as LRU leaves a cache that has served requests for the
/// keys of `keys` for a long time.
///
/// Under independent requests, the time since key i was last asked for is
/// exponential with a rate proportional to its popularity p_i, independently
/// of the other keys, and an LRU node holds the `capacity` keys asked for
/// most recently. So each key owned by a node (on `ring`) gets an age
/// `E / p_i`, E drawn from the exponential law from `rng` (the common factor,
/// the node's request rate, changes no order), the node keeps the youngest,
/// and they are filled oldest first, so that the recency order is theirs too.
/// This is LRU's steady state exactly; other policies start from it and
/// settle at their own. With a `ttl`, each entry's remaining life is drawn
/// uniformly in (0, ttl], so that they do not all expire at once.
fn warm_up(
    nodes: &mut [Store],
    ring: &Ring,
    keys: &KeySpace,
    ttl: Option<SimTime>,
    rng: &mut SimRng,
) {
    let expiry = |rng: &mut SimRng| ttl.map_or(SimTime::MAX, |ttl| SimTime(rng.random_range(1..=ttl.0)));
    fill(nodes, ring, keys, rng, expiry);
}

/// Empties every node and fills it with the keys LRU would hold in the long
/// run, as a batch job that precomputes them does at `now`: every entry is
/// fresh and stays valid until the next rebuild, `life` from now (a cache
/// without a `ttl` keeps its entries until evicted, as always).
fn refill(
    nodes: &mut [Store],
    ring: &Ring,
    keys: &KeySpace,
    (ttl, now, life): (Option<SimTime>, SimTime, SimTime),
    eviction: EvictionKind,
    rng: &mut SimRng,
) {
    for store in nodes.iter_mut() {
        store.clear(eviction);
    }
    let expires = ttl.map_or(SimTime::MAX, |_| now + life);
    fill(nodes, ring, keys, rng, |_| expires);
}

/// Fills each node on `ring` with the keys of `keys` that LRU would hold in
/// the long run (see [`warm_up`]), each expiring at the time `expiry` draws.
fn fill(
    nodes: &mut [Store],
    ring: &Ring,
    keys: &KeySpace,
    rng: &mut SimRng,
    mut expiry: impl FnMut(&mut SimRng) -> SimTime,
) {
    // Per node, the youngest keys so far, oldest on top. An age is positive,
    // so the order of its bits is the order of the numbers.
    let mut youngest: Vec<BinaryHeap<(u64, u32)>> = vec![BinaryHeap::new(); nodes.len()];
    for key in 0..keys.count {
        let Some(node) = ring.node_of(key) else {
            return;
        };
        let popularity = match keys.popularity {
            Popularity::Uniform => 1.0,
            // Key k has rank k + 1; the law's normalising sum changes no order.
            Popularity::Zipf { s } => (f64::from(key) + 1.0).powf(-s),
        };
        let draw: f64 = rng.random();
        // Subtracting from +0 keeps a zero age positive (its sign bit clear).
        let age = ((0.0 - (1.0 - draw).ln()) / popularity.max(f64::MIN_POSITIVE)).to_bits();
        let (heap, capacity) = (&mut youngest[node as usize], nodes[node as usize].capacity());
        if heap.len() < capacity as usize {
            heap.push((age, key));
        } else if heap.peek().is_some_and(|&(oldest, _)| age < oldest) {
            heap.pop();
            heap.push((age, key));
        }
    }
    for (store, heap) in nodes.iter_mut().zip(youngest) {
        for (_, key) in heap.into_sorted_vec().into_iter().rev() {
            let expires = expiry(rng);
            store.put(key, expires, false, rng);
        }
    }
}

impl Component<Msg, World> for Cache {
    fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
        match msg {
            Msg::Call(call) => self.accept(call, ctx),
            Msg::Timer(tag) => self.look_up(tag as u32, ctx),
            Msg::Reply { token, outcome } => self.answered(token, outcome, ctx),
            Msg::Probe {
                reply_to, replica, ..
            } => {
                // A cache has no queue: its load is the requests it holds.
                let load = self.pending.len() as u32;
                send_load(ctx, reply_to, replica, load);
            }
            Msg::Load { .. } | Msg::Control(_) => {}
        }
    }

    fn on_finish(&mut self, ctx: &mut Ctx<'_>) {
        let c = self.counts;
        let ratio = |n: u64| {
            if c.reads == 0 {
                0.0
            } else {
                n as f64 / c.reads as f64
            }
        };
        let entries: usize = self.nodes.iter().map(Store::len).sum();
        ctx.shared.recorder.component(ComponentStats {
            name: self.name.clone(),
            kind: <Spec as Kind>::NAME,
            utilization: 0.0,
            cores: 0,
            mean_queue: 0.0,
            completed: c.answered,
            rejected: 0,
            up_levels: Vec::new(),
            extra: vec![
                Reading::of(&HIT_RATIO, ratio(c.hits)),
                Reading::of(&STALE_READ_RATIO, ratio(c.stale)),
                Reading::of(&READS, c.reads as f64),
                Reading::of(&HITS, c.hits as f64),
                Reading::of(&MISSES, (c.reads - c.hits) as f64),
                Reading::of(&STALE_READS, c.stale as f64),
                Reading::of(&WRITES, c.writes as f64),
                Reading::of(&EVICTIONS, c.evictions as f64),
                Reading::of(&EXPIRATIONS, c.expirations as f64),
                Reading::of(&ENTRIES, entries as f64),
            ],
        });
    }
}

impl Part for Cache {
    fn held(&self) -> usize {
        self.orphans
    }

    /// A batch job rebuilt what the cache holds: every node up is emptied
    /// and filled again with the keys LRU would hold in the long run, valid
    /// for `life`.
    fn warm(&mut self, life: SimTime, ctx: &mut Ctx<'_>) {
        let Some(keys) = self.keys else {
            return;
        };
        let now = ctx.now();
        refill(
            &mut self.nodes,
            &self.ring,
            &keys,
            (self.ttl, now, life),
            self.eviction,
            &mut self.refill_rng,
        );
    }

    /// A crashed node loses its entries and comes back cold.
    fn crash(&mut self, node: u32, ctx: &mut Ctx<'_>) {
        self.node_failed(node, ctx);
    }

    fn recover(&mut self, node: u32, _ctx: &mut Ctx<'_>) {
        self.node_recovered(node);
    }
}

#[cfg(test)]
mod tests {
    use crate::runner;
    use crate::scenario::load_text;

    /// A cache over a database with zero-time work, so that only the cache's
    /// own logic shapes the figures.
    fn scenario(cache: &str, keys: &str, write_weight: f64) -> String {
        format!(
            "name: cache test
seed: 3
duration: 20s
warmup: 2s
traffic:
  rate: 2000/s
  keys: {keys}
  requests: {{get: {{weight: 1}}, put: {{weight: {write_weight}, op: write}}}}
entry: cache
network: {{latency: 1ms}}
components:
  cache: {cache}
  db: {{kind: database, work: 0ms}}
"
        )
    }

    fn extra(run: &crate::metrics::RunSummary, name: &str) -> f64 {
        run.components[0].reading(name).unwrap()
    }

    fn run(yaml: &str) -> crate::metrics::RunSummary {
        let s = load_text(yaml, "t", &[]).unwrap();
        runner::simulate(&s, 0)
    }

    #[test]
    fn ttl_only_serves_stale_values_and_invalidate_almost_never() {
        let keys = "{count: 100, popularity: uniform}";
        let ttl_only = run(&scenario(
            "{kind: cache, capacity: 1000, backend: db, ttl: 1s, write_policy: ttl_only}",
            keys,
            0.1,
        ));
        let invalidate = run(&scenario(
            "{kind: cache, capacity: 1000, backend: db, ttl: 1s}",
            keys,
            0.1,
        ));
        let through = run(&scenario(
            "{kind: cache, capacity: 1000, backend: db, ttl: 1s, write_policy: write_through}",
            keys,
            0.1,
        ));
        let stale_ttl = extra(&ttl_only, "stale_read_ratio");
        let stale_inv = extra(&invalidate, "stale_read_ratio");
        let stale_wt = extra(&through, "stale_read_ratio");
        // Each key is written about 1.8 times a second: under ttl_only a cached
        // value is replaced well within its 1 s life, so many hits are stale.
        assert!(stale_ttl > 0.2, "ttl_only stale ratio {stale_ttl}");
        // Invalidation only leaves the race of a miss overtaken by a write
        // (the backend answers in 2 ms of network: a small window).
        assert!(stale_inv < 0.02, "invalidate stale ratio {stale_inv}");
        assert!(stale_wt < 0.02, "write_through stale ratio {stale_wt}");
        // Write-through keeps written keys cached: more hits than invalidation.
        assert!(extra(&through, "hit_ratio") > extra(&invalidate, "hit_ratio"));
        assert_eq!(ttl_only.requests.failed + ttl_only.requests.rejected, 0);
    }

    #[test]
    fn a_miss_overtaken_by_a_write_fills_a_stale_value() {
        // One key, slow backend reads through a long link: misses are in flight
        // while writes are acknowledged, so invalidation alone cannot prevent
        // stale fills (and without a ttl they would last until the next write).
        let yaml = scenario(
            "{kind: cache, capacity: 10, backend: db, ttl: 50ms}",
            "{count: 1}",
            1.0,
        )
        .replace("latency: 1ms", "latency: 5ms");
        let r = run(&yaml);
        assert!(extra(&r, "stale_reads") > 0.0);
        assert!(extra(&r, "stale_read_ratio") < 1.0);
    }

    #[test]
    fn a_cache_without_keys_is_refused_but_not_for_a_broken_traffic_section() {
        let yaml = "name: x\nduration: 10s\ntraffic:\n  rate: 100/s\nentry: c\ncomponents:\n  \
                    c: {kind: cache, capacity: 5, backend: db}\n  db: {kind: database}\n";
        let e = load_text(yaml, "t", &[]).unwrap_err();
        assert_eq!(e.issues.len(), 1);
        assert!(e.issues[0].message.contains("needs requests with keys"));
        // The rate is wrong, the keys are there: one mistake, one error.
        let broken = yaml.replace("rate: 100/s", "rate: 100\n  keys: {count: 10}");
        let e = load_text(&broken, "t", &[]).unwrap_err();
        assert_eq!(e.issues.len(), 1, "{e}");
        assert_eq!(e.issues[0].path, "traffic.rate");
    }

    #[test]
    fn without_writes_or_ttl_every_key_misses_once() {
        let r = run(&scenario(
            "{kind: cache, capacity: 1000, backend: db}",
            "{count: 50}",
            0.0,
        )
        .replace("warmup: 2s", "warmup: 0s")
        // Misses are answered at once, so no two misses of a key overlap.
        .replace("latency: 1ms", "latency: 0ms"));
        assert_eq!(extra(&r, "misses"), 50.0);
        assert_eq!(extra(&r, "entries"), 50.0);
        assert_eq!(extra(&r, "stale_reads"), 0.0);
    }

    #[test]
    fn a_warm_cache_holds_every_key_it_can_from_the_start() {
        let cold = "{kind: cache, capacity: 1000, backend: db}";
        let warm = "{kind: cache, capacity: 1000, backend: db, warm_start: true}";
        let yaml = |cache| {
            scenario(cache, "{count: 50}", 0.0)
                .replace("warmup: 2s", "warmup: 0s")
                .replace("latency: 1ms", "latency: 0ms")
        };
        let r = run(&yaml(warm));
        assert_eq!(extra(&r, "misses"), 0.0);
        assert_eq!(extra(&r, "entries"), 50.0);
        // The same run from cold misses each key once.
        assert_eq!(extra(&run(&yaml(cold)), "misses"), 50.0);
    }

    #[test]
    fn a_warm_start_fills_each_node_with_keys_it_owns_the_popular_ones_first() {
        use super::*;
        use crate::engine::stream_rng;

        let ring = Ring::new(3, 40);
        let mut rng = stream_rng(0, 0, &["t"]);
        let keys = KeySpace {
            count: 3000,
            popularity: Popularity::Zipf { s: 1.0 },
        };
        let mut nodes: Vec<Store> = (0..3).map(|_| Store::new(300, EvictionKind::Lru)).collect();
        warm_up(&mut nodes, &ring, &keys, None, &mut rng);
        for (n, store) in nodes.iter_mut().enumerate() {
            let owned: Vec<u32> = (0..3000).filter(|&k| ring.node_of(k) == Some(n as u32)).collect();
            assert!(owned.len() > 300, "node {n} owns {} keys", owned.len());
            assert_eq!(store.len(), 300, "node {n} is full");
            let held = |store: &mut Store, k: u32| matches!(store.get(k, SimTime(1)), Lookup::Hit { .. });
            // Its ten most popular keys are asked for hundreds of times as
            // often as its least popular: they are held.
            assert!(owned[..10].iter().all(|&k| held(store, k)), "node {n}");
            // Only its own keys.
            let others = (0..3000).filter(|&k| ring.node_of(k) != Some(n as u32));
            assert!(others.into_iter().all(|k| !held(store, k)), "node {n}");
        }
        // A node owning fewer keys than it can hold holds them all.
        let small = KeySpace {
            count: 500,
            popularity: Popularity::Uniform,
        };
        let mut nodes: Vec<Store> = (0..3).map(|_| Store::new(300, EvictionKind::Lru)).collect();
        warm_up(&mut nodes, &ring, &small, None, &mut rng);
        assert_eq!(nodes.iter().map(Store::len).sum::<usize>(), 500);
    }

    #[test]
    fn a_warm_start_spreads_the_expiries_over_the_ttl() {
        use super::*;
        use crate::engine::stream_rng;

        let ring = Ring::new(1, 1);
        let mut rng = stream_rng(0, 0, &["t"]);
        let mut nodes = vec![Store::new(1000, EvictionKind::Lru)];
        let ttl = SimTime::from_millis(1000);
        let keys = KeySpace {
            count: 1000,
            popularity: Popularity::Uniform,
        };
        warm_up(&mut nodes, &ring, &keys, Some(ttl), &mut rng);
        // After a quarter of the ttl about a quarter of the entries have
        // expired: 250 expected, binomial standard deviation 14.
        let quarter = SimTime::from_millis(250);
        let expired = (0..1000)
            .filter(|&k| nodes[0].get(k, quarter) == Lookup::Expired)
            .count();
        assert!((180..=320).contains(&expired), "{expired} expired");
        // None outlives the ttl.
        assert!((0..1000).all(|k| nodes[0].get(k, ttl) != Lookup::Hit { stale: false }));
    }

    #[test]
    fn a_warm_start_over_too_many_keys_is_refused() {
        let yaml = scenario(
            "{kind: cache, capacity: 10, backend: db, warm_start: true}",
            "{count: 20000000}",
            0.0,
        );
        let e = load_text(&yaml, "t", &[]).unwrap_err();
        assert_eq!(e.issues.len(), 1, "{e}");
        assert_eq!(e.issues[0].path, "components.cache.warm_start");
        assert!(e.issues[0].message.contains("10000000"), "{e}");
    }

    #[test]
    fn a_failed_node_fails_its_requests_and_comes_back_cold() {
        use std::cell::Cell;
        use std::rc::Rc;

        use super::*;
        use crate::engine::Simulation;
        use crate::parts::ComponentSpec;
        use crate::metrics::Recorder;

        let yaml = scenario(
            "{kind: cache, replicas: 3, capacity: 1000, backend: db}",
            "{count: 300}",
            0.0,
        );
        let s = load_text(&yaml, "t", &[]).unwrap();
        let ComponentSpec::Cache(spec) = &s.components[0].spec else {
            panic!("not a cache")
        };
        let window = Window {
            start: SimTime::ZERO,
            end: s.duration,
        };
        let bx = BuildContext {
            index: 0,
            seed: s.seed,
            replication: 0,
            window,
            topology: &s.topology,
        };

        /// Fills the cache, puts a request in flight on the node of key 0,
        /// then fails that node and brings it back.
        struct Harness(Cache);
        impl Component<Msg, World> for Harness {
            fn on_event(&mut self, _msg: Msg, ctx: &mut Ctx<'_>) {
                let c = &mut self.0;
                for key in 0..300 {
                    let node = c.ring.node_of(key).unwrap() as usize;
                    c.nodes[node].put(key, SimTime::MAX, false, &mut c.rng);
                }
                let victim = c.ring.node_of(0).unwrap();
                assert!(c.nodes[victim as usize].len() > 50);
                c.pending.insert(Pending {
                    call: Call {
                        req: 0,
                        reply_to: ComponentId(1),
                        token: 7,
                        replica: ANY_REPLICA,
                        zone: crate::model::OUTSIDE,
                        about: crate::model::About::Request,
                    },
                    key: 0,
                    write: false,
                    node: victim,
                    writes_seen: 0,
                    orphan: false,
                });
                c.node_failed(victim, ctx);
                assert!(c.nodes[victim as usize].is_empty());
                assert!((0..300).all(|k| c.ring.node_of(k) != Some(victim)));
                c.node_recovered(victim);
                assert_eq!(c.ring.node_of(0), Some(victim));
                assert_eq!(c.nodes[victim as usize].get(0, ctx.now()), Lookup::Miss);
            }
        }
        /// Counts the failed answers to token 7.
        struct Sink(Rc<Cell<u32>>);
        impl Component<Msg, World> for Sink {
            fn on_event(&mut self, msg: Msg, _ctx: &mut Ctx<'_>) {
                if msg
                    == (Msg::Reply {
                        token: 7,
                        outcome: Outcome::Failed(Cause::Crash),
                    })
                {
                    self.0.set(self.0.get() + 1);
                }
            }
        }
        let failed = Rc::new(Cell::new(0));
        let recorder = Recorder::new(window, s.duration, crate::metrics::Slo::default());
        let mut sim: Simulation<Msg, World> =
            Simulation::new(World::new(recorder, Default::default(), vec![]));
        let harness = sim.add(Box::new(Harness(Cache::new(spec, &bx))));
        sim.add(Box::new(Sink(failed.clone())));
        sim.schedule(SimTime(5), harness, Msg::Timer(0));
        sim.run_until(SimTime(10), |_| false);
        assert_eq!(
            failed.get(),
            1,
            "the request on the failed node is answered once"
        );
    }
}
