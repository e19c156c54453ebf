//! Who has seen which write: the replication streams between the nodes of
//! each shard, and the bounded record that decides stale reads, conflicts and
//! lost writes.
//!
//! Every write gets a sequence number when it commits at its origin node and
//! is shipped to every other live node of its shard on a stream that applies
//! writes in order: the write's apply time at a node is its commit time plus a
//! lag drawn for that node, or the previous write's apply time if that is
//! later (a replica never applies writes out of order).
//!
//! For each key, only the last acknowledged write is remembered, and only
//! until every live node of its shard has applied it. Memory therefore grows
//! with the writes of the last replication lag, never with the run's length.

use std::collections::VecDeque;

use crate::engine::SimTime;
use crate::keys::KeyMap;

/// One origin-to-destination stream of writes.
#[derive(Clone, Debug, Default)]
struct Stream {
    /// Writes shipped and not yet applied: (sequence, apply time), in order.
    queue: VecDeque<(u64, SimTime)>,
    /// The last sequence number applied.
    applied: u64,
    /// Apply time of the last write shipped.
    last_apply: SimTime,
}

impl Stream {
    /// Applies every write due by `now`; returns the last sequence applied.
    fn advance(&mut self, now: SimTime) -> u64 {
        while let Some(&(seq, at)) = self.queue.front() {
            if at > now {
                break;
            }
            self.applied = seq;
            self.queue.pop_front();
        }
        self.applied
    }
}

/// The last acknowledged write of a key.
#[derive(Clone, Copy, Debug)]
struct Recent {
    seq: u64,
    shard: u32,
    origin: u16,
}

/// The apply times of a write just committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commit {
    /// Its sequence number.
    pub seq: u64,
    /// When the first other node applies it (`None`: no other node).
    pub first_apply: Option<SimTime>,
    /// When the last other node applies it (`None`: no other node).
    pub last_apply: Option<SimTime>,
    /// Sum over the other nodes of the time until they apply it: with the
    /// wait behind earlier writes, this can exceed the lags drawn.
    pub total_lag: SimTime,
    /// Number of other nodes it was shipped to.
    pub shipped: u32,
}

/// What a promotion after a primary failure found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Promotion {
    /// The node (index inside its shard) that becomes the primary.
    pub node: u16,
    /// Acknowledged writes the promoted node had not applied: lost for good.
    pub lost: u64,
}

/// Replication state of every shard of one database.
#[derive(Clone, Debug)]
pub struct Replication {
    /// Nodes per shard.
    per_shard: usize,
    /// Streams, indexed by `(shard * per_shard + origin) * per_shard + dest`.
    streams: Vec<Stream>,
    /// Whether each node (`shard * per_shard + index`) takes part.
    live: Vec<bool>,
    recent: KeyMap<Recent>,
    /// Acknowledged writes in order, until every live node has applied them:
    /// (sequence, key, shard, origin).
    acked: VecDeque<(u64, u32, u32, u16)>,
    /// The last sequence acknowledged per origin node.
    acked_upto: Vec<u64>,
    next_seq: u64,
}

impl Replication {
    /// Creates the state of `shards` shards of `per_shard` nodes each, all live.
    pub fn new(shards: u32, per_shard: u32) -> Self {
        let n = shards as usize * per_shard as usize;
        Self {
            per_shard: per_shard as usize,
            streams: vec![Stream::default(); n * per_shard as usize],
            live: vec![true; n],
            recent: KeyMap::default(),
            acked: VecDeque::new(),
            acked_upto: vec![0; n],
            next_seq: 1,
        }
    }

    fn node(&self, shard: u32, index: u16) -> usize {
        shard as usize * self.per_shard + index as usize
    }

    fn stream(&mut self, shard: u32, origin: u16, dest: u16) -> &mut Stream {
        let i = self.node(shard, origin) * self.per_shard + dest as usize;
        &mut self.streams[i]
    }

    /// Returns the number of keys whose last write some live node has not applied.
    #[cfg(test)]
    pub fn tracked(&self) -> usize {
        self.recent.len()
    }

    /// Commits a write at node `origin` of `shard` at `now` and ships it to the
    /// other live nodes, `lag(dest)` after now (in order per stream).
    pub fn commit(
        &mut self,
        shard: u32,
        origin: u16,
        now: SimTime,
        mut lag: impl FnMut(u16) -> SimTime,
    ) -> Commit {
        let seq = self.next_seq;
        self.next_seq += 1;
        let (mut first, mut last): (Option<SimTime>, Option<SimTime>) = (None, None);
        let (mut total_lag, mut shipped) = (SimTime::ZERO, 0);
        for dest in 0..self.per_shard as u16 {
            if dest == origin || !self.live[self.node(shard, dest)] {
                continue;
            }
            let delay = lag(dest);
            let stream = self.stream(shard, origin, dest);
            let at = (now + delay).max(stream.last_apply);
            stream.last_apply = at;
            stream.queue.push_back((seq, at));
            total_lag += at - now;
            shipped += 1;
            first = Some(first.map_or(at, |f| f.min(at)));
            last = Some(last.map_or(at, |l| l.max(at)));
        }
        Commit {
            seq,
            first_apply: first,
            last_apply: last,
            total_lag,
            shipped,
        }
    }

    /// Notes that write `seq` of `key`, committed at `origin`, is acknowledged
    /// to its client at `now`: from now on a node that has not applied it
    /// serves an old version.
    pub fn acknowledge(&mut self, shard: u32, origin: u16, key: u32, seq: u64, now: SimTime) {
        if self.per_shard <= 1 {
            return;
        }
        let node = self.node(shard, origin);
        self.acked_upto[node] = self.acked_upto[node].max(seq);
        let newer = self.recent.get(&key).is_none_or(|r| r.seq < seq);
        if newer {
            self.recent.insert(key, Recent { seq, shard, origin });
        }
        self.acked.push_back((seq, key, shard, origin));
        self.prune(now);
    }

    /// Returns true when node `index` of `shard` has applied the last
    /// acknowledged write of `key` (or wrote it itself).
    pub fn visible(&mut self, shard: u32, index: u16, key: u32, now: SimTime) -> bool {
        let Some(r) = self.recent.get(&key).copied() else {
            return true;
        };
        r.origin == index || self.stream(shard, r.origin, index).advance(now) >= r.seq
    }

    /// Forgets the writes that every live node has applied.
    fn prune(&mut self, now: SimTime) {
        while let Some(&(seq, key, shard, origin)) = self.acked.front() {
            let everywhere = (0..self.per_shard as u16).all(|dest| {
                dest == origin
                    || !self.live[self.node(shard, dest)]
                    || self.stream(shard, origin, dest).advance(now) >= seq
            });
            if !everywhere {
                break;
            }
            self.acked.pop_front();
            if self.recent.get(&key).is_some_and(|r| r.seq == seq) {
                self.recent.remove(&key);
            }
        }
    }

    /// Handles the failure of `failed`, the primary of `shard`, at `now`:
    /// picks the live node that has applied the most of its writes, counts
    /// the acknowledged writes that node lacks (lost), and cuts every stream
    /// from the failed node at what the promoted node has. Returns `None`
    /// when no other node is live.
    pub fn fail_primary(&mut self, shard: u32, failed: u16, now: SimTime) -> Option<Promotion> {
        let failed_node = self.node(shard, failed);
        self.live[failed_node] = false;
        let candidates: Vec<u16> = (0..self.per_shard as u16)
            .filter(|&d| d != failed && self.live[self.node(shard, d)])
            .collect();
        let mut best: Option<(u64, u16)> = None;
        for &d in &candidates {
            let applied = self.stream(shard, failed, d).advance(now);
            if best.is_none_or(|(a, _)| applied > a) {
                best = Some((applied, d));
            }
        }
        let (kept, node) = best?;
        let acked = self.acked_upto[failed_node];
        let lost = self
            .stream(shard, failed, node)
            .queue
            .iter()
            .filter(|&&(seq, _)| seq <= acked)
            .count() as u64;
        // Writes beyond what the new primary has never reach anyone now.
        for &d in &candidates {
            let stream = self.stream(shard, failed, d);
            stream.queue.retain(|&(seq, _)| seq <= kept);
        }
        self.recent
            .retain(|_, r| !(r.shard == shard && r.origin == failed && r.seq > kept));
        Some(Promotion { node, lost })
    }

    /// Takes node `index` of `shard` out of replication (it failed): nothing
    /// is shipped to it any more, and what was on its way is dropped.
    pub fn leave(&mut self, shard: u32, index: u16) {
        let node = self.node(shard, index);
        self.live[node] = false;
        for origin in 0..self.per_shard as u16 {
            self.stream(shard, origin, index).queue.clear();
        }
    }

    /// Brings node `index` of `shard` back, fully caught up with every write
    /// so far (a resynchronised replica).
    pub fn rejoin(&mut self, shard: u32, index: u16, now: SimTime) {
        let node = self.node(shard, index);
        self.live[node] = true;
        let upto = self.next_seq - 1;
        for origin in 0..self.per_shard as u16 {
            let stream = self.stream(shard, origin, index);
            stream.queue.clear();
            stream.applied = upto;
            stream.last_apply = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn a_replica_serves_the_old_version_until_it_applies_the_write() {
        let mut r = Replication::new(1, 3);
        // Node 0 writes key 5 at t = 0; node 1 applies it after 10 ms, node 2 after 30 ms.
        let c = r.commit(0, 0, SimTime(0), |d| {
            SimTime(if d == 1 { 10 * MS } else { 30 * MS })
        });
        assert_eq!(c.first_apply, Some(SimTime(10 * MS)));
        assert_eq!(c.last_apply, Some(SimTime(30 * MS)));
        r.acknowledge(0, 0, 5, c.seq, SimTime(0));
        assert!(r.visible(0, 0, 5, SimTime(1)), "the writer sees its write");
        assert!(!r.visible(0, 1, 5, SimTime(9 * MS)));
        assert!(r.visible(0, 1, 5, SimTime(10 * MS)));
        assert!(!r.visible(0, 2, 5, SimTime(29 * MS)));
        assert!(
            r.visible(0, 1, 7, SimTime(1)),
            "an unwritten key is never stale"
        );
        // Once applied everywhere the record is dropped: memory stays bounded.
        let later = r.commit(0, 0, SimTime(31 * MS), |_| SimTime(0));
        r.acknowledge(0, 0, 6, later.seq, SimTime(31 * MS));
        assert_eq!(r.tracked(), 0);
    }

    #[test]
    fn streams_apply_in_order() {
        let mut r = Replication::new(1, 2);
        let slow = r.commit(0, 0, SimTime(0), |_| SimTime(50 * MS));
        let fast = r.commit(0, 0, SimTime(MS), |_| SimTime(MS));
        // The second write cannot overtake the first on the same stream.
        assert_eq!(fast.last_apply, slow.last_apply);
        r.acknowledge(0, 0, 1, slow.seq, SimTime(0));
        r.acknowledge(0, 0, 2, fast.seq, SimTime(MS));
        assert!(!r.visible(0, 1, 2, SimTime(10 * MS)));
        assert!(r.visible(0, 1, 2, SimTime(50 * MS)));
    }

    #[test]
    fn concurrent_writes_at_two_primaries_are_not_visible_to_each_other() {
        let mut r = Replication::new(1, 2);
        let a = r.commit(0, 0, SimTime(0), |_| SimTime(20 * MS));
        r.acknowledge(0, 0, 9, a.seq, SimTime(0));
        // Node 1 writes key 9 at 5 ms, before node 0's write reached it: a conflict.
        assert!(!r.visible(0, 1, 9, SimTime(5 * MS)));
        // At 25 ms node 1 has applied it: a later write there is not a conflict.
        assert!(r.visible(0, 1, 9, SimTime(25 * MS)));
    }

    #[test]
    fn failover_promotes_the_most_advanced_replica_and_counts_lost_writes() {
        let mut r = Replication::new(1, 3);
        let lags = [0, 10 * MS, 30 * MS];
        for (i, key) in [1u32, 2, 3].iter().enumerate() {
            let t = SimTime(i as u64 * MS);
            let c = r.commit(0, 0, t, |d| SimTime(lags[d as usize]));
            r.acknowledge(0, 0, *key, c.seq, t);
        }
        // At 11 ms node 1 has applied writes 1 and 2 (due at 10 and 11 ms), node 2 none.
        let p = r.fail_primary(0, 0, SimTime(11 * MS)).unwrap();
        assert_eq!(p.node, 1);
        assert_eq!(p.lost, 1, "write 3 (due at 12 ms) never reached node 1");
        // The lost write no longer makes reads stale; the kept ones still do at node 2.
        assert!(r.visible(0, 2, 3, SimTime(11 * MS)));
        assert!(!r.visible(0, 2, 1, SimTime(11 * MS)));
        // No replica left: no promotion.
        let mut alone = Replication::new(1, 1);
        assert_eq!(alone.fail_primary(0, 0, SimTime(0)), None);
    }

    #[test]
    fn a_rejoined_node_is_caught_up() {
        let mut r = Replication::new(1, 2);
        let c = r.commit(0, 0, SimTime(0), |_| SimTime(100 * MS));
        r.acknowledge(0, 0, 4, c.seq, SimTime(0));
        r.rejoin(0, 1, SimTime(MS));
        assert!(r.visible(0, 1, 4, SimTime(MS)));
    }
}
