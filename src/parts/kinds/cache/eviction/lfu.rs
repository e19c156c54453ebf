//! Least frequently used: the victim is the entry with the fewest reads since
//! it was filled, and among equals the one read longest ago. An ordered set of
//! (count, last use, slot) makes every operation O(log n).
//!
//! This is "in-cache" LFU: a count starts again from one when an entry is
//! refilled after an eviction, so memory stays bounded by the slots in use.

use std::collections::BTreeSet;

use super::Eviction;
use crate::engine::SimRng;

/// The LFU policy.
#[derive(Clone, Debug, Default)]
pub struct Lfu {
    /// (reads since fill, stamp of the last use, slot), smallest first.
    order: BTreeSet<(u64, u64, u32)>,
    /// Per slot: its (count, stamp) while in use.
    rank: Vec<Option<(u64, u64)>>,
    clock: u64,
}

impl Lfu {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn set(&mut self, slot: u32, count: u64) {
        let stamp = self.tick();
        let s = slot as usize;
        if self.rank.len() <= s {
            self.rank.resize(s + 1, None);
        }
        if let Some((c, t)) = self.rank[s] {
            self.order.remove(&(c, t, slot));
        }
        self.rank[s] = Some((count, stamp));
        self.order.insert((count, stamp, slot));
    }
}

impl Eviction for Lfu {
    fn inserted(&mut self, slot: u32) {
        self.set(slot, 1);
    }

    fn accessed(&mut self, slot: u32) {
        let count = self
            .rank
            .get(slot as usize)
            .copied()
            .flatten()
            .map_or(1, |(c, _)| c + 1);
        self.set(slot, count);
    }

    fn removed(&mut self, slot: u32) {
        if let Some(entry) = self.rank.get_mut(slot as usize) {
            if let Some((c, t)) = entry.take() {
                self.order.remove(&(c, t, slot));
            }
        }
    }

    fn victim(&mut self, _rng: &mut SimRng) -> Option<u32> {
        self.order.first().map(|&(_, _, slot)| slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream_rng;

    #[test]
    fn evicts_the_least_frequently_used_then_the_least_recent() {
        let mut rng = stream_rng(0, 0, &["t"]);
        let mut p = Lfu::default();
        for slot in 0..3 {
            p.inserted(slot);
        }
        p.accessed(0);
        p.accessed(0);
        p.accessed(2);
        // Counts: 0 -> 3, 1 -> 1, 2 -> 2.
        assert_eq!(p.victim(&mut rng), Some(1));
        p.removed(1);
        assert_eq!(p.victim(&mut rng), Some(2));
        p.accessed(2); // 2 -> 3, used after 0
        assert_eq!(p.victim(&mut rng), Some(0));
        p.removed(0);
        p.removed(2);
        assert_eq!(p.victim(&mut rng), None);
        p.inserted(0); // a refill starts its count again
        assert_eq!(p.victim(&mut rng), Some(0));
    }
}
