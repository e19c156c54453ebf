//! The scenarios shipped inside the binary, so `scalesim run NAME` and
//! `scalesim scenarios` work from anywhere.

/// A track: the bundled scenarios that teach one part of the subject. The
/// variants are in the order a course takes them, and `scalesim scenarios`
/// lists the tracks in that order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Track {
    /// One server: queueing, utilisation and the knee of the latency curve.
    OneServer,
    /// Vertical scaling: bigger and faster machines, their price and ceiling.
    Vertical,
    /// Horizontal scaling: clones behind a balancer, hops between machines.
    Horizontal,
    /// Load balancing: the strategies, their stickiness and their herds.
    Balancing,
    /// Failures and high availability: crashes, power, detection, retries.
    Failures,
    /// The data tier: caches, replicas, shards and database failover.
    DataTier,
    /// Sessions and the edge: proxies, rate limits and where sessions live.
    SessionsEdge,
    /// Asynchronism: queues, workers and precomputation.
    Asynchronism,
    /// Elasticity: autoscaling.
    Elasticity,
    /// Microservices: fan-out to services scaled on their own.
    Microservices,
    /// Geography: zones, regions and DNS.
    Geography,
}

impl Track {
    /// Every track, in teaching order.
    pub const ALL: [Track; 11] = [
        Track::OneServer,
        Track::Vertical,
        Track::Horizontal,
        Track::Balancing,
        Track::Failures,
        Track::DataTier,
        Track::SessionsEdge,
        Track::Asynchronism,
        Track::Elasticity,
        Track::Microservices,
        Track::Geography,
    ];

    /// Returns the track's title, as `scalesim scenarios` heads it.
    pub fn title(self) -> &'static str {
        match self {
            Track::OneServer => "One server",
            Track::Vertical => "Vertical scaling",
            Track::Horizontal => "Horizontal scaling",
            Track::Balancing => "Load balancing",
            Track::Failures => "Failures and high availability",
            Track::DataTier => "The data tier",
            Track::SessionsEdge => "Sessions and the edge",
            Track::Asynchronism => "Asynchronism",
            Track::Elasticity => "Elasticity",
            Track::Microservices => "Microservices",
            Track::Geography => "Geography",
        }
    }
}

/// Declares the registry: one line per scenario, `bundle!("name", Track)`,
/// from which [`BUNDLED`] (names and texts) and the track of each are made.
/// A line without its track does not compile: every scenario has a place in
/// the course.
macro_rules! registry {
    ($(bundle!($name:literal, $track:ident)),* $(,)?) => {
        /// Bundled scenarios: (name, YAML text of `scenarios/<name>.yaml`), in
        /// the order of the registry ([`by_track`] gives the teaching order).
        pub const BUNDLED: &[(&str, &str)] = &[$(
            ($name, include_str!(concat!("../scenarios/", $name, ".yaml"))),
        )*];

        /// The track of each scenario of [`BUNDLED`], at the same index.
        const TRACKS: &[Track] = &[$(Track::$track,)*];
    };
    ($($other:tt)*) => {
        compile_error!("each line of the registry reads `bundle!(\"name\", Track),`");
    };
}

// Within a track, the order of the lines is the teaching order.
registry! {
    bundle!("one-server-utilisation", OneServer),
    bundle!("overload-open", OneServer),
    bundle!("overload-closed", OneServer),
    bundle!("one-big-server", Vertical),
    bundle!("vertical-machine-catalogue", Vertical),
    bundle!("showcase-vertical", Vertical),
    bundle!("four-clones-round-robin", Horizontal),
    bundle!("co-location-ipc", Horizontal),
    bundle!("showcase-horizontal", Horizontal),
    bundle!("showcase-hybrid", Horizontal),
    bundle!("four-clones-least-connections", Balancing),
    bundle!("balancer-least-loaded-herding", Balancing),
    bundle!("balancer-ip-hash", Balancing),
    bundle!("balancer-l7-routes", Balancing),
    bundle!("power-loss-self-hosted", Failures),
    bundle!("power-loss-two-zones", Failures),
    bundle!("random-failures-vertical", Failures),
    bundle!("random-failures-horizontal", Failures),
    bundle!("health-checks-off", Failures),
    bundle!("health-checks-on", Failures),
    bundle!("health-checks-aggressive", Failures),
    bundle!("standby-servers", Failures),
    bundle!("network-partition", Failures),
    bundle!("balancer-lone", Failures),
    bundle!("balancer-active-passive", Failures),
    bundle!("balancer-active-active", Failures),
    bundle!("retry-storm", Failures),
    bundle!("retry-backoff", Failures),
    bundle!("database-no-cache", DataTier),
    bundle!("database-cache-aside", DataTier),
    bundle!("cache-node-crash", DataTier),
    bundle!("database-read-replicas", DataTier),
    bundle!("database-multi-primary", DataTier),
    bundle!("shards-by-range", DataTier),
    bundle!("shards-by-hash", DataTier),
    bundle!("database-failover-async", DataTier),
    bundle!("database-failover-sync", DataTier),
    bundle!("proxy-firewall-auth", SessionsEdge),
    bundle!("rate-limit-per-user", SessionsEdge),
    bundle!("rate-limit-global", SessionsEdge),
    bundle!("sessions-local", SessionsEdge),
    bundle!("sessions-sticky", SessionsEdge),
    bundle!("sessions-store", SessionsEdge),
    bundle!("sessions-store-replicated", SessionsEdge),
    bundle!("checkout-sync", Asynchronism),
    bundle!("checkout-queue", Asynchronism),
    bundle!("queue-worker-crash", Asynchronism),
    bundle!("cron-precompute", Asynchronism),
    bundle!("traffic-diurnal", Elasticity),
    bundle!("traffic-flash-crowd", Elasticity),
    bundle!("autoscale-fixed-peak", Elasticity),
    bundle!("autoscale-daily", Elasticity),
    bundle!("autoscale-flapping", Elasticity),
    bundle!("microservices-monolith", Microservices),
    bundle!("microservices-split", Microservices),
    bundle!("fanout-tail", Microservices),
    bundle!("breaker-off", Microservices),
    bundle!("breaker-on", Microservices),
    bundle!("bulkhead", Microservices),
    bundle!("function-vs-server", Microservices),
    bundle!("dns-round-robin-long-ttl", Geography),
    bundle!("dns-round-robin-short-ttl", Geography),
    bundle!("dns-geo-two-regions", Geography),
}

/// Returns the track of the bundled scenario `name` (with or without `.yaml`).
pub fn track(name: &str) -> Option<Track> {
    let name = bare(name);
    BUNDLED
        .iter()
        .zip(TRACKS)
        .find(|((n, _), _)| *n == name)
        .map(|(_, track)| *track)
}

/// Returns the bundled scenarios grouped by track, in teaching order: the
/// tracks in the order of [`Track::ALL`] (those with no scenario left out),
/// each with its (name, text) pairs in the order of the registry.
pub fn by_track() -> Vec<(Track, Vec<(&'static str, &'static str)>)> {
    Track::ALL
        .iter()
        .map(|&track| {
            let members = BUNDLED
                .iter()
                .zip(TRACKS)
                .filter(|(_, t)| **t == track)
                .map(|(pair, _)| *pair)
                .collect::<Vec<_>>();
            (track, members)
        })
        .filter(|(_, members)| !members.is_empty())
        .collect()
}

/// Returns a scenario's name without a folder or a `.yaml` ending.
fn bare(name: &str) -> &str {
    let name = name.strip_suffix(".yaml").unwrap_or(name);
    name.rsplit('/').next().unwrap_or(name)
}

/// Returns the text of the bundled scenario `name` (with or without `.yaml`).
pub fn find(name: &str) -> Option<&'static str> {
    let name = bare(name);
    BUNDLED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// Returns the bundled scenario whose name is closest to `name` (with or
/// without a folder and `.yaml`), if one is close enough to be a typo of it:
/// at most a third of its letters (and at least two) added, removed or
/// changed.
pub fn suggest(name: &str) -> Option<&'static str> {
    let name = name.strip_suffix(".yaml").unwrap_or(name);
    let name = name.rsplit('/').next().unwrap_or(name);
    let allowed = (name.chars().count() / 3).max(2);
    BUNDLED
        .iter()
        .map(|(n, _)| (edit_distance(name, n), *n))
        .filter(|(d, _)| *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Returns the Levenshtein distance between `a` and `b`: the fewest
/// characters to add, remove or change to turn one into the other.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    // One row of the dynamic-programming table at a time.
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            let change = diagonal + usize::from(ca != *cb);
            row[j + 1] = change.min(above + 1).min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Returns the lesson of a scenario: its `# Lesson:` comment, with the comment
/// lines that continue it, joined into one line.
pub fn lesson(text: &str) -> String {
    crate::report::explain::header(text, "Lesson")
}

/// Returns the figures a scenario's `lesson:` section names (none when it
/// has no such section, or does not load: every bundled one does, which a
/// test checks).
pub fn figures(text: &str) -> Vec<String> {
    crate::scenario::load_text(text, "scenario", &[])
        .map(|s| s.lesson.figures)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_scenario_is_valid_and_has_a_lesson() {
        for (name, text) in BUNDLED {
            assert!(!lesson(text).is_empty(), "{name} has no lesson");
            if let Err(e) = crate::scenario::load_text(text, name, &[]) {
                panic!("{name}: {e}");
            }
        }
        assert!(find("one-big-server.yaml").is_some());
        assert!(find("scenarios/one-big-server.yaml").is_some());
    }

    #[test]
    fn every_scenario_has_one_track_and_the_tracks_come_in_teaching_order() {
        assert_eq!(TRACKS.len(), BUNDLED.len());
        let grouped = by_track();
        let listed: usize = grouped.iter().map(|(_, members)| members.len()).sum();
        assert_eq!(
            listed,
            BUNDLED.len(),
            "a scenario is listed twice or not at all"
        );
        assert!(grouped.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(grouped[0].0, Track::OneServer);
        assert_eq!(
            track("scenarios/one-big-server.yaml"),
            Some(Track::Vertical)
        );
        assert_eq!(track("no-such-scenario"), None);
    }

    #[test]
    fn no_name_is_bundled_twice() {
        let mut names: Vec<&str> = BUNDLED.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before);
    }

    #[test]
    fn a_typo_of_a_bundled_name_is_suggested_and_nonsense_is_not() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(suggest("one-big-servr"), Some("one-big-server"));
        assert_eq!(suggest("scenarios/retry-strom.yaml"), Some("retry-storm"));
        assert_eq!(suggest("sessions-stiky"), Some("sessions-sticky"));
        assert_eq!(suggest("my-own-architecture"), None);
    }
}
