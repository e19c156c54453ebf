//! Random eviction: any entry in use, uniformly. The slots in use are kept in
//! a dense array with each slot's position, so insertion, removal and the draw
//! are all O(1).

use rand::RngExt;

use super::Eviction;
use crate::engine::SimRng;

/// Marks a slot that is not in the dense array.
const ABSENT: u32 = u32::MAX;

/// The random policy.
#[derive(Clone, Debug, Default)]
pub struct Random {
    in_use: Vec<u32>,
    position: Vec<u32>,
}

impl Eviction for Random {
    fn inserted(&mut self, slot: u32) {
        let s = slot as usize;
        if self.position.len() <= s {
            self.position.resize(s + 1, ABSENT);
        }
        if self.position[s] == ABSENT {
            self.position[s] = self.in_use.len() as u32;
            self.in_use.push(slot);
        }
    }

    fn accessed(&mut self, _slot: u32) {}

    fn removed(&mut self, slot: u32) {
        let Some(&at) = self.position.get(slot as usize) else {
            return;
        };
        if at == ABSENT {
            return;
        }
        self.in_use.swap_remove(at as usize);
        if let Some(&moved) = self.in_use.get(at as usize) {
            self.position[moved as usize] = at;
        }
        self.position[slot as usize] = ABSENT;
    }

    fn victim(&mut self, rng: &mut SimRng) -> Option<u32> {
        if self.in_use.is_empty() {
            None
        } else {
            Some(self.in_use[rng.random_range(0..self.in_use.len())])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream_rng;

    #[test]
    fn evicts_uniformly_among_the_slots_in_use() {
        let mut rng = stream_rng(4, 0, &["t"]);
        let mut p = Random::default();
        for slot in 0..4 {
            p.inserted(slot);
        }
        p.removed(1);
        p.removed(1);
        let mut counts = [0u32; 4];
        for _ in 0..30_000 {
            counts[p.victim(&mut rng).unwrap() as usize] += 1;
        }
        assert_eq!(counts[1], 0, "a removed slot is never chosen");
        // Each of three slots: binomial(30000, 1/3), sd 82; allow 5 sd.
        for slot in [0, 2, 3] {
            assert!(
                (f64::from(counts[slot]) - 10_000.0).abs() < 410.0,
                "{counts:?}"
            );
        }
        p.removed(0);
        p.removed(2);
        p.removed(3);
        assert_eq!(p.victim(&mut rng), None);
    }
}
