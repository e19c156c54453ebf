//! Who has seen which write: the record that decides stale reads, conflicts
//! and lost writes.
//!
//! A write commits at its origin node and becomes visible at every other live
//! node of its shard after a lag drawn for that node. A node serves an old
//! version of a key while the last acknowledged write of the key is not
//! visible there yet. Each write's lag is its own: a slow write does not hold
//! back the writes behind it, so the lag a user sets is exactly the delay
//! after which a write is visible (the replicas' log order is not modelled:
//! for the freshness of a key only its last write matters).
//!
//! A write is remembered only until it is visible at every live node of its
//! shard, and a key only while its last write is remembered. Memory therefore
//! grows with the writes of the last replication lag, never with the length
//! of the run.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use slab::Slab;

use super::MAX_NODES_PER_SHARD;
use crate::engine::SimTime;
use crate::keys::KeyMap;

/// One write on its way to the other nodes.
#[derive(Clone, Copy, Debug)]
struct Record {
    seq: u64,
    key: u32,
    shard: u32,
    origin: u16,
    /// Whether its client was answered: only then is it the key's version.
    acked: bool,
    /// When it becomes visible at each node of the shard (`SimTime::MAX` at
    /// a node that was down when it committed).
    visible_at: [SimTime; MAX_NODES_PER_SHARD as usize],
    /// When it is visible at every node that was live at its commit.
    done_at: SimTime,
}

/// A write just committed, and when the other nodes see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commit {
    /// Its handle for [`Replication::acknowledge`] (`None`: no other node to
    /// tell, nothing to track).
    pub handle: Option<u32>,
    /// When the first other node sees it (`None`: no other node).
    pub first_visible: Option<SimTime>,
    /// When the last other node sees it (`None`: no other node).
    pub last_visible: Option<SimTime>,
}

/// What a promotion after a primary failure found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Promotion {
    /// The node (index inside its shard) that becomes the primary.
    pub node: u16,
    /// Acknowledged writes the promoted node had not received: lost for good.
    pub lost: u64,
}

/// Replication state of every shard of one database.
#[derive(Clone, Debug)]
pub struct Replication {
    /// Nodes per shard.
    per_shard: usize,
    /// Whether each node (`shard * per_shard + index`) takes part.
    live: Vec<bool>,
    records: Slab<Record>,
    /// The record of each key's last acknowledged write, while remembered.
    recent: KeyMap<u32>,
    /// Acknowledged records by the time they are visible everywhere:
    /// (done at, sequence, record).
    done: BinaryHeap<Reverse<(SimTime, u64, u32)>>,
    next_seq: u64,
}

impl Replication {
    /// Creates the state of `shards` shards of `per_shard` nodes each, all live.
    pub fn new(shards: u32, per_shard: u32) -> Self {
        Self {
            per_shard: per_shard.clamp(1, MAX_NODES_PER_SHARD) as usize,
            live: vec![true; shards as usize * per_shard as usize],
            records: Slab::new(),
            recent: KeyMap::default(),
            done: BinaryHeap::new(),
            next_seq: 1,
        }
    }

    fn is_live(&self, shard: u32, index: u16) -> bool {
        self.live[shard as usize * self.per_shard + index as usize]
    }

    fn set_live(&mut self, shard: u32, index: u16, live: bool) {
        self.live[shard as usize * self.per_shard + index as usize] = live;
    }

    /// Returns the number of writes remembered.
    pub fn tracked(&self) -> usize {
        self.records.len()
    }

    /// Commits a write of `key` at node `origin` of `shard` at `now`; it
    /// becomes visible at each other live node `lag(node)` later.
    pub fn commit(
        &mut self,
        shard: u32,
        origin: u16,
        key: u32,
        now: SimTime,
        mut lag: impl FnMut(u16) -> SimTime,
    ) -> Commit {
        let mut visible_at = [SimTime::MAX; MAX_NODES_PER_SHARD as usize];
        let (mut first, mut last): (Option<SimTime>, Option<SimTime>) = (None, None);
        for node in 0..self.per_shard as u16 {
            if node == origin {
                visible_at[node as usize] = now;
            } else if self.is_live(shard, node) {
                let at = now + lag(node);
                visible_at[node as usize] = at;
                first = Some(first.map_or(at, |f| f.min(at)));
                last = Some(last.map_or(at, |l| l.max(at)));
            }
        }
        let Some(done_at) = last else {
            return Commit {
                handle: None,
                first_visible: None,
                last_visible: None,
            };
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        let handle = self.records.insert(Record {
            seq,
            key,
            shard,
            origin,
            acked: false,
            visible_at,
            done_at,
        }) as u32;
        Commit {
            handle: Some(handle),
            first_visible: first,
            last_visible: last,
        }
    }

    /// Notes that the write `handle` is acknowledged to its client at `now`:
    /// from now on a node that does not see it serves an old version.
    pub fn acknowledge(&mut self, handle: u32, now: SimTime) {
        self.forget_done(now);
        let Some(record) = self.records.get_mut(handle as usize) else {
            return;
        };
        record.acked = true;
        let (key, seq, done_at) = (record.key, record.seq, record.done_at);
        if done_at <= now {
            // Visible everywhere already: the key is fresh on every node.
            self.records.remove(handle as usize);
            self.recent.remove(&key);
        } else {
            self.recent.insert(key, handle);
            self.done.push(Reverse((done_at, seq, handle)));
        }
    }

    /// Returns true when node `index` of `shard` sees the last acknowledged
    /// write of `key` (or wrote it itself).
    pub fn visible(&self, index: u16, key: u32, now: SimTime) -> bool {
        let Some(record) = self
            .recent
            .get(&key)
            .and_then(|&h| self.records.get(h as usize))
        else {
            return true;
        };
        record.origin == index || record.visible_at[index as usize] <= now
    }

    /// Forgets the writes visible everywhere by `now`.
    fn forget_done(&mut self, now: SimTime) {
        while let Some(&Reverse((at, seq, handle))) = self.done.peek() {
            if at > now {
                break;
            }
            self.done.pop();
            self.forget(handle, seq);
        }
    }

    /// Drops record `handle` if it still holds write `seq`.
    fn forget(&mut self, handle: u32, seq: u64) {
        let key = match self.records.get(handle as usize) {
            Some(r) if r.seq == seq => r.key,
            _ => return,
        };
        self.records.remove(handle as usize);
        if self.recent.get(&key) == Some(&handle) {
            self.recent.remove(&key);
        }
    }

    /// Handles the failure of `failed`, the primary of `shard`, at `now`:
    /// picks the live node that misses the fewest of its acknowledged writes,
    /// counts those (lost), and forgets the failed node's writes that the
    /// promoted node lacks or that were never acknowledged. Returns `None`
    /// when no other node is live.
    pub fn fail_primary(&mut self, shard: u32, failed: u16, now: SimTime) -> Option<Promotion> {
        self.set_live(shard, failed, false);
        let from_failed = |r: &Record| r.shard == shard && r.origin == failed;
        let mut best: Option<(u64, u16)> = None;
        for node in 0..self.per_shard as u16 {
            if node == failed || !self.is_live(shard, node) {
                continue;
            }
            let missing = self
                .records
                .iter()
                .filter(|(_, r)| from_failed(r) && r.acked && r.visible_at[node as usize] > now)
                .count() as u64;
            if best.is_none_or(|(m, _)| missing < m) {
                best = Some((missing, node));
            }
        }
        let promoted = best.map(|(_, node)| node);
        let gone: Vec<(u32, u64)> = self
            .records
            .iter()
            .filter(|(_, r)| {
                from_failed(r)
                    && (!r.acked || promoted.is_none_or(|p| r.visible_at[p as usize] > now))
            })
            .map(|(h, r)| (h as u32, r.seq))
            .collect();
        for (handle, seq) in gone {
            self.forget(handle, seq);
        }
        best.map(|(lost, node)| Promotion { node, lost })
    }

    /// Takes node `index` of `shard` out of replication (it failed).
    pub fn leave(&mut self, shard: u32, index: u16) {
        self.set_live(shard, index, false);
    }

    /// Brings node `index` of `shard` back, caught up with every write so far
    /// (a resynchronised replica).
    pub fn rejoin(&mut self, shard: u32, index: u16, now: SimTime) {
        self.set_live(shard, index, true);
        for (_, r) in self.records.iter_mut() {
            if r.shard == shard {
                let at = &mut r.visible_at[index as usize];
                *at = (*at).min(now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    /// Commits and acknowledges a write of `key` at node `origin` at `t` ms.
    fn write(r: &mut Replication, origin: u16, key: u32, t: u64, lags_ms: &[u64]) -> Commit {
        let now = SimTime(t * MS);
        let c = r.commit(0, origin, key, now, |d| SimTime(lags_ms[d as usize] * MS));
        if let Some(h) = c.handle {
            r.acknowledge(h, now);
        }
        c
    }

    #[test]
    fn a_replica_serves_the_old_version_until_the_write_reaches_it() {
        let mut r = Replication::new(1, 3);
        let c = write(&mut r, 0, 5, 0, &[0, 10, 30]);
        assert_eq!(c.first_visible, Some(SimTime(10 * MS)));
        assert_eq!(c.last_visible, Some(SimTime(30 * MS)));
        assert!(r.visible(0, 5, SimTime(1)), "the writer sees its write");
        assert!(!r.visible(1, 5, SimTime(9 * MS)));
        assert!(r.visible(1, 5, SimTime(10 * MS)));
        assert!(!r.visible(2, 5, SimTime(29 * MS)));
        assert!(
            r.visible(1, 7, SimTime(1)),
            "an unwritten key is never stale"
        );
        // Once visible everywhere the write is forgotten: memory stays bounded.
        write(&mut r, 0, 6, 31, &[0, 0, 0]);
        assert_eq!(r.tracked(), 0);
    }

    #[test]
    fn each_write_arrives_after_its_own_lag() {
        let mut r = Replication::new(1, 2);
        write(&mut r, 0, 1, 0, &[0, 50]);
        write(&mut r, 0, 2, 1, &[0, 1]);
        // The second write is not held back behind the slower first one.
        assert!(r.visible(1, 2, SimTime(2 * MS)));
        assert!(!r.visible(1, 1, SimTime(2 * MS)));
        // A newer write of a key replaces the older one as its version.
        write(&mut r, 0, 1, 3, &[0, 5]);
        assert!(!r.visible(1, 1, SimTime(7 * MS)));
        assert!(r.visible(1, 1, SimTime(8 * MS)));
    }

    #[test]
    fn an_unacknowledged_write_is_not_yet_the_version() {
        let mut r = Replication::new(1, 2);
        let c = r.commit(0, 0, 3, SimTime(0), |_| SimTime(10 * MS));
        assert!(
            r.visible(1, 3, SimTime(MS)),
            "a write still waiting for acks"
        );
        r.acknowledge(c.handle.unwrap(), SimTime(10 * MS));
        assert!(r.visible(1, 3, SimTime(10 * MS)));
        assert_eq!(
            r.tracked(),
            0,
            "sync writes are visible everywhere at their ack"
        );
    }

    #[test]
    fn concurrent_writes_at_two_primaries_are_not_visible_to_each_other() {
        let mut r = Replication::new(1, 2);
        write(&mut r, 0, 9, 0, &[0, 20]);
        // Node 1 writes key 9 at 5 ms, before node 0's write reached it: a conflict.
        assert!(!r.visible(1, 9, SimTime(5 * MS)));
        // At 25 ms node 1 has it: a later write there is not a conflict.
        assert!(r.visible(1, 9, SimTime(25 * MS)));
    }

    #[test]
    fn failover_promotes_the_most_advanced_replica_and_counts_lost_writes() {
        let mut r = Replication::new(1, 3);
        for (i, key) in [1u32, 2, 3].into_iter().enumerate() {
            write(&mut r, 0, key, i as u64, &[0, 10, 30]);
        }
        // At 11 ms node 1 has writes 1 and 2 (due at 10 and 11 ms), node 2 none.
        let p = r.fail_primary(0, 0, SimTime(11 * MS)).unwrap();
        assert_eq!(p, Promotion { node: 1, lost: 1 });
        // The lost write no longer makes reads stale; the kept ones still do at node 2.
        assert!(r.visible(2, 3, SimTime(11 * MS)));
        assert!(!r.visible(2, 1, SimTime(11 * MS)));
        // No replica left: no promotion.
        let mut alone = Replication::new(1, 1);
        assert_eq!(alone.fail_primary(0, 0, SimTime(0)), None);
    }

    #[test]
    fn a_rejoined_node_is_caught_up() {
        let mut r = Replication::new(1, 2);
        write(&mut r, 0, 4, 0, &[0, 100]);
        r.leave(0, 1);
        r.rejoin(0, 1, SimTime(MS));
        assert!(r.visible(1, 4, SimTime(MS)));
    }
}
