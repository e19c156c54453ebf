//! The output shown in README.md is the output scalesim prints today.
//!
//! Every ```text block of the README shows scalesim's output, and the line
//! before it names the command that prints it:
//!
//! ```text
//! <!-- output: scalesim run scenarios/one-big-server.yaml -->
//! <!-- output: scalesim validate tests/bad/several_mistakes.yaml 2>&1 -->
//! <!-- output: scalesim compare a.yaml b.yaml | paragraphs 2, 6 -->
//! ```
//!
//! The test runs each command in the crate's root, with `--out` a temporary
//! folder for the commands that write results (the others do not take it),
//! and compares what it prints with the block. `2>&1` shows the standard
//! error too, in the order it came; `| paragraphs N, M` (or
//! `| paragraph N`) only those paragraphs of the output, counted from 1,
//! where paragraphs are separated by blank lines. Results are deterministic,
//! so only what differs from a user's terminal is normalised: the temporary
//! folder reads `output` (the default `--out`), and spaces at the ends of
//! lines are dropped.
//!
//! A ```console block is an illustration that no single command prints (the
//! progress bar as a terminal redraws it, the warning of a second command
//! into a folder): the tests of those features check its text instead
//! (`tests/integration/output_folder.rs` checks the warning word for word).
//!
//! `SCALESIM_BLESS=1 cargo test --release --test integration readme` writes
//! the fresh output into the blocks instead of failing.

use std::fs::File;
use std::process::{Command, Stdio};

use tempfile::TempDir;

use crate::root;

/// What marks the line that names a block's command.
const MARK: &str = "<!-- output: ";

/// One output block of the README.
struct Block {
    /// The command as the comment names it.
    command: String,
    /// The arguments after `scalesim`.
    args: Vec<String>,
    /// Whether the standard error is shown too (`2>&1`).
    stderr: bool,
    /// The paragraphs shown, counted from 1 (`None`: all of them).
    paragraphs: Option<Vec<usize>>,
    /// The line numbers (from 0) of the block's text: `start..end`.
    start: usize,
    end: usize,
}

/// Splits a command into words, keeping quoted words ('…' or "…") whole.
fn words(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut started = false;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started {
                    out.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (None, c) => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        out.push(word);
    }
    out
}

/// Reads the comment `line` (without its marks) into a block's command,
/// arguments, stderr flag and paragraphs.
fn parse_comment(spec: &str, line: usize) -> Result<Block, String> {
    let (command, selection) = match spec.split_once('|') {
        Some((command, selection)) => (command.trim(), Some(selection.trim())),
        None => (spec.trim(), None),
    };
    let paragraphs = match selection {
        None => None,
        Some(s) => {
            let list = s
                .strip_prefix("paragraphs ")
                .or_else(|| s.strip_prefix("paragraph "))
                .ok_or_else(|| {
                    format!(
                        "README.md:{}: expected `| paragraphs N, M`, found `| {s}`",
                        line + 1
                    )
                })?;
            let numbers: Result<Vec<usize>, _> =
                list.split(',').map(|n| n.trim().parse::<usize>()).collect();
            match numbers {
                Ok(n) if !n.is_empty() && !n.contains(&0) => Some(n),
                _ => {
                    return Err(format!(
                        "README.md:{}: expected paragraph numbers from 1, found `{list}`",
                        line + 1
                    ))
                }
            }
        }
    };
    let mut args = words(command);
    let stderr = args.last().is_some_and(|a| a == "2>&1");
    if stderr {
        args.pop();
    }
    if args.first().map(String::as_str) != Some("scalesim") {
        return Err(format!(
            "README.md:{}: the command must start with `scalesim`, found `{command}`",
            line + 1
        ));
    }
    args.remove(0);
    if args.iter().any(|a| a == "--out" || a.starts_with("--out=")) {
        return Err(format!(
            "README.md:{}: `--out` is the test's own (a temporary folder shown as `output`)",
            line + 1
        ));
    }
    Ok(Block {
        command: command.to_string(),
        args,
        stderr,
        paragraphs,
        start: 0,
        end: 0,
    })
}

/// Finds every ```text block of `lines` with the command before it; a block
/// without one, or a comment that cannot be read, is a problem.
fn blocks(lines: &[&str]) -> Result<Vec<Block>, Vec<String>> {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_end() != "```text" {
            i += 1;
            continue;
        }
        let end = (i + 1..lines.len())
            .find(|&j| lines[j].trim_end() == "```")
            .unwrap_or(lines.len());
        let comment = i
            .checked_sub(1)
            .map(|k| lines[k].trim())
            .and_then(|l| l.strip_prefix(MARK))
            .and_then(|l| l.strip_suffix("-->"));
        match comment.map(|c| parse_comment(c, i - 1)) {
            Some(Ok(mut block)) => {
                block.start = i + 1;
                block.end = end;
                found.push(block);
            }
            Some(Err(problem)) => problems.push(problem),
            None => problems.push(format!(
                "README.md:{}: a ```text block shows scalesim's output: the line before it \
                 must name the command, like `{MARK}scalesim run FILE -->`",
                i + 1
            )),
        }
        i = end + 1;
    }
    if problems.is_empty() {
        Ok(found)
    } else {
        Err(problems)
    }
}

/// Runs `block`'s command and returns its output as the README shows it.
fn output(block: &Block) -> String {
    let out = TempDir::new().unwrap();
    let capture = TempDir::new().unwrap();
    let path = capture.path().join("output.txt");
    let file = File::create(&path).unwrap();
    // One file for both streams keeps the order in which they were written.
    let stderr = if block.stderr {
        Stdio::from(file.try_clone().unwrap())
    } else {
        Stdio::null()
    };
    let mut command = Command::new(env!("CARGO_BIN_EXE_scalesim"));
    command.current_dir(root()).args(&block.args);
    if writes_results(&block.args) {
        command.arg("--out").arg(out.path());
    }
    let status = command
        .stdin(Stdio::null())
        .stdout(Stdio::from(file))
        .stderr(stderr)
        .status()
        .unwrap();
    // Status 2 is bad input, which a block may show; 1 is a failure.
    assert!(
        matches!(status.code(), Some(0 | 2)),
        "`{}` ended with {status}",
        block.command
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replace(&out.path().display().to_string(), "output");
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    select(&lines, block.paragraphs.as_deref())
}

/// Returns true when the command of `args` writes results, and so takes
/// `--out`: the showcase (no command), `run`, `compare`, `sweep` and `merge`.
fn writes_results(args: &[String]) -> bool {
    match args.first().map(String::as_str) {
        None => true,
        Some(first) => {
            first.starts_with('-') || ["run", "compare", "sweep", "merge"].contains(&first)
        }
    }
}

/// Returns the paragraphs `chosen` of `lines` (all when `None`), separated by
/// one blank line, without blank lines at either end.
fn select(lines: &[&str], chosen: Option<&[usize]>) -> String {
    let paragraphs: Vec<&[&str]> = lines
        .split(|l| l.is_empty())
        .filter(|p| !p.is_empty())
        .collect();
    let picked: Vec<String> = match chosen {
        None => paragraphs.iter().map(|p| p.join("\n")).collect(),
        Some(numbers) => numbers
            .iter()
            .map(|&n| {
                paragraphs
                    .get(n - 1)
                    .unwrap_or_else(|| panic!("the output has no paragraph {n}"))
                    .join("\n")
            })
            .collect(),
    };
    picked.join("\n\n")
}

#[test]
fn readme_output_blocks_are_what_scalesim_prints() {
    let path = root().join("README.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let found = blocks(&lines).unwrap_or_else(|p| panic!("{}", p.join("\n")));
    assert!(!found.is_empty(), "README.md shows no output block");
    let bless = std::env::var_os("SCALESIM_BLESS").is_some_and(|v| v == "1");
    let mut fresh: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let mut stale = Vec::new();
    // From the last block up, so that a rewritten block moves no line above it.
    for block in found.iter().rev() {
        let now = output(block);
        let shown: Vec<&str> = lines[block.start..block.end]
            .iter()
            .map(|l| l.trim_end())
            .collect();
        if shown.join("\n") != now {
            stale.push(format!(
                "README.md:{}: `{}` now prints:\n{now}\n",
                block.start, block.command
            ));
            fresh.splice(block.start..block.end, now.lines().map(str::to_string));
        }
    }
    if bless && !stale.is_empty() {
        let mut updated = fresh.join("\n");
        updated.push('\n');
        std::fs::write(&path, updated).unwrap();
        eprintln!("rewrote {} block(s) of README.md", stale.len());
        return;
    }
    assert!(
        stale.is_empty(),
        "{} output block(s) of README.md are stale (SCALESIM_BLESS=1 cargo test --release \
         --test integration readme rewrites them):\n{}",
        stale.len(),
        stale.join("\n")
    );
}

#[test]
fn comments_name_commands_streams_and_paragraphs() {
    let lines = [
        "<!-- output: scalesim run 'a b.yaml' --set x=1 | paragraphs 1, 3 -->",
        "```text",
        "old",
        "```",
        "",
        "<!-- output: scalesim validate bad.yaml 2>&1 -->",
        "```text",
        "```",
    ];
    let found = blocks(&lines).unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].args, ["run", "a b.yaml", "--set", "x=1"]);
    assert_eq!(found[0].paragraphs, Some(vec![1, 3]));
    assert!(!found[0].stderr);
    assert_eq!((found[0].start, found[0].end), (2, 3));
    assert_eq!(found[1].args, ["validate", "bad.yaml"]);
    assert!(writes_results(&found[0].args) && !writes_results(&found[1].args));
    assert!(found[1].stderr);
    assert_eq!((found[1].start, found[1].end), (7, 7));
    // A block without its command, a foreign command and the test's own
    // `--out` are refused.
    for bad in [
        "text before",
        "<!-- output: cargo run -->",
        "<!-- output: scalesim run a.yaml --out x -->",
        "<!-- output: scalesim run a.yaml | head -3 -->",
    ] {
        assert!(blocks(&[bad, "```text", "```"]).is_err(), "{bad}");
    }
    assert_eq!(
        select(&["a", "b", "", "c", "", "", "d", ""], Some(&[1, 3])),
        "a\nb\n\nd"
    );
}
