//! How a balancer chooses a replica: one small trait, one implementation per
//! policy. Every policy skips replicas that health checks marked unavailable.

use rand::RngExt;
use serde::Deserialize;

use super::heap::IndexedMinHeap;
use crate::parts::health::Members;
use crate::engine::SimRng;
use crate::keys::mix;

/// The strategies a balancer may use, as written in `strategy:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyKind {
    /// Each replica in turn.
    RoundRobin,
    /// In turn, in proportion to `weights`.
    WeightedRoundRobin,
    /// Uniformly at random.
    Random,
    /// The replica with the fewest requests in flight from this balancer.
    LeastConnections,
    /// The less busy of two replicas drawn at random.
    PowerOfTwo,
    /// By a hash of the client id: a client always lands on the same replica
    /// while it is available.
    IpHash,
    /// The replica with the smallest reported load (reports arrive periodically).
    LeastLoaded,
}

/// A policy for choosing replicas of one target.
pub trait Strategy {
    /// Chooses an available replica for a request from client `user`; `None` if none is.
    fn pick(&mut self, user: u32, rng: &mut SimRng) -> Option<u32>;
    /// Notes that a request was sent to `replica`.
    fn assigned(&mut self, _replica: u32) {}
    /// Notes that a request sent to `replica` was answered.
    fn released(&mut self, _replica: u32) {}
    /// Notes a load report from `replica`.
    fn reported(&mut self, _replica: u32, _load: u32) {}
    /// Marks `replica` as available or not (health checks).
    fn set_available(&mut self, replica: u32, available: bool);
    /// Returns the number of replicas it chooses among.
    fn replicas(&self) -> u32;
}

/// Builds the strategy `kind` over `replicas` replicas; `salt` scrambles the
/// hash of `ip_hash` (one per run: the users' addresses are not the same
/// population from one run to the next).
pub fn build(
    kind: StrategyKind,
    replicas: u32,
    weights: Option<&[f64]>,
    salt: u64,
) -> Box<dyn Strategy> {
    let n = replicas.max(1);
    match kind {
        StrategyKind::RoundRobin => Box::new(RoundRobin {
            next: 0,
            available: Members::new(n),
        }),
        StrategyKind::WeightedRoundRobin => Box::new(WeightedRoundRobin::new(n, weights)),
        StrategyKind::Random => Box::new(Random {
            available: Members::new(n),
        }),
        StrategyKind::LeastConnections => Box::new(LeastConnections::new(n)),
        StrategyKind::PowerOfTwo => Box::new(PowerOfTwo {
            connections: vec![0; n as usize],
            available: Members::new(n),
        }),
        StrategyKind::IpHash => Box::new(IpHash {
            available: Members::new(n),
            salt,
        }),
        StrategyKind::LeastLoaded => Box::new(LeastLoaded::new(n)),
    }
}

/// Each replica in turn.
struct RoundRobin {
    next: u32,
    available: Members,
}

impl Strategy for RoundRobin {
    fn pick(&mut self, _user: u32, _rng: &mut SimRng) -> Option<u32> {
        let chosen = self.available.next_from(self.next)?;
        self.next = (chosen + 1) % self.available.total();
        Some(chosen)
    }

    fn set_available(&mut self, replica: u32, available: bool) {
        self.available.set(replica, available);
    }

    fn replicas(&self) -> u32 {
        self.available.total()
    }
}

/// Stride scheduling: each replica advances by 1/weight when chosen, and the
/// one furthest behind goes next. Deterministic, proportional, O(log n).
struct WeightedRoundRobin {
    /// Key: (unavailable, pass, index).
    heap: IndexedMinHeap<(bool, u64, u32)>,
    stride: Vec<u64>,
}

impl WeightedRoundRobin {
    const SCALE: f64 = 1e12;

    fn new(n: u32, weights: Option<&[f64]>) -> Self {
        let stride: Vec<u64> = (0..n as usize)
            .map(|i| {
                let w = weights.and_then(|w| w.get(i)).copied().unwrap_or(1.0);
                (Self::SCALE / w.max(1e-9)).round() as u64
            })
            .collect();
        // Start each replica half a stride in, so heavy replicas go first.
        let keys = (0..n).map(|i| (false, stride[i as usize] / 2, i)).collect();
        Self {
            heap: IndexedMinHeap::new(keys),
            stride,
        }
    }
}

impl Strategy for WeightedRoundRobin {
    fn pick(&mut self, _user: u32, _rng: &mut SimRng) -> Option<u32> {
        let chosen = self.heap.min();
        let (unavailable, pass, _) = self.heap.key(chosen);
        if unavailable {
            return None;
        }
        self.heap
            .update(chosen, (false, pass + self.stride[chosen as usize], chosen));
        Some(chosen)
    }

    fn set_available(&mut self, replica: u32, available: bool) {
        let (_, pass, _) = self.heap.key(replica);
        // A returning replica starts level with the others, not far behind them.
        let pass = if available {
            let (_, lowest, _) = self.heap.key(self.heap.min());
            pass.max(lowest)
        } else {
            pass
        };
        self.heap.update(replica, (!available, pass, replica));
    }

    fn replicas(&self) -> u32 {
        self.stride.len() as u32
    }
}

/// Uniformly at random among the available replicas.
struct Random {
    available: Members,
}

impl Strategy for Random {
    fn pick(&mut self, _user: u32, rng: &mut SimRng) -> Option<u32> {
        self.available.draw(rng)
    }

    fn set_available(&mut self, replica: u32, available: bool) {
        self.available.set(replica, available);
    }

    fn replicas(&self) -> u32 {
        self.available.total()
    }
}

/// Fewest requests in flight; among equals, the one chosen least recently.
struct LeastConnections {
    /// Key: (unavailable, connections, stamp of the last choice).
    heap: IndexedMinHeap<(bool, u32, u64)>,
    stamp: u64,
}

impl LeastConnections {
    fn new(n: u32) -> Self {
        Self {
            heap: IndexedMinHeap::new((0..n).map(|i| (false, 0, u64::from(i))).collect()),
            stamp: u64::from(n),
        }
    }
}

impl Strategy for LeastConnections {
    fn pick(&mut self, _user: u32, _rng: &mut SimRng) -> Option<u32> {
        let chosen = self.heap.min();
        let (unavailable, _, _) = self.heap.key(chosen);
        (!unavailable).then_some(chosen)
    }

    fn assigned(&mut self, replica: u32) {
        let (unavailable, connections, _) = self.heap.key(replica);
        self.stamp += 1;
        self.heap
            .update(replica, (unavailable, connections + 1, self.stamp));
    }

    fn released(&mut self, replica: u32) {
        let (unavailable, connections, stamp) = self.heap.key(replica);
        self.heap
            .update(replica, (unavailable, connections.saturating_sub(1), stamp));
    }

    fn set_available(&mut self, replica: u32, available: bool) {
        let (_, connections, stamp) = self.heap.key(replica);
        self.heap.update(replica, (!available, connections, stamp));
    }

    fn replicas(&self) -> u32 {
        self.heap.len()
    }
}

/// Two available replicas at random, the one with fewer requests in flight wins.
struct PowerOfTwo {
    connections: Vec<u32>,
    available: Members,
}

impl Strategy for PowerOfTwo {
    fn pick(&mut self, _user: u32, rng: &mut SimRng) -> Option<u32> {
        let n = self.available.len();
        if n <= 1 {
            return self.available.draw(rng);
        }
        let i = rng.random_range(0..n);
        // A second, different replica: draw from the n - 1 others.
        let j = (i + 1 + rng.random_range(0..n - 1)) % n;
        let (a, b) = (self.available.nth(i)?, self.available.nth(j)?);
        Some(
            if self.connections[b as usize] < self.connections[a as usize] {
                b
            } else {
                a
            },
        )
    }

    fn assigned(&mut self, replica: u32) {
        self.connections[replica as usize] += 1;
    }

    fn released(&mut self, replica: u32) {
        let c = &mut self.connections[replica as usize];
        *c = c.saturating_sub(1);
    }

    fn set_available(&mut self, replica: u32, available: bool) {
        self.available.set(replica, available);
    }

    fn replicas(&self) -> u32 {
        self.connections.len() as u32
    }
}

/// A client always lands on its home replica, its hash modulo all the
/// replicas, while that one is available. When it is not, the hash is mixed
/// again, up to [`IpHash::REHASHES`] times, until it names an available
/// replica (as nginx's `ip_hash` does): the clients of a replica that is out
/// spread evenly over the others, every other client stays where it is, and
/// each goes back home when its replica returns.
struct IpHash {
    available: Members,
    /// Scrambles the hash, per run.
    salt: u64,
}

impl IpHash {
    /// Rehashes before falling back to the next available replica in turn.
    const REHASHES: u32 = 20;
}

impl Strategy for IpHash {
    fn pick(&mut self, user: u32, _rng: &mut SimRng) -> Option<u32> {
        if self.available.is_empty() {
            return None;
        }
        let n = u64::from(self.available.total());
        // Mix the id so that consecutive ids do not map to consecutive replicas.
        let mut z = mix(u64::from(user) ^ self.salt);
        for _ in 0..Self::REHASHES {
            let r = (z % n) as u32;
            if self.available.contains(r) {
                return Some(r);
            }
            z = mix(z);
        }
        self.available.next_from((z % n) as u32)
    }

    fn set_available(&mut self, replica: u32, available: bool) {
        self.available.set(replica, available);
    }

    fn replicas(&self) -> u32 {
        self.available.total()
    }
}

/// The smallest load in the last reports; between reports the view is stale,
/// so every request goes to the replica that looked idlest (among equals, in
/// turn). That herding is what this strategy teaches.
struct LeastLoaded {
    /// Key: (unavailable, reported load, stamp of the last choice).
    heap: IndexedMinHeap<(bool, u32, u64)>,
    stamp: u64,
}

impl LeastLoaded {
    fn new(n: u32) -> Self {
        Self {
            heap: IndexedMinHeap::new((0..n).map(|i| (false, 0, u64::from(i))).collect()),
            stamp: u64::from(n),
        }
    }
}

impl Strategy for LeastLoaded {
    fn pick(&mut self, _user: u32, _rng: &mut SimRng) -> Option<u32> {
        let chosen = self.heap.min();
        let (unavailable, load, _) = self.heap.key(chosen);
        if unavailable {
            return None;
        }
        self.stamp += 1;
        self.heap.update(chosen, (false, load, self.stamp));
        Some(chosen)
    }

    fn reported(&mut self, replica: u32, load: u32) {
        let (unavailable, _, stamp) = self.heap.key(replica);
        self.heap.update(replica, (unavailable, load, stamp));
    }

    fn set_available(&mut self, replica: u32, available: bool) {
        let (_, load, stamp) = self.heap.key(replica);
        self.heap.update(replica, (!available, load, stamp));
    }

    fn replicas(&self) -> u32 {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream_rng;

    fn make(kind: StrategyKind, replicas: u32, weights: Option<&[f64]>) -> Box<dyn Strategy> {
        build(kind, replicas, weights, 0x5eed)
    }

    fn picks(strategy: &mut dyn Strategy, count: usize) -> Vec<u32> {
        let mut rng = stream_rng(1, 0, &["lb-test"]);
        (0..count as u32)
            .map(|u| strategy.pick(u, &mut rng).unwrap())
            .collect()
    }

    const ALL: [StrategyKind; 7] = [
        StrategyKind::RoundRobin,
        StrategyKind::WeightedRoundRobin,
        StrategyKind::Random,
        StrategyKind::LeastConnections,
        StrategyKind::PowerOfTwo,
        StrategyKind::IpHash,
        StrategyKind::LeastLoaded,
    ];

    #[test]
    fn round_robin_cycles() {
        let mut s = make(StrategyKind::RoundRobin, 3, None);
        assert_eq!(picks(s.as_mut(), 7), [0, 1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn weighted_round_robin_follows_the_weights() {
        let mut s = make(StrategyKind::WeightedRoundRobin, 3, Some(&[3.0, 1.0, 1.0]));
        let chosen = picks(s.as_mut(), 500);
        let count = |r| chosen.iter().filter(|&&c| c == r).count();
        assert_eq!((count(0), count(1), count(2)), (300, 100, 100));
    }

    #[test]
    fn least_connections_avoids_busy_replicas() {
        let mut s = make(StrategyKind::LeastConnections, 3, None);
        let mut rng = stream_rng(1, 0, &["x"]);
        for _ in 0..3 {
            let r = s.pick(0, &mut rng).unwrap();
            s.assigned(r);
        }
        // All three have one connection; free replica 2.
        s.released(2);
        assert_eq!(s.pick(0, &mut rng), Some(2));
    }

    #[test]
    fn ip_hash_is_sticky() {
        let mut s = make(StrategyKind::IpHash, 8, None);
        let mut rng = stream_rng(1, 0, &["x"]);
        let first = s.pick(42, &mut rng);
        assert!((0..10).all(|_| s.pick(42, &mut rng) == first));
    }

    #[test]
    fn ip_hash_moves_only_the_clients_of_a_replica_that_is_out_and_spreads_them() {
        let mut s = make(StrategyKind::IpHash, 4, None);
        let mut rng = stream_rng(1, 0, &["x"]);
        let users = 40_000u32;
        let mut pick = |s: &mut Box<dyn Strategy>| -> Vec<u32> {
            (0..users).map(|u| s.pick(u, &mut rng).unwrap()).collect()
        };
        let home = pick(&mut s);
        s.set_available(2, false);
        let away = pick(&mut s);
        let mut moved_to = [0u32; 4];
        for (h, a) in home.iter().zip(&away) {
            if *h == 2 {
                moved_to[*a as usize] += 1;
            } else {
                assert_eq!(h, a, "a client of an available replica moved");
            }
        }
        assert_eq!(moved_to[2], 0);
        // Each of the three others gets a third of them: binomial, within 5 sd.
        let moved = f64::from(moved_to.iter().sum::<u32>());
        let sd = (moved / 3.0 * 2.0 / 3.0).sqrt();
        for r in [0, 1, 3] {
            let got = f64::from(moved_to[r]);
            assert!((got - moved / 3.0).abs() < 5.0 * sd, "{moved_to:?}");
        }
        s.set_available(2, true);
        assert_eq!(pick(&mut s), home, "every client goes back home");
    }

    #[test]
    fn the_ip_hash_salt_changes_the_homes() {
        let mut rng = stream_rng(1, 0, &["x"]);
        let mut a = build(StrategyKind::IpHash, 10, None, 1);
        let mut b = build(StrategyKind::IpHash, 10, None, 2);
        let same = (0..1000)
            .filter(|&u| a.pick(u, &mut rng) == b.pick(u, &mut rng))
            .count();
        // Independent homes agree for a tenth of the users: 100, sd 9.5.
        assert!((50..150).contains(&same), "{same}");
    }

    #[test]
    fn least_loaded_herds_on_the_idlest_report() {
        let mut s = make(StrategyKind::LeastLoaded, 3, None);
        s.reported(0, 5);
        s.reported(1, 0);
        s.reported(2, 5);
        assert_eq!(picks(s.as_mut(), 4), [1, 1, 1, 1]);
    }

    #[test]
    fn power_of_two_picks_the_less_loaded_of_two() {
        let mut s = make(StrategyKind::PowerOfTwo, 2, None);
        s.assigned(0);
        // With two replicas both are always drawn, so the idle one wins.
        assert!(picks(s.as_mut(), 10).iter().all(|&r| r == 1));
    }

    #[test]
    fn every_strategy_skips_unavailable_replicas_and_takes_them_back() {
        for kind in ALL {
            let mut s = make(kind, 4, Some(&[1.0; 4]));
            s.set_available(1, false);
            s.set_available(3, false);
            let chosen = picks(s.as_mut(), 200);
            assert!(
                chosen.iter().all(|&r| r == 0 || r == 2),
                "{kind:?}: {chosen:?}"
            );
            s.set_available(0, false);
            s.set_available(2, false);
            let mut rng = stream_rng(1, 0, &["x"]);
            assert_eq!(s.pick(7, &mut rng), None, "{kind:?}");
            s.set_available(3, true);
            assert_eq!(s.pick(7, &mut rng), Some(3), "{kind:?}");
        }
    }
}
