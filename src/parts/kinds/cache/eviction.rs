//! Which entry a full cache node drops: one small trait, one file per policy.
//!
//! A cache node keeps its entries in numbered slots; a policy sees only slot
//! numbers, in the order things happen to them, and names a victim when the
//! node is full. Every policy costs O(1) or O(log n) per operation and memory
//! proportional to the slots in use, never to the requests served.

mod fifo;
mod lfu;
mod list;
mod lru;
mod random;

use serde::Deserialize;

use crate::engine::SimRng;

/// The eviction policies, as written in `eviction:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvictionKind {
    /// Least recently used: drop the entry read or filled longest ago.
    Lru,
    /// Least frequently used: drop the entry with the fewest hits since it was
    /// filled, the least recently used among equals.
    Lfu,
    /// First in, first out: drop the oldest fill, whatever its hits.
    Fifo,
    /// Drop an entry chosen uniformly at random.
    Random,
}

/// A policy choosing which slot of a full node to reuse.
pub trait Eviction {
    /// Notes that `slot` was just filled with a new entry.
    fn inserted(&mut self, slot: u32);
    /// Notes that the entry in `slot` was read, or refreshed with a new value.
    fn accessed(&mut self, slot: u32);
    /// Notes that `slot` was emptied (evicted, invalidated or expired).
    fn removed(&mut self, slot: u32);
    /// Returns the slot to evict, or `None` when no slot is in use. The caller
    /// then empties it and calls [`Eviction::removed`].
    fn victim(&mut self, rng: &mut SimRng) -> Option<u32>;
}

/// Builds the policy `kind`.
pub fn build(kind: EvictionKind) -> Box<dyn Eviction> {
    match kind {
        EvictionKind::Lru => Box::new(lru::Lru::default()),
        EvictionKind::Lfu => Box::new(lfu::Lfu::default()),
        EvictionKind::Fifo => Box::new(fifo::Fifo::default()),
        EvictionKind::Random => Box::new(random::Random::default()),
    }
}
