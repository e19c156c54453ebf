//! The README's table of concepts: each concept scalesim must teach (the rows
//! of the product contract's concept table) names the bundled scenarios that
//! teach it, and every name there is a bundled scenario.
//!
//! A concept whose part is not built yet may read "coming", but only the
//! concepts this test knows as such, and only while no bundled scenario sits
//! on their track: once one does, its row must name it.

use scalesim::bundled::{self, Track, BUNDLED};

use crate::root;

/// The concepts, in the order of the contract's table.
const CONCEPTS: &[&str] = &[
    "vertical scaling",
    "horizontal scaling",
    "hybrid",
    "load balancing",
    "load balancer HA",
    "health checks",
    "reverse proxy",
    "sessions",
    "caches",
    "database replication",
    "partitioning / sharding",
    "asynchronism",
    "elasticity",
    "microservices",
    "failures",
    "geography",
];

/// The concepts whose parts come later, with the track their scenarios take.
const COMING: &[(&str, Track)] = &[
    ("asynchronism", Track::Asynchronism),
    ("elasticity", Track::Elasticity),
    ("microservices", Track::Microservices),
];

/// What marks the table in the README: the line just before it.
const MARK: &str = "<!-- concepts -->";

/// Returns the rows of the README's concept table: (concept, scenarios cell).
fn table() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut lines = readme.lines().skip_while(|l| l.trim() != MARK).skip(1);
    let header = lines
        .next()
        .unwrap_or_else(|| panic!("README.md has no {MARK} table"));
    assert_eq!(
        header, "| concept | bundled scenarios |",
        "the table's header"
    );
    assert_eq!(lines.next(), Some("|---|---|"), "the table's separator");
    lines
        .take_while(|l| l.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 2, "a row of two cells: {line}");
            (cells[0].to_string(), cells[1].to_string())
        })
        .collect()
}

/// Returns the scenario names of a cell (`` `a`, `b` ``), or a problem when
/// the cell holds anything else.
fn names(cell: &str) -> Result<Vec<&str>, String> {
    cell.split(',')
        .map(|item| {
            let item = item.trim();
            item.strip_prefix('`')
                .and_then(|i| i.strip_suffix('`'))
                .filter(|name| !name.is_empty() && !name.contains('`'))
                .ok_or_else(|| format!("`{item}` is not a scenario name in backquotes"))
        })
        .collect()
}

/// Returns the bundled scenarios on `track`.
fn on_track(track: Track) -> Vec<&'static str> {
    BUNDLED
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| bundled::track(name) == Some(track))
        .collect()
}

/// Returns what is wrong with one row of the table.
fn row_problems(concept: &str, cell: &str) -> Vec<String> {
    let coming = COMING.iter().find(|(c, _)| *c == concept).map(|(_, t)| *t);
    let named = if cell == "coming" {
        if coming.is_none() {
            return vec![format!(
                "{concept}: only a part not built yet may be coming"
            )];
        }
        Vec::new()
    } else {
        match names(cell) {
            Ok(named) => named,
            Err(e) => return vec![format!("{concept}: {e}")],
        }
    };
    let mut problems: Vec<String> = named
        .iter()
        .filter(|name| bundled::find(name).is_none())
        .map(|name| format!("{concept}: `{name}` is not a bundled scenario"))
        .collect();
    if let Some(track) = coming {
        problems.extend(
            on_track(track)
                .into_iter()
                .filter(|name| !named.contains(name))
                .map(|name| format!("{concept}: `{name}` teaches it; name it in the row")),
        );
    }
    problems
}

#[test]
fn the_readme_names_bundled_scenarios_for_every_concept() {
    let rows = table();
    let concepts: Vec<&str> = rows.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(concepts, CONCEPTS, "the table's concepts, in order");
    let problems: Vec<String> = rows
        .iter()
        .flat_map(|(concept, cell)| row_problems(concept, cell))
        .collect();
    assert!(
        problems.is_empty(),
        "the README's concept table:\n{}",
        problems.join("\n")
    );
}

#[test]
fn a_row_is_refused_when_it_names_nothing_real() {
    assert!(row_problems("caches", "`no-such-scenario`")[0].contains("not a bundled"));
    assert!(row_problems("caches", "coming")[0].contains("not built yet"));
    assert!(row_problems("caches", "")[0].contains("backquotes"));
    assert!(row_problems("caches", "`shards-by-hash`, soon")[0].contains("backquotes"));
    assert!(row_problems("caches", "`shards-by-hash`").is_empty());
}

#[test]
fn every_track_of_a_coming_concept_is_known_to_the_library() {
    for (concept, track) in COMING {
        assert!(CONCEPTS.contains(concept));
        assert!(Track::ALL.contains(track));
    }
}
