//! The settings of a database, as written in the file, and their checks.

use serde::Deserialize;
use serde_json::Value;

use super::sharding::Partitioning;
use crate::dist::{RawShape, Shape};
use crate::engine::SimTime;
use crate::model::Op;
use crate::parts::station::{parse_with_station, StationSpec};
use crate::parts::kind::needs_keys;
use crate::parts::SpecContext;
pub use crate::spec::limits::{MAX_NODES_PER_SHARD, MAX_SHARDS};
use crate::spec::limits::MAX_REPLICAS;
use crate::spec::{join_key, refused, Duration, Issue};

/// Mean work of a read when `work` is not given: an indexed point query.
const DEFAULT_READ_WORK: SimTime = SimTime(1_000_000);
/// Mean work of a write when `work` is not given: a write also logs and
/// updates indexes.
const DEFAULT_WRITE_WORK: SimTime = SimTime(2_000_000);
/// Mean replication lag when `lag` is not given: a replica in the same zone.
const DEFAULT_LAG: SimTime = SimTime(10_000_000);
/// Time to elect a new primary when `election` is not given.
const DEFAULT_ELECTION: SimTime = SimTime(10_000_000_000);

/// Which nodes accept writes, as written in `mode:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// One primary takes the writes; replicas copy it.
    SinglePrimary,
    /// Every node takes writes and copies the others.
    MultiPrimary,
}

/// Where reads go in single-primary mode, as written in `reads:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadsFrom {
    /// To a replica drawn at random: more read capacity, possibly stale.
    Replicas,
    /// To the primary: never stale, but one node serves every query.
    Primary,
}

/// When a write is acknowledged, as written in `replication:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplicationMode {
    /// At commit on its node: fast, but replicas lag behind.
    Async,
    /// When the first replica has applied it.
    SemiSync,
    /// When every replica has applied it: slower writes, no stale reads.
    Sync,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    mode: Option<Mode>,
    read_replicas: Option<u32>,
    primaries: Option<u32>,
    reads: Option<ReadsFrom>,
    replication: Option<ReplicationMode>,
    lag: Option<Duration>,
    lag_law: Option<RawShape>,
    election: Option<Duration>,
    max_connections: Option<u32>,
    shards: Option<u32>,
    by: Option<Partitioning>,
}

/// The validated settings of a database.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Cores, speed, work per query type and queue of each node.
    pub station: StationSpec,
    /// Single or multi-primary.
    pub mode: Mode,
    /// Nodes per shard: the primary and its replicas, or the primaries.
    pub nodes_per_shard: u32,
    /// Where reads go (single-primary).
    pub reads: ReadsFrom,
    /// When writes are acknowledged.
    pub replication: ReplicationMode,
    /// Mean replication lag.
    pub lag: SimTime,
    /// Law of the lag around its mean.
    pub lag_shape: Shape,
    /// Time from a primary's failure to the promotion of a replica.
    pub election: SimTime,
    /// Connections per node beyond which queries wait (`None`: no limit).
    pub max_connections: Option<u32>,
    /// Number of shards.
    pub shards: u32,
    /// How keys are split over shards.
    pub by: Partitioning,
    /// Size of the key space (for range partitioning).
    pub key_count: u32,
    /// Whether the traffic gives requests keys: several nodes need them to
    /// tell data apart, unless the database only keeps sessions (keyed by user).
    pub keys_given: bool,
}

impl Spec {
    /// Returns the number of nodes (machines) over all shards.
    pub fn nodes(&self) -> u32 {
        self.shards * self.nodes_per_shard
    }

    /// Returns the issue of a sharded or replicated database at `path` whose
    /// requests carry no keys, unless it only keeps sessions (`session_store`).
    pub fn check_keys(&self, path: &str, session_store: bool) -> Option<Issue> {
        if self.keys_given || session_store || (self.shards <= 1 && self.nodes_per_shard <= 1) {
            return None;
        }
        let what = if self.shards > 1 {
            "a sharded database"
        } else {
            "a replicated database"
        };
        Some(Issue::new(path, needs_keys(what)))
    }
}

/// Refuses `replication` on a single primary without `read_replicas`, and
/// `by` without `shards`: with one node and one shard they would choose
/// nothing. Only a missing field is a mistake: `read_replicas: 0` or
/// `shards: 1` turns them off on purpose (a `--set`, a sweep or a lesson's
/// knob from a file that has them), as `retries: 0` does a backoff.
fn check_without_copies(raw: &Raw, mode: Mode, path: &str, issues: &mut Vec<Issue>) {
    // A field refused already is not missing.
    let absent = |issues: &[Issue], field: &str| !refused(issues, &join_key(path, field));
    if mode == Mode::SinglePrimary
        && raw.replication.is_some()
        && raw.read_replicas.is_none()
        && absent(issues, "read_replicas")
    {
        issues.push(Issue::new(
            join_key(path, "replication"),
            "`replication` needs `read_replicas` (a single primary has no one to copy its writes to)",
        ));
    }
    if raw.by.is_some() && raw.shards.is_none() && absent(issues, "shards") {
        issues.push(Issue::new(
            join_key(path, "by"),
            "`by` needs `shards` (how many shards the keys are split over)",
        ));
    }
}

/// Parses the fields of a database (without the fields every kind has).
pub fn parse(body: &Value, path: &str, cx: &SpecContext<'_>) -> Result<Spec, Vec<Issue>> {
    let mut issues = Vec::new();
    let Some((raw, raw_station)) = parse_with_station::<Raw>(body, path, &mut issues) else {
        return Err(issues);
    };
    let at = |field: &str| join_key(path, field);
    let mode = raw.mode.unwrap_or(Mode::SinglePrimary);
    let read_replicas = raw.read_replicas.unwrap_or(0);
    let nodes_per_shard = match mode {
        Mode::SinglePrimary => {
            if raw.primaries.is_some() {
                issues.push(Issue::new(
                    at("primaries"),
                    "`primaries` applies to `mode: multi_primary` (a single primary has replicas: use `read_replicas`)",
                ));
            }
            if read_replicas >= MAX_NODES_PER_SHARD {
                issues.push(Issue::new(
                    at("read_replicas"),
                    format!(
                        "expected at most {} read replicas per shard, found {read_replicas}",
                        MAX_NODES_PER_SHARD - 1
                    ),
                ));
            }
            (read_replicas + 1).min(MAX_NODES_PER_SHARD)
        }
        Mode::MultiPrimary => {
            if raw.read_replicas.is_some() {
                issues.push(Issue::new(
                    at("read_replicas"),
                    "read replicas of a multi-primary database are not modelled: every node is a primary (use `primaries`)",
                ));
            }
            if raw.reads.is_some() {
                issues.push(Issue::new(
                    at("reads"),
                    "`reads` applies to `mode: single_primary`: in multi-primary mode every primary serves reads",
                ));
            }
            if raw.replication.is_some_and(|r| r != ReplicationMode::Async) {
                issues.push(Issue::new(
                    at("replication"),
                    "a multi-primary database replicates asynchronously (`replication: async`): synchronous multi-primary certification is not modelled",
                ));
            }
            let primaries = raw.primaries.unwrap_or(2);
            if !(2..=MAX_NODES_PER_SHARD).contains(&primaries) {
                issues.push(Issue::new(
                    at("primaries"),
                    format!(
                        "expected from 2 to {MAX_NODES_PER_SHARD} primaries, found {primaries}"
                    ),
                ));
            }
            primaries.clamp(2, MAX_NODES_PER_SHARD)
        }
    };
    let reads = match raw.reads {
        Some(ReadsFrom::Replicas) if mode == Mode::SinglePrimary && read_replicas == 0 => {
            issues.push(Issue::new(
                at("reads"),
                "`reads: replicas` needs `read_replicas` (this database has none)",
            ));
            ReadsFrom::Primary
        }
        Some(reads) => reads,
        None if read_replicas > 0 => ReadsFrom::Replicas,
        None => ReadsFrom::Primary,
    };
    check_without_copies(&raw, mode, path, &mut issues);
    let shards = raw.shards.unwrap_or(1);
    if shards == 0 || shards > MAX_SHARDS {
        issues.push(Issue::new(
            at("shards"),
            format!("expected a number of shards from 1 to {MAX_SHARDS}, found {shards}"),
        ));
    }
    let shards = shards.clamp(1, MAX_SHARDS);
    if u64::from(shards) * u64::from(nodes_per_shard) > u64::from(MAX_REPLICAS) {
        issues.push(Issue::new(
            at("shards"),
            format!(
                "{shards} shards of {nodes_per_shard} nodes is beyond what one simulation holds (at most {MAX_REPLICAS} nodes)"
            ),
        ));
    }
    if raw.max_connections == Some(0) {
        issues.push(Issue::new(
            at("max_connections"),
            "expected a positive number of connections, found 0",
        ));
    }
    let lag_shape = match raw
        .lag_law
        .as_ref()
        .map_or(Ok(Shape::Exponential), RawShape::validate)
    {
        Ok(shape) => shape,
        Err(message) => {
            issues.push(Issue::new(at("lag_law"), message));
            Shape::Exponential
        }
    };
    let mut station = raw_station.validate(path, cx, Some(SimTime::ZERO), &mut issues);
    if raw_station.work.is_none() {
        station.work = cx
            .types
            .iter()
            .map(|t| match t.op {
                Op::Read => DEFAULT_READ_WORK,
                Op::Write => DEFAULT_WRITE_WORK,
            })
            .collect();
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    Ok(Spec {
        station,
        mode,
        nodes_per_shard,
        reads,
        replication: raw.replication.unwrap_or(ReplicationMode::Async),
        lag: raw.lag.map_or(DEFAULT_LAG, |d| d.0),
        lag_shape,
        election: raw.election.map_or(DEFAULT_ELECTION, |d| d.0),
        max_connections: raw.max_connections,
        shards,
        by: raw.by.unwrap_or(Partitioning::Hash),
        key_count: cx.keys.map_or(1, |k| k.count),
        keys_given: cx.keys.is_some(),
    })
}

