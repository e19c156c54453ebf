//! A map whose entries expire after a fixed idle time: the shape of every
//! piece of per-user state (sessions, a balancer's cookies).
//!
//! Every entry has the same time to live, counted from its last use, so the
//! order of last use is also the order of expiry: one list in that order
//! (an intrusive doubly linked list over a vector of slots) lets `expire`
//! drop the expired entries from its head, each in O(1), and `touch` move an
//! entry to its tail in O(1). Memory therefore follows the entries used
//! within the time to live, never every key ever seen: slots are reused, and
//! the vector grows only to the largest number of live entries at once.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use crate::engine::SimTime;
use crate::keys::KeyHasher;

/// The end of the list, and no slot.
const NIL: u32 = u32::MAX;

/// One entry, linked in order of last use.
#[derive(Clone, Copy, Debug)]
struct Slot<V> {
    key: u64,
    value: V,
    /// When it was last used.
    seen: SimTime,
    prev: u32,
    next: u32,
}

/// Entries keyed by a 64-bit key, each living `ttl` after its last use.
///
/// The index is only looked up, never iterated, so its order cannot reach
/// the results; walks go through the list, in order of last use.
#[derive(Clone, Debug)]
pub struct ExpiringMap<V> {
    ttl: SimTime,
    index: HashMap<u64, u32, BuildHasherDefault<KeyHasher>>,
    slots: Vec<Slot<V>>,
    /// Slots freed, to reuse before growing.
    free: Vec<u32>,
    /// The least recently used entry (the first to expire).
    head: u32,
    /// The most recently used entry.
    tail: u32,
}

impl<V: Copy> ExpiringMap<V> {
    /// Creates an empty map whose entries live `ttl` after their last use.
    pub fn new(ttl: SimTime) -> Self {
        Self {
            ttl,
            index: HashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
        }
    }

    /// Returns the number of entries held (expired ones included until
    /// [`ExpiringMap::expire`] drops them).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Returns true when it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Returns the value of `key` if its entry is live at `now`.
    #[inline]
    pub fn get(&self, key: u64, now: SimTime) -> Option<V> {
        let &slot = self.index.get(&key)?;
        let slot = &self.slots[slot as usize];
        self.live(slot, now).then_some(slot.value)
    }

    /// Stores `value` under `key`, used at `now`: a new entry, or the same
    /// one renewed and moved to the end of the list.
    pub fn touch(&mut self, key: u64, value: V, now: SimTime) {
        if let Some(&slot) = self.index.get(&key) {
            self.unlink(slot);
            let s = &mut self.slots[slot as usize];
            s.value = value;
            s.seen = now;
            self.push_back(slot);
            return;
        }
        let entry = Slot {
            key,
            value,
            seen: now,
            prev: NIL,
            next: NIL,
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = entry;
                slot
            }
            None => {
                self.slots.push(entry);
                (self.slots.len() - 1) as u32
            }
        };
        self.index.insert(key, slot);
        self.push_back(slot);
    }

    /// Drops `key`'s entry, if any.
    pub fn remove(&mut self, key: u64) {
        if let Some(slot) = self.index.remove(&key) {
            self.unlink(slot);
            self.free.push(slot);
        }
    }

    /// Drops every entry that has expired by `now`; returns how many. Each
    /// costs O(1), and each entry is dropped once, so the cost is amortised
    /// over the touches that made them.
    pub fn expire(&mut self, now: SimTime) -> usize {
        let mut dropped = 0;
        while self.head != NIL && !self.live(&self.slots[self.head as usize], now) {
            let slot = self.head;
            self.index.remove(&self.slots[slot as usize].key);
            self.unlink(slot);
            self.free.push(slot);
            dropped += 1;
        }
        dropped
    }

    /// Drops every entry whose key satisfies `gone`, in one walk of the list
    /// (for a crash, which empties a machine at once).
    pub fn remove_where(&mut self, mut gone: impl FnMut(u64) -> bool) {
        let mut at = self.head;
        while at != NIL {
            let slot = self.slots[at as usize];
            if gone(slot.key) {
                self.index.remove(&slot.key);
                self.unlink(at);
                self.free.push(at);
            }
            at = slot.next;
        }
    }

    /// Returns true if `slot` is live at `now`.
    #[inline]
    fn live(&self, slot: &Slot<V>, now: SimTime) -> bool {
        now.0 < slot.seen.0.saturating_add(self.ttl.0)
    }

    /// Takes `slot` out of the list.
    fn unlink(&mut self, slot: u32) {
        let Slot { prev, next, .. } = self.slots[slot as usize];
        match prev {
            NIL => self.head = next,
            p => self.slots[p as usize].next = next,
        }
        match next {
            NIL => self.tail = prev,
            n => self.slots[n as usize].prev = prev,
        }
    }

    /// Puts `slot` at the end of the list (the most recently used).
    fn push_back(&mut self, slot: u32) {
        {
            let s = &mut self.slots[slot as usize];
            s.prev = self.tail;
            s.next = NIL;
        }
        match self.tail {
            NIL => self.head = slot,
            t => self.slots[t as usize].next = slot,
        }
        self.tail = slot;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: u64) -> SimTime {
        SimTime(x * 1_000_000_000)
    }

    #[test]
    fn entries_live_for_the_ttl_after_their_last_use() {
        let mut m = ExpiringMap::new(s(10));
        m.touch(1, 'a', s(0));
        m.touch(2, 'b', s(5));
        assert_eq!(m.get(1, s(9)), Some('a'));
        assert_eq!(m.get(1, s(10)), None, "idle for the whole ttl");
        // A use renews it.
        m.touch(1, 'c', s(9));
        assert_eq!(m.get(1, s(18)), Some('c'));
        assert_eq!(m.get(2, s(15)), None);
    }

    #[test]
    fn expiry_drops_in_order_of_last_use_and_reuses_slots() {
        let mut m = ExpiringMap::new(s(10));
        for k in 0..100 {
            m.touch(k, k, s(k));
        }
        // Key 0 is renewed: it expires after the others.
        m.touch(0, 0, s(100));
        assert_eq!(m.expire(s(105)), 95, "keys 1 to 95");
        assert_eq!(m.len(), 5);
        assert_eq!(m.get(96, s(105)), Some(96));
        assert_eq!(m.get(0, s(105)), Some(0));
        // Memory follows the live entries: new keys take the freed slots.
        for k in 1000..1095 {
            m.touch(k, k, s(106));
        }
        assert_eq!(m.slots.len(), 100);
        assert_eq!(m.expire(s(200)), 100);
        assert!(m.is_empty());
        assert_eq!((m.head, m.tail), (NIL, NIL));
    }

    #[test]
    fn removal_by_key_keeps_the_list_whole() {
        let mut m = ExpiringMap::new(s(10));
        for k in 0..10u64 {
            m.touch(k | (k % 3) << 32, k, s(k));
        }
        m.remove_where(|key| key >> 32 == 1);
        assert_eq!(m.len(), 7);
        m.remove(2 | 2 << 32);
        assert_eq!(m.len(), 6);
        // The list still holds the rest, in order: they expire one by one.
        let mut left = Vec::new();
        for t in 10..20 {
            let before = m.len();
            m.expire(s(t));
            if m.len() < before {
                left.push(t - 10);
            }
        }
        assert_eq!(left, [0, 3, 5, 6, 8, 9]);
    }
}
