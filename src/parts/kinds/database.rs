//! `kind: database`: a data store whose nodes serve queries on cores, with
//! replication, partitioning and their consistency price.
//!
//! Each shard is a group of nodes: one primary and `read_replicas` replicas
//! (`mode: single_primary`), or `primaries` nodes that all accept writes
//! (`mode: multi_primary`). A query goes to the shard of its key, then to a
//! node: writes to the primary (or any primary), reads to a replica or to the
//! primary as `reads:` says. On its node it takes a connection (waiting for
//! one beyond `max_connections`), then a core like on any station.
//!
//! A committed write is shipped to the other nodes of its shard, each after a
//! lag drawn from `lag`/`lag_law`, applied in order. With `replication: async`
//! the client is answered at once; `semi_sync` waits until the first replica
//! has it, `sync` until every replica has it (holding the connection). A read
//! at a node that has not applied the last acknowledged write of its key is a
//! stale read; a write at a primary that has not applied another primary's
//! last write of the key is a conflict.

mod replication;
mod sharding;
mod spec;

use std::collections::VecDeque;

use rand::RngExt;
use serde_json::Value;
use slab::Slab;

use replication::Replication;
pub use sharding::{shard_of, Partitioning};
pub use spec::{Mode, ReadsFrom, ReplicationMode, Spec, MAX_NODES_PER_SHARD, MAX_SHARDS};

use crate::engine::{request_rng, stream_seed, Component, SimRng, SimTime};
use crate::keys::mix;
use crate::metrics::{
    Better, ComponentStats, Measure, Presence, Reading, TimeAverage, Unit, Window,
};
use crate::model::{About, Call, Cause, Msg, Outcome};
use crate::parts::data::{READS, STALE_READS, STALE_READ_RATIO, WRITES};
use crate::parts::station::{
    busiest, little_readings, Admission, ServiceTime, Station, BUSIEST, DEPARTURE_RPS, IN_SYSTEM,
    LITTLE_EDGE, LITTLE_GAP, SOJOURN_MS,
};
use crate::parts::{
    send_load, send_reply, BuildContext, Ctx, Kind, Part, SpecContext, Topology, World,
};
use crate::spec::Issue;

/// Writes a client or another primary wrote at the same time as this one
/// (multi-primary): each is a conflict to resolve.
pub const CONFLICTS: Measure =
    Measure::new("conflicts", "conflicting writes", Unit::Count, Better::Lower).lesson(Some(0.0));
/// Busy share of the primaries' cores.
pub const PRIMARY_UTILIZATION: Measure = Measure::new(
    "primary_utilization",
    "primary utilisation",
    Unit::Share,
    Better::Neither,
);
/// Busy share of the read replicas' cores.
pub const REPLICA_UTILIZATION: Measure = Measure::new(
    "replica_utilization",
    "replica utilisation",
    Unit::Share,
    Better::Neither,
);
/// Writes acknowledged to the client, then lost when their primary failed
/// before a replica had them (asynchronous replication).
pub const LOST_WRITES: Measure =
    Measure::new("lost_writes", "lost writes", Unit::Count, Better::Lower).lesson(Some(0.0));
/// Queries waiting for a connection, time-averaged, over all nodes.
pub const MEAN_CONNECTION_QUEUE: Measure = Measure::new(
    "mean_connection_queue",
    "mean connection queue",
    Unit::Requests,
    Better::Lower,
);
/// Busy share of the cores of the busiest shard: a hot shard is the bottleneck.
pub const HOT_SHARD_UTILIZATION: Measure = Measure::new(
    "hot_shard_utilization",
    "hot shard utilisation",
    Unit::Share,
    Better::Lower,
)
.lesson(None);
/// Busy share of the cores of each shard.
pub const SHARD_UTILIZATION: Measure = Measure::new(
    "shard_{i}_utilization",
    "shard {i} utilisation",
    Unit::Share,
    Better::Neither,
);

impl Kind for Spec {
    const NAME: &'static str = "database";
    const MEASURES: &'static [&'static Measure] = &[
        &READS,
        &WRITES,
        &BUSIEST,
        &STALE_READS,
        &STALE_READ_RATIO,
        &CONFLICTS,
        &PRIMARY_UTILIZATION,
        &REPLICA_UTILIZATION,
        &LOST_WRITES,
        &MEAN_CONNECTION_QUEUE,
        &IN_SYSTEM,
        &DEPARTURE_RPS,
        &SOJOURN_MS,
        &LITTLE_GAP,
        &LITTLE_EDGE,
        &HOT_SHARD_UTILIZATION,
        &SHARD_UTILIZATION,
    ];
    type Part = Database;

    fn parse(body: &Value, path: &str, cx: &SpecContext<'_>) -> Result<Self, Vec<Issue>> {
        spec::parse(body, path, cx)
    }

    fn sketch(&self, _topology: &crate::parts::Topology) -> Vec<String> {
        use crate::spec::units::{format_duration, yaml_name};
        let mut words = self.station.sketch();
        words.push(yaml_name(&self.mode));
        if self.nodes_per_shard > 1 {
            words.push(format!(
                "{} nodes per shard, {} replication, lag {}",
                self.nodes_per_shard,
                yaml_name(&self.replication),
                format_duration(self.lag)
            ));
        }
        if self.shards > 1 {
            words.push(format!("{} shards by {}", self.shards, yaml_name(&self.by)));
        }
        words
    }

    fn replicas(&self) -> u32 {
        self.nodes()
    }

    fn crashes(&self) -> bool {
        true
    }

    fn price_per_hour(&self) -> f64 {
        self.station.price_per_hour
    }

    /// Checks that a database with several nodes has requests with keys,
    /// unless it only keeps sessions.
    fn check_against(&self, path: &str, topology: &Topology) -> Vec<Issue> {
        let name = path.rsplit('.').next().unwrap_or(path);
        let session_store = topology
            .index(name)
            .is_some_and(|i| topology.is_session_store(i));
        self.check_keys(path, session_store).into_iter().collect()
    }

    fn build(&self, bx: &BuildContext<'_>) -> Database {
        Database::new(self, bx)
    }
}

/// Timer purposes, in the top byte of the tag; the low bits carry a job token
/// or a shard.
const SERVICE: u64 = 0;
const ACK: u64 = 1 << 56;
const ELECTION: u64 = 2 << 56;
const PURPOSE: u64 = 0xff << 56;

/// One node: its cores and queue, and its connections.
struct Node {
    station: Station,
    connections: u32,
    /// Queries waiting for a connection.
    waiting: VecDeque<u32>,
    waiting_average: TimeAverage,
    up: bool,
}

/// A query on its node, from arrival to answer.
#[derive(Clone, Copy, Debug)]
struct Job {
    call: Call,
    node: u32,
    kind: u16,
    key: u32,
    write: bool,
    seed: u64,
    queued_at: SimTime,
    /// The write's replication record, once committed.
    handle: Option<u32>,
    /// Already answered (its node failed): it leaves without being served.
    doomed: bool,
}

/// Counts over the measured window.
#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    reads: u64,
    writes: u64,
    stale: u64,
    conflicts: u64,
    lost: u64,
}

/// A database while it runs.
pub struct Database {
    name: String,
    spec: Spec,
    nodes: Vec<Node>,
    /// Per shard, the primary's index inside the shard (single-primary);
    /// `None` while an election runs or when no node is left.
    primary: Vec<Option<u16>>,
    /// Per shard, the node an election in progress will promote.
    electing: Vec<Option<u16>>,
    /// Queries at the nodes waiting for a connection or a core, or on a
    /// core, over all nodes.
    presence: Presence,
    service: ServiceTime,
    lag_salt: u64,
    jobs: Slab<Job>,
    replication: Replication,
    window: Window,
    route_rng: SimRng,
    counts: Counters,
}

impl Database {
    /// Builds the database described by `spec`.
    fn new(spec: &Spec, bx: &BuildContext<'_>) -> Self {
        let nodes = (0..spec.nodes())
            .map(|_| Node {
                station: Station::new(spec.station.cores, spec.station.queue, bx.window),
                connections: 0,
                waiting: VecDeque::new(),
                waiting_average: TimeAverage::new(bx.window),
                up: true,
            })
            .collect();
        Self {
            name: bx.name().to_string(),
            spec: spec.clone(),
            nodes,
            primary: vec![Some(0); spec.shards as usize],
            electing: vec![None; spec.shards as usize],
            presence: Presence::new(bx.window),
            service: ServiceTime::new(&spec.station, bx.name()),
            lag_salt: stream_seed(0, 0, &[bx.name(), "lag"]),
            jobs: Slab::new(),
            replication: Replication::new(spec.shards, spec.nodes_per_shard),
            window: bx.window,
            route_rng: bx.rng("route"),
            counts: Counters::default(),
        }
    }

    fn per_shard(&self) -> u32 {
        self.spec.nodes_per_shard
    }

    /// Splits a node number into (shard, index inside the shard).
    fn place(&self, node: u32) -> (u32, u16) {
        (node / self.per_shard(), (node % self.per_shard()) as u16)
    }

    fn counting(&self, now: SimTime) -> bool {
        self.window.contains(now)
    }

    /// Chooses the node of a query, or `None` when no node can take it.
    fn route(&mut self, shard: u32, write: bool) -> Option<u32> {
        let base = shard * self.per_shard();
        let primary = match self.spec.mode {
            Mode::SinglePrimary => self.primary[shard as usize],
            Mode::MultiPrimary => None,
        };
        if self.spec.mode == Mode::SinglePrimary
            && (write || self.spec.reads == ReadsFrom::Primary || self.per_shard() == 1)
        {
            return primary.map(|p| base + u32::from(p));
        }
        // The candidates: every live node, but the primary for replica reads.
        let mut among = [0u16; MAX_NODES_PER_SHARD as usize];
        let mut n = 0;
        for i in 0..self.per_shard() as u16 {
            if self.nodes[(base + u32::from(i)) as usize].up && Some(i) != primary {
                among[n] = i;
                n += 1;
            }
        }
        let index = match n {
            0 => primary?,
            1 => among[0],
            _ => among[self.route_rng.random_range(0..n)],
        };
        Some(base + u32::from(index))
    }

    fn accept(&mut self, call: Call, ctx: &mut Ctx<'_>) {
        let Some(r) = ctx.shared.request(call.req).copied() else {
            send_reply(ctx, &call, Outcome::Failed(Cause::Crash));
            return;
        };
        let (key, write) = call.about.key_and_op(&r);
        let shard = shard_of(key, self.spec.shards, self.spec.by, self.spec.key_count);
        let Some(node) = self.route(shard, write) else {
            send_reply(ctx, &call, Outcome::Failed(Cause::Failover));
            return;
        };
        let token = self.jobs.insert(Job {
            call,
            node,
            kind: r.kind,
            key,
            write,
            seed: r.seed,
            queued_at: ctx.now(),
            handle: None,
            doomed: false,
        }) as u32;
        self.presence.enter(ctx.now());
        let n = &mut self.nodes[node as usize];
        if self
            .spec
            .max_connections
            .is_none_or(|max| n.connections < max)
        {
            n.connections += 1;
            self.admit(token, ctx);
        } else {
            n.waiting.push_back(token);
            let len = n.waiting.len() as u64;
            n.waiting_average.set(ctx.now(), len);
        }
    }

    /// A query holding a connection asks for a core.
    fn admit(&mut self, token: u32, ctx: &mut Ctx<'_>) {
        let Some(job) = self.jobs.get(token as usize).copied() else {
            return;
        };
        match self.nodes[job.node as usize]
            .station
            .arrive(token, ctx.now())
        {
            Admission::Started => self.start(token, ctx),
            Admission::Queued => {}
            Admission::Rejected => {
                self.presence.leave(ctx.now(), job.queued_at);
                self.finish(token, Outcome::Rejected, ctx);
            }
        }
    }

    /// Puts a query on a core.
    fn start(&mut self, token: u32, ctx: &mut Ctx<'_>) {
        let Some(job) = self.jobs.get(token as usize).copied() else {
            return;
        };
        // A query of a failed node leaves at once: the node does no more work.
        let time = if job.doomed {
            SimTime::ZERO
        } else {
            crate::parts::note_start(ctx, &job.call, job.node);
            let waited = ctx.now() - job.queued_at;
            if let Some(req) = ctx.shared.requests.get_mut(job.call.req as usize) {
                req.wait += waited;
            }
            self.service.draw(job.kind, job.seed)
        };
        ctx.schedule_self(time, Msg::Timer(SERVICE | u64::from(token)));
    }

    /// A query's work is done: answer a read, commit and replicate a write.
    fn served(&mut self, token: u32, ctx: &mut Ctx<'_>) {
        let Some(job) = self.jobs.get(token as usize).copied() else {
            return;
        };
        let now = ctx.now();
        self.presence.leave(now, job.queued_at);
        if let Some(next) = self.nodes[job.node as usize].station.depart(now) {
            self.start(next, ctx);
        }
        if job.doomed {
            self.finish(token, Outcome::Failed(Cause::Crash), ctx);
            return;
        }
        let (shard, index) = self.place(job.node);
        let counting = self.counting(now);
        if !job.write {
            let fresh = self.replication.visible(index, job.key, now);
            if counting {
                self.counts.reads += 1;
                self.counts.stale += u64::from(!fresh);
            }
            // A session read at a node that has not applied the user's last
            // login yet does not find the session.
            let outcome = if !fresh && job.call.about == About::SessionRead {
                Outcome::Failed(Cause::SessionLost)
            } else {
                Outcome::Ok
            };
            self.finish(token, outcome, ctx);
            return;
        }
        if self.spec.mode == Mode::MultiPrimary
            && !self.replication.visible(index, job.key, now)
            && counting
        {
            self.counts.conflicts += 1;
        }
        let (mean, shape, salt, seed) = (
            self.spec.lag.0 as f64,
            &self.spec.lag_shape,
            self.lag_salt,
            job.seed,
        );
        // Each node's lag comes from the write's own seed, so compared
        // architectures see the same lags for the same writes.
        let commit = self.replication.commit(shard, index, job.key, now, |dest| {
            let mut rng = request_rng(seed ^ salt ^ mix(u64::from(dest)));
            SimTime::from_nanos_f64(mean * shape.sample(&mut rng))
        });
        let ack_at = match self.spec.replication {
            ReplicationMode::Async => None,
            ReplicationMode::SemiSync => commit.first_visible,
            ReplicationMode::Sync => commit.last_visible,
        };
        if let Some(job) = self.jobs.get_mut(token as usize) {
            job.handle = commit.handle;
        }
        match ack_at {
            Some(at) if at > now => ctx.schedule_self(at - now, Msg::Timer(ACK | u64::from(token))),
            _ => self.acknowledged(token, ctx),
        }
    }

    /// A write is acknowledged: from now on it is the key's current version.
    fn acknowledged(&mut self, token: u32, ctx: &mut Ctx<'_>) {
        let Some(job) = self.jobs.get(token as usize).copied() else {
            return;
        };
        if job.doomed {
            self.finish(token, Outcome::Failed(Cause::Crash), ctx);
            return;
        }
        let now = ctx.now();
        if let Some(handle) = job.handle {
            self.replication.acknowledge(handle, now);
        }
        if self.counting(now) {
            self.counts.writes += 1;
        }
        self.finish(token, Outcome::Ok, ctx);
    }

    /// Frees a job and its connection, and answers it unless it was answered
    /// already.
    fn finish(&mut self, token: u32, outcome: Outcome, ctx: &mut Ctx<'_>) {
        if !self.jobs.contains(token as usize) {
            return;
        }
        let job = self.jobs.remove(token as usize);
        if !job.doomed {
            send_reply(ctx, &job.call, outcome);
        }
        let n = &mut self.nodes[job.node as usize];
        n.connections = n.connections.saturating_sub(1);
        if let Some(next) = n.waiting.pop_front() {
            n.connections += 1;
            let len = n.waiting.len() as u64;
            n.waiting_average.set(ctx.now(), len);
            self.admit(next, ctx);
        }
    }

    /// Node `node` (numbered over all shards: `shard * nodes_per_shard +
    /// index`, the primary first) has failed, its machine crashed. The queries on it fail; a failed primary is
    /// replaced as [`Database::primary_failed`] says; a failed replica (or one
    /// of several primaries) simply stops taking queries and receiving writes.
    /// A replica chosen for promotion that fails during the election leaves
    /// its shard without a primary until a node recovers.
    fn node_failed(&mut self, node: u32, ctx: &mut Ctx<'_>) {
        if !self.nodes.get(node as usize).is_some_and(|n| n.up) {
            return;
        }
        let (shard, index) = self.place(node);
        let s = shard as usize;
        if self.spec.mode == Mode::SinglePrimary && self.primary[s] == Some(index) {
            self.primary_failed(shard, ctx);
            return;
        }
        if self.electing[s] == Some(index) {
            self.electing[s] = None;
        }
        self.node_down(node, ctx);
        self.replication.leave(shard, index);
    }

    /// The primary of `shard` has failed: its queries fail, writes to the
    /// shard fail until a replica is promoted after the election time, and
    /// (with asynchronous replication) the acknowledged writes the promoted
    /// replica had not applied are lost. For the failure model to call when
    /// the primary's machine crashes; a shard without replicas stays without
    /// a primary until [`Database::node_recovered`].
    fn primary_failed(&mut self, shard: u32, ctx: &mut Ctx<'_>) {
        if self.spec.mode != Mode::SinglePrimary {
            return;
        }
        let Some(primary) = self.primary.get_mut(shard as usize).and_then(Option::take) else {
            return;
        };
        let now = ctx.now();
        let node = shard * self.per_shard() + u32::from(primary);
        self.node_down(node, ctx);
        if let Some(promotion) = self.replication.fail_primary(shard, primary, now) {
            if self.counting(now) {
                self.counts.lost += promotion.lost;
            }
            self.electing[shard as usize] = Some(promotion.node);
            ctx.schedule_self(self.spec.election, Msg::Timer(ELECTION | u64::from(shard)));
        }
    }

    /// Node `node` (numbered over all shards) is back: it rejoins its shard as
    /// a replica, caught up, or as the primary if its shard has no node left
    /// to promote.
    fn node_recovered(&mut self, node: u32, ctx: &mut Ctx<'_>) {
        let Some(n) = self.nodes.get_mut(node as usize) else {
            return;
        };
        if n.up {
            return;
        }
        n.up = true;
        let (shard, index) = self.place(node);
        self.replication.rejoin(shard, index, ctx.now());
        let s = shard as usize;
        if self.spec.mode == Mode::SinglePrimary
            && self.primary[s].is_none()
            && self.electing[s].is_none()
        {
            self.primary[s] = Some(index);
        }
    }

    /// Takes a node out of service: every query on it fails now.
    fn node_down(&mut self, node: u32, ctx: &mut Ctx<'_>) {
        self.nodes[node as usize].up = false;
        let calls: Vec<Call> = self
            .jobs
            .iter_mut()
            .filter(|(_, j)| j.node == node && !j.doomed)
            .map(|(_, j)| {
                j.doomed = true;
                j.call
            })
            .collect();
        for call in calls {
            send_reply(ctx, &call, Outcome::Failed(Cause::Crash));
        }
    }

    /// The election is over: the chosen replica becomes the primary.
    fn elected(&mut self, shard: u32) {
        let s = shard as usize;
        if let Some(node) = self.electing.get_mut(s).and_then(Option::take) {
            self.primary[s] = Some(node);
        }
    }

    /// Returns the busy share of the cores of `nodes`, over the window cut at `end`.
    fn utilization(&mut self, nodes: impl Iterator<Item = usize>, now: SimTime, end: SimTime) -> f64 {
        let (mut busy, mut cores) = (0.0, 0.0);
        for i in nodes {
            let station = &mut self.nodes[i].station;
            busy += station.mean_busy(now, end);
            cores += f64::from(station.cores());
        }
        if cores > 0.0 {
            busy / cores
        } else {
            0.0
        }
    }
}

impl Component<Msg, World> for Database {
    fn on_event(&mut self, msg: Msg, ctx: &mut Ctx<'_>) {
        match msg {
            Msg::Call(call) => self.accept(call, ctx),
            Msg::Timer(tag) => match tag & PURPOSE {
                SERVICE => self.served(tag as u32, ctx),
                ACK => self.acknowledged(tag as u32, ctx),
                ELECTION => self.elected(tag as u32),
                _ => {}
            },
            Msg::Probe {
                reply_to, replica, ..
            } => {
                let load = self
                    .nodes
                    .get(replica as usize)
                    .map_or(0, |n| n.station.load() + n.waiting.len() as u32);
                send_load(ctx, reply_to, replica, load);
            }
            Msg::Reply { .. } | Msg::Load { .. } | Msg::Control(_) => {}
        }
    }

    fn on_finish(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        // A run stopped early has its window cut at the stop.
        let end = ctx.shared.recorder.window().end;
        let all = self.nodes.len();
        let utilization = self.utilization(0..all, now, end);
        let hottest_node = busiest(self.nodes.iter_mut().map(|n| &mut n.station), now, end);
        let mean_queue: f64 = self
            .nodes
            .iter_mut()
            .map(|n| n.station.mean_waiting(now, end))
            .sum();
        let c = self.counts;
        let mut extra = vec![
            Reading::of(&READS, c.reads as f64),
            Reading::of(&WRITES, c.writes as f64),
        ];
        if all > 1 {
            extra.push(Reading::of(&BUSIEST, hottest_node));
        }
        let per_shard = self.per_shard() as usize;
        if per_shard > 1 {
            let ratio = if c.reads == 0 {
                0.0
            } else {
                c.stale as f64 / c.reads as f64
            };
            extra.push(Reading::of(&STALE_READS, c.stale as f64));
            extra.push(Reading::of(&STALE_READ_RATIO, ratio));
        }
        match self.spec.mode {
            Mode::MultiPrimary => extra.push(Reading::of(&CONFLICTS, c.conflicts as f64)),
            Mode::SinglePrimary if per_shard > 1 => {
                let primaries: Vec<usize> = self
                    .primary
                    .iter()
                    .enumerate()
                    .filter_map(|(s, p)| p.map(|p| s * per_shard + p as usize))
                    .collect();
                let replicas: Vec<usize> = (0..all).filter(|i| !primaries.contains(i)).collect();
                let primary_util = self.utilization(primaries.into_iter(), now, end);
                let replica_util = self.utilization(replicas.into_iter(), now, end);
                extra.push(Reading::of(&PRIMARY_UTILIZATION, primary_util));
                extra.push(Reading::of(&REPLICA_UTILIZATION, replica_util));
                extra.push(Reading::of(&LOST_WRITES, c.lost as f64));
            }
            Mode::SinglePrimary => {}
        }
        if self.spec.max_connections.is_some() {
            let waiting: f64 = self
                .nodes
                .iter_mut()
                .map(|n| n.waiting_average.mean(now, end))
                .sum();
            extra.push(Reading::of(&MEAN_CONNECTION_QUEUE, waiting));
        }
        extra.extend(little_readings(self.presence.terms(end)));
        if self.spec.shards > 1 {
            let shards: Vec<f64> = (0..self.spec.shards as usize)
                .map(|shard| self.utilization(shard * per_shard..(shard + 1) * per_shard, now, end))
                .collect();
            let hottest = shards.iter().copied().fold(0.0, f64::max);
            extra.push(Reading::of(&HOT_SHARD_UTILIZATION, hottest));
            for (shard, u) in shards.into_iter().enumerate() {
                extra.push(Reading::indexed(&SHARD_UTILIZATION, shard as u32, u));
            }
        }
        ctx.shared.recorder.component(ComponentStats {
            name: self.name.clone(),
            kind: <Spec as Kind>::NAME,
            utilization,
            cores: self.nodes.iter().map(|n| n.station.cores()).sum(),
            mean_queue,
            completed: self.nodes.iter().map(|n| n.station.completed).sum(),
            rejected: self.nodes.iter().map(|n| n.station.rejected).sum(),
            extra,
            up_levels: Vec::new(),
        });
    }
}

impl Part for Database {
    /// The writes on their way to other nodes: a long replication lag under
    /// load keeps many, and they count against the in-flight guard rail.
    fn held(&self) -> usize {
        self.replication.tracked()
    }

    /// Nodes are numbered over all shards: `shard * nodes_per_shard + index`,
    /// the primary first.
    fn crash(&mut self, node: u32, ctx: &mut Ctx<'_>) {
        self.node_failed(node, ctx);
    }

    fn recover(&mut self, node: u32, ctx: &mut Ctx<'_>) {
        self.node_recovered(node, ctx);
    }
}

#[cfg(test)]
mod tests {
    use crate::metrics::RunSummary;
    use crate::runner;
    use crate::scenario::load_text;

    fn run(yaml: &str) -> RunSummary {
        runner::simulate(&load_text(yaml, "t", &[]).unwrap(), 0)
    }

    fn extra(run: &RunSummary, component: usize, name: &str) -> f64 {
        let c = &run.components[component];
        c.reading(name)
            .unwrap_or_else(|| panic!("no `{name}` in {c:?}"))
    }

    /// A database as the entry, with zero-time work and no network, so that
    /// only its consistency rules shape the counts.
    fn data_tier(db: &str, keys: u32, reads: f64, writes: f64) -> String {
        format!(
            "name: db test
seed: 8
duration: 62s
warmup: 2s
traffic:
  rate: {}/s
  keys: {{count: {keys}}}
  requests: {{get: {{weight: {reads}}}, put: {{weight: {writes}, op: write}}}}
entry: db
network: {{latency: 0ms}}
components:
  db: {db}
",
            reads + writes
        )
    }

    #[test]
    fn stale_reads_match_the_chance_of_a_write_within_the_lag() {
        // Writes of each key are Poisson at 10/s; with zero work a write
        // commits on arrival and reaches every replica exactly 20 ms later, so
        // a replica read is stale when its key was written in the last 20 ms:
        // probability 1 - exp(-10 * 0.02).
        let r = run(&data_tier(
            "{kind: database, work: 0ms, read_replicas: 2, lag: 20ms, lag_law: deterministic}",
            10,
            900.0,
            100.0,
        ));
        let p = 1.0 - (-0.2f64).exp();
        let ratio = extra(&r, 0, "stale_read_ratio");
        let reads = extra(&r, 0, "reads");
        let se = (p * (1.0 - p) / reads).sqrt();
        assert!(
            (ratio - p).abs() < 5.0 * se,
            "stale ratio {ratio} vs {p} (se {se})"
        );
        // Reads at the primary are never stale; sync replication makes none either.
        for db in [
            "{kind: database, work: 0ms, read_replicas: 2, reads: primary, lag: 20ms}",
            "{kind: database, work: 0ms, read_replicas: 2, replication: sync, lag: 20ms}",
        ] {
            let r = run(&data_tier(db, 10, 900.0, 100.0));
            assert_eq!(extra(&r, 0, "stale_reads"), 0.0, "{db}");
        }
    }

    #[test]
    fn conflicts_match_the_chance_of_a_concurrent_write_elsewhere() {
        // Two primaries, each write at one of them at random; a write conflicts
        // when the key's previous write came from the other primary less than
        // the 20 ms lag ago: probability 1/2 (1 - exp(-20 * 0.02)).
        let r = run(&data_tier(
            "{kind: database, work: 0ms, mode: multi_primary, lag: 20ms, lag_law: deterministic}",
            10,
            0.0,
            200.0,
        ));
        let p = 0.5 * (1.0 - (-0.4f64).exp());
        let writes = extra(&r, 0, "writes");
        let ratio = extra(&r, 0, "conflicts") / writes;
        let se = (p * (1.0 - p) / writes).sqrt();
        assert!(
            (ratio - p).abs() < 5.0 * se,
            "conflict ratio {ratio} vs {p}"
        );
    }

    #[test]
    fn sync_writes_wait_for_the_slowest_replica_and_semi_sync_for_the_fastest() {
        let latency = |replication: &str| {
            let db = format!(
                "{{kind: database, work: 0ms, read_replicas: 3, lag: 10ms, lag_law: exponential, \
                 replication: {replication}}}"
            );
            run(&data_tier(&db, 100, 0.0, 100.0)).latency_ms.mean
        };
        let (a, semi, sync) = (latency("async"), latency("semi_sync"), latency("sync"));
        // Exponential lags of mean 10 ms over 3 replicas: the minimum has mean
        // 10/3 ms and the maximum 10 (1 + 1/2 + 1/3) = 18.3 ms.
        assert!(a < 0.01, "async {a}");
        // 6,000 writes: standard errors of 0.04 and 0.15 ms.
        assert!((semi - 10.0 / 3.0).abs() < 0.25, "semi-sync {semi}");
        assert!((sync - 18.33).abs() < 0.8, "sync {sync}");
    }

    #[test]
    fn range_partitions_make_a_hot_shard_and_hashes_do_not() {
        let yaml = |by: &str| {
            format!(
                "name: shards
seed: 2
duration: 20s
warmup: 2s
traffic:
  rate: 800/s
  keys: {{count: 10000, popularity: zipf, s: 1.0}}
entry: db
components:
  db: {{kind: database, cores: 1, work: 1ms, shards: 4, by: {by}}}
"
            )
        };
        let range = run(&yaml("range"));
        let hash = run(&yaml("hash"));
        let util = |r: &RunSummary, s: usize| extra(r, 0, &format!("shard_{s}_utilization"));
        // Zipf(1) over 10,000 keys: the first quarter holds about 85% of the load.
        assert!(util(&range, 0) > 0.6, "hot shard {}", util(&range, 0));
        assert!(util(&range, 3) < 0.05, "cold shard {}", util(&range, 3));
        // By hash, only the hottest keys' own weight unbalances the shards.
        let hashed: Vec<f64> = (0..4).map(|s| util(&hash, s)).collect();
        assert!(hashed.iter().all(|&u| u < 0.45), "{hashed:?}");
    }

    #[test]
    fn a_connection_limit_makes_queries_wait_for_a_connection() {
        // Two cores but one connection: only one query is served at a time, an
        // M/M/1 at rho = 0.5 whose queue is in the connection pool.
        let r = run(&data_tier(
            "{kind: database, cores: 2, work: 1ms, max_connections: 1}",
            100,
            500.0,
            0.0,
        )
        .replace("62s", "122s"));
        assert!(
            (r.latency_ms.mean - 2.0).abs() < 0.15,
            "{}",
            r.latency_ms.mean
        );
        let lq = extra(&r, 0, "mean_connection_queue");
        assert!((lq - 0.5).abs() < 0.08, "connection queue {lq}");
        assert!(
            r.components[0].mean_queue < 1e-9,
            "no query waits for a core"
        );
    }

    /// Runs `yaml` (a database entry) with the primary of shard 0 (node 0)
    /// crashing at `at`, for good.
    fn run_with_failure(yaml: &str, at: &str) -> RunSummary {
        run(&format!(
            "{yaml}failures:\n  - {{at: {at}, crash: db, replica: 0}}\n"
        ))
    }

    #[test]
    fn failover_fails_writes_during_the_election_and_loses_unreplicated_ones() {
        let yaml = |replication: &str| {
            data_tier(
                &format!(
                    "{{kind: database, cores: 4, work: 1ms, read_replicas: 2, lag: 200ms, \
                     lag_law: deterministic, replication: {replication}, election: 2s}}"
                ),
                1000,
                900.0,
                100.0,
            )
            .replace("62s", "20s")
        };
        let async_run = run_with_failure(&yaml("async"), "10s");
        let sync_run = run_with_failure(&yaml("sync"), "10s");
        for (name, r) in [("async", &async_run), ("sync", &sync_run)] {
            // About 2 s of writes at 100/s fail during the election, plus the
            // queries on the primary when it died; reads go on at the replicas.
            let failed = r.requests.failed as f64;
            assert!((150.0..300.0).contains(&failed), "{name}: {failed} failed");
            assert_eq!(r.requests.unfinished, 0, "{name}");
            assert!(
                extra(r, 0, "reads") > 0.9 * 900.0 * 18.0,
                "{name}: reads stopped"
            );
            // After the election writes succeed again on the new primary.
            assert!(
                extra(r, 0, "writes") > 100.0 * 12.0,
                "{name}: writes did not resume: {:?} {:?}",
                r.requests,
                r.components[0]
            );
        }
        // Async: the writes of the last 200 ms had not reached any replica:
        // Poisson with mean 100/s * 0.2 s = 20.
        let lost = extra(&async_run, 0, "lost_writes");
        assert!((5.0..45.0).contains(&lost), "async lost {lost}");
        assert_eq!(extra(&sync_run, 0, "lost_writes"), 0.0);
    }
}
