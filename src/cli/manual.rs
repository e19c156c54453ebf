//! `scalesim completions SHELL` and `scalesim man`: generated from the one
//! definition of the command line, so they never disagree with `--help`.

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;
use crate::error::{Error, Result};

/// Prints the completion script of `shell`.
pub fn completions(shell: Shell) -> Result<()> {
    super::run::print(&completion_script(shell))
}

/// Returns the completion script of `shell` for `scalesim`.
pub fn completion_script(shell: Shell) -> String {
    let mut command = Cli::command();
    let mut bytes = Vec::new();
    clap_complete::generate(shell, &mut command, "scalesim", &mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Prints the manual page.
pub fn man() -> Result<()> {
    super::run::print(&manual_page()?)
}

/// Returns the manual page of `scalesim` in roff: the page clap_mangen
/// makes of the whole command line, then a section per command with its
/// synopsis and its own options (as `scalesim COMMAND --help` lists them).
pub fn manual_page() -> Result<String> {
    let command = Cli::command();
    let mut page = render(&clap_mangen::Man::new(command.clone()), Part::Whole)?;
    for sub in command.get_subcommands() {
        let name = format!("scalesim {}", sub.get_name());
        let man = clap_mangen::Man::new(sub.clone().bin_name(name.clone()));
        page.push_str(&format!(".SH \"{}\"\n", name.to_uppercase()));
        // The command's synopsis and options become subsections of its own section.
        for line in render(&man, Part::Command)?.lines() {
            match line.strip_prefix(".SH ") {
                Some(heading) => page.push_str(&format!(".SS {heading}\n")),
                None => page.push_str(&format!("{line}\n")),
            }
        }
    }
    Ok(page)
}

/// What to render of a page.
#[derive(Clone, Copy)]
enum Part {
    /// The whole page.
    Whole,
    /// The synopsis and the options only.
    Command,
}

/// Renders `part` of `man` as roff text.
fn render(man: &clap_mangen::Man, part: Part) -> Result<String> {
    let mut bytes = Vec::new();
    let written = match part {
        Part::Whole => man.render(&mut bytes),
        Part::Command => man
            .render_synopsis_section(&mut bytes)
            .and_then(|()| man.render_options_section(&mut bytes)),
    };
    written.map_err(|e| Error::Usage(format!("cannot render the manual page: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
