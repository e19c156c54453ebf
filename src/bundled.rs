//! The scenarios shipped inside the binary, so `scalesim run NAME` and
//! `scalesim scenarios` work from anywhere.

/// Bundled scenarios: (name, YAML text), in teaching order.
pub const BUNDLED: &[(&str, &str)] = &[
    (
        "showcase-vertical",
        include_str!("../scenarios/showcase-vertical.yaml"),
    ),
    (
        "showcase-horizontal",
        include_str!("../scenarios/showcase-horizontal.yaml"),
    ),
    (
        "showcase-hybrid",
        include_str!("../scenarios/showcase-hybrid.yaml"),
    ),
    (
        "one-big-server",
        include_str!("../scenarios/one-big-server.yaml"),
    ),
    (
        "four-clones-round-robin",
        include_str!("../scenarios/four-clones-round-robin.yaml"),
    ),
    (
        "four-clones-least-connections",
        include_str!("../scenarios/four-clones-least-connections.yaml"),
    ),
    (
        "database-no-cache",
        include_str!("../scenarios/database-no-cache.yaml"),
    ),
    (
        "database-cache-aside",
        include_str!("../scenarios/database-cache-aside.yaml"),
    ),
    (
        "database-read-replicas",
        include_str!("../scenarios/database-read-replicas.yaml"),
    ),
    (
        "database-multi-primary",
        include_str!("../scenarios/database-multi-primary.yaml"),
    ),
    (
        "shards-by-range",
        include_str!("../scenarios/shards-by-range.yaml"),
    ),
    (
        "shards-by-hash",
        include_str!("../scenarios/shards-by-hash.yaml"),
    ),
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
