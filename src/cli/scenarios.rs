//! `scalesim scenarios`

use std::fmt::Write;

use serde_json::{json, Value};

use crate::bundled;
use crate::error::Result;

/// Lists the bundled scenarios with their one-line lessons, as text or JSON.
pub fn run(json: bool) -> Result<()> {
    if json {
        let text = serde_json::to_string_pretty(&listing_json()).unwrap_or_default();
        return super::run::print(&format!("{text}\n"));
    }
    super::run::print(&listing())
}

/// Returns the list of bundled scenarios as JSON: an array of objects with
/// each one's `name`, `title` (its `name:` field), `lesson` and the
/// `figures` to watch, in teaching order, with the `track` each belongs to.
pub fn listing_json() -> Value {
    let items: Vec<Value> = bundled::BUNDLED
        .iter()
        .map(|(name, text)| {
            let title = crate::scenario::load_text(text, name, &[])
                .map(|s| s.name)
                .unwrap_or_default();
            json!({
                "name": name,
                "track": bundled::track(name).map(|t| t.title()),
                "title": title,
                "lesson": bundled::lesson(text),
                "figures": bundled::figures(text),
            })
        })
        .collect();
    Value::Array(items)
}

/// Returns the list of bundled scenarios, grouped by track in teaching order:
/// under each track's title, each name with its one-line lesson, and below it
/// the figures its `lesson:` section names, those a student should watch.
pub fn listing() -> String {
    let width = bundled::BUNDLED
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (at, (track, members)) in bundled::by_track().into_iter().enumerate() {
        if at > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{}", track.title());
        for (name, text) in members {
            let _ = writeln!(out, "  {name:<width$}  {}", bundled::lesson(text));
            let figures = bundled::figures(text);
            if !figures.is_empty() {
                let _ = writeln!(out, "  {:<width$}  watch: {}", "", figures.join(", "));
            }
        }
    }
    out.push_str("\nRun one with `scalesim run NAME` (or the file under scenarios/).\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_list_names_every_bundled_scenario_in_order() {
        let list = listing_json();
        let names: Vec<&str> = list
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item["name"].as_str())
            .collect();
        let bundled: Vec<&str> = bundled::BUNDLED.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, bundled);
        assert!(list[0]["lesson"].as_str().is_some_and(|l| !l.is_empty()));
    }

    #[test]
    fn each_lesson_is_followed_by_the_figures_to_watch() {
        let text = listing();
        let lines: Vec<&str> = text.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.trim_start().starts_with("database-failover-async "))
            .unwrap_or_else(|| panic!("database-failover-async is not listed:\n{text}"));
        assert!(
            lines[at].contains("asynchronous replication"),
            "{}",
            lines[at]
        );
        let watch = lines[at + 1].trim_start();
        assert!(
            watch.starts_with("watch: components.db.lost_writes"),
            "the figures do not follow the lesson: {watch:?}"
        );
    }

    #[test]
    fn the_tracks_head_their_scenarios_in_teaching_order() {
        let text = listing();
        let heading = |title: &str| {
            text.lines()
                .position(|l| l == title)
                .unwrap_or_else(|| panic!("no heading {title:?}:\n{text}"))
        };
        let lines: Vec<&str> = text.lines().collect();
        let vertical = heading("Vertical scaling");
        assert!(vertical < heading("Load balancing"));
        assert!(heading("Load balancing") < heading("Geography"));
        assert!(lines[vertical + 1]
            .trim_start()
            .starts_with("one-big-server "));
    }
}
