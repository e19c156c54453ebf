//! Property tests that feed random and mutated scenario files to the loader,
//! and random valid architectures to whole runs (`runs`, and `edge_runs` for
//! the proxy, sessions, autoscaling, functions, queues and cron).
//!
//! Whatever the text, `scenario::load_text` must return quickly, never panic,
//! and reject bad input with a `ScenarioError` whose every issue names a field
//! path or a line, so that the user can find what to fix.
//!
//! The seeds are the bundled scenarios, the files of `tests/bad/` and the corpus
//! of `tests/fuzz/corpus/` (inputs that once broke the loader or come close);
//! every corpus file is also replayed on its own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod edge_runs;
mod runs;

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::Config;
use scalesim::error::{Origin, ScenarioError};
use scalesim::scenario::load_text;

/// The largest input tried: files of the size users write, bounded so that a
/// case stays fast.
const MAX_LEN: usize = 16 * 1024;

/// How long one load may take before it counts as a hang.
const SLOW: Duration = Duration::from_secs(2);

/// Cases per property: the whole binary runs in a few seconds in release mode.
/// `FUZZ_CASES=N` asks for more, for a longer hunt.
const CASES: u32 = 5000;

/// Values that often break parsers: limits, wrong types, odd units, YAML features.
const ODD_VALUES: &[&str] = &[
    "0",
    "-1",
    "1e308",
    "-1e308",
    "1e-320",
    "nan",
    ".nan",
    ".inf",
    "-.inf",
    "18446744073709551616",
    "4294967296",
    "65536",
    "~",
    "null",
    "\"\"",
    "[]",
    "{}",
    "[1, 2]",
    "{a: 1}",
    "true",
    "unbounded",
    "0ms",
    "-5ms",
    "1e30h",
    "0/s",
    "1e300/s",
    "-3/s",
    "100%",
    "250%",
    "0.0000001",
    "&anchor 3",
    "*anchor",
    "!!binary aGVsbG8=",
    "!custom 3",
    "|\n  text",
    "'quoted: value'",
    "web",
    "lb",
    "x.y.z",
    "µs",
    "1 ms",
    "ms",
];

/// Returns the seed texts: bundled scenarios, bad files and the corpus.
fn seeds() -> &'static [String] {
    static SEEDS: OnceLock<Vec<String>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut texts = Vec::new();
        for dir in ["scenarios", "tests/bad", "tests/fuzz/corpus"] {
            texts.extend(read_dir(&root.join(dir)).into_iter().map(|(_, t)| t));
        }
        assert!(texts.len() > 20, "seed files not found");
        texts
    })
}

/// Returns the (name, text) of every file of `dir`, sorted by name.
fn read_dir(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, String::from_utf8_lossy(&bytes).into_owned())
        })
        .collect()
}

/// Loads `text` and checks the loader's promises; returns a message on failure.
fn check(text: &str) -> Result<(), String> {
    let started = Instant::now();
    let outcome = std::panic::catch_unwind(|| load_text(text, "fuzz.yaml", &[]));
    let elapsed = started.elapsed();
    if elapsed > SLOW {
        return Err(format!("took {elapsed:?}"));
    }
    match outcome {
        Err(_) => Err("panicked".into()),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => check_error(&e),
    }
}

/// Checks that a rejection says something and that every issue can be found.
fn check_error(e: &ScenarioError) -> Result<(), String> {
    if e.issues.is_empty() {
        return Err("rejected without any issue".into());
    }
    for issue in &e.issues {
        let placed = !issue.path.is_empty() || matches!(issue.origin, Origin::Line { .. });
        if !placed {
            return Err(format!("issue with neither path nor line: {e}"));
        }
        if issue.message.trim().is_empty() {
            return Err(format!("issue without a message: {e}"));
        }
    }
    Ok(())
}

/// One edit of a text.
#[derive(Clone, Debug)]
enum Mutation {
    /// Replaces the byte at a position (as a fraction of the length) with a character.
    Byte(f64, char),
    /// Deletes a run of characters.
    Delete(f64, usize),
    /// Inserts a string.
    Insert(f64, String),
    /// Deletes a line.
    DropLine(f64),
    /// Repeats a line.
    DuplicateLine(f64),
    /// Swaps two lines.
    SwapLines(f64, f64),
    /// Changes a line's indentation.
    Indent(f64, usize),
    /// Replaces the value after a line's first `: ` with an odd value.
    Value(f64, usize),
    /// Cuts the text short.
    Truncate(f64),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = 0.0..1.0f64;
    prop_oneof![
        (at.clone(), any::<char>()).prop_map(|(a, c)| Mutation::Byte(a, c)),
        (at.clone(), 1..40usize).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (at.clone(), "[ -~\n\t]{1,12}").prop_map(|(a, s)| Mutation::Insert(a, s)),
        at.clone().prop_map(Mutation::DropLine),
        at.clone().prop_map(Mutation::DuplicateLine),
        (at.clone(), at.clone()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (at.clone(), 0..9usize).prop_map(|(a, n)| Mutation::Indent(a, n)),
        (at.clone(), 0..ODD_VALUES.len()).prop_map(|(a, v)| Mutation::Value(a, v)),
        at.prop_map(Mutation::Truncate),
    ]
}

/// Returns the char boundary nearest below the fraction `at` of `text`.
fn position(text: &str, at: f64) -> usize {
    let mut i = ((text.len() as f64) * at) as usize;
    while i > 0 && !text.is_char_boundary(i.min(text.len())) {
        i -= 1;
    }
    i.min(text.len())
}

/// Returns the line index at the fraction `at` of `lines`.
fn line_at(lines: &[String], at: f64) -> usize {
    ((lines.len() as f64) * at) as usize % lines.len().max(1)
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    match m {
        Mutation::Byte(at, c) => {
            let i = position(text, *at);
            let end = text[i..].chars().next().map_or(i, |ch| i + ch.len_utf8());
            format!("{}{c}{}", &text[..i], &text[end..])
        }
        Mutation::Delete(at, n) => {
            let i = position(text, *at);
            let rest: String = text[i..].chars().skip(*n).collect();
            format!("{}{rest}", &text[..i])
        }
        Mutation::Insert(at, s) => {
            let i = position(text, *at);
            format!("{}{s}{}", &text[..i], &text[i..])
        }
        Mutation::Truncate(at) => text[..position(text, *at)].to_string(),
        _ if lines.is_empty() => text.to_string(),
        Mutation::DropLine(at) => {
            lines.remove(line_at(&lines, *at));
            lines.join("\n")
        }
        Mutation::DuplicateLine(at) => {
            let i = line_at(&lines, *at);
            lines.insert(i, lines[i].clone());
            lines.join("\n")
        }
        Mutation::SwapLines(a, b) => {
            let (i, j) = (line_at(&lines, *a), line_at(&lines, *b));
            lines.swap(i, j);
            lines.join("\n")
        }
        Mutation::Indent(at, n) => {
            let i = line_at(&lines, *at);
            lines[i] = format!("{}{}", " ".repeat(*n), lines[i].trim_start());
            lines.join("\n")
        }
        Mutation::Value(at, v) => {
            // Start at the chosen line and go to the next line with a value.
            let start = line_at(&lines, *at);
            let n = lines.len();
            if let Some(i) = (0..n)
                .map(|k| (start + k) % n)
                .find(|&i| lines[i].contains(": "))
            {
                let key_end = lines[i].find(": ").unwrap_or(0);
                lines[i] = format!("{}: {}", &lines[i][..key_end], ODD_VALUES[*v]);
            }
            lines.join("\n")
        }
    }
}

fn config() -> Config {
    config_with(CASES)
}

/// Returns a configuration of `cases` cases, or of `FUZZ_CASES` when it is set.
fn config_with(cases: u32) -> Config {
    Config {
        cases: std::env::var("FUZZ_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mutated_files_never_break_the_loader(
        seed in any::<prop::sample::Index>(),
        edits in prop::collection::vec(mutation(), 1..6),
    ) {
        let seeds = seeds();
        let mut text = seeds[seed.index(seeds.len())].clone();
        for m in &edits {
            text = apply(&text, m);
            if text.len() > MAX_LEN {
                text.truncate(position(&text, MAX_LEN as f64 / text.len() as f64));
            }
        }
        if let Err(e) = check(&text) {
            prop_assert!(false, "{e}\n--- input ---\n{text}");
        }
    }

    #[test]
    fn yaml_like_noise_never_breaks_the_loader(
        text in "([a-z_]{1,8}: ?([a-z0-9_.%/]{0,8}|\\{[a-z: ,0-9]{0,16}\\}|\\[[a-z0-9, ]{0,12}\\])\n {0,4}){0,30}",
    ) {
        if let Err(e) = check(&text) {
            prop_assert!(false, "{e}\n--- input ---\n{text}");
        }
    }

    #[test]
    fn arbitrary_text_never_breaks_the_loader(text in "(?s).{0,400}") {
        if let Err(e) = check(&text) {
            prop_assert!(false, "{e}\n--- input ---\n{text}");
        }
    }
}

#[test]
fn corpus_inputs_are_handled() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus");
    let files = read_dir(&dir);
    assert!(!files.is_empty(), "empty corpus");
    let failures: Vec<String> = files
        .iter()
        .filter_map(|(name, text)| check(text).err().map(|e| format!("{name}: {e}")))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bundled_and_bad_files_are_handled() {
    for text in seeds() {
        check(text).unwrap();
    }
}
