//! Every bundled scenario states its lesson in its `lesson:` section, and each
//! of its knobs does what the section says: turned to its `try` value, it moves
//! every figure of its `expect` the stated way, with the paired 95% interval of
//! the difference (over common random numbers) clear of zero.
//!
//! The list of scenarios is the library's own (`scalesim::bundled::BUNDLED`),
//! so a scenario added to it is checked without a change here.

use scalesim::bundled::BUNDLED;
use scalesim::metrics::{paired_differences, RunSummary, REPORT_LEVEL};
use scalesim::runner;
use scalesim::scenario::lesson::{Direction, Knob};
use scalesim::scenario::{self, Override, Scenario};

/// Replications of the scenario and of each turned copy, paired one to one.
const REPLICATIONS: u64 = 8;

/// One run to make: a bundled scenario as written, or turned by one knob.
struct Variant {
    /// The bundled scenario's name.
    name: &'static str,
    /// The knob turned, or `None` for the scenario as written.
    knob: Option<Knob>,
    /// The checked scenario.
    scenario: Scenario,
}

/// Loads every bundled scenario and every copy of it with one knob turned to
/// its `try` value; returns them with the problems found on the way.
fn variants() -> (Vec<Variant>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for &(name, text) in BUNDLED {
        let base = scenario::load_text(text, name, &[])
            .unwrap_or_else(|e| panic!("{name} does not load: {e}"));
        let lesson = base.lesson.clone();
        if lesson.figures.is_empty() {
            problems.push(format!("{name}: its lesson section names no figure"));
        }
        if lesson.knobs.is_empty() {
            problems.push(format!("{name}: its lesson section names no knob"));
        }
        for knob in &lesson.knobs {
            problems.extend(check_values(name, text, knob));
            match scenario::load_text(text, name, &[knob.try_override()]) {
                Ok(turned) if same(&base, &turned) => problems.push(format!(
                    "{name}: `{}={}` leaves the scenario as it is",
                    knob.path, knob.try_value
                )),
                Ok(turned) => out.push(Variant {
                    name,
                    knob: Some(knob.clone()),
                    scenario: turned,
                }),
                Err(e) => problems.push(format!(
                    "{name}: `{}={}` is refused: {e}",
                    knob.path, knob.try_value
                )),
            }
        }
        out.push(Variant {
            name,
            knob: None,
            scenario: base,
        });
    }
    (out, problems)
}

/// Returns true if `turned` is `base` but for its name (an override adds
/// itself to the name): the override changed nothing.
fn same(base: &Scenario, turned: &Scenario) -> bool {
    let renamed = Scenario {
        name: turned.name.clone(),
        ..base.clone()
    };
    format!("{renamed:?}") == format!("{turned:?}")
}

/// Checks that every listed value of `knob` is accepted, and that its `try`
/// value is one of them.
fn check_values(name: &str, text: &str, knob: &Knob) -> Vec<String> {
    let mut problems = Vec::new();
    if !knob.values.is_empty() && !knob.values.contains(&knob.try_value) {
        problems.push(format!(
            "{name}: `{}`: the value to try, {}, is not among its values {:?}",
            knob.path, knob.try_value, knob.values
        ));
    }
    for value in &knob.values {
        let turn = Override::set(&knob.path, value);
        if let Err(e) = scenario::load_text(text, name, &[turn]) {
            problems.push(format!("{name}: `{}={value}` is refused: {e}", knob.path));
        }
    }
    problems
}

/// Checks that turning `knob` moved each figure it expects the stated way,
/// from `base` to `turned` (paired replications); returns what did not.
fn check_moves(name: &str, knob: &Knob, base: &[RunSummary], turned: &[RunSummary]) -> Vec<String> {
    let paths: Vec<String> = knob.expect.iter().map(|(p, _)| p.clone()).collect();
    let found = paired_differences(base, turned, &paths, REPORT_LEVEL);
    let mut problems = Vec::new();
    for (path, direction) in &knob.expect {
        let turn = format!("{name}: `{}={}`", knob.path, knob.try_value);
        let Some((_, _, d)) = found.iter().find(|(p, _, _)| p == path) else {
            problems.push(format!("{turn}: `{path}` is missing from the runs"));
            continue;
        };
        eprintln!(
            "{turn}: {path} {:+.6} [{:+.6}, {:+.6}]",
            d.mean,
            d.low(),
            d.high()
        );
        let moved = match direction {
            Direction::Up => d.low() > 0.0,
            Direction::Down => d.high() < 0.0,
        };
        if !moved {
            problems.push(format!(
                "{turn}: `{path}` was expected to go {direction:?}, but moved by {:+.6} \
                 (95% interval [{:+.6}, {:+.6}])",
                d.mean,
                d.low(),
                d.high()
            ));
        }
    }
    problems
}

#[test]
fn every_bundled_scenario_has_a_lesson_and_its_knobs_move_its_figures() {
    let (variants, mut problems) = variants();
    let scenarios: Vec<Scenario> = variants.iter().map(|v| v.scenario.clone()).collect();
    let runs = runner::run_all(&scenarios, REPLICATIONS, 0).expect("the runs complete");
    for (variant, turned) in variants.iter().zip(&runs) {
        let Some(knob) = &variant.knob else {
            continue;
        };
        let base = variants
            .iter()
            .zip(&runs)
            .find(|(v, _)| v.name == variant.name && v.knob.is_none())
            .map(|(_, r)| r)
            .expect("every scenario runs as written too");
        problems.extend(check_moves(variant.name, knob, base, turned));
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) with the lessons of the bundled scenarios:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
