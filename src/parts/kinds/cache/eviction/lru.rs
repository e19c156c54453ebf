//! Least recently used: every read moves an entry to the front of a list, and
//! the victim is at the back. O(1) per operation.

use super::list::SlotList;
use super::Eviction;
use crate::engine::SimRng;

/// The LRU policy.
#[derive(Clone, Debug, Default)]
pub struct Lru {
    order: SlotList,
}

impl Eviction for Lru {
    fn inserted(&mut self, slot: u32) {
        self.order.push_front(slot);
    }

    fn accessed(&mut self, slot: u32) {
        self.order.push_front(slot);
    }

    fn removed(&mut self, slot: u32) {
        self.order.unlink(slot);
    }

    fn victim(&mut self, _rng: &mut SimRng) -> Option<u32> {
        self.order.back()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream_rng;

    #[test]
    fn evicts_the_least_recently_used() {
        let mut rng = stream_rng(0, 0, &["t"]);
        let mut p = Lru::default();
        for slot in 0..3 {
            p.inserted(slot);
        }
        p.accessed(0);
        assert_eq!(p.victim(&mut rng), Some(1));
        p.removed(1);
        p.accessed(2);
        assert_eq!(p.victim(&mut rng), Some(0));
        p.removed(0);
        p.removed(2);
        assert_eq!(p.victim(&mut rng), None);
    }
}
