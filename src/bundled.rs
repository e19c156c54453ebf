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

/// Returns the lesson of a scenario: its `# Lesson:` comment, with the comment
/// lines that continue it, joined into one line.
pub fn lesson(text: &str) -> String {
    let mut lines = text.lines().skip_while(|l| !l.starts_with("# Lesson:"));
    let Some(first) = lines.next() else {
        return String::new();
    };
    let mut words: Vec<&str> = vec![first.trim_start_matches("# Lesson:").trim()];
    // Continuation lines are indented comments; the next `# Label:` ends the lesson.
    for line in lines {
        match line.strip_prefix('#') {
            Some(rest) if rest.starts_with("  ") => words.push(rest.trim()),
            _ => break,
        }
    }
    words.join(" ")
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
}
