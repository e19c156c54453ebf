//! The page itself: its HTML, rendered from an embedded template that
//! escapes every value, and its script and styles, embedded as written (no
//! build step, nothing fetched from elsewhere, so it works offline).

use minijinja::Environment;
use serde::Serialize;

use super::api::Problem;
use super::Settings;
use crate::bundled;
use crate::spec::limits::MAX_PAGE_REPLICATIONS;

/// The page's template.
const INDEX: &str = include_str!("index.html");

/// The page's script.
pub const SCRIPT: &str = include_str!("app.js");

/// The page's styles.
pub const STYLE: &str = include_str!("style.css");

/// A track as the page lists it.
#[derive(Serialize)]
struct TrackView {
    title: &'static str,
    scenarios: Vec<ScenarioView>,
}

/// A bundled scenario as the page lists it.
#[derive(Serialize)]
struct ScenarioView {
    name: &'static str,
    lesson: String,
}

/// What the template is given.
#[derive(Serialize)]
struct IndexView {
    version: &'static str,
    tracks: Vec<TrackView>,
    first: &'static str,
    max_replications: u64,
    /// The guard rails, as the footer states them.
    max_events: String,
    max_wall_s: String,
    max_runs: usize,
}

/// Returns the page: the bundled scenarios by track, in teaching order,
/// and the guard rails of `settings`.
pub fn index(settings: &Settings) -> Result<String, Problem> {
    let tracks: Vec<TrackView> = bundled::by_track()
        .into_iter()
        .map(|(track, members)| TrackView {
            title: track.title(),
            scenarios: members
                .into_iter()
                .map(|(name, text)| ScenarioView {
                    name,
                    lesson: bundled::lesson(text),
                })
                .collect(),
        })
        .collect();
    let first = tracks
        .first()
        .and_then(|t| t.scenarios.first())
        .map_or("", |s| s.name);
    let view = IndexView {
        version: env!("CARGO_PKG_VERSION"),
        tracks,
        first,
        max_replications: MAX_PAGE_REPLICATIONS,
        max_events: settings
            .limits
            .max_events
            .map_or("no limit of".to_string(), |n| n.to_string()),
        max_wall_s: settings
            .limits
            .max_wall
            .map_or("no limit of".to_string(), |w| w.as_secs().to_string()),
        max_runs: settings.max_runs,
    };
    render(&view).map_err(|e| Problem::new(500, format!("cannot render the page: {e}")))
}

/// Renders the template; `.html` templates escape every value by default.
fn render(view: &IndexView) -> Result<String, minijinja::Error> {
    let mut env = Environment::new();
    env.add_template("index.html", INDEX)?;
    env.get_template("index.html")?
        .render(minijinja::value::Serde(view))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_lists_every_bundled_scenario_and_loads_only_its_own_assets() {
        let settings = Settings::new([127, 0, 0, 1].into(), 0);
        let html = index(&settings).unwrap();
        assert!(html.contains("50000000 events"));
        for (name, _) in bundled::BUNDLED {
            assert!(html.contains(&format!("value=\"{name}\"")), "{name}");
        }
        assert!(html.contains("src=\"/app.js\""));
        assert!(html.contains("href=\"/style.css\""));
        // Offline: nothing is fetched from another host.
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!SCRIPT.contains("http://") && !SCRIPT.contains("https://"));
    }
}
