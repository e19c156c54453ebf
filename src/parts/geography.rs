//! Regions, the latencies between them and where the users live: the facts
//! of the network that the topology and the world share.
//!
//! A region groups zones (`regions: {eu: [eu-a, eu-b]}`); a machine's region
//! is its zone's. With `network.regions`, a hop between machines of two
//! different regions takes the latency given for that pair instead of the
//! ordinary one, and with `traffic.origins` each user lives in a region, so
//! the hop between a user and a machine of another region takes it too.

use super::traffic::origin_of;
use crate::engine::SimTime;

/// The region of a zone that belongs to none, or of a component that has
/// no machine.
pub const NO_REGION: u16 = u16::MAX;

/// Where a component's machines are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// It has no machine (a DNS), or some of its zones belong to no region.
    Nowhere,
    /// Every machine is in this region.
    In(u16),
    /// Its machines are in several regions.
    Spread,
}

/// Regions, the latencies between them and the users' home regions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Geography {
    /// Region names, in file order: a region's id is its index.
    names: Vec<String>,
    /// The region of each zone id ([`NO_REGION`] for a zone in none).
    zone_region: Vec<u16>,
    /// One-way latency between regions, row-major, or empty without
    /// `network.regions` (then hops between regions are ordinary hops).
    latency: Vec<SimTime>,
    /// `traffic.origins` as written: region names and shares of the users.
    origins: Vec<(String, f64)>,
    /// The region id of each entry of `origins`.
    origin_region: Vec<u16>,
}

impl Geography {
    /// Creates the geography of `regions` (each with its zones), over the
    /// zones named `zones` (a zone's id is its index), with the latencies
    /// `between` pairs of region ids, and the users' `origins`.
    ///
    /// The pairs must cover every pair of regions when any is given (the
    /// scenario checks it); a pair left out would be an ordinary hop.
    pub fn new(
        regions: &[(String, Vec<String>)],
        zones: &[String],
        between: &[(usize, usize, SimTime)],
        origins: &[(String, f64)],
    ) -> Self {
        let names: Vec<String> = regions.iter().map(|(name, _)| name.clone()).collect();
        let zone_region = zones
            .iter()
            .map(|zone| {
                regions
                    .iter()
                    .position(|(_, zs)| zs.contains(zone))
                    .map_or(NO_REGION, |r| r as u16)
            })
            .collect();
        let count = names.len();
        let latency = if between.is_empty() {
            Vec::new()
        } else {
            let mut m = vec![SimTime::ZERO; count * count];
            for &(a, b, l) in between {
                if a < count && b < count {
                    m[a * count + b] = l;
                    m[b * count + a] = l;
                }
            }
            m
        };
        let origin_region = origins
            .iter()
            .map(|(name, _)| {
                names
                    .iter()
                    .position(|n| n == name)
                    .map_or(NO_REGION, |r| r as u16)
            })
            .collect();
        Self {
            names,
            zone_region,
            latency,
            origins: origins.to_vec(),
            origin_region,
        }
    }

    /// Returns the region names, in file order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Returns the region of zone `zone` ([`NO_REGION`] if it is in none).
    pub fn region_of_zone(&self, zone: u16) -> u16 {
        self.zone_region
            .get(zone as usize)
            .copied()
            .unwrap_or(NO_REGION)
    }

    /// Returns where machines in the zones `zones` (ids) are.
    pub fn placement(&self, zones: impl IntoIterator<Item = u16>) -> Placement {
        let mut found = None;
        for zone in zones {
            let region = self.region_of_zone(zone);
            if region == NO_REGION {
                return Placement::Nowhere;
            }
            match found {
                None => found = Some(region),
                Some(r) if r != region => return Placement::Spread,
                Some(_) => {}
            }
        }
        found.map_or(Placement::Nowhere, Placement::In)
    }

    /// Returns true when `network.regions` gives latencies between regions.
    pub fn has_latencies(&self) -> bool {
        !self.latency.is_empty()
    }

    /// Returns true when the users live in regions (`traffic.origins`).
    pub fn has_origins(&self) -> bool {
        !self.origins.is_empty()
    }

    /// Returns the one-way latency between regions `a` and `b`, or `None`
    /// when they are the same, one is unknown, or no latencies are given:
    /// then a hop between them is an ordinary hop.
    #[inline]
    pub fn between(&self, a: u16, b: u16) -> Option<SimTime> {
        if a == b || a == NO_REGION || b == NO_REGION || self.latency.is_empty() {
            return None;
        }
        let count = self.names.len();
        self.latency.get(a as usize * count + b as usize).copied()
    }

    /// Returns the distance used to rank regions from region `from`: zero
    /// for itself, the latency between them otherwise (zero when none is
    /// given, so that other regions tie).
    pub fn distance(&self, from: u16, to: u16) -> SimTime {
        self.between(from, to).unwrap_or(SimTime::ZERO)
    }

    /// Returns the home region of user `user` ([`NO_REGION`] without origins).
    #[inline]
    pub fn user_region(&self, user: u32) -> u16 {
        if self.origins.is_empty() {
            return NO_REGION;
        }
        self.origin_region
            .get(origin_of(user, &self.origins))
            .copied()
            .unwrap_or(NO_REGION)
    }

    /// Returns the one-way latency between user `user` and a machine in
    /// region `region`: the latency between the user's region and that one,
    /// or nothing when they are the same, either is unknown, or no
    /// latencies are given (a user reaches its own region's machines at no
    /// cost, as every user does without origins).
    #[inline]
    pub fn user_hop(&self, user: u32, region: u16) -> SimTime {
        if self.origins.is_empty() || self.latency.is_empty() || region == NO_REGION {
            return SimTime::ZERO;
        }
        self.between(self.user_region(user), region)
            .unwrap_or(SimTime::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo() -> Geography {
        let regions = vec![
            (
                "eu".to_string(),
                vec!["eu-a".to_string(), "eu-b".to_string()],
            ),
            ("us".to_string(), vec!["us-a".to_string()]),
        ];
        let zones: Vec<String> = ["eu-a", "us-a", "default", "eu-b"]
            .iter()
            .map(|z| z.to_string())
            .collect();
        Geography::new(
            &regions,
            &zones,
            &[(0, 1, SimTime::from_millis(45))],
            &[("us".to_string(), 1.0)],
        )
    }

    #[test]
    fn zones_belong_to_their_region() {
        let g = geo();
        assert_eq!(g.region_of_zone(0), 0);
        assert_eq!(g.region_of_zone(1), 1);
        assert_eq!(g.region_of_zone(2), NO_REGION);
        assert_eq!(g.region_of_zone(3), 0);
        assert_eq!(g.placement([0, 3]), Placement::In(0));
        assert_eq!(g.placement([0, 1]), Placement::Spread);
        assert_eq!(g.placement([0, 2]), Placement::Nowhere);
        assert_eq!(g.placement([]), Placement::Nowhere);
    }

    #[test]
    fn latencies_go_both_ways_and_not_within_a_region() {
        let g = geo();
        assert_eq!(g.between(0, 1), Some(SimTime::from_millis(45)));
        assert_eq!(g.between(1, 0), Some(SimTime::from_millis(45)));
        assert_eq!(g.between(0, 0), None);
        assert_eq!(g.between(0, NO_REGION), None);
    }

    #[test]
    fn a_user_pays_the_way_to_another_region_only() {
        let g = geo();
        assert_eq!(g.user_region(7), 1);
        assert_eq!(g.user_hop(7, 0), SimTime::from_millis(45));
        assert_eq!(g.user_hop(7, 1), SimTime::ZERO);
        assert_eq!(g.user_hop(7, NO_REGION), SimTime::ZERO);
        assert_eq!(Geography::default().user_hop(7, 0), SimTime::ZERO);
    }
}
