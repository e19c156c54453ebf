//! The scenarios shipped inside the binary, so `scalesim run NAME` and
//! `scalesim scenarios` work from anywhere.

/// Pairs a scenario's name with the text of `scenarios/<name>.yaml`.
macro_rules! bundle {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../scenarios/", $name, ".yaml")),
        )
    };
}

/// Bundled scenarios: (name, YAML text), in teaching order.
pub const BUNDLED: &[(&str, &str)] = &[
    bundle!("showcase-vertical"),
    bundle!("showcase-horizontal"),
    bundle!("showcase-hybrid"),
    bundle!("one-big-server"),
    bundle!("four-clones-round-robin"),
    bundle!("four-clones-least-connections"),
    bundle!("database-no-cache"),
    bundle!("database-cache-aside"),
    bundle!("cache-node-crash"),
    bundle!("database-read-replicas"),
    bundle!("database-multi-primary"),
    bundle!("shards-by-range"),
    bundle!("shards-by-hash"),
    bundle!("database-failover-async"),
    bundle!("database-failover-sync"),
    bundle!("power-loss-self-hosted"),
    bundle!("power-loss-two-zones"),
    bundle!("random-failures-vertical"),
    bundle!("random-failures-horizontal"),
    bundle!("health-checks-off"),
    bundle!("health-checks-on"),
    bundle!("health-checks-aggressive"),
    bundle!("dns-round-robin-long-ttl"),
    bundle!("dns-round-robin-short-ttl"),
    bundle!("dns-geo-two-regions"),
    bundle!("balancer-lone"),
    bundle!("balancer-active-passive"),
    bundle!("balancer-active-active"),
    bundle!("proxy-firewall-auth"),
    bundle!("rate-limit-per-user"),
    bundle!("rate-limit-global"),
    bundle!("sessions-local"),
    bundle!("sessions-sticky"),
    bundle!("sessions-store"),
    bundle!("sessions-store-replicated"),
    bundle!("retry-storm"),
    bundle!("retry-backoff"),
    bundle!("checkout-sync"),
    bundle!("checkout-queue"),
    bundle!("queue-worker-crash"),
    bundle!("traffic-diurnal"),
    bundle!("traffic-flash-crowd"),
    bundle!("overload-open"),
    bundle!("overload-closed"),
    bundle!("cron-precompute"),
];

/// Returns the text of the bundled scenario `name` (with or without `.yaml`).
pub fn find(name: &str) -> Option<&'static str> {
    let name = name.strip_suffix(".yaml").unwrap_or(name);
    let name = name.rsplit('/').next().unwrap_or(name);
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
    fn a_typo_of_a_bundled_name_is_suggested_and_nonsense_is_not() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(suggest("one-big-servr"), Some("one-big-server"));
        assert_eq!(suggest("scenarios/retry-strom.yaml"), Some("retry-storm"));
        assert_eq!(suggest("sessions-stiky"), Some("sessions-sticky"));
        assert_eq!(suggest("my-own-architecture"), None);
    }
}
