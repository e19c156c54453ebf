//! One cache node's entries: a fixed number of slots, an index from key to
//! slot, and an eviction policy over the slots.
//!
//! Memory is bounded by the capacity (and by the key count): slots are
//! allocated as they are first filled and reused after evictions. Expired
//! entries are dropped lazily, when looked up or chosen as victims, the way
//! Redis and memcached expire keys.

use super::eviction::{self, Eviction, EvictionKind};
use crate::engine::{SimRng, SimTime};
use crate::keys::KeyMap;

/// One cached value.
#[derive(Clone, Copy, Debug)]
struct Entry {
    key: u32,
    /// When it stops being served (`SimTime::MAX`: never).
    expires: SimTime,
    /// Whether a write has replaced the value since it was filled.
    stale: bool,
}

/// What a lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A live entry; `stale` when a write has replaced its value since.
    Hit {
        /// The value is older than the last write of the key.
        stale: bool,
    },
    /// An entry whose time to live had run out (now dropped).
    Expired,
    /// No entry.
    Miss,
}

/// The entries of one cache node.
pub struct Store {
    capacity: u32,
    index: KeyMap<u32>,
    entries: Vec<Entry>,
    free: Vec<u32>,
    policy: Box<dyn Eviction>,
}

impl Store {
    /// Creates an empty node of `capacity` entries evicting by `kind`.
    pub fn new(capacity: u32, kind: EvictionKind) -> Self {
        Self {
            capacity: capacity.max(1),
            index: KeyMap::default(),
            entries: Vec::new(),
            free: Vec::new(),
            policy: eviction::build(kind),
        }
    }

    /// Returns the number of entries the node can hold.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Returns the number of entries held (expired ones included until dropped).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Returns true when the node holds nothing.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Looks `key` up at `now`; a hit counts as a use for the policy.
    pub fn get(&mut self, key: u32, now: SimTime) -> Lookup {
        let Some(&slot) = self.index.get(&key) else {
            return Lookup::Miss;
        };
        let entry = self.entries[slot as usize];
        if now >= entry.expires {
            self.drop_slot(slot);
            return Lookup::Expired;
        }
        self.policy.accessed(slot);
        Lookup::Hit { stale: entry.stale }
    }

    /// Stores `key` until `expires`, replacing its value if present; returns
    /// true when another entry had to be evicted to make room.
    pub fn put(&mut self, key: u32, expires: SimTime, stale: bool, rng: &mut SimRng) -> bool {
        let entry = Entry {
            key,
            expires,
            stale,
        };
        if let Some(&slot) = self.index.get(&key) {
            self.entries[slot as usize] = entry;
            self.policy.accessed(slot);
            return false;
        }
        let mut evicted = false;
        let slot = if let Some(slot) = self.free.pop() {
            slot
        } else if (self.entries.len() as u64) < u64::from(self.capacity) {
            self.entries.push(entry);
            (self.entries.len() - 1) as u32
        } else {
            match self.policy.victim(rng) {
                Some(victim) => {
                    self.drop_slot(victim);
                    evicted = true;
                    // The slot just freed is the one reused.
                    self.free.pop().unwrap_or(victim)
                }
                // A full node always has a victim; keep the value out if not.
                None => return false,
            }
        };
        self.entries[slot as usize] = entry;
        self.index.insert(key, slot);
        self.policy.inserted(slot);
        evicted
    }

    /// Removes `key`; returns true if it was there.
    pub fn remove(&mut self, key: u32) -> bool {
        match self.index.get(&key) {
            Some(&slot) => {
                self.drop_slot(slot);
                true
            }
            None => false,
        }
    }

    /// Marks the cached value of `key`, if any, as older than the data store's.
    pub fn mark_stale(&mut self, key: u32) {
        if let Some(&slot) = self.index.get(&key) {
            self.entries[slot as usize].stale = true;
        }
    }

    /// Empties the node (a restart: it comes back cold).
    pub fn clear(&mut self, kind: EvictionKind) {
        self.index.clear();
        self.entries.clear();
        self.free.clear();
        self.policy = eviction::build(kind);
    }

    fn drop_slot(&mut self, slot: u32) {
        let key = self.entries[slot as usize].key;
        self.index.remove(&key);
        self.policy.removed(slot);
        self.free.push(slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream_rng;

    #[test]
    fn fills_evicts_expires_and_invalidates() {
        let mut rng = stream_rng(0, 0, &["t"]);
        let mut s = Store::new(2, EvictionKind::Lru);
        let never = SimTime::MAX;
        assert_eq!(s.get(1, SimTime(0)), Lookup::Miss);
        assert!(!s.put(1, never, false, &mut rng));
        assert!(!s.put(2, SimTime(10), false, &mut rng));
        assert_eq!(s.get(1, SimTime(1)), Lookup::Hit { stale: false });
        // Full: 2 is the least recently used.
        assert!(s.put(3, never, false, &mut rng));
        assert_eq!(s.get(2, SimTime(2)), Lookup::Miss);
        assert_eq!(s.len(), 2);
        s.mark_stale(3);
        assert_eq!(s.get(3, SimTime(3)), Lookup::Hit { stale: true });
        assert!(s.remove(1));
        assert!(!s.remove(1));
        assert!(!s.put(4, SimTime(20), false, &mut rng));
        assert_eq!(s.get(4, SimTime(20)), Lookup::Expired);
        assert_eq!(s.get(4, SimTime(21)), Lookup::Miss);
        s.clear(EvictionKind::Lru);
        assert!(s.is_empty());
    }

    #[test]
    fn memory_stays_within_the_capacity() {
        let mut rng = stream_rng(0, 0, &["t"]);
        for kind in [
            EvictionKind::Lru,
            EvictionKind::Lfu,
            EvictionKind::Fifo,
            EvictionKind::Random,
        ] {
            let mut s = Store::new(100, kind);
            for k in 0..10_000u32 {
                s.put(k % 1000, SimTime::MAX, false, &mut rng);
                if k % 7 == 0 {
                    s.remove(k % 1000 + 1);
                }
            }
            assert!(s.len() <= 100, "{kind:?}");
            assert!(s.entries.len() <= 100, "{kind:?}");
        }
    }
}
