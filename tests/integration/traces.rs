//! Trace replay (`traffic.trace`): a run offers exactly the arrivals its
//! trace lists inside the measured window, each of the type its line names.

use crate::{number, run_json};

/// The arrivals of `tests/traces/replay.csv`: (time in seconds, type named).
fn arrivals() -> Vec<(f64, Option<String>)> {
    let text = std::fs::read_to_string(crate::root().join("tests/traces/replay.csv")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(',') {
            Some((t, k)) => (t.trim().parse().unwrap(), Some(k.trim().to_string())),
            None => (l.trim().parse().unwrap(), None),
        })
        .collect()
}

#[test]
fn a_replay_offers_exactly_the_arrivals_listed_in_the_window() {
    let all = arrivals();
    let in_window = |a: &&(f64, Option<String>)| (2.0..30.0).contains(&a.0);
    let offered = all.iter().filter(in_window).count() as f64;
    let run = run_json(&["tests/traces/replay.yaml"]);
    assert_eq!(number(&run.json[0], "requests.offered"), offered);
    assert_eq!(number(&run.json[0], "requests.completed"), offered);
    // Only api requests reach db; the lines that name no type draw it from
    // the mix, half api: db serves at least the named ones, and no more than
    // the named and the drawn ones.
    let named_api = all
        .iter()
        .filter(in_window)
        .filter(|(_, k)| k.as_deref() == Some("api"))
        .count() as f64;
    let drawn = all
        .iter()
        .filter(in_window)
        .filter(|(_, k)| k.is_none())
        .count() as f64;
    let db = number(&run.json[0], "components.db.completed");
    assert!(db >= named_api && db <= named_api + drawn, "db served {db}");
    assert!(db > named_api, "no unnamed line was drawn as api");
    // The same trace and seed give the same bytes.
    let again = run_json(&["tests/traces/replay.yaml"]);
    assert_eq!(run.file, again.file);
}

#[test]
fn a_line_that_names_its_type_keeps_it_whatever_the_mix() {
    // With page weighted out of the mix, every line that names no type is
    // an api request, and every line that names page is still a page: db
    // serves exactly the lines that do not name page.
    let all = arrivals();
    let in_window = |a: &&(f64, Option<String>)| (2.0..30.0).contains(&a.0);
    let not_page = all
        .iter()
        .filter(in_window)
        .filter(|(_, k)| k.as_deref() != Some("page"))
        .count() as f64;
    let run = run_json(&[
        "tests/traces/replay.yaml",
        "--set",
        "traffic.requests.page.weight=0",
    ]);
    assert_eq!(number(&run.json[0], "components.db.completed"), not_page);
}
