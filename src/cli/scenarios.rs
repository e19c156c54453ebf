//! `scalesim scenarios`

use std::fmt::Write;

use crate::bundled;
use crate::error::Result;

/// Lists the bundled scenarios with their one-line lessons.
pub fn run() -> Result<()> {
    super::run::print(&listing())
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
