//! Consistent hashing: how a cache cluster spreads keys over its nodes.
//!
//! Each node owns many points (virtual nodes) on a ring of 64-bit hashes; a
//! key belongs to the first point at or after its own hash that belongs to a
//! node that is up. Removing a node moves only the keys it owned, to its
//! neighbours on the ring; the virtual nodes keep the shares even.

use crate::keys::mix;

/// Separates the hashes of points from those of keys.
const POINT_SALT: u64 = 0x7269_6e67_706f_696e;
const KEY_SALT: u64 = 0x6b65_7973_6b65_7973;

/// A hash ring over `nodes` nodes.
#[derive(Clone, Debug)]
pub struct Ring {
    /// (hash, node), sorted by hash.
    points: Vec<(u64, u32)>,
    up: Vec<bool>,
}

impl Ring {
    /// Builds the ring of `nodes` nodes with `virtual_nodes` points each.
    pub fn new(nodes: u32, virtual_nodes: u32) -> Self {
        let mut points: Vec<(u64, u32)> = (0..nodes)
            .flat_map(|node| {
                (0..virtual_nodes.max(1)).map(move |v| {
                    let id = (u64::from(node) << 32) | u64::from(v);
                    (mix(id ^ POINT_SALT), node)
                })
            })
            .collect();
        points.sort_unstable();
        Self {
            points,
            up: vec![true; nodes as usize],
        }
    }

    /// Returns the node that owns `key`, or `None` when every node is down.
    /// O(log points) while the owner is up.
    pub fn node_of(&self, key: u32) -> Option<u32> {
        if self.up.len() == 1 {
            return self.up[0].then_some(0);
        }
        let h = mix(u64::from(key) ^ KEY_SALT);
        let start = self.points.partition_point(|&(p, _)| p < h);
        let n = self.points.len();
        (0..n)
            .map(|i| self.points[(start + i) % n].1)
            .find(|&node| self.up[node as usize])
    }

    /// Takes `node` out of the ring (down) or puts it back (up).
    pub fn set_up(&mut self, node: u32, up: bool) {
        if let Some(state) = self.up.get_mut(node as usize) {
            *state = up;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_nodes_spread_keys_evenly() {
        let ring = Ring::new(10, 160);
        let mut counts = [0u32; 10];
        for key in 0..1_000_000u32 {
            counts[ring.node_of(key).unwrap() as usize] += 1;
        }
        // With 160 points per node each share has a relative spread near
        // 1/sqrt(160) = 8%: every node within 25% of the mean.
        for &c in &counts {
            let share = f64::from(c) / 100_000.0;
            assert!((0.75..1.25).contains(&share), "{counts:?}");
        }
    }

    #[test]
    fn a_node_going_down_moves_only_its_own_keys() {
        let mut ring = Ring::new(5, 100);
        let before: Vec<u32> = (0..50_000).map(|k| ring.node_of(k).unwrap()).collect();
        ring.set_up(2, false);
        for (key, &owner) in before.iter().enumerate() {
            let now = ring.node_of(key as u32).unwrap();
            if owner == 2 {
                assert_ne!(now, 2);
            } else {
                assert_eq!(now, owner, "key {key} moved though its node stayed up");
            }
        }
        ring.set_up(2, true);
        assert!((0..50_000).all(|k| ring.node_of(k).unwrap() == before[k as usize]));
        for node in 0..5 {
            ring.set_up(node, false);
        }
        assert_eq!(ring.node_of(7), None);
    }
}
