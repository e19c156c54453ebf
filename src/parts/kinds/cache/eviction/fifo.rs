//! First in, first out: entries leave in the order they were filled, however
//! often they are read. O(1) per operation.

use super::list::SlotList;
use super::Eviction;
use crate::engine::SimRng;

/// The FIFO policy.
#[derive(Clone, Debug, Default)]
pub struct Fifo {
    order: SlotList,
}

impl Eviction for Fifo {
    fn inserted(&mut self, slot: u32) {
        self.order.push_front(slot);
    }

    fn accessed(&mut self, _slot: u32) {}

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
    fn evicts_the_oldest_fill_even_if_it_is_read() {
        let mut rng = stream_rng(0, 0, &["t"]);
        let mut p = Fifo::default();
        for slot in 0..3 {
            p.inserted(slot);
        }
        p.accessed(0);
        p.accessed(0);
        assert_eq!(p.victim(&mut rng), Some(0));
        p.removed(0);
        assert_eq!(p.victim(&mut rng), Some(1));
        p.removed(1);
        p.inserted(1); // refilled: now the newest
        assert_eq!(p.victim(&mut rng), Some(2));
    }
}
