//! `scalesim validate FILE...`

use crate::error::{Error, Result};

/// Checks every file; prints one line per valid file and every issue of the others.
pub fn run(files: &[String], set: &[String]) -> Result<()> {
    let overrides = super::parse_overrides(set)?;
    let mut problems = Vec::new();
    for file in files {
        match super::load_one(file, &overrides) {
            Ok(s) => {
                println!(
                    "{file}: ok ({}, {}, {})",
                    s.name,
                    count(s.components.len(), "component"),
                    count(s.traffic.types.len(), "request type")
                );
                super::show_warnings(std::slice::from_ref(&s), false);
            }
            Err(Error::Scenario(e)) => problems.push(e.to_string()),
            Err(Error::Read { path, source }) => {
                problems.push(format!("{}: cannot read: {source}", path.display()))
            }
            Err(other) => return Err(other),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "invalid scenario\n{}",
            problems.join("\n")
        )))
    }
}

/// Returns `n` with `noun`, in the plural unless `n` is one.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
